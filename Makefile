# The two commands of the README: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
SEED := seeds/000_3fc582a97ef44a37.txt

.PHONY: demo test lint bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $@

demo: $(VENV)/.installed
	$(VENV)/bin/zhenggai parse $(SEED)
	$(VENV)/bin/zhenggai lint $(SEED) || test $$? -eq 1

test: $(VENV)/.installed
	$(VENV)/bin/ruff check src tests bench
	$(PY) -m pytest -n auto

bench: $(VENV)/.installed
	$(PY) bench/bench_textparse.py

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
