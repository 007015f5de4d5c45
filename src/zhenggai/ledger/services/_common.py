"""What the ledger services share: locks, the status change, the record of a refusal."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db import models
from django.utils import timezone

from zhenggai.accounts.actors import Actor
from zhenggai.accounts.models import Sensitivity
from zhenggai.audit.services import audit_record
from zhenggai.errors import Gone, InvalidInput

from ..models import (
    Measure,
    MeasureStatus,
    Round,
)
from ..policy import cleared_for, effective_sensitivity

S = MeasureStatus


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


def _label(m: Measure) -> str:
    return effective_sensitivity(m)


def _check_assignees_cleared(values: Mapping[str, Any], label: str) -> None:
    """A responsible leader or person must be cleared for the measure, or they could not see it."""
    for field, name in (("leader", "责任领导"), ("person", "责任人")):
        user = values.get(field)
        if user is not None and not cleared_for(user, label):
            raise InvalidInput(
                f"{name}“{user}”的许可级别低于该措施的安全标记（{Sensitivity(label).label}），不能承担该措施",
                field=field,
            )


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
    m.completed_on = timezone.localdate(m.completed_at) if m.completed_at else None
    m.version += 1
    m.save(update_fields=["status", "completed_at", "completed_on", "version", "updated_at"])


def record_refusal(*, actor: Actor, action: str, obj: models.Model, reason: str) -> None:
    """Record a refused action (forged or stale request); called outside the failed transaction."""
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        unit_id=getattr(obj, "unit_id", None),
        outcome="denied",
        after={"reason": reason},
    )
