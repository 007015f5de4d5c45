"""Dates of the tests, relative to today (docs/style.md, "Tests do not time things").

A fixed date ahead (a deadline written as the last day of June 2030) is ahead until
the first of July 2030 and overdue after it: the suite would change its verdict with
the calendar. Tests write their dates as days from today instead. Today is read
once per test process, as the code reads it (``timezone.localdate()``, which is
``ledger.selectors.today``), so every date of a run is relative to the same day.
"""

from __future__ import annotations

import datetime as dt
import functools

from django.utils import timezone


@functools.cache
def today() -> dt.date:
    """Today in the project's time zone (Asia/Shanghai), frozen for the test process."""
    return timezone.localdate()


def days_from_today(days: int) -> dt.date:
    """The day ``days`` after today (before it when negative)."""
    return today() + dt.timedelta(days=days)
