"""Hostile inputs of the text scanners (dates, money, facts), about ``n`` characters each.

Shared by the complexity tests (which measure the growth of work from one size to
a larger one, tests/textparse/growth.py) and by ``bench/bench_textparse.py`` (which
times them at a megabyte). Whole-document bombs are in ``bombs.py``.
"""

from __future__ import annotations

from collections.abc import Callable

Maker = Callable[[int], str]

DATES: dict[str, Maker] = {
    "digits": lambda n: "1" * n,
    "年月日": lambda n: "年月日" * (n // 3),
    "年": lambda n: "年" * n,
    "一": lambda n: "一" * n,
    "2022.": lambda n: "2022." * (n // 5),
    "2022年+digits": lambda n: "2022年" + "1" * n,
    "digits+日": lambda n: "3" * n + "日",
    "至": lambda n: "至" * n,
    "1年": lambda n: "1年" * (n // 2),
}

FACTS: dict[str, Maker] = {
    "digits": lambda n: "1" * n,
    "wan": lambda n: "万" * n,
    "open": lambda n: "《" * n,
    "pairs": lambda n: "《》" * (n // 2),
    "letters": lambda n: "a" * n,
    "spaces": lambda n: "电话" + " " * n,
    "actions": lambda n: "对3名诫勉" * (n // 5),
    "emails": lambda n: "a@b.cc " * (n // 7),
}

MONEY: dict[str, Maker] = {
    "digits": lambda n: "1" * n,
    "万": lambda n: "万" * n,
    "万元": lambda n: "万元" * (n // 2),
    "1.": lambda n: "1." * (n // 2),
    "一+元": lambda n: "一" * n + "元",
}
