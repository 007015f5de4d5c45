"""The findings of the API (问题): the tree rows of a round and one node (issue 13)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.bulk import add_rows, all_pages, queries_of
from tests.api.conftest import api_url, error_of
from zhenggai.ledger import policy, selectors, services
from zhenggai.ledger.models import Finding, FindingKind, Measure

FIELDS = {
    "id",
    "round_id",
    "unit_id",
    "parent_id",
    "kind",
    "number",
    "title",
    "status",
    "position",
    "cycle",
    "sensitivity",
    "state",
    "measure_count",
    "measures_done",
    "measures_finished",
    "measures_not_started",
}
DETAIL_FIELDS = FIELDS | {
    "round_title",
    "unit_name",
    "description",
    "closed_at",
    "reopen_count",
    "children_ids",
    "measure_ids",
    "hidden_measures",
    "allowed_actions",
}


def _states(user: Any, round_: Any) -> dict[int, str]:
    """Each problem's state as the round overview shows it."""
    out: dict[int, str] = {}

    def walk(nodes: list[Any]) -> None:
        for n in nodes:
            if n.finding.kind == FindingKind.PROBLEM:
                out[n.finding.pk] = n.state
            walk(n.children)

    walk(selectors.round_overview(user=user, round=round_).roots)
    return out


def test_the_clerk_lists_the_rounds_tree_with_parents_positions_and_states(api_client, personas, seed_round):
    items = all_pages(api_client("clerk"), api_url("finding_list"), {"round": seed_round.pk}, limit=50)
    tree = list(Finding.objects.filter(round=seed_round).order_by("pk"))
    assert [x["id"] for x in items] == [f.pk for f in tree]
    assert all(set(x) == FIELDS for x in items)
    by_id = {x["id"]: x for x in items}
    for f in tree:
        row = by_id[f.pk]
        assert (row["parent_id"], row["kind"], row["number"], row["title"], row["position"]) == (
            f.parent_id,
            f.kind,
            f.number,
            f.title,
            f.position,
        )
        assert row["measure_count"] == f.measures.count()
    states = _states(personas.clerk, seed_round)
    assert {x["id"]: x["state"] for x in items if x["kind"] == FindingKind.PROBLEM} == states
    assert all(x["state"] is None for x in items if x["kind"] != FindingKind.PROBLEM)


def test_the_list_filters_by_kind_status_and_parent(api_client, seed_round):
    client = api_client("clerk")
    problems = client.get(api_url("finding_list"), {"round": seed_round.pk, "kind": "problem", "limit": 200})
    assert problems.status_code == 200
    want = Finding.objects.filter(round=seed_round, kind=FindingKind.PROBLEM).order_by("pk")
    assert [x["id"] for x in problems.json()["items"]] == [f.pk for f in want]
    closed = client.get(api_url("finding_list"), {"status": "closed"})
    assert closed.json()["items"] == []
    parent = want[0].parent_id
    children = client.get(api_url("finding_list"), {"parent": parent, "limit": 200}).json()["items"]
    assert {x["id"] for x in children} == set(
        Finding.objects.filter(parent_id=parent).values_list("pk", flat=True)
    )


def test_the_detail_gives_measures_children_and_what_the_user_may_do(api_client, personas, assigned_measure):
    problem = assigned_measure.finding
    r = api_client("clerk").get(api_url("finding_detail", problem.pk))
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == DETAIL_FIELDS
    assert body["measure_ids"] == list(
        problem.measures.order_by("position", "id").values_list("pk", flat=True)
    )
    assert body["allowed_actions"] == sorted(policy.allowed_actions(personas.clerk, problem))
    assert body["state"] == _states(personas.clerk, problem.round)[problem.pk]
    issue = problem.parent
    up = api_client("supervisor").get(api_url("finding_detail", issue.pk)).json()
    assert problem.pk in up["children_ids"]
    assert up["allowed_actions"] == sorted(policy.allowed_actions(personas.supervisor, issue))


def test_a_measure_above_the_users_clearance_is_counted_not_listed(api_client, assigned_measure):
    Measure.objects.filter(pk=assigned_measure.pk).update(sensitivity="sensitive")
    body = api_client("clerk").get(api_url("finding_detail", assigned_measure.finding_id)).json()
    assert assigned_measure.pk not in body["measure_ids"]
    assert body["hidden_measures"] == 1
    assert body["measure_count"] == len(body["measure_ids"]) + 1


def test_a_finding_above_the_users_clearance_is_neither_listed_nor_shown(api_client, seed_round):
    hidden = Finding.objects.filter(round=seed_round, kind=FindingKind.PROBLEM).first()
    Finding.objects.filter(pk=hidden.pk).update(sensitivity="sensitive")
    client = api_client("clerk")
    items = all_pages(client, api_url("finding_list"), {"round": seed_round.pk}, limit=200)
    assert hidden.pk not in {x["id"] for x in items}
    assert error_of(client.get(api_url("finding_detail", hidden.pk)))["code"] == "not_found"


def test_the_outsider_gets_an_empty_list_and_no_detail(api_client, seed_round):
    client = api_client("outsider")
    assert client.get(api_url("finding_list"), {"round": seed_round.pk}).json() == {
        "items": [],
        "next_cursor": None,
    }
    f = Finding.objects.filter(round=seed_round).first()
    r = client.get(api_url("finding_detail", f.pk))
    assert r.status_code == 404
    assert error_of(r)["code"] == "not_found"


@pytest.mark.parametrize(
    ("scope_unit", "sees"), [("unit_b", False), ("police", True), ("departments", False)]
)
def test_a_token_sees_only_its_units_subtree(api_client, personas, seed_round, scope_unit, sees):
    unit = getattr(personas, scope_unit)
    unit = unit[0] if isinstance(unit, list) else unit
    client = api_client("supervisor", unit=unit)
    items = client.get(api_url("finding_list"), {"round": seed_round.pk}).json()["items"]
    assert bool(items) is sees
    f = Finding.objects.filter(round=seed_round).first()
    assert client.get(api_url("finding_detail", f.pk)).status_code == (200 if sees else 404)


def test_the_pages_follow_one_another_to_the_whole_list_without_repeats(api_client, personas, seed_round):
    add_rows(seed_round, problems=20, per_problem=1)
    client = api_client("clerk")
    items = all_pages(client, api_url("finding_list"), {"round": seed_round.pk}, limit=7)
    ids = [x["id"] for x in items]
    assert ids == sorted(set(ids))
    assert ids == list(Finding.objects.filter(round=seed_round).order_by("pk").values_list("pk", flat=True))


def test_bad_filters_limits_and_cursors_are_answered_in_the_error_shape(api_client, seed_round):
    client = api_client("clerk")
    for field, value in (("kind", "chapter"), ("status", "done"), ("round", 2**64), ("parent", -1)):
        err = error_of(client.get(api_url("finding_list"), {field: value}))
        assert (err["code"], err["field"]) == ("invalid", field), field
    r = client.get(api_url("finding_list"), {"limit": 100000})
    assert r.status_code == 400
    assert error_of(r)["field"] == "limit"
    first = client.get(api_url("finding_list"), {"limit": 2}).json()["next_cursor"]
    tampered = client.get(api_url("finding_list"), {"cursor": first[:-2] + "xx"})
    assert tampered.status_code == 400
    assert error_of(tampered)["code"] == "bad_cursor"
    foreign = client.get(api_url("measure_list"), {"cursor": first})
    assert (foreign.status_code, error_of(foreign)["code"]) == (400, "bad_cursor")


def test_the_list_and_the_detail_run_as_many_queries_for_1000_measures_as_for_10(api_client, personas):
    r = services.round_create(actor=personas.clerk, unit=personas.unit_a, title="计数轮次")
    add_rows(r, problems=2, per_problem=5)
    client = api_client("clerk")
    problem = Finding.objects.filter(round=r).order_by("pk").first()
    url_list, url_detail = api_url("finding_list"), api_url("finding_detail", problem.pk)
    client.get(url_list)  # the first request of a test reads what later ones find cached
    small = (queries_of(client, url_list, {"round": r.pk})[0], queries_of(client, url_detail)[0])
    add_rows(r, problems=198, per_problem=5)
    Measure.objects.bulk_create(
        [
            Measure(round=r, unit=r.unit, finding=problem, position=10 + i, text=f"同一问题的措施{i}")
            for i in range(995)
        ]
    )
    assert Measure.objects.filter(round=r).count() >= 1000
    big_list, page = queries_of(client, url_list, {"round": r.pk})
    big_detail, detail = queries_of(client, url_detail)
    assert len(page.json()["items"]) == 50
    assert len(detail.json()["measure_ids"]) == 1000
    assert (big_list, big_detail) == small
