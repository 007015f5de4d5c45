"""The warning tiers: where a measure stands, and the tier lists a round may (not) have."""

from __future__ import annotations

from typing import Any

import pytest

from tests.today import days_from_today, today
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed
from zhenggai.ledger.models import Measure, Round
from zhenggai.ledger.services.supervision import round_prereview_set
from zhenggai.supervision.models import RoundSettings, default_tiers
from zhenggai.supervision.rules import tier_of, tiers_for, validate_tiers
from zhenggai.supervision.services.settings import round_settings_update

DEFAULT = default_tiers()


@pytest.mark.parametrize(
    ("days_left", "tier"),
    [
        (25, None),
        (21, None),
        (20, "green"),
        (11, "green"),
        (10, "yellow"),
        (0, "yellow"),
        (-1, "red"),
        (-29, "red"),
        (-30, "black"),
        (-400, "black"),
    ],
)
def test_a_measure_is_in_the_tier_its_days_left_reach(days_left: int, tier: str | None) -> None:
    deadline = days_from_today(days_left)
    assert tier_of(deadline=deadline, status="in_progress", today=today(), tiers=DEFAULT) == tier


def test_a_finished_measure_or_one_without_a_deadline_is_in_no_tier() -> None:
    assert tier_of(deadline=days_from_today(-100), status="done", today=today(), tiers=DEFAULT) is None
    assert tier_of(deadline=None, status="in_progress", today=today(), tiers=DEFAULT) is None


def test_the_default_tiers_are_valid() -> None:
    assert validate_tiers(default_tiers()) == default_tiers()


@pytest.mark.parametrize(
    ("tiers", "says"),
    [
        ([], "不能为空"),
        (
            [
                {"key": "yellow", "days": 10, "notify": ["person"]},
                {"key": "green", "days": 20, "notify": ["person"]},
            ],
            "顺序不对",
        ),
        (
            [
                {"key": "green", "days": 5, "notify": ["person"]},
                {"key": "yellow", "days": 10, "notify": ["person"]},
            ],
            "应小于上一档",
        ),
        ([{"key": "purple", "days": 5, "notify": ["person"]}], "颜色"),
        ([{"key": "green", "days": "x", "notify": ["person"]}], "天数不正确"),
        ([{"key": "green", "days": 5, "notify": []}], "通知对象不正确"),
        (
            [
                {"key": "green", "days": 20, "notify": ["person", "leader"]},
                {"key": "yellow", "days": 10, "notify": ["person"]},
            ],
            "包含上一档",
        ),
        (
            [
                {"key": "green", "days": 20, "notify": ["person"]},
                {"key": "green", "days": 10, "notify": ["person"]},
            ],
            "重复",
        ),
    ],
)
def test_a_bad_tier_list_is_refused_saying_what_is_wrong(tiers: Any, says: str) -> None:
    with pytest.raises(InvalidInput, match=says) as err:
        validate_tiers(tiers)
    assert err.value.field == "tiers"


def test_the_clerk_sets_a_rounds_tiers_and_it_is_audited(personas: Any, seed_round: Round) -> None:
    tiers = [
        {"key": "green", "days": 30, "notify": ["person"]},
        {"key": "red", "days": -1, "notify": ["person", "unit_head"]},
    ]
    row = round_settings_update(
        actor=personas.clerk, round=seed_round, tiers=tiers, stage_report_months=6, rush_hours=48
    )
    assert tiers_for(seed_round) == tiers
    assert (row.stage_report_months, row.rush_hours) == (6, 48)
    event = AuditEvent.objects.get(action="supervision.settings")
    assert event.after["tiers"] == tiers
    assert event.before["tiers"] == default_tiers()


def test_saving_the_same_settings_again_records_nothing(personas: Any, seed_round: Round) -> None:
    for _ in range(2):
        round_settings_update(
            actor=personas.clerk,
            round=seed_round,
            tiers=default_tiers(),
            stage_report_months=3,
            rush_hours=12,
        )
    assert AuditEvent.objects.filter(action="supervision.settings").count() == 1
    assert RoundSettings.objects.count() == 1


def test_a_tier_list_out_of_order_is_refused_and_nothing_is_saved(personas: Any, seed_round: Round) -> None:
    tiers = [
        {"key": "green", "days": 10, "notify": ["person"]},
        {"key": "yellow", "days": 20, "notify": ["person"]},
    ]
    with pytest.raises(InvalidInput, match="顺序不对"):
        round_settings_update(
            actor=personas.clerk, round=seed_round, tiers=tiers, stage_report_months=3, rush_hours=24
        )
    assert not RoundSettings.objects.exists()


@pytest.mark.parametrize(("months", "hours"), [(0, 24), (3, 0), (25, 24), (3, 10_000)])
def test_thresholds_out_of_bounds_are_refused(
    personas: Any, seed_round: Round, months: int, hours: int
) -> None:
    with pytest.raises(InvalidInput):
        round_settings_update(
            actor=personas.clerk,
            round=seed_round,
            tiers=default_tiers(),
            stage_report_months=months,
            rush_hours=hours,
        )


@pytest.mark.parametrize(
    "who", ["leader", "responsible_leader", "person", "viewer", "supervisor", "outsider"]
)
def test_only_the_clerk_sets_the_tiers(personas: Any, seed_round: Round, who: str) -> None:
    with pytest.raises(NotAllowed):
        round_settings_update(
            actor=getattr(personas, who),
            round=seed_round,
            tiers=default_tiers(),
            stage_report_months=3,
            rush_hours=24,
        )


def test_the_clerk_switches_leader_prereview_on_and_off(personas: Any, seed_round: Round) -> None:
    r = round_prereview_set(actor=personas.clerk, round=seed_round, enabled=True)
    assert Round.objects.get(pk=r.pk).leader_prereview
    round_prereview_set(actor=personas.clerk, round=seed_round, enabled=True)
    round_prereview_set(actor=personas.clerk, round=seed_round, enabled=False)
    assert not Round.objects.get(pk=r.pk).leader_prereview
    assert AuditEvent.objects.filter(action="round.prereview").count() == 2
    with pytest.raises(NotAllowed):
        round_prereview_set(actor=personas.leader, round=seed_round, enabled=True)


def test_the_tier_list_of_a_round_without_settings_is_the_default(seed_round: Round) -> None:
    assert tiers_for(seed_round) == default_tiers()
    assert Measure.objects.filter(round=seed_round).exists()
