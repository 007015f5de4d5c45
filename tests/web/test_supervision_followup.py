"""The pages of the follow-up after close-out: look-backs (a relapse reopens the problem as
cycle 2 with its history), verification, the evaluation and 督办单. The outsider gets 404 on
every one; list pages make a fixed number of queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.supervision.followup_world import add_supervisor, close_problem, closed_world
from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger.models import ProblemStatus
from zhenggai.supervision.models import FollowUpOrder, Lookback, LookbackItem, OrderStatus, Score
from zhenggai.supervision.selectors import followup
from zhenggai.supervision.services import evaluation, lookbacks, orders


@pytest.fixture
def closed(personas: Any, world: Any) -> Any:
    return close_problem(personas, world)


@pytest.fixture
def objects(personas: Any, closed: Any) -> dict[str, Any]:
    """One of each object of unit A's round: a look-back with its item, an indicator, an order."""
    lb = lookbacks.lookback_create(
        actor=personas.supervisor, round=closed.round, title="半年回头看", scheduled_on=days_from_today(30)
    )
    ind = evaluation.indicator_add(
        actor=personas.supervisor, round=closed.round, dimension="责任落实", name="专题研究", max_score="10"
    )
    order = orders.order_issue(
        actor=personas.supervisor,
        unit=personas.unit_a,
        round=closed.round,
        subject="学习计划落实情况",
        body="请报送落实情况。",
        reply_due=days_from_today(10),
    )
    return {"world": closed, "lookback": lb, "item": lb.items.get(), "indicator": ind, "order": order}


def _pages(o: dict[str, Any]) -> list[tuple[str, str, list[Any], dict[str, Any]]]:
    w = o["world"]
    r = [w.round.pk]
    return [
        ("get", "supervision:round-lookbacks", r, {}),
        ("get", "supervision:lookback-create", r, {}),
        (
            "post",
            "supervision:lookback-create",
            r,
            {"title": "越权", "scheduled_on": str(days_from_today(30)), "scope": "all"},
        ),
        ("get", "supervision:lookback-detail", [o["lookback"].pk], {}),
        ("post", "supervision:lookback-complete", [o["lookback"].pk], {}),
        ("post", "supervision:lookback-check", [o["item"].pk], {f"item{o['item'].pk}-result": "held"}),
        ("get", "supervision:round-verifications", r, {}),
        ("get", "supervision:measure-verify", [w.submitted.pk], {}),
        ("post", "supervision:measure-verify", [w.submitted.pk], {"result": "effective", "opinion": "有效"}),
        ("get", "supervision:evaluation-scheme", r, {}),
        ("post", "supervision:evaluation-default", r, {}),
        (
            "post",
            "supervision:indicator-add",
            r,
            {"add-dimension": "维度", "add-name": "指标", "add-max_score": "5"},
        ),
        ("get", "supervision:indicator-edit", [o["indicator"].pk], {}),
        (
            "post",
            "supervision:indicator-edit",
            [o["indicator"].pk],
            {"dimension": "改", "name": "改", "max_score": "9"},
        ),
        ("post", "supervision:indicator-delete", [o["indicator"].pk], {}),
        ("get", "supervision:evaluation-score", r, {}),
        ("post", "supervision:evaluation-score", r, {f"score-{o['indicator'].pk}": "5"}),
        ("get", "supervision:evaluation-report", r, {}),
        ("get", "supervision:order-detail", [o["order"].pk], {}),
        ("post", "supervision:order-reply", [o["order"].pk], {"reply": "越权回复", "version": 1}),
        ("post", "supervision:order-decide", [o["order"].pk], {"decision": "close", "opinion": "越权办结"}),
    ]


def _snapshot() -> tuple[Any, ...]:
    return (
        sorted(Lookback.objects.values_list("pk", "status")),
        sorted(LookbackItem.objects.values_list("pk", "result")),
        Score.objects.count(),
        sorted(FollowUpOrder.objects.values_list("pk", "status", "version")),
        AuditEvent.objects.filter(outcome="ok").count(),
    )


def test_the_outsider_gets_404_on_every_page_and_action_and_nothing_changes(
    personas: Any, objects: dict[str, Any], client_for: Any
) -> None:
    c = client_for(personas.outsider)
    before = _snapshot()
    for method, name, args, data in _pages(objects):
        response = getattr(c, method)(reverse(name, args=args), data)
        assert response.status_code == 404, (method, name, response.status_code)
    assert _snapshot() == before


def test_a_viewer_of_unit_a_may_look_but_every_action_is_refused_with_403(
    personas: Any, objects: dict[str, Any], client_for: Any
) -> None:
    c = client_for(personas.viewer)
    before = _snapshot()
    for method, name, args, data in _pages(objects):
        response = getattr(c, method)(reverse(name, args=args), data)
        looks = method == "get" and name not in {
            "supervision:lookback-create",
            "supervision:measure-verify",
            "supervision:indicator-edit",
            "supervision:evaluation-score",
        }
        assert response.status_code == (200 if looks else 403), (method, name, response.status_code)
    assert _snapshot() == before


def test_the_anonymous_visitor_is_sent_to_log_in(personas: Any, objects: dict[str, Any], client: Any) -> None:
    for method, name, args, data in _pages(objects):
        response = getattr(client, method)(reverse(name, args=args), data)
        assert response.status_code == 302 and response.url.startswith(reverse("web:login"))


def test_a_look_back_finds_a_relapse_and_the_problem_reopens_as_cycle_2_with_its_history(
    personas: Any, closed: Any, client_for: Any
) -> None:
    c = client_for(personas.supervisor)
    page = c.get(reverse("supervision:lookback-create", args=[closed.round.pk]))
    assert page.status_code == 200 and closed.problem.title in page.content.decode()
    response = c.post(
        reverse("supervision:lookback-create", args=[closed.round.pk]),
        {
            "title": "半年回头看",
            "scheduled_on": days_from_today(1).isoformat(),
            "scope": "chosen",
            "findings": [closed.problem.pk],
        },
    )
    lb = Lookback.objects.get()
    assert response.status_code == 302 and response.url == reverse(
        "supervision:lookback-detail", args=[lb.pk]
    )
    item = lb.items.get()
    # A relapse without an opinion is put back to the form.
    refused = c.post(
        reverse("supervision:lookback-check", args=[item.pk]), {f"item{item.pk}-result": "relapsed"}
    )
    assert refused.status_code == 400 and "核查意见" in refused.content.decode()
    c.post(
        reverse("supervision:lookback-check", args=[item.pk]),
        {f"item{item.pk}-result": "relapsed", f"item{item.pk}-opinion": "学习再次流于形式"},
    )
    closed.problem.refresh_from_db()
    assert closed.problem.status == ProblemStatus.OPEN and closed.problem.cycle == 2
    listing = c.get(reverse("supervision:round-lookbacks", args=[closed.round.pk])).content.decode()
    assert "反弹率 <strong>100.0%</strong>" in listing or "100" in listing
    html = render_to_string(
        "web/supervision/followup/_cycles.html",
        {"cycles": followup.round_cycles(user=personas.supervisor, finding=closed.problem)},
    )
    assert "第2轮整改" in html and "第1轮整改" in html
    assert "回头看发现反弹" in html and "已制定学习计划" in html  # cycle 1's progress kept
    assert c.post(reverse("supervision:lookback-complete", args=[lb.pk])).status_code == 302


def test_the_verification_page_refuses_an_implementer_and_a_send_back_reopens_the_problem(
    personas: Any, closed: Any, client_for: Any
) -> None:
    from zhenggai.units.models import Role
    from zhenggai.units.services import membership_grant

    membership_grant(actor=None, user=personas.person, unit=personas.unit_a, role=Role.SUPERVISOR)
    url = reverse("supervision:measure-verify", args=[closed.fresh.pk])
    implementer = client_for(personas.person)
    assert "不能核验其成效" in implementer.get(url).content.decode()
    refused = implementer.post(url, {"result": "effective", "opinion": "有效"})
    assert refused.status_code == 403
    c = client_for(personas.supervisor)
    pending = c.get(reverse("supervision:round-verifications", args=[closed.round.pk])).content.decode()
    assert url in pending
    # The links the problem page shows the supervisor (web/problems/detail.html includes them).
    links = render_to_string(
        "web/supervision/followup/_verify_links.html",
        {
            "finding": closed.problem,
            "may_order": True,
            "verify_links": followup.measures_to_verify(
                user=personas.supervisor, finding=closed.problem, measures=[closed.submitted, closed.fresh]
            ),
        },
    )
    assert url in links and reverse("supervision:order-create") + f"?finding={closed.problem.pk}" in links
    assert c.post(url, {"result": "sent_back", "opinion": ""}).status_code == 400
    response = c.post(url, {"result": "sent_back", "opinion": "未见实效"})
    assert response.status_code == 302
    closed.problem.refresh_from_db()
    assert closed.problem.status == ProblemStatus.OPEN and closed.problem.cycle == 1


def test_the_supervisor_applies_the_default_scheme_scores_and_reads_the_report(
    personas: Any, world: Any, client_for: Any
) -> None:
    c = client_for(personas.supervisor)
    r = [world.round.pk]
    assert "套用默认方案" in c.get(reverse("supervision:evaluation-scheme", args=r)).content.decode()
    c.post(reverse("supervision:evaluation-default", args=r))
    report = followup.evaluation_report(user=personas.supervisor, round=world.round)
    first, second = (row.indicator for row in report.dimensions[0].indicators[:2])
    too_high = c.post(reverse("supervision:evaluation-score", args=r), {f"score-{first.pk}": "6"})
    assert too_high.status_code == 400 and "不能超过5" in too_high.content.decode()
    c.post(
        reverse("supervision:evaluation-score", args=r),
        {f"score-{first.pk}": "4", f"score-{second.pk}": "3.5"},
    )
    other = add_supervisor(personas, "sup2", personas.police)
    client_for(other).post(reverse("supervision:evaluation-score", args=r), {f"score-{first.pk}": "5"})
    page = c.get(reverse("supervision:evaluation-report", args=r)).content.decode()
    assert "8.00" in page  # 责任落实: 4.50 + 3.50
    assert "评分人 2 名" in page
    assert "/ 100.00 分" in page or "/ 100 分" in page


def test_an_order_goes_only_to_a_unit_in_the_supervisors_charge_and_is_replied_and_closed(
    personas: Any, world: Any, client_for: Any
) -> None:
    police_supervisor = add_supervisor(personas, "police_sup", personas.police)
    c = client_for(police_supervisor)
    form = c.get(reverse("supervision:order-create")).content.decode()
    assert personas.unit_a.name in form and personas.unit_b.name not in form
    data = {"subject": "督办事项", "body": "请报告", "reply_due": days_from_today(7).isoformat()}
    out_of_scope = c.post(reverse("supervision:order-create"), {**data, "unit": personas.unit_b.pk})
    assert out_of_scope.status_code == 400 and not FollowUpOrder.objects.exists()
    assert client_for(personas.clerk).get(reverse("supervision:order-create")).status_code == 403
    done = c.post(
        reverse("supervision:order-create"), {**data, "unit": personas.unit_a.pk, "round": world.round.pk}
    )
    order = FollowUpOrder.objects.get()
    assert done.url == reverse("supervision:order-detail", args=[order.pk])
    clerk = client_for(personas.clerk)
    assert order.number in clerk.get(reverse("supervision:order-list")).content.decode()
    clerk.post(
        reverse("supervision:order-reply", args=[order.pk]), {"reply": "已落实", "version": order.version}
    )
    order.refresh_from_db()
    assert order.status == OrderStatus.REPLIED
    stale = clerk.post(reverse("supervision:order-reply", args=[order.pk]), {"reply": "又一次", "version": 1})
    assert stale.status_code == 409
    c.post(reverse("supervision:order-decide", args=[order.pk]), {"decision": "close", "opinion": "同意办结"})
    order.refresh_from_db()
    assert order.status == OrderStatus.CLOSED
    assert "同意办结" in clerk.get(reverse("supervision:order-detail", args=[order.pk])).content.decode()
    assert client_for(personas.outsider).get(reverse("supervision:order-list")).status_code == 200
    assert (
        order.number
        not in client_for(personas.outsider).get(reverse("supervision:order-list")).content.decode()
    )


def _count(client: Any, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_pages_make_as_many_queries_for_many_rows_as_for_one(
    personas: Any, client_for: Any, django_assert_max_num_queries: Any
) -> None:
    c = client_for(personas.supervisor)
    w = closed_world(personas)

    def pages() -> list[str]:
        lb = Lookback.objects.order_by("id").first()
        assert lb is not None
        return [
            reverse("supervision:round-lookbacks", args=[w.round.pk]),
            reverse("supervision:lookback-detail", args=[lb.pk]),
            reverse("supervision:round-verifications", args=[w.round.pk]),
            reverse("supervision:evaluation-report", args=[w.round.pk]),
            reverse("supervision:evaluation-scheme", args=[w.round.pk]),
            reverse("supervision:order-list"),
        ]

    def grow(n: int) -> None:
        lookbacks.lookback_create(
            actor=personas.supervisor, round=w.round, title=f"回头看{n}", scheduled_on=days_from_today(n)
        )
        ind = evaluation.indicator_add(
            actor=personas.supervisor, round=w.round, dimension=f"维度{n % 2}", name=f"指标{n}", max_score="5"
        )
        evaluation.score_record(actor=personas.supervisor, indicator=ind, score="3")
        orders.order_issue(
            actor=personas.supervisor,
            unit=personas.unit_a,
            round=w.round,
            subject=f"督办{n}",
            body="请报告",
            reply_due=days_from_today(n + 1),
        )

    grow(1)
    small = [_count(c, url) for url in pages()]
    for n in range(2, 12):
        grow(n)
    big = [_count(c, url) for url in pages()]
    assert big == small
    for url in pages():
        with django_assert_max_num_queries(15):
            c.get(url)
