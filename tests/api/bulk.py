"""Many ledger rows at once, for the query-count and paging tests of the API lists.

``add_rows(round_, problems=200, per_problem=5)`` adds problems under the round's first issue
and measures under them with ``bulk_create`` (a few queries, however many rows): the statuses
cycle through every status, one deadline in three has passed, every other measure goes to
``person``, every fourth to ``department``. Set-up only: what the API reads is what the
services would have written (the columns the lists and figures read).
"""

from __future__ import annotations

from typing import Any

from django.db import connection
from django.db.models import Max
from django.test.utils import CaptureQueriesContext

from tests.today import days_from_today
from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus


def add_rows(
    round_: Any, *, problems: int, per_problem: int, person: Any = None, department: Any = None
) -> list[Measure]:
    issue = Finding.objects.filter(round=round_, kind=FindingKind.ISSUE).order_by("position").first()
    start = (Finding.everything.filter(round=round_).aggregate(p=Max("position"))["p"] or 0) + 1
    found = Finding.objects.bulk_create(
        [
            Finding(
                round=round_,
                unit=round_.unit,
                parent=issue,
                kind=FindingKind.PROBLEM,
                number=f"B{i}",
                title=f"批量问题{i}",
                position=start + i,
            )
            for i in range(problems)
        ]
    )
    statuses = list(MeasureStatus.values)
    rows = []
    for j, f in enumerate(found):
        for k in range(per_problem):
            n = j * per_problem + k
            status = statuses[n % len(statuses)]
            deadline = days_from_today(-30 if n % 3 == 0 else 60)
            rows.append(
                Measure(
                    round=round_,
                    unit=round_.unit,
                    finding=f,
                    position=k + 1,
                    text=f"批量措施{n}",
                    status=status,
                    deadline=deadline,
                    completed_on=days_from_today(-40) if status == MeasureStatus.DONE else None,
                    person=person if n % 2 == 0 else None,
                    department=department if n % 4 == 0 else None,
                )
            )
    return Measure.objects.bulk_create(rows, batch_size=500)


def queries_of(client: Any, url: str, params: dict[str, Any] | None = None) -> tuple[int, Any]:
    """How many queries one GET runs, and its answer (checked to be a 200)."""
    with CaptureQueriesContext(connection) as ctx:
        r = client.get(url, params)
    assert r.status_code == 200, r.content
    return len(ctx.captured_queries), r


def all_pages(client: Any, url: str, params: dict[str, Any] | None = None, limit: int = 7) -> list[dict]:
    """Every item of a keyset list, following ``next_cursor`` page by page."""
    items: list[dict] = []
    cursor = None
    for _ in range(10_000):
        q = {**(params or {}), "limit": limit}
        if cursor:
            q["cursor"] = cursor
        r = client.get(url, q)
        assert r.status_code == 200, r.content
        body = r.json()
        assert len(body["items"]) <= limit
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items
    raise AssertionError("the cursor never ended")
