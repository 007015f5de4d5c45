"""Benchmark of the ledger pages on a large round (2,000 problems, 10,000 measures).

Builds the round in a throw-away SQLite database (or the PostgreSQL of
DATABASE_URL), then times the server side of the overview, my-tasks and search
pages through Django's test client (template rendering and every query
included, no network), median and p95 over repeated requests, with the queries
each page makes and the process's peak memory. Run: `make bench`.
"""

from __future__ import annotations

import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

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


def measure(client: Client, url: str) -> tuple[list[float], int, int]:
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as q:
        r = client.get(url)
    assert r.status_code == 200, (url, r.status_code)
    queries = len(q.captured_queries)  # read before the log is cleared below
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t)
        reset_queries()
    return times, queries, len(r.content)


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
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\npeak memory of the process (ru_maxrss): {peak:.0f} MB")


if __name__ == "__main__":
    main()
