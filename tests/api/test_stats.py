"""The statistics of the API (统计): a round's figures and the overview of every round (issue 13)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from tests.api.bulk import add_rows, all_pages, queries_of
from tests.api.conftest import api_url, error_of
from zhenggai.ledger import selectors, services
from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus, ProblemStatus
from zhenggai.supervision.selectors.warnings import on_time_rates

FIELDS = {"round_id", "title", "unit_id", "unit_name", "today", "problems", "measures"}


def _varied(round_: Any, personas: Any) -> None:
    """Problems in every state: one measure each, the statuses cycling; one closed."""
    add_rows(round_, problems=14, per_problem=1, person=personas.person)
    add_rows(round_, problems=3, per_problem=4)
    closed = Finding.objects.filter(round=round_, kind=FindingKind.PROBLEM).latest("pk")
    Finding.objects.filter(pk=closed.pk).update(status=ProblemStatus.CLOSED)


def _overview_states(user: Any, round_: Any) -> Counter[str]:
    states: Counter[str] = Counter()

    def walk(nodes: list[Any]) -> None:
        for n in nodes:
            if n.finding.kind == FindingKind.PROBLEM:
                states[n.state] += 1
            walk(n.children)

    walk(selectors.round_overview(user=user, round=round_).roots)
    return states


def test_a_rounds_figures_are_those_of_the_overview_the_tally_and_the_dashboard(
    api_client, personas, seed_round
):
    _varied(seed_round, personas)
    r = api_client("clerk").get(api_url("stats_round", seed_round.pk))
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == FIELDS
    overview = selectors.round_overview(user=personas.clerk, round=seed_round)
    t = overview.tally
    problems, measures = body["problems"], body["measures"]
    assert (problems["total"], problems["complete"], problems["completion_rate"]) == (
        t.problems,
        t.problems_complete,
        t.completion_rate,
    )
    assert {k: v for k, v in problems["by_state"].items() if v} == dict(
        _overview_states(personas.clerk, seed_round)
    )
    assert len(problems["by_state"]) == 5
    tally = selectors.round_problem_tally(round=seed_round)
    assert (tally.problems, tally.problems_complete, tally.problems_closed) == (
        problems["total"],
        problems["complete"],
        problems["by_state"]["已销号"],
    )
    assert {k: v for k, v in measures["by_status"].items() if v} == dict(t.measures)
    assert set(measures["by_status"]) == set(MeasureStatus.values)
    assert measures["overdue"] == t.overdue
    row = selectors.round_rows(user=personas.clerk, today=selectors.today()).get(pk=seed_round.pk)
    assert (measures["total"], measures["done"], measures["overdue"]) == (
        row.measure_count,
        row.done_count,
        row.overdue_count,
    )
    assert measures["done_rate"] == round(100 * row.done_count / row.measure_count, 2)
    rates = on_time_rates(Measure.objects.filter(round=seed_round), today=selectors.today())
    assert (measures["due"], measures["on_time"], measures["due_original"], measures["on_time_original"]) == (
        rates.due,
        rates.on_time,
        rates.due_original,
        rates.on_time_original,
    )
    assert rates.due and measures["on_time_rate"] == round(100 * rates.on_time / rates.due, 2)


def test_a_round_without_measures_has_no_rates(api_client, personas):
    r = services.round_create(actor=personas.clerk, unit=personas.unit_a, title="空轮次")
    body = api_client("leader").get(api_url("stats_round", r.pk)).json()
    assert body["problems"]["total"] == body["measures"]["total"] == 0
    assert body["problems"]["completion_rate"] is None
    assert body["measures"]["done_rate"] is None
    assert body["measures"]["on_time_rate"] is None


def test_the_overview_pages_through_every_visible_round_with_its_figures(api_client, personas, seed_round):
    made = [
        services.round_create(actor=personas.clerk, unit=personas.unit_a, title=f"轮次{i}") for i in range(4)
    ]
    add_rows(made[1], problems=3, per_problem=2)
    services.round_create(actor=personas.outsider, unit=personas.unit_b, title="财政局轮次")
    client = api_client("supervisor")
    items = all_pages(client, api_url("stats_overview"), limit=2)
    ids = [x["round_id"] for x in items]
    assert ids == sorted(selectors.round_list_for_user(user=personas.supervisor).values_list("pk", flat=True))
    assert len(ids) == len(set(ids)) == 6  # the supervisor of the county sees both units' rounds
    for item in items:
        assert set(item) == FIELDS
        assert item == client.get(api_url("stats_round", item["round_id"])).json()


def test_the_outsider_sees_no_figures_of_another_unit(api_client, seed_round):
    client = api_client("outsider")
    assert client.get(api_url("stats_overview")).json() == {"items": [], "next_cursor": None}
    r = client.get(api_url("stats_round", seed_round.pk))
    assert r.status_code == 404
    assert error_of(r)["code"] == "not_found"


@pytest.mark.parametrize(("scope_unit", "sees"), [("unit_b", False), ("police", True)])
def test_a_token_sees_the_figures_of_its_units_subtree_only(
    api_client, personas, seed_round, scope_unit, sees
):
    client = api_client("supervisor", unit=getattr(personas, scope_unit))
    ids = [x["round_id"] for x in client.get(api_url("stats_overview")).json()["items"]]
    assert (seed_round.pk in ids) is sees
    assert client.get(api_url("stats_round", seed_round.pk)).status_code == (200 if sees else 404)


def test_bad_limits_and_cursors_are_answered_in_the_error_shape(api_client, personas, seed_round):
    services.round_create(actor=personas.clerk, unit=personas.unit_a, title="第二轮")
    client = api_client("clerk")
    err = error_of(client.get(api_url("stats_overview"), {"limit": 201}))
    assert (err["code"], err["field"]) == ("invalid", "limit")
    err = error_of(client.get(api_url("stats_overview"), {"cursor": "x" * 40}))
    assert (err["code"], err["field"]) == ("bad_cursor", "cursor")
    rounds_cursor = client.get(api_url("round_list"), {"limit": 1}).json()["next_cursor"]
    assert rounds_cursor
    foreign = client.get(api_url("stats_overview"), {"cursor": rounds_cursor})
    assert (foreign.status_code, error_of(foreign)["code"]) == (400, "bad_cursor")


def test_the_figures_run_as_many_queries_for_1000_measures_as_for_10(api_client, personas):
    rounds = [
        services.round_create(actor=personas.clerk, unit=personas.unit_a, title=f"计数{i}") for i in range(3)
    ]
    add_rows(rounds[0], problems=2, per_problem=5)
    client = api_client("clerk")
    url_round, url_all = api_url("stats_round", rounds[0].pk), api_url("stats_overview")
    client.get(url_all)  # the first request of a test reads what later ones find cached
    small = (queries_of(client, url_round)[0], queries_of(client, url_all)[0])
    for r in rounds:
        add_rows(r, problems=100, per_problem=5)
    assert Measure.objects.filter(round=rounds[0]).count() == 510
    assert Measure.objects.filter(round__in=rounds).count() >= 1000
    big_round, one = queries_of(client, url_round)
    big_all, _ = queries_of(client, url_all)
    assert one.json()["measures"]["total"] == 510
    assert (big_round, big_all) == small
