"""Benchmark of the ledger pages on a large round (2,000 problems, 10,000 measures).

Builds the round in a throw-away SQLite database (or the PostgreSQL of
DATABASE_URL), then times the server side of the overview, my-tasks and search
pages through Django's test client (template rendering and every query
included, no network), median and p95 over repeated requests, with the queries
each page makes and the process's peak memory. Then the bulk assignment
(``measure_assign_bulk``) of 10, 100 and 1,000 measures of the round, each run
changing every one of them (owners and deadline, amendments of the signed plan,
one audit event each), with the queries it makes. Run: `make bench`.
"""

from __future__ import annotations

import datetime
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="zhenggai-bench-")
os.environ.setdefault("ZHENGGAI_DATA_DIR", _tmp)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
os.environ.setdefault("ZHENGGAI_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from bench.generate import build_round  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
#: How many measures each bulk assignment changes, and how often each is timed.
ASSIGN_SIZES = [int(s) for s in os.environ.get("BENCH_ASSIGN_SIZES", "10,100,1000").split(",")]
ASSIGN_RUNS = int(os.environ.get("BENCH_ASSIGN_RUNS", "5"))


def measure(client: Client, url: str) -> tuple[list[float], int, int]:
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as q:
        r = client.get(url)
    if r.status_code != 200:
        raise SystemExit(f"{url}: {r.status_code}")
    queries = len(q.captured_queries)  # read before the log is cleared below
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t)
        reset_queries()
    return times, queries, len(r.content)


class QueryCounter:
    """Counts every query (``connection.queries`` keeps only the last 9,000)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        self.count += 1
        return execute(sql, params, many, context)


def bulk_assign(data: dict[str, Any]) -> None:
    """``measure_assign_bulk`` on the first N measures of the signed plan, every run changing each one."""
    from django.utils import timezone

    from zhenggai.ledger import services
    from zhenggai.ledger.models import Measure

    round_, clerk, people = data["round"], data["clerk"], data["people"]
    services.plan_sign(actor=data["leader"], round=round_)  # every change is an amendment too
    plan = Measure.objects.filter(round=round_).order_by("finding__position", "position")
    ids = list(plan.values_list("pk", flat=True))
    today = timezone.localdate()
    print(f"\nbulk assignment (signed plan)   median ms   p95 ms  queries   ({ASSIGN_RUNS} runs)")
    for size in ASSIGN_SIZES:
        times, counts = [], set()
        for run in range(ASSIGN_RUNS):
            counter = QueryCounter()
            t = time.perf_counter()
            with connection.execute_wrapper(counter):
                n = services.measure_assign_bulk(
                    actor=clerk,
                    round=round_,
                    measure_ids=ids[:size],
                    person=people[run % 2],  # each run changes every measure
                    deadline=today + datetime.timedelta(days=100 + run),
                )
            times.append(time.perf_counter() - t)
            counts.add(counter.count)
            if n != size:
                raise SystemExit(f"assigned {n} measures, not {size}")
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        shown = "/".join(str(c) for c in sorted(counts))
        median = statistics.median(times) * 1000
        print(f"{size:>6} measures {'':<16} {median:9.1f} {p95 * 1000:8.1f} {shown:>8}")
    print(
        "(queries include the audit chain's work after the commit: the head read, and one count "
        "for each checkpoint, one every AUDIT_CHECKPOINT_EVERY = 100 events)"
    )


def main() -> None:
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}, "
        f"database {connection.vendor}"
    )
    call_command("migrate", interactive=False, verbosity=0)
    t = time.perf_counter()
    data = build_round(problems=int(os.environ.get("BENCH_PROBLEMS", "2000")), measures_per_problem=5)
    print(
        f"built {data['problems']} problems, {data['measures']} measures in {time.perf_counter() - t:.1f} s"
    )
    round_ = data["round"]
    pages = [
        ("round overview (supervisor)", data["supervisor"], reverse("web:round-detail", args=[round_.pk])),
        ("my tasks (responsible person)", data["people"][0], reverse("web:home")),
        ("my tasks (unit leader)", data["leader"], reverse("web:home")),
        ("search: overdue, page 1", data["clerk"], reverse("web:search") + f"?round={round_.pk}&overdue=1"),
        ("search: text 制度, page 1", data["clerk"], reverse("web:search") + f"?round={round_.pk}&q=制度"),
    ]
    print(f"\npage                              median ms   p95 ms  queries   KiB   ({RUNS} runs)")
    for name, user, url in pages:
        c = Client()
        c.force_login(user)
        times, queries, size = measure(c, url)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        median = statistics.median(times) * 1000
        print(f"{name:<33} {median:9.1f} {p95 * 1000:8.1f} {queries:8d} {size / 1024:5.0f}")
    bulk_assign(data)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the process (ru_maxrss): {peak:.0f} MB")


if __name__ == "__main__":
    main()
