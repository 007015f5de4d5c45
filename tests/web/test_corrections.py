"""Corrections of an import (issue 10): the clerk fixes the round's facts and a problem's
number and title; each change is audited, and after the plan is signed a problem's change is
an amendment the unit head signs again. Others are refused, and nothing changes."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed
from zhenggai.ledger import services
from zhenggai.ledger.models import Amendment, Finding, Round


def test_the_clerk_corrects_the_round_and_the_deadlines_follow_the_feedback_date(personas: Any, world: Any):
    r = services.round_update(
        actor=personas.clerk,
        round=world.round,
        title="县委第一巡察组反馈意见整改（更正）",
        feedback_date=dt.date(2022, 3, 31),
        inspecting_group="县委第二巡察组",
    )
    r = Round.objects.get(pk=r.pk)
    assert (r.title, r.inspecting_group) == ("县委第一巡察组反馈意见整改（更正）", "县委第二巡察组")
    assert (r.plan_due, r.report_due) == (dt.date(2022, 4, 30), dt.date(2022, 5, 31))
    event = AuditEvent.objects.filter(action="round.update").get()
    assert event.before["inspecting_group"] == "县委第一巡察组"
    assert event.after["feedback_date"] == "2022-03-31"
    assert "period_start" not in event.after  # only what changed


def test_nothing_changed_writes_nothing(personas: Any, world: Any):
    before = AuditEvent.objects.count()
    services.round_update(actor=personas.clerk, round=world.round, title=world.round.title)
    services.finding_update(
        actor=personas.clerk, finding=world.problem, title=world.problem.title, number=world.problem.number
    )
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"title": "  "}, "title"),
        ({"kind": "secret"}, "kind"),
        ({"period_start": dt.date(2021, 12, 1), "period_end": dt.date(2021, 11, 1)}, "period_end"),
    ],
)
def test_bad_round_facts_are_refused_and_change_nothing(personas: Any, world: Any, values: Any, field: str):
    before = Round.objects.values().get(pk=world.round.pk)
    with pytest.raises(InvalidInput) as err:
        services.round_update(actor=personas.clerk, round=world.round, **values)
    assert err.value.field == field
    assert Round.objects.values().get(pk=world.round.pk) == before


@pytest.mark.parametrize("who", ["leader", "person", "supervisor", "viewer"])
def test_only_the_clerk_corrects(personas: Any, world: Any, who: str):
    user = getattr(personas, who)
    with pytest.raises(NotAllowed):
        services.round_update(actor=user, round=world.round, title="改名")
    with pytest.raises(NotAllowed):
        services.finding_update(actor=user, finding=world.problem, title="改名")
    assert Round.objects.get(pk=world.round.pk).title == world.round.title
    assert Finding.objects.get(pk=world.problem.pk).title == world.problem.title


def test_a_problem_corrected_after_signing_is_an_amendment_to_sign_again(personas: Any, world: Any):
    services.finding_update(actor=personas.clerk, finding=world.problem, title="理论学习不深入", number="1.")
    assert Amendment.objects.count() == 0  # not signed yet: a free correction
    services.plan_sign(actor=personas.leader, round=world.round)
    services.finding_update(actor=personas.clerk, finding=world.problem, title="理论学习走过场", number="1.")
    amendment = Amendment.objects.get()
    assert (amendment.description, amendment.before["title"], amendment.after["title"]) == (
        "修改问题",
        "理论学习不深入",
        "理论学习走过场",
    )
    event = AuditEvent.objects.filter(action="finding.update").latest("seq")
    assert (event.before, event.after) == ({"title": "理论学习不深入"}, {"title": "理论学习走过场"})


def test_the_round_page_offers_the_correction_to_the_clerk_only(personas: Any, world: Any, client_for: Any):
    url = reverse("web:round-detail", args=[world.round.pk])
    edit = reverse("web:round-edit", args=[world.round.pk])
    assert edit in client_for(personas.clerk).get(url).content.decode()
    assert edit not in client_for(personas.leader).get(url).content.decode()


def test_the_clerk_corrects_the_round_through_its_page(personas: Any, world: Any, client_for: Any):
    clerk = client_for(personas.clerk)
    edit = reverse("web:round-edit", args=[world.round.pk])
    page = clerk.get(edit).content.decode()
    assert "县委第一巡察组" in page and "2022-02-14" in page  # the form starts from what is stored
    data = {
        "title": "更正后的轮次<script>",
        "kind": "special",
        "inspecting_group": "县委第一巡察组",
        "period_start": "2021-11-01",
        "period_end": "2021-11-30",
        "feedback_date": "2022-02-14",
    }
    response = clerk.post(edit, data)
    assert response.status_code == 302
    r = Round.objects.get(pk=world.round.pk)
    assert (r.title, r.kind) == ("更正后的轮次<script>", "special")
    html = clerk.get(response.url).content.decode()
    assert "更正后的轮次&lt;script&gt;" in html  # user text is data on the page
    assert "更正后的轮次<script>" not in html
    bad = clerk.post(edit, {**data, "period_end": "2021-10-01"})
    assert bad.status_code == 400
    assert "巡察结束日期早于开始日期" in bad.content.decode()


def test_the_clerk_corrects_a_problem_on_its_page(personas: Any, world: Any, client_for: Any):
    clerk = client_for(personas.clerk)
    page = reverse("web:problem-detail", args=[world.problem.pk])
    assert "修改编号、标题和描述" in clerk.get(page).content.decode()
    assert "修改编号、标题和描述" not in client_for(personas.person).get(page).content.decode()
    edit = reverse("web:problem-edit", args=[world.problem.pk])
    response = clerk.post(edit, {"edit-number": "2.", "edit-title": "学习走过场"})
    assert response.status_code == 302
    f = Finding.objects.get(pk=world.problem.pk)
    assert (f.number, f.title) == ("2.", "学习走过场")
    empty = clerk.post(edit, {"edit-title": ""})
    assert empty.status_code == 400
    assert Finding.objects.get(pk=world.problem.pk).title == "学习走过场"
