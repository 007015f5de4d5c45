"""The home page is each role's desk: the 责任领导 sees what he leads, the clerk the round's state,
the person his returned measures first with the reason, every list in warning colours."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from tests.supervision.desk_world import build_desk_round, return_with, submit
from tests.today import days_from_today


def test_the_responsible_leader_sees_the_measures_he_leads_on_his_desk(
    personas: Any, client_for: Any
) -> None:
    build_desk_round(personas)
    html = client_for(personas.responsible_leader).get(reverse("web:home")).content.decode()
    assert "责任领导：我分管的措施（5）" in html
    assert "我分管的措施（5）" in html and "待我预审（0）" in html
    assert 'data-tier="black"' in html and "text-bg-dark" in html
    assert "待我整改（0）" in html


def test_a_returned_measure_comes_first_on_the_persons_desk_with_its_reason(
    personas: Any, client_for: Any
) -> None:
    w = build_desk_round(personas)
    return_with(personas, w.measures[""], "会议记录缺少签到表")
    html = client_for(personas.person).get(reverse("web:home")).content.decode()
    assert "待我整改（5）" in html and "被退回（1）" in html
    assert html.index("被退回（1）") < html.index("红色/黑色预警（已逾期）（2）")
    assert "退回理由：会议记录缺少签到表" in html
    returned_at = html.index(f'href="/measures/{w.measures[""].pk}/"')
    assert returned_at < html.index(f'href="/measures/{w.measures["black"].pk}/"')
    # An overdue measure is still marked as everywhere.
    assert (
        f'href="/measures/{w.measures["red"].pk}/" class="list-group-item list-group-item-action is-overdue"'
        in html
    )


def test_the_clerk_lands_on_the_rounds_state_not_on_empty_boxes(personas: Any, client_for: Any) -> None:
    from zhenggai.ledger import services

    w = build_desk_round(personas)
    submit(personas, w.measures["yellow"])
    services.plan_sign(actor=personas.leader, round=w.round)
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=w.round,
        measure_ids=[w.measures["green"].pk],
        deadline=days_from_today(17),
    )
    html = client_for(personas.clerk).get(reverse("web:home")).content.decode()
    assert "整改办" in html and w.round.title in html
    assert re.search(r"逾期 2</a>", html)
    assert "需重新签字" in html
    assert "整改方案报送" in html and "整改报告报送" in html
    more = reverse("supervision:dashboard-measures")
    assert f"{more}?round={w.round.pk}&amp;tier=overdue" in html


def test_the_unit_head_sees_what_awaits_his_review_and_signature_and_the_curve(
    personas: Any, client_for: Any
) -> None:
    from zhenggai.ledger import services

    w = build_desk_round(personas)
    submit(personas, w.measures["red"])
    services.measure_review(actor=personas.leader, measure=w.measures["red"], decision="approve")
    submit(personas, w.measures["black"])
    html = client_for(personas.leader).get(reverse("web:home")).content.decode()
    assert "待我审核（1）" in html
    assert "待签字的整改方案（1）" in html and "方案尚未签字" in html
    assert "已完成 1 / 5 个问题" in html
    assert 'id="head-curve-data" type="application/json"' in html
    assert "/static/vendor/echarts/echarts.min.js" in html and "/static/zhenggai/charts.js" in html


def test_the_search_and_drill_down_lists_show_the_warning_colour(personas: Any, client_for: Any) -> None:
    w = build_desk_round(personas)
    c = client_for(personas.clerk)
    found = c.get(reverse("web:search"), {"round": w.round.pk}).content.decode()
    for key in ("green", "yellow", "red", "black"):
        assert f'data-tier="{key}"' in found
    drill = c.get(
        reverse("supervision:dashboard-measures"), {"round": w.round.pk, "tier": "red"}
    ).content.decode()
    assert "共 1 条措施" in drill and 'data-tier="red"' in drill and "红色预警（已逾期）" in drill


def test_the_drill_down_refuses_the_outsider_a_unit_or_round_of_unit_a(
    personas: Any, client_for: Any
) -> None:
    w = build_desk_round(personas)
    c = client_for(personas.outsider)
    url = reverse("supervision:dashboard-measures")
    assert c.get(url, {"round": w.round.pk}).status_code == 404
    assert c.get(url, {"unit": personas.unit_a.pk}).status_code == 404
    html = c.get(url).content.decode()
    assert "共 0 条措施" in html
    home = c.get(reverse("web:home")).content.decode()
    assert w.round.title not in home and "制定制度并开展检查" not in home


def test_the_home_page_makes_as_many_queries_for_many_measures_as_for_few(
    personas: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    users = [
        personas.person,
        personas.responsible_leader,
        personas.clerk,
        personas.leader,
        personas.supervisor,
    ]
    clients = [client_for(u) for u in users]

    def counts() -> list[int]:
        out = []
        for c in clients:
            with CaptureQueriesContext(connection) as q:
                assert c.get(reverse("web:home")).status_code == 200
            out.append(len(q.captured_queries))
        return out

    build_desk_round(personas)
    few = counts()
    for i in range(4):
        build_desk_round(personas, title=f"第{i + 3}轮")
    assert counts() == few
    with django_assert_max_num_queries(20):
        clients[2].get(reverse("web:home"))


def test_the_tier_badge_shows_the_colour_and_nothing_for_no_tier() -> None:
    from zhenggai.web.templatetags.supervision import clip, tier_badge

    assert 'class="badge tier-badge text-bg-danger"' in tier_badge("red")
    assert "红色预警（已逾期）" in tier_badge("red")
    assert tier_badge("") == "" and tier_badge(None) == "" and tier_badge("<b>") == ""
    assert clip("整改措施内容", 4) == "整改措…" and clip("短", 4) == "短" and clip(None, 3) == ""


def test_the_desks_are_kept_until_a_change_and_counted_again_after_it(
    personas: Any, client_for: Any
) -> None:
    """The home page keeps a user's desks between requests (``supervision.selectors.home``): a
    view again runs only the request's own queries; a change through a service shows at once."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = build_desk_round(personas)
    c = client_for(personas.person)
    with CaptureQueriesContext(connection) as first:
        html = c.get(reverse("web:home")).content.decode()
    assert "待我整改（5）" in html and "被退回（1）" not in html
    with CaptureQueriesContext(connection) as again:
        kept = c.get(reverse("web:home")).content.decode()
    assert _without_csrf(kept) == _without_csrf(html)
    assert len(again.captured_queries) < len(first.captured_queries) - 3
    # Another user's desks are his own, kept apart.
    leader_html = client_for(personas.responsible_leader).get(reverse("web:home")).content.decode()
    assert "我分管的措施（5）" in leader_html
    # A change (the leader returns a submitted measure): the person's desk counts it at once.
    return_with(personas, w.measures[""], "照片不清晰")
    html = c.get(reverse("web:home")).content.decode()
    assert "被退回（1）" in html and "退回理由：照片不清晰" in html


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
