"""The pages of warnings and extensions: a round's supervision settings, 申请延期 from a
measure, its decision, and the list of requests waiting for the user."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.today import days_from_today
from tests.web.conftest import World
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger.models import Measure, Round
from zhenggai.supervision.models import Extension, ExtensionStatus, RoundSettings, default_tiers
from zhenggai.supervision.rules import tiers_for
from zhenggai.supervision.services.extensions import extension_request

Clients = Callable[[Any], Client]


def settings_post(**over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"stage_report_months": "3", "rush_hours": "24"}
    for t in default_tiers():
        data[f"{t['key']}_on"] = "on"
        data[f"{t['key']}_days"] = str(t["days"])
        data[f"{t['key']}_notify"] = list(t["notify"])
    data.update(over)
    return data


def ask(personas: Any, measure: Measure) -> Extension:
    return extension_request(
        actor=personas.person, measure=measure, new_deadline=days_from_today(230), reason="设备未到位"
    )


# --- settings --------------------------------------------------------------------------------------


def test_the_settings_page_shows_the_tiers_table(personas: Any, world: World, client_for: Clients) -> None:
    r = client_for(personas.clerk).get(reverse("supervision:round-settings", args=[world.round.pk]))
    assert r.status_code == 200
    html = r.content.decode()
    for name in (
        "绿色预警",
        "黄色预警",
        "红色预警",
        "黑色预警",
        "单位主要负责人（第一责任人）",
        "责任领导预审",
    ):
        assert name in html
    assert 'name="black_days"' in html and 'value="-30"' in html


def test_the_clerk_changes_the_tiers_and_switches_prereview_on(
    personas: Any, world: World, client_for: Clients
) -> None:
    url = reverse("supervision:round-settings", args=[world.round.pk])
    data = settings_post(green_days="25", leader_prereview="on")
    data.pop("black_on")
    r = client_for(personas.clerk).post(url, data)
    assert r.status_code == 302
    assert [t["key"] for t in tiers_for(world.round)] == ["green", "yellow", "red"]
    assert tiers_for(world.round)[0]["days"] == 25
    assert Round.objects.get(pk=world.round.pk).leader_prereview
    assert AuditEvent.objects.filter(action__in=["supervision.settings", "round.prereview"]).count() == 2


def test_tiers_out_of_order_are_refused_with_a_message(
    personas: Any, world: World, client_for: Clients
) -> None:
    url = reverse("supervision:round-settings", args=[world.round.pk])
    r = client_for(personas.clerk).post(url, settings_post(green_days="5"))
    assert r.status_code == 400
    assert "顺序不对" in r.content.decode()
    assert not RoundSettings.objects.exists()


def test_a_tier_turned_on_without_days_is_refused(personas: Any, world: World, client_for: Clients) -> None:
    url = reverse("supervision:round-settings", args=[world.round.pk])
    r = client_for(personas.clerk).post(url, settings_post(yellow_days=""))
    assert r.status_code == 400
    assert "请填写黄色预警的天数" in r.content.decode()


def test_a_viewer_sees_the_settings_but_may_not_change_them(
    personas: Any, world: World, client_for: Clients
) -> None:
    url = reverse("supervision:round-settings", args=[world.round.pk])
    c = client_for(personas.viewer)
    assert c.get(url).status_code == 200
    assert c.post(url, settings_post(green_days="30")).status_code == 403
    assert not RoundSettings.objects.exists()
    assert AuditEvent.objects.filter(action="supervision.settings", outcome="denied").count() == 1


# --- extensions ------------------------------------------------------------------------------------


def test_the_person_asks_for_an_extension_from_the_measure(
    personas: Any, world: World, client_for: Clients
) -> None:
    url = reverse("supervision:extension-request", args=[world.fresh.pk])
    c = client_for(personas.person)
    assert "申请延期" in c.get(url).content.decode()
    r = c.post(url, {"new_deadline": days_from_today(230).isoformat(), "reason": "设备未到位"})
    assert r.status_code == 302
    ext = Extension.objects.get()
    assert (ext.new_deadline, ext.status) == (days_from_today(230), ExtensionStatus.PENDING)
    # A second visit shows the waiting request instead of the form.
    assert "已有一份待审批的延期申请" in c.get(url).content.decode()


def test_an_extension_date_before_today_is_refused_on_the_page(
    personas: Any, world: World, client_for: Clients
) -> None:
    url = reverse("supervision:extension-request", args=[world.fresh.pk])
    r = client_for(personas.person).post(
        url, {"new_deadline": days_from_today(-1).isoformat(), "reason": "x"}
    )
    assert r.status_code == 400
    assert "应晚于今天" in r.content.decode()
    assert not Extension.objects.exists()


def test_a_viewer_may_not_ask(personas: Any, world: World, client_for: Clients) -> None:
    url = reverse("supervision:extension-request", args=[world.fresh.pk])
    c = client_for(personas.viewer)
    assert c.get(url).status_code == 403
    assert c.post(url, {"new_deadline": days_from_today(230).isoformat(), "reason": "x"}).status_code == 403


def test_the_responsible_leader_grants_on_the_request_page(
    personas: Any, world: World, client_for: Clients
) -> None:
    ext = ask(personas, world.fresh)
    c = client_for(personas.responsible_leader)
    page = c.get(reverse("supervision:extension-detail", args=[ext.pk])).content.decode()
    assert "同意延期" in page and "设备未到位" in page
    r = c.post(reverse("supervision:extension-decide", args=[ext.pk]), {"decision": "grant", "opinion": ""})
    assert r.status_code == 302
    m = Measure.objects.get(pk=world.fresh.pk)
    assert (m.deadline, m.original_deadline) == (days_from_today(230), days_from_today(200))


def test_a_refusal_without_an_opinion_is_sent_back_to_the_form(
    personas: Any, world: World, client_for: Clients
) -> None:
    ext = ask(personas, world.fresh)
    r = client_for(personas.leader).post(
        reverse("supervision:extension-decide", args=[ext.pk]), {"decision": "refuse", "opinion": ""}
    )
    assert r.status_code == 400
    assert "请写明审批意见" in r.content.decode()
    assert Extension.objects.get().status == ExtensionStatus.PENDING


@pytest.mark.parametrize("who", ["person2", "clerk", "viewer", "person"])
def test_who_is_not_the_leader_or_unit_head_may_not_decide(
    personas: Any, world: World, client_for: Clients, who: str
) -> None:
    # person2 leads another measure of the same problem: that does not make them this one's leader.
    from zhenggai.ledger import services

    services.measure_assign_bulk(
        actor=personas.clerk, round=world.round, measure_ids=[world.submitted.pk], leader=personas.person2
    )
    ext = ask(personas, world.fresh)
    c = client_for(getattr(personas, who))
    page = c.get(reverse("supervision:extension-detail", args=[ext.pk])).content.decode()
    assert "同意延期</button>" not in page
    r = c.post(reverse("supervision:extension-decide", args=[ext.pk]), {"decision": "grant", "opinion": ""})
    assert r.status_code == 403
    assert Measure.objects.get(pk=world.fresh.pk).deadline == days_from_today(200)


def test_the_requester_withdraws(personas: Any, world: World, client_for: Clients) -> None:
    ext = ask(personas, world.fresh)
    r = client_for(personas.person).post(reverse("supervision:extension-withdraw", args=[ext.pk]))
    assert r.status_code == 302
    assert Extension.objects.get().status == ExtensionStatus.WITHDRAWN


def test_the_list_shows_the_requests_waiting_for_the_user(
    personas: Any, world: World, client_for: Clients, django_assert_max_num_queries: Any
) -> None:
    ask(personas, world.fresh)
    c = client_for(personas.leader)
    with django_assert_max_num_queries(8):
        page = c.get(reverse("supervision:extension-list")).content.decode()
    assert world.fresh.text[:20] in page
    assert (
        "没有待您审批的延期申请"
        in client_for(personas.person).get(reverse("supervision:extension-list")).content.decode()
    )


def test_the_list_does_not_grow_in_queries_with_more_requests(
    personas: Any, client_for: Clients, django_assert_max_num_queries: Any
) -> None:
    from tests.web.conftest import build_round

    worlds = [build_round(personas, title=f"第{i}轮", measures=2) for i in range(3)]
    for w in worlds:
        ask(personas, w.fresh)
    c = client_for(personas.leader)
    with django_assert_max_num_queries(8):
        page = c.get(reverse("supervision:extension-list")).content.decode()
    assert page.count("设备未到位") == 0  # the reason is on the request's page, not the list
    assert page.count("/supervision/extensions/") >= 3


# --- the outsider ----------------------------------------------------------------------------------


def test_the_outsider_gets_404_on_every_page(personas: Any, world: World, client_for: Clients) -> None:
    ext = ask(personas, world.fresh)
    c = client_for(personas.outsider)
    gets = [
        reverse("supervision:round-settings", args=[world.round.pk]),
        reverse("supervision:extension-request", args=[world.fresh.pk]),
        reverse("supervision:extension-detail", args=[ext.pk]),
    ]
    for url in gets:
        assert c.get(url).status_code == 404, url
    posts = [
        (reverse("supervision:round-settings", args=[world.round.pk]), settings_post()),
        (
            reverse("supervision:extension-request", args=[world.fresh.pk]),
            {"new_deadline": days_from_today(230).isoformat(), "reason": "x"},
        ),
        (reverse("supervision:extension-decide", args=[ext.pk]), {"decision": "grant"}),
        (reverse("supervision:extension-withdraw", args=[ext.pk]), {}),
    ]
    for url, data in posts:
        assert c.post(url, data).status_code == 404, url
    page = c.get(reverse("supervision:extension-list")).content.decode()
    assert world.fresh.text[:20] not in page
    assert Extension.objects.get().status == ExtensionStatus.PENDING


# --- the box on the measure page ({% extension_box measure %}) --------------------------------------


def box(user: Any, measure: Measure) -> str:
    from django.template import Context, Template
    from django.test import RequestFactory

    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load extensions %}{% extension_box measure %}").render(
        Context({"request": request, "measure": measure})
    )


def test_the_measure_box_offers_each_what_applies(personas: Any, world: World) -> None:
    assert "申请延期" in box(personas.person, world.fresh)
    assert "申请延期" not in box(personas.viewer, world.fresh)
    ext = ask(personas, world.fresh)
    assert "审批延期申请" in box(personas.responsible_leader, world.fresh)
    assert "查看延期申请" in box(personas.person, world.fresh)
    assert 'href="/supervision/measures/' not in box(personas.person, world.fresh)
    from zhenggai.supervision.services.extensions import extension_decide

    extension_decide(actor=personas.leader, extension=ext, grant=True, opinion="")
    m = Measure.objects.get(pk=world.fresh.pk)
    assert "原完成时限" in box(personas.viewer, m)
