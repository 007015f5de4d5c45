"""List pages make the same number of queries for a round of 10 measures and one of 100+."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.conftest import SEED
from tests.web.conftest import build_round


def _count(client: Any, url: str, query: dict[str, Any] | None = None) -> int:
    client.get(url, query or {})  # warm: sessions, content types
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, query or {})
    assert response.status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("persona", ["clerk", "person", "leader", "supervisor"])
def test_list_pages_make_as_many_queries_for_100_measures_as_for_10(
    persona: str, personas: Any, client_for: Any
) -> None:
    from zhenggai.ledger import services
    from zhenggai.ledger.imports import round_import
    from zhenggai.ledger.models import Measure

    small = build_round(personas, measures=10).round
    client = client_for(getattr(personas, persona))
    pages = [
        (reverse("web:home"), None),
        (reverse("web:round-list"), None),
        (reverse("web:search"), None),
        (reverse("web:search"), {"q": "整改", "overdue": "on", "status": "not_started"}),
    ]
    before = [_count(client, url, q) for url, q in pages]
    small_round = [
        _count(client, reverse(n, args=[small.pk])) for n in ("web:round-detail", "web:round-measures")
    ]

    big, _ = round_import(actor=personas.clerk, unit=personas.unit_a, data=SEED.read_bytes(), name=SEED.name)
    ids = list(Measure.objects.filter(round=big).values_list("pk", flat=True))
    assert len(ids) == 100
    services.measure_assign_bulk(
        actor=personas.clerk, round=big, measure_ids=ids[:60], person=personas.person
    )

    after = [_count(client, url, q) for url, q in pages]
    big_round = [
        _count(client, reverse(n, args=[big.pk])) for n in ("web:round-detail", "web:round-measures")
    ]
    assert after == before
    assert big_round == small_round
    assert max(after + big_round) <= 20
