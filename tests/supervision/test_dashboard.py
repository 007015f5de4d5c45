"""The supervisor's dashboard: figures per round and unit, rankings, and the drill-down behind them."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from tests.supervision.desk_world import approve, build_desk_round, return_with
from tests.today import days_from_today
from zhenggai.supervision.selectors import dashboard


def _unit_b_round(personas: Any) -> Any:
    """A round of unit B (the sibling), built by its clerk (the outsider)."""
    from zhenggai.ledger import services

    r = services.round_create(
        actor=personas.outsider, unit=personas.unit_b, title="财政局整改", feedback_date=days_from_today(-60)
    )
    p = services.finding_create(
        actor=personas.outsider, round=r, parent=None, kind="problem", title="预算执行不严"
    )
    m = services.measure_create(actor=personas.outsider, finding=p, text="修订预算管理办法")
    services.measure_assign_bulk(
        actor=personas.outsider, round=r, measure_ids=[m.pk], deadline=days_from_today(-3)
    )
    return r


def test_the_dashboard_counts_problems_completion_tiers_and_on_time_rates_per_round(personas: Any) -> None:
    from zhenggai.ledger.models import Measure

    w = build_desk_round(personas)
    approve(personas, w.measures["green"])  # done before its deadline
    approve(personas, w.measures["black"])  # done, but 40 days late
    # The yellow one was extended: done on time against the new deadline, late against the first.
    Measure.objects.filter(pk=w.measures["yellow"].pk).update(original_deadline=days_from_today(-10))
    approve(personas, w.measures["yellow"])
    board = dashboard.dashboard_for_user(user=personas.supervisor)
    (row,) = board.rounds
    f = row.figures
    assert (f.problems, f.completed, f.measures, f.finished) == (5, 3, 5, 3)
    assert f.completion_rate == 60.0
    assert f.tiers == {"green": 0, "yellow": 0, "red": 1, "black": 0}
    assert f.overdue == 1
    # due: the three done and the red one past its deadline; on time: green and yellow.
    assert (f.due, f.on_time) == (4, 2)
    assert (f.due_original, f.on_time_original) == (4, 1)
    assert f.on_time_rate == 50.0 and f.on_time_rate_original == 25.0


def test_a_reopened_or_relapsed_problem_is_counted_and_not_complete(personas: Any) -> None:
    from zhenggai.ledger import services

    w = build_desk_round(personas)
    approve(personas, w.measures["green"])
    p = w.problems["green"]
    services.finding_close(actor=personas.supervisor, finding=p, opinion="整改到位")
    p.refresh_from_db()
    services.finding_reopen(actor=personas.supervisor, finding=p, reason="回头看发现反弹", relapse=True)
    f = dashboard.dashboard_for_user(user=personas.supervisor).total
    assert (f.reopened, f.relapsed, f.completed) == (1, 1, 0)


def test_extensions_requested_and_granted_are_counted(personas: Any) -> None:
    from zhenggai.supervision.services.extensions import extension_decide, extension_request

    w = build_desk_round(personas)
    e = extension_request(
        actor=personas.person,
        measure=w.measures["yellow"],
        new_deadline=days_from_today(40),
        reason="等待设备到货",
    )
    extension_decide(actor=personas.leader, extension=e, grant=True, opinion="同意")
    extension_request(
        actor=personas.person, measure=w.measures["green"], new_deadline=days_from_today(50), reason="需协调"
    )
    f = dashboard.dashboard_for_user(user=personas.supervisor).total
    assert (f.ext_requested, f.ext_granted, f.ext_pending) == (2, 1, 1)


def test_units_are_ranked_by_completion_then_fewest_overdue(personas: Any) -> None:
    w = build_desk_round(personas)
    for tier in ("black", "red", "yellow"):
        approve(personas, w.measures[tier])
    _unit_b_round(personas)
    board = dashboard.dashboard_for_user(user=personas.supervisor)
    assert [(u.rank, u.unit.name) for u in board.units] == [
        (1, personas.unit_a.name),
        (2, personas.unit_b.name),
    ]
    assert board.chart_data["units"] == [personas.unit_a.name, personas.unit_b.name]
    assert board.chart_data["completion"] == [60.0, 0]


def test_a_supervisor_sees_only_the_units_under_him(personas: Any) -> None:
    from tests.supervision.followup_world import add_supervisor

    build_desk_round(personas)
    _unit_b_round(personas)
    police_supervisor = add_supervisor(personas, "police_sup", personas.police)
    board = dashboard.dashboard_for_user(user=police_supervisor)
    assert {r.round.unit_id for r in board.rounds} == {personas.unit_a.pk}
    assert dashboard.is_supervisor(police_supervisor)
    assert not dashboard.is_supervisor(personas.clerk)
    assert dashboard.dashboard_for_user(user=personas.clerk).rounds == []


def test_the_dashboard_makes_as_many_queries_for_many_rounds_as_for_one(personas: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    build_desk_round(personas)

    def count() -> int:
        with CaptureQueriesContext(connection) as q:
            dashboard.dashboard_for_user(user=personas.supervisor)
        return len(q.captured_queries)

    count()  # the supervisor's memberships are read once, then kept for the request
    one = count()
    for i in range(3):
        build_desk_round(personas, title=f"第{i + 3}轮")
    _unit_b_round(personas)
    assert count() == one <= 6


def test_the_drill_down_lists_the_measures_behind_a_figure(personas: Any) -> None:
    w = build_desk_round(personas)
    return_with(personas, w.measures["yellow"], "材料不全")

    def pks(**kw: Any) -> list[int]:
        return [
            m.pk
            for m in dashboard.measure_drilldown(
                user=personas.supervisor, filters=dashboard.DrillFilters(**kw)
            )
        ]

    assert pks(tier="overdue") == [w.measures["black"].pk, w.measures["red"].pk]
    assert pks(tier="yellow", round=w.round.pk) == [w.measures["yellow"].pk]
    assert pks(tier="none") == [w.measures[""].pk]
    assert pks(returned=True) == [w.measures["yellow"].pk]
    assert pks(unit=personas.unit_a.pk, status="in_progress") == [w.measures["yellow"].pk]
    mine = dashboard.measure_drilldown(
        user=personas.person, filters=dashboard.DrillFilters(mine="person", tier="overdue")
    )
    assert [m.tier for m in mine] == ["black", "red"]


def test_the_drill_down_refuses_a_unit_or_round_outside_the_user_s_units(personas: Any) -> None:
    w = build_desk_round(personas)
    for filters in (
        dashboard.DrillFilters(unit=personas.unit_a.pk),
        dashboard.DrillFilters(round=w.round.pk),
    ):
        with pytest.raises(Http404):
            dashboard.measure_drilldown(user=personas.outsider, filters=filters)
    assert list(dashboard.measure_drilldown(user=personas.outsider, filters=dashboard.DrillFilters())) == []
