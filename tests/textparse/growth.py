"""Work counts for the complexity tests of textparse.

The suite has no wall-clock threshold (docs/style.md, "Tests do not time things"): a
threshold fails on a busy machine and passes a slow algorithm on a fast one. A
complexity claim is checked instead at two sizes in the same run:

- :func:`growth` counts the work a function does, which depends neither on the
  machine nor on its load: the Python lines it runs plus the calls it makes, to
  Python functions and to C ones (each regex search, each ``str`` method). From
  ``n`` to ``4n`` a linear scan does about four times the work, a quadratic one
  sixteen.
- :func:`cpu_growth` covers what no count can see, the work inside one C call (a
  regex engine backtracking over a long run), with a ratio of the thread's CPU time
  for the same amount of text read as one long input or as many short ones.

The seconds these inputs take are figures of ``bench/bench_textparse.py``.
"""

from __future__ import annotations

import gc
import sys
import time
from collections.abc import Callable
from types import FrameType
from typing import Any

# Growth of the count from n to 4n allowed: a linear scan gives 4 (less with a fixed
# part), n log n about 4.6 at these sizes, a quadratic scan about 16.
LINEAR_GROWTH = 5.0
# CPU-time growth (see cpu_growth) allowed for a linear scan: 1, with room for a
# busy machine's noise; a quadratic scan gives about 16.
LINEAR_CPU_GROWTH = 4.0


def operations(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> int:
    """Python lines run plus calls made (Python and C) while ``fn(*args, **kwargs)`` runs."""
    count = 0

    def trace(frame: FrameType, event: str, arg: Any) -> Any:  # 'call', then 'line' and 'return'
        nonlocal count
        count += 1
        return trace

    def profile(frame: FrameType, event: str, arg: Any) -> None:
        nonlocal count
        if event == "c_call":
            count += 1

    old_trace, old_profile = sys.gettrace(), sys.getprofile()
    sys.settrace(trace)
    sys.setprofile(profile)
    try:
        fn(*args, **kwargs)
    finally:
        sys.settrace(old_trace)
        sys.setprofile(old_profile)
    return count


def growth(fn: Callable[[str], Any], make: Callable[[int], str], n: int) -> float:
    """How many times more work ``fn`` does on ``make(4 * n)`` than on ``make(n)``."""
    small, large = make(n), make(4 * n)
    assert len(large) >= 3 * len(small), "make(n) must grow with n"
    fn(small)  # first-call work (a regex compiled on first use, a cache filled) is not growth
    return operations(fn, large) / operations(fn, small)


def cpu_growth(fn: Callable[[str], Any], make: Callable[[int], str], n: int, factor: int = 16) -> float:
    """CPU time of one call on ``make(factor * n)`` over that of ``factor`` calls on ``make(n)``.

    The same amount of text either way: about 1 for a linear scan, about ``factor``
    for a quadratic one. This catches what :func:`operations` cannot see, work inside
    one C call (a regex backtracking over a long run). It is a ratio of the thread's
    CPU time inside one run, not a wall-clock threshold: time the thread spends
    waiting for a busy CPU is not charged to it, both sides are measured in turns
    (best of five each), and the garbage collector is held off so that a collection
    does not land on one side.
    """
    small, large = make(n), make(factor * n)
    assert len(large) >= (factor - 1) * len(small), "make(n) must grow with n"
    best_small = best_large = float("inf")
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(5):
            started = time.thread_time()
            for _ in range(factor):
                fn(small)
            best_small = min(best_small, time.thread_time() - started)
            started = time.thread_time()
            fn(large)
            best_large = min(best_large, time.thread_time() - started)
    finally:
        if was_enabled:
            gc.enable()
    return best_large / max(best_small, 1e-6)
