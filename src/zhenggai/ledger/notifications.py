"""What the ledger tells people at once (督办: the events, not the reminders): who receives a
message and what it says, in Chinese, for each event a service records.

Every function is called inside the service's transaction (``message_send`` writes the inbox
and the outbox with the event, or not at all). The bulk paths pass every measure at once: the
messages are grouped by who receives them, so the number of queries grows with the number of
people (a handful per round), never with the number of measures.

The kinds: ``measure.assigned`` (a measure has a new responsible person), ``measure.returned``
(returned by the unit head, the responsible leader or a supervisor, with the reason),
``review.waiting`` (a submission awaits the actor's review), ``plan.amended`` (the signed plan
changed: the unit head signs again) and ``finding.reopened`` (a closed problem is open again).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.urls import reverse
from django.utils import timezone

from zhenggai.accounts.models import Sensitivity
from zhenggai.notify.models import Outbox, OutboxStatus
from zhenggai.notify.services import message_send, messages_cancel
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import holders_at

from .models import Finding, Measure, MeasureStatus, Round
from .policy import effective_sensitivity

#: The kind of a queued reminder (``supervision``): cancelled when what it says changed.
REMINDER_KINDS = ("reminder",)
#: How many measures a grouped message names before "等 N 项".
LISTED = 10


def measure_topic(measure_id: int) -> str:
    """The topic of the messages about a measure (``messages_cancel`` finds them by it)."""
    return f"measure:{measure_id}"


def _measure_url(measure_id: int) -> str:
    return reverse("web:measure-detail", args=[measure_id])


def _short(text: str, size: int = 30) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _cn(d: dt.date | None) -> str:
    return f"{d.year}年{d.month}月{d.day}日" if d else "未设定"


def _listing(measures: Sequence[Measure]) -> str:
    lines = [f"· {_short(m.text, 60)}（完成时限：{_cn(m.deadline)}）" for m in measures[:LISTED]]
    if len(measures) > LISTED:
        lines.append(f"等共 {len(measures)} 项")
    return "\n".join(lines)


def _send_grouped(
    groups: dict[int, tuple[Any, list[Measure]]],
    *,
    kind: str,
    one: Any,
    many: Any,
    unit: Unit | None = None,
) -> None:
    """One message per recipient: ``one(measure)`` → (subject, body) about a single measure (its
    page and topic), ``many(measures)`` → (subject, body) about several (the task page)."""
    for user, measures in groups.values():
        # The message says what the measures say: it carries their highest 安全标记 (REQ-1.10).
        label = Sensitivity.highest(*(effective_sensitivity(m) for m in measures))
        if len(measures) == 1:
            m = measures[0]
            subject, body = one(m)
            message_send(
                recipients=[user],
                kind=kind,
                subject=subject,
                body=body,
                url=_measure_url(m.pk),
                topic=measure_topic(m.pk),
                unit=unit or m.unit,
                sensitivity=label,
            )
        else:
            subject, body = many(measures)
            message_send(
                recipients=[user],
                kind=kind,
                subject=subject,
                body=body,
                url=reverse("web:home"),
                unit=unit or measures[0].unit,
                sensitivity=label,
            )


# --- assigned ------------------------------------------------------------------------------------


def reminders_cancel(measure_ids: Iterable[int]) -> int:
    """Cancel the queued reminder deliveries of these measures (their person or deadline changed,
    so what the reminders say is no longer true): one UPDATE whatever their number.

    One measure: ``notify.services.messages_cancel``. Several (the bulk paths): the same filter
    over the list of topics in one statement, which ``messages_cancel`` does not take yet.
    """
    topics = [measure_topic(pk) for pk in sorted(set(measure_ids))]
    if not topics:
        return 0
    if len(topics) == 1:
        return messages_cancel(topic=topics[0], kinds=REMINDER_KINDS)
    return Outbox.objects.filter(
        status=OutboxStatus.QUEUED, message__topic__in=topics, message__kind__in=list(REMINDER_KINDS)
    ).update(status=OutboxStatus.CANCELLED, last_error="已取消：责任人或完成时限已变更")


def notify_assigned(measures: Sequence[Measure]) -> None:
    """Each new responsible person learns at once what was given to them (one message each)."""
    groups: dict[int, tuple[Any, list[Measure]]] = {}
    for m in measures:
        if m.person is not None:
            groups.setdefault(m.person.pk, (m.person, []))[1].append(m)
    _send_grouped(
        groups,
        kind="measure.assigned",
        one=lambda m: (
            f"新的整改任务：{_short(m.text)}",
            f"您被指定为该整改措施的责任人，完成时限：{_cn(m.deadline)}。\n{m.text}",
        ),
        many=lambda ms: (
            f"新的整改任务 {len(ms)} 项",
            f"您被指定为以下 {len(ms)} 项整改措施的责任人：\n{_listing(ms)}",
        ),
    )


def assignment_changed(
    changes: Sequence[tuple[Measure, dict[str, Any]]], now: dt.datetime | None = None
) -> list[Measure]:
    """After measures changed (``(measure, {field: new value})`` as the services audit them):
    the reminders of those whose person or deadline changed are cancelled, and those with a new
    person get ``assigned_at`` (set on the measure; the caller saves it) and are returned, to be
    told with ``notify_assigned`` once saved."""
    now = now or timezone.now()
    touched = [m for m, diff in changes if "person" in diff or "deadline" in diff]
    reminders_cancel(m.pk for m in touched)
    assigned = []
    for m, diff in changes:
        if "person" in diff:
            m.assigned_at = now if m.person_id is not None else None
            if m.person_id is not None:
                assigned.append(m)
    return assigned


# --- returned ------------------------------------------------------------------------------------


def notify_returned(returns: Sequence[tuple[Measure, str]], *, by: str) -> None:
    """The responsible person of each returned measure learns it and why: ``returns`` are
    (measure, reason) pairs; ``by`` says who returned them (第一责任人, 责任领导, 督办部门)."""
    reasons = {m.pk: reason for m, reason in returns}
    groups: dict[int, tuple[Any, list[Measure]]] = {}
    for m, _ in returns:
        if m.person is not None:
            groups.setdefault(m.person.pk, (m.person, []))[1].append(m)

    def many(ms: Sequence[Measure]) -> tuple[str, str]:
        lines = [f"· {_short(m.text, 60)}——理由：{reasons[m.pk]}" for m in ms[:LISTED]]
        if len(ms) > LISTED:
            lines.append(f"等共 {len(ms)} 项")
        return f"{len(ms)} 项整改措施被退回", f"{by}退回了以下整改措施：\n" + "\n".join(lines)

    _send_grouped(
        groups,
        kind="measure.returned",
        one=lambda m: (
            f"整改措施被退回：{_short(m.text)}",
            f"{by}退回了该整改措施，理由：{reasons[m.pk]}\n{m.text}",
        ),
        many=many,
    )


# --- review waiting ------------------------------------------------------------------------------


def _as_leader(m: Measure) -> str:
    return "（责任领导）" if m.status == MeasureStatus.LEADER_REVIEW else ""


def notify_review_waiting(measures: Sequence[Measure]) -> None:
    """Who reviews next learns that a submission waits: the responsible leader of a measure
    awaiting 责任领导审核, else the unit heads (第一责任人) of the measure's unit."""
    heads: dict[int, list[Any]] = {}
    groups: dict[int, tuple[Any, list[Measure]]] = {}
    for m in measures:
        if m.status == MeasureStatus.LEADER_REVIEW and m.leader is not None:
            reviewers = [m.leader]
        else:
            if m.unit_id not in heads:
                heads[m.unit_id] = list(holders_at(unit=m.unit, roles={Role.UNIT_LEADER}))
            reviewers = heads[m.unit_id]
        for user in reviewers:
            groups.setdefault(user.pk, (user, []))[1].append(m)
    _send_grouped(
        groups,
        kind="review.waiting",
        one=lambda m: (
            f"待审核：{_short(m.text)}",
            f"整改措施已提交，等待您{_as_leader(m)}审核。\n{m.text}",
        ),
        many=lambda ms: (
            f"{len(ms)} 项整改措施待您审核",
            f"以下整改措施已提交，等待您审核：\n{_listing(ms)}",
        ),
    )


# --- plan amended after signing ------------------------------------------------------------------


def notify_plan_amended(round: Round, *, count: int = 1) -> None:
    """The unit heads learn that the signed plan changed and wants signing again: once per round
    per day (the dedupe key carries the date), however many changes that day brings."""
    today = timezone.localdate()
    message_send(
        recipients=holders_at(unit=round.unit, roles={Role.UNIT_LEADER}),
        kind="plan.amended",
        subject=f"方案已变更，需重新签字：{_short(round.title, 40)}",
        body=f"“{round.title}”的整改方案在签字后有变更（本次 {count} 处），请核对变更记录后重新签字背书。",
        url=reverse("web:round-detail", args=[round.pk]),
        topic=f"round:{round.pk}",
        unit=round.unit,
        dedupe=f"plan.amended:{round.pk}:{today.isoformat()}",
    )


# --- problem reopened ----------------------------------------------------------------------------


def notify_reopened(finding: Finding, *, reason: str, relapse: bool) -> None:
    """The responsible persons of its measures and the unit's clerks (整改办) learn that a closed
    problem is open again, and why."""
    persons = [
        m.person for m in finding.measures.select_related("person").filter(person__isnull=False)
    ]
    clerks = list(holders_at(unit=finding.unit, roles={Role.CLERK}))
    what = "回头看发现问题反弹，" if relapse else ""
    cycle = f"（第{finding.cycle}轮整改）" if finding.cycle > 1 else ""
    message_send(
        recipients=[*persons, *clerks],
        kind="finding.reopened",
        subject=f"问题重新打开{cycle}：{_short(finding.title)}",
        body=f"{what}已销号的问题重新打开，请重新整改。理由：{reason}\n{finding.title}",
        url=reverse("web:problem-detail", args=[finding.pk]),
        topic=f"finding:{finding.pk}",
        unit=finding.unit,
        sensitivity=finding.sensitivity,
    )

