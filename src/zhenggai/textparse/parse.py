"""The parser: decoded text in, a ``ParseResult`` out.

Facts (dates, money, documents, accountability) are found once over the whole
text and handed to the measures whose spans hold them, so cost stays linear in
the size of the document.
"""

from __future__ import annotations

import bisect
import dataclasses
import gc
import hashlib
import os
import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from . import chrome, facts, money
from . import dates as dates_mod
from .measures import RawMeasure
from .model import (
    Counts,
    DateMention,
    Deadline,
    Diagnostic,
    Finding,
    Inspection,
    Measure,
    ParseResult,
    Responsible,
    Section,
    Source,
    Span,
)
from .numerals import fold_width
from .outline import Node, Outline, build_outline

if TYPE_CHECKING:
    from .reader import Document


class _Spanned(Protocol):
    @property
    def span(self) -> Span: ...


T = TypeVar("T", bound=_Spanned)


class _Index(Generic[T]):
    """Facts sorted by start, to hand each measure the ones inside its span."""

    def __init__(self, items: Sequence[T]) -> None:
        self.items = sorted(items, key=lambda x: x.span[0])
        self.starts = [x.span[0] for x in self.items]

    def within(self, a: int, b: int) -> tuple[T, ...]:
        i = bisect.bisect_left(self.starts, a)
        out = []
        while i < len(self.items) and self.starts[i] < b:
            if self.items[i].span[1] <= b:
                out.append(self.items[i])
            i += 1
        return tuple(out)


def parse_document(doc: Document) -> ParseResult:
    """Parse a document the reader produced."""
    return parse_text(doc.text, name=os.path.basename(doc.name) or doc.name, sha256=doc.sha256)


def parse_text(text: str, *, name: str = "<text>", sha256: str | None = None) -> ParseResult:
    """Parse decoded text of a rectification document (feedback, plan or notice)."""
    if sha256 is None:
        sha256 = hashlib.sha256(text.encode("utf-8")).hexdigest()
    # The parse allocates many small objects and frees them together; the cyclic
    # collector's full passes over a growing heap would make cost grow faster
    # than the text. Pause it for the parse (the cycles of the outline's parent
    # links are collected when it resumes).
    collecting = gc.isenabled()
    gc.disable()
    try:
        content = chrome.mask(text)  # web-page chrome blanked; same length, same offsets
        norm = fold_width(content)
        outline = build_outline(content, norm)
        result = _Assembler(content, norm, outline).result(Source(name, sha256, len(text)))
        return result if content is text else dataclasses.replace(result, text=text)
    finally:
        if collecting:
            gc.enable()


class _Assembler:
    def __init__(self, text: str, norm: str, outline: Outline) -> None:
        self.text = text
        self.norm = norm
        self.outline = outline
        self.diagnostics: list[Diagnostic] = list(outline.diagnostics)
        opening_end = max(outline.opening[1], min(len(text), 2000))
        inspection, diags = dates_mod.find_inspection(text[:opening_end])
        inspection = dataclasses.replace(inspection, kind=dates_mod.find_inspection_kind(text[:opening_end]))
        self.inspection: Inspection = inspection
        self.diagnostics.extend(diags)
        floor = inspection.feedback_date.year if inspection.feedback_date else None
        if floor is None and inspection.period_start:
            floor = inspection.period_start.year
        self.base_year = floor
        # A plan repeats its deadlines (完成时限：2026年12月31日) down its measures.
        self.deadlines: dict[str, Deadline | None] = {}
        self.dates = dates_mod.find_dates(text, year=floor, floor_year=floor)
        self.date_index = _Index(self.dates)
        self.amounts = _Index(money.find_amounts(text))
        self.documents = _Index(facts.find_documents(text))
        self.accountability = _Index(facts.find_accountability(text))
        for d in self.dates:
            if d.malformed:
                self.diagnostics.append(
                    Diagnostic("date-malformed", "warning", _malformed_message(d), d.span)
                )

    def result(self, source: Source) -> ParseResult:
        o = self.outline
        findings = tuple(self._finding(n) for n in o.findings)
        counts = _count(findings)
        sections = tuple(
            Section(s.number, self._orig(s.title, s.span[0]), s.span, s.kind) for s in o.sections
        )
        channels_text = self.text[o.closing[0] : o.closing[1]] if o.closing else self.text[-1500:]
        signed = None
        if o.signed_date_span:
            a, b = o.signed_date_span
            found = dates_mod.find_dates(self.text[a:b])
            if found:
                d = found[0]
                signed = DateMention(
                    d.text,
                    (a + d.span[0], a + d.span[1]),
                    d.value,
                    d.precision,
                    d.malformed,
                    d.end,
                    d.qualifier,
                    d.year_inferred,
                )
        self.diagnostics.sort(key=lambda d: (d.span[0], d.code))
        return ParseResult(
            source=source,
            text=self.text,
            doc_type=o.doc_type,
            title=o.title,
            inspection=self.inspection,
            sections=sections,
            findings=findings,
            stats=facts.find_stats(self._headline_text()),
            counts=counts,
            feedback_channels=facts.find_channels(channels_text),
            diagnostics=tuple(self.diagnostics),
            signature=o.signature[0] if o.signature else None,
            signed_date=signed,
        )

    def _headline_text(self) -> str:
        """The text outside the measures, where headline figures stand."""
        parts = []
        pos = 0
        for a, b in sorted(self.outline.measure_bodies):
            if a > pos:
                parts.append(self.text[pos:a])
            pos = max(pos, b)
            parts.append("\n")
        parts.append(self.text[pos:])
        return "".join(parts)

    def _orig(self, title: str, hint: int) -> str:
        """The title as written in the original text (titles are read on the folded copy)."""
        if not title:
            return title
        i = self.norm.find(title, hint)
        return self.text[i : i + len(title)] if i >= 0 else title

    def _finding(self, node: Node) -> Finding:
        assert node.kind is not None  # noqa: S101  for the type checker: finding nodes have a kind
        desc = node.description
        return Finding(
            kind=node.kind,
            number=node.number,
            title=self._orig(node.title, node.start),
            span=(node.start, node.end),
            children=tuple(self._finding(c) for c in node.children),
            measures=tuple(self._measure(m) for m in node.measures),
            description=self.text[desc[0] : desc[1]] if desc else "",
            description_span=desc,
        )

    def _measure(self, m: RawMeasure) -> Measure:
        a, b = m.start, m.end
        body = self.text[a:b]
        responsible = None
        if m.responsible:
            responsible = Responsible(
                m.responsible.get("leader"),
                m.responsible.get("department"),
                m.responsible.get("person"),
                m.responsible.get("cooperating"),
            )
        deadline: Deadline | None = None
        if m.deadline_text:
            text = m.deadline_text
            if text not in self.deadlines:
                self.deadlines[text] = dates_mod.parse_deadline(text, year=self.base_year)
            deadline = self.deadlines[text]
        return Measure(
            ordinal=m.ordinal,
            text=body,
            span=(a, b),
            dates=self.date_index.within(a, b),
            amounts=self.amounts.within(a, b),
            documents=self.documents.within(a, b),
            accountability=self.accountability.within(a, b),
            status_hint=facts.status_hint(body),
            responsible=responsible,
            deadline=deadline,
        )


def _malformed_message(d: DateMention) -> str:
    m = re.fullmatch(r"(\d{3,4})日", fold_width(d.text))
    if m:
        digits = m.group(1)
        month, day = (digits[0], digits[1:]) if len(digits) == 3 else (digits[:2], digits[2:])
        return f"日期无法识别：“{d.text}”，可能是“{int(month)}月{int(day)}日”，请核对原文"
    return f"日期无法识别：“{d.text}”，请核对原文"


def _count(findings: Sequence[Finding]) -> Counts:
    c = {"category": 0, "issue": 0, "problem": 0, "measures": 0}

    def visit(f: Finding) -> None:
        c[f.kind] += 1
        c["measures"] += len(f.measures)
        for ch in f.children:
            visit(ch)

    for f in findings:
        visit(f)
    return Counts(c["category"], c["issue"], c["problem"], c["measures"])
