"""Completion counts the problem's current state (issue 11): a reopened or relapsed problem is
整改中 and not done anywhere — the round overview and its database tally, the problem page,
the workbook's 统计 sheet and the notice's figures — until it is reported, reviewed and closed
again."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from tests.reports.test_xlsx_fixtures import FIRST, col, export_bytes, open_book
from tests.today import today
from tests.web.conftest import World, build_round, client_for
from zhenggai.ledger import selectors, services
from zhenggai.ledger.models import Finding, Measure, ReviewDecision
from zhenggai.reports.builders import statistics_sentence
from zhenggai.reports.selectors import document_ledger
from zhenggai.reports.xlsx_export import round_tally

__all__ = ["client_for"]  # the fixture, imported for pytest


@pytest.fixture
def world(personas: Any) -> World:
    return build_round(personas)


def close_it(p: Any, w: World) -> None:
    """Both measures approved and the problem closed."""
    m = Measure.objects.get(pk=w.submitted.pk)
    services.measure_review(actor=p.leader, measure=m, decision=ReviewDecision.APPROVE)
    services.progress_add(actor=p.person, measure=w.fresh, text="已完成")
    services.measure_submit(actor=p.person, measure=Measure.objects.get(pk=w.fresh.pk))
    services.measure_review(
        actor=p.leader, measure=Measure.objects.get(pk=w.fresh.pk), decision=ReviewDecision.APPROVE
    )
    services.finding_close(actor=p.supervisor, finding=w.problem, opinion="整改到位，同意销号")


def figures(p: Any, w: World) -> dict[str, Any]:
    """Every place the problem is counted: (problems, complete, basic, closed) and its state."""
    ov = selectors.round_overview(user=p.supervisor, round=w.round)
    counted = selectors.round_problem_tally(round=w.round)
    total, _ = round_tally(w.round, today())
    f = Finding.objects.get(pk=w.problem.pk)
    four = lambda t: (t.problems, t.problems_complete, t.problems_basic, t.problems_closed)  # noqa: E731
    return {
        "overview": four(ov.tally),
        "tally": four(counted),
        "workbook": four(total),
        "state": str(selectors.problem_state(f, list(f.measures.values_list("status", flat=True)))),
        "notice": statistics_sentence(document_ledger(p.supervisor, w.round), today()),
    }


@pytest.mark.parametrize("relapse", [False, True], ids=["reopened", "relapsed"])
def test_a_reopened_or_relapsed_problem_is_working_and_not_done_anywhere(personas, world, relapse):
    p = personas
    close_it(p, world)
    closed = figures(p, world)
    assert closed["overview"] == closed["tally"] == closed["workbook"] == (1, 1, 0, 1)
    assert closed["state"] == "已销号"
    assert "已完成整改1个" in closed["notice"]

    services.finding_reopen(
        actor=p.supervisor, finding=world.problem, reason="回头看发现反弹", relapse=relapse
    )
    after = figures(p, world)
    assert after["overview"] == after["tally"] == after["workbook"] == (1, 0, 0, 0)
    assert after["state"] == "整改中"
    assert "已完成整改0个" in after["notice"] and "正在整改1个" in after["notice"]
    assert Finding.objects.get(pk=world.problem.pk).cycle == (2 if relapse else 1)


@pytest.mark.parametrize("relapse", [False, True], ids=["reopened", "relapsed"])
def test_the_problem_page_shows_a_reopened_problem_as_working_and_a_relapse_as_its_second_cycle(
    personas, world, client_for, relapse
):
    p = personas
    close_it(p, world)
    services.finding_reopen(
        actor=p.supervisor, finding=world.problem, reason="回头看发现反弹", relapse=relapse
    )
    html = (
        client_for(p.supervisor).get(reverse("web:problem-detail", args=[world.problem.pk])).content.decode()
    )
    assert "整改中" in html
    assert ("第2轮整改" in html) is relapse
    assert "销号意见：整改到位，同意销号" in html
    assert (
        client_for(p.outsider).get(reverse("web:problem-detail", args=[world.problem.pk])).status_code == 404
    )


def test_the_workbook_rows_show_a_relapsed_problems_measures_back_at_work(personas, world):
    p = personas
    close_it(p, world)
    services.finding_reopen(actor=p.supervisor, finding=world.problem, reason="回头看发现反弹", relapse=True)
    ws = open_book(export_bytes(p.clerk, world.round))["整改台账"]
    statuses = [ws.cell(r, col("status")).value for r in range(FIRST, ws.max_row + 1)]
    assert statuses == ["整改中", "整改中"]
