"""Writes to accounts, each with its audit event; the role rules of roles.py are enforced here.

A refused call raises ``PermissionDenied`` (after recording the refusal) or ``AccountError``
(bad input, a Chinese message for the form).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhenggai.audit.services import audit_record, audit_security_event

from . import lockout, totp
from .models import AdminRole, PasswordHistory, Sensitivity, TOTPDevice
from .roles import holds_admin_role, may_assign_roles, may_manage_account
from .sessions import end_sessions


class AccountError(ValueError):
    """Input a form should show next to its field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _refuse(actor: Any, action: str, target: Any, reason: str) -> None:
    audit_security_event(actor=actor, action=action, obj=target, reason=reason)
    raise PermissionDenied(reason)


# --- passwords ------------------------------------------------------------------------------


def password_set_at(user: Any) -> dt.datetime:
    """When the user's current password was set (the newest history row, else when they joined)."""
    latest = (
        PasswordHistory.objects.filter(user_id=user.pk)
        .order_by("-created_at", "-id")
        .values_list("created_at", flat=True)
        .first()
    )
    return latest or user.date_joined


def password_change_reason(user: Any) -> str:
    """Why the user must change the password before anything else ('' when they need not)."""
    if user.must_change_password:
        return "initial"
    days = settings.PASSWORD_MAX_AGE_DAYS
    if days > 0 and timezone.now() - password_set_at(user) > dt.timedelta(days=days):
        return "expired"
    return ""


@transaction.atomic
def password_change(*, user: Any, password: str, keep_session: str | None = None) -> None:
    """The user's own new password (validated); ends their other sessions (ASVS 7.4.3)."""
    validate_password(password, user)
    user.set_password(password)
    user.must_change_password = False
    user.save()
    end_sessions(user, keep=keep_session)
    audit_record(actor=user, action="auth.password_change", obj=user, after={"by": "self"})


# --- accounts (系统管理员) --------------------------------------------------------------------


def user_create(*, actor: Any, username: str, display_name: str, password: str) -> Any:
    """A new ordinary account with an initial password the user must change at first login."""
    User = get_user_model()
    if not _is_system_admin_or_console(actor):
        _refuse(actor, "user.create", None, "只有系统管理员可以新建账号")
    username = username.strip()
    if User.objects.filter(username__iexact=username).exists():
        raise AccountError("该用户名已被使用（用户名不区分大小写）。", field="username")
    user = User(username=username, display_name=display_name.strip(), must_change_password=True)
    try:
        validate_password(password, user)
    except ValidationError as err:
        raise AccountError(" ".join(err.messages), field="password") from err
    user.set_password(password)
    try:
        with transaction.atomic():
            user.full_clean(exclude=["password"])
            user.save()
            audit_record(
                actor=actor,
                action="user.create",
                obj=user,
                after={"username": user.username, "display_name": user.display_name},
            )
    except ValidationError as err:
        raise AccountError(" ".join(err.messages), field="username") from err
    except IntegrityError as err:  # two creations racing past the check above
        raise AccountError("该用户名已被使用（用户名不区分大小写）。", field="username") from err
    return user


def _is_system_admin_or_console(actor: Any) -> bool:
    # The console (a management command run by the operator) acts as actor None.
    return actor is None or getattr(actor, "admin_role", "") == AdminRole.SYSTEM


def require_manage(actor: Any, target: Any, action: str) -> None:
    """Refuse (recorded, 403) unless ``actor`` may manage ``target``'s account."""
    if actor is None:  # the operator's console
        return
    if not may_manage_account(actor, target):
        reason = "只有系统管理员可以管理普通用户账号（管理员账号由运维人员在服务器上处理）"
        _refuse(actor, action, target, reason)


def user_set_active(*, actor: Any, user: Any, active: bool) -> Any:
    """Enable or disable an account; disabling ends all its sessions on the server (ASVS 7.4.2)."""
    action = "user.enable" if active else "user.disable"
    require_manage(actor, user, action)
    with transaction.atomic():
        before = user.is_active
        user.is_active = active
        user.save(update_fields=["is_active"])
        if not active:
            end_sessions(user)
        audit_record(
            actor=actor, action=action, obj=user, before={"is_active": before}, after={"is_active": active}
        )
    return user


def user_set_password(*, actor: Any, user: Any, password: str) -> Any:
    """The system administrator sets a password: validated, to be changed at next login, and the
    user's sessions end."""
    require_manage(actor, user, "auth.password_reset")
    validate_password(password, user)
    with transaction.atomic():
        user.set_password(password)
        user.must_change_password = True
        user.save()
        end_sessions(user)
        audit_record(actor=actor, action="auth.password_reset", obj=user, after={"must_change": True})
    return user


def user_unlock(*, actor: Any, user: Any) -> int:
    require_manage(actor, user, "auth.unlock")
    with transaction.atomic():
        cleared = lockout.unlock(username=user.username)
        audit_record(actor=actor, action="auth.unlock", obj=user, after={"cleared": cleared})
    return cleared


def otp_reset(*, actor: Any, user: Any) -> None:
    """Forget the user's authenticator (lost phone); they enrol again at the next login."""
    require_manage(actor, user, "auth.otp_reset")
    with transaction.atomic():
        deleted, _ = TOTPDevice.objects.filter(user=user).delete()
        end_sessions(user)
        audit_record(actor=actor, action="auth.otp_reset", obj=user, before={"enrolled": bool(deleted)})


# --- roles (安全管理员) -----------------------------------------------------------------------


def admin_role_set(*, actor: Any, user: Any, role: str) -> Any:
    """Give ``user`` one of the three administrator roles (or none): the security administrator's.

    A user holds at most one (one field); an administrator holds no unit role, since none of
    the three works on the ledger.
    """
    if role not in AdminRole.values:
        raise AccountError("管理员角色不正确。", field="admin_role")
    if actor is not None and not may_assign_roles(actor, user):
        _refuse(actor, "role.change", user, "只有安全管理员可以分配角色，且不能修改自己的角色")
    if role and user.memberships.exists():
        raise AccountError(
            "该用户在单位中担任业务角色；三员不得处理台账业务，请先撤销其业务角色。", field="admin_role"
        )
    if role and user.is_superuser:
        raise AccountError("超级用户不能担任三员角色。", field="admin_role")
    before = user.admin_role
    if before == role:
        return user
    with transaction.atomic():
        user.admin_role = role
        user.save(update_fields=["admin_role"])
        # New privileges (or fewer) take effect at a fresh login.
        end_sessions(user)
        audit_record(
            actor=actor,
            action="role.change",
            obj=user,
            before={"admin_role": before},
            after={"admin_role": role},
        )
    return user


def unit_role_grant(*, actor: Any, user: Any, unit: Any, role: str) -> Any:
    """A unit role (ledger work) for an ordinary user: the security administrator's."""
    from zhenggai.units.models import Role
    from zhenggai.units.services import membership_grant

    if actor is not None and not may_assign_roles(actor, user):
        _refuse(actor, "membership.grant", user, "只有安全管理员可以分配角色，且不能修改自己的角色")
    if role not in Role.values:
        raise AccountError("业务角色不正确。", field="role")
    if holds_admin_role(user) or user.is_superuser:
        raise AccountError("三员（系统、安全、审计管理员）不得担任台账业务角色。", field="role")
    return membership_grant(actor=actor, user=user, unit=unit, role=role)


def clearance_set(*, actor: Any, user: Any, clearance: str) -> Any:
    """Set the highest label ``user`` may see (主体安全标记, REQ-1.10): the security administrator's.

    访问控制 e): only the 安全管理员 configures it, and not his own; any other attempt is refused
    and recorded (``clearance.change``, denied). It takes effect at the user's next request.
    """
    if actor is not None and not may_assign_roles(actor, user):
        _refuse(actor, "clearance.change", user, "只有安全管理员可以设置用户的许可级别，且不能修改自己的")
    if clearance not in Sensitivity.values:
        raise AccountError("许可级别不正确。", field="clearance")
    before = user.clearance
    if before == clearance:
        return user
    with transaction.atomic():
        user.clearance = clearance
        user.save(update_fields=["clearance"])
        audit_record(
            actor=actor,
            action="clearance.change",
            obj=user,
            before={"clearance": before},
            after={"clearance": clearance},
        )
    return user


# --- second factor --------------------------------------------------------------------------


def otp_device(user: Any) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


def otp_enrolment(user: Any) -> tuple[TOTPDevice, bytes]:
    """The unconfirmed device of an enrolment in progress (a new secret the first time)."""
    device = TOTPDevice.objects.filter(user=user).first()
    if device is None:
        secret = totp.new_secret()
        device = TOTPDevice.objects.create(user=user, secret=totp.seal(secret, user.pk))
        return device, secret
    return device, totp.unseal(device.secret, user.pk)


def _now_unix() -> float:
    return timezone.now().timestamp()


@transaction.atomic
def otp_confirm(*, user: Any, code: str) -> bool:
    """Finish enrolment with a first code from the app; True when it matched."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=False).first()
    if device is None:
        return False
    step = totp.match(totp.unseal(device.secret, user.pk), code, _now_unix(), after=device.last_step)
    if step is None:
        return False
    device.confirmed, device.confirmed_at, device.last_step = True, timezone.now(), step
    device.save(update_fields=["confirmed", "confirmed_at", "last_step"])
    audit_record(actor=user, action="auth.otp_enrolled", obj=user)
    return True


@transaction.atomic
def otp_check(*, user: Any, code: str) -> bool:
    """A code of the user's confirmed device, once only (its step must be newer than the last)."""
    device = TOTPDevice.objects.select_for_update().filter(user=user, confirmed=True).first()
    if device is None:
        return False
    step = totp.match(totp.unseal(device.secret, user.pk), code, _now_unix(), after=device.last_step)
    if step is None:
        return False
    device.last_step = step
    device.save(update_fields=["last_step"])
    return True
