"""The ledger writes that supervision (督办) asks for: a measure's deadline extended after a
granted 延期申请, and the round's 责任领导预审 switch set from its supervision settings.

They live in the ledger because they change ledger rows (the measure's deadline and version,
the round's workflow); ``zhenggai.supervision.services`` calls them and decides when.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from zhenggai.accounts.roles import holds_admin_role
from zhenggai.audit.services import audit_change
from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused

from ..models import Measure, Round
from ..notifications import reminders_cancel
from ..policy import EDIT_ROLES, OPEN, REVIEW_ROLES, can, require_cleared, require_role
from ._common import _label, _lock_round, _locked
from .plan import _amend, check_deadline


def _iso(d: dt.date | None) -> str | None:
    return d.isoformat() if d else None


def may_extend_deadline(actor: Any, measure: Measure) -> bool:
    """Who decides a 延期申请 (and so moves the deadline): the measure's responsible leader
    (责任领导) or the unit head (第一责任人); never one of the three administrators."""
    if holds_admin_role(actor):
        return False
    is_leader = measure.leader_id is not None and measure.leader_id == actor.pk
    return is_leader or can(actor, measure.unit, REVIEW_ROLES)


@transaction.atomic
def measure_deadline_extend(*, actor: Any, measure: Measure, new_deadline: dt.date, reason: str) -> Measure:
    """Move an open measure's deadline later (a granted 延期申请). The first deadline is kept in
    ``original_deadline`` (set only the first time), the measure gets a new version, a signed
    plan an amendment; audited ``measure.extend_deadline``."""
    if not may_extend_deadline(actor, measure):
        raise NotAllowed("只有该措施的责任领导或单位主要负责人可以批准延期")
    if not reason.strip():
        raise InvalidInput("请写明延期理由", field="reason")
    m = _locked(measure)
    require_cleared(actor, _label(m), "批准延期")
    if m.status not in OPEN:
        raise TransitionRefused(f"措施当前为“{m.get_status_display()}”，不能再延期")
    if m.deadline is not None and new_deadline <= m.deadline:
        raise InvalidInput("延期后的完成时限应晚于当前完成时限", field="new_deadline")
    check_deadline(round=m.round, deadline=new_deadline)
    before = {"deadline": _iso(m.deadline), "original_deadline": _iso(m.original_deadline)}
    if m.original_deadline is None:
        m.original_deadline = m.deadline
    m.deadline = new_deadline
    m.version += 1
    m.full_clean()
    m.save(update_fields=["deadline", "original_deadline", "version", "updated_at"])
    # The warnings queued for the old deadline are no longer true (``remind`` also finds them).
    reminders_cancel([m.pk])
    after = {
        "deadline": _iso(m.deadline),
        "original_deadline": _iso(m.original_deadline),
        "reason": reason.strip(),
    }
    audit_change(actor, "measure.extend_deadline", m, before=before, after=after)
    _amend(
        actor, m.round, m, "延长完成时限", {"deadline": before["deadline"]}, {"deadline": after["deadline"]}
    )
    return m


@transaction.atomic
def round_prereview_set(*, actor: Any, round: Round, enabled: bool) -> Round:
    """Switch 责任领导预审 on or off for a round (the clerk of its unit); audited ``round.prereview``."""
    require_role(actor, round.unit, EDIT_ROLES, "设置责任领导预审")
    r = _lock_round(round.pk)
    if r.leader_prereview == enabled:
        return r
    before = {"leader_prereview": r.leader_prereview}
    r.leader_prereview = enabled
    r.version += 1
    r.save(update_fields=["leader_prereview", "version"])
    audit_change(actor, "round.prereview", r, before=before, after={"leader_prereview": enabled})
    return r
