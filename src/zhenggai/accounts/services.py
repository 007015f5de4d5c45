"""Writes to accounts, each with its audit event; the role rules of roles.py are enforced here.

A refused call raises ``PermissionDenied`` (after recording the refusal) or ``AccountError``
(bad input, a Chinese message for the form).

No administrator can take over an ordinary account (finding 9 of issue 8). A login needs the
password and the second factor; a single administrator may replace one of them, never both:
- ``user_set_password`` (a forgotten password) only while the user has a confirmed
  authenticator: the temporary password the administrator knows leads to the second-factor
  step, which only the user's phone passes, and then only to the set-your-own-password page;
- ``otp_reset`` (a lost phone) only while the password is the user's own (not one set by an
  administrator and not yet changed): the new enrolment needs that password;
- both lost: ``account_recovery_request`` by the system administrator and its approval by
  another administrator (``change_request_approve``). The one-time code is made of two halves,
  one shown to each of them, each delivered to the user by its holder: neither administrator
  alone can log in; the user then enrols their own phone and sets their own password.
Each of them tells the user at the next login (``User.security_notice``).
"""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhenggai.audit.services import audit_record, audit_security_event

from . import lockout, totp
from .models import (
    AdminRole,
    ChangeKind,
    ChangeRequest,
    ChangeStatus,
    PasswordHistory,
    Sensitivity,
    TOTPDevice,
)
from .roles import admin_role, holds_admin_role, may_approve_change, may_assign_roles, may_manage_account
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
    user.security_notice = ""  # the user has taken the account back
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


RESET_NEEDS_DEVICE = (
    "该用户没有已绑定的动态口令：您设置的密码将是登录所需的全部凭据，等于由您掌握其账号。"
    "请改用“账号恢复”：经另一名管理员批准后，一次性口令分两半，分别由两名管理员交给用户。"
)
# A refusal message, not a password (S105 reads "PASSWORD" in the name).
OTP_RESET_NEEDS_OWN_PASSWORD = (
    "该用户的当前密码由管理员设置、本人尚未修改：此时重置动态口令，知道该密码的管理员即可登录其账号。"  # noqa: S105
    "请待用户修改密码后再重置，或改用“账号恢复”（须另一名管理员批准）。"
)


def _now_text() -> str:
    return f"{timezone.localtime(timezone.now()):%Y-%m-%d %H:%M}"


def _refuse_takeover(actor: Any, action: str, user: Any, reason: str) -> None:
    """A reset that would leave an administrator holding every credential: refused, recorded."""
    audit_security_event(actor=actor, action=action, obj=user, reason=reason)
    raise AccountError(reason)


def user_set_password(*, actor: Any, user: Any, password: str) -> Any:
    """The system administrator sets a temporary password (a forgotten one): validated, to be
    changed at the next login, the user's sessions end and the user is told at the login.

    Only while the user has a confirmed authenticator, so that the administrator, who knows the
    temporary password, cannot pass the second-factor step (see the module's docstring).
    """
    require_manage(actor, user, "auth.password_reset")
    validate_password(password, user)
    with transaction.atomic():
        # Checked on the locked row: a second factor reset racing this one waits, then is refused.
        user = _lock_user(user)
        refused = actor is not None and otp_device(user) is None
        if not refused:
            _set_temporary_password(actor, user, password)
    if refused:
        _refuse_takeover(actor, "auth.password_reset", user, RESET_NEEDS_DEVICE)
    return user


def _lock_user(user: Any) -> Any:
    return get_user_model().objects.select_for_update().get(pk=user.pk)


def _set_temporary_password(actor: Any, user: Any, password: str) -> None:
    user.set_password(password)
    user.must_change_password = True
    user.security_notice = (
        f"{_now_text()} 系统管理员重置了您的登录密码（动态口令不变）。请输入手机上的动态口令，"
        "再设置只有您自己知道的新密码。如非本人申请，请立即联系安全管理员。"
    )
    user.save()
    end_sessions(user)
    audit_record(actor=actor, action="auth.password_reset", obj=user, after={"must_change": True})


def user_unlock(*, actor: Any, user: Any) -> int:
    require_manage(actor, user, "auth.unlock")
    with transaction.atomic():
        cleared = lockout.unlock(username=user.username)
        audit_record(actor=actor, action="auth.unlock", obj=user, after={"cleared": cleared})
    return cleared


def otp_reset(*, actor: Any, user: Any) -> None:
    """Forget the user's authenticator (lost phone); they enrol again at the next login, with
    their own password: refused while the password is one an administrator set (module doc)."""
    require_manage(actor, user, "auth.otp_reset")
    with transaction.atomic():
        # Checked on the locked row: a password reset racing this one waits, then is refused.
        user = _lock_user(user)
        refused = actor is not None and user.must_change_password
        if not refused:
            _forget_device(actor, user)
    if refused:
        _refuse_takeover(actor, "auth.otp_reset", user, OTP_RESET_NEEDS_OWN_PASSWORD)


def _forget_device(actor: Any, user: Any) -> None:
    deleted, _ = TOTPDevice.objects.filter(user=user).delete()
    user.security_notice = (
        f"{_now_text()} 系统管理员重置了您的动态口令。请用手机上的身份验证器应用重新绑定。"
        "如非本人申请，请立即联系安全管理员。"
    )
    user.save(update_fields=["security_notice"])
    end_sessions(user)
    audit_record(actor=actor, action="auth.otp_reset", obj=user, before={"enrolled": bool(deleted)})


# --- roles (安全管理员) -----------------------------------------------------------------------


def _check_admin_role(user: Any, role: str) -> None:
    if role not in AdminRole.values:
        raise AccountError("管理员角色不正确。", field="admin_role")
    if role and user.memberships.exists():
        raise AccountError(
            "该用户在单位中担任业务角色；三员不得处理台账业务，请先撤销其业务角色。", field="admin_role"
        )
    if role and user.is_superuser:
        raise AccountError("超级用户不能担任三员角色。", field="admin_role")


def _apply_admin_role(*, actor: Any, user: Any, role: str, request: ChangeRequest | None = None) -> None:
    before = user.admin_role
    user.admin_role = role
    user.save(update_fields=["admin_role"])
    # New privileges (or fewer) take effect at a fresh login.
    end_sessions(user)
    after: dict[str, Any] = {"admin_role": role}
    if request is not None:
        after.update(request=request.pk, requested_by=_name(request.requested_by))
    audit_record(actor=actor, action="role.change", obj=user, before={"admin_role": before}, after=after)


def admin_role_set(*, actor: Any, user: Any, role: str) -> Any:
    """Set ``user``'s administrator role directly: the operator's console only (actor None), to
    establish the first administrators (``zhenggai user-add``/``admin-role`` when no second
    administrator could approve, the demo's seed).

    On the web a change to the three roles is a request one administrator makes and another
    approves (``admin_role_request``, ``change_request_approve``); anyone calling this is refused.
    """
    if actor is not None:
        _refuse(actor, "role.change", user, "三员角色的变更须经另一名管理员批准：请提交变更申请")
    _check_admin_role(user, role)
    if user.admin_role == role:
        return user
    with transaction.atomic():
        _apply_admin_role(actor=None, user=user, role=role)
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
    if user.security_notice:  # the user's own phone: they have seen the notice of the reset
        user.security_notice = ""
        user.save(update_fields=["security_notice"])
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


# --- changes that take two administrators (双人审批) -------------------------------------------

PENDING_EXISTS = "该账号已有一项待批准的变更，请先由另一名管理员批准或驳回。"
# Recovery codes: no look-alike characters (0/O, 1/l/I); each half has all three classes.
_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz23456789"
CODE_HALF_LENGTH = 8


def _name(user: Any) -> str:
    return user.username if user is not None else "（服务器控制台）"


def _code_half() -> str:
    while True:
        half = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(CODE_HALF_LENGTH))
        if all(any(test(c) for c in half) for test in (str.isupper, str.islower, str.isdigit)):
            return half


def change_approvers_exist(*, user: Any) -> bool:
    """Whether an administrator other than ``user`` could approve a change to ``user``'s account.

    The console applies a change of the three roles directly only while there is none (setting
    up the first administrators); afterwards it files a request like everyone else.
    """
    return (
        get_user_model()
        .objects.filter(is_active=True, admin_role__in=[AdminRole.SECURITY, AdminRole.SYSTEM])
        .exclude(pk=user.pk)
        .exists()
    )


def _request(*, actor: Any, user: Any, kind: str, **fields: Any) -> ChangeRequest:
    request = ChangeRequest(kind=kind, user=user, requested_by=actor, **fields)
    try:
        with transaction.atomic():
            request.full_clean()
            request.save()
            audit_record(
                actor=actor,
                action="approval.request",
                obj=user,
                after={"request": request.pk, "kind": kind, **_change_detail(request)},
            )
    except (ValidationError, IntegrityError) as err:  # one pending request per account
        raise AccountError(PENDING_EXISTS) from err
    return request


def _change_detail(request: ChangeRequest) -> dict[str, Any]:
    if request.kind == ChangeKind.ADMIN_ROLE:
        return {"admin_role": request.admin_role}
    if request.kind == ChangeKind.UNIT_ROLE:
        return {"unit": request.unit_id, "role": request.unit_role}
    return {}


def admin_role_request(*, actor: Any, user: Any, role: str) -> ChangeRequest:
    """Ask for a change of ``user``'s administrator role (grant, change or remove): the security
    administrator's (or the console's); it takes effect when another administrator approves."""
    if actor is not None and not may_assign_roles(actor, user):
        _refuse(actor, "role.change", user, "只有安全管理员可以分配角色，且不能修改自己的角色")
    _check_admin_role(user, role)
    if user.admin_role == role:
        raise AccountError("该用户的管理员角色已是所选角色，无需变更。", field="admin_role")
    return _request(actor=actor, user=user, kind=ChangeKind.ADMIN_ROLE, admin_role=role)


def admin_role_console(*, user: Any, role: str) -> ChangeRequest | None:
    """The operator's console (``user-add --admin-role``, ``admin-role``): filling an empty seat
    (a role nobody active holds, given to an account without one) or acting while there is no
    second administrator takes effect at once, to set up the first administrators; any other
    change is a request for an administrator to approve on the web (returned)."""
    _check_admin_role(user, role)
    if user.admin_role == role:
        return None
    holders = get_user_model().objects.filter(is_active=True, admin_role=role) if role else None
    empty_seat = bool(role) and not user.admin_role and holders is not None and not holders.exists()
    if empty_seat or not change_approvers_exist(user=user):
        admin_role_set(actor=None, user=user, role=role)
        return None
    return admin_role_request(actor=None, user=user, role=role)


def unit_role_request(*, actor: Any, user: Any, unit: Any, role: str) -> ChangeRequest:
    """Ask to give one of the three administrators a unit role: approved, the administrator role
    ends and the unit role begins, in one step (an administrator never holds both)."""
    from zhenggai.units.models import Role

    if actor is not None and not may_assign_roles(actor, user):
        _refuse(actor, "membership.grant", user, "只有安全管理员可以分配角色，且不能修改自己的角色")
    if role not in Role.values:
        raise AccountError("业务角色不正确。", field="role")
    if not holds_admin_role(user):
        raise AccountError("该用户不担任三员角色，可直接分配业务角色。", field="role")
    return _request(actor=actor, user=user, kind=ChangeKind.UNIT_ROLE, unit=unit, unit_role=role)


def account_recovery_request(*, actor: Any, user: Any) -> tuple[ChangeRequest, str]:
    """The system administrator asks to reset both the password and the second factor (the user
    lost both). Returns the request and the first half of the one-time code, for the
    requester to hand to the user; the approver gets the second half. Nothing changes before."""
    require_manage(actor, user, "approval.request")
    half = _code_half()
    sealed = totp.seal(half.encode(), user.pk)
    return _request(actor=actor, user=user, kind=ChangeKind.RECOVERY, secret=sealed), half


def _decidable(actor: Any, request_id: int, action: str, *, requester_may: bool) -> ChangeRequest:
    request = ChangeRequest.objects.select_related("user").filter(pk=request_id).first()
    if request is None:
        raise AccountError("没有这项变更申请。")
    may = may_approve_change(actor, requested_by_id=request.requested_by_id, user_id=request.user_id)
    if not may and not (requester_may and actor is not None and actor.pk == request.requested_by_id):
        _refuse(
            actor,
            action,
            request.user,
            "变更申请须由提出人以外的另一名安全管理员或系统管理员批准（本人的账号除外）",
        )
    return request


def _lock_pending(request_id: int) -> ChangeRequest:
    request = (
        ChangeRequest.objects.select_for_update(of=("self",))
        .select_related("requested_by", "unit")
        .get(pk=request_id)
    )
    if request.status != ChangeStatus.PENDING:
        raise AccountError(f"该申请已{request.get_status_display()}，不能再处理。")
    return request


def change_request_approve(*, actor: Any, request_id: int) -> tuple[ChangeRequest, str]:
    """A second administrator approves: the change happens now, recorded with both names.

    Returns the request and, for an account recovery, the second half of the one-time code for
    the approver to hand to the user ("" otherwise).
    """
    _decidable(actor, request_id, "approval.approve", requester_may=False)
    with transaction.atomic():
        request = _lock_pending(request_id)
        user = get_user_model().objects.select_for_update().get(pk=request.user_id)
        code = ""
        if request.kind == ChangeKind.ADMIN_ROLE:
            _check_admin_role(user, request.admin_role)
            if user.admin_role != request.admin_role:
                _apply_admin_role(actor=actor, user=user, role=request.admin_role, request=request)
        elif request.kind == ChangeKind.UNIT_ROLE:
            from zhenggai.units.services import membership_grant

            if user.is_superuser:
                raise AccountError("超级用户不能担任台账业务角色。")
            if user.admin_role:
                _apply_admin_role(actor=actor, user=user, role="", request=request)
            if request.unit is None:  # a unit-role request always names its unit (unit_role_request)
                raise AccountError("该变更请求未指定单位，无法批准。")
            membership_grant(actor=actor, user=user, unit=request.unit, role=request.unit_role)
        else:
            code = _recover(actor=actor, user=user, request=request)
        request.status, request.decided_by, request.decided_at = ChangeStatus.APPROVED, actor, timezone.now()
        request.secret = ""
        request.save(update_fields=["status", "decided_by", "decided_at", "secret"])
        audit_record(
            actor=actor,
            action="approval.approve",
            obj=user,
            after={"request": request.pk, "kind": request.kind, "requested_by": _name(request.requested_by)},
        )
    return request, code


def _recover(*, actor: Any, user: Any, request: ChangeRequest) -> str:
    if user.admin_role or user.is_superuser:
        raise AccountError("管理员账号的恢复由运维人员在服务器上处理。")
    second = _code_half()
    first = totp.unseal(request.secret, user.pk).decode()
    # Random and one-time (ASVS 6.4.1): changed at the login that follows, so not validated here.
    user.set_password(first + second)
    user.must_change_password = True
    user.security_notice = (
        f"{_now_text()} 经两名管理员批准，您的账号已恢复（密码和动态口令均已重置）。"
        "请重新绑定动态口令，并设置只有您自己知道的新密码。如非本人申请，请立即联系安全管理员。"
    )
    user.save()
    TOTPDevice.objects.filter(user=user).delete()
    end_sessions(user)
    detail = {"request": request.pk, "requested_by": _name(request.requested_by), "must_change": True}
    audit_record(actor=actor, action="auth.password_reset", obj=user, after=detail)
    audit_record(actor=actor, action="auth.otp_reset", obj=user, after=detail)
    return second


def change_request_reject(*, actor: Any, request_id: int) -> ChangeRequest:
    """Reject a pending change (another administrator), or withdraw it (its requester)."""
    _decidable(actor, request_id, "approval.reject", requester_may=True)
    with transaction.atomic():
        request = _lock_pending(request_id)
        request.status, request.decided_by, request.decided_at = ChangeStatus.REJECTED, actor, timezone.now()
        request.secret = ""
        request.save(update_fields=["status", "decided_by", "decided_at", "secret"])
        audit_record(
            actor=actor,
            action="approval.reject",
            obj=request.user,
            after={"request": request.pk, "kind": request.kind, "requested_by": _name(request.requested_by)},
        )
    return request


def pending_changes_for(user: Any, *, target: Any = None) -> list[ChangeRequest]:
    """The pending requests the security and system administrators see (of one account if
    ``target``); nobody else sees any."""
    if admin_role(user) not in {AdminRole.SECURITY, AdminRole.SYSTEM}:
        return []
    rows = ChangeRequest.objects.filter(status=ChangeStatus.PENDING)
    if target is not None:
        rows = rows.filter(user=target)
    return list(rows.select_related("user", "unit", "requested_by").order_by("requested_at", "id"))
