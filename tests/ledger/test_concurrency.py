"""Concurrent writes on PostgreSQL: row locks and the unique digest keep the ledger consistent.

Run only against PostgreSQL (``make test-postgres``); each test asserts the vendor, so a
run that selects these tests on SQLite fails instead of passing without testing anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, connections

from tests.conftest import SEED
from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import StaleEdit
from zhenggai.ledger import services
from zhenggai.ledger.imports import round_import
from zhenggai.ledger.models import Finding, Measure, MeasureStatus, Outcome, Progress, Round

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def all_at_once(n: int, work: Callable[[int], Any]) -> list[tuple[str, Any]]:
    """Run ``work(i)`` in ``n`` threads released together; ``("ok", result)`` or ``("error", exc)`` each."""
    assert connection.vendor == "postgresql", "concurrency tests need PostgreSQL (DATABASE_URL)"
    barrier = threading.Barrier(n)
    results: list[tuple[str, Any]] = [("missing", None)] * n

    def run(i: int) -> None:
        try:
            barrier.wait(timeout=30)
            results[i] = ("ok", work(i))
        except Exception as exc:
            results[i] = ("error", exc)
        finally:
            connections.close_all()  # this thread's own connection

    threads = [threading.Thread(target=run, args=(i,), name=f"writer-{i}") for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    return results


def test_fifty_simultaneous_progress_entries_on_one_measure_all_arrive(personas, assigned_measure):
    assert connection.vendor == "postgresql"
    p, m = personas, assigned_measure
    version = m.version
    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    results = all_at_once(
        50, lambda i: services.progress_add(actor=p.person, measure=m, text=f"第{i + 1}次整改进展")
    )

    errors = [r for kind, r in results if kind != "ok"]
    assert errors == []
    assert Progress.objects.filter(measure=m).count() == 50
    assert sorted(Progress.objects.filter(measure=m).values_list("text", flat=True)) == sorted(
        f"第{i + 1}次整改进展" for i in range(50)
    )
    m.refresh_from_db()
    assert m.status == MeasureStatus.IN_PROGRESS
    assert m.version == version + 1  # started once, by whichever entry came first
    actions = list(AuditEvent.objects.filter(pk__gt=last_event).values_list("action", flat=True))
    assert actions.count("progress.add") == 50
    assert actions.count("measure.start") == 1
    assert len(actions) == 51


def test_two_simultaneous_edits_from_the_same_page_one_wins_and_the_other_is_told_it_is_stale(
    personas, assigned_measure
):
    assert connection.vendor == "postgresql"
    p, m = personas, assigned_measure
    page_version = m.version
    texts = ["甲：修改后的措施", "乙：修改后的措施"]

    results = all_at_once(
        2,
        lambda i: services.measure_update(
            actor=p.clerk, measure=m, expected_version=page_version, text=texts[i]
        ),
    )

    kinds = sorted(type(r).__name__ if kind == "error" else kind for kind, r in results)
    assert kinds == ["StaleEdit", "ok"], results
    winner = next(i for i, (kind, _) in enumerate(results) if kind == "ok")
    loser = results[1 - winner][1]
    assert isinstance(loser, StaleEdit)
    assert "已被他人修改" in str(loser)
    m.refresh_from_db()
    assert (m.text, m.version) == (texts[winner], page_version + 1)
    assert AuditEvent.objects.filter(action="measure.update", object_id=str(m.pk)).count() == 1


def test_two_simultaneous_imports_of_the_same_file_make_one_round(personas):
    assert connection.vendor == "postgresql"
    p = personas
    data = SEED.read_bytes()

    results = all_at_once(2, lambda i: round_import(actor=p.clerk, unit=p.unit_a, data=data, name=SEED.name))

    assert [kind for kind, _ in results] == ["ok", "ok"], results
    (r1, created1), (r2, created2) = (r for _, r in results)
    assert r1.pk == r2.pk
    assert sorted([created1, created2]) == [False, True]
    assert Round.objects.count() == 1
    assert Finding.objects.filter(round=r1).count() == 3 + 18 + 30
    assert Measure.objects.filter(round=r1).count() == 100
    assert Outcome.objects.filter(round=r1).count() == Outcome.objects.count()
    assert AuditEvent.objects.filter(action="round.import").count() == 1


# --- issue 8, finding 12: a change of the plan racing its signature ---------------------------------


def _problem_with_two_measures(round_: Round) -> Finding:
    return next(
        f
        for f in Finding.objects.filter(round=round_, kind="problem").order_by("position")
        if Measure.objects.filter(finding=f).count() >= 2
    )


def _plan_changes(p: Any, problem: Finding, attempt: int) -> dict[str, Callable[[], Any]]:
    """Each change of the plan the race is run with; each changes the digest."""
    first, second = Measure.objects.filter(finding=problem).order_by("position", "id")[:2]
    return {
        "measure_create": lambda: services.measure_create(
            actor=p.clerk,
            finding=problem,
            text=f"与签署同时新增的第{attempt + 1}项措施",
            deadline=days_from_today(100),  # a plan is signed with every deadline set
        ),
        "measure_move": lambda: services.measure_move(actor=p.clerk, measure=second, direction="up"),
        "measure_assign_bulk": lambda: services.measure_assign_bulk(
            actor=p.clerk,
            round=problem.round,
            measure_ids=[first.pk, second.pk],
            person=(p.person, p.person2)[attempt % 2],
        ),
    }


@pytest.mark.parametrize("change", ["measure_create", "measure_move", "measure_assign_bulk"])
def test_finding12_a_plan_change_racing_the_signature_is_in_the_signed_digest_or_an_amendment(
    personas, seed_round, change
):
    """The change and the signature both lock the round row: the change is either inside
    the digest the leader signed, or recorded as an amendment of that version; never neither.
    Repeated, so that on a build without the lock the race is seen."""
    assert connection.vendor == "postgresql"
    from zhenggai.ledger.models import Amendment

    p, r = personas, seed_round
    problem = _problem_with_two_measures(r)
    # Test data: the imported plan's deadlines set, so that it may be signed (plan_sign asks for them).
    Measure.objects.filter(round=r, deadline__isnull=True).update(deadline=days_from_today(100))
    for attempt in range(12):
        make_change = _plan_changes(p, problem, attempt)[change]
        amendments_before = set(Amendment.objects.filter(round=r).values_list("pk", flat=True))

        def race(i: int, change_now: Callable[[], Any] = make_change) -> Any:
            return services.plan_sign(actor=p.leader, round=r) if i == 0 else change_now()

        results = all_at_once(2, race)

        assert [kind for kind, _ in results] == ["ok", "ok"], results
        sig = results[0][1]
        new = Amendment.objects.filter(round=r).exclude(pk__in=amendments_before)
        versions = set(new.values_list("signed_version", flat=True))
        if sig.digest == services.plan_digest(r):
            # The change came first and is inside this signature (it may amend the one before).
            assert versions <= {sig.version - 1}, (attempt, versions)
        else:
            # The signature came first: the change is an amendment of it, and of nothing else.
            assert versions == {sig.version}, (attempt, versions)
