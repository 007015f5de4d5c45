"""Repeated 403 and 404 answers to one logged-in account, recorded without one row per request.

A clerk of unit B who tries the URLs of unit A's rounds, problems and measures gets 404 (the
scoped selectors do not find them; even a POST that tries to change something) or 403. Each
such answer counts in the account's ``ProbeWindow`` row (updated in place). When the count of
the current window (``AUDIT_PROBE_WINDOW_MINUTES``, default 10) reaches
``AUDIT_PROBE_THRESHOLD`` (default 3), one ``access.probe`` event is written with the count, the
window's start and the last distinct answers; then again at twice that count, four times …
So a window of n answers writes about log2(n / threshold) + 1 events, and an account that
mistypes one address writes none. The middleware (``http.middleware.ProbeRecordingMiddleware``)
calls ``probe_record`` for every 403/404 answered to a logged-in account.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from .models import AuditEvent, ProbeWindow
from .services import audit_security_event

if TYPE_CHECKING:
    # accounts.actors.Actor (a logged-in account), spelled through django-stubs: audit sits below
    # accounts and does not import it (see accounts/actors.py).
    from django.contrib.auth.models import _User as Actor

#: How many distinct answers an event keeps (the latest).
RECENT = 10


def _minutes() -> int:
    return max(1, int(getattr(settings, "AUDIT_PROBE_WINDOW_MINUTES", 10)))


def _window() -> dt.timedelta:
    return dt.timedelta(minutes=_minutes())


def _threshold() -> int:
    return max(1, int(getattr(settings, "AUDIT_PROBE_THRESHOLD", 3)))


def probe_record(*, user: Actor, status: int, method: str, path: str) -> AuditEvent | None:
    """Count one 403/404 answered to ``user``; the ``access.probe`` event when a report is due."""
    try:
        return _count(user=user, status=status, method=method, path=path)
    except IntegrityError:
        # Two first answers of the same account at once (PostgreSQL): the row exists now.
        return _count(user=user, status=status, method=method, path=path)


@transaction.atomic
def _count(*, user: Actor, status: int, method: str, path: str) -> AuditEvent | None:
    now = timezone.now()
    row = ProbeWindow.objects.select_for_update().filter(user=user).first()
    if row is None:
        row = ProbeWindow(user=user)
    if row.pk is None or row.started_at <= now - _window():
        row.started_at, row.count, row.next_report, row.recent = now, 0, _threshold(), []
    row.count += 1
    entry = f"{status} {method[:10]} {path[:200]}"
    row.recent = [*[e for e in row.recent if e != entry][-(RECENT - 1) :], entry]
    due = row.count >= row.next_report
    if due:
        row.next_report *= 2
    row.save()
    if not due:
        return None
    return audit_security_event(
        actor=user,
        action="access.probe",
        reason=f"{_minutes()} 分钟内 {row.count} 次访问无权或不存在的页面",
        detail={
            "count": row.count,
            "since": row.started_at.isoformat(),
            "window_minutes": _minutes(),
            "recent": row.recent,
        },
    )
