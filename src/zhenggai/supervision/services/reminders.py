"""``zhenggai remind``: the warnings (三色预警 and black) that are due, made once and sent.

For every live open measure with a deadline, the tier it has reached today (its round's tiers,
``rules.tier_of``) gets one ``Reminder`` row per (measure, tier, deadline, responsible person)
and one message to the tier's audience. The row's unique key makes the run idempotent: run
twice the same day, the second run finds every row and sends nothing. Only the latest tier
reached is sent (a measure first seen overdue gets the red warning, not green and yellow too).
A reminder whose measure has since changed hands or deadline (or was deleted) is
cancelled, and so are its deliveries still queued; the new owner or deadline starts afresh.

The queries do not grow with the number of measures, except one ``message_send`` per new
reminder and one cancellation per stale one: the measures are read in one query, the tiers of
their rounds in one, the unit heads and supervisors once per unit.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone

from zhenggai.audit.services import audit_record
from zhenggai.ledger.models import Measure
from zhenggai.ledger.policy import OPEN, ORDER_REPLY_ROLES, effective_sensitivity
from zhenggai.notify.services import message_send, messages_cancel
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import holders_above, holders_at

from ..models import FollowUpOrder, OrderStatus, Reminder, default_tiers
from ..rules import LEVELS, tier_of, tiers_by_round
from ..selectors.followup import order_tier

#: Other deadlines ``zhenggai remind`` warns about after the measures', registered at start-up
#: by the apps above this one (supervision may not import them): name → ``fn(*, at) -> int``
#: (how many warnings it queued). The citizen feedback's reply deadlines are one.
EXTRA_SOURCES: dict[str, Callable[..., int]] = {}


def register_source(name: str, fn: Callable[..., int]) -> None:
    """Add a deadline source to ``zhenggai remind`` (an app's ``ready()`` calls it; idempotent)."""
    EXTRA_SOURCES[name] = fn


#: The PostgreSQL advisory lock two concurrent runs take, one after the other (SQLite's
#: ``BEGIN IMMEDIATE`` already makes writers wait for each other).
PG_LOCK_KEY = 0x7A67_7265_6D6E  # "zgremn"


@dataclass(frozen=True)
class RemindReport:
    """What one run did: reminders made (and messages sent), by tier; reminders cancelled."""

    queued: int
    by_tier: dict[str, int] = field(default_factory=dict)
    cancelled: int = 0


def dedupe_key(*, measure_id: int, tier: str, deadline: dt.date, person_id: int | None) -> str:
    """The message key of one reminder (``notify.Message.dedupe``): one per recipient."""
    return f"reminder:{measure_id}:{tier}:{deadline.isoformat()}:{person_id or 0}"


def topic_of(measure_id: int) -> str:
    return f"measure:{measure_id}"


def cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def level_name(tier: str) -> str:
    """``红色预警`` from ``红色预警（已逾期）``: the name a subject line gives."""
    return LEVELS.get(tier, tier).split("（")[0]


def reminder_subject(*, tier: str, deadline: dt.date, today: dt.date) -> str:
    left = (deadline - today).days
    if left > 0:
        when = f"将于{cn_date(deadline)}到期（剩{left}天）"
    elif left == 0:
        when = f"今天（{cn_date(deadline)}）到期"
    else:
        when = f"已逾期{-left}天（完成时限{cn_date(deadline)}）"
    return f"【{level_name(tier)}】整改措施{when}"


def reminder_body(*, measure: Measure, tier: str, deadline: dt.date, today: dt.date) -> str:
    finding = measure.finding
    lines = [
        f"预警等级：{LEVELS.get(tier, tier)}",
        f"巡察轮次：{measure.round.title}",
        f"问题：{finding.number} {finding.title}".replace("  ", " "),
        f"整改措施：{measure.text}",
        f"完成时限：{cn_date(deadline)}",
        f"责任领导：{measure.leader or '未指定'}",
        f"责任人：{measure.person or '未指定'}",
        f"提醒日期：{cn_date(today)}",
    ]
    if measure.original_deadline and measure.original_deadline != deadline:
        lines.insert(5, f"原完成时限：{cn_date(measure.original_deadline)}（已延期）")
    lines.append("请及时推进整改、填报进展；确需延期的，请在措施页面申请延期。")
    return "\n".join(lines)


class _Recipients:
    """The people a tier tells, the unit heads and supervisors read once per unit."""

    def __init__(self) -> None:
        self.heads: dict[int, list[Any]] = {}
        self.supervisors: dict[int, list[Any]] = {}

    def of(self, measure: Measure, audience: list[str]) -> list[Any]:
        unit: Unit = measure.unit
        out: list[Any] = []
        if "person" in audience and measure.person is not None:
            out.append(measure.person)
        if "leader" in audience and measure.leader is not None:
            out.append(measure.leader)
        if "unit_head" in audience:
            if unit.pk not in self.heads:
                self.heads[unit.pk] = list(holders_at(unit=unit, roles={Role.UNIT_LEADER}))
            out += self.heads[unit.pk]
        if "supervisor" in audience:
            if unit.pk not in self.supervisors:
                self.supervisors[unit.pk] = list(holders_above(unit=unit, roles={Role.SUPERVISOR}))
            out += self.supervisors[unit.pk]
        return out


def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])


def _cancel_stale(now: dt.datetime) -> int:
    """Cancel the reminders no longer true (owner or deadline changed, measure deleted) and
    their queued deliveries. Two queries to find them, one per stale reminder.

    A finished measure's reminders are left alone: sent back to work with the same owner and
    deadline, it must not be warned again for a tier it has already had."""
    # Only open measures' reminders can go stale (a finished one's are left alone, above): the
    # rows read stay as many as the open measures' tiers, not the whole history.
    pending = list(
        Reminder.objects.filter(cancelled_at__isnull=True, measure__status__in=sorted(OPEN)).values_list(
            "pk",
            "measure_id",
            "tier",
            "deadline",
            "person_id",
        )
    )
    if not pending:
        return 0
    current = {
        pk: (person_id, deadline)
        for pk, person_id, deadline in Measure.objects.filter(
            pk__in={r[1] for r in pending},
            round__deleted_at__isnull=True,
            finding__deleted_at__isnull=True,
        ).values_list("pk", "person_id", "deadline")
    }
    stale: list[int] = []
    for pk, measure_id, tier, deadline, person_id in pending:
        if current.get(measure_id) == (person_id, deadline):
            continue
        stale.append(pk)
        messages_cancel(
            topic=topic_of(measure_id),
            kinds=["reminder"],
            dedupe_prefix=dedupe_key(
                measure_id=measure_id, tier=tier, deadline=deadline, person_id=person_id
            ),
        )
    if stale:
        Reminder.objects.filter(pk__in=stale).update(cancelled_at=now)
    return len(stale)


def _remind_orders(today: dt.date) -> Counter[str]:
    """督办单 are tracked like measures: an order awaiting its reply is warned by its reply
    deadline, with its round's tiers (the default without one), to the unit's clerks and head,
    and from red on to the supervisor who issued it. Once per order, tier and reply deadline
    (the message's ``dedupe`` key): a second run the same day sends nothing."""
    waiting = list(
        FollowUpOrder.objects.filter(status=OrderStatus.ISSUED).select_related("unit", "issued_by", "finding")
    )
    tiers = tiers_by_round({o.round_id for o in waiting if o.round_id})
    repliers: dict[int, list[Any]] = {}
    sent: Counter[str] = Counter()
    for o in waiting:
        key = order_tier(o, today=today, tiers=tiers.get(o.round_id or 0) or default_tiers())
        if not key:
            continue
        if o.unit_id not in repliers:
            repliers[o.unit_id] = list(holders_at(unit=o.unit, roles=set(ORDER_REPLY_ROLES)))
        audience = [*repliers[o.unit_id], *([o.issued_by] if key in ("red", "black") else [])]
        made = message_send(
            recipients=audience,
            kind="order.reminder",
            subject=f"【{level_name(key)}】督办单{o.number}的回复期限：{cn_date(o.reply_due)}",
            body=f"督办事项：{o.subject}\n回复期限：{cn_date(o.reply_due)}\n请按期回复。",
            url=reverse("supervision:order-detail", args=[o.pk]),
            topic=f"order:{o.pk}",
            level=key,
            unit=o.unit,
            dedupe=f"order-reminder:{o.pk}:{key}:{o.reply_due.isoformat()}",
            sensitivity=o.finding.sensitivity if o.finding else "",
        )
        if made:
            sent[key] += 1
    return sent


def remind(*, at: dt.date | None = None) -> RemindReport:
    """Make and send the warnings due on ``at`` (today when None); cancel those no longer true.

    Idempotent: a second run the same day makes nothing. Audited ``supervision.remind`` (no
    actor: the system) when it made or cancelled anything."""
    today = at or timezone.localdate()
    now = timezone.now()
    with transaction.atomic():
        _lock()
        cancelled = _cancel_stale(now)
        live = Measure.objects.filter(
            status__in=sorted(OPEN),
            deadline__isnull=False,
            round__deleted_at__isnull=True,
            finding__deleted_at__isnull=True,
        )
        round_ids = sorted(set(live.order_by().values_list("round_id", flat=True).distinct()))
        tiers = tiers_by_round(round_ids)
        if not round_ids:
            horizon = None
        else:
            horizon = today + dt.timedelta(days=max(int(t["days"]) for ts in tiers.values() for t in ts))
        measures = (
            list(
                live.filter(deadline__lte=horizon)
                .select_related("round", "finding", "unit", "leader", "person")
                .order_by("round_id", "deadline", "pk")
            )
            if horizon is not None
            else []
        )
        due: list[tuple[Measure, dict[str, Any], dt.date]] = []
        for m in measures:
            round_tiers = tiers[m.round_id]
            key = tier_of(deadline=m.deadline, status=m.status, today=today, tiers=round_tiers)
            if key and m.deadline is not None:
                due.append((m, next(t for t in round_tiers if t["key"] == key), m.deadline))
        have = set(
            Reminder.objects.filter(measure_id__in=[m.pk for m, _, _ in due]).values_list(
                "measure_id", "tier", "deadline", "person_id"
            )
        )
        new = [(m, t, d) for m, t, d in due if (m.pk, t["key"], d, m.person_id) not in have]
        Reminder.objects.bulk_create(
            [
                Reminder(
                    measure=m,
                    round_id=m.round_id,
                    unit_id=m.unit_id,
                    tier=t["key"],
                    deadline=deadline,
                    person_id=m.person_id,
                    due_on=today,
                )
                for m, t, deadline in new
            ]
        )
        recipients = _Recipients()
        by_tier: Counter[str] = Counter()
        for m, t, deadline in new:
            key = str(t["key"])
            by_tier[key] += 1
            message_send(
                recipients=recipients.of(m, list(t["notify"])),
                kind="reminder",
                subject=reminder_subject(tier=key, deadline=deadline, today=today),
                body=reminder_body(measure=m, tier=key, deadline=deadline, today=today),
                url=reverse("web:measure-detail", args=[m.pk]),
                topic=topic_of(m.pk),
                level=key,
                unit=m.unit,
                dedupe=dedupe_key(measure_id=m.pk, tier=key, deadline=deadline, person_id=m.person_id),
                sensitivity=effective_sensitivity(m),
            )
        orders = _remind_orders(today)
        by_tier.update(orders)
        report = RemindReport(
            queued=len(new) + sum(orders.values()),
            by_tier={k: by_tier[k] for k in LEVELS if by_tier[k]},
            cancelled=cancelled,
        )
        if report.queued or report.cancelled:
            audit_record(
                actor=None,
                action="supervision.remind",
                after={
                    "at": today.isoformat(),
                    "queued": report.queued,
                    "by_tier": report.by_tier,
                    "cancelled": report.cancelled,
                },
            )
    return report
