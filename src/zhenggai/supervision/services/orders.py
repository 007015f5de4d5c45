"""督办单: a supervisor's formal follow-up order to a unit in their charge, with a reply
deadline; the unit's clerk or head replies; the supervisor closes it (办结) or sends it back
for a new reply."""

from __future__ import annotations

import datetime as dt
import re

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_change
from zhenggai.errors import InvalidInput, NotAllowed, StaleEdit, TransitionRefused
from zhenggai.ledger.models import Finding, Round
from zhenggai.ledger.policy import ORDER_REPLY_ROLES, SUPERVISE_ROLES, can, require_cleared, require_role
from zhenggai.notify.services import message_send
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import holders_at, memberships_of

from ..models import FollowUpOrder, OrderStatus

_NUMBER = re.compile(r"^督办〔(\d{4})〕第(\d+)号$")


def order_number(year: int) -> str:
    """The next number of the year: 督办〔2026〕第3号 (orders of every issuer counted together)."""
    prefix = f"督办〔{year}〕第"
    taken = FollowUpOrder.objects.filter(number__startswith=prefix).values_list("number", flat=True)
    last = max((int(m.group(2)) for n in taken if (m := _NUMBER.match(n))), default=0)
    return f"{prefix}{last + 1}号"


def _in_unit(unit: Unit, other: Unit) -> bool:
    """Whether ``other`` is ``unit`` or inside it."""
    return other.path.startswith(unit.path)


def _notify(order: FollowUpOrder, kind: str, subject: str, body: str, recipients: list[object]) -> None:
    message_send(
        recipients=recipients,
        kind=kind,
        subject=subject,
        body=body,
        url=reverse("supervision:order-detail", args=[order.pk]),
        topic=f"order:{order.pk}",
        unit=order.unit,
        sensitivity=order.finding.sensitivity if order.finding_id and order.finding else "",
    )


@transaction.atomic
def order_issue(
    *,
    actor: Actor,
    unit: Unit,
    round: Round | None = None,
    finding: Finding | None = None,
    subject: str,
    body: str,
    reply_due: dt.date | None,
) -> FollowUpOrder:
    """A supervisor issues a 督办单 to ``unit`` (one in their charge: a supervisor at it or
    above), optionally about one of its rounds or problems; its clerks and head are told."""
    if not can(actor, unit, SUPERVISE_ROLES):
        if not any(m.role in SUPERVISE_ROLES for m in memberships_of(actor)):
            require_role(actor, unit, SUPERVISE_ROLES, "发督办单")  # not a supervisor anywhere
        raise NotAllowed(f"“{unit.name}”不在您的督办范围内，您没有权限向其发督办单")
    subject, body = subject.strip(), body.strip()
    if not subject:
        raise InvalidInput("请填写督办事项", field="subject")
    if len(subject) > 200:
        raise InvalidInput("督办事项不超过200字", field="subject")
    if not body:
        raise InvalidInput("请填写督办要求", field="body")
    today = timezone.localdate()
    if reply_due is None:
        raise InvalidInput("请填写回复期限", field="reply_due")
    if reply_due <= today:
        raise InvalidInput("回复期限应晚于今天", field="reply_due")
    if finding is not None:
        if round is not None and finding.round_id != round.pk:
            raise InvalidInput("所选问题不属于所选巡察轮次", field="finding")
        round = finding.round
        require_cleared(actor, finding.sensitivity, "就该问题发督办单")
    if round is not None and not _in_unit(unit, round.unit):
        raise InvalidInput("所选巡察轮次不是该单位的", field="round")
    order = FollowUpOrder(
        unit=unit,
        round=round,
        finding=finding,
        number=order_number(today.year),
        subject=subject,
        body=body,
        reply_due=reply_due,
        issued_by=actor,
    )
    order.full_clean()
    order.save()
    audit_change(
        actor,
        "order.issue",
        order,
        after={
            "number": order.number,
            "subject": subject,
            "reply_due": reply_due.isoformat(),
            "round": round.pk if round else None,
            "finding": finding.pk if finding else None,
        },
    )
    _notify(
        order,
        "order.issued",
        f"督办单 {order.number}：{subject}",
        f"请于 {reply_due:%Y-%m-%d} 前回复。\n{body}",
        list(holders_at(unit=unit, roles={Role.CLERK, Role.UNIT_LEADER})),
    )
    return order


def _lock(order: FollowUpOrder) -> FollowUpOrder:
    return FollowUpOrder.objects.select_for_update().select_related("unit").get(pk=order.pk)


@transaction.atomic
def order_reply(*, actor: Actor, order: FollowUpOrder, reply: str, expected_version: int) -> FollowUpOrder:
    """The unit's clerk or head replies to an order awaiting its reply."""
    o = _lock(order)
    require_role(actor, o.unit, ORDER_REPLY_ROLES, "回复督办单（须为该单位整改办工作人员或主要负责人）")
    if o.version != expected_version:
        raise StaleEdit("该督办单在您打开页面后已被他人办理，请刷新后再回复。")
    if o.status != OrderStatus.ISSUED:
        raise TransitionRefused(f"该督办单当前为“{o.get_status_display()}”，不能回复")
    reply = reply.strip()
    if not reply:
        raise InvalidInput("请填写回复内容", field="reply")
    before = {"status": o.status, "reply": o.reply}
    o.reply, o.replied_by, o.replied_at = reply, actor, timezone.now()
    o.status = OrderStatus.REPLIED
    o.version += 1
    o.save(update_fields=["reply", "replied_by", "replied_at", "status", "version"])
    audit_change(actor, "order.reply", o, before=before, after={"status": o.status, "reply": reply})
    _notify(o, "order.replied", f"督办单 {o.number} 已回复：{o.subject}", reply[:500], [o.issued_by])
    return o


def _check_decider(actor: Actor, o: FollowUpOrder, what: str) -> None:
    require_role(actor, o.unit, SUPERVISE_ROLES, what)
    if o.status != OrderStatus.REPLIED:
        raise TransitionRefused(f"该督办单当前为“{o.get_status_display()}”，不能{what}")


@transaction.atomic
def order_close(*, actor: Actor, order: FollowUpOrder, opinion: str) -> FollowUpOrder:
    """A supervisor closes (办结) a replied order, with an opinion."""
    o = _lock(order)
    _check_decider(actor, o, "办结督办单")
    opinion = opinion.strip()
    if not opinion:
        raise InvalidInput("请填写办结意见", field="opinion")
    o.status, o.closed_by, o.closed_at, o.close_opinion = OrderStatus.CLOSED, actor, timezone.now(), opinion
    o.version += 1
    o.save(update_fields=["status", "closed_by", "closed_at", "close_opinion", "version"])
    audit_change(
        actor,
        "order.close",
        o,
        before={"status": OrderStatus.REPLIED},
        after={"status": o.status, "opinion": opinion},
    )
    _notify(
        o,
        "order.closed",
        f"督办单 {o.number} 已办结：{o.subject}",
        f"办结意见：{opinion}",
        list(holders_at(unit=o.unit, roles={Role.CLERK, Role.UNIT_LEADER})),
    )
    return o


@transaction.atomic
def order_return(
    *, actor: Actor, order: FollowUpOrder, opinion: str, reply_due: dt.date | None = None
) -> FollowUpOrder:
    """A supervisor sends a replied order back for a new reply (an opinion required), with a
    new reply deadline when given; the reply stays in the audit trail."""
    o = _lock(order)
    _check_decider(actor, o, "退回督办单")
    opinion = opinion.strip()
    if not opinion:
        raise InvalidInput("退回时请写明理由", field="opinion")
    if reply_due is not None and reply_due <= timezone.localdate():
        raise InvalidInput("回复期限应晚于今天", field="reply_due")
    before = {"status": o.status, "reply": o.reply, "reply_due": o.reply_due.isoformat()}
    o.status = OrderStatus.ISSUED
    o.reply_due = reply_due or o.reply_due
    o.version += 1
    o.save(update_fields=["status", "reply_due", "version"])
    audit_change(
        actor,
        "order.return",
        o,
        before=before,
        after={"status": o.status, "opinion": opinion, "reply_due": o.reply_due.isoformat()},
    )
    _notify(
        o,
        "order.returned",
        f"督办单 {o.number} 的回复被退回，请重新回复：{o.subject}",
        f"退回理由：{opinion}\n回复期限：{o.reply_due:%Y-%m-%d}",
        list(holders_at(unit=o.unit, roles={Role.CLERK, Role.UNIT_LEADER})),
    )
    return o
