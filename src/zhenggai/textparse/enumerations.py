"""Splitting a body of text into measures at its inline enumeration.

Measures are written 一是…二是…, 第一，…第二，…, 首先…其次…, or as inline lists
一、…；二、…, (1)…(2)…, ①…②…. Real documents lose an ordinal (``;是结合``) or run
one on without a break (``宣传教育二是印制``); both are read and reported.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from .model import Diagnostic, Span
from .numerals import CIRCLED, cn_to_int

_CN = "一二三四五六七八九十"
_BOUNDARY = set(":;。,、!?)\n\t ") | {"　"}

# Words a clause cannot end on: text that stops on one of them was cut off.
DANGLING = (
    "全部",
    "已经",
    "已",
    "将",
    "对",
    "在",
    "把",
    "被",
    "共计",
    "共",
    "的",
    "和",
    "与",
    "及",
    "并",
    "向",
    "从",
    "于",
    "为",
    "给",
    "使",
    "就",
    "均",
    "正在",
    "以及",
    "或",
    "而且",
    "由",
    "自",
    "比",
    "同时",
    "对于",
    "关于",
    "通过",
    "进行",
    "开展了",
    "按照",
    "根据",
)


def ends_dangling(s: str) -> bool:
    """True when ``s`` stops where no sentence can stop (a dangling word or a bare number)."""
    s = s.rstrip(" \u3000")
    if not s:
        return False
    if s[-1].isdigit():
        return True
    return s.endswith(DANGLING)


@dataclass(frozen=True, slots=True)
class _Token:
    value: int
    start: int  # where the ordinal begins
    end: int  # where the measure text begins
    missing: bool = False


@dataclass(frozen=True, slots=True)
class Split:
    """Measures found in a body: ``(ordinal, start, end)`` spans and diagnostics."""

    measures: tuple[tuple[int, int, int], ...]
    diagnostics: tuple[Diagnostic, ...]
    enumerated: bool


_SHI = re.compile(rf"([{_CN}]{{1,3}})是(?![否指为的])")
_SHI_MISSING = re.compile(r"[;。]\s*是(?![否指为的非])(?=[\u4e00-\u9fff])")
_DI = re.compile(rf"第([{_CN}]{{1,3}})\s*[,、:]")
_FIRST = re.compile(r"(首先|其次|再次|然后|最后|此外)\s*[,、:]?")
_CN_DUN = re.compile(rf"([{_CN}]{{1,3}})\s*、")
_ARABIC = re.compile(r"\(\s*(\d{1,2})\s*\)|(\d{1,2})\s*[.、)](?![\d.])")
_CIRC = re.compile(rf"[{CIRCLED}]")


def _boundary_before(norm: str, pos: int, lo: int) -> bool:
    return pos <= lo or norm[pos - 1] in _BOUNDARY


def _sequence(tokens: Sequence[_Token], norm: str, lo: int, *, strict_boundary: bool) -> list[_Token]:
    """Keep the tokens that form the run 1, 2, 3, … in order.

    The first ordinal must stand at a boundary; later ones may run on (a defect
    the caller reports) unless ``strict_boundary``.
    """
    out: list[_Token] = []
    expected = 1
    for t in tokens:
        if t.missing:
            if out:
                out.append(_Token(expected, t.start, t.end, True))
                expected += 1
            continue
        if t.value != expected:
            continue
        if (expected == 1 or strict_boundary) and not _boundary_before(norm, t.start, lo):
            continue
        out.append(t)
        expected += 1
    return out


def _shi_tokens(norm: str, ranges: Sequence[Span]) -> list[_Token]:
    tokens: list[_Token] = []
    for a, b in ranges:
        found = [_Token(cn_to_int(m.group(1)) or 0, m.start(), m.end()) for m in _SHI.finditer(norm, a, b)]
        found += [_Token(0, m.start() + 1, m.end(), True) for m in _SHI_MISSING.finditer(norm, a, b)]
        tokens.extend(sorted(found, key=lambda t: t.start))
    return tokens


def _simple_tokens(rx: re.Pattern[str], norm: str, ranges: Sequence[Span]) -> list[_Token]:
    tokens = []
    for a, b in ranges:
        for m in rx.finditer(norm, a, b):
            if rx is _CIRC:
                value = CIRCLED.index(m.group(0)) + 1
            elif rx is _ARABIC:
                value = int(m.group(1) or m.group(2))
            else:
                value = cn_to_int(m.group(1)) or 0
            tokens.append(_Token(value, m.start(), m.end()))
    return tokens


def _first_tokens(norm: str, ranges: Sequence[Span]) -> list[_Token]:
    out: list[_Token] = []
    for a, b in ranges:
        for m in _FIRST.finditer(norm, a, b):
            word = m.group(1)
            if not out and word != "首先":
                continue
            if out and word == "首先":
                continue
            value = len(out) + 1
            if not _boundary_before(norm, m.start(), a):
                continue
            out.append(_Token(value, m.start(), m.end()))
    return out if len(out) >= 2 else []


def split_measures(norm: str, ranges: Sequence[Span]) -> Split:
    """Split the body paragraphs ``ranges`` of ``norm`` into measures.

    Chooses the enumeration scheme with the longest ordered run; with none, each
    paragraph is one measure.
    """
    if not ranges:
        return Split((), (), False)
    lo = ranges[0][0]
    hi = ranges[-1][1]
    candidates: list[tuple[str, list[_Token]]] = [
        ("shi", _sequence(_shi_tokens(norm, ranges), norm, lo, strict_boundary=False)),
        ("di", _sequence(_simple_tokens(_DI, norm, ranges), norm, lo, strict_boundary=True)),
        ("first", _first_tokens(norm, ranges)),
        ("cn", _sequence(_simple_tokens(_CN_DUN, norm, ranges), norm, lo, strict_boundary=True)),
        ("ar", _sequence(_simple_tokens(_ARABIC, norm, ranges), norm, lo, strict_boundary=True)),
        ("circ", _sequence(_simple_tokens(_CIRC, norm, ranges), norm, lo, strict_boundary=True)),
    ]
    best_name, best = max(candidates, key=lambda c: len(c[1]))
    if not best or (best_name != "shi" and len(best) < 2):
        measures = []
        for i, (a, b) in enumerate(ranges, 1):
            measures.append((i, a, b))
        return Split(tuple(measures), (), False)
    diags: list[Diagnostic] = []
    measures = []
    for i, tok in enumerate(best):
        end = best[i + 1].start if i + 1 < len(best) else hi
        a, b = _trim(norm, tok.end, end)
        if a < b:
            measures.append((len(measures) + 1, a, b))
        if tok.missing:
            diags.append(
                Diagnostic(
                    "ordinal-missing",
                    "warning",
                    f"序号缺失：此处应为“{_cn(tok.value)}是”，只写了“是”",
                    (tok.start, tok.end),
                )
            )
        elif best_name == "shi" and tok.value > 1 and not _boundary_before(norm, tok.start, lo):
            before = norm[max(lo, tok.start - 12) : tok.start]
            if ends_dangling(before):
                diags.append(
                    Diagnostic(
                        "sentence-truncated",
                        "warning",
                        f"句子不完整：“{before[-6:]}”后句子被截断，直接接上了“{_cn(tok.value)}是”",
                        (max(lo, tok.start - 6), tok.end),
                    )
                )
            else:
                diags.append(
                    Diagnostic(
                        "ordinal-run-on",
                        "warning",
                        f"序号“{_cn(tok.value)}是”前缺少分隔的标点（应为“；{_cn(tok.value)}是”）",
                        (max(lo, tok.start - 4), tok.end),
                    )
                )
    return Split(tuple(measures), tuple(diags), True)


def _trim(norm: str, a: int, b: int) -> tuple[int, int]:
    while a < b and norm[a] in " \u3000\n\t:":
        a += 1
    while b > a and norm[b - 1] in " \u3000\n\t":
        b -= 1
    return a, b


def _cn(v: int) -> str:
    digits = "零一二三四五六七八九"
    if v <= 10:
        return "十" if v == 10 else digits[v]
    tens, ones = divmod(v, 10)
    return (digits[tens] if tens > 1 else "") + "十" + (digits[ones] if ones else "")
