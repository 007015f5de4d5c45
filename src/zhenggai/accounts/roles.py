"""三员分立 (GB/T 22239 8.1.5, REQ-1.7): who may do what among the three administrators.

- 系统管理员 (system_admin): user accounts (create, disable, unlock, set a password, reset
  the second factor) of ordinary users; cannot grant roles, read the audit trail, or edit
  ledger data.
- 安全管理员 (security_admin): assigns roles (the three administrator roles and unit roles);
  cannot create or disable users, read the audit trail, or edit ledger data.
- 审计管理员 (audit_admin): reads the audit trail only (the audit app's pages).

A user holds at most one of them (one field). None of them works on the ledger:
``holds_admin_role`` is what ledger services should refuse.

双人审批: a change to the three roles (granting, removing, changing one; a unit role for one of
the three) and an account recovery (password and second factor at once) take two people: one
administrator asks, another approves (``may_approve_change``); nothing changes before that.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeGuard

from .models import AdminRole

if TYPE_CHECKING:
    from .actors import Viewer
    from .models import User


def admin_role(user: Viewer | None) -> str:
    if user is None or not getattr(user, "is_authenticated", False):
        return ""
    return getattr(user, "admin_role", "") or ""


def holds_admin_role(user: Viewer | None) -> TypeGuard[User]:
    """True for the three administrators: they may not edit (or be given roles on) ledger data."""
    return admin_role(user) in {AdminRole.SYSTEM, AdminRole.SECURITY, AdminRole.AUDIT}


def is_system_admin(user: Viewer | None) -> TypeGuard[User]:
    return admin_role(user) == AdminRole.SYSTEM


def is_security_admin(user: Viewer | None) -> TypeGuard[User]:
    return admin_role(user) == AdminRole.SECURITY


def is_audit_admin(user: Viewer | None) -> TypeGuard[User]:
    return admin_role(user) == AdminRole.AUDIT


def may_manage_account(actor: Viewer | None, target: User) -> bool:
    """The system administrator manages ordinary accounts, never an administrator's (nor his own).

    Accounts of the three administrators (and any superuser) are handled on the server by the
    operator (``zhenggai user-add``, ``changepassword``), so that no administrator can take over
    another's account.
    """
    return (
        is_system_admin(actor) and target.pk != actor.pk and not target.admin_role and not target.is_superuser
    )


def may_assign_roles(actor: Viewer | None, target: User) -> bool:
    """The security administrator assigns roles, to anyone but himself."""
    return is_security_admin(actor) and target.pk != actor.pk


def may_approve_change(actor: Viewer | None, *, requested_by_id: int | None, user_id: int) -> bool:
    """A second administrator approves a change: a security or system administrator who neither
    asked for it nor is its subject. The audit administrator modifies nothing (REQ-1.7)."""
    if not (is_security_admin(actor) or is_system_admin(actor)):
        return False
    return actor.pk != requested_by_id and actor.pk != user_id
