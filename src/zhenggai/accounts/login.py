"""Logging in and out, on the record: the lockout, the password check and what each attempt leaves.

``auth_login_attempt`` is the one place a password is tried (the login page's form calls it;
the API will). The lock is checked before the password, so the right password changes
nothing while locked; each failure counts against the name and the address and is
recorded (REQ-1.3); a wrong second-factor code (``auth_otp_failed``) or current password
(``auth_password_change_failed``) counts the same. ``auth_logged_in`` and ``auth_logged_out``
record the session's start and end once the page has made or ended it.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, get_user_model
from django.http import HttpRequest

from zhenggai.audit.services import audit_record, audit_security_event
from zhenggai.errors import ServiceError

from . import lockout
from .services import otp_device

INVALID_LOGIN = "请输入一个正确的用户名和密码（密码区分大小写）。"


class LoginRefused(ServiceError):
    """The name and password do not log in (``code`` "invalid_login"), or a lock refuses
    every attempt now (``code`` "locked"); the message is the one to show."""

    http_status = 403

    def __init__(self, message: str, *, code: str) -> None:
        super().__init__(message)
        self.code = code


def _claimed_user(username: str) -> Any:
    return get_user_model().objects.filter(username__iexact=username.strip()).first()


def auth_login_attempt(
    *, username: str, password: str, address: str, request: HttpRequest | None = None
) -> Any:
    """The user that ``username`` and ``password`` log in, or ``LoginRefused``.

    While the name or ``address`` is locked the attempt is refused unheard
    (``auth.locked_login``). A wrong password is recorded (``auth.login_failed``, also for a
    name no account has) and counted; the failure that reaches the limit locks
    (``auth.lockout``) and says so. A success clears the account's count. ``request`` goes to
    the authentication backends.
    """
    claimed = _claimed_user(username)
    lock = lockout.current_lock(username, address)
    if lock is not None:
        audit_security_event(
            actor=claimed,
            action="auth.locked_login",
            obj=claimed,
            username=username,
            reason=lock.message,
            detail={"scope": str(lock.scope)},
        )
        raise LoginRefused(lock.message, code="locked")
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        audit_security_event(
            actor=claimed,
            action="auth.login_failed",
            obj=claimed,
            outcome="failed",
            username=username,
            reason="用户名或密码不正确",
        )
        new_lock = lockout.register_failure(username=username, address=address, user=claimed)
        if new_lock is not None:
            raise LoginRefused(new_lock.message, code="locked")
        raise LoginRefused(INVALID_LOGIN, code="invalid_login")
    lockout.register_success(username=username)
    return user


def auth_otp_failed(*, user: Any, address: str, step: str) -> lockout.Lock | None:
    """Record a wrong second-factor code (``step``: "verify" or "enrol"); it counts towards the
    lockout like a wrong password. Returns the lock it reached, if any."""
    audit_security_event(
        actor=user,
        action="auth.otp_failed",
        obj=user,
        outcome="failed",
        reason="动态口令不正确",
        detail={"step": step},
    )
    return lockout.register_failure(username=user.username, address=address, user=user)


def auth_otp_verified(*, user: Any) -> None:
    """Record the second factor passed (the page then completes the login)."""
    audit_record(actor=user, action="auth.otp_verified", obj=user)


def auth_password_change_failed(
    *, user: Any, address: str, wrong_current: bool, errors: list[str]
) -> lockout.Lock | None:
    """Record a refused change of one's own password; a wrong current password is a password
    guess like a login's: counted, and the lock it reached, if any, is returned."""
    audit_security_event(
        actor=user,
        action="auth.password_change_failed",
        obj=user,
        outcome="failed",
        reason="当前密码不正确" if wrong_current else "",
        detail={"errors": sorted(errors)},
    )
    if not wrong_current:
        return None
    return lockout.register_failure(username=user.username, address=address, user=user)


def auth_logged_in(*, user: Any, password_change: str = "") -> None:
    """Record a login the page has just made: whether a second factor follows, and (when
    ``password_change`` gives the reason) that the password must be changed first."""
    second = "required" if settings.OTP_REQUIRED or otp_device(user) is not None else "none"
    audit_record(actor=user, action="auth.login", obj=user, after={"second_factor": second})
    if password_change:
        audit_record(actor=user, action="auth.password_expired", obj=user, after={"reason": password_change})


def auth_logged_out(*, user: Any) -> None:
    """Record a logout (before the page ends the session)."""
    audit_record(actor=user, action="auth.logout", obj=user)
