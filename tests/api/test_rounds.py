"""The rounds of the API (巡察轮次): the list the token reaches and one round with its counts (issue 13)."""

from __future__ import annotations

import pytest

from tests.api.bulk import add_rows, all_pages, queries_of
from tests.api.conftest import api_url, error_of
from zhenggai.ledger import selectors, services
from zhenggai.ledger.models import Round

FIELDS = {
    "id",
    "title",
    "kind",
    "unit_id",
    "unit_name",
    "inspecting_group",
    "feedback_date",
    "plan_due",
    "report_due",
    "plan_version",
    "version",
    "created_at",
}
DETAIL_FIELDS = FIELDS | {"measure_count", "done_count", "overdue_count", "problem_count"}


def test_the_clerk_lists_the_units_rounds_and_reads_one_with_its_counts(api_client, personas, seed_round):
    add_rows(seed_round, problems=6, per_problem=3)
    client = api_client("clerk")
    items = client.get(api_url("round_list")).json()["items"]
    assert [x["id"] for x in items] == [seed_round.pk]
    assert set(items[0]) == FIELDS
    assert (items[0]["title"], items[0]["unit_name"]) == (seed_round.title, personas.unit_a.name)
    r = client.get(api_url("round_detail", seed_round.pk))
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == DETAIL_FIELDS
    row = selectors.round_rows(user=personas.clerk, today=selectors.today()).get(pk=seed_round.pk)
    assert (body["measure_count"], body["done_count"], body["overdue_count"], body["problem_count"]) == (
        row.measure_count,
        row.done_count,
        row.overdue_count,
        row.problem_count,
    )
    assert body["measure_count"] == 118


def test_the_outsider_sees_no_round_of_another_unit(api_client, seed_round):
    client = api_client("outsider")
    assert client.get(api_url("round_list")).json() == {"items": [], "next_cursor": None}
    r = client.get(api_url("round_detail", seed_round.pk))
    assert r.status_code == 404
    assert error_of(r)["code"] == "not_found"


def test_a_deleted_round_is_neither_listed_nor_shown(api_client, personas, seed_round):
    services.round_delete(actor=personas.clerk, round=seed_round, reason="重复导入")
    client = api_client("clerk")
    assert client.get(api_url("round_list")).json()["items"] == []
    assert client.get(api_url("round_detail", seed_round.pk)).status_code == 404


@pytest.mark.parametrize(
    ("scope_unit", "sees"), [("unit_b", False), ("police", True), ("unit_a", True), ("county", True)]
)
def test_a_token_sees_the_rounds_of_its_units_subtree_only(
    api_client, personas, seed_round, scope_unit, sees
):
    b_round = services.round_create(actor=personas.outsider, unit=personas.unit_b, title="财政局轮次")
    client = api_client("supervisor", unit=getattr(personas, scope_unit))
    ids = {x["id"] for x in client.get(api_url("round_list")).json()["items"]}
    assert (seed_round.pk in ids) is sees
    assert (b_round.pk in ids) is (scope_unit in ("unit_b", "county"))
    assert client.get(api_url("round_detail", seed_round.pk)).status_code == (200 if sees else 404)


def test_the_pages_follow_one_another_to_every_round_without_repeats(api_client, personas, seed_round):
    for i in range(8):
        services.round_create(actor=personas.clerk, unit=personas.unit_a, title=f"轮次{i}")
    items = all_pages(api_client("leader"), api_url("round_list"), limit=3)
    ids = [x["id"] for x in items]
    assert ids == sorted(set(ids))
    assert ids == sorted(Round.objects.filter(unit=personas.unit_a).values_list("pk", flat=True))


def test_bad_limits_and_cursors_are_answered_in_the_error_shape(api_client, personas, seed_round):
    services.round_create(actor=personas.clerk, unit=personas.unit_a, title="第二轮")
    client = api_client("clerk")
    for limit in (0, 201, 100000):
        err = error_of(client.get(api_url("round_list"), {"limit": limit}))
        assert (err["code"], err["field"]) == ("invalid", "limit")
    cursor = client.get(api_url("round_list"), {"limit": 1}).json()["next_cursor"]
    tampered = client.get(api_url("round_list"), {"cursor": cursor[:-3] + "abc"})
    assert (tampered.status_code, error_of(tampered)["code"]) == (400, "bad_cursor")
    foreign = client.get(api_url("finding_list"), {"cursor": cursor})
    assert (foreign.status_code, error_of(foreign)["field"]) == (400, "cursor")
    err = error_of(client.get(api_url("round_list"), {"limit": "many"}))
    assert (err["code"], err["field"]) == ("invalid", "limit")


def test_the_list_and_the_detail_run_as_many_queries_for_1000_rows_as_for_10(api_client, personas):
    made = [
        services.round_create(actor=personas.clerk, unit=personas.unit_a, title=f"轮次{i}") for i in range(10)
    ]
    add_rows(made[0], problems=2, per_problem=5)
    client = api_client("clerk")
    url_list, url_detail = api_url("round_list"), api_url("round_detail", made[0].pk)
    client.get(url_list)  # the first request of a test reads what later ones find cached
    small = (queries_of(client, url_list)[0], queries_of(client, url_detail)[0])
    Round.objects.bulk_create(
        [Round(unit=personas.unit_a, title=f"批量轮次{i}", created_by=personas.clerk) for i in range(990)]
    )
    add_rows(made[0], problems=198, per_problem=5)
    big_list, page = queries_of(client, url_list)
    big_detail, detail = queries_of(client, url_detail)
    assert len(page.json()["items"]) == 50
    assert detail.json()["measure_count"] == 1000
    assert (big_list, big_detail) == small
