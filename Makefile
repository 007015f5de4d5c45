# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PORT ?= 8000
# PostgreSQL for the second pass of the database tests (CI starts it when it is down).
PG_URL ?= postgres://postgres@127.0.0.1:5432/test

.PHONY: demo test test-postgres lint bench bench-http bench-province setup browser office fonts wrk sbom lock clean

# Exactly the pinned, hash-checked set of requirements.lock (what the SBOM describes), not
# whatever the registry serves that day; `make lock` re-pins it after pyproject.toml changes.
$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps -e .
	touch $@

# Front-end assets come from the npm registry and are served locally.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --silent
	touch $@

setup: $(VENV)/.installed node_modules/.installed

# The browser tests drive Debian's chromium (Playwright's own browser download is not used).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk >/dev/null; \
	  else echo "请先安装 Debian 的 chromium 和 fonts-noto-cjk：sudo apt-get install chromium fonts-noto-cjk" >&2; exit 1; fi; }

# The documents are also opened by a second office suite: LibreOffice headless, from Debian.
office:
	@command -v soffice >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libreoffice-writer-nogui libreoffice-calc-nogui >/dev/null; \
	  else echo "请先安装 Debian 的 LibreOffice：sudo apt-get install libreoffice-writer-nogui libreoffice-calc-nogui" >&2; exit 1; fi; }

# Free fonts for the GB/T 9704 PDFs (official font names mapped to them by fontconfig).
fonts:
	scripts/install-fonts

demo: setup fonts
	$(VENV)/bin/zhenggai demo --port $(PORT)

test: setup browser office fonts
	$(VENV)/bin/ruff check src tests bench scripts/sbom
	DATABASE_URL=sqlite:///:memory: $(VENV)/bin/mypy
	DATABASE_URL=sqlite:///:memory: $(VENV)/bin/zhenggai makemigrations --check --dry-run >/dev/null
	$(PY) -m pytest -n auto -m "not postgres"

# The database tests again on PostgreSQL, plus those that only make sense there.
test-postgres: setup office fonts
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -n 2 -m "not browser" \
	  tests/ledger tests/web tests/audit tests/evidence tests/ops tests/accounts tests/reports tests/labels tests/http \
	  tests/notify tests/supervision tests/disclosure tests/feedback tests/public \
	  tests/api

# wrk (Debian's package) drives the public site from a second process in bench_public.py.
wrk:
	@command -v wrk >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	  else echo "请先安装 Debian 的 wrk：sudo apt-get install wrk" >&2; exit 1; fi; }

bench: setup fonts wrk
	$(PY) bench/bench_textparse.py
	$(PY) bench/bench_ledger.py
	$(PY) bench/bench_xlsx.py
	$(PY) bench/bench_documents.py
	$(PY) bench/bench_audit_head.py
	$(PY) bench/bench_hostile_imports.py
	$(PY) bench/bench_xlsx_hostile.py
	$(PY) bench/bench_plan_tables.py
	$(PY) bench/bench_supervision.py
	$(PY) bench/bench_public.py

# The staff pages over HTTP (gunicorn, 2 workers, wrk c=8) at 10,000 and 100,000 measures, beside a
# one-view Django app (the ceiling); each figure the median of BENCH_REPEATS (3) runs of
# BENCH_SECONDS (5), the sizes in turn.
bench-http: setup fonts wrk
	$(PY) bench/bench_http.py

# A province on PostgreSQL (1,500 units, 1,000,000 measures, 5,000,000 progress entries; about 3
# minutes and 1.6 GB, built once and kept), then p50/p95 of the staff pages and API lists for a
# county clerk and the province's supervisor. Never the test database.
PROVINCE_URL ?= postgres://postgres@127.0.0.1:5432/zhenggai_province
bench-province: setup
	$(PY) bench/generate.py --province --if-missing --database-url $(PROVINCE_URL)
	$(PY) bench/bench_province.py --database-url $(PROVINCE_URL)

# CycloneDX SBOM of .venv and the npm packages, offline (REQ-2.12).
sbom: setup
	$(PY) scripts/sbom -o artifacts/sbom.cdx.json

# Re-pin requirements.lock from .venv after resolving pyproject.toml afresh (hashes from the
# index through pip).
lock: setup
	$(PY) -m pip install --quiet -e '.[dev]'
	$(PY) scripts/sbom lock

clean:
	rm -rf $(VENV) node_modules .pytest_cache .hypothesis var
