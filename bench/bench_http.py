"""Staff pages over HTTP: gunicorn (2 sync workers), SQLite, wrk at c=8, at 10,000 and 100,000 measures.

For each size the script builds a throw-away data folder (``ZHENGGAI_DATA_DIR``, the SQLite file
in it, ``ZHENGGAI_DEBUG`` off), migrates it, generates the ledger (``bench/generate.py``:
``build_round`` for 10,000 measures; ``build_round_bulk`` for 100,000, the same round among nine
more of sibling bureaus, so the table grows and the leader's round does not), analyses the
database (``ANALYZE``, the statistics SQLite's planner needs; the README's periodic jobs keep
them) and logs in as the round's leader (a session made by Django's login, its cookie given to
wrk). It then serves each folder with the project (``zhenggai.wsgi:application``, each worker
keeping its connection: ``ZHENGGAI_DB_CONN_MAX_AGE=60``, as the README's unit) and, beside
them, a one-view Django project (``bench/ceiling``) with the same gunicorn settings, and runs
Debian's ``wrk`` on each page at every size in turn, ``BENCH_REPEATS`` times (so that what the
rest of the machine does moves both figures of a page alike; each figure is the page's median
run, so a burst of a neighbour's load in one run does not make it) against:

- ceiling: the one-view project, the framework's best on this machine;
- search: 搜索与筛选 ``/search/?status=in_progress`` (50 rows a page);
- my tasks: 我的任务 ``/`` (the leader's desks, 50 items a box);
- overview: the round ``/rounds/N/`` (its figures, 50 problems a page of the tree);
- api: ``GET /api/v1/measures?limit=50`` with a read token of the round's unit (``—`` while the
  API answers 404);
- api floor: ``GET /api/v1/token`` with the same token: the token's authentication and its
  audited use (``token.use``, committed), nothing else, so the most any API call can do here.

It prints req/s, p50 and p99 for each page and size, the share of the ceiling and the growth
(p50 at 100,000 over p50 at 10,000), and ends with one line:
``bench-http: list N req/s = P% of ceiling; api M req/s; growth G×`` (N: search at 10,000; G: the
worst growth of the staff pages). ``BENCH_SECONDS`` (5) a run, ``BENCH_REPEATS`` (3) runs a page and
size, ``BENCH_SIZES`` (10000,100000).
Run: ``make bench-http``.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = ROOT / ".venv" / "bin"
SECONDS = int(os.environ.get("BENCH_SECONDS", "5"))
REPEATS = max(1, int(os.environ.get("BENCH_REPEATS", "3")))
SIZES = [int(s) for s in os.environ.get("BENCH_SIZES", "10000,100000").split(",") if s.strip()]
CONNECTIONS = 8
WORKERS = 2
PROBLEMS = 2000  # per round; 5 measures each
ROWS = ["ceiling", "search", "my tasks", "overview", "api", "api floor"]
API = ["api", "api floor"]
STAFF = ["search", "my tasks", "overview"]


# --- the data folder (run in a child process: settings read ZHENGGAI_DATA_DIR once) --------------


def prepare(folder: str, measures: int) -> dict[str, Any]:
    """Migrate, generate, analyse, log in: what the servers and wrk need, as JSON."""
    os.environ["ZHENGGAI_DATA_DIR"] = folder
    os.environ.pop("DATABASE_URL", None)
    os.environ["DJANGO_SETTINGS_MODULE"] = "zhenggai.settings"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    call_command("migrate", verbosity=0)
    from bench.generate import build_round, build_round_bulk

    started = time.monotonic()
    rounds = max(1, measures // (PROBLEMS * 5))
    if rounds == 1:
        world = build_round(problems=PROBLEMS, measures_per_problem=5)
    else:
        world = build_round_bulk(rounds=rounds, problems=PROBLEMS, measures_per_problem=5)
    generated = time.monotonic() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        cursor.execute("SELECT COUNT(*) FROM ledger_measure")
        (total,) = cursor.fetchone()
    leader, round_ = world["leader"], world["round"]
    client = Client()
    client.force_login(leader)
    client.get("/")  # the CSRF cookie, as a browser has it after its first page
    cookies = {settings.SESSION_COOKIE_NAME: client.cookies[settings.SESSION_COOKIE_NAME].value}
    if settings.CSRF_COOKIE_NAME in client.cookies:
        cookies[settings.CSRF_COOKIE_NAME] = client.cookies[settings.CSRF_COOKIE_NAME].value
    token = ""
    try:  # the API is being built beside this change
        from zhenggai.accounts import services as account_services

        token_create = getattr(account_services, "token_create", None)
        if token_create is None:
            from zhenggai.accounts.tokens import token_create
        _row, token = token_create(actor=leader, name="bench", scope="read", unit=round_.unit, days=30)
    except Exception as err:
        print(f"no API token: {err!r}", file=sys.stderr)
    return {
        "round": round_.pk,
        "measures": total,
        "generated_s": round(generated, 1),
        "cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
        "token": token,
    }


# --- servers and wrk -----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(app: str, port: int, env: dict[str, str], pythonpath: str | None = None) -> subprocess.Popen[bytes]:
    cmd = [str(BIN / "gunicorn"), "--workers", str(WORKERS), "--worker-class", "sync"]
    cmd += ["--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--timeout", "120"]
    if pythonpath:
        cmd += ["--pythonpath", pythonpath]
    return subprocess.Popen([*cmd, app], env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    req = urllib.request.Request(url, headers=headers or {})  # noqa: S310  our own local server
    try:
        with urllib.request.urlopen(req, timeout=60) as r:  # noqa: S310
            return r.status, r.geturl()
    except urllib.error.HTTPError as err:
        return err.code, url


def wait_up(url: str, server: subprocess.Popen[bytes], timeout: float = 120) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if server.poll() is not None:
            raise SystemExit(f"gunicorn exited ({server.returncode}) before answering {url}")
        with contextlib.suppress(OSError):
            get(url)
            return
        time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url}")


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait(timeout=30)


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, headers: dict[str, str], seconds: int = SECONDS) -> dict[str, float]:
    cmd = ["wrk", "-t2", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "--timeout", "30s"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    lat = {p: _ms(v, u) for p, v, u in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)}
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        raise SystemExit(f"{url}: {bad.group(1)} answers were not 2xx/3xx\n{out}")
    return {
        "rps": float(found.group(1)) if found else 0.0,
        "p50": lat.get("50", 0.0),
        "p99": lat.get("99", 0.0),
    }


def _prepare(size: int) -> tuple[str, dict[str, Any]]:
    folder = tempfile.mkdtemp(prefix=f"zhenggai-bench-http-{size}-")
    done = subprocess.run(
        [sys.executable, __file__, "--prepare", folder, str(size)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise SystemExit(f"preparing {size} measures failed:\n{done.stderr[-4000:]}")
    return folder, json.loads(done.stdout.strip().splitlines()[-1])


def measure_all() -> dict[int, dict[str, Any]]:
    """Prepare every size, serve them all and the ceiling at once, then run wrk on each page at
    every size back to back: a page's figures at 10,000 and 100,000 are taken a few seconds
    apart, so what the rest of the machine does between them moves both alike."""
    folders: list[str] = []
    servers: list[subprocess.Popen[bytes]] = []
    results: dict[int, dict[str, Any]] = {}
    try:
        bases: dict[int, str] = {}
        env = {**os.environ, "ZHENGGAI_DEBUG": "0", "ZHENGGAI_ALLOWED_HOSTS": "127.0.0.1,localhost"}
        # As the README's systemd unit runs gunicorn: each sync worker keeps its connection.
        env["ZHENGGAI_DB_CONN_MAX_AGE"] = "60"
        env["DJANGO_SETTINGS_MODULE"] = "zhenggai.settings"
        env.pop("DATABASE_URL", None)
        for size in SIZES:
            folder, facts = _prepare(size)
            folders.append(folder)
            results[size] = {"facts": facts}
            port = free_port()
            servers.append(serve("zhenggai.wsgi:application", port, {**env, "ZHENGGAI_DATA_DIR": folder}))
            bases[size] = f"http://127.0.0.1:{port}"
            wait_up(bases[size] + "/login/", servers[-1])
        ceiling_port = free_port()
        ceiling_env = {**env, "DJANGO_SETTINGS_MODULE": "ceiling.settings"}
        servers.append(serve("ceiling.wsgi:application", ceiling_port, ceiling_env, str(ROOT / "bench")))
        ceiling_url = f"http://127.0.0.1:{ceiling_port}/"
        wait_up(ceiling_url, servers[-1])

        def target(name: str, size: int) -> tuple[str, dict[str, str]]:
            facts, base = results[size]["facts"], bases[size]
            staff = {"Cookie": facts["cookie"]}
            return {
                "ceiling": (ceiling_url, {}),
                "search": (base + "/search/?status=in_progress", staff),
                "my tasks": (base + "/", staff),
                "overview": (base + f"/rounds/{facts['round']}/", staff),
                "api": (base + "/api/v1/measures?limit=50", {"Authorization": f"Bearer {facts['token']}"}),
                "api floor": (base + "/api/v1/token", {"Authorization": f"Bearer {facts['token']}"}),
            }[name]

        for name in ROWS:
            urls: dict[int, tuple[str, dict[str, str]]] = {}
            for size in SIZES:
                url, headers = target(name, size)
                if name in API and not results[size]["facts"]["token"]:
                    results[size][name] = None
                    continue
                status, final = get(url, headers)
                if name in API and status == 404:
                    results[size][name] = None  # the API has not landed yet
                    continue
                if status != 200 or "/login/" in final:
                    raise SystemExit(f"{name}: {url} answered {status} ({final}), not the page")
                # Warm both workers (templates compiled, connections made, kept values made):
                # a short run at the same load, not measured.
                wrk(url, headers, seconds=2)
                urls[size] = (url, headers)
            runs: dict[int, list[dict[str, float]]] = {size: [] for size in urls}
            for _ in range(REPEATS):  # the sizes in turn, so both see the same machine
                for size, (url, headers) in urls.items():
                    runs[size].append(wrk(url, headers))
            for size, got in runs.items():
                results[size][name] = sorted(got, key=lambda r: r["rps"])[len(got) // 2]  # the median run
        return results
    finally:
        for server in servers:
            stop(server)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)


# --- the table -----------------------------------------------------------------------------------


def _cell(r: dict[str, float] | None, ceiling: float) -> str:
    if r is None:
        return f"{'—':>9}{'—':>9}{'—':>9}{'—':>8}"
    share = 100 * r["rps"] / ceiling if ceiling else 0.0
    return f"{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p99']:>9.1f}{share:>7.1f}%"


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: sudo apt-get install wrk (make wrk installs it as root)")
    before = os.getloadavg()
    started = time.monotonic()
    runs = measure_all()
    after = os.getloadavg()
    cpu = platform.processor() or platform.machine()
    runs_of = f"the median of {REPEATS} runs of {SECONDS} s" if REPEATS > 1 else f"{SECONDS} s"
    print(f"\n## Staff pages over HTTP (wrk c={CONNECTIONS}, 2 wrk threads, {runs_of} a page and size)")
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, SQLite")
    print(f"server: gunicorn, {WORKERS} sync workers, ZHENGGAI_DEBUG off; ceiling: one Django view, same")
    took = time.monotonic() - started
    print(f"load average before {before[0]:.2f}, after {after[0]:.2f}; {took:.0f} s in all")
    for size, r in runs.items():
        f = r["facts"]
        print(f"{size:,}: {f['measures']:,} measures generated in {f['generated_s']} s; round {f['round']}")
    head = "".join(f"{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'ceil.':>8}" for _ in SIZES)
    sizes = "".join(f"{f'— at {s:,} measures —':^35}" for s in SIZES)
    print(f"{'':<10}{sizes}")
    print(f"{'page':<10}{head}{'growth':>8}")
    growth: dict[str, float] = {}
    for name in ROWS:
        cells = "".join(_cell(runs[s][name], runs[s]["ceiling"]["rps"]) for s in SIZES)
        first, last = runs[SIZES[0]][name], runs[SIZES[-1]][name]
        g = ""
        if first and last and first["p50"] and len(SIZES) > 1:
            growth[name] = last["p50"] / first["p50"]
            g = f"{growth[name]:.2f}×"
        print(f"{name:<10}{cells}{g:>8}")
    small = runs[SIZES[0]]
    search = small["search"]["rps"]
    share = 100 * search / small["ceiling"]["rps"]
    api = f"{small['api']['rps']:.0f}" if small["api"] else "—"
    if not small["api"]:
        print(
            "api: — (GET /api/v1/measures answered 404 or no token could be made: the API is not there yet)"
        )
    floor = small.get("api floor")
    if floor and small["api"]:
        # What authenticating and recording a use cost alone: no API list can be faster.
        print(
            f"api floor (GET /api/v1/token: token, memberships, the audited use): {floor['rps']:.0f} req/s"
            f" = {100 * floor['rps'] / small['ceiling']['rps']:.1f}% of ceiling;"
            f" the list runs at {100 * small['api']['rps'] / floor['rps']:.0f}% of it"
        )
    worst = max((growth[n] for n in STAFF if n in growth), default=0.0)
    print(
        f"bench-http: list {search:.0f} req/s = {share:.1f}% of ceiling; api {api} req/s; growth {worst:.2f}×"
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--prepare":
        print(json.dumps(prepare(sys.argv[2], int(sys.argv[3]))))
    else:
        main()
