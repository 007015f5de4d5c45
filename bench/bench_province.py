"""Server-side latency of the staff pages and API lists on the province (PostgreSQL).

Runs on the database that ``bench/generate.py --province`` built (1,500 units, 300 rounds,
1,000,000 measures, 5,000,000 progress entries; ``--database-url``, else
``PROVINCE_DATABASE_URL``, else ``zhenggai_province`` on the local server). For the county clerk
(整改办 of one bureau) and the province's supervisor (scope: every unit), it requests each page
through Django's test client in this process (middleware, session, queries and templates
included; no HTTP server), a few times to warm up, then ``BENCH_RUNS`` (30) times, and prints
p50/p95 in milliseconds with the queries each page makes. A page a user may not open shows its
status; an API route not there yet shows "—". A page slower than ``--slow-s`` on its first request
is timed 5 times, not 30 (marked "(5)"). ``--explain`` also prints, for each page over the
target, its slowest queries with ``EXPLAIN (ANALYZE, BUFFERS)``. Run: ``make bench-province``.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/zhenggai_province"


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--database-url", default=os.environ.get("PROVINCE_DATABASE_URL", DEFAULT_URL))
    p.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", "30")))
    p.add_argument("--warm", type=int, default=3)
    p.add_argument("--slow-s", type=float, default=3.0, help="a page slower than this: fewer runs")
    p.add_argument("--target-ms", type=float, default=300.0)
    p.add_argument("--explain", action="store_true", help="EXPLAIN the slowest queries of slow pages")
    p.add_argument("--only", default="", help="only the pages whose name contains this")
    p.add_argument(
        "--statement-timeout-ms", type=int, default=30000, help="a query longer than this fails its page"
    )
    return p.parse_args()


ARGS = _args()
if ARGS.database_url.rstrip("/").rsplit("/", 1)[-1] in ("test", "postgres"):
    raise SystemExit("refusing the test suite's or the system's database: use the province's")
# A runaway query fails its page (shown as "timeout") instead of holding the run for minutes.
_sep = "&" if "?" in ARGS.database_url else "?"
os.environ["DATABASE_URL"] = (
    f"{ARGS.database_url}{_sep}options=-c%20statement_timeout%3D{ARGS.statement_timeout_ms}"
)
os.environ.setdefault("ZHENGGAI_DATA_DIR", tempfile.mkdtemp(prefix="zhenggai-bench-province-"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
os.environ.setdefault("ZHENGGAI_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from bench.generate import PROVINCE_CLERK, PROVINCE_SUPERVISOR  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.signals import request_started  # noqa: E402
from django.db import OperationalError, connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

from zhenggai.ledger.models import Round  # noqa: E402
from zhenggai.units.models import Membership, Role  # noqa: E402

# The query log is emptied when each request starts: keep it, to count and explain a request's
# queries (the timed runs empty it themselves). A refused page (403) is a figure, not a warning.
request_started.disconnect(reset_queries)
logging.getLogger("django.request").setLevel(logging.CRITICAL)

MISSING = "—"


def _token(user: Any, unit: Any) -> str | None:
    """A read token for the API (None while the API's tokens are not there yet)."""
    try:
        from zhenggai.accounts.services import token_create  # type: ignore[attr-defined]
    except ImportError:
        try:
            from zhenggai.accounts.tokens import token_create  # type: ignore[no-redef]
        except ImportError:
            return None
    _, plaintext = token_create(actor=user, name="bench-province", scope="read", unit=unit, days=30)
    return str(plaintext)


def pages(round_id: int) -> list[tuple[str, str, bool]]:
    """(name, url, is_api) of every page measured."""
    r = str(round_id)
    drill = reverse("supervision:dashboard-measures")
    return [
        ("我的任务 /", reverse("web:home"), False),
        ("search ?status=in_progress", reverse("web:search") + "?status=in_progress", False),
        ("search ?q=提醒谈话 (common)", reverse("web:search") + "?q=提醒谈话", False),
        ("search ?q=无此措施 (no match)", reverse("web:search") + "?q=无此措施", False),
        ("search ?status=…&overdue=on", reverse("web:search") + "?status=not_started&overdue=on", False),
        ("round list", reverse("web:round-list"), False),
        ("round overview /rounds/N/", reverse("web:round-detail", args=[r]), False),
        ("round measures", reverse("web:round-measures", args=[r]), False),
        ("dashboard", reverse("supervision:dashboard"), False),
        ("drill-down tier=overdue", drill + "?tier=overdue", False),
        ("drill-down tier=yellow (warning)", drill + "?tier=yellow", False),
        ("extension list", reverse("supervision:extension-list"), False),
        ("order list (督办单)", reverse("supervision:order-list"), False),
        ("inbox", reverse("inbox:list"), False),
        ("API measures?limit=50", "/api/v1/measures?limit=50", True),
        ("API rounds", "/api/v1/rounds", True),
        ("API findings?round=N", f"/api/v1/findings?round={r}", True),
    ]


def _p95(times: list[float]) -> float:
    ordered = sorted(times)
    return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def measure(client: Client, url: str, headers: dict[str, str]) -> dict[str, Any]:
    """Warm up, then time ``ARGS.runs`` requests; the queries of one request are kept."""
    t = time.perf_counter()
    try:
        first = client.get(url, headers=headers)
    except OperationalError:  # the statement timeout
        return {"status": "timeout"}
    if first.status_code != 200:
        return {"status": first.status_code}
    # A page that takes seconds is timed fewer times (its p95 is then the slowest of those).
    slow = time.perf_counter() - t >= ARGS.slow_s
    runs = max(3, ARGS.runs // 6) if slow else ARGS.runs
    for _ in range(0 if slow else ARGS.warm - 1):
        client.get(url, headers=headers)
    with CaptureQueriesContext(connection) as q:
        client.get(url, headers=headers)
    queries = list(q.captured_queries)  # a view of the log, which the timed runs empty
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        client.get(url, headers=headers)
        times.append(time.perf_counter() - t)
        reset_queries()
    return {
        "status": 200,
        "p50": statistics.median(times) * 1000,
        "p95": _p95(times) * 1000,
        "queries": queries,
        "kib": len(first.content) / 1024,
        "runs": runs,
    }


def explain(name: str, queries: list[dict[str, str]], top: int = 3) -> None:
    """The slowest queries of one request, each with its plan (run again, outside the request)."""
    slow = sorted(queries, key=lambda c: float(c["time"]), reverse=True)[:top]
    print(f"\n=== {name}: {len(queries)} queries, slowest {top} ===")
    for c in slow:
        sql = c["sql"]
        print(f"-- {float(c['time']) * 1000:.1f} ms\n{sql[:2000]}")
        if not sql.lstrip().upper().startswith("SELECT"):
            continue
        with connection.cursor() as cur:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            print("\n".join(row[0] for row in cur.fetchall()))


def _migrate() -> int:
    """Apply the migrations the code has and the province lacks (its indexes are part of what is
    measured); returns how many there were."""
    from django.core.management import call_command
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if pending:
        t = time.perf_counter()
        call_command("migrate", interactive=False, verbosity=0)
        print(f"applied {len(pending)} pending migration(s) in {time.perf_counter() - t:.1f} s")
    return len(pending)


def main() -> None:
    _migrate()
    User = get_user_model()
    clerk = User.objects.get(username=PROVINCE_CLERK)
    supervisor = User.objects.get(username=PROVINCE_SUPERVISOR)
    clerk_unit = Membership.objects.get(user=clerk, role=Role.CLERK).unit
    sup_unit = Membership.objects.get(user=supervisor, role=Role.SUPERVISOR).unit
    round_ = Round.objects.filter(unit=clerk_unit).order_by("id").first()
    if round_ is None:
        raise SystemExit("no round in the clerk's unit: run bench/generate.py --province first")
    with connection.cursor() as cur:
        cur.execute(
            "SELECT (SELECT count(*) FROM ledger_measure), (SELECT count(*) FROM units_unit),"
            " (SELECT count(*) FROM ledger_round), pg_size_pretty(pg_database_size(current_database()))"
        )
        n_measures, n_units, n_rounds, size = cur.fetchone()
    one, five, fifteen = os.getloadavg()
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}, "
        f"PostgreSQL {connection.pg_version // 10000}; load average {one:.2f} {five:.2f} {fifteen:.2f}\n"
        f"province: {n_units:,} units, {n_rounds} rounds, {n_measures:,} measures, database {size}; "
        f"round {round_.pk} has {round_.measures.count():,} measures; "
        f"{ARGS.runs} runs after {ARGS.warm} warm-up"
    )
    users = [("county clerk", clerk, clerk_unit), ("province supervisor", supervisor, sup_unit)]
    clients = []
    for _, user, unit in users:
        c = Client()
        c.force_login(user)
        token = _token(user, unit)
        clients.append((c, {"authorization": f"Bearer {token}"} if token else None))
    head = "".join(f" | {label:^30}" for label, _, _ in users)
    print(f"\n{'page':<34}{head}")
    print(f"{'':<34}" + " | {:>8} {:>8} {:>5} {:>6}".format("p50 ms", "p95 ms", "q", "KiB") * len(users))
    slow = []
    for name, url, is_api in pages(round_.pk):
        if ARGS.only and ARGS.only not in name:
            continue
        cells = []
        for u, (client, bearer) in enumerate(clients):
            if is_api and bearer is None:
                cells.append(f" | {MISSING:>30}")
                continue
            r = measure(Client() if is_api else client, url, bearer if is_api else {})
            if r["status"] == 404 and is_api:
                cells.append(f" | {MISSING:>30}")
            elif r["status"] == "timeout":
                cells.append(f" | {'> ' + str(ARGS.statement_timeout_ms) + ' ms (timeout)':>30}")
                slow.append((f"{name} ({users[u][0]})", {"queries": []}))
            elif r["status"] != 200:
                cells.append(f" | {'(' + str(r['status']) + ')':>30}")
            else:
                mark = "*" if r["p95"] > ARGS.target_ms else " "
                few = "" if r["runs"] == ARGS.runs else f"({r['runs']})"
                cells.append(
                    f" | {r['p50']:8.1f} {r['p95']:7.1f}{mark} {len(r['queries']):5d} {r['kib']:6.0f}{few}"
                )
                if r["p95"] > ARGS.target_ms:
                    slow.append((f"{name} ({users[u][0]})", r))
        print(f"{name:<34}" + "".join(cells), flush=True)
    print(f"\n* over {ARGS.target_ms:.0f} ms p95: {len(slow)}")
    if ARGS.explain:
        for label, r in slow:
            explain(label, r["queries"])
    one, five, fifteen = os.getloadavg()
    print(f"bench-province: {len(slow)} page(s) over {ARGS.target_ms:.0f} ms p95; load {one:.2f}")


if __name__ == "__main__":
    main()
