"""The warning drill-down over many rounds: rounds with tiers of their own beside rounds with the
default, the deadline range a tier implies, and a count that stops at the cap."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from tests.supervision.desk_world import build_desk_round
from tests.today import days_from_today
from zhenggai.supervision.models import default_tiers
from zhenggai.supervision.rules import RoundTiers, tier_window, tiers_in_scope
from zhenggai.supervision.selectors import dashboard

#: Tiers that warn much earlier than the default: yellow 40 days before, red 3 days before.
EARLY = [
    {"key": "green", "days": 60, "notify": ["person"]},
    {"key": "yellow", "days": 40, "notify": ["person", "leader"]},
    {"key": "red", "days": 3, "notify": ["person", "leader", "unit_head"]},
    {"key": "black", "days": -10, "notify": ["person", "leader", "unit_head", "supervisor"]},
]


def _pks(user: Any, **kw: Any) -> list[int]:
    return [m.pk for m in dashboard.measure_drilldown(user=user, filters=dashboard.DrillFilters(**kw))]


def _early(personas: Any, round: Any) -> None:
    from zhenggai.supervision.services.settings import round_settings_update

    round_settings_update(
        actor=personas.clerk, round=round, tiers=EARLY, stage_report_months=3, rush_hours=24
    )


def test_rounds_in_scope_list_only_those_with_tiers_of_their_own(personas: Any) -> None:
    from zhenggai.ledger.models import Round

    plain = build_desk_round(personas)
    early = build_desk_round(personas, title="第二轮")
    _early(personas, early.round)
    tiers = tiers_in_scope(Round.objects.all())
    assert isinstance(tiers, RoundTiers)
    assert dict(tiers) == {early.round.pk: EARLY}
    # Any other round reads the default, by index or by get.
    assert tiers[plain.round.pk] == default_tiers() == tiers.get(plain.round.pk)
    # Yellow: within 40 days (EARLY) or 10 (default), and not yet red: later than 3 days (EARLY)
    # or −1 (default); the window is the union.
    assert tier_window(tiers, ["yellow"]) == (-1, 40)
    assert tier_window(tiers, ["red", "black"]) == (None, 3)  # nothing after black
    assert tier_window(RoundTiers({}, default_tiers()), ["red", "black"]) == (None, -1)
    assert tier_window(RoundTiers({}, default_tiers()), ["green"]) == (10, 20)
    assert tier_window(RoundTiers({}, default_tiers()), ["purple"]) is None


def test_the_drill_down_places_each_round_s_measures_by_its_own_tiers(personas: Any) -> None:
    plain = build_desk_round(personas)
    early = build_desk_round(personas, title="第二轮")
    _early(personas, early.round)
    sup = personas.supervisor
    # The default round: black −40, red −5, yellow +5, green +15; the early round: −40 black
    # (≤ −10), −5 red (≤ 3), +5 and +15 yellow (≤ 40), +100 none (beyond 60).
    overdue = _pks(sup, tier="overdue")
    assert set(overdue) == {
        plain.measures["black"].pk,
        plain.measures["red"].pk,
        early.measures["black"].pk,
        early.measures["red"].pk,
    }
    # Two tier lists in scope: most urgent tier first (black before red), then by deadline.
    rows = list(dashboard.measure_drilldown(user=sup, filters=dashboard.DrillFilters(tier="overdue")))
    assert [m.tier for m in rows] == ["black", "black", "red", "red"]
    assert _pks(sup, tier="yellow") == [
        plain.measures["yellow"].pk,
        early.measures["yellow"].pk,
        early.measures["green"].pk,
    ]
    assert _pks(sup, tier="green") == [plain.measures["green"].pk]
    assert set(_pks(sup, tier="none")) == {plain.measures[""].pk, early.measures[""].pk}


def test_under_one_tier_list_overdue_comes_in_deadline_order(personas: Any) -> None:
    from zhenggai.ledger import services

    w = build_desk_round(personas)
    # A third overdue measure between black and red.
    m = services.measure_create(actor=personas.clerk, finding=w.problems["red"], text="补充措施")
    services.measure_assign_bulk(
        actor=personas.clerk, round=w.round, measure_ids=[m.pk], deadline=days_from_today(-20)
    )
    rows = list(
        dashboard.measure_drilldown(user=personas.supervisor, filters=dashboard.DrillFilters(tier="overdue"))
    )
    assert [(r.pk, r.tier) for r in rows] == [
        (w.measures["black"].pk, "black"),
        (m.pk, "red"),
        (w.measures["red"].pk, "red"),
    ]


def test_a_tier_no_round_has_lists_nothing(personas: Any) -> None:
    w = build_desk_round(personas)
    no_green = [t for t in EARLY if t["key"] != "green"]
    from zhenggai.supervision.services.settings import round_settings_update

    round_settings_update(
        actor=personas.clerk, round=w.round, tiers=no_green, stage_report_months=3, rush_hours=24
    )
    assert _pks(personas.supervisor, tier="green", round=w.round.pk) == []
    assert _pks(personas.supervisor, tier="yellow", round=w.round.pk) == [
        w.measures["yellow"].pk,
        w.measures["green"].pk,
    ]


def test_the_drill_down_page_counts_up_to_the_cap_and_says_so(
    personas: Any, client: Any, monkeypatch: Any
) -> None:
    from zhenggai.web.views.common import CappedPaginator

    build_desk_round(personas)
    build_desk_round(personas, title="第二轮")
    client.force_login(personas.supervisor)
    url = reverse("supervision:dashboard-measures") + "?tier=overdue"
    page = client.get(url).content.decode()
    assert "共 4 条措施" in page
    monkeypatch.setattr(CappedPaginator, "cap", 3)
    page = client.get(url).content.decode()
    assert "超过 3 条措施，列出前 3 条" in page
    assert "共 4 条措施" not in page
