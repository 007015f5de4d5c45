"""The complexity tests' own measures tell linear work from quadratic work, without a clock."""

from __future__ import annotations

import itertools
import re

from tests.textparse.growth import LINEAR_CPU_GROWTH, LINEAR_GROWTH, cpu_growth, growth


def _digits(n: int) -> str:
    return "1" * n


def _pairs_linear(text: str) -> int:
    return sum(1 for a, b in itertools.pairwise(text) if a == b)


def _pairs_quadratic(text: str) -> int:
    found = 0
    for i in range(len(text)):
        for j in range(i):
            found += text[j] == text[i]
    return found


_RUN_THEN_X = re.compile(r"[0-9]+x")  # retried at each digit of a run: quadratic in C
_WHOLE_RUN_THEN_X = re.compile(r"(?<![0-9])[0-9]+x")  # starts only at a run: linear


def test_finding13_the_work_count_tells_a_quadratic_python_loop_from_a_linear_one():
    assert growth(_pairs_linear, _digits, 300) < LINEAR_GROWTH
    assert growth(_pairs_quadratic, _digits, 300) > 3 * LINEAR_GROWTH


def test_finding13_the_cpu_ratio_sees_quadratic_work_inside_one_regex_call():
    assert growth(_RUN_THEN_X.search, _digits, 500) < LINEAR_GROWTH  # one call either way: no count sees it
    assert cpu_growth(_RUN_THEN_X.search, _digits, 500) > 2 * LINEAR_CPU_GROWTH
    assert cpu_growth(_WHOLE_RUN_THEN_X.search, _digits, 20_000) < LINEAR_CPU_GROWTH
