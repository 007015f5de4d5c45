"""The plan: measures created, edited, assigned, split, moved and deleted; the unit head's
signature (签字背书) and the amendments after it.

The bulk paths (``measure_assign_bulk`` here, ``batch.MeasureBatch`` under the workbook's apply) make a
fixed number of queries whatever the number of measures: the round locked and its measures
read once, people and the signature looked up once, the writes in bulk and every audit event
appended under one lock (``audit_record_many``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import router, transaction
from django.db.models import Case, F, Max, Value, When
from django.utils import timezone

from zhenggai.audit.chain import full_batches
from zhenggai.audit.services import audit_change, audit_entry, audit_record_many
from zhenggai.errors import Gone, InvalidInput, StaleEdit, TransitionRefused

from .. import notifications
from ..models import (
    Amendment,
    Finding,
    Measure,
    MeasureKind,
    MeasureStatus,
    PlanSignature,
    Round,
)
from ..policy import (
    EDIT_ROLES,
    SIGN_ROLES,
    require_cleared,
    require_role,
)
from ._common import (
    MEASURE_GONE,
    _check_assignees_cleared,
    _label,
    _lock_round,
    _locked,
    add_months,
)

S = MeasureStatus


#: A deadline may lie at most this many years after the later of the round's feedback and today.
DEADLINE_MAX_YEARS = 5


def _cn(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def deadline_bounds(round: Round) -> tuple[dt.date, dt.date, str]:
    """The earliest and latest deadline a measure of ``round`` may have, and what the earliest is.

    Not before the feedback date (the rectification starts there), else, for a round without
    one, the day the inspection began; not more than ``DEADLINE_MAX_YEARS`` years after the
    later of the feedback (or the inspection) and today, so an extended deadline of an old
    round still fits. A round without dates counts from the day it was entered.
    """
    entered = timezone.localdate(round.created_at) if round.created_at else timezone.localdate()
    if round.feedback_date:
        low, what = round.feedback_date, f"反馈日期（{_cn(round.feedback_date)}）"
    elif round.period_start:
        low, what = round.period_start, f"巡察开始日期（{_cn(round.period_start)}）"
    else:
        low = add_months(entered, -12 * DEADLINE_MAX_YEARS)
        what = f"录入日期前{DEADLINE_MAX_YEARS}年（{_cn(low)}）"
    anchor = max(
        d
        for d in (round.feedback_date, round.period_end, round.period_start, entered, timezone.localdate())
        if d
    )
    return low, add_months(anchor, 12 * DEADLINE_MAX_YEARS), what


#: The kinds of measure that may go without a deadline (长期坚持: an ongoing duty).
DEADLINE_OPTIONAL_KINDS = frozenset({MeasureKind.LONG_TERM})


def require_deadline(*, deadline: dt.date | None, kind: str) -> None:
    """Refuse a missing deadline unless the measure is 长期坚持 (field ``deadline``)."""
    if deadline is None and kind not in DEADLINE_OPTIONAL_KINDS:
        raise InvalidInput("请填写完成时限（只有“长期坚持”类措施可以不设完成时限）", field="deadline")


def check_deadline(*, round: Round, deadline: dt.date | None, kind: str | None = None) -> None:
    """Refuse a deadline outside ``deadline_bounds`` (field ``deadline``). With ``kind`` (where a
    person sets a measure's deadline and kind), refuse none at all unless 长期坚持; without it
    (a deadline being drafted: created or imported), none is allowed until the plan is signed."""
    if kind is not None:
        require_deadline(deadline=deadline, kind=kind)
    if deadline is None:
        return
    low, high, what = deadline_bounds(round)
    if deadline < low:
        raise InvalidInput(f"完成时限（{_cn(deadline)}）早于{what}，请检查", field="deadline")
    if deadline > high:
        raise InvalidInput(
            f"完成时限（{_cn(deadline)}）过远：不能晚于{_cn(high)}（反馈日期或今天起{DEADLINE_MAX_YEARS}年内），请检查",
            field="deadline",
        )


def deadline_late(round: Round) -> tuple[dt.date, str] | None:
    """The date after which a deadline is later than the round's rectification should take, and
    what it is: the report's due date, else two months after the feedback (整改期); None when the
    round has neither."""
    if round.report_due:
        return round.report_due, f"整改报告报送期限（{_cn(round.report_due)}）"
    if round.feedback_date:
        end = add_months(round.feedback_date, 2)
        return end, f"反馈后两个月的整改期（{_cn(end)}）"
    return None


def deadline_warnings(round: Round, deadline: dt.date | None, kind: str) -> list[str]:
    """What is unusual, not wrong, about a deadline (the edit page shows it; nothing refuses it):
    a deadline after the round's rectification period (``deadline_late``), unless 长期坚持."""
    late = deadline_late(round)
    if deadline is None or late is None or kind in DEADLINE_OPTIONAL_KINDS:
        return []
    end, what = late
    if deadline > end:
        return [f"完成时限（{_cn(deadline)}）晚于{what}，请确认这是有意的安排"]
    return []


def _signed_version(round: Round) -> int | None:
    sig = round.signatures.order_by("-version").first()
    return sig.version if sig else None


def _amend(
    actor: Any,
    round: Round,
    measure: Measure | None,
    description: str,
    before: dict[str, Any],
    after: dict[str, Any],
) -> None:
    """Record an amendment when the plan has been signed."""
    _amend_many(actor, round, [(measure, description, before, after)])


def _amend_many(
    actor: Any,
    round: Round,
    changes: Sequence[tuple[Measure | None, str, dict[str, Any], dict[str, Any]]],
) -> None:
    """Record amendments ``(measure, description, before, after)`` when the plan has been signed:
    one look at the signature, one INSERT."""
    if not changes:
        return
    signed = _signed_version(round)
    if signed is None:
        return
    rows = [
        Amendment(
            round=round,
            unit=round.unit,
            measure=measure,
            actor=actor,
            signed_version=signed,
            description=description,
            before=_plain(before),
            after=_plain(after),
        )
        for measure, description, before, after in changes
    ]
    with full_batches(router.db_for_write(Amendment)):
        Amendment.objects.bulk_create(rows)
    notifications.notify_plan_amended(round, count=len(rows))


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    plain: dict[str, Any] = json.loads(json.dumps(d, default=str, ensure_ascii=False))
    return plain


_EDITABLE = ("text", "kind", "leader", "department", "person", "deadline")


def _snapshot(m: Measure) -> dict[str, Any]:
    return {
        "text": m.text,
        "kind": m.kind,
        "leader": m.leader_id,
        "department": m.department_id,
        "person": m.person_id,
        "deadline": m.deadline.isoformat() if m.deadline else None,
    }


def _members(round: Round, users: Iterable[Any]) -> set[int]:
    """Which of ``users`` may be given a measure of ``round`` (members of its unit): one query."""
    from zhenggai.units.selectors import members_of

    ids = {u.pk for u in users if u is not None}
    if not ids:
        return set()
    return set(members_of(round.unit).filter(pk__in=ids).order_by().values_list("pk", flat=True))


def _check_assignees(round: Round, values: dict[str, Any], members: set[int] | None = None) -> None:
    """The responsible leader and person must be members of the round's unit, the department
    inside it. ``members``: those of them who are (``_members``), when already read."""
    people = (("leader", "责任领导"), ("person", "责任人"))
    if members is None:
        members = _members(round, (values.get(field) for field, _ in people))
    for field, label in people:
        user = values.get(field)
        if user is not None and user.pk not in members:
            raise InvalidInput(f"{label}“{user}”不是本单位人员", field=field)
    dept = values.get("department")
    if dept is not None and not dept.path.startswith(round.unit.path):
        raise InvalidInput("责任部门不属于本单位", field="department")


def _change(
    m: Measure, round: Round, values: dict[str, Any], members: set[int] | None = None
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """``measure_update``'s checks of ``values``, then ``values`` set on ``m`` (a new version).

    Returns what changed (before, after), or None when nothing did (``m`` keeps its version).
    """
    if "text" in values and not str(values["text"]).strip():
        raise InvalidInput("整改措施内容不能为空", field="text")
    if "kind" in values and values["kind"] not in MeasureKind.values:
        raise InvalidInput("整改类型不正确", field="kind")
    # A person editing the deadline (the edit form always sends it) or the kind must leave one,
    # unless 长期坚持; only a changed deadline is checked against the round's dates.
    kind = values.get("kind", m.kind)
    if "deadline" in values and values["deadline"] != m.deadline:
        check_deadline(round=round, deadline=values["deadline"], kind=kind)
    elif "deadline" in values or kind != m.kind:
        require_deadline(deadline=values.get("deadline", m.deadline), kind=kind)
    _check_assignees(round, values, members)
    _check_assignees_cleared(values, _label(m))
    before = _snapshot(m)
    for k, v in values.items():
        setattr(m, k, v.strip() if isinstance(v, str) else v)
    after = _snapshot(m)
    if before == after:
        return None
    m.version += 1
    changed = {k: after[k] for k in after if after[k] != before[k]}
    return {k: before[k] for k in changed}, changed


@transaction.atomic
def measure_update(*, actor: Any, measure: Measure, expected_version: int, **values: Any) -> Measure:
    """Change a measure's text, kind, owners or deadline; refuses a stale edit."""
    require_role(actor, measure.unit, EDIT_ROLES, "编辑整改措施")
    unknown = set(values) - set(_EDITABLE)
    if unknown:
        raise InvalidInput(f"不能修改字段：{', '.join(sorted(unknown))}")
    m = _locked(measure)
    require_cleared(actor, _label(m), "编辑整改措施")
    if m.version != expected_version:
        raise StaleEdit()
    change = _change(m, m.round, values)
    if change is None:
        return m
    old, changed = change
    assigned = notifications.assignment_changed([(m, changed)])
    m.full_clean()
    m.save()
    audit_change(actor, "measure.update", m, before=old, after=changed)
    _amend(actor, m.round, m, "修改整改措施", old, changed)
    notifications.notify_assigned(assigned)
    return m


@transaction.atomic
def measure_assign_bulk(*, actor: Any, round: Round, measure_ids: Sequence[int], **values: Any) -> int:
    """Assign owners or a deadline to many measures of one round at once.

    A fixed number of queries whatever their number: the people checked in one query, the
    measures read in one, the label checks once per distinct label, the changed measures
    saved in one UPDATE, the amendments in one INSERT and the events under one lock. The
    events and amendments are those of assigning each measure alone, in plan order.
    """
    require_role(actor, round.unit, EDIT_ROLES, "分配整改任务")
    values = {k: v for k, v in values.items() if v is not None}
    if not values:
        raise InvalidInput("请至少选择一项要设置的内容")
    if set(values) - {"leader", "department", "person", "deadline"}:
        raise InvalidInput("只能批量设置责任领导、责任部门、责任人和完成时限")
    round = _lock_round(round.pk)  # before the signature is read (see _lock_round)
    if "deadline" in values:
        check_deadline(round=round, deadline=values["deadline"])
    _check_assignees(round, values)
    measures = list(
        Measure.objects.select_for_update(of=("self",))
        .select_related("finding", "unit")
        .filter(round=round, pk__in=list(measure_ids))
    )
    if not measures:
        raise InvalidInput("请先勾选要分配的措施")
    for label in dict.fromkeys(_label(m) for m in measures):  # the same checks, once per label
        require_cleared(actor, label, "分配整改任务")
        _check_assignees_cleared(values, label)
    changed: list[Measure] = []
    diffs: list[tuple[Measure, dict[str, Any]]] = []
    events: list[Any] = []
    amendments: list[tuple[Measure | None, str, dict[str, Any], dict[str, Any]]] = []
    for m in measures:
        before = _snapshot(m)
        for k, v in values.items():
            setattr(m, k, v)
        after = _snapshot(m)
        diff = {k: after[k] for k in after if after[k] != before[k]}
        if not diff:
            continue  # already so: no new version, nothing to audit
        m.version += 1
        old = {k: before[k] for k in diff}
        changed.append(m)
        diffs.append((m, diff))
        events.append(
            audit_entry(
                actor=actor, action="measure.assign", obj=m, unit_id=m.unit_id, before=old, after=diff
            )
        )
        amendments.append((m, "批量分配", old, diff))
    if changed:
        now = timezone.now()
        stamp: dict[str, Any] = {}
        if "person" in values:
            # Assigned now where the person changes (the right side reads the row before the UPDATE).
            person = values["person"]
            stamp["assigned_at"] = Case(When(person_id=person.pk, then=F("assigned_at")), default=Value(now))
        Measure.objects.filter(pk__in=[m.pk for m in changed]).update(
            **values, **stamp, version=F("version") + 1, updated_at=now
        )
        assigned = notifications.assignment_changed(diffs, now)
        _amend_many(actor, round, amendments)
        audit_record_many(entries=events)
        notifications.notify_assigned(assigned)
    return len(measures)


@transaction.atomic
def measure_create(
    *,
    actor: Any,
    finding: Finding,
    text: str,
    kind: str = MeasureKind.DEADLINE,
    deadline: dt.date | None = None,
    after: Measure | None = None,
) -> Measure:
    """Add a measure to a problem (at the end, or right after ``after``)."""
    require_role(actor, finding.unit, EDIT_ROLES, "新增整改措施")
    if not text.strip():
        raise InvalidInput("整改措施内容不能为空", field="text")
    if kind not in MeasureKind.values:
        raise InvalidInput("整改类型不正确", field="kind")
    if after is not None and after.finding_id != finding.pk:
        raise InvalidInput("插入位置不属于该问题", field="after")
    require_cleared(actor, finding.sensitivity, "新增整改措施")
    if after is not None:
        require_cleared(actor, after.sensitivity, "新增整改措施")
    round = _lock_round(finding.round_id)  # before the signature is read (see _lock_round)
    check_deadline(round=round, deadline=deadline)
    if not Finding.objects.filter(pk=finding.pk).exists():
        raise Gone("该问题已被删除，请返回刷新")
    if after is not None:
        position = after.position + 1
        Measure.objects.filter(finding=finding, position__gte=position).update(position=F("position") + 1)
    else:
        position = (finding.measures.aggregate(m=Max("position"))["m"] or 0) + 1
    m = Measure(
        round=round,
        unit=finding.unit,
        finding=finding,
        position=position,
        text=text.strip(),
        kind=kind,
        deadline=deadline,
    )
    m.full_clean()
    m.save()
    audit_change(actor, "measure.create", m, after={"finding": finding.pk, "text": m.text, "kind": kind})
    _amend(actor, round, m, "新增整改措施", {}, {"text": m.text})
    return m


@transaction.atomic
def measure_split(
    *, actor: Any, measure: Measure, texts: Sequence[str], expected_version: int
) -> list[Measure]:
    """Split one measure into several; the first part keeps its history."""
    require_role(actor, measure.unit, EDIT_ROLES, "拆分整改措施")
    parts = [t.strip() for t in texts if t.strip()]
    if len(parts) < 2:
        raise InvalidInput("拆分后至少应有两条措施", field="texts")
    m = _locked(measure)
    require_cleared(actor, _label(m), "拆分整改措施")
    if m.version != expected_version:
        raise StaleEdit()
    before = m.text
    m.text = parts[0]
    m.version += 1
    m.save(update_fields=["text", "version", "updated_at"])
    Measure.objects.filter(finding=m.finding, position__gt=m.position).update(
        position=F("position") + len(parts) - 1
    )
    created = [m]
    for i, t in enumerate(parts[1:], 1):
        n = Measure(
            round=m.round,
            unit=m.unit,
            finding=m.finding,
            position=m.position + i,
            text=t,
            kind=m.kind,
            leader=m.leader,
            department=m.department,
            person=m.person,
            deadline=m.deadline,
            original_deadline=m.original_deadline,
            assigned_at=m.assigned_at,
            sensitivity=m.sensitivity,  # a part is labelled as the whole was
        )
        n.full_clean()
        n.save()
        created_values = {"finding": n.finding_id, "text": n.text, "kind": n.kind}
        audit_change(actor, "measure.create", n, after=created_values)
        created.append(n)
    audit_change(actor, "measure.split", m, before={"text": before}, after={"parts": [c.pk for c in created]})
    _amend(actor, m.round, m, "拆分整改措施", {"text": before}, {"texts": parts})
    return created


@transaction.atomic
def measure_move(*, actor: Any, measure: Measure, direction: str) -> None:
    """Move a measure up or down among its problem's measures."""
    require_role(actor, measure.unit, EDIT_ROLES, "调整措施顺序")
    if direction not in ("up", "down"):
        raise InvalidInput("方向不正确", field="direction")
    require_cleared(actor, _label(measure), "调整措施顺序")
    round = _lock_round(measure.round_id)  # before the signature is read (see _lock_round)
    siblings = list(
        Measure.objects.select_for_update().filter(finding_id=measure.finding_id).order_by("position", "id")
    )
    idx = next((i for i, s in enumerate(siblings) if s.pk == measure.pk), None)
    if idx is None:
        raise Gone(MEASURE_GONE)
    j = idx - 1 if direction == "up" else idx + 1
    if not 0 <= j < len(siblings):
        return
    old_position = siblings[idx].position
    siblings[idx], siblings[j] = siblings[j], siblings[idx]
    for pos, s in enumerate(siblings, 1):
        if s.position != pos:
            Measure.objects.filter(pk=s.pk).update(position=pos)
    audit_change(
        actor,
        "measure.move",
        measure,
        before={"position": old_position},
        after={"direction": direction, "position": j + 1},
    )
    # The order is part of the plan (and of its digest): moving a measure amends a signed plan.
    moved = siblings[j]
    _amend(actor, round, moved, "调整措施顺序", {"position": old_position}, {"position": j + 1})


@transaction.atomic
def measure_delete(*, actor: Any, measure: Measure) -> None:
    """Delete a measure that has no progress yet."""
    require_role(actor, measure.unit, EDIT_ROLES, "删除整改措施")
    m = _locked(measure)
    require_cleared(actor, _label(m), "删除整改措施")
    if m.progress.exists():
        raise TransitionRefused("该措施已有整改进展，不能删除")
    snapshot = _snapshot(m)
    audit_change(actor, "measure.delete", m, before=snapshot)
    _amend(actor, m.round, None, "删除整改措施", snapshot, {})
    m.delete()
    later = Measure.objects.filter(finding_id=m.finding_id, position__gt=m.position)
    later.update(position=F("position") - 1)


@transaction.atomic
def measure_accept_suggestion(*, actor: Any, measure: Measure) -> Measure:
    """Take the deadline the source document suggested."""
    require_role(actor, measure.unit, EDIT_ROLES, "编辑整改措施")
    m = _locked(measure)
    require_cleared(actor, _label(m), "编辑整改措施")
    suggested = m.suggested_deadline
    if suggested is None:
        raise InvalidInput("该措施没有建议的完成时限")
    before = {"deadline": m.deadline.isoformat() if m.deadline else None}
    m = measure_update(actor=actor, measure=m, expected_version=m.version, deadline=suggested)
    after = {"deadline": suggested.isoformat()}
    audit_change(actor, "measure.accept_suggestion", m, before=before, after=after)
    return m


#: How many measures without a deadline ``plan_sign``'s refusal names.
UNDATED_LISTED = 3


def plan_digest(round: Round) -> str:
    """A digest of the plan as it stands: every measure's text, owners and deadline."""
    rows = (
        Measure.objects.filter(round=round)
        .order_by("finding__position", "position", "id")
        .values_list(
            "id", "finding_id", "text", "kind", "leader_id", "department_id", "person_id", "deadline"
        )
    )
    h = hashlib.sha256()
    for row in rows:
        h.update(json.dumps(row, default=str, ensure_ascii=False).encode("utf-8"))
    return h.hexdigest()


@transaction.atomic
def plan_sign(*, actor: Any, round: Round) -> PlanSignature:
    """The unit leader signs the plan as it stands (签字背书)."""
    require_role(actor, round.unit, SIGN_ROLES, "签署整改方案")
    r = Round.objects.select_for_update().get(pk=round.pk)
    if not Measure.objects.filter(round=r).exists():
        raise TransitionRefused("方案中还没有整改措施，不能签署")
    undated = list(
        Measure.objects.filter(round=r, deadline__isnull=True)
        .exclude(kind__in=sorted(DEADLINE_OPTIONAL_KINDS))
        .select_related("finding")
        .order_by("finding__position", "position", "id")[:UNDATED_LISTED]
    )
    if undated:
        count = (
            Measure.objects.filter(round=r, deadline__isnull=True)
            .exclude(kind__in=sorted(DEADLINE_OPTIONAL_KINDS))
            .count()
        )
        names = "；".join(
            f"{m.finding.number or m.finding.title[:20]}“{m.text[:20]}”" for m in undated
        )
        more = "等" if count > len(undated) else ""
        raise TransitionRefused(
            f"方案中有 {count} 项整改措施未设定完成时限（“长期坚持”类除外），不能签署："
            f"{names}{more}。请先设定完成时限"
        )
    sig = PlanSignature.objects.create(
        round=r, unit=r.unit, signer=actor, version=r.plan_version, digest=plan_digest(r)
    )
    Round.objects.filter(pk=r.pk).update(plan_version=F("plan_version") + 1)
    audit_change(actor, "plan.sign", r, after={"version": sig.version, "digest": sig.digest})
    return sig
