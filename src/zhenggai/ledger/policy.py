"""Who may do what to the ledger, from which state: the one place for the rules.

The allowed status transitions live in ``TRANSITIONS`` and nowhere else. Who may act is
decided from the roles the actor holds at the round's unit or above
(``units.selectors.roles_for_unit``), and from the actor's clearance: nothing is done to a
problem or measure labelled above it (安全标记, REQ-1.10), whatever the roles.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from zhenggai.accounts.roles import holds_admin_role
from zhenggai.errors import NotAllowed, TransitionRefused
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import roles_for_unit

from . import selectors
from .models import (
    FINISHED_STATUSES,
    Measure,
    MeasureStatus,
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


def require_role(actor: Any, unit: Unit, roles: Iterable[str], what: str) -> None:
    if holds_admin_role(actor):
        # 三员分立: the system, security and audit administrators never touch ledger data.
        raise NotAllowed(f"三员（系统、安全、审计管理员）不处理台账业务，不能{what}")
    if not roles_for_unit(user=actor, unit=unit) & set(roles):
        raise NotAllowed(f"您没有权限{what}")


def require_cleared(actor: Any, label: str, what: str) -> None:
    """Refuse an action on an object labelled above the actor's clearance (REQ-1.10)."""
    if not selectors.cleared_for(actor, label):
        raise NotAllowed(f"该内容的安全标记高于您的许可级别，不能{what}")


def can(actor: Any, unit: Unit, roles: Iterable[str]) -> bool:
    return not holds_admin_role(actor) and bool(roles_for_unit(user=actor, unit=unit) & set(roles))


def transition(measure: Measure, action: str) -> str:
    sources, target = TRANSITIONS[action]
    if measure.status not in sources:
        raise TransitionRefused(f"当前状态为“{measure.get_status_display()}”，不能执行“{ACTION_ZH[action]}”")
    return target


