"""Chinese and Arabic numerals, and the width-folding that keeps offsets intact."""

from __future__ import annotations

import functools
import re
from decimal import Decimal

CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "○": 0,
    "Ｏ": 0,
    "一": 1,
    "壹": 1,
    "幺": 1,
    "二": 2,
    "贰": 2,
    "貳": 2,
    "两": 2,
    "兩": 2,
    "三": 3,
    "叁": 3,
    "參": 3,
    "四": 4,
    "肆": 4,
    "五": 5,
    "伍": 5,
    "六": 6,
    "陆": 6,
    "陸": 6,
    "七": 7,
    "柒": 7,
    "八": 8,
    "捌": 8,
    "九": 9,
    "玖": 9,
}
CN_UNITS = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000}
CN_BIG_UNITS = {"万": 10_000, "萬": 10_000, "亿": 100_000_000, "億": 100_000_000}

#: Characters that may make up a Chinese numeral (for building regexes).
CN_NUMERAL_CHARS = "".join(CN_DIGITS) + "".join(CN_UNITS) + "".join(CN_BIG_UNITS)
#: Characters of the small ordinals used in headings and enumerations (一 … 九十九).
CN_ORDINAL_CHARS = "零〇一二三四五六七八九十两"

CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"

# Full-width ASCII variants and a few look-alikes folded one-to-one, so that a
# folded copy of a text has the same length and offsets as the original.
_FOLD = {cp: cp - 0xFEE0 for cp in range(0xFF01, 0xFF5F)}
_FOLD.update({0x3000: 0x20, 0x3001: 0x3001})
FOLD_TABLE = _FOLD


_WIDE = re.compile("[\uff01-\uff5e\u3000]")


def fold_width(text: str) -> str:
    """Fold full-width ASCII (``１．（）：；``) to half-width, keeping every offset."""
    if len(text) > 4096:
        return _fold_large(text)
    return text.translate(FOLD_TABLE) if _WIDE.search(text) else text


@functools.lru_cache(maxsize=4)
def _fold_large(text: str) -> str:
    # Every fact finder folds the whole document; fold it once.
    return text.translate(FOLD_TABLE) if _WIDE.search(text) else text


def cn_to_int(s: str) -> int | None:
    """Read a Chinese numeral (``十二``, ``二十一``, ``一百零五``, ``五十万``, ``二〇二二``).

    A run of bare digits such as ``二〇二二`` is read digit by digit (years).
    Returns ``None`` when ``s`` is not a numeral.
    """
    if not s:
        return None
    if all(ch in CN_DIGITS for ch in s):
        if len(s) == 1:
            return CN_DIGITS[s]
        value = 0
        for ch in s:
            value = value * 10 + CN_DIGITS[ch]
        return value
    total = 0
    section = 0
    digit: int | None = None
    for ch in s:
        if ch in CN_DIGITS:
            digit = CN_DIGITS[ch]
        elif ch in CN_UNITS:
            unit = CN_UNITS[ch]
            section += (1 if digit is None else digit) * unit
            digit = None
        elif ch in CN_BIG_UNITS:
            big = CN_BIG_UNITS[ch]
            section += digit or 0
            if section == 0:
                return None
            total += section * big
            section = 0
            digit = None
        else:
            return None
    section += digit or 0
    return total + section


def number_value(s: str) -> int | None:
    """An ordinal written in Arabic digits (any width), Chinese, or circled form."""
    s = fold_width(s.strip())
    if not s:
        return None
    if s.isascii() and s.isdigit():
        return int(s)
    if len(s) == 1 and s in CIRCLED:
        return CIRCLED.index(s) + 1
    return cn_to_int(s)


def cn_decimal(s: str) -> Decimal | None:
    """A Chinese or Arabic quantity as a Decimal (``五十`` → 50, ``4.54`` → 4.54)."""
    s = fold_width(s.strip()).replace(",", "")
    if not s:
        return None
    try:
        return Decimal(s)
    except ArithmeticError:  # decimal.InvalidOperation: not Arabic digits
        pass
    value = cn_to_int(s)
    return None if value is None else Decimal(value)
