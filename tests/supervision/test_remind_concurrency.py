"""Two ``zhenggai remind`` runs at once on PostgreSQL queue each warning once (the advisory lock).

Run only against PostgreSQL (``make test-postgres``); the test asserts the vendor, so a run
that selects it on SQLite fails instead of passing without testing anything.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection

from tests.ledger.test_concurrency import all_at_once
from tests.today import days_from_today
from zhenggai.ledger import services
from zhenggai.ledger.models import Measure
from zhenggai.notify.models import Message
from zhenggai.supervision.models import Reminder
from zhenggai.supervision.services.reminders import remind

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def test_four_simultaneous_runs_queue_each_warning_once(personas: Any, assigned_measure: Measure) -> None:
    assert connection.vendor == "postgresql"
    ids = list(Measure.objects.filter(round=assigned_measure.round).values_list("pk", flat=True)[:10])
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=assigned_measure.round,
        measure_ids=ids,
        person=personas.person,
        leader=personas.responsible_leader,
        deadline=days_from_today(5),
    )
    results = all_at_once(4, lambda i: remind())
    assert [kind for kind, _ in results] == ["ok"] * 4
    assert sorted(r.queued for _, r in results) == [0, 0, 0, len(ids)]
    assert Reminder.objects.count() == len(ids)
    assert Message.objects.filter(kind="reminder").count() == 2 * len(ids)  # person and leader
