"""A round from a document: feedback letter, plan or progress notice.

``import_preview`` reads and parses without writing; ``round_import`` creates the
round, its findings tree, measures, departments and outcomes in one transaction.
The same document twice in one unit gives the round already made: the same file (same
digest), or the same text in another format or re-saved with other spacing (the same
``text_fingerprint``), whether it began its round or was imported into it later
(``SourceDocument``). Every import keeps the document's text as a ``SourceDocument`` that the
spans of its findings and measures point into; ``ledger.merge`` imports a later document
(a plan, a progress notice) into a round that exists.

``import_parse`` is the parse of an upload from the web: in a child process with a time
and memory budget (``IMPORT_PARSE_SECONDS``, ``IMPORT_PARSE_MEMORY_MB``), once per upload;
its result is kept with the upload and handed to ``import_preview`` and ``round_import``
(``result=``), which then parse nothing again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_record
from zhenggai.errors import InvalidInput
from zhenggai.textparse import budget
from zhenggai.textparse.model import Finding as ParsedFinding
from zhenggai.textparse.model import Measure as ParsedMeasure
from zhenggai.textparse.model import ParseResult, iter_findings
from zhenggai.textparse.numerals import fold_width
from zhenggai.textparse.parse import parse_document
from zhenggai.textparse.reader import ReadError, read_bytes
from zhenggai.textparse.serialize import dump_result, load_result
from zhenggai.units.models import Unit, UnitKind
from zhenggai.units.services import unit_get_or_create

from .documents import KIND_OF_DOC_TYPE
from .models import (
    DocumentKind,
    Finding,
    Measure,
    MeasureKind,
    Outcome,
    OutcomeKind,
    Round,
    RoundKind,
    SourceDocument,
)
from .policy import EDIT_ROLES, require_role
from .services import deadline_bounds, round_create

_MONEY_BACK = re.compile(r"退回|上交|清退|追缴|退还|返还|收回|追回|国库|挽回")


@dataclass
class OutcomePlan:
    kind: str
    title: str
    amount: Any = None
    count: int | None = None
    source_text: str = ""
    measure_key: tuple[int, int] | None = None  # (problem index, measure ordinal)


@dataclass
class ImportPreview:
    """What an import would create, shown to the clerk before confirming."""

    name: str
    sha256: str
    result: ParseResult
    existing: Round | None
    text_sha256: str = ""
    departments: list[str] = field(default_factory=list)
    outcomes: list[OutcomePlan] = field(default_factory=list)
    #: The later document of ``existing`` that is this one (None: the one it began with).
    existing_document: SourceDocument | None = None

    @property
    def same_file(self) -> bool:
        """The round already made is from this very file (not only the same text)."""
        if self.existing_document is not None:
            return self.existing_document.sha256 == self.sha256
        return self.existing is not None and self.existing.source_sha256 == self.sha256

    @property
    def existing_name(self) -> str:
        """The name of the file already imported with this text."""
        if self.existing_document is not None:
            return self.existing_document.name
        return self.existing.source_name if self.existing is not None else ""

    @property
    def counts(self) -> dict[str, int]:
        c = self.result.counts
        return {
            "categories": c.categories,
            "issues": c.issues,
            "problems": c.problems,
            "measures": c.measures,
        }


def _read(data: bytes, name: str) -> ParseResult:
    try:
        doc = read_bytes(data, name)
    except ReadError as exc:
        raise InvalidInput(str(exc), field="file") from exc
    return _check(parse_document(doc), name)


def _check(result: ParseResult, name: str) -> ParseResult:
    if result.counts.problems == 0:
        tables = [d.message for d in result.diagnostics if d.code == "table-unrecognised"]
        detail = f"（{tables[0]}）" if tables else ""
        raise InvalidInput(
            f"未能从“{name}”中识别出问题清单{detail}：请确认这是巡察反馈意见、整改方案或整改进展通报",
            field="file",
        )
    return result


def import_parse(*, data: bytes, name: str) -> ParseResult:
    """Read and parse an upload within the time and memory budget; nothing is written.

    Raises InvalidInput (field "file") for a file that cannot be read, is past a limit,
    overruns the budget ("文档过于复杂，解析超时") or holds no list of problems.
    """
    seconds = float(getattr(settings, "IMPORT_PARSE_SECONDS", budget.DEFAULT_SECONDS))
    memory = int(getattr(settings, "IMPORT_PARSE_MEMORY_MB", budget.DEFAULT_MEMORY_BYTES >> 20)) << 20
    try:
        result = budget.read_and_parse(data, name, seconds=seconds, memory_bytes=memory)
    except ReadError as exc:
        raise InvalidInput(str(exc), field="file") from exc
    return _check(result, name)


def parse_stored(result: ParseResult) -> bytes:
    """The parse in the form kept with an upload until its confirmation."""
    return dump_result(result).encode("utf-8")


def parse_restored(stored: bytes | None) -> ParseResult | None:
    """The parse kept by ``parse_stored``, or None when there is none or it is unreadable."""
    if not stored:
        return None
    try:
        return load_result(stored)
    except ValueError:
        return None


def _parsed(data: bytes, name: str, result: ParseResult | None) -> ParseResult:
    """The parse of these bytes: the one given (made by ``import_parse``), or a new one."""
    if result is None:
        return _read(data, name)
    if result.source.sha256 != hashlib.sha256(data).hexdigest():
        raise InvalidInput("识别结果与上传的文件不一致，请重新上传", field="file")
    return _check(result, name)


def _outcomes(result: ParseResult) -> list[OutcomePlan]:
    plans: list[OutcomePlan] = []
    rules_seen: set[str] = set()
    problems = [f for f in iter_findings(result.findings) if f.kind == "problem"]
    for pi, p in enumerate(problems):
        for m in p.measures:
            key = (pi, m.ordinal)
            for d in m.documents:
                if d.established and d.title not in rules_seen:
                    rules_seen.add(d.title)
                    plans.append(
                        OutcomePlan(OutcomeKind.RULE, d.title, source_text=f"《{d.title}》", measure_key=key)
                    )
            for a in m.amounts:
                lo = max(m.span[0], a.span[0] - 16)
                context = result.text[lo : min(a.span[1] + 8, m.span[1])]
                if _MONEY_BACK.search(context):
                    plans.append(
                        OutcomePlan(
                            OutcomeKind.MONEY, a.text, amount=a.yuan, source_text=context, measure_key=key
                        )
                    )
            for acc in m.accountability:
                plans.append(
                    OutcomePlan(
                        OutcomeKind.ACCOUNTABILITY,
                        acc.action,
                        count=acc.count,
                        source_text=result.text[acc.span[0] : acc.span[1]],
                        measure_key=key,
                    )
                )
    return plans


def _departments(result: ParseResult) -> list[str]:
    names: list[str] = []
    for f in iter_findings(result.findings):
        for m in f.measures:
            if m.responsible and m.responsible.department and m.responsible.department not in names:
                names.append(m.responsible.department)
    return names


_BLANKS = re.compile(r"[\s\u200b\u200c\u200d\u2060\ufeff]+")


def text_fingerprint(text: str) -> str:
    """SHA-256 of a document's text with every blank removed and the width folded ("" for a
    text with nothing in it): what the same letter as .docx, .pdf and .txt has in common."""
    bare = _BLANKS.sub("", fold_width(text))
    return hashlib.sha256(bare.encode("utf-8")).hexdigest() if bare else ""


def _existing(unit: Unit, sha: str, text_sha: str) -> Round | None:
    return _existing_with_document(unit, sha, text_sha)[0]


def _existing_with_document(
    unit: Unit, sha: str, text_sha: str
) -> tuple[Round | None, SourceDocument | None]:
    """The live round of ``unit`` already made from this file or this text, and the later
    document of it that is this one (None when the round began with it)."""
    same_file = Round.objects.filter(unit=unit, source_sha256=sha).first()
    if same_file is not None:
        return same_file, None
    if text_sha:
        same_text = Round.objects.filter(unit=unit, source_text_sha256=text_sha).order_by("pk").first()
        if same_text is not None:
            return same_text, None
    live = SourceDocument.objects.filter(unit=unit, round__deleted_at__isnull=True).select_related("round")
    doc = live.filter(sha256=sha).order_by("pk").first()
    if doc is None and text_sha:
        doc = live.filter(text_sha256=text_sha).order_by("pk").first()
    if doc is None:
        return None, None
    return doc.round, (None if doc.round.source_text_sha256 == doc.text_sha256 else doc)


def import_preview(*, data: bytes, name: str, unit: Unit, result: ParseResult | None = None) -> ImportPreview:
    """Read and parse an uploaded document (or take ``result``, its parse); nothing is written."""
    result = _parsed(data, name, result)
    sha = hashlib.sha256(data).hexdigest()
    text_sha = text_fingerprint(result.text)
    existing, document = _existing_with_document(unit, sha, text_sha)
    return ImportPreview(
        name, sha, result, existing, text_sha, _departments(result), _outcomes(result), document
    )


def _round_kind(title: str) -> str:
    if "回头看" in title:
        return RoundKind.LOOKBACK
    if "专项" in title:
        return RoundKind.SPECIAL
    if "机动" in title:
        return RoundKind.MOBILE
    return RoundKind.REGULAR


def _measure_kind(m: ParsedMeasure) -> str:
    if m.deadline is not None and m.deadline.kind == "long_term":
        return MeasureKind.LONG_TERM
    if m.deadline is not None and m.deadline.kind == "immediate":
        return MeasureKind.IMMEDIATE
    if m.status_hint == "ongoing":
        return MeasureKind.LONG_TERM
    return MeasureKind.DEADLINE


def suggestion_in_bounds(round: Round, suggested: dt.date | None) -> dt.date | None:
    """A deadline the document suggests, kept only when the round would accept it as a deadline
    (``services.deadline_bounds``): a misread ``1999年`` or ``2099年`` is not offered to be taken."""
    if suggested is None:
        return None
    low, high, _ = deadline_bounds(round)
    return suggested if low <= suggested <= high else None


def _suggested_deadline(m: ParsedMeasure, feedback: dt.date | None) -> dt.date | None:
    if m.deadline is not None and m.deadline.value is not None:
        return m.deadline.value
    for d in m.dates:  # 要求…在2022年7月底前完成
        if (
            d.value is not None
            and d.qualifier in ("before", "end")
            and (feedback is None or d.value >= feedback)
        ):
            return d.end or d.value
    return None


def round_import(
    *, actor: Actor, unit: Unit, data: bytes, name: str, result: ParseResult | None = None
) -> tuple[Round, bool]:
    """Create a round from a document; returns ``(round, created)``. All or nothing.

    ``result`` is the document's parse from ``import_parse`` (kept since the preview);
    without it the document is read and parsed here."""
    require_role(actor, unit, EDIT_ROLES, "导入巡察文件")
    preview = import_preview(data=data, name=name, unit=unit, result=result)
    if preview.existing is not None:
        return preview.existing, False
    try:
        with transaction.atomic():
            return _create(actor, unit, preview), True
    except IntegrityError:
        # Another request imported the same file a moment ago.
        existing = _existing(unit, preview.sha256, preview.text_sha256)
        if existing is None:
            raise
        return existing, False


def _create(actor: Actor, unit: Unit, preview: ImportPreview) -> Round:
    r = preview.result
    insp = r.inspection
    title = r.title or preview.name.rsplit(".", 1)[0]
    round_ = round_create(
        actor=actor,
        unit=unit,
        title=title[:200],
        kind=_round_kind(title),
        inspecting_group=insp.inspecting_group or "",
        period_start=insp.period_start,
        period_end=insp.period_end,
        feedback_date=insp.feedback_date,
        source_name=preview.name[:255],
        source_sha256=preview.sha256,
        source_text_sha256=preview.text_sha256,
        source_doc_type=r.doc_type,
    )
    document = document_create(
        actor=actor,
        round=round_,
        kind=KIND_OF_DOC_TYPE.get(r.doc_type, DocumentKind.OTHER),
        name=preview.name,
        sha256=preview.sha256,
        text_sha256=preview.text_sha256,
        result=r,
        summary={"counts": preview.counts, "created_round": True},
    )
    departments = {
        name: unit_get_or_create(actor=actor, name=name[:100], parent=unit, kind=UnitKind.DEPARTMENT)
        for name in preview.departments
    }
    position = 0
    measures: list[Measure] = []
    measure_keys: list[tuple[int, int]] = []
    problem_index = 0

    def add(f: ParsedFinding, parent: Finding | None) -> None:
        nonlocal position, problem_index
        position += 1
        node = Finding.objects.create(
            round=round_,
            unit=unit,
            parent=parent,
            kind=f.kind,
            number=(f.number or "")[:20],
            title=f.title[:500] or "（无标题）",
            description=finding_description(f),
            position=position,
            source=document,
            span_start=f.span[0],
            span_end=f.span[1],
        )
        if f.kind == "problem":
            pi = problem_index
            problem_index += 1
        else:
            pi = -1
        for i, m in enumerate(f.measures, 1):
            resp = m.responsible
            measures.append(
                Measure(
                    round=round_,
                    unit=unit,
                    finding=node,
                    position=i,
                    text=m.text.strip() or "（空）",
                    kind=_measure_kind(m),
                    status_hint=m.status_hint or "",
                    suggested_deadline=suggestion_in_bounds(
                        round_, _suggested_deadline(m, insp.feedback_date)
                    ),
                    leader_hint=((resp.leader if resp else None) or "")[:50],
                    person_hint=((resp.person if resp else None) or "")[:50],
                    department_hint=((resp.department if resp else None) or "")[:100],
                    department=departments.get(resp.department) if resp and resp.department else None,
                    cooperating_hint=cooperating(m),
                    source=document,
                    span_start=m.span[0],
                    span_end=m.span[1],
                )
            )
            measure_keys.append((pi, m.ordinal))
        for c in f.children:
            add(c, node)

    for f in r.findings:
        add(f, None)
    created = Measure.objects.bulk_create(measures, batch_size=500)
    by_key = {k: m for k, m in zip(measure_keys, created, strict=True) if k[0] >= 0}
    Outcome.objects.bulk_create(
        [
            Outcome(
                round=round_,
                unit=unit,
                measure=by_key.get(o.measure_key) if o.measure_key else None,
                kind=o.kind,
                title=o.title[:300],
                amount_yuan=o.amount,
                count=o.count,
                source_text=o.source_text[:300],
            )
            for o in preview.outcomes
        ]
    )
    audit_record(
        actor=actor,
        action="round.import",
        obj=round_,
        unit_id=unit.pk,
        after={
            "file": preview.name,
            "document": document.pk,
            "sha256": preview.sha256,
            "counts": preview.counts,
            "outcomes": len(preview.outcomes),
            "departments": list(departments),
        },
    )
    return round_


def finding_description(f: ParsedFinding) -> str:
    """The sentences that state a problem's facts (the parser's ``description``)."""
    return (getattr(f, "description", None) or "").strip()


def cooperating(m: ParsedMeasure) -> str:
    """配合单位 as the plan wrote them, for ``Measure.cooperating_hint``."""
    resp = m.responsible
    return ((getattr(resp, "cooperating", None) if resp else None) or "").strip()[:300]


def document_create(
    *,
    actor: Actor,
    round: Round,
    kind: str,
    name: str,
    sha256: str,
    text_sha256: str,
    result: ParseResult,
    summary: dict[str, Any],
) -> SourceDocument:
    """Keep an imported document's text with its round (inside the import's transaction; the
    import's own audit event names it)."""
    doc = SourceDocument(
        round=round,
        unit=round.unit,
        kind=kind,
        name=name[:255],
        sha256=sha256,
        text_sha256=text_sha256,
        doc_type=result.doc_type[:30],
        text=result.text,
        summary=summary,
        imported_by=actor if getattr(actor, "pk", None) else None,
    )
    doc.full_clean(exclude=["imported_by"])
    doc.save()
    return doc
