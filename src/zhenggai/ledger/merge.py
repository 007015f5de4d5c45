"""A later document into a round that exists: the round grows document by document.

A round begins with whichever document comes first (``ledger.imports``). A plan (整改方案)
imported into it adds measures, with their responsibility and deadlines, to the problems it
matches, and fills what the round's measures leave empty; a progress notice (整改进展情况通报)
proposes progress and submission for review, item by item, which the clerk confirms.
``merge_preview`` reads and compares without writing: what matches (and what it would add),
what the document has that the round does not, what the round has that the document does not
mention, and the conflicts (a deadline or an owner that differs from the one already set, a
proposal over a reviewed state). ``round_merge_document`` does it, all or nothing, as one
audited event that names the kept document; after the plan is signed every change to the
plan is recorded as an amendment, as ``measure_create`` records it.

Nothing is ever set over a reviewed state without the clerk's tick: a measure awaiting review
or approved keeps its status (there is no progress to add to it), one approved as 阶段性完成
only takes the notice's progress when ticked, and a closed problem is never touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.db.models import Max

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_record
from zhenggai.errors import InvalidInput
from zhenggai.textparse.model import Finding as ParsedFinding
from zhenggai.textparse.model import Measure as ParsedMeasure
from zhenggai.textparse.model import ParseResult
from zhenggai.units.models import UnitKind
from zhenggai.units.services import unit_get_or_create

from . import services
from .documents import KIND_OF_DOC_TYPE
from .imports import (
    _measure_kind,
    _outcomes,
    _parsed,
    _suggested_deadline,
    cooperating,
    document_create,
    finding_description,
    suggestion_in_bounds,
    text_fingerprint,
)
from .matching import Candidate, match, text_similarity
from .models import (
    DocumentKind,
    Finding,
    FindingKind,
    Measure,
    MeasureStatus,
    Outcome,
    ProblemStatus,
    Round,
    SourceDocument,
)
from .policy import EDIT_ROLES, cleared_for, effective_sensitivity, require_role
from .services._common import _lock_round
from .services.plan import _amend_many

S = MeasureStatus
Kind = Literal["plan", "notice", "feedback"]

#: A document's measure this close to one of the problem's is that measure, not a new one.
SAME_MEASURE = 0.8
#: A notice's statement this close to a measure reports on that measure alone.
REPORTS_ON = 0.6

KIND_ZH = {"plan": "整改方案", "notice": "整改进展情况通报", "feedback": "反馈意见"}
HINT_ZH = {"done": "已完成", "in_progress": "整改中", "ongoing": "长期坚持、持续整改"}


@dataclass
class Addition:
    """A measure the document adds to a matched problem, as the first import would make it."""

    ordinal: int
    text: str
    kind: str
    status_hint: str
    leader: str
    department: str
    person: str
    cooperating: str
    suggested_deadline: dt.date | None
    deadline_text: str
    span: tuple[int, int]


@dataclass
class Fill:
    """What a document's measure adds to the same measure already in the round: only fields
    still empty there (``values``), shown as ``labels``."""

    measure: Measure
    values: dict[str, Any]
    labels: list[str]


@dataclass
class Proposal:
    """A notice's statement on one measure: progress (``action`` "progress"), or progress and
    submission for review ("submit"). ``blocked`` says why it cannot be applied; ``checked`` is
    the box's default (checked only where it changes no reviewed state)."""

    key: str
    measure: Measure | None
    addition: int | None
    action: Literal["progress", "submit"]
    text: str
    hint: str
    checked: bool
    blocked: str = ""
    note: str = ""

    @property
    def hint_label(self) -> str:
        return HINT_ZH.get(self.hint, "未写明")


@dataclass
class MatchPlan:
    """A problem of the round matched with one of the document, and what the import does to it."""

    finding: Finding
    number: str
    title: str
    score: float
    how: str
    additions: list[Addition] = field(default_factory=list)
    fills: list[Fill] = field(default_factory=list)
    same: int = 0
    conflicts: list[str] = field(default_factory=list)
    proposals: list[Proposal] = field(default_factory=list)
    description: str = ""
    span: tuple[int, int] = (0, 0)
    problem_index: int = 0


@dataclass
class MergePreview:
    """What importing a document into ``round`` would do, shown before the clerk confirms."""

    round: Round
    name: str
    sha256: str
    text_sha256: str
    result: ParseResult
    kind: Kind
    matches: list[MatchPlan]
    #: (number path, title) of the document's problems that match none of the round's.
    unmatched: list[tuple[str, str]]
    unmentioned: list[Finding]
    #: The same number path with a title that disagrees: never matched, shown.
    number_only: list[tuple[Finding, str]]
    #: This document is already part of the round (its first or a later document).
    already: str = ""
    #: The same text already imported into another round of the unit.
    elsewhere: Round | None = None
    departments: list[str] = field(default_factory=list)

    @property
    def kind_label(self) -> str:
        return KIND_ZH[self.kind]

    @property
    def conflicts(self) -> list[tuple[Finding, str]]:
        return [(m.finding, c) for m in self.matches for c in m.conflicts]

    @property
    def proposals(self) -> list[Proposal]:
        return [p for m in self.matches for p in m.proposals]

    @property
    def counts(self) -> dict[str, int]:
        return {
            "matched": len(self.matches),
            "unmatched": len(self.unmatched),
            "unmentioned": len(self.unmentioned),
            "measures_added": sum(len(m.additions) for m in self.matches),
            "measures_filled": sum(len(m.fills) for m in self.matches),
            "descriptions": sum(bool(m.description) for m in self.matches),
            "proposals": len(self.proposals),
            "conflicts": len(self.conflicts),
        }

    @property
    def changes(self) -> bool:
        c = self.counts
        return bool(c["measures_added"] or c["measures_filled"] or c["descriptions"] or c["proposals"])


def document_kind(result: ParseResult) -> Kind:
    """A progress notice proposes progress; anything with measures adds them as a plan does."""
    if result.doc_type == "progress_notice":
        return "notice"
    if result.counts.measures == 0 and result.doc_type == "feedback":
        return "feedback"
    return "plan"


def _paths(findings: list[Finding]) -> dict[int, tuple[str, ...]]:
    by_pk = {f.pk: f for f in findings}
    paths: dict[int, tuple[str, ...]] = {}

    def path(f: Finding) -> tuple[str, ...]:
        if f.pk not in paths:
            parent = by_pk.get(f.parent_id) if f.parent_id else None
            paths[f.pk] = (path(parent) if parent else ()) + (f.number,)
        return paths[f.pk]

    for f in findings:
        path(f)
    return paths


def _parsed_problems(result: ParseResult) -> list[tuple[tuple[str, ...], ParsedFinding]]:
    out: list[tuple[tuple[str, ...], ParsedFinding]] = []

    def walk(fs: tuple[ParsedFinding, ...], prefix: tuple[str, ...]) -> None:
        for f in fs:
            here = (*prefix, f.number or "")
            if f.kind == "problem":
                out.append((here, f))
            walk(f.children, here)

    walk(result.findings, ())
    return out


def _addition(m: ParsedMeasure, feedback: dt.date | None) -> Addition:
    resp = m.responsible
    return Addition(
        ordinal=m.ordinal,
        text=m.text.strip() or "（空）",
        kind=_measure_kind(m),
        status_hint=m.status_hint or "",
        leader=((resp.leader if resp else None) or "")[:50],
        department=((resp.department if resp else None) or "")[:100],
        person=((resp.person if resp else None) or "")[:50],
        cooperating=cooperating(m),
        suggested_deadline=_suggested_deadline(m, feedback),
        deadline_text=m.deadline.text if m.deadline else "",
        span=m.span,
    )


def _cn(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _compare(existing: Measure, a: Addition, conflicts: list[str]) -> Fill | None:
    """What ``a`` (the document's) adds to ``existing`` (the same measure): the fields still
    empty; a field set otherwise is a conflict, and the round's value stays."""
    values: dict[str, Any] = {}
    labels: list[str] = []
    short = existing.text[:20]
    dept_now = existing.department.name if existing.department_id and existing.department else ""
    dept_now = dept_now or existing.department_hint
    for label, now, new, key in (
        (
            "责任领导",
            (str(existing.leader) if existing.leader_id else "") or existing.leader_hint,
            a.leader,
            "leader_hint",
        ),
        ("责任部门", dept_now, a.department, "department_hint"),
        (
            "责任人",
            (str(existing.person) if existing.person_id else "") or existing.person_hint,
            a.person,
            "person_hint",
        ),
        ("配合单位", existing.cooperating_hint, a.cooperating, "cooperating_hint"),
    ):
        if not new:
            continue
        if not now:
            values[key] = new
            labels.append(f"{label}：{new}")
        elif now != new:
            conflicts.append(f"措施“{short}”的{label}已为“{now}”，文件中为“{new}”：保留已有的")
    deadline_now = existing.deadline or existing.suggested_deadline
    if a.suggested_deadline is not None:
        if deadline_now is None:
            values["suggested_deadline"] = a.suggested_deadline
            labels.append(f"建议完成时限：{_cn(a.suggested_deadline)}")
        elif deadline_now != a.suggested_deadline:
            conflicts.append(
                f"措施“{short}”的完成时限已为{_cn(deadline_now)}，文件中为{_cn(a.suggested_deadline)}：保留已有的"
            )
    return Fill(existing, values, labels) if values else None


def _proposal_for(
    key: str,
    status: str | None,
    text: str,
    hint: str,
    *,
    closed: bool,
    measure: Measure | None,
    addition: int | None,
) -> Proposal | None:
    if not text.strip() and not hint:
        return None
    action: Literal["progress", "submit"] = "submit" if hint == "done" else "progress"
    p = Proposal(key, measure, addition, action, text.strip(), hint, checked=True)
    if closed:
        p.checked, p.blocked = False, "该问题已销号，保持不变"
    elif status == S.PENDING_REVIEW:
        p.checked, p.blocked = False, "措施待审核，保持不变（由审核人审核）"
    elif status == S.DONE:
        p.checked, p.blocked = False, "措施已审核通过，保持不变"
    elif status == S.STAGE_DONE:
        p.checked, p.note = (
            False,
            "措施已审核为阶段性完成：勾选后才填报进展" + ("并提交审核" if action == "submit" else ""),
        )
    return p


def _notice_proposals(plan: MatchPlan, parsed: ParsedFinding, existing: list[Measure]) -> None:
    closed = plan.finding.status == ProblemStatus.CLOSED
    statements: list[tuple[str, str]] = [
        (m.text.strip(), m.status_hint or "") for m in parsed.measures if m.text.strip()
    ]
    if not statements:
        return
    if plan.additions:  # the notice's own measures become the problem's: each reports on itself
        for i, a in enumerate(plan.additions):
            p = _proposal_for(
                f"n{plan.finding.pk}-{i}",
                S.NOT_STARTED,
                a.text,
                a.status_hint,
                closed=closed,
                measure=None,
                addition=i,
            )
            if p is not None:
                plan.proposals.append(p)
        return
    hints = [h for _, h in statements]
    # Done only when every statement says so; else what the first unfinished one says.
    overall = "done" if all(h == "done" for h in hints) else next((h for h in hints if h and h != "done"), "")
    together = "；".join(t.rstrip("。；;") for t, _ in statements) + "。"
    for m in existing:
        best = max(statements, key=lambda s: text_similarity(m.text, s[0]))
        if text_similarity(m.text, best[0]) >= REPORTS_ON:
            text, hint = best
        else:
            text, hint = together, overall
        p = _proposal_for(f"m{m.pk}", m.status, text, hint, closed=closed, measure=m, addition=None)
        if p is not None:
            plan.proposals.append(p)


def merge_preview(
    *, actor: Actor, round: Round, data: bytes, name: str, result: ParseResult | None = None
) -> MergePreview:
    """Compare a document with ``round`` (its parse ``result`` from ``import_parse``, or parsed
    here); nothing is written. Only what ``actor`` is cleared for is compared."""
    result = _parsed(data, name, result)
    sha = hashlib.sha256(data).hexdigest()
    text_sha = text_fingerprint(result.text)
    kind = document_kind(result)
    findings = [
        f
        for f in Finding.objects.filter(round=round).order_by("position")
        if cleared_for(actor, f.sensitivity)
    ]
    paths = _paths(findings)
    ours = [Candidate(paths[f.pk], f.title, f) for f in findings if f.kind == FindingKind.PROBLEM]
    theirs = [Candidate(p, f.title, (i, f)) for i, (p, f) in enumerate(_parsed_problems(result))]
    matching = match(ours, theirs)
    matched_ids = [p.ours.item.pk for p in matching.pairs]
    measures: dict[int, list[Measure]] = {pk: [] for pk in matched_ids}
    for m in (
        Measure.objects.filter(finding_id__in=matched_ids)
        .select_related("finding", "leader", "person", "department")
        .order_by("position", "id")
    ):
        if cleared_for(actor, effective_sensitivity(m)):
            measures[m.finding_id].append(m)
    feedback = round.feedback_date or result.inspection.feedback_date
    plans: list[MatchPlan] = []
    for pair in matching.pairs:
        f = pair.ours.item
        index, parsed = pair.theirs.item
        plan = MatchPlan(
            f,
            "".join(pair.theirs.path),
            parsed.title,
            pair.score,
            pair.how,
            span=parsed.span,
            problem_index=index,
        )
        existing = measures[f.pk]
        description = finding_description(parsed)
        if description and not f.description:
            plan.description = description
        for pm in parsed.measures:
            a = _addition(pm, feedback)
            same = max(existing, key=lambda m: text_similarity(m.text, a.text), default=None)
            if same is not None and text_similarity(same.text, a.text) >= SAME_MEASURE:
                plan.same += 1
                if kind == "plan":
                    fill = _compare(same, a, plan.conflicts)
                    if fill is not None:
                        plan.fills.append(fill)
            elif kind == "plan" or not existing:
                plan.additions.append(a)
        if kind == "notice":
            _notice_proposals(plan, parsed, existing)
        if plan.additions and f.status == ProblemStatus.CLOSED:
            plan.conflicts.append("该问题已销号：文件中的措施不会加入")
            plan.additions = []
            plan.proposals = [p for p in plan.proposals if p.measure is not None]
        plans.append(plan)
    number_only = [(o.item, t.title) for o, t in matching.number_only]
    already = ""
    if (text_sha and round.source_text_sha256 == text_sha) or round.source_sha256 == sha:
        already = f"该文件（或内容相同的文件“{round.source_name}”）是本轮次导入时的文件"
    else:
        doc = SourceDocument.objects.filter(round=round, text_sha256=text_sha).first() if text_sha else None
        doc = doc or SourceDocument.objects.filter(round=round, sha256=sha).first()
        if doc is not None:
            already = f"内容相同的文件“{doc.name}”已于 {doc.imported_at:%Y-%m-%d %H:%M} 导入本轮次"
    elsewhere = None
    if not already:
        from .imports import _existing

        other = _existing(round.unit, sha, text_sha)
        elsewhere = other if other is not None and other.pk != round.pk else None
    known = {
        name
        for name in (
            *(a.department for m in plans for a in m.additions),
            *(fl.values.get("department_hint", "") for m in plans for fl in m.fills),
        )
        if name
    }
    return MergePreview(
        round=round,
        name=name,
        sha256=sha,
        text_sha256=text_sha,
        result=result,
        kind=kind,
        matches=plans,
        unmatched=[("".join(t.path), t.title) for t in matching.unmatched],
        unmentioned=[o.item for o in matching.unmentioned],
        number_only=number_only,
        already=already,
        elsewhere=elsewhere,
        departments=sorted(known),
    )


def round_merge_document(
    *,
    actor: Actor,
    round: Round,
    data: bytes,
    name: str,
    result: ParseResult | None = None,
    apply: Collection[str] | None = None,
) -> tuple[SourceDocument | None, bool]:
    """Import a plan or a progress notice into ``round``, all or nothing; returns the kept
    document and whether anything was imported (False: this document is already part of the
    round, and nothing changed).

    ``apply``: the keys of the proposals the clerk ticked (None: those checked by default).
    Refuses (InvalidInput, nothing changed) a document none of whose problems match the
    round's, or one that matches but would change nothing.
    """
    require_role(actor, round.unit, EDIT_ROLES, "导入巡察文件")
    result = _parsed(data, name, result)
    with transaction.atomic():
        # The round's lock first: a second confirmation of the same upload waits here, then
        # finds the document kept and imports nothing.
        r = _lock_round(round.pk)
        preview = merge_preview(actor=actor, round=r, data=data, name=name, result=result)
        if preview.already:
            doc = SourceDocument.objects.filter(round=r, text_sha256=preview.text_sha256).first()
            return doc, False
        if not preview.matches:
            raise InvalidInput(
                f"“{name}”中的{len(preview.unmatched)}个问题与本轮次的问题清单都对不上（编号和标题均不一致），"
                "没有导入任何内容。请确认该文件属于本轮次",
                field="file",
            )
        if not preview.changes:
            raise InvalidInput(
                f"“{name}”与本轮次的问题清单已一致：没有可新增的整改措施、责任信息或整改进展，没有导入任何内容",
                field="file",
            )
        return _apply(actor, r, preview, apply), True


def _apply(actor: Actor, r: Round, preview: MergePreview, apply: Collection[str] | None) -> SourceDocument:
    kind = {"plan": DocumentKind.PLAN, "notice": DocumentKind.NOTICE, "feedback": DocumentKind.FEEDBACK}[
        preview.kind
    ]
    doc = document_create(
        actor=actor,
        round=r,
        kind=KIND_OF_DOC_TYPE.get(preview.result.doc_type, kind) if preview.kind == "plan" else kind,
        name=preview.name,
        sha256=preview.sha256,
        text_sha256=preview.text_sha256,
        result=preview.result,
        summary={"counts": preview.counts},
    )
    departments = {
        name: unit_get_or_create(actor=actor, name=name[:100], parent=r.unit, kind=UnitKind.DEPARTMENT)
        for name in preview.departments
    }
    amendments: list[tuple[Measure | None, str, dict[str, Any], dict[str, Any]]] = []
    what = KIND_ZH[preview.kind]

    # Descriptions the round's problems lack; the problem's place in this document if it had none.
    for plan in preview.matches:
        f = plan.finding
        changed: list[str] = []
        if plan.description:
            f.description = plan.description
            changed.append("description")
        if f.source_id is None:
            f.source, f.span_start, f.span_end = doc, plan.span[0], plan.span[1]
            changed += ["source", "span_start", "span_end"]
        if changed:
            f.save(update_fields=changed)

    # The measures the document adds, after each problem's last.
    last = dict(
        Measure.everything.filter(finding_id__in=[p.finding.pk for p in preview.matches if p.additions])
        .values("finding_id")
        .annotate(m=Max("position"))
        .values_list("finding_id", "m")
    )
    rows: list[Measure] = []
    keys: list[tuple[MatchPlan, int]] = []
    for plan in preview.matches:
        position = last.get(plan.finding.pk) or 0
        for i, a in enumerate(plan.additions):
            position += 1
            rows.append(
                Measure(
                    round=r,
                    unit=r.unit,
                    finding=plan.finding,
                    position=position,
                    text=a.text,
                    kind=a.kind,
                    status_hint=a.status_hint,
                    suggested_deadline=suggestion_in_bounds(r, a.suggested_deadline),
                    leader_hint=a.leader,
                    person_hint=a.person,
                    department_hint=a.department,
                    department=departments.get(a.department) if a.department else None,
                    cooperating_hint=a.cooperating,
                    source=doc,
                    span_start=a.span[0],
                    span_end=a.span[1],
                )
            )
            keys.append((plan, i))
    created = Measure.objects.bulk_create(rows, batch_size=500)
    if not all(m.pk for m in created):  # a backend that does not return keys
        created = list(Measure.objects.filter(source=doc).order_by("id"))
    added: dict[tuple[int, int], Measure] = {}
    for (plan, i), m in zip(keys, created, strict=True):
        added[(plan.finding.pk, i)] = m
        amendments.append((m, f"导入{what}新增整改措施", {}, {"text": m.text}))

    # What the round's measures left empty.
    for plan in preview.matches:
        for fill in plan.fills:
            m = fill.measure
            before = {k: getattr(m, k) for k in fill.values}
            for k, v in fill.values.items():
                setattr(m, k, v)
            fields = list(fill.values)
            dept_name = fill.values.get("department_hint")
            if dept_name and m.department_id is None and dept_name in departments:
                m.department = departments[dept_name]
                m.version += 1
                fields += ["department", "version"]
            m.save(update_fields=[*fields, "updated_at"])
            amendments.append((m, f"导入{what}补充责任信息", before, fill.values))

    # Outcomes (rules, money, accountability) of the measures added.
    by_key = {
        (plan.problem_index, plan.additions[i].ordinal): m for (plan, i), m in zip(keys, created, strict=True)
    }
    Outcome.objects.bulk_create(
        [
            Outcome(
                round=r,
                unit=r.unit,
                measure=by_key[o.measure_key],
                kind=o.kind,
                title=o.title[:300],
                amount_yuan=o.amount,
                count=o.count,
                source_text=o.source_text[:300],
            )
            for o in _outcomes(preview.result)
            if o.measure_key in by_key
        ]
    )
    _amend_many(actor, r, amendments)

    # The notice's proposals the clerk ticked (the services check and record each).
    ticked = {p.key for p in preview.proposals if p.checked} if apply is None else set(apply)
    applied: list[str] = []
    for plan in preview.matches:
        for p in plan.proposals:
            if p.key not in ticked or p.blocked:
                continue
            target = p.measure if p.measure is not None else added.get((plan.finding.pk, p.addition or 0))
            if target is None:
                continue
            services.progress_add(actor=actor, measure=target, text=f"据“{preview.name}”：{p.text}"[:2000])
            if p.action == "submit":
                services.measure_submit(actor=actor, measure=target)
            applied.append(p.key)

    audit_record(
        actor=actor,
        action="round.import_document",
        obj=doc,
        unit_id=r.unit_id,
        after={
            "round": r.pk,
            "document": doc.pk,
            "kind": preview.kind,
            "file": preview.name,
            "sha256": preview.sha256,
            "counts": preview.counts,
            "measures": [m.pk for m in created],
            "filled": [fl.measure.pk for p in preview.matches for fl in p.fills],
            "proposals_applied": applied,
        },
    )
    doc.summary = {"counts": preview.counts, "applied": len(applied)}
    doc.save(update_fields=["summary"])
    return doc
