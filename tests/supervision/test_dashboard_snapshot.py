"""The dashboard at a province's scale: the figures ``zhenggai stats-refresh`` counts per round
(the same as counted live), read above ``DASHBOARD_SNAPSHOT_ABOVE`` measures with the time they
were counted (flagged when of another day); units summed under the children of the unit viewed,
with a drill-in; the rounds a page at a time; queries that do not grow with the rounds."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.http import Http404
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.supervision.desk_world import approve, build_desk_round
from tests.today import days_from_today, today
from zhenggai.supervision.selectors import dashboard

URL = reverse("supervision:dashboard")
#: Tiers that warn much earlier than the default: yellow 40 days before, red 3 days before.
EARLY = [
    {"key": "green", "days": 60, "notify": ["person"]},
    {"key": "yellow", "days": 40, "notify": ["person", "leader"]},
    {"key": "red", "days": 3, "notify": ["person", "leader", "unit_head"]},
    {"key": "black", "days": -10, "notify": ["person", "leader", "unit_head", "supervisor"]},
]


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _refresh(*args: str) -> str:
    out = StringIO()
    call_command("stats-refresh", *args, stdout=out)
    return out.getvalue()


def _varied(personas: Any) -> Any:
    """A round with something in every figure: done on time and late, an extended deadline, a
    granted and a pending extension, a problem reopened after a relapse."""
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Measure
    from zhenggai.supervision.services.extensions import extension_decide, extension_request

    w = build_desk_round(personas)
    approve(personas, w.measures["green"])
    approve(personas, w.measures["black"])
    Measure.objects.filter(pk=w.measures["yellow"].pk).update(original_deadline=days_from_today(-10))
    approve(personas, w.measures["yellow"])
    e = extension_request(
        actor=personas.person, measure=w.measures["red"], new_deadline=days_from_today(40), reason="设备未到"
    )
    extension_decide(actor=personas.leader, extension=e, grant=True, opinion="同意")
    extension_request(
        actor=personas.person, measure=w.measures[""], new_deadline=days_from_today(150), reason="需协调"
    )
    p = w.problems["green"]
    services.finding_close(actor=personas.supervisor, finding=p, opinion="整改到位")
    p.refresh_from_db()
    services.finding_reopen(actor=personas.supervisor, finding=p, reason="回头看发现反弹", relapse=True)
    return w


def _unit_b_round(personas: Any) -> Any:
    from zhenggai.ledger import services

    r = services.round_create(
        actor=personas.outsider, unit=personas.unit_b, title="财政局整改", feedback_date=days_from_today(-60)
    )
    p = services.finding_create(actor=personas.outsider, round=r, parent=None, kind="problem", title="预算")
    m = services.measure_create(actor=personas.outsider, finding=p, text="修订预算管理办法")
    services.measure_assign_bulk(
        actor=personas.outsider, round=r, measure_ids=[m.pk], deadline=days_from_today(-3)
    )
    return r


def test_the_snapshot_holds_for_each_round_the_figures_counted_live(personas: Any, seed_round: Any) -> None:
    from zhenggai.ledger.models import Round
    from zhenggai.supervision.models import RoundFigures
    from zhenggai.supervision.services.settings import round_settings_update

    w = _varied(personas)
    early = build_desk_round(personas, title="第二轮")
    round_settings_update(
        actor=personas.clerk, round=early.round, tiers=EARLY, stage_report_months=3, rush_hours=24
    )
    _unit_b_round(personas)
    board = dashboard.dashboard_for_user(user=personas.supervisor)
    assert not board.snapshot
    live = {row.round.pk: row.figures for row in board.rounds}
    assert len(live) == 4 and live[w.round.pk].ext_pending == 1 and live[w.round.pk].relapsed == 1
    assert live[early.round.pk].tiers == {"green": 0, "yellow": 2, "red": 1, "black": 1}

    _refresh()
    rows = {row.round_id: row for row in RoundFigures.objects.all()}
    assert set(rows) == set(Round.objects.values_list("pk", flat=True)) == set(live)
    for pk, figures in live.items():
        assert dashboard.Figures.of_snapshot(rows[pk]) == figures, pk
        assert rows[pk].counted_on == today()
    assert rows[seed_round.pk].unit_id == personas.unit_a.pk
    assert live[seed_round.pk].measures == rows[seed_round.pk].measures > 0


def test_stats_refresh_is_idempotent_audited_once_per_run_and_forgets_deleted_rounds(personas: Any) -> None:
    from zhenggai.audit.models import AuditEvent
    from zhenggai.ledger import services
    from zhenggai.supervision.models import RoundFigures

    w = build_desk_round(personas)
    gone = build_desk_round(personas, title="将删除的轮次")
    first = _refresh()
    assert "已统计 2 个巡察轮次（10 条整改措施" in first
    snapshot = {r.round_id: dashboard.Figures.of_snapshot(r) for r in RoundFigures.objects.all()}
    assert "已统计 2 个巡察轮次（10 条整改措施" in _refresh()
    assert {r.round_id: dashboard.Figures.of_snapshot(r) for r in RoundFigures.objects.all()} == snapshot
    assert AuditEvent.objects.filter(action="supervision.stats_refresh").count() == 2
    event = AuditEvent.objects.filter(action="supervision.stats_refresh").last()
    assert event is not None and event.actor_id is None
    assert event.after["rounds"] == 2 and event.after["measures"] == 10

    services.round_delete(actor=personas.clerk, round=gone.round, reason="重复导入")
    assert "清除 1 个已删除轮次的统计" in _refresh()
    assert list(RoundFigures.objects.values_list("round_id", flat=True)) == [w.round.pk]


def test_above_the_bound_the_page_reads_the_snapshot_and_says_when_it_was_counted(
    personas: Any, settings: Any
) -> None:
    from zhenggai.supervision.models import RoundFigures

    w = build_desk_round(personas)
    _refresh()
    approve(personas, w.measures["green"])  # after the count: live says 1 done, the snapshot 0
    assert dashboard.dashboard_for_user(user=personas.supervisor).total.finished == 1

    settings.DASHBOARD_SNAPSHOT_ABOVE = 4  # the round's 5 measures are above it
    board = dashboard.dashboard_for_user(user=personas.supervisor)
    assert board.snapshot and not board.stale and board.live_rounds == 0
    assert board.total.finished == 0 and board.total.measures == 5
    counted = RoundFigures.objects.get().computed_at
    assert board.counted_at == counted
    html = _client(personas.supervisor).get(URL).content.decode()
    local = dt.datetime.fromtimestamp(counted.timestamp(), tz=dt.timezone(dt.timedelta(hours=8)))
    assert f"统计数据更新于 {local.year}年{local.month}月{local.day}日 {local:%H:%M}" in html
    assert "不是今天" not in html

    settings.DASHBOARD_SNAPSHOT_ABOVE = 5  # not above: live again
    board = dashboard.dashboard_for_user(user=personas.supervisor)
    assert not board.snapshot and board.total.finished == 1
    assert "统计数据更新于" not in _client(personas.supervisor).get(URL).content.decode()


def test_a_round_not_counted_yet_is_counted_live_beside_the_snapshot(personas: Any, settings: Any) -> None:
    build_desk_round(personas)
    _refresh()
    settings.DASHBOARD_SNAPSHOT_ABOVE = 1
    late = build_desk_round(personas, title="刚导入的轮次")
    approve(personas, late.measures["green"])
    board = dashboard.dashboard_for_user(user=personas.supervisor)
    assert board.snapshot and board.live_rounds == 1
    (row,) = [r for r in board.rounds if r.round.pk == late.round.pk]
    assert (row.figures.measures, row.figures.finished, row.figures.tiers["black"]) == (5, 1, 1)
    assert board.total.measures == 10 and board.total.finished == 1


def test_a_snapshot_of_an_earlier_day_is_flagged_not_shown_as_today_s(personas: Any, settings: Any) -> None:
    build_desk_round(personas)
    yesterday = days_from_today(-1)
    _refresh("--at", yesterday.isoformat())
    settings.DASHBOARD_SNAPSHOT_ABOVE = 1
    board = dashboard.dashboard_for_user(user=personas.supervisor)
    assert board.snapshot and board.stale and board.counted_on == yesterday
    # Counted for yesterday: the red measure (5 days late) was 4 days late, still red.
    assert board.total.tiers["red"] == 1
    html = _client(personas.supervisor).get(URL).content.decode()
    assert 'class="alert alert-warning dashboard-stale"' in html
    assert f"统计数据是按 {yesterday.year}年{yesterday.month}月{yesterday.day}日 计算的，不是今天" in html

    _refresh()
    assert not dashboard.dashboard_for_user(user=personas.supervisor).stale
    assert "dashboard-stale" not in _client(personas.supervisor).get(URL).content.decode()


@pytest.mark.parametrize("bound", [100_000, 1])
def test_the_dashboard_queries_do_not_grow_with_the_rounds(personas: Any, settings: Any, bound: int) -> None:
    settings.DASHBOARD_SNAPSHOT_ABOVE = bound
    c = _client(personas.supervisor)

    def queries() -> tuple[int, int]:
        _refresh()
        with CaptureQueriesContext(connection) as page:
            assert c.get(URL).status_code == 200
        with CaptureQueriesContext(connection) as drilled:
            assert c.get(f"{URL}?unit={personas.police.pk}").status_code == 200
        return len(page.captured_queries), len(drilled.captured_queries)

    build_desk_round(personas)
    _unit_b_round(personas)
    two = queries()
    for i in range(3):
        build_desk_round(personas, title=f"第{i + 3}轮")
    _unit_b_round(personas)
    assert queries() == two


def test_units_are_summed_under_the_children_of_the_unit_viewed_with_a_drill_in(
    personas: Any, settings: Any
) -> None:
    w = build_desk_round(personas)  # unit A, under the police bureau
    for tier in ("black", "red", "yellow"):
        approve(personas, w.measures[tier])
    build_desk_round(personas, title="第二轮")
    _unit_b_round(personas)
    _refresh()
    settings.DASHBOARD_SNAPSHOT_ABOVE = 1
    sup = personas.supervisor
    board = dashboard.dashboard_for_user(user=sup)
    # The county's children: the police bureau (unit A's two rounds) and unit B.
    assert board.grouped and board.unit is None
    assert [(u.rank, u.unit.pk, u.rounds, u.drill_in) for u in board.units] == [
        (1, personas.police.pk, 2, True),
        (2, personas.unit_b.pk, 1, True),
    ]
    assert board.units[0].figures.finished == 3 and board.total.measures == 11
    html = _client(sup).get(URL).content.decode()
    assert f'<a href="?unit={personas.police.pk}">{personas.police.name}</a>' in html
    assert "下级单位排名" in html

    police = dashboard.dashboard_for_user(user=sup, unit_id=personas.police.pk)
    assert police.unit == personas.police and police.trail == [personas.county]
    assert [(u.unit.pk, u.rounds) for u in police.units] == [(personas.unit_a.pk, 2)]
    assert {r.round.unit_id for r in police.rounds} == {personas.unit_a.pk}
    assert police.total.measures == 10
    html = _client(sup).get(URL, {"unit": personas.police.pk}).content.decode()
    assert f'<a href="?unit={personas.county.pk}">{personas.county.name}</a>' in html  # the way back up
    assert f"?unit={personas.police.pk}&amp;tier=overdue" in html  # the totals drill into the unit

    unit_a = dashboard.dashboard_for_user(user=sup, unit_id=personas.unit_a.pk)
    assert unit_a.units == [] and unit_a.own_rounds == 2 and len(unit_a.rounds) == 2


def test_many_units_are_summed_under_the_children_even_when_counted_live(
    personas: Any, monkeypatch: Any
) -> None:
    build_desk_round(personas)
    _unit_b_round(personas)
    assert not dashboard.dashboard_for_user(user=personas.supervisor).grouped
    monkeypatch.setattr(dashboard, "UNIT_ROWS_MAX", 1)
    board = dashboard.dashboard_for_user(user=personas.supervisor)
    assert board.grouped and not board.snapshot
    assert {u.unit.pk for u in board.units} == {personas.police.pk, personas.unit_b.pk}


def test_a_unit_outside_the_supervisor_s_units_is_not_found(personas: Any) -> None:
    from tests.supervision.followup_world import add_supervisor

    build_desk_round(personas)
    _unit_b_round(personas)
    police_supervisor = add_supervisor(personas, "police_sup", personas.police)
    for unit in (personas.unit_b, personas.county):
        with pytest.raises(Http404):
            dashboard.dashboard_for_user(user=police_supervisor, unit_id=unit.pk)
        assert _client(police_supervisor).get(URL, {"unit": unit.pk}).status_code == 404
    assert _client(police_supervisor).get(URL, {"unit": 987654}).status_code == 404
    c = _client(police_supervisor)
    assert c.get(URL, {"unit": personas.unit_a.pk}).status_code == 200
    assert c.get(URL, {"unit": "abc"}).status_code == 200  # not a number: the whole scope


def test_the_dashboard_is_refused_to_an_outsider_and_to_non_supervisors(personas: Any) -> None:
    build_desk_round(personas)
    for user in (personas.outsider, personas.clerk, personas.leader):
        for query in ({}, {"unit": personas.unit_a.pk}):
            assert _client(user).get(URL, query).status_code == 403


def test_the_rounds_are_listed_a_page_at_a_time(personas: Any, monkeypatch: Any) -> None:
    from zhenggai.web.views import supervision_dashboard

    monkeypatch.setattr(supervision_dashboard, "PER_PAGE", 2)
    for i in range(3):
        build_desk_round(personas, title=f"分页测试第{i + 1}轮")
    c = _client(personas.supervisor)
    first = c.get(URL).content.decode()
    second = c.get(URL, {"page": 2}).content.decode()
    assert "第 1 / 2 页" in first and "共 3 个" in first
    titles = [f"分页测试第{i + 1}轮" for i in range(3)]
    on_first = [t for t in titles if t in first.split("dashboard-rounds", 1)[1]]
    on_second = [t for t in titles if t in second.split("dashboard-rounds", 1)[1]]
    assert len(on_first) == 2 and len(on_second) == 1 and set(on_first + on_second) == set(titles)
    drilled = c.get(URL, {"unit": personas.police.pk}).content.decode()
    assert f"?unit={personas.police.pk}&amp;page=2" in drilled
