"""搜索与筛选 for a large scope: beyond ``CHOICES_BOUND`` people (departments) 责任人 (责任部门)
are typed and matched by name within the user's scope, ``person=<id>`` links still work, and the
page's queries do not grow with the people in scope. The bound is lowered here, not the people
raised past 200; below it the selects stay."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.web.conftest import World
from zhenggai.ledger import services
from zhenggai.units import selectors as unit_selectors
from zhenggai.units.models import Role
from zhenggai.units.services import membership_grant, membership_revoke
from zhenggai.web.views import search

SEARCH = reverse("web:search")


def _measures(html: str) -> set[int]:
    return {int(pk) for pk in re.findall(r'href="/measures/(\d+)/"', html)}


def _filters(html: str) -> str:
    """The filter form of the page (a round's measure list has the bulk assignment form too)."""
    found = re.search(r'<form method="get" class="[^"]*\bfilters\b.*?</form>', html, re.S)
    assert found, "no filter form"
    return found.group(0)


def _select(html: str, name: str) -> str | None:
    """The filter form's ``<select name=…>``, or None."""
    found = re.search(rf'<select name="{name}"[^>]*>.*?</select>', _filters(html), re.S)
    return found.group(0) if found else None


def _text_input(html: str, name: str) -> str | None:
    """The filter form's ``<input type="text" name=…>``, or None."""
    found = re.search(rf'<input type="text" name="{name}"[^>]*>', _filters(html))
    return found.group(0) if found else None


@pytest.fixture
def bound(monkeypatch: Any) -> Any:
    """Set the bound: ``bound(n)``."""

    def set_bound(n: int) -> None:
        monkeypatch.setattr(search, "CHOICES_BOUND", n)

    return set_bound


@pytest.fixture
def third(personas: Any, world: World) -> Any:
    """A third measure of the world's problem, assigned to 刘民警 (person2) in 城区中队."""
    m = services.measure_create(
        actor=personas.clerk, finding=world.problem, text="整改台账第三项", deadline=None
    )
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=world.round,
        measure_ids=[m.pk],
        person=personas.person2,
        department=personas.departments[1],
    )
    return m


def test_beyond_the_bound_the_person_and_department_are_typed_and_nobody_is_listed(
    personas: Any, world: World, client_for: Any, bound: Any
) -> None:
    bound(1)  # the supervisor sees 8 roles and 2 departments
    html = client_for(personas.supervisor).get(SEARCH).content.decode()
    assert _select(html, "person") is None and _select(html, "department") is None
    assert _text_input(html, "person_name") and _text_input(html, "department_name")
    assert "姓名或用户名" in html and "输入部门名称或其中一部分" in html
    for name in ("陈民警", "刘民警", "孙整改", "综合办公室", "城区中队"):
        assert name not in _filters(html), name
    assert "共 2 条措施" in html


def test_a_typed_name_filters_the_measures_by_display_name_username_or_department(
    personas: Any, world: World, third: Any, client_for: Any, bound: Any
) -> None:
    bound(1)
    c = client_for(personas.supervisor)
    both = {world.submitted.pk, world.fresh.pk}
    cases: list[tuple[dict[str, str], set[int]]] = [
        ({"person_name": "陈民"}, both),
        ({"person_name": "刘民警"}, {third.pk}),
        ({"person_name": "person2"}, {third.pk}),  # the username
        ({"person_name": "person"}, {*both, third.pk}),  # person and person2
        ({"person_name": "民警", "status": world.submitted.status}, {world.submitted.pk}),
        ({"department_name": "综合"}, both),
        ({"department_name": "中队"}, {third.pk}),
        ({"department_name": "中队", "person_name": "陈民警"}, set()),
    ]
    for query, expected in cases:
        response = c.get(SEARCH, query)
        assert response.status_code == 200
        html = response.content.decode()
        assert _measures(html) == expected, query
        assert f"共 {len(expected)} 条措施" in html, query
        # The typed name stays in its field.
        for name, value in query.items():
            if name.endswith("_name"):
                assert f'value="{value}"' in (_text_input(html, name) or ""), query


def test_a_name_matching_more_than_the_count_cap_lists_the_same_measures(
    personas: Any, world: World, third: Any, client_for: Any, bound: Any, monkeypatch: Any
) -> None:
    """Few matches are read by their ids, many by walking the list's order: the same rows."""
    from zhenggai.ledger import paging

    bound(1)
    c = client_for(personas.supervisor)
    query = {"person_name": "民警"}
    few = c.get(SEARCH, query).content.decode()
    monkeypatch.setattr(paging, "COUNT_CAP", 1)
    many = c.get(SEARCH, query).content.decode()
    assert "共 3 条措施" in few and "共 1 条以上措施" in many
    assert _measures(few) == _measures(many) == {world.submitted.pk, world.fresh.pk, third.pk}


def test_a_name_matching_nobody_lists_nothing_without_an_error(
    personas: Any, world: World, client_for: Any, bound: Any
) -> None:
    bound(1)
    response = client_for(personas.supervisor).get(
        SEARCH, {"person_name": "无此人", "department_name": "无此部门"}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert _measures(html) == set() and "没有符合条件的整改措施。" in html
    assert "所选项不存在" not in html and "invalid-feedback" not in html


def test_a_name_outside_the_users_scope_matches_nothing(
    personas: Any, world: World, client_for: Any, bound: Any
) -> None:
    """孙整改 (unit B's clerk) is given a measure of unit A while a responsible person there,
    then loses that role: unit A's clerk still sees the measure, but not 孙整改 by name; the
    county's supervisor, who sees unit B, does."""
    bound(1)
    membership_grant(actor=None, user=personas.outsider, unit=personas.unit_a, role=Role.RESPONSIBLE_PERSON)
    services.measure_assign_bulk(
        actor=personas.clerk, round=world.round, measure_ids=[world.fresh.pk], person=personas.outsider
    )
    membership_revoke(actor=None, user=personas.outsider, unit=personas.unit_a, role=Role.RESPONSIBLE_PERSON)

    clerk = client_for(personas.clerk)
    assert world.fresh.pk in _measures(clerk.get(SEARCH).content.decode())
    for name in ("孙整改", "outsider", "孙"):
        html = clerk.get(SEARCH, {"person_name": name}).content.decode()
        assert _measures(html) == set() and "没有符合条件的整改措施。" in html, name
    # The department of unit B is no match for unit A's clerk either.
    assert not unit_selectors.departments_named_for_user(user=personas.clerk, name="财政").exists()

    supervisor = client_for(personas.supervisor)
    assert _measures(supervisor.get(SEARCH, {"person_name": "孙整改"}).content.decode()) == {world.fresh.pk}
    # And the outsider finds nothing of unit A by the names of unit A's people.
    html = client_for(personas.outsider).get(SEARCH, {"person_name": "陈民警"}).content.decode()
    assert _measures(html) == set()


def test_person_and_department_ids_still_filter_and_show_whom_they_name(
    personas: Any, world: World, third: Any, client_for: Any, bound: Any
) -> None:
    bound(1)
    c = client_for(personas.supervisor)
    html = c.get(SEARCH, {"person": personas.person2.pk}).content.decode()
    assert _measures(html) == {third.pk} and "共 1 条措施" in html
    select = _select(html, "person") or ""
    # Only the one named, selected, and 全部人员 to drop it.
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select) == ["全部人员", "刘民警"]
    assert f'<option value="{personas.person2.pk}" selected>' in select
    assert _text_input(html, "person_name")  # a name may still be typed beside it

    html = c.get(SEARCH, {"department": personas.departments[0].pk}).content.decode()
    assert _measures(html) == {world.submitted.pk, world.fresh.pk}
    assert re.findall(r"<option[^>]*>([^<]*)</option>", _select(html, "department") or "") == [
        "全部部门",
        "综合办公室",
    ]

    # Outside unit A's clerk's scope, or not an id: refused as a select refuses it.
    clerk = client_for(personas.clerk)
    for value in (str(personas.outsider.pk), "abc", "999999"):
        html = clerk.get(SEARCH, {"person": value}).content.decode()
        assert "所选项不存在或不可选" in html and _measures(html) == set(), value


def test_validating_a_person_id_is_one_query_whatever_the_scope(
    personas: Any, world: World, client_for: Any, bound: Any
) -> None:
    bound(1)
    c = client_for(personas.supervisor)
    c.get(SEARCH)
    with CaptureQueriesContext(connection) as without:
        c.get(SEARCH)
    with CaptureQueriesContext(connection) as with_id:
        c.get(SEARCH, {"person": personas.person.pk})
    # One more query than the page without an id: the person read by primary key.
    assert len(with_id.captured_queries) == len(without.captured_queries) + 1
    user_table = get_user_model()._meta.db_table
    person = f'"{user_table}"."id" = {personas.person.pk}'
    reads = [q["sql"] for q in with_id.captured_queries if person in q["sql"]]
    assert len(reads) == 1 and f'FROM "{user_table}"' in reads[0], reads


def _add_people(personas: Any, n: int, start: int = 0) -> list[Any]:
    User = get_user_model()
    made = []
    for i in range(start, start + n):
        u = User.objects.create(username=f"extra{i}", display_name=f"增补人员{i:03d}")
        membership_grant(actor=None, user=u, unit=personas.unit_a, role=Role.RESPONSIBLE_PERSON)
        made.append(u)
    return made


def _queries(client: Any, query: dict[str, Any]) -> tuple[int, str]:
    client.get(SEARCH, query)  # warm: sessions, content types
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(SEARCH, query)
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_pages_queries_do_not_grow_with_the_people_in_scope(
    personas: Any, world: World, client_for: Any, bound: Any
) -> None:
    bound(3)
    _add_people(personas, 5)
    c = client_for(personas.supervisor)
    queries = [{}, {"person_name": "增补"}, {"person": personas.person.pk}, {"department_name": "综合"}]
    few = [_queries(c, q) for q in queries]

    more = _add_people(personas, 45, start=5)
    many = [_queries(c, q) for q in queries]
    assert [n for n, _ in many] == [n for n, _ in few]
    for _, html in many:
        assert (
            _select(html, "person") is None or len(re.findall("<option", _select(html, "person") or "")) == 2
        )
        assert not any(u.display_name in html for u in more)  # nobody listed
    # And the page does not grow with them either.
    assert [len(html) for _, html in many] == [len(html) for _, html in few]


def test_below_the_bound_the_selects_stay(personas: Any, world: World, client_for: Any) -> None:
    assert search.CHOICES_BOUND == 200
    for persona in (personas.clerk, personas.supervisor):
        html = client_for(persona).get(SEARCH).content.decode()
        people = _select(html, "person") or ""
        assert "全部人员" in people and "陈民警" in people and "刘民警" in people
        assert "综合办公室" in (_select(html, "department") or "")
        assert _text_input(html, "person_name") is None and _text_input(html, "department_name") is None
    # A stray name parameter filters nothing below the bound.
    html = client_for(personas.clerk).get(SEARCH, {"person_name": "无此人"}).content.decode()
    assert "共 2 条措施" in html


def test_a_round_small_enough_lists_its_people_when_the_scope_does_not(
    personas: Any, world: World, client_for: Any, bound: Any
) -> None:
    """The supervisor's county has 8 roles, unit A (the round's unit) 6."""
    bound(6)
    c = client_for(personas.supervisor)
    html = c.get(SEARCH).content.decode()
    assert _select(html, "person") is None and _text_input(html, "person_name")

    html = c.get(SEARCH, {"round": world.round.pk}).content.decode()
    people = _select(html, "person") or ""
    assert "陈民警" in people and "孙整改" not in people  # unit A's people, not unit B's
    assert _text_input(html, "person_name") is None
    html = c.get(SEARCH, {"round": world.round.pk, "person": personas.person.pk}).content.decode()
    assert _measures(html) == {world.submitted.pk, world.fresh.pk}


def test_the_rounds_measure_list_types_the_names_beyond_the_bound(
    personas: Any, world: World, third: Any, client_for: Any, bound: Any
) -> None:
    url = reverse("web:round-measures", args=[world.round.pk])
    c = client_for(personas.clerk)
    html = c.get(url).content.decode()
    assert "刘民警" in (_select(html, "person") or "")  # 6 roles in unit A: listed

    bound(5)
    html = c.get(url).content.decode()
    assert _select(html, "person") is None and _text_input(html, "person_name")
    html = c.get(url, {"person_name": "刘民警"}).content.decode()
    assert _measures(html) == {third.pk}
    html = c.get(url, {"person": personas.person.pk}).content.decode()
    assert _measures(html) == {world.submitted.pk, world.fresh.pk}


def test_a_typed_name_is_shown_back_as_text(personas: Any, world: World, client_for: Any, bound: Any) -> None:
    bound(1)
    typed = '<b onmouseover="x">陈"&'
    for url in (SEARCH, reverse("web:round-measures", args=[world.round.pk])):
        page = client_for(personas.clerk).get(url, {"person_name": typed}).content.decode()
        assert "<b onmouseover" not in page
        field = _text_input(page, "person_name") or ""
        value = re.search(r'value="([^"]*)"', field)
        assert value and unescape(value.group(1)) == typed, (url, field)


def test_the_options_are_kept_until_a_change_and_for_the_same_roles(
    personas: Any, world: World, client_for: Any, bound: Any
) -> None:
    c = client_for(personas.supervisor)
    with CaptureQueriesContext(connection) as listed:
        first = c.get(SEARCH).content.decode()
    assert "陈民警" in (_select(first, "person") or "")
    # Kept: the same selects, without the five queries that bounded (two capped counts) and
    # listed (rounds, departments, people) them.
    with CaptureQueriesContext(connection) as kept:
        again = c.get(SEARCH).content.decode()
    for name in ("round", "person", "department"):
        assert _select(again, name) == _select(first, name)
    assert len(listed.captured_queries) - len(kept.captured_queries) == 5
    assert not [q["sql"] for q in kept.captured_queries if "LIMIT 201" in q["sql"]]
    # Any audited change lists them again (the same here).
    services.measure_create(actor=personas.clerk, finding=world.problem, text="新措施", deadline=None)
    with CaptureQueriesContext(connection) as changed:
        assert _select(c.get(SEARCH).content.decode(), "person") == _select(first, "person")
    assert len(changed.captured_queries) == len(listed.captured_queries)
    # The bound is part of the key: lowered, the people are typed.
    bound(1)
    assert _select(c.get(SEARCH).content.decode(), "person") is None


def test_a_person_given_a_role_is_listed_at_the_next_page(
    personas: Any, world: World, client_for: Any
) -> None:
    c = client_for(personas.clerk)
    assert "新来的" not in (_select(c.get(SEARCH).content.decode(), "person") or "")
    newcomer = get_user_model().objects.create_user(
        username="xinlai", display_name="新来的", password="x" * 12
    )
    membership_grant(actor=None, user=newcomer, unit=personas.unit_a, role=Role.RESPONSIBLE_PERSON)
    html = c.get(SEARCH).content.decode()
    assert "新来的" in (_select(html, "person") or "")
    # And chosen, it filters (the queryset validates the id, the kept list only shows it).
    assert c.get(SEARCH, {"person": newcomer.pk}).status_code == 200
