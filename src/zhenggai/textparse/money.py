"""Sums of money in yuan: ``8976元``, ``4.54万元``, ``五十万元``, ``罚款9万``.

Every amount is an exact :class:`~decimal.Decimal` of yuan quantized to fen
(0.01); floats never appear. Matching runs on a width-folded copy of the text
(``１２万元`` reads as ``12万元``) and the ``text`` of each amount is sliced from
the original, so spans stay valid for the caller.

All patterns are anchored on the start of a digit run (a look-behind rejects a
start in the middle of one), so a megabyte of digits or of ``万`` is scanned in
linear time.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, localcontext

from .model import Amount
from .numerals import CN_DIGITS, cn_to_int, fold_width

__all__ = ["find_amounts", "parse_yuan"]

_FEN = Decimal("0.01")
# Integer parts longer than this are not money in any public notice (10^15
# yuan); refusing them also keeps int()/Decimal away from megabyte numbers.
_MAX_INT_DIGITS = 15

# A Chinese numeral must start with a digit or 十: a lone 万/千 (上万元, 数万元)
# is an estimate, not an amount. 幺 and the full-width Ｏ are left out (幺 is a
# phone-reading habit, Ｏ is folded to ASCII before matching).
_CN_START = "".join(ch for ch in CN_DIGITS if ch not in "幺Ｏ") + "十拾"
_CN_BODY = _CN_START + "百佰千仟万萬亿億"
_ALL_NUMERAL = "0-9" + _CN_BODY

_UNIT_VALUE = {
    "十": 10,
    "百": 100,
    "千": 1000,
    "万": 10_000,
    "亿": 100_000_000,
    "拾": 10,
    "佰": 100,
    "仟": 1000,
    "萬": 10_000,
    "億": 100_000_000,
}

_AMOUNT_RE = re.compile(
    rf"""
    (?:                                        # the start of a number, never inside one
        (?<![0-9])(?<![0-9][.,])
        (?P<arabic>[0-9]{{1,3}}(?:,[0-9]{{3}})+(?:\.[0-9]+)?|[0-9]+(?:\.[0-9]+)?)
      | (?<![{_ALL_NUMERAL}])
        (?P<cn>[{_CN_START}][{_CN_BODY}]*)
    )
    (?P<about1>[余多])?
    (?P<unit>[十百千拾佰仟]?[万萬亿億]|[十百千拾佰仟])?
    (?P<about2>[余多])?
    (?P<yuan>元(?![旦月化素件宵]))?             # 元旦, 元月 … are not money
    """,
    re.VERBOSE,
)

# Words that make a bare ``9万`` money when they precede it in the clause.
_MONEY_WORDS = re.compile(
    "罚款|资金|金额|费用|税费|款|退回|上交|收入|支付|清退|追缴|补缴|经费|收费|赔偿|损失"
)
# Counting words: ``6.5万份``, ``20余万台``, ``11万余台`` are counts, not money.
_COUNTERS = frozenset(
    "份台人张次辆户个件起名条项处套场册本盏株棵只头亩平米方吨斤公家所位篇期批组块座栋间部支把根元"
)
_CLAUSE_BREAK = frozenset("。;!?\n\r,，、")
_CONTEXT_WINDOW = 30


def _value(m: re.Match[str]) -> Decimal | None:
    """The yuan value of one amount match, or None when it cannot be read."""
    multiplier = 1
    unit = m.group("unit")
    if unit:
        for ch in unit:
            multiplier *= _UNIT_VALUE[ch]
    arabic = m.group("arabic")
    with localcontext() as ctx:
        # Enough precision for 15 integer digits times 万亿 plus fen.
        ctx.prec = 60
        if arabic is not None:
            digits = arabic.replace(",", "")
            if len(digits.split(".")[0]) > _MAX_INT_DIGITS:
                return None
            number = Decimal(digits)
        else:
            cn = m.group("cn")
            if len(cn) > 2 * _MAX_INT_DIGITS:
                return None
            parsed = cn_to_int(cn)
            if parsed is None or parsed >= 10**_MAX_INT_DIGITS:
                return None
            number = Decimal(parsed)
        # Fen are rounded half up (四舍五入), as Chinese accounts round.
        return (number * multiplier).quantize(_FEN, rounding=ROUND_HALF_UP)


def _ends_in_big_unit(m: re.Match[str]) -> bool:
    """True when the number is scaled by 万 or 亿 (``9万``, ``五十万``)."""
    if m.group("unit"):
        return m.group("unit")[-1] in "万萬亿億"
    cn = m.group("cn")
    return bool(cn) and cn[-1] in "万萬亿億"


def _money_context(folded: str, start: int) -> bool:
    """True when a money word precedes ``start`` within its clause."""
    lo = start
    limit = max(0, start - _CONTEXT_WINDOW)
    while lo > limit and folded[lo - 1] not in _CLAUSE_BREAK:
        lo -= 1
    return _MONEY_WORDS.search(folded, lo, start) is not None


def _followed_by_counter(folded: str, end: int) -> bool:
    """True when a counting word follows (``万份``, ``万余台``)."""
    return end < len(folded) and folded[end] in _COUNTERS


def find_amounts(text: str) -> list[Amount]:
    """Every sum of money in ``text``, in order, with non-overlapping spans.

    An amount is a number (Arabic, possibly with thousands commas or a decimal
    point, or Chinese) with an optional ``余``/``多`` and scale (千, 万, 亿),
    followed by ``元``. A number scaled by 万 or 亿 but without ``元`` counts only
    when a money word (罚款, 资金, 税费 …) precedes it in the same clause and no
    counting word (份, 台, 人 …) follows it. Phone numbers, dates, counts and
    percentages carry no ``元`` and are never amounts.
    """
    folded = fold_width(text)
    found: list[Amount] = []
    for m in _AMOUNT_RE.finditer(folded):
        if m.group("yuan") is None:
            if not _ends_in_big_unit(m):
                continue
            if _followed_by_counter(folded, m.end()):
                continue
            if not _money_context(folded, m.start()):
                continue
        value = _value(m)
        if value is None:
            continue
        found.append(Amount(text=text[m.start() : m.end()], span=(m.start(), m.end()), yuan=value))
    return found


def parse_yuan(s: str) -> Decimal | None:
    """Read one amount string as exact yuan: ``"4.54万元"`` → ``Decimal("45400.00")``.

    Accepts the forms of :func:`find_amounts` (with or without ``元``, full- or
    half-width, ``余``/``多`` ignored) and a trailing per-unit suffix such as
    ``元/位``. A bare number is read as yuan. Returns ``None`` for anything else.
    """
    folded = fold_width(s).strip()
    if "/" in folded:
        # 230元/位: the price per unit is the amount.
        folded = folded.split("/", 1)[0].rstrip()
    m = _AMOUNT_RE.fullmatch(folded)
    if m is None:
        return None
    return _value(m)
