"""Benchmark of textparse: the seed in-process, growth with size, and hostile inputs.

Run with `make bench` (or `.venv/bin/python bench/bench_textparse.py`). Prints one
table; quote it with the machine in the issue note. Nothing here is asserted: the
suite stays free of timing, this script is where speed is measured. The scanners'
hostile inputs (tests/textparse/hostile.py) are timed here at a quarter and a whole
megabyte; their tests count the work instead (tests/textparse/growth.py).
"""

from __future__ import annotations

import platform
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tests.textparse import hostile  # noqa: E402
from tests.textparse.genre import FEEDBACK, NOTICE_MIXED, NOTICE_PARAGRAPHS  # noqa: E402

from zhenggai.textparse.dates import find_dates  # noqa: E402
from zhenggai.textparse.facts import (  # noqa: E402
    find_accountability,
    find_channels,
    find_documents,
    find_stats,
    status_hint,
)
from zhenggai.textparse.lint import lint  # noqa: E402
from zhenggai.textparse.money import find_amounts  # noqa: E402
from zhenggai.textparse.parse import parse_text  # noqa: E402

SEED = (ROOT / "seeds" / "000_3fc582a97ef44a37.txt").read_text(encoding="utf-8")
MB = 1_000_000


def timed(fn: Callable[[], object], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def corpus(size_bytes: int) -> str:
    """Concatenated notices of the genre, about ``size_bytes`` of UTF-8."""
    unit = "\n\n".join([SEED, NOTICE_MIXED, "\n".join(NOTICE_PARAGRAPHS), FEEDBACK]) + "\n\n"
    per = len(unit.encode("utf-8"))
    return unit * max(1, round(size_bytes / per))


def main() -> None:
    print(
        f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}"
        f" on {platform.platform()}"
    )
    for _ in range(5):  # warm caches and compiled regexes
        parse_text(SEED)
    runs = timed(lambda: parse_text(SEED), 200)
    print(
        f"seed parse ({len(SEED)} chars): median {statistics.median(runs) * 1000:.2f} ms, "
        f"p95 {sorted(runs)[int(len(runs) * 0.95)] * 1000:.2f} ms over {len(runs)} runs"
    )
    r = parse_text(SEED)
    runs = timed(lambda: lint(r), 100)
    print(f"seed lint (after parse): median {statistics.median(runs) * 1000:.2f} ms")

    print("\nsize      chars      parse s   s/MB   measures")
    base = None
    for mb in (1, 2, 4):
        text = corpus(mb * MB)
        t = min(timed(lambda text=text: parse_text(text), 3))
        res = parse_text(text)
        real_mb = len(text.encode("utf-8")) / MB
        base = base or t
        print(
            f"{mb} MB   {len(text):>9}   {t:7.3f}   {t / real_mb:5.3f}   {res.counts.measures:>7}"
            f"   ({t / base:.2f}x 1 MB)"
        )

    print("\nhostile input                         parse s")
    hostile = {
        "1 MB on one line": ("一是制定了《制度》，2022年3月1日完成；" * 50_000)[: MB // 3],
        "100,000 nested brackets": "《" * 50_000 + "(" * 25_000 + "“" * 25_000,
        "100,000 closing brackets": "》" * 100_000,
        "10,000 numbered items": "\n".join(f"{i}.第{i}项问题" for i in range(1, 10_001)),
        "10,000 一是 ordinals": "（一）针对问题\n" + "；".join("一是" for _ in range(10_000)),
        "1 MB of digits": "1" * MB,
        "1 MB of 年月日": "年月日" * (MB // 9),
    }
    for name, text in hostile.items():
        t = min(timed(lambda text=text: lint(parse_text(text)), 1))
        print(f"{name:<36} {t:7.3f}")
    scanners()


def _facts(text: str) -> None:
    for fn in (find_documents, find_accountability, find_stats, find_channels, status_hint):
        fn(text)


def scanners() -> None:
    """The hostile inputs of the scanners' linear-time tests, timed (the tests count instead)."""
    print("\nscanner  hostile input      1 MB s   s/MB   x4 size   peak MB")
    groups = [
        ("dates", lambda t: find_dates(t, year=2022), hostile.DATES),
        ("facts", _facts, hostile.FACTS),
        ("money", find_amounts, hostile.MONEY),
    ]
    for group, fn, makers in groups:
        for name, make in makers.items():
            quarter, full = make(MB // 4), make(MB)
            t_quarter = min(timed(lambda fn=fn, text=quarter: fn(text), 3))
            t_full = min(timed(lambda fn=fn, text=full: fn(text), 3))
            tracemalloc.start()
            fn(full)
            peak = tracemalloc.get_traced_memory()[1]
            tracemalloc.stop()
            real_mb = len(full.encode("utf-8")) / MB
            print(
                f"{group:<8} {name:<16} {t_full:8.3f}   {t_full / real_mb:5.3f}"
                f"   {t_full / max(t_quarter, 1e-9):6.2f}x   {peak / MB:7.1f}"
            )


if __name__ == "__main__":
    main()
