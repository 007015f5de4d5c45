"""The demo round shows every warning tier and a waiting 延期申请, and loading it twice adds nothing."""

from __future__ import annotations

from typing import Any

from tests.today import today
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger.models import Measure
from zhenggai.ops.management.commands.demo import load_demo
from zhenggai.supervision.models import Extension, ExtensionStatus, Reminder
from zhenggai.supervision.rules import LEVELS, tier_of, tiers_for
from zhenggai.supervision.services.reminders import remind


def tiers_present(round_: Any) -> set[str]:
    tiers = tiers_for(round_)
    return {
        t
        for m in Measure.objects.filter(round=round_)
        if (t := tier_of(deadline=m.deadline, status=m.status, today=today(), tiers=tiers))
    }


def test_the_demo_round_has_measures_in_every_tier_and_a_waiting_extension(db: Any) -> None:
    round_ = load_demo()
    assert tiers_present(round_) == set(LEVELS)
    assert Extension.objects.filter(round=round_, status=ExtensionStatus.PENDING).count() == 1
    report = remind()
    assert set(report.by_tier) == set(LEVELS)
    assert Reminder.objects.count() == report.queued


def test_loading_the_demo_twice_adds_nothing(db: Any) -> None:
    load_demo()
    remind()
    counts = (AuditEvent.objects.count(), Extension.objects.count(), Reminder.objects.count())
    round_ = load_demo()
    assert remind().queued == 0
    assert (AuditEvent.objects.count(), Extension.objects.count(), Reminder.objects.count()) == counts
    assert tiers_present(round_) == set(LEVELS)


def test_a_demo_loaded_again_after_its_tiers_drained_is_spread_again(db: Any) -> None:
    round_ = load_demo()
    # As if weeks had passed: every open measure long overdue.
    Measure.objects.filter(round=round_, status__in=["not_started", "in_progress"]).update(
        deadline=today().replace(year=today().year - 1)
    )
    load_demo()
    assert tiers_present(round_) == set(LEVELS)
