"""Responsibility written in a plan's text: 责任领导：…；责任部门：…；完成时限：….

A plan gives each measure (or a whole problem) a leader, a department, cooperating units,
a person and a deadline, with many names for each field, in any order, one to a line or
several on one line, or in brackets after the measure. This module finds those runs of
fields and cuts them out of the measure text; the outline decides which measure each
run belongs to. Works on the width-folded text (same offsets as the original); values
are returned as written in the original.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from .markers import Line
from .model import Diagnostic, Span

# Each name a plan gives a field, and the field it fills.
RESP_KEY = {
    "责任领导": "leader",
    "牵头领导": "leader",
    "分管领导": "leader",
    "整改责任领导": "leader",
    "责任部门": "department",
    "责任单位": "department",
    "牵头单位": "department",
    "牵头部门": "department",
    "责任科室": "department",
    "责任股室": "department",
    "整改责任部门": "department",
    "整改责任单位": "department",
    "配合单位": "cooperating",
    "配合部门": "cooperating",
    "责任人": "person",
    "具体责任人": "person",
    "整改责任人": "person",
    "完成时限": "deadline",
    "整改时限": "deadline",
    "完成时间": "deadline",
    "整改期限": "deadline",
    "完成期限": "deadline",
    "时间节点": "deadline",
}
_RESP = re.compile(r"[(]?\s*(?P<k>" + "|".join(sorted(RESP_KEY, key=len, reverse=True)) + r")\s*[:]\s*")
# A deadline written as a bracketed word at the end of a measure: …（长期坚持）。
_TERM_TAIL = re.compile(r"[(]\s*(?P<w>长期坚持|立行立改|持续整改|长期整改)\s*[)][\s。;,]*$")
_VALUE_STRIP = " \u3000\t;,、。:)("
_FIELD_BREAK = frozenset(" \u3000\t;,。、:)")


@dataclass(slots=True)
class Resp:
    """A run of responsibility fields: a line of them, or a bracket at a measure's end."""

    start: int
    end: int
    fields: dict[str, str]
    paren: bool
    keys: list[int]  # where each field name stands (for the check of unattached ones)


def resp_matches(norm: str, a: int, b: int) -> list[re.Match[str]]:
    """The field names in ``norm[a:b]``: at its start, in brackets, or after a break
    (``…制度，责任领导：``), never inside a sentence (``明确责任人：…``)."""
    if norm.find(":", a, b) < 0:
        return []
    return [
        m
        for m in _RESP.finditer(norm, a, b)
        if m.start() == a or norm[m.start()] in "( \u3000\t" or norm[m.start() - 1] in _FIELD_BREAK
    ]


def is_resp_line(s: str) -> bool:
    """True when ``s`` (a stripped, folded line) starts with a responsibility field."""
    return _RESP.match(s) is not None


def scan(text: str, norm: str, a: int, b: int) -> tuple[list[Span], list[Resp]]:
    """Cut ``norm[a:b]`` into text ranges and responsibility runs, both in order."""
    texts: list[Span] = []
    blocks: list[Resp] = []
    pos = a
    matches = resp_matches(norm, a, b)
    i = 0
    while i < len(matches):
        m = matches[i]
        paren = norm[m.start()] == "("
        end = b
        if paren:
            close = norm.find(")", m.end(), b)
            if close >= 0:
                end = close + 1
        j = i + 1
        while j < len(matches) and matches[j].start() < end:
            j += 1
        group = matches[i:j]
        fields: dict[str, str] = {}
        for g, nxt in zip(group, [*group[1:], None], strict=True):
            vb = nxt.start() if nxt is not None else (end - 1 if paren and norm[end - 1] == ")" else end)
            value = _value(text, norm, g.end(), vb)
            key = RESP_KEY[g.group("k")]
            if value and key not in fields:
                fields[key] = value
        if m.start() > pos:
            texts.append((pos, m.start()))
        blocks.append(Resp(m.start(), end, fields, paren, [g.start("k") for g in group]))
        pos = end
        i = j
    if pos < b:
        texts.append((pos, b))
    # A bracketed 长期坚持 / 立行立改 closing a measure is its deadline.
    for k, (ta, tb) in enumerate(texts):
        p = norm.rfind("(", ta, tb)  # the words hold no bracket: only the last one can open it
        t = _TERM_TAIL.match(norm, p, tb) if p >= 0 else None
        if t is not None:
            texts[k] = (ta, t.start())
            blocks.append(Resp(t.start(), tb, {"deadline": text[t.start("w") : t.end("w")]}, True, []))
    blocks.sort(key=lambda x: x.start)
    return texts, blocks


def _value(text: str, norm: str, a: int, b: int) -> str:
    """A field's value as written: up to the first full stop or semicolon, trimmed."""
    for stop in (";", "。"):
        i = norm.find(stop, a, b)
        if i >= 0:
            b = i
    while a < b and norm[a] in _VALUE_STRIP:
        a += 1
    while b > a and norm[b - 1] in _VALUE_STRIP:
        b -= 1
    return text[a:b]


def merged(blocks: Sequence[Resp]) -> dict[str, str]:
    """The fields of several runs; the first one to state a field gives it."""
    out: dict[str, str] = {}
    for blk in blocks:
        for k, v in blk.fields.items():
            out.setdefault(k, v)
    return out


def unattached(norm: str, lines: Sequence[Line], attached: set[int]) -> Iterator[Diagnostic]:
    """One warning for each line whose responsibility reached no measure."""
    for ln in lines:
        if ln.is_table_row:
            continue  # a table's columns are read by ``tables``
        for m in resp_matches(norm, ln.start, ln.end):
            k = m.start("k")
            if k not in attached:
                yield Diagnostic(
                    "responsibility-unattached",
                    "warning",
                    f"责任分工未对应到任何整改措施：此处的“{m.group('k')}”等内容没有读到所属的措施，"
                    "请核对措施的编号和位置",
                    (k, ln.end),
                )
                break
