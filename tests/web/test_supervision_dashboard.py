"""督办看板 and 整改质量体检 pages: the supervisor's alone, charts from local ECharts, every figure
a link to the measures behind it."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles import finders
from django.urls import reverse

from tests.supervision.desk_world import approve, build_desk_round


def test_the_supervisor_sees_every_unit_and_round_with_charts_and_drill_down(
    personas: Any, client_for: Any
) -> None:
    w = build_desk_round(personas)
    approve(personas, w.measures["green"])
    html = client_for(personas.supervisor).get(reverse("supervision:dashboard")).content.decode()
    assert "督办看板" in html and personas.unit_a.name in html and w.round.title in html
    assert "20.00%" in html  # 1 of 5 problems complete
    assert 'id="dashboard-chart-data" type="application/json"' in html
    assert 'data-chart="completion"' in html and 'data-chart="tiers"' in html
    assert "/static/vendor/echarts/echarts.min.js" in html
    assert "<script>" not in html  # no inline script (CSP: scripts from 'self' only)
    drill = reverse("supervision:dashboard-measures")
    assert f"{drill}?unit={personas.unit_a.pk}&amp;tier=overdue" in html
    assert f"{drill}?round={w.round.pk}&amp;tier=black" in html
    assert reverse("supervision:quality", args=[personas.unit_a.pk]) in html


def test_echarts_is_served_from_our_own_static_files() -> None:
    assert finders.find("vendor/echarts/echarts.min.js")


def test_the_dashboard_is_refused_to_everyone_who_supervises_nothing(personas: Any, client_for: Any) -> None:
    build_desk_round(personas)
    for user in (personas.outsider, personas.clerk, personas.leader, personas.person, personas.viewer):
        assert client_for(user).get(reverse("supervision:dashboard")).status_code == 403
    assert (
        client_for(personas.outsider)
        .get(reverse("supervision:quality", args=[personas.unit_a.pk]))
        .status_code
        == 404
    )
    assert (
        client_for(personas.clerk).get(reverse("supervision:quality", args=[personas.unit_a.pk])).status_code
        == 404
    )


def test_the_quality_page_shows_each_flag_with_its_evidence(personas: Any, client_for: Any) -> None:
    w = build_desk_round(personas)
    approve(personas, w.measures["green"])
    html = (
        client_for(personas.supervisor)
        .get(reverse("supervision:quality", args=[personas.unit_a.pk]))
        .content.decode()
    )
    assert "整改质量体检" in html
    assert "完成但无佐证材料（1）" in html
    assert reverse("web:measure-detail", args=[w.measures["green"].pk]) in html
    for code in (
        "shared-evidence",
        "copied-progress",
        "early-completion",
        "deadline-rush",
        "stale-long-term",
        "vague",
    ):
        assert f'data-flag="{code}"' in html


def test_the_dashboard_and_quality_pages_make_as_many_queries_for_many_rounds_as_for_one(
    personas: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(personas.supervisor)
    urls = [
        reverse("supervision:dashboard"),
        reverse("supervision:quality", args=[personas.unit_a.pk]),
        reverse("supervision:dashboard-measures") + "?tier=overdue",
    ]

    def counts() -> list[int]:
        out = []
        for url in urls:
            with CaptureQueriesContext(connection) as q:
                assert c.get(url).status_code == 200
            out.append(len(q.captured_queries))
        return out

    w = build_desk_round(personas)
    approve(personas, w.measures["green"])
    few = counts()
    for i in range(3):
        more = build_desk_round(personas, title=f"第{i + 3}轮")
        approve(personas, more.measures["green"])
    assert counts() == few
    with django_assert_max_num_queries(20):
        c.get(urls[0])
