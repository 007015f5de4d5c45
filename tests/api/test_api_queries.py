"""Every ``GET`` of the API runs as many queries over 1,000 rows as over 10 (issue 13).

Generic over the access table (``tests/api/test_access_api.OPS``, itself checked to name every
operation of the live OpenAPI document), so a new list or detail is measured as soon as it is in
the table. Each is asked on unit A's small round (about ten of each row: measures, progress
entries with evidence, reviews, rounds, audit events), then again after about a thousand of each
were added under the same objects; a list is asked for a page of 200 both times, so the second
page is full. The routers' own tests measure their lists too; this one is the net under all.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.bulk import add_rows
from tests.api.conftest import ApiClient, token_for
from tests.api.test_access_api import OPS, Objects, Op, build_objects
from zhenggai.ledger.models import Evidence, Progress, Review, ReviewDecision, Round

GETS = [op for op in OPS if op.method == "GET"]
AUDIT = "/audit/"


def _grow(o: Objects, personas: Any, n: int, *, audit: bool) -> None:
    """Add ``n`` of each row the lists and details read, under the objects the table asks for."""
    m = o.w.submitted
    Round.objects.bulk_create(
        [Round(unit=personas.unit_a, title=f"批量轮次{i}", created_by=personas.clerk) for i in range(n)]
    )
    add_rows(o.w.round, problems=max(n // 5, 1), per_problem=5, person=personas.person)
    made = Progress.objects.bulk_create(
        Progress(measure=m, unit=m.unit, author=personas.person, text=f"进展{i}") for i in range(n)
    )
    Evidence.objects.bulk_create(
        Evidence(
            progress=p,
            measure=m,
            unit=m.unit,
            original_name=f"{p.pk}.pdf",
            storage_name="0" * 64,
            algorithm="sm3",
            sha256="0" * 64,
            size=1,
            content_type="application/pdf",
            uploaded_by=(personas.person, personas.clerk)[i % 2],
        )
        for i, p in enumerate(made)
    )
    Review.objects.bulk_create(
        Review(
            measure=m,
            unit=m.unit,
            reviewer=(personas.leader, personas.responsible_leader)[i % 2],
            decision=ReviewDecision.RETURN,
            reason=f"理由{i}",
        )
        for i in range(n)
    )
    if audit:
        from zhenggai.audit.services import audit_record

        # Through the recording path (the trail is a hash chain): only for the trail's own list.
        for i in range(n):
            audit_record(actor=personas.clerk, action="measure.update", unit_id=m.unit_id, after={"n": i})


def _queries(client: ApiClient, op: Op, o: Objects) -> tuple[int, Any]:
    params = {"limit": 200} if op.listed or op.key.endswith(("/progress", "/reviews", "/events")) else {}
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(op.url(o), params)
    assert response.status_code == 200, (op.key, response.status_code)
    return len(ctx.captured_queries), response


def _size(response: Any) -> int:
    if response.streaming:
        return 0
    body = response.json()
    return len(body["items"]) if isinstance(body, dict) and "items" in body else 0


@pytest.mark.parametrize("op", GETS, ids=[op.key for op in GETS])
def test_every_get_runs_as_many_queries_for_1000_rows_as_for_10(op: Op, personas: Any) -> None:
    from django.contrib.auth import get_user_model

    o = build_objects(personas)
    audit = AUDIT in op.key
    if audit:
        reader = get_user_model().objects.create(username="shenji", admin_role="audit_admin")
    else:
        reader = personas.clerk
    client = ApiClient(token_for(reader, scope="read"), reader)
    _grow(o, personas, 8, audit=audit)
    client.get(op.url(o))  # warm: the first request reads what later ones find cached
    small, few = _queries(client, op, o)
    _grow(o, personas, 1000, audit=audit)
    big, many = _queries(client, op, o)
    if _size(few):
        assert _size(many) > _size(few), op.key  # the growth reached this list
    assert big == small, op.key
