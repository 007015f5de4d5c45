"""When the outbox tries again, and when a digest goes out: pure functions of a given instant.

They take ``now`` instead of reading the clock, so the deliverer and the tests (a frozen
clock passed as ``deliver(now=…)``) agree on every instant.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

#: The first retry waits a minute; each further failure doubles the wait, up to six hours.
BACKOFF_FIRST = dt.timedelta(minutes=1)
BACKOFF_CAP = dt.timedelta(hours=6)
#: A claimed row is not due again for this long: if its deliverer dies before recording the
#: outcome, another one sends it after the lease (at least once; never twice while it lives).
LEASE = dt.timedelta(minutes=30)


def max_attempts() -> int:
    """Attempts before a row is given up (status ``failed``, kept and listed)."""
    return max(1, int(getattr(settings, "NOTIFY_MAX_ATTEMPTS", 10)))


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the ``attempts``-th failed attempt: 1 min × 2^(attempts−1), at most 6 h."""
    if attempts <= 1:
        return BACKOFF_FIRST
    # 2**9 minutes is past the cap already; the bound keeps the power small.
    return min(BACKOFF_FIRST * 2 ** min(attempts - 1, 10), BACKOFF_CAP)


def digest_hour() -> int:
    hour = int(getattr(settings, "NOTIFY_DIGEST_HOUR", 8))
    return hour if 0 <= hour <= 23 else 8


def next_digest_at(now: dt.datetime) -> dt.datetime:
    """The next digest time after ``now``: ``NOTIFY_DIGEST_HOUR`` o'clock in the project's time
    zone (Asia/Shanghai), today when that is still ahead, else tomorrow."""
    local = timezone.localtime(now)
    at = local.replace(hour=digest_hour(), minute=0, second=0, microsecond=0)
    if at <= local:
        # Add a calendar day in local time (no DST in Asia/Shanghai, but stay correct elsewhere).
        day = local.date() + dt.timedelta(days=1)
        at = dt.datetime.combine(day, dt.time(digest_hour()), tzinfo=local.tzinfo)
    return at
