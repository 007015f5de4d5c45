"""A node's body into measures, each with the responsibility written for it.

The body of a problem holds its statement, labels (问题表现： / 整改措施： / 原因分析：),
the measures (numbered lines, an inline 一是…二是…, or plain sentences) and the
responsibility runs (责任领导：…). Only the text after a 整改措施 label is measures when
there is one; responsibility stated before the measures, or once after all of them,
applies to each; a run right after a measure is that measure's own.
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from . import responsibility
from .enumerations import split_measures
from .markers import MEASURE_LABELS, match_label
from .model import Diagnostic, Span
from .responsibility import Resp, is_resp_line


@dataclass(slots=True)
class RawMeasure:
    ordinal: int
    start: int
    end: int
    responsible: dict[str, str] = field(default_factory=dict)
    deadline_text: str | None = None


_DESCRIPTION_LABELS = (
    "问题表现",
    "问题描述",
    "问题内容",
    "具体表现",
    "存在问题",
    "存在的问题",
    "原因分析",
    "原因剖析",
    "整改目标",
    "整改标准",
    "整改要求",
    "典型案例",
    "例证",
)


def label_kind(s: str) -> Literal["measure", "other"] | None:
    """Whether ``s`` starts with a label of measures (整改措施：), another label, or none."""
    if ":" not in s[:16] or is_resp_line(s):  # every label is a short word and a colon
        return None
    lab = match_label(s)
    if lab is None:
        return None
    name = lab.group("label")
    return "measure" if name in MEASURE_LABELS and name not in _DESCRIPTION_LABELS else "other"


@dataclass(slots=True)
class BodyReading:
    measures: list[RawMeasure]
    shared: dict[str, str]  # fields stated for the whole node (they apply below it too)
    blocks: list[Resp]  # every responsibility run of the body
    texts: list[Span]  # the text read as measures
    diagnostics: list[Diagnostic]


def read_body(
    text: str,
    norm: str,
    body: Sequence[Span],
    *,
    measure_from: int | None,
    marks: Mapping[int, int],
    inherited: Mapping[str, str],
) -> BodyReading:
    """Split a node's ``body`` lines into measures and give each its responsibility.

    ``measure_from`` is where the measures begin (text above it is the problem's
    statement), ``marks`` the lines that each start a measure (line start → text start),
    ``inherited`` the fields stated for a part above the node.
    """
    pieces: list[tuple[int, int, bool]] = []  # measure text: (start, end, starts a measure)
    blocks: list[Resp] = []
    reading = True  # False after a label of the statement (原因分析：) below the measures
    for a, b in sorted(body):
        s = norm[a:b]
        if measure_from is not None and a < measure_from:
            # The statement of the problem: only its responsibility lines count.
            if is_resp_line(s):
                blocks.extend(responsibility.scan(text, norm, a, b)[1])
            continue
        kind = label_kind(s)
        if kind is not None:
            lab = match_label(s)
            if kind == "other" or lab is None:
                if measure_from is not None:
                    reading = False
                continue
            reading = True
            a += lab.end()
        texts, found = responsibility.scan(text, norm, a, b)
        blocks.extend(found)
        if not reading:
            continue
        mark = marks.get(a)
        for i, (ta, tb) in enumerate(texts):
            starts = i == 0 and mark is not None and ta <= mark < tb
            piece = _trim_piece(norm, mark if starts and mark is not None else ta, tb)
            if piece is not None:
                pieces.append((piece[0], piece[1], starts))
    if not pieces:
        return BodyReading([], responsibility.merged(blocks), blocks, [], [])
    diagnostics: list[Diagnostic] = []
    if any(starts for _, _, starts in pieces):
        spans = _marked(pieces, blocks)
    else:
        spans = _split(norm, pieces, diagnostics)
    measure_starts = [a for _, a, _ in spans]
    own: dict[int, list[Resp]] = defaultdict(list)
    before: list[Resp] = []
    for blk in blocks:
        i = bisect.bisect_right(measure_starts, blk.start) - 1
        (before if i < 0 else own[i]).append(blk)
    last = len(spans) - 1
    if last >= 1 and not before and set(own) == {last} and not any(x.paren for x in own[last]):
        before = own.pop(last)  # written once after all the measures: it is for each of them
    shared = responsibility.merged(before)
    base = {**inherited, **shared}
    measures = []
    for i, (ordinal, a, b) in enumerate(spans):
        fields = {**base, **responsibility.merged(own.get(i, []))}
        deadline = fields.pop("deadline", None)
        measures.append(RawMeasure(ordinal, a, b, fields, deadline))
    return BodyReading(measures, shared, blocks, [(a, b) for a, b, _ in pieces], diagnostics)


def _marked(pieces: list[tuple[int, int, bool]], blocks: list[Resp]) -> list[tuple[int, int, int]]:
    """Measures that each start on a numbered line; unnumbered text goes on the one
    above unless responsibility lines stand between them."""
    spans: list[list[int]] = []
    bi = 0
    for a, b, starts in pieces:
        after_resp = False
        while bi < len(blocks) and blocks[bi].start < a:
            after_resp = after_resp or (bool(spans) and blocks[bi].start >= spans[-1][1])
            bi += 1
        if starts or not spans or after_resp:
            spans.append([a, b])
        else:
            spans[-1][1] = b
    return [(i, a, b) for i, (a, b) in enumerate(spans, 1)]


def _split(
    norm: str, pieces: list[tuple[int, int, bool]], diagnostics: list[Diagnostic]
) -> list[tuple[int, int, int]]:
    """Measures of an inline enumeration (一是…二是…), kept off the lines between."""
    ranges = [(a, b) for a, b, _ in pieces]
    split = split_measures(norm, ranges)
    diagnostics.extend(split.diagnostics)
    starts = [a for a, _ in ranges]
    out = []
    for ordinal, a, b in split.measures:
        i = bisect.bisect_left(starts, b) - 1
        if i >= 0:
            b = max(a, min(b, ranges[i][1]))
        while b > a and norm[b - 1] in " \u3000\t\n":
            b -= 1
        if b > a:
            out.append((ordinal, a, b))
    return out


def _trim_piece(norm: str, a: int, b: int) -> Span | None:
    """A measure's text without the punctuation left around a cut; None when nothing is left."""
    while a < b and norm[a] in " \u3000\t:;,、":
        a += 1
    while b > a and norm[b - 1] in " \u3000\t:;,、(":
        b -= 1
    if not any(ch not in "。;,、:)( \u3000\t" for ch in norm[a:b]):
        return None
    return a, b
