"""Close-out (对账销号) of a problem, sending it back, and reopening it when a look-back finds a
relapse (回头看)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_change
from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused

from .. import notifications, selectors
from ..models import (
    Closure,
    ClosureAction,
    Finding,
    FindingKind,
    Measure,
    Review,
    ReviewDecision,
)
from ..policy import (
    MEASURE_TRANSITIONS,
    PROBLEM_TRANSITIONS,
    READY_TO_CLOSE,
    SUPERVISE_ROLES,
    problem_state,
    require_cleared,
    require_role,
)
from ._common import (
    _set_status,
)

#: Where a problem's send-back and reopening take the measures they send back to work.
_BACK_TO_WORK = MEASURE_TRANSITIONS["send_back"].target


def _lock_problem(finding: Finding, actor: Actor, what: str) -> Finding:
    f = Finding.objects.select_for_update().select_related("round", "unit").get(pk=finding.pk)
    require_role(actor, f.unit, SUPERVISE_ROLES, what)
    require_cleared(actor, f.sensitivity, what)
    if f.kind != FindingKind.PROBLEM:
        raise TransitionRefused("只有具体问题可以销号")
    return f


def _require_all_measures_cleared(actor: Actor, f: Finding, what: str) -> None:
    """Closing or sending back acts on every measure of the problem: the actor must see them all."""
    cleared = selectors.finding_cleared_q(actor)
    if cleared and f.measures.exclude(cleared).exists():
        raise NotAllowed(f"该问题有安全标记高于您许可级别的整改措施，不能{what}")


@transaction.atomic
def finding_close(*, actor: Actor, finding: Finding, opinion: str) -> Finding:
    """A supervisor closes a problem whose measures are all complete (对账销号), with the
    opinion the close-out rests on (销号意见, required; stored as the closure's reason)."""
    f = _lock_problem(finding, actor, "对问题销号")
    _require_all_measures_cleared(actor, f, "对问题销号")
    step = PROBLEM_TRANSITIONS["close"]
    if f.status not in step.sources:
        raise TransitionRefused("该问题已经销号")
    statuses = list(f.measures.values_list("status", flat=True))
    if not statuses:
        raise TransitionRefused("该问题没有整改措施，不能销号")
    if problem_state(f, statuses) not in READY_TO_CLOSE:
        raise TransitionRefused("该问题还有未完成的整改措施，不能销号")
    opinion = opinion.strip()
    if not opinion:
        raise InvalidInput("销号时请填写销号意见", field="opinion")
    before = f.status
    f.status = step.target
    f.closed_at = timezone.now()
    f.closed_by = actor
    f.save(update_fields=["status", "closed_at", "closed_by"])
    Closure.objects.create(
        finding=f, unit=f.unit, actor=actor, action=ClosureAction.CLOSE, reason=opinion, cycle=f.cycle
    )
    audit_change(
        actor, "finding.close", f, before={"status": before}, after={"status": f.status, "opinion": opinion}
    )
    return f


@transaction.atomic
def finding_send_back(*, actor: Actor, finding: Finding, reason: str) -> Finding:
    """A supervisor refuses the close-out: the problem's finished measures go back to work."""
    f = _lock_problem(finding, actor, "退回问题整改")
    _require_all_measures_cleared(actor, f, "退回问题整改")
    step = PROBLEM_TRANSITIONS["send_back"]
    if f.status not in step.sources:
        raise TransitionRefused("该问题已经销号，如需重新整改请使用“重新打开”")
    if not reason.strip():
        raise InvalidInput("退回时请写明理由", field="reason")
    moved = []
    returned = []
    finished = (
        Measure.objects.select_for_update(of=("self",))
        .select_related("person", "unit")
        .filter(finding=f, status__in=sorted(step.measures))
    )
    for m in finished.order_by("position", "id"):
        status_before = m.status
        _set_status(m, _BACK_TO_WORK)
        Review.objects.create(
            measure=m, unit=m.unit, reviewer=actor, decision=ReviewDecision.RETURN, reason=reason.strip()
        )
        audit_change(
            actor,
            "measure.send_back",
            m,
            before={"status": status_before},
            after={"status": m.status, "reason": reason.strip()},
        )
        moved.append(m.pk)
        returned.append((m, reason.strip()))
    if not moved:
        raise TransitionRefused("该问题没有已完成或待审核的措施，无需退回")
    Closure.objects.create(
        finding=f,
        unit=f.unit,
        actor=actor,
        action=ClosureAction.SEND_BACK,
        reason=reason.strip(),
        cycle=f.cycle,
    )
    audit_change(actor, "finding.send_back", f, after={"measures": moved, "reason": reason.strip()})
    notifications.notify_returned(returned, by="督办部门（销号审核）")
    return f


@transaction.atomic
def finding_reopen(*, actor: Actor, finding: Finding, reason: str, relapse: bool = False) -> Finding:
    """A supervisor reopens a closed problem (回头看 found a relapse).

    With ``relapse`` (a look-back found it 反弹) the problem starts a new cycle
    (``Finding.cycle`` + 1): the earlier cycle's progress, reviews and close-outs stay as its history.

    The problem is open again, and so is the work: each finished measure (已完成, 阶段性完成)
    goes back to 整改中 with the reason as a return, so the problem counts as 整改中 (not
    done) everywhere until its measures are reported, reviewed and the problem closed again.
    A measure awaiting review stays so: the leader reviews the newer work.
    """
    f = _lock_problem(finding, actor, "重新打开问题")
    _require_all_measures_cleared(actor, f, "重新打开问题")
    step = PROBLEM_TRANSITIONS["reopen"]
    if f.status not in step.sources:
        raise TransitionRefused("只有已销号的问题可以重新打开")
    if not reason.strip():
        raise InvalidInput("重新打开时请写明理由", field="reason")
    why = f"问题重新打开：{reason.strip()}"
    for m in (
        Measure.objects.select_for_update()
        .filter(finding=f, status__in=sorted(step.measures))
        .order_by("position", "id")
    ):
        status_before = m.status
        _set_status(m, _BACK_TO_WORK)
        Review.objects.create(
            measure=m, unit=m.unit, reviewer=actor, decision=ReviewDecision.RETURN, reason=why
        )
        audit_change(
            actor,
            "measure.send_back",
            m,
            before={"status": status_before},
            after={"status": m.status, "reason": why},
        )
    before = f.status
    f.status = step.target
    f.closed_at = None
    f.closed_by = None
    f.reopen_count += 1
    cycle_before = f.cycle
    if relapse:
        f.cycle += 1
    f.save(update_fields=["status", "closed_at", "closed_by", "reopen_count", "cycle"])
    Closure.objects.create(
        finding=f,
        unit=f.unit,
        actor=actor,
        action=ClosureAction.REOPEN,
        reason=reason.strip(),
        cycle=cycle_before,
    )
    audit_change(
        actor,
        "finding.reopen",
        f,
        before={"status": before, "cycle": cycle_before},
        after={"status": f.status, "reason": reason.strip(), "cycle": f.cycle, "relapse": relapse},
    )
    notifications.notify_reopened(f, reason=reason.strip(), relapse=relapse)
    return f
