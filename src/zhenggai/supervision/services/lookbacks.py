"""回头看: a scheduled re-check of a round's closed problems months after close-out. Each is
found held (巩固良好) or relapsed (反弹); a relapse reopens the problem as a new cycle that keeps
the earlier cycle's history."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_change
from zhenggai.errors import InvalidInput, TransitionRefused
from zhenggai.ledger.models import Finding, FindingKind, Measure, ProblemStatus, Round
from zhenggai.ledger.policy import SUPERVISE_ROLES, cleared_for, require_cleared, require_role
from zhenggai.ledger.services import finding_reopen
from zhenggai.notify.services import message_send
from zhenggai.units.models import Role
from zhenggai.units.selectors import holders_at

from ..models import Lookback, LookbackItem, LookbackResult, LookbackStatus

#: The results a check may give (``pending`` is where an item starts).
CHECK_RESULTS = frozenset({LookbackResult.HELD, LookbackResult.RELAPSED})


def _closed_problems(round: Round) -> Iterable[Finding]:
    return Finding.objects.filter(
        round=round, kind=FindingKind.PROBLEM, status=ProblemStatus.CLOSED
    ).order_by("position", "id")


@transaction.atomic
def lookback_create(
    *,
    actor: Actor,
    round: Round,
    title: str,
    scheduled_on: dt.date | None,
    finding_ids: Iterable[int] | None = None,
) -> Lookback:
    """A supervisor schedules a look-back of ``round``: every closed problem of it, or those
    chosen (``finding_ids``: closed problems of the round the supervisor is cleared for)."""
    require_role(actor, round.unit, SUPERVISE_ROLES, "安排回头看")
    title = title.strip()
    if not title:
        raise InvalidInput("请填写回头看的名称", field="title")
    if scheduled_on is None:
        raise InvalidInput("请填写计划日期", field="scheduled_on")
    closed = list(_closed_problems(round))
    if finding_ids is not None:
        wanted = set(finding_ids)
        by_id = {f.pk: f for f in closed}
        if not wanted:
            raise InvalidInput("请选择要回头看的问题", field="finding_ids")
        wrong = [pk for pk in wanted if pk not in by_id or not cleared_for(actor, by_id[pk].sensitivity)]
        if wrong:
            raise InvalidInput("所选问题须为本轮次已销号的问题", field="finding_ids")
        closed = [f for f in closed if f.pk in wanted]
    if not closed:
        raise InvalidInput("该轮次还没有已销号的问题，无需回头看", field="finding_ids")
    lb = Lookback(round=round, unit=round.unit, title=title, scheduled_on=scheduled_on, created_by=actor)
    lb.full_clean()
    lb.save()
    LookbackItem.objects.bulk_create(
        [LookbackItem(lookback=lb, finding=f, unit=f.unit, cycle=f.cycle) for f in closed]
    )
    audit_change(
        actor,
        "lookback.create",
        lb,
        after={
            "round": round.pk,
            "title": title,
            "scheduled_on": scheduled_on.isoformat(),
            "findings": [f.pk for f in closed],
        },
    )
    return lb


@transaction.atomic
def lookback_check(*, actor: Actor, item: LookbackItem, result: str, opinion: str) -> LookbackItem:
    """A supervisor records what the look-back found of one problem: held, or relapsed (an
    opinion required), which reopens the problem as a new cycle (``finding_reopen`` with
    ``relapse``) and tells the problem's responsible persons and the unit's clerks."""
    it = (
        LookbackItem.objects.select_for_update().select_related("lookback", "finding", "unit").get(pk=item.pk)
    )
    finding = it.finding
    require_role(actor, it.unit, SUPERVISE_ROLES, "核查回头看问题")
    require_cleared(actor, finding.sensitivity, "核查回头看问题")
    if it.lookback.status != LookbackStatus.PLANNED:
        raise TransitionRefused("该回头看已完成，不能再核查")
    if result not in CHECK_RESULTS:
        raise InvalidInput("请选择核查结论", field="result")
    if it.result != LookbackResult.PENDING:
        raise TransitionRefused(f"该问题已核查（{it.get_result_display()}）")
    if finding.deleted_at is not None:
        raise TransitionRefused("该问题已被删除，不能核查")
    if finding.status != ProblemStatus.CLOSED:
        raise TransitionRefused("该问题当前不是已销号状态（可能已重新打开），不能核查")
    opinion = opinion.strip()
    if result == LookbackResult.RELAPSED and not opinion:
        raise InvalidInput("认定反弹时请写明核查意见", field="opinion")
    it.result = result
    it.opinion = opinion
    it.cycle = finding.cycle
    it.checked_by = actor
    it.checked_at = timezone.now()
    it.save(update_fields=["result", "opinion", "cycle", "checked_by", "checked_at"])
    audit_change(
        actor,
        "lookback.check",
        it,
        after={"finding": finding.pk, "result": result, "opinion": opinion, "cycle": it.cycle},
    )
    if result == LookbackResult.RELAPSED:
        reopened = finding_reopen(
            actor=actor, finding=finding, reason=f"回头看发现反弹：{opinion}", relapse=True
        )
        persons = {
            m.person
            for m in Measure.objects.filter(finding=reopened, person__isnull=False).select_related("person")
        }
        clerks = set(holders_at(unit=reopened.unit, roles={Role.CLERK}))
        message_send(
            recipients=[*persons, *clerks],
            kind="problem.reopened",
            subject=f"回头看发现问题反弹，已重新打开（第{reopened.cycle}轮整改）：{reopened.title[:40]}",
            body=f"核查意见：{opinion}",
            url=reverse("web:problem-detail", args=[reopened.pk]),
            topic=f"finding:{reopened.pk}",
            unit=reopened.unit,
            sensitivity=reopened.sensitivity,
        )
    return it


@transaction.atomic
def lookback_complete(*, actor: Actor, lookback: Lookback) -> Lookback:
    """A supervisor completes a look-back whose problems are all checked."""
    lb = Lookback.objects.select_for_update().select_related("unit").get(pk=lookback.pk)
    require_role(actor, lb.unit, SUPERVISE_ROLES, "完成回头看")
    if lb.status != LookbackStatus.PLANNED:
        raise TransitionRefused("该回头看已经完成")
    pending = lb.items.filter(result=LookbackResult.PENDING).count()
    if pending:
        raise TransitionRefused(f"还有 {pending} 个问题未核查，不能完成回头看")
    counts = {r: lb.items.filter(result=r).count() for r in CHECK_RESULTS}
    lb.status = LookbackStatus.DONE
    lb.completed_at = timezone.now()
    lb.save(update_fields=["status", "completed_at"])
    audit_change(
        actor,
        "lookback.complete",
        lb,
        before={"status": LookbackStatus.PLANNED},
        after={
            "status": lb.status,
            "held": counts[LookbackResult.HELD],
            "relapsed": counts[LookbackResult.RELAPSED],
        },
    )
    return lb
