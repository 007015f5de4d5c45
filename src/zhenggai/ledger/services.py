"""Every write to the ledger: keyword-only, atomic, validated, audited.

The allowed status transitions live in ``TRANSITIONS`` and nowhere else. Who may
act is decided from the roles the actor holds at the round's unit or above
(``units.selectors.roles_for_unit``), and from the actor's clearance: nothing is done
to a problem or measure labelled above it (安全标记, REQ-1.10), whatever the roles.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from zhenggai.accounts.models import Sensitivity
from zhenggai.accounts.roles import holds_admin_role
from zhenggai.audit.services import audit_record
from zhenggai.errors import DuplicateSubmission, Gone, InvalidInput, NotAllowed, StaleEdit, TransitionRefused
from zhenggai.evidence import store as evidence_store
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import roles_for_unit

from . import selectors
from .models import (
    FINISHED_STATUSES,
    Amendment,
    Closure,
    ClosureAction,
    Evidence,
    Finding,
    FindingKind,
    Measure,
    MeasureKind,
    MeasureStatus,
    PlanSignature,
    ProblemStatus,
    Progress,
    Review,
    ReviewDecision,
    Round,
    RoundKind,
)

S = MeasureStatus

#: action → (statuses it may start from, status it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "start": (frozenset({S.NOT_STARTED}), S.IN_PROGRESS),
    "submit": (frozenset({S.IN_PROGRESS, S.STAGE_DONE}), S.PENDING_REVIEW),
    "approve": (frozenset({S.PENDING_REVIEW}), S.DONE),
    "approve_stage": (frozenset({S.PENDING_REVIEW}), S.STAGE_DONE),
    "return": (frozenset({S.PENDING_REVIEW}), S.IN_PROGRESS),
    "send_back": (FINISHED_STATUSES | {S.PENDING_REVIEW}, S.IN_PROGRESS),
}
#: A closed problem reopened (回头看 found a relapse): its finished measures go back to work,
#: as a send-back does (``finding_reopen``); one awaiting review stays for the reviewer.
REOPEN_SOURCES = FINISHED_STATUSES

ACTION_ZH = {
    "start": "开始整改",
    "submit": "提交审核",
    "approve": "审核通过",
    "approve_stage": "阶段性完成",
    "return": "退回",
    "send_back": "退回整改",
}

EDIT_ROLES = frozenset({Role.CLERK})
REVIEW_ROLES = frozenset({Role.UNIT_LEADER})
SIGN_ROLES = frozenset({Role.UNIT_LEADER})
SUPERVISE_ROLES = frozenset({Role.SUPERVISOR})
# Who labels problems and measures (安全标记): the clerk, who knows the content, and the unit leader.
LABEL_ROLES = frozenset({Role.CLERK, Role.UNIT_LEADER})


def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` plus whole months, clamped to the month's last day (1月31日 + 1 → 2月28/29日)."""
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for day in (d.day, 30, 29, 28):
        try:
            return dt.date(year, month, day)
        except ValueError:
            continue
    raise AssertionError("unreachable")


def _require(actor: Any, unit: Unit, roles: Iterable[str], what: str) -> None:
    if holds_admin_role(actor):
        # 三员分立: the system, security and audit administrators never touch ledger data.
        raise NotAllowed(f"三员（系统、安全、审计管理员）不处理台账业务，不能{what}")
    if not roles_for_unit(user=actor, unit=unit) & set(roles):
        raise NotAllowed(f"您没有权限{what}")


def _require_cleared(actor: Any, label: str, what: str) -> None:
    """Refuse an action on an object labelled above the actor's clearance (REQ-1.10)."""
    if not selectors.cleared_for(actor, label):
        raise NotAllowed(f"该内容的安全标记高于您的许可级别，不能{what}")


def _label(m: Measure) -> str:
    return selectors.effective_sensitivity(m)


def _check_assignees_cleared(values: dict[str, Any], label: str) -> None:
    """A responsible leader or person must be cleared for the measure, or they could not see it."""
    for field, name in (("leader", "责任领导"), ("person", "责任人")):
        user = values.get(field)
        if user is not None and not selectors.cleared_for(user, label):
            raise InvalidInput(
                f"{name}“{user}”的许可级别低于该措施的安全标记（{Sensitivity(label).label}），不能承担该措施",
                field=field,
            )


def can(actor: Any, unit: Unit, roles: Iterable[str]) -> bool:
    return not holds_admin_role(actor) and bool(roles_for_unit(user=actor, unit=unit) & set(roles))


def _transition(measure: Measure, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if measure.status not in sources:
        raise TransitionRefused(f"当前状态为“{measure.get_status_display()}”，不能执行“{ACTION_ZH[action]}”")
    return target


def _lock_round(round_id: int) -> Round:
    """Lock the round's row (PostgreSQL) for the rest of the transaction.

    Every change of the plan takes this lock before it asks whether the plan is signed, as
    ``plan_sign`` does before it computes the digest: a change and a signature are then one
    after the other, so a change is either inside the signed digest or recorded as an
    amendment. Lock order everywhere: the round first, then its measures.
    """
    r = Round.objects.select_for_update(of=("self",)).select_related("unit").filter(pk=round_id).first()
    if r is None:
        raise Gone("该巡察轮次已被删除，请返回刷新")
    return r


MEASURE_GONE = "该整改措施已被删除（可能是他人在您打开页面后删除的），请返回问题页刷新后再操作"


def _locked(measure: Measure) -> Measure:
    """Re-read a measure under a row lock (PostgreSQL) inside the transaction, its round locked first."""
    _lock_round(measure.round_id)
    m = (
        Measure.objects.select_for_update(of=("self", "round", "unit"))
        .select_related("round", "unit", "finding")
        .filter(pk=measure.pk)
        .first()
    )
    if m is None:
        raise Gone(MEASURE_GONE)
    return m


def _set_status(m: Measure, target: str) -> None:
    m.status = target
    m.completed_at = timezone.now() if target == S.DONE else None
    m.version += 1
    m.save(update_fields=["status", "completed_at", "version", "updated_at"])


# --- rounds ---------------------------------------------------------------------------------


@transaction.atomic
def round_create(
    *,
    actor: Any,
    unit: Unit,
    title: str,
    kind: str = RoundKind.REGULAR,
    inspecting_group: str = "",
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    feedback_date: dt.date | None = None,
    source_name: str = "",
    source_sha256: str = "",
    source_doc_type: str = "",
) -> Round:
    """Create a round; plan and report deadlines follow from the feedback date."""
    _require(actor, unit, EDIT_ROLES, "新建巡察轮次")
    if period_start and period_end and period_end < period_start:
        raise InvalidInput("巡察结束日期早于开始日期", field="period_end")
    if kind not in RoundKind.values:
        raise InvalidInput("巡察类型不正确", field="kind")
    r = Round(
        unit=unit,
        title=title.strip() or "巡察整改",
        kind=kind,
        inspecting_group=inspecting_group,
        period_start=period_start,
        period_end=period_end,
        feedback_date=feedback_date,
        source_name=source_name,
        source_sha256=source_sha256,
        source_doc_type=source_doc_type,
        created_by=actor,
    )
    if feedback_date:
        r.plan_due = add_months(feedback_date, settings.PLAN_DUE_MONTHS)
        r.report_due = add_months(feedback_date, settings.REPORT_DUE_MONTHS)
    r.full_clean()
    r.save()
    audit_record(
        actor=actor,
        action="round.create",
        obj=r,
        unit_id=unit.pk,
        after={
            "title": r.title,
            "kind": kind,
            "feedback_date": feedback_date,
            "source_sha256": source_sha256,
        },
    )
    return r


@transaction.atomic
def finding_create(
    *, actor: Any, round: Round, parent: Finding | None, kind: str, title: str, number: str = ""
) -> Finding:
    """Add a node to the findings tree (by hand)."""
    _require(actor, round.unit, EDIT_ROLES, "编辑问题清单")
    if not title.strip():
        raise InvalidInput("请填写标题", field="title")
    if kind not in FindingKind.values:
        raise InvalidInput("层级不正确", field="kind")
    if parent is not None and parent.round_id != round.pk:
        raise InvalidInput("上级问题不属于本轮次", field="parent")
    if parent is not None:
        _require_cleared(actor, parent.sensitivity, "编辑问题清单")
    last = Finding.objects.filter(round=round).aggregate(m=Max("position"))["m"] or 0
    f = Finding(
        round=round,
        unit=round.unit,
        parent=parent,
        kind=kind,
        title=title.strip()[:500],
        number=number,
        position=last + 1,
        # Never below the parent's label: a visible finding has visible ancestors.
        sensitivity=Sensitivity.highest(Sensitivity.INTERNAL, parent.sensitivity)
        if parent is not None
        else Sensitivity.INTERNAL,
    )
    f.full_clean()
    f.save()
    audit_record(
        actor=actor,
        action="finding.create",
        obj=f,
        unit_id=round.unit_id,
        after={"title": f.title, "kind": kind, "parent": parent.pk if parent else None},
    )
    return f


# --- the plan -------------------------------------------------------------------------------

#: A deadline may lie at most this many years after the later of the round's feedback and today.
DEADLINE_MAX_YEARS = 5


def _cn(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def deadline_bounds(round: Round) -> tuple[dt.date, dt.date, str]:
    """The earliest and latest deadline a measure of ``round`` may have, and what the earliest is.

    Not before the inspection began (立行立改 measures fall due during it), else the feedback
    date; not more than ``DEADLINE_MAX_YEARS`` years after the later of the feedback (or the
    inspection) and today, so an extended deadline of an old round still fits. A round without
    dates counts from the day it was entered.
    """
    entered = timezone.localdate(round.created_at) if round.created_at else timezone.localdate()
    if round.period_start:
        low, what = round.period_start, f"巡察开始日期（{_cn(round.period_start)}）"
    elif round.feedback_date:
        low, what = round.feedback_date, f"反馈日期（{_cn(round.feedback_date)}）"
    else:
        low = add_months(entered, -12 * DEADLINE_MAX_YEARS)
        what = f"录入日期前{DEADLINE_MAX_YEARS}年（{_cn(low)}）"
    anchor = max(
        d
        for d in (round.feedback_date, round.period_end, round.period_start, entered, timezone.localdate())
        if d
    )
    return low, add_months(anchor, 12 * DEADLINE_MAX_YEARS), what


def check_deadline(*, round: Round, deadline: dt.date | None) -> None:
    """Refuse a deadline outside ``deadline_bounds`` (field ``deadline``); none at all is allowed."""
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
    signed = _signed_version(round)
    if signed is not None:
        Amendment.objects.create(
            round=round,
            unit=round.unit,
            measure=measure,
            actor=actor,
            signed_version=signed,
            description=description,
            before=_plain(before),
            after=_plain(after),
        )


def _plain(d: dict[str, Any]) -> dict[str, Any]:
    return json.loads(json.dumps(d, default=str, ensure_ascii=False))


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


def _check_assignees(round: Round, values: dict[str, Any]) -> None:
    from zhenggai.units.selectors import members_of

    for field, label in (("leader", "责任领导"), ("person", "责任人")):
        user = values.get(field)
        if user is not None and not members_of(round.unit).filter(pk=user.pk).exists():
            raise InvalidInput(f"{label}“{user}”不是本单位人员", field=field)
    dept = values.get("department")
    if dept is not None and not dept.path.startswith(round.unit.path):
        raise InvalidInput("责任部门不属于本单位", field="department")


@transaction.atomic
def measure_update(*, actor: Any, measure: Measure, expected_version: int, **values: Any) -> Measure:
    """Change a measure's text, kind, owners or deadline; refuses a stale edit."""
    _require(actor, measure.unit, EDIT_ROLES, "编辑整改措施")
    unknown = set(values) - set(_EDITABLE)
    if unknown:
        raise InvalidInput(f"不能修改字段：{', '.join(sorted(unknown))}")
    m = _locked(measure)
    _require_cleared(actor, _label(m), "编辑整改措施")
    if m.version != expected_version:
        raise StaleEdit()
    if "text" in values and not str(values["text"]).strip():
        raise InvalidInput("整改措施内容不能为空", field="text")
    if "kind" in values and values["kind"] not in MeasureKind.values:
        raise InvalidInput("整改类型不正确", field="kind")
    if "deadline" in values and values["deadline"] != m.deadline:
        check_deadline(round=m.round, deadline=values["deadline"])
    _check_assignees(m.round, values)
    _check_assignees_cleared(values, _label(m))
    before = _snapshot(m)
    for k, v in values.items():
        setattr(m, k, v.strip() if isinstance(v, str) else v)
    after = _snapshot(m)
    if before == after:
        return m
    m.version += 1
    m.full_clean()
    m.save()
    changed = {k: after[k] for k in after if after[k] != before[k]}
    old = {k: before[k] for k in changed}
    audit_record(actor=actor, action="measure.update", obj=m, unit_id=m.unit_id, before=old, after=changed)
    _amend(actor, m.round, m, "修改整改措施", old, changed)
    return m


@transaction.atomic
def measure_assign_bulk(*, actor: Any, round: Round, measure_ids: Sequence[int], **values: Any) -> int:
    """Assign owners or a deadline to many measures of one round at once."""
    _require(actor, round.unit, EDIT_ROLES, "分配整改任务")
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
        .select_related("finding")
        .filter(round=round, pk__in=list(measure_ids))
    )
    if not measures:
        raise InvalidInput("请先勾选要分配的措施")
    for m in measures:
        _require_cleared(actor, _label(m), "分配整改任务")
        _check_assignees_cleared(values, _label(m))
    for m in measures:
        before = _snapshot(m)
        for k, v in values.items():
            setattr(m, k, v)
        after = _snapshot(m)
        changed = {k: after[k] for k in after if after[k] != before[k]}
        if not changed:
            continue  # already so: no new version, nothing to audit
        m.version += 1
        m.save()
        audit_record(
            actor=actor,
            action="measure.assign",
            obj=m,
            unit_id=m.unit_id,
            before={k: before[k] for k in changed},
            after=changed,
        )
        _amend(actor, round, m, "批量分配", {k: before[k] for k in changed}, changed)
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
    _require(actor, finding.unit, EDIT_ROLES, "新增整改措施")
    if not text.strip():
        raise InvalidInput("整改措施内容不能为空", field="text")
    if kind not in MeasureKind.values:
        raise InvalidInput("整改类型不正确", field="kind")
    if after is not None and after.finding_id != finding.pk:
        raise InvalidInput("插入位置不属于该问题", field="after")
    _require_cleared(actor, finding.sensitivity, "新增整改措施")
    if after is not None:
        _require_cleared(actor, after.sensitivity, "新增整改措施")
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
    audit_record(
        actor=actor,
        action="measure.create",
        obj=m,
        unit_id=m.unit_id,
        after={"finding": finding.pk, "text": m.text, "kind": kind},
    )
    _amend(actor, round, m, "新增整改措施", {}, {"text": m.text})
    return m


@transaction.atomic
def measure_split(
    *, actor: Any, measure: Measure, texts: Sequence[str], expected_version: int
) -> list[Measure]:
    """Split one measure into several; the first part keeps its history."""
    _require(actor, measure.unit, EDIT_ROLES, "拆分整改措施")
    parts = [t.strip() for t in texts if t.strip()]
    if len(parts) < 2:
        raise InvalidInput("拆分后至少应有两条措施", field="texts")
    m = _locked(measure)
    _require_cleared(actor, _label(m), "拆分整改措施")
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
            sensitivity=m.sensitivity,  # a part is labelled as the whole was
        )
        n.full_clean()
        n.save()
        audit_record(
            actor=actor,
            action="measure.create",
            obj=n,
            unit_id=n.unit_id,
            after={"finding": n.finding_id, "text": n.text, "kind": n.kind},
        )
        created.append(n)
    audit_record(
        actor=actor,
        action="measure.split",
        obj=m,
        unit_id=m.unit_id,
        before={"text": before},
        after={"parts": [c.pk for c in created]},
    )
    _amend(actor, m.round, m, "拆分整改措施", {"text": before}, {"texts": parts})
    return created


@transaction.atomic
def measure_move(*, actor: Any, measure: Measure, direction: str) -> None:
    """Move a measure up or down among its problem's measures."""
    _require(actor, measure.unit, EDIT_ROLES, "调整措施顺序")
    if direction not in ("up", "down"):
        raise InvalidInput("方向不正确", field="direction")
    _require_cleared(actor, _label(measure), "调整措施顺序")
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
    audit_record(
        actor=actor,
        action="measure.move",
        obj=measure,
        unit_id=measure.unit_id,
        before={"position": old_position},
        after={"direction": direction, "position": j + 1},
    )
    # The order is part of the plan (and of its digest): moving a measure amends a signed plan.
    moved = siblings[j]
    _amend(actor, round, moved, "调整措施顺序", {"position": old_position}, {"position": j + 1})


@transaction.atomic
def measure_delete(*, actor: Any, measure: Measure) -> None:
    """Delete a measure that has no progress yet."""
    _require(actor, measure.unit, EDIT_ROLES, "删除整改措施")
    m = _locked(measure)
    _require_cleared(actor, _label(m), "删除整改措施")
    if m.progress.exists():
        raise TransitionRefused("该措施已有整改进展，不能删除")
    snapshot = _snapshot(m)
    audit_record(actor=actor, action="measure.delete", obj=m, unit_id=m.unit_id, before=snapshot)
    _amend(actor, m.round, None, "删除整改措施", snapshot, {})
    m.delete()
    later = Measure.objects.filter(finding_id=m.finding_id, position__gt=m.position)
    later.update(position=F("position") - 1)


@transaction.atomic
def measure_accept_suggestion(*, actor: Any, measure: Measure) -> Measure:
    """Take the deadline the source document suggested."""
    _require(actor, measure.unit, EDIT_ROLES, "编辑整改措施")
    m = _locked(measure)
    _require_cleared(actor, _label(m), "编辑整改措施")
    if m.suggested_deadline is None:
        raise InvalidInput("该措施没有建议的完成时限")
    before = {"deadline": m.deadline.isoformat() if m.deadline else None}
    m = measure_update(actor=actor, measure=m, expected_version=m.version, deadline=m.suggested_deadline)
    audit_record(
        actor=actor,
        action="measure.accept_suggestion",
        obj=m,
        unit_id=m.unit_id,
        before=before,
        after={"deadline": m.suggested_deadline.isoformat()},
    )
    return m


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
    _require(actor, round.unit, SIGN_ROLES, "签署整改方案")
    r = Round.objects.select_for_update().get(pk=round.pk)
    if not Measure.objects.filter(round=r).exists():
        raise TransitionRefused("方案中还没有整改措施，不能签署")
    sig = PlanSignature.objects.create(
        round=r, unit=r.unit, signer=actor, version=r.plan_version, digest=plan_digest(r)
    )
    Round.objects.filter(pk=r.pk).update(plan_version=F("plan_version") + 1)
    audit_record(
        actor=actor,
        action="plan.sign",
        obj=r,
        unit_id=r.unit_id,
        after={"version": sig.version, "digest": sig.digest},
    )
    return sig


# --- tracking, review, close-out ------------------------------------------------------------------


def _owns(actor: Any, m: Measure) -> bool:
    return m.person_id is not None and m.person_id == getattr(actor, "pk", None)


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@transaction.atomic
def progress_add(
    *,
    actor: Any,
    measure: Measure,
    text: str,
    files: Sequence[tuple[BinaryIO, str]] = (),
    token: str = "",
) -> Progress:
    """The responsible person reports progress, with evidence files.

    ``token`` is the one-time token of the form that sent it: a second entry with the same
    token on the measure (the form sent again after going back) is refused with
    ``DuplicateSubmission``, which names the entry the first one made; nothing is stored.
    """
    if token and not _TOKEN.fullmatch(token):
        raise InvalidInput("表单标识不正确，请刷新页面后重新填报", field="token")
    m = _locked(measure)
    if not (_owns(actor, m) or can(actor, m.unit, EDIT_ROLES)):
        raise NotAllowed("只有该措施的责任人（或整改办）可以填报进展")
    _require_cleared(actor, _label(m), "填报进展")
    if token:
        existing = Progress.objects.filter(measure=m, token=token).first()
        if existing is not None:
            raise DuplicateSubmission(
                "这份整改进展已经提交过（可能是返回后再次提交），没有重复保存。", existing=existing
            )
    if not text.strip():
        raise InvalidInput("请填写整改进展", field="text")
    if m.status in (S.DONE, S.PENDING_REVIEW):
        raise TransitionRefused(f"措施当前为“{m.get_status_display()}”，不能再填报进展")
    stored: list[evidence_store.StoredFile] = []
    try:
        for stream, name in files:
            stored.append(evidence_store.store(stream, name))
        p = Progress.objects.create(measure=m, unit=m.unit, author=actor, text=text.strip(), token=token)
        for s in stored:
            ev = Evidence.objects.create(
                progress=p,
                measure=m,
                unit=m.unit,
                original_name=s.original_name,
                storage_name=s.storage_name,
                algorithm=s.algorithm,
                sha256=s.sha256,
                size=s.size,
                content_type=s.content_type,
                uploaded_by=actor,
            )
            audit_record(
                actor=actor,
                action="evidence.upload",
                obj=ev,
                unit_id=m.unit_id,
                after={"measure": m.pk, "name": s.original_name, "size": s.size, "sha256": s.sha256},
            )
        before = m.status
        if m.status == S.NOT_STARTED:
            _set_status(m, _transition(m, "start"))
            audit_record(
                actor=actor,
                action="measure.start",
                obj=m,
                unit_id=m.unit_id,
                before={"status": before},
                after={"status": m.status},
            )
        audit_record(
            actor=actor,
            action="progress.add",
            obj=p,
            unit_id=m.unit_id,
            before={"status": before},
            after={
                "measure": m.pk,
                "status": m.status,
                "text": p.text,
                "evidence": [
                    {"name": s.original_name, "sha256": s.sha256, s.algorithm: s.storage_name} for s in stored
                ],
            },
        )
    except BaseException:
        evidence_store.discard(stored)
        raise
    return p


@transaction.atomic
def measure_submit(*, actor: Any, measure: Measure) -> Measure:
    """The responsible person submits a measure for review."""
    m = _locked(measure)
    if not (_owns(actor, m) or can(actor, m.unit, EDIT_ROLES)):
        raise NotAllowed("只有该措施的责任人（或整改办）可以提交审核")
    _require_cleared(actor, _label(m), "提交审核")
    target = _transition(m, "submit")
    if not m.progress.exists():
        raise TransitionRefused("请先填报整改进展和佐证材料，再提交审核")
    before = m.status
    _set_status(m, target)
    audit_record(
        actor=actor,
        action="measure.submit",
        obj=m,
        unit_id=m.unit_id,
        before={"status": before},
        after={"status": m.status},
    )
    return m


@transaction.atomic
def measure_review(*, actor: Any, measure: Measure, decision: str, reason: str = "") -> Measure:
    """The unit leader approves, approves as 阶段性完成 (long-term only) or returns a measure."""
    m = _locked(measure)
    _require(actor, m.unit, REVIEW_ROLES, "审核整改措施")
    _require_cleared(actor, _label(m), "审核整改措施")
    action = {
        ReviewDecision.APPROVE: "approve",
        ReviewDecision.APPROVE_STAGE: "approve_stage",
        ReviewDecision.RETURN: "return",
    }.get(decision)
    if action is None:
        raise InvalidInput("审核意见不正确", field="decision")
    target = _transition(m, action)
    if action == "approve_stage" and m.kind != MeasureKind.LONG_TERM:
        raise TransitionRefused("只有“长期坚持”类措施可以标记为阶段性完成")
    if action == "return" and not reason.strip():
        raise InvalidInput("退回时请写明理由", field="reason")
    before = m.status
    _set_status(m, target)
    Review.objects.create(measure=m, unit=m.unit, reviewer=actor, decision=decision, reason=reason.strip())
    audit_record(
        actor=actor,
        action=f"measure.{action}",
        obj=m,
        unit_id=m.unit_id,
        before={"status": before},
        after={"status": m.status, "reason": reason.strip()},
    )
    return m


def _lock_problem(finding: Finding, actor: Any, what: str) -> Finding:
    f = Finding.objects.select_for_update().select_related("round", "unit").get(pk=finding.pk)
    _require(actor, f.unit, SUPERVISE_ROLES, what)
    _require_cleared(actor, f.sensitivity, what)
    if f.kind != FindingKind.PROBLEM:
        raise TransitionRefused("只有具体问题可以销号")
    return f


def _require_all_measures_cleared(actor: Any, f: Finding, what: str) -> None:
    """Closing or sending back acts on every measure of the problem: the actor must see them all."""
    cleared = selectors.finding_cleared_q(actor)
    if cleared and f.measures.exclude(cleared).exists():
        raise NotAllowed(f"该问题有安全标记高于您许可级别的整改措施，不能{what}")


@transaction.atomic
def finding_close(*, actor: Any, finding: Finding) -> Finding:
    """A supervisor closes a problem whose measures are all complete (对账销号)."""
    f = _lock_problem(finding, actor, "对问题销号")
    _require_all_measures_cleared(actor, f, "对问题销号")
    if f.status == ProblemStatus.CLOSED:
        raise TransitionRefused("该问题已经销号")
    statuses = list(f.measures.values_list("status", flat=True))
    if not statuses:
        raise TransitionRefused("该问题没有整改措施，不能销号")
    if any(s not in FINISHED_STATUSES for s in statuses):
        raise TransitionRefused("该问题还有未完成的整改措施，不能销号")
    f.status = ProblemStatus.CLOSED
    f.closed_at = timezone.now()
    f.closed_by = actor
    f.save(update_fields=["status", "closed_at", "closed_by"])
    Closure.objects.create(finding=f, unit=f.unit, actor=actor, action=ClosureAction.CLOSE)
    audit_record(
        actor=actor,
        action="finding.close",
        obj=f,
        unit_id=f.unit_id,
        before={"status": ProblemStatus.OPEN},
        after={"status": ProblemStatus.CLOSED},
    )
    return f


@transaction.atomic
def finding_send_back(*, actor: Any, finding: Finding, reason: str) -> Finding:
    """A supervisor refuses the close-out: the problem's finished measures go back to work."""
    f = _lock_problem(finding, actor, "退回问题整改")
    _require_all_measures_cleared(actor, f, "退回问题整改")
    if f.status == ProblemStatus.CLOSED:
        raise TransitionRefused("该问题已经销号，如需重新整改请使用“重新打开”")
    if not reason.strip():
        raise InvalidInput("退回时请写明理由", field="reason")
    sources, target = TRANSITIONS["send_back"]
    moved = []
    finished = Measure.objects.select_for_update().filter(finding=f, status__in=list(sources))
    for m in finished.order_by("position", "id"):
        status_before = m.status
        _set_status(m, target)
        Review.objects.create(
            measure=m, unit=m.unit, reviewer=actor, decision=ReviewDecision.RETURN, reason=reason.strip()
        )
        audit_record(
            actor=actor,
            action="measure.send_back",
            obj=m,
            unit_id=m.unit_id,
            before={"status": status_before},
            after={"status": m.status, "reason": reason.strip()},
        )
        moved.append(m.pk)
    if not moved:
        raise TransitionRefused("该问题没有已完成或待审核的措施，无需退回")
    Closure.objects.create(
        finding=f, unit=f.unit, actor=actor, action=ClosureAction.SEND_BACK, reason=reason.strip()
    )
    audit_record(
        actor=actor,
        action="finding.send_back",
        obj=f,
        unit_id=f.unit_id,
        after={"measures": moved, "reason": reason.strip()},
    )
    return f


@transaction.atomic
def finding_reopen(*, actor: Any, finding: Finding, reason: str) -> Finding:
    """A supervisor reopens a closed problem (回头看 found a relapse).

    The problem is open again, and so is the work: each finished measure (已完成, 阶段性完成)
    goes back to 整改中 with the reason as a return, so the problem counts as 整改中 (not
    done) everywhere until its measures are reported, reviewed and the problem closed again.
    A measure awaiting review stays so: the leader reviews the newer work.
    """
    f = _lock_problem(finding, actor, "重新打开问题")
    _require_all_measures_cleared(actor, f, "重新打开问题")
    if f.status != ProblemStatus.CLOSED:
        raise TransitionRefused("只有已销号的问题可以重新打开")
    if not reason.strip():
        raise InvalidInput("重新打开时请写明理由", field="reason")
    target = TRANSITIONS["send_back"][1]
    why = f"问题重新打开：{reason.strip()}"
    for m in (
        Measure.objects.select_for_update()
        .filter(finding=f, status__in=list(REOPEN_SOURCES))
        .order_by("position", "id")
    ):
        status_before = m.status
        _set_status(m, target)
        Review.objects.create(
            measure=m, unit=m.unit, reviewer=actor, decision=ReviewDecision.RETURN, reason=why
        )
        audit_record(
            actor=actor,
            action="measure.send_back",
            obj=m,
            unit_id=m.unit_id,
            before={"status": status_before},
            after={"status": m.status, "reason": why},
        )
    f.status = ProblemStatus.OPEN
    f.closed_at = None
    f.closed_by = None
    f.reopen_count += 1
    f.save(update_fields=["status", "closed_at", "closed_by", "reopen_count"])
    Closure.objects.create(
        finding=f, unit=f.unit, actor=actor, action=ClosureAction.REOPEN, reason=reason.strip()
    )
    audit_record(
        actor=actor,
        action="finding.reopen",
        obj=f,
        unit_id=f.unit_id,
        before={"status": ProblemStatus.CLOSED},
        after={"status": ProblemStatus.OPEN, "reason": reason.strip()},
    )
    return f


# --- 安全标记 (REQ-1.10) ------------------------------------------------------------------------


def _check_label(actor: Any, label: str, current: str, what: str) -> None:
    if label not in Sensitivity.values:
        raise InvalidInput("安全标记不正确", field="sensitivity")
    _require_cleared(actor, current, what)
    if not selectors.cleared_for(actor, label):
        raise NotAllowed(f"不能把安全标记设为“{Sensitivity(label).label}”：高于您本人的许可级别")


def _rank(label: str) -> int:
    return Sensitivity.values.index(label)


@transaction.atomic
def finding_set_sensitivity(*, actor: Any, finding: Finding, sensitivity: str) -> Finding:
    """The clerk or the unit leader labels a finding (公开/内部/敏感), within their own clearance.

    Never below the parent's label; raising it raises every finding below that is labelled
    lower, so that a finding a user may see always has ancestors they may see. Each change is
    recorded (``label.change``) with the label before and after. Measures keep their own
    label: what counts for them is the higher of theirs and their problem's.
    """
    f = Finding.objects.select_for_update(of=("self",)).select_related("parent", "unit").get(pk=finding.pk)
    _require(actor, f.unit, LABEL_ROLES, "设置安全标记")
    _check_label(actor, sensitivity, f.sensitivity, "设置安全标记")
    if f.parent is not None and _rank(sensitivity) < _rank(f.parent.sensitivity):
        parent_label = Sensitivity(f.parent.sensitivity).label
        raise InvalidInput(f"安全标记不能低于上级“{f.parent.title}”的“{parent_label}”", field="sensitivity")
    before = f.sensitivity
    if before == sensitivity:
        return f
    tree = list(Finding.objects.select_for_update().filter(round_id=f.round_id).order_by("position", "pk"))
    children: dict[int | None, list[Finding]] = {}
    for node in tree:
        children.setdefault(node.parent_id, []).append(node)
    raised: list[Finding] = []
    stack = list(children.get(f.pk, []))
    while stack:
        node = stack.pop()
        if _rank(node.sensitivity) < _rank(sensitivity):
            raised.append(node)
        stack.extend(children.get(node.pk, []))
    f.sensitivity = sensitivity
    f.save(update_fields=["sensitivity"])
    audit_record(
        actor=actor,
        action="label.change",
        obj=f,
        unit_id=f.unit_id,
        before={"sensitivity": before},
        after={"sensitivity": sensitivity},
    )
    for node in raised:
        old = node.sensitivity
        node.sensitivity = sensitivity
        node.save(update_fields=["sensitivity"])
        audit_record(
            actor=actor,
            action="label.change",
            obj=node,
            unit_id=node.unit_id,
            before={"sensitivity": old},
            after={"sensitivity": sensitivity, "with": f.pk},
        )
    return f


@transaction.atomic
def measure_set_sensitivity(*, actor: Any, measure: Measure, sensitivity: str) -> Measure:
    """The clerk or the unit leader labels a measure, within their own clearance; recorded.

    What counts for the measure and its evidence is the higher of this and its problem's label.
    """
    m = _locked(measure)
    _require(actor, m.unit, LABEL_ROLES, "设置安全标记")
    _check_label(actor, sensitivity, _label(m), "设置安全标记")
    before, before_effective = m.sensitivity, _label(m)
    if before == sensitivity:
        return m
    m.sensitivity = sensitivity
    m.save(update_fields=["sensitivity", "updated_at"])
    audit_record(
        actor=actor,
        action="label.change",
        obj=m,
        unit_id=m.unit_id,
        before={"sensitivity": before, "effective": before_effective},
        after={"sensitivity": sensitivity, "effective": _label(m)},
    )
    return m


def record_refusal(*, actor: Any, action: str, obj: Any, reason: str) -> None:
    """Record a refused action (forged or stale request); called outside the failed transaction."""
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        unit_id=getattr(obj, "unit_id", None),
        outcome="denied",
        after={"reason": reason},
    )
