"""Login throttling: too many failures lock an account name, and separately a client address.

``LOCKOUT_FAILURES`` failures of one account name (``LOCKOUT_ADDRESS_FAILURES`` from one
address) within ``LOCKOUT_MINUTES`` lock it for ``LOCKOUT_MINUTES``; while locked, even the
right password is refused (REQ-1.3). A success clears the account's count, never the
address's (one's own account must not reset a guessing address). Unknown names are counted
like real ones, so the answer never tells whether an account exists. The counts live in the
database, so every worker process sees them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhenggai.audit.services import audit_security_event

from .models import LoginThrottle, ThrottleScope


@dataclass(frozen=True)
class Lock:
    scope: str
    until: dt.datetime

    @property
    def message(self) -> str:
        minutes = settings.LOCKOUT_MINUTES
        if self.scope == ThrottleScope.ADDRESS:
            return f"从您所在网络地址的登录失败次数过多，已暂停登录，请 {minutes} 分钟后再试。"
        return f"该账号连续登录失败次数过多，已被锁定，请 {minutes} 分钟后再试。"


def account_key(username: str) -> str:
    return (username or "").strip().casefold()[:150]


def _keys(username: str, address: str) -> list[tuple[str, str, int]]:
    return [
        (ThrottleScope.ACCOUNT, account_key(username), settings.LOCKOUT_FAILURES),
        (ThrottleScope.ADDRESS, (address or "unknown")[:150], settings.LOCKOUT_ADDRESS_FAILURES),
    ]


def current_lock(username: str, address: str) -> Lock | None:
    """The lock that refuses a login of ``username`` from ``address`` now, if any."""
    now = timezone.now()
    for scope, key, limit in _keys(username, address):
        if limit <= 0:
            continue
        row = LoginThrottle.objects.filter(scope=scope, key=key, locked_until__gt=now).first()
        if row is not None:
            return Lock(scope, row.locked_until)  # type: ignore[arg-type]
    return None


def register_failure(*, username: str, address: str, user: Any = None) -> Lock | None:
    """Count one failure for the name and the address; lock (and audit the lockout) at the limit."""
    now = timezone.now()
    window = dt.timedelta(minutes=settings.LOCKOUT_MINUTES)
    new_lock = None
    for scope, key, limit in _keys(username, address):
        if limit <= 0:
            continue
        with transaction.atomic():
            row, _ = LoginThrottle.objects.select_for_update().get_or_create(
                scope=scope, key=key, defaults={"window_start": now}
            )
            if row.window_start < now - window:
                row.failures, row.window_start = 0, now
            row.failures += 1
            locked = row.failures >= limit
            if locked:
                row.locked_until, row.failures, row.window_start = now + window, 0, now
            row.save()
            if locked:
                new_lock = new_lock or Lock(scope, row.locked_until)  # type: ignore[arg-type]
                audit_security_event(
                    actor=user,
                    action="auth.lockout",
                    obj=user,
                    username=username,
                    detail={
                        "scope": str(scope),
                        "until": row.locked_until,
                        "minutes": settings.LOCKOUT_MINUTES,
                    },
                )
    # Rows of long-past windows and locks are of no further use.
    LoginThrottle.objects.filter(window_start__lt=now - window).filter(locked_until__isnull=True).delete()
    LoginThrottle.objects.filter(window_start__lt=now - window, locked_until__lt=now).delete()
    return new_lock


def register_success(*, username: str) -> None:
    LoginThrottle.objects.filter(scope=ThrottleScope.ACCOUNT, key=account_key(username)).delete()


def unlock(*, username: str) -> int:
    """Clear the account's lock and count (the system administrator's 解锁)."""
    deleted, _ = LoginThrottle.objects.filter(scope=ThrottleScope.ACCOUNT, key=account_key(username)).delete()
    return deleted
