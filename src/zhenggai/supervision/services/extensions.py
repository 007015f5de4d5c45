"""申请延期: the responsible person (or the clerk for them) asks for a later deadline with a
reason; the responsible leader or the unit head grants or refuses it; the requester may
withdraw it while it waits. A grant moves the deadline through the ledger
(``measure_deadline_extend``), which keeps the first one; the next ``zhenggai remind`` then
cancels the warnings of the old deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from zhenggai.accounts.roles import holds_admin_role
from zhenggai.audit.services import audit_change
from zhenggai.errors import Gone, InvalidInput, NotAllowed, TransitionRefused
from zhenggai.ledger.models import Measure
from zhenggai.ledger.policy import (
    OPEN,
    effective_sensitivity,
    may_report_progress,
    require_cleared,
)
from zhenggai.ledger.services.plan import check_deadline
from zhenggai.ledger.services.supervision import may_extend_deadline, measure_deadline_extend
from zhenggai.notify.services import message_send
from zhenggai.units.models import Role
from zhenggai.units.selectors import holders_at

from ..models import Extension, ExtensionStatus
from .reminders import cn_date, topic_of

GONE = "该整改措施已被删除，请返回刷新"


def may_request_extension(actor: Any, measure: Measure) -> bool:
    """The responsible person, or the clerk for them, on an open measure."""
    return measure.status in OPEN and may_report_progress(actor, measure) and _not_admin(actor)


def may_decide_extension(actor: Any, extension: Extension) -> bool:
    """The measure's responsible leader or the unit head, not the one who asked."""
    return (
        extension.status == ExtensionStatus.PENDING
        and extension.requested_by_id != actor.pk
        and may_extend_deadline(actor, extension.measure)
    )


def may_withdraw_extension(actor: Any, extension: Extension) -> bool:
    """The one who asked, while it waits."""
    return extension.status == ExtensionStatus.PENDING and extension.requested_by_id == actor.pk


def _not_admin(actor: Any) -> bool:
    return not holds_admin_role(actor)


def _locked_measure(measure: Measure) -> Measure:
    m = (
        Measure.objects.select_for_update(of=("self",))
        .select_related("round", "unit", "finding", "leader", "person")
        .filter(pk=measure.pk, round__deleted_at__isnull=True, finding__deleted_at__isnull=True)
        .first()
    )
    if m is None:
        raise Gone(GONE)
    return m


def _locked_extension(extension: Extension) -> Extension:
    e = (
        Extension.objects.select_for_update(of=("self",))
        .select_related("measure", "measure__unit", "measure__finding", "measure__round", "requested_by")
        .filter(pk=extension.pk, measure__deleted_at__isnull=True)
        .first()
    )
    if e is None:
        raise Gone(GONE)
    return e


def _measure_line(m: Measure) -> str:
    return f"整改措施：{m.text}\n问题：{m.finding.number} {m.finding.title}\n巡察轮次：{m.round.title}"


@transaction.atomic
def extension_request(
    *, actor: Any, measure: Measure, new_deadline: dt.date | None, reason: str
) -> Extension:
    """Ask for a later deadline: the responsible person or the clerk; the measure open; the new
    date after today and after the current deadline, within the round's bounds; one waiting
    request per measure. Tells the responsible leader and the unit head."""
    if not may_report_progress(actor, measure) or not _not_admin(actor):
        raise NotAllowed("只有该措施的责任人（或整改办）可以申请延期")
    m = _locked_measure(measure)
    require_cleared(actor, effective_sensitivity(m), "申请延期")
    if m.status not in OPEN:
        raise TransitionRefused(f"措施当前为“{m.get_status_display()}”，不能申请延期")
    if not reason.strip():
        raise InvalidInput("请写明延期理由", field="reason")
    if new_deadline is None:
        raise InvalidInput("请填写申请的完成时限", field="new_deadline")
    today = timezone.localdate()
    if new_deadline <= today:
        raise InvalidInput(
            f"申请的完成时限（{cn_date(new_deadline)}）应晚于今天（{cn_date(today)}）", field="new_deadline"
        )
    if m.deadline is not None and new_deadline <= m.deadline:
        raise InvalidInput(
            f"申请的完成时限（{cn_date(new_deadline)}）应晚于当前完成时限（{cn_date(m.deadline)}）",
            field="new_deadline",
        )
    try:
        check_deadline(round=m.round, deadline=new_deadline)
    except InvalidInput as err:
        raise InvalidInput(str(err), field="new_deadline") from err
    if Extension.objects.filter(measure=m, status=ExtensionStatus.PENDING).exists():
        raise TransitionRefused("该措施已有一份待审批的延期申请，请等待审批结果，或先撤回后重新申请")
    ext = Extension(
        measure=m,
        round_id=m.round_id,
        unit_id=m.unit_id,
        requested_by=actor,
        reason=reason.strip(),
        old_deadline=m.deadline,
        new_deadline=new_deadline,
    )
    ext.full_clean()
    ext.save()
    audit_change(
        actor,
        "extension.request",
        ext,
        after={
            "measure": m.pk,
            "old_deadline": m.deadline.isoformat() if m.deadline else None,
            "new_deadline": new_deadline.isoformat(),
            "reason": ext.reason,
        },
    )
    old = cn_date(m.deadline) if m.deadline else "未设定"
    message_send(
        recipients=[u for u in [m.leader, *holders_at(unit=m.unit, roles={Role.UNIT_LEADER})] if u != actor],
        kind="extension.requested",
        subject=f"【延期申请】{actor}申请将整改措施完成时限由{old}延至{cn_date(new_deadline)}",
        body=f"{_measure_line(m)}\n延期理由：{ext.reason}\n请审批。",
        url=reverse("supervision:extension-detail", args=[ext.pk]),
        topic=topic_of(m.pk),
        unit=m.unit,
        sensitivity=effective_sensitivity(m),
    )
    return ext


@transaction.atomic
def extension_decide(*, actor: Any, extension: Extension, grant: bool, opinion: str) -> Extension:
    """Grant or refuse a waiting request: the measure's responsible leader or the unit head, not
    the requester; a refusal needs an opinion. A grant moves the deadline (the first one kept).
    Tells the requester and the responsible person."""
    e = _locked_extension(extension)
    m = e.measure
    if not may_extend_deadline(actor, m):
        raise NotAllowed("只有该措施的责任领导或单位主要负责人可以审批延期申请")
    if e.requested_by_id == actor.pk:
        raise NotAllowed("不能审批自己提出的延期申请")
    require_cleared(actor, effective_sensitivity(m), "审批延期申请")
    if e.status != ExtensionStatus.PENDING:
        raise TransitionRefused(f"该延期申请已{e.get_status_display()}，不能再审批")
    opinion = opinion.strip()
    if not grant and not opinion:
        raise InvalidInput("不同意延期时请写明审批意见", field="opinion")
    if grant:
        measure_deadline_extend(actor=actor, measure=m, new_deadline=e.new_deadline, reason=e.reason)
    e.status = ExtensionStatus.GRANTED if grant else ExtensionStatus.REFUSED
    e.decided_by = actor
    e.decided_at = timezone.now()
    e.opinion = opinion
    e.full_clean()
    e.save(update_fields=["status", "decided_by", "decided_at", "opinion"])
    audit_change(
        actor,
        "extension.decide",
        e,
        before={"status": ExtensionStatus.PENDING},
        after={"status": e.status, "new_deadline": e.new_deadline.isoformat(), "opinion": opinion},
    )
    m.refresh_from_db(fields=["person", "deadline"])
    verdict = "同意" if grant else "不同意"
    body = f"{_measure_line(m)}\n申请的完成时限：{cn_date(e.new_deadline)}\n审批结果：{verdict}"
    if opinion:
        body += f"\n审批意见：{opinion}"
    message_send(
        recipients=[u for u in (e.requested_by, m.person) if u is not None and u != actor],
        kind="extension.decided",
        subject=f"【延期申请】{actor}{verdict}将完成时限延至{cn_date(e.new_deadline)}",
        body=body,
        url=reverse("web:measure-detail", args=[m.pk]),
        topic=topic_of(m.pk),
        unit=m.unit,
        sensitivity=effective_sensitivity(m),
    )
    return e


@transaction.atomic
def extension_withdraw(*, actor: Any, extension: Extension) -> Extension:
    """The requester takes back a request that still waits."""
    e = _locked_extension(extension)
    if e.requested_by_id != actor.pk:
        raise NotAllowed("只有申请人可以撤回延期申请")
    if e.status != ExtensionStatus.PENDING:
        raise TransitionRefused(f"该延期申请已{e.get_status_display()}，不能撤回")
    e.status = ExtensionStatus.WITHDRAWN
    e.save(update_fields=["status"])
    audit_change(
        actor, "extension.withdraw", e, before={"status": ExtensionStatus.PENDING}, after={"status": e.status}
    )
    return e
