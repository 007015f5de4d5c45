"""Benchmark of plans as tables: a 2,000-row plan as .docx and as .xlsx, read and parsed.

The issue's target is an import of a 2,000-row plan table in at most 5 s on the
2-core machine. Each size (1,000, 2,000 and 4,000 measure rows: BENCH_ROWS) is timed
as read (``read_bytes``), parse (``parse_document``) and both, best of BENCH_REPEAT
runs (default 3), for both formats, and the ratio to the smallest size shows that the
cost grows linearly with the rows. Also timed: the same through the budgeted child
process the web import uses (``budget.read_and_parse``), once per format at 2,000 rows.
Nothing is asserted: the suite stays free of timing; quote the figures with the machine.

Run with ``make bench`` (or ``.venv/bin/python bench/bench_plan_tables.py``).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.textparse.table_builders import Sheet, big_plan, plan_docx, plan_xlsx  # noqa: E402

from zhenggai.textparse import budget  # noqa: E402
from zhenggai.textparse.parse import parse_document  # noqa: E402
from zhenggai.textparse.reader import read_bytes  # noqa: E402

ROWS = [int(n) for n in os.environ.get("BENCH_ROWS", "1000,2000,4000").split(",")]
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
TARGET_SECONDS = 5.0


def best(fn: Callable[[], object]) -> float:
    times = []
    for _ in range(REPEAT):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    print(f"machine: {platform.machine()} {os.cpu_count()} cpus, python {platform.python_version()}")
    print("\nformat rows   KiB    read s  parse s  total s  s/1000 rows  x smallest  measures")
    files: dict[tuple[str, int], bytes] = {}
    for fmt in ("docx", "xlsx"):
        base = None
        for rows in ROWS:
            table = big_plan(rows)
            data = plan_docx(table) if fmt == "docx" else plan_xlsx(Sheet("任务清单", table))
            files[(fmt, rows)] = data
            name = f"plan.{fmt}"
            doc = read_bytes(data, name)
            t_read = best(lambda data=data, name=name: read_bytes(data, name))
            t_parse = best(lambda doc=doc: parse_document(doc))
            total = t_read + t_parse
            measures = parse_document(doc).counts.measures
            per = total / rows * 1000
            base = base or per
            flag = (
                "" if rows != 2000 or total <= TARGET_SECONDS else f"  over the {TARGET_SECONDS:g} s target"
            )
            print(
                f"{fmt:6} {rows:5} {len(data) / 1024:6.0f} {t_read:8.2f} {t_parse:8.2f} {total:8.2f}"
                f" {per:11.3f} {per / base:11.2f} {measures:9}{flag}"
            )
    print("\nthrough the budgeted child process (as the web import runs it), 2,000 rows:")
    for fmt in ("docx", "xlsx"):
        data = files.get((fmt, 2000)) or (
            plan_docx(big_plan(2000)) if fmt == "docx" else plan_xlsx(Sheet("任务清单", big_plan(2000)))
        )
        t = time.perf_counter()
        result = budget.read_and_parse(data, f"plan.{fmt}")
        print(f"  {fmt}: {time.perf_counter() - t:.2f} s, {result.counts.measures} measures")


if __name__ == "__main__":
    main()
