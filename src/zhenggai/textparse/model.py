"""The typed contract of textparse: frozen dataclasses, every node with its span.

A span is ``(start, end)``, a half-open range of character offsets into the
decoded text that the reader produced, so every fact points back to its source.
Nothing here imports Django.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

Span = tuple[int, int]
Severity = Literal["error", "warning", "info"]
Precision = Literal["day", "month", "year"]
FindingKind = Literal["category", "issue", "problem"]
SectionKind = Literal["organisation", "findings", "long_term", "next_steps", "other"]
StatusHint = Literal["done", "in_progress", "ongoing"]
DocType = Literal["progress_notice", "feedback", "plan", "unknown"]
#: The kind of inspection the opening sentence or the title names.
InspectionKind = Literal["常规", "专项", "提级", "交叉", "机动", "回头看"]


@dataclass(frozen=True, slots=True)
class Diagnostic:
    """Something the reader or a check could not read cleanly, or a defect."""

    code: str
    severity: Severity
    message: str
    span: Span


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date written in the text, normalised.

    ``value`` is the first day the text can mean (``2022年7月`` is 2022-07-01 with
    precision ``month``); ``end`` is the last day it can mean, or the end of a
    range (``2022年1月-6月`` ends 2022-06-30). ``qualifier`` keeps the words that
    change its sense: ``before`` (…前), ``since`` (…以来), ``end`` (…底),
    ``early``/``mid``/``late`` (上旬/中旬/下旬). A date that cannot be read
    (``330日``) has ``value=None`` and ``malformed=True``; it is never guessed.
    """

    text: str
    span: Span
    value: dt.date | None
    precision: Precision | None
    malformed: bool = False
    end: dt.date | None = None
    qualifier: str | None = None
    year_inferred: bool = False


@dataclass(frozen=True, slots=True)
class Amount:
    """A sum of money, in exact yuan (``4.54万元`` is ``Decimal('45400.00')``)."""

    text: str
    span: Span
    yuan: Decimal


@dataclass(frozen=True, slots=True)
class DocumentRef:
    """A title in 《》: a rule the unit made (``established``) or one it cited."""

    title: str
    span: Span
    established: bool


@dataclass(frozen=True, slots=True)
class Accountability:
    """An accountability action (提醒谈话, 诫勉谈话 …), with a head count if stated."""

    action: str
    span: Span
    count: int | None = None


@dataclass(frozen=True, slots=True)
class Responsible:
    """Who answers for a measure: 责任领导, 责任部门, 责任人, and 配合单位 (``cooperating``)."""

    leader: str | None = None
    department: str | None = None
    person: str | None = None
    cooperating: str | None = None


@dataclass(frozen=True, slots=True)
class Deadline:
    """A stated deadline: a date, ``long_term`` (长期坚持) or ``immediate`` (立行立改)."""

    text: str
    value: dt.date | None
    kind: Literal["date", "long_term", "immediate"]


@dataclass(frozen=True, slots=True)
class Measure:
    ordinal: int
    text: str
    span: Span
    dates: tuple[DateMention, ...] = ()
    amounts: tuple[Amount, ...] = ()
    documents: tuple[DocumentRef, ...] = ()
    accountability: tuple[Accountability, ...] = ()
    status_hint: StatusHint | None = None
    responsible: Responsible | None = None
    deadline: Deadline | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    """A node of the findings tree. ``description`` holds the sentences that state the
    problem's facts (the text between its heading and its measures, children or the next
    heading), with ``description_span`` into the document text; empty when none."""

    kind: FindingKind
    number: str | None
    title: str
    span: Span
    children: tuple[Finding, ...] = ()
    measures: tuple[Measure, ...] = ()
    description: str = ""
    description_span: Span | None = None


@dataclass(frozen=True, slots=True)
class Section:
    number: str | None
    title: str
    span: Span
    kind: SectionKind


@dataclass(frozen=True, slots=True)
class Inspection:
    inspecting_group: str | None = None
    inspected_unit: str | None = None
    period_start: dt.date | None = None
    period_end: dt.date | None = None
    feedback_date: dt.date | None = None
    kind: InspectionKind | None = None


@dataclass(frozen=True, slots=True)
class FeedbackChannels:
    phone: str | None = None
    address: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    sha256: str
    chars: int


@dataclass(frozen=True, slots=True)
class Counts:
    categories: int
    issues: int
    problems: int
    measures: int


@dataclass(frozen=True, slots=True)
class ParseResult:
    """Everything the parser read from one document."""

    source: Source
    text: str
    doc_type: DocType
    title: str | None
    inspection: Inspection
    sections: tuple[Section, ...]
    findings: tuple[Finding, ...]
    stats: dict[str, int | Decimal]
    counts: Counts
    feedback_channels: FeedbackChannels
    diagnostics: tuple[Diagnostic, ...] = field(default=())
    signature: str | None = None
    signed_date: DateMention | None = None


def iter_findings(findings: tuple[Finding, ...] | list[Finding]) -> Iterator[Finding]:
    """Every finding of a tree in document order (parents before their children)."""
    for f in findings:
        yield f
        yield from iter_findings(f.children)
