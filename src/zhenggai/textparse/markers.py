"""Line-level reading: which lines are headings, labels, closings or table rows.

Everything here works on the width-folded copy of the text (``numerals.fold_width``),
which has the same offsets as the original, so spans found here are spans of the
original text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from .numerals import CIRCLED, number_value

_CN = "一二三四五六七八九十"

# Heading markers, tried in order on the start of a stripped line. Each gives a
# *family* (markers of one family sit at one level; 1) and (1) are one family
# because real documents mix them) and a *style* (the exact form, for the
# consistency check).
_MARKERS: tuple[tuple[str, str, re.Pattern[str]], ...] = (
    ("cn", "一、", re.compile(rf"([{_CN}]{{1,3}})\s*[、.](?![{_CN}]是)")),
    ("cnp", "(一)", re.compile(rf"\(\s*([{_CN}]{{1,3}})\s*\)\s*[、.]?")),
    ("ar", "1.", re.compile(r"(\d{1,3})\s*\.(?![\d.])")),
    ("ar", "1、", re.compile(r"(\d{1,3})\s*、")),
    ("arp", "(1)", re.compile(r"\(\s*(\d{1,3})\s*\)\s*[、.]?")),
    ("arp", "1)", re.compile(r"(\d{1,3})\s*\)")),
    ("circ", "①", re.compile(rf"([{CIRCLED}])\s*[、.]?")),
    ("fb", "反馈问题一", re.compile(rf"(?:巡察|巡视)?反馈(?:意见)?问题\s*([{_CN}\d]{{1,3}})\s*[:、.]?")),
    ("fb", "问题一", re.compile(rf"问题\s*([{_CN}\d]{{1,3}})\s*[:、.]")),
)

# Unnumbered headings of the genre (whole short lines): 关于“……”问题的整改, 针对……问题.
_UNNUMBERED = re.compile(
    r"(?:关于|针对)\s*(?P<t>.{2,100}?)\s*(?:问题|整改(?:落实|完成|进展)?情况|的整改|整改)\s*[:。]?$"
)
_NOT_A_TITLE = re.compile(r"[“\"]?(?:上述|以上|这些|此类|该|前述|有关|相关|巡察|巡视|反馈)")

# Labels that introduce a block of text inside a node.
_LABEL = re.compile(
    r"(?P<label>整改(?:落实|完成|推进)?(?:情况|措施|举措|进展|进度|结果|成效)|主要措施|落实情况|工作措施|具体措施|"
    r"问题(?:表现|描述|内容)|具体表现|存在(?:的)?问题|原因(?:分析|剖析)|整改(?:目标|标准|要求|时限)|"
    r"典型案例|例证)\s*[:]"
)
MEASURE_LABELS = frozenset(
    {
        "整改情况",
        "整改落实情况",
        "整改完成情况",
        "整改推进情况",
        "整改措施",
        "整改举措",
        "整改进展",
        "整改进度",
        "整改结果",
        "整改成效",
        "整改落实措施",
        "主要措施",
        "落实情况",
        "工作措施",
        "具体措施",
        "整改落实进展",
        "整改推进措施",
    }
)

# A closing paragraph ends every open node (the public-feedback invitation and
# the contact lines).
_CLOSING = re.compile(
    r"(?:欢迎(?:广大)?(?:干部群众|党员干部|社会各界|群众)|如(?:有|对).{0,20}(?:意见|建议)|"
    r"联系(?:电话|方式|人)\s*[:]|(?:邮寄|通信|通讯|邮政|来信)地址\s*[:]|电子邮箱\s*[:]|特此通报|特此报告)"
)


@dataclass(frozen=True, slots=True)
class Line:
    """One line of the text: ``start``/``end`` bound its stripped content."""

    start: int
    end: int
    text: str  # folded, stripped

    @property
    def is_table_row(self) -> bool:
        return "\t" in self.text


@dataclass(frozen=True, slots=True)
class Heading:
    family: str
    style: str
    number: str | None  # as written
    value: int | None  # numeric value of the number
    title: str
    title_start: int  # offset of the title in the text
    rest_start: int | None  # where text after the title begins, if any


_STRIP = " \t\u3000\xa0\ufeff\r"


def iter_lines(norm: str) -> Iterator[Line]:
    """Yield every non-empty line of ``norm`` with offsets of its stripped content."""
    pos = 0
    n = len(norm)
    while pos <= n:
        nl = norm.find("\n", pos)
        if nl < 0:
            nl = n
        a, b = pos, nl
        # A table row keeps its tabs (empty leading cells are merged cells).
        strip = _STRIP.replace("\t", "") if "\t" in norm[a:b] else _STRIP
        while a < b and norm[a] in strip:
            a += 1
        while b > a and norm[b - 1] in strip:
            b -= 1
        if a < b:
            yield Line(a, b, norm[a:b])
        pos = nl + 1


def _title_end(text: str, start: int) -> int:
    """Where the title of a heading line ends: at the first full stop or colon
    followed by more text, else at the end of the line."""
    for i in range(start, len(text)):
        ch = text[i]
        if ch in "。:" and i + 1 < len(text):
            return i
    return len(text)


def match_heading(line: Line) -> Heading | None:
    """Read a heading marker at the start of ``line``, or None."""
    s = line.text
    for family, style, rx in _MARKERS:
        m = rx.match(s)
        if not m:
            continue
        after = m.end()
        while after < len(s) and s[after] in " \u3000":
            after += 1
        if after >= len(s):
            return None  # a bare number is not a heading
        if family == "arp" and style == "1)" and s[after] in "月日":
            return None
        number = m.group(1)
        t_end = _title_end(s, after)
        title = _clean_title(s[after:t_end])
        rest = t_end + 1 if t_end < len(s) else None
        style = _exact_style(style, s[: m.end()])
        return Heading(
            family,
            style,
            number,
            number_value(number),
            title,
            line.start + after,
            None if rest is None else line.start + rest,
        )
    if len(s) <= 120 and s.startswith(("关于", "针对")):
        m = _UNNUMBERED.match(s)
        if m and not _NOT_A_TITLE.match(m.group("t")) and not any(c in m.group("t") for c in "。;"):
            family = "guanyu" if s.startswith("关于") else "zhendui"
            return Heading(family, family, None, None, _clean_title(s), line.start, None)
    return None


def _exact_style(style: str, marker: str) -> str:
    """Distinguish 1. from 1、 and (1) from 1) as written (for the consistency check)."""
    m = marker.strip()
    if style in ("1.", "1、"):
        return "1、" if "、" in m else "1."
    if style in ("(1)", "1)"):
        return "(1)" if m.startswith("(") else "1)"
    return style


_TAIL = re.compile(r"(?:等)?(?:方面)?(?:的)?(?:问题)?(?:的)?(?:整改(?:落实|完成|进展)?(?:情况)?)?$")


def _unquote(t: str) -> str:
    t = t.strip()
    if len(t) >= 2 and t[0] in '“"' and t[-1] in '”"' and t.count("“") <= 1 and t.count("”") <= 1:
        t = t[1:-1]
    return t.strip()


def _clean_title(t: str) -> str:
    """A title as stated: without a 关于/针对 wrapper, quotes, and a 问题/的整改情况 tail."""
    t = t.strip(" \u3000:。;,")
    if t.startswith(("针对", "关于")):
        core = t[2:]
        stripped = _TAIL.sub("", core)
        if stripped != core or t.startswith("针对"):
            t = _unquote(stripped) or t
    return t.strip(" \u3000:。;,")


def match_label(s: str) -> re.Match[str] | None:
    """A label such as ``整改情况：`` at the start of ``s``."""
    return _LABEL.match(s)


def is_closing(s: str) -> bool:
    """True for the closing invitation to public supervision and the contact lines."""
    return bool(_CLOSING.match(s)) or (len(s) < 200 and bool(_CLOSING.search(s[:40])))
