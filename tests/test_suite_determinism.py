"""Finding 13 of issue 8: the suite gives the same verdict on a busy machine and on any day.

Static guards over the test tree itself (docs/style.md, "Tests do not time things"):
no test times itself against the wall clock, Hypothesis never fails a test for being
slow, and no test writes a fixed date that is still ahead (it would flip one day).
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

from hypothesis import HealthCheck, settings

from tests.today import today

TESTS = Path(__file__).resolve().parent

# Reading these clocks in a test is how a wall-clock threshold is built. (``time.time()``
# also dates things, a file's mtime say: it is flagged only as ``time.time() - start`` with
# ``start = time.time()``.)
CLOCKS = {
    "perf_counter",
    "perf_counter_ns",
    "monotonic",
    "monotonic_ns",
    "process_time",
    "process_time_ns",
    "thread_time",
    "thread_time_ns",
}
CLOCK_ALLOWED = {
    # The CPU-time ratio of one long input to many short ones, inside one run: it sees
    # quadratic work inside one regex call, which no operation count can.
    ("textparse/growth.py", "thread_time"),
    # Prints the REQ-3.4 figure of the PostgreSQL run; asserts nothing about it.
    ("audit/test_concurrency.py", "perf_counter"),
}
# Fixed dates ahead of today that are calendar arithmetic, not relative to today.
DATE_ALLOWED = {
    ("ledger/test_services.py", "2028-02-29"),  # 48 months after 2024-02-29
    # An absurd deadline, refused as too far ahead until 2094 whatever today is.
    ("ledger/test_deadlines.py", "2099-01-01"),
    ("ledger/test_finding12.py", "2099-01-01"),
}


def _sources(root: Path) -> Iterator[tuple[str, str]]:
    for path in sorted(root.rglob("*.py")):
        yield path.relative_to(root).as_posix(), path.read_text(encoding="utf-8")


def _is_time_time(node: ast.expr) -> bool:
    f = node.func if isinstance(node, ast.Call) else None
    return (
        isinstance(f, ast.Attribute)
        and f.attr in ("time", "time_ns")
        and isinstance(f.value, ast.Name)
        and f.value.id == "time"
    )


def clock_reads(root: Path) -> list[tuple[str, int, str]]:
    """(file, line, clock) of each clock read or ``timeit`` import under ``root``."""
    found = []
    for name, source in _sources(root):
        tree = ast.parse(source)
        starts = {
            target.id
            for node in ast.walk(tree)
            if isinstance(node, ast.Assign) and _is_time_time(node.value)
            for target in node.targets
            if isinstance(target, ast.Name)
        }
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in CLOCKS:
                if isinstance(node.value, ast.Name) and node.value.id == "time":
                    found.append((name, node.lineno, node.attr))
            elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.Sub) and _is_time_time(node.left):
                if isinstance(node.right, ast.Name) and node.right.id in starts:  # an elapsed time
                    found.append((name, node.lineno, "time"))
            elif isinstance(node, ast.ImportFrom) and node.module in ("time", "timeit"):
                found += [(name, node.lineno, a.name) for a in node.names if a.name in CLOCKS | {"timeit"}]
            elif isinstance(node, ast.Import):
                found += [(name, node.lineno, "timeit") for a in node.names if a.name == "timeit"]
    return [f for f in found if (f[0], f[2]) not in CLOCK_ALLOWED]


_DATE_CALL = re.compile(r"\bdate\(\s*(\d{4}),\s*(\d{1,2}),\s*(\d{1,2})\s*\)")
_DATE_TEXT = re.compile(r"(?<![0-9])(\d{4})(?:-(\d{2})-(\d{2})|年(\d{1,2})月(\d{1,2})日)(?![0-9])")


def dates_ahead(root: Path, on: dt.date) -> list[tuple[str, int, str]]:
    """(file, line, date) of each date written under ``root`` that is after ``on``."""
    found = []
    for name, source in _sources(root):
        if name == Path(__file__).name:
            continue  # its own allow-list
        for lineno, line in enumerate(source.splitlines(), 1):
            for m in [*_DATE_CALL.finditer(line), *_DATE_TEXT.finditer(line)]:
                y, mo, d = (int(g) for g in m.groups() if g is not None)
                try:
                    written = dt.date(y, mo, d)
                except ValueError:
                    continue  # not a date (a test of malformed input)
                if written > on and (name, written.isoformat()) not in DATE_ALLOWED:
                    found.append((name, lineno, written.isoformat()))
    return found


def test_finding13_no_test_times_itself_against_a_clock():
    assert clock_reads(TESTS) == []


def test_finding13_hypothesis_never_fails_a_test_for_being_slow():
    assert settings.default.deadline is None
    assert HealthCheck.too_slow in settings.default.suppress_health_check


def test_finding13_no_test_writes_a_fixed_date_that_is_still_ahead():
    assert dates_ahead(TESTS, today()) == []
