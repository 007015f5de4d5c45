"""Paged reads (``ledger.paging``): every page of a list adds up to the whole list, in its order,
with the whole list's figures, at a fixed number of queries whatever the page and the table."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhenggai.ledger import paging, selectors, services
from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus
from zhenggai.ledger.selectors import MeasureFilters

S = MeasureStatus


def _flat(roots: list[Any]) -> list[int]:
    out: list[int] = []
    for n in roots:
        out.append(n.finding.pk)
        out.extend(_flat(n.children))
    return out


def _all_pages(user: Any, round_: Any, size: int) -> list[paging.OverviewPage]:
    first = paging.round_overview_page(user=user, round=round_, size=size)
    return [first] + [
        paging.round_overview_page(user=user, round=round_, page=n, size=size)
        for n in range(2, first.pages + 1)
    ]


def _same_figures(page: paging.OverviewPage, whole: selectors.Overview) -> None:
    assert page.tally == whole.tally
    assert page.by_department == whole.by_department
    assert (page.hidden_problems, page.hidden_measures) == (whole.hidden_problems, whole.hidden_measures)


def test_every_page_of_the_overview_has_the_whole_rounds_figures_and_the_pages_make_up_its_tree(
    personas: Any, seed_round: Any
) -> None:
    p = personas
    Measure.objects.filter(round=seed_round, position=1).update(status=S.DONE)
    whole = selectors.round_overview(user=p.clerk, round=seed_round)
    pages = _all_pages(p.clerk, seed_round, size=7)
    assert len(pages) == 5 and [pg.number for pg in pages] == [1, 2, 3, 4, 5]  # 30 problems, 7 a page
    for pg in pages:
        _same_figures(pg, whole)
    # Each page holds its 7 problems (the last the rest) and repeats the parents of its first row.
    shown: list[int] = []
    for pg in pages:
        problems = [n for n in pg.rows if n.kind == FindingKind.PROBLEM]
        assert len(problems) == (7 if pg.number < 5 else 2)
        own = pg.rows
        if pg.number > 1:
            heads = [n for n in own if n.pk in shown]
            assert heads == own[: len(heads)]  # the parents of the first new row come first, again
            own = own[len(heads) :]
            assert len(heads) == own[0].depth
        shown.extend(n.pk for n in own)
    assert shown == _flat(whole.roots)
    # Each row's figures are its subtree's, as the whole tree has them.
    by_pk = {n.finding.pk: n for n in _nodes(whole.roots)}
    for pg in pages:
        for n in pg.rows:
            whole_node = by_pk[n.pk]
            assert (n.measures, n.overdue, n.problems) == (
                whole_node.tally.measure_total,
                whole_node.tally.overdue,
                whole_node.tally.problems,
            )
            assert n.done == whole_node.tally.measures.get(S.DONE, 0)
            assert n.completion_rate == whole_node.tally.completion_rate
            assert n.state == whole_node.state
            assert n.title == whole_node.finding.title


def _nodes(roots: list[Any]) -> list[Any]:
    return [x for n in roots for x in [n, *_nodes(n.children)]]


def test_the_overview_page_leaves_out_a_problem_above_the_users_clearance_and_counts_it(
    personas: Any, seed_round: Any
) -> None:
    from tests.accounts.conftest import make_admin
    from zhenggai.accounts import services as account_services
    from zhenggai.ledger import services

    secadmin = make_admin("secadmin", "security_admin")
    account_services.clearance_set(actor=secadmin, user=personas.clerk, clearance="sensitive")
    personas.clerk.refresh_from_db()
    problem = Finding.objects.filter(round=seed_round, kind=FindingKind.PROBLEM).order_by("position")[3]
    services.finding_set_sensitivity(actor=personas.clerk, finding=problem, sensitivity="sensitive")
    whole = selectors.round_overview(user=personas.leader, round=seed_round)
    assert whole.hidden_problems == 1 and whole.hidden_measures > 0
    pages = _all_pages(personas.leader, seed_round, size=10)
    for pg in pages:
        _same_figures(pg, whole)
        assert problem.pk not in {n.pk for n in pg.rows}
    assert len({n.pk for pg in pages for n in pg.rows if n.kind == FindingKind.PROBLEM}) == 29
    full = _all_pages(personas.clerk, seed_round, size=10)
    assert problem.pk in {n.pk for pg in full for n in pg.rows}


def test_a_page_number_out_of_range_gives_the_nearest_page(personas: Any, seed_round: Any) -> None:
    last = paging.round_overview_page(user=personas.clerk, round=seed_round, page=999, size=10)
    first = paging.round_overview_page(user=personas.clerk, round=seed_round, page=0, size=10)
    assert (last.number, last.pages, first.number) == (3, 3, 1)


def test_the_overview_page_is_404_for_the_outsider(personas: Any, seed_round: Any) -> None:
    from django.http import Http404

    with pytest.raises(Http404):
        paging.round_overview_page(user=personas.outsider, round=seed_round)
    # Given the round's id, the read is the scope check.
    with pytest.raises(Http404):
        paging.round_overview_page(user=personas.outsider, round=seed_round.pk)
    assert paging.round_overview_page(user=personas.clerk, round=seed_round.pk).round == seed_round


def test_the_overview_page_makes_as_many_queries_for_every_page_and_any_round(
    personas: Any, seed_round: Any
) -> None:
    from tests.web.conftest import build_round

    small = build_round(personas).round

    def count(round_: Any, page: int, *, kept: bool = False) -> int:
        if not kept:
            paging.forget_kept_figures()
        with CaptureQueriesContext(connection) as q:
            paging.round_overview_page(user=personas.clerk, round=round_, page=page, size=5)
        return len(q.captured_queries)

    counted = count(seed_round, 1)
    assert counted == count(seed_round, 4) == count(small, 1)
    # Kept (``small`` now, ``seed_round`` after one more count): the whole round's seven queries
    # (skeleton, counts, departments, their names, the signature, outcomes, documents) are not
    # run again.
    kept = count(small, 2, kept=True)
    count(seed_round, 1)
    assert kept == count(seed_round, 4, kept=True) == counted - 7


def _overview(user: Any, round_: Any, page: int = 1) -> tuple[Any, ...]:
    o = paging.round_overview_page(user=user, round=round_, page=page, size=5)
    rows = [(r.pk, r.depth, r.state, r.measures, r.done, r.overdue, r.title) for r in o.rows]
    return (o.tally, o.by_department, o.hidden_problems, o.hidden_measures, rows, o.number, o.pages)


def test_kept_overview_figures_are_those_counted_afresh_until_a_change_anywhere(
    personas: Any, seed_round: Any
) -> None:
    """The whole round's figures are kept between requests under the change stamp: a service's
    change (audited) gives a new stamp and the figures are counted again; a read changes nothing."""
    from zhenggai.audit import stamps

    first = _overview(personas.clerk, seed_round)
    stamp = stamps.current()
    assert _overview(personas.clerk, seed_round) == first  # kept
    assert stamps.current() == stamp
    # Each clearance is kept apart: the responsible person, cleared for less, sees what he may.
    paging.forget_kept_figures()
    afresh_person = _overview(personas.person, seed_round)
    assert _overview(personas.person, seed_round) == afresh_person
    # A change through a service: a new stamp, and the figures count it.
    problem = Finding.objects.filter(round=seed_round, kind=FindingKind.PROBLEM).order_by("pk").first()
    assert problem is not None
    services.measure_create(actor=personas.clerk, finding=problem, text="新增一项措施", deadline=None)
    assert stamps.current() != stamp
    after = _overview(personas.clerk, seed_round)
    assert after[0].measure_total == first[0].measure_total + 1
    paging.forget_kept_figures()
    assert _overview(personas.clerk, seed_round) == after  # as counted afresh
    # Callers may change what they are given: the kept figures stay as they were made.
    o = paging.round_overview_page(user=personas.clerk, round=seed_round, size=5)
    o.tally.measures.clear()
    o.by_department.clear()
    assert _overview(personas.clerk, seed_round) == after


# --- keyset pages of 搜索与筛选 ------------------------------------------------------------------


def _walk(user: Any, filters: MeasureFilters, size: int) -> list[paging.KeysetPage]:
    pages = [paging.measure_search_page(user=user, filters=filters, size=size)]
    while pages[-1].next_cursor:
        pages.append(
            paging.measure_search_page(user=user, filters=filters, after=pages[-1].next_cursor, size=size)
        )
    return pages


@pytest.mark.parametrize(
    "filters", [MeasureFilters(), MeasureFilters(status=S.NOT_STARTED), MeasureFilters(text="制度")]
)
def test_the_search_pages_walk_the_whole_search_in_its_order_forward_and_back(
    personas: Any, seed_round: Any, filters: MeasureFilters
) -> None:
    whole = [m.pk for m in selectors.measure_search(user=personas.clerk, filters=filters)]
    assert len(whole) > 7
    pages = _walk(personas.clerk, filters, size=7)
    assert [m.pk for pg in pages for m in pg.rows] == whole
    assert all(len(pg.rows) == 7 for pg in pages[:-1]) and not pages[0].has_previous
    assert all(pg.count == len(whole) and not pg.count_capped for pg in pages)
    # Back from the last page, page by page, to the first (which says it is the first).
    back = pages[-1]
    seen = [m.pk for m in back.rows]
    while back.has_previous:
        back = paging.measure_search_page(
            user=personas.clerk, filters=filters, before=back.prev_cursor, size=7
        )
        seen = [m.pk for m in back.rows] + seen
    assert seen == whole and not back.has_previous and back.has_next


@pytest.mark.parametrize("status", ["", S.NOT_STARTED])
def test_a_rounds_search_pages_walk_that_round_only_in_its_order(
    personas: Any, seed_round: Any, status: str
) -> None:
    """搜索本轮措施: the round is said of the problems, as a range, for the rows (the planner's
    sake); they are the round's measures all the same, and none of another round's."""
    from tests.web.conftest import build_round

    other = build_round(personas).round  # a second round of the same unit
    for round_ in (seed_round, other):
        filters = MeasureFilters(round=round_.pk, status=status or None)
        whole = [m.pk for m in selectors.measure_search(user=personas.clerk, filters=filters)]
        assert whole and set(whole) <= set(Measure.objects.filter(round=round_).values_list("pk", flat=True))
        pages = _walk(personas.clerk, filters, size=3)
        assert [m.pk for pg in pages for m in pg.rows] == whole
        back, seen = pages[-1], [m.pk for m in pages[-1].rows]
        while back.has_previous:
            back = paging.measure_search_page(
                user=personas.clerk, filters=filters, before=back.prev_cursor, size=3
            )
            seen = [m.pk for m in back.rows] + seen
        assert seen == whole


def test_a_search_row_carries_what_the_list_prints(personas: Any, seed_round: Any) -> None:
    m = Measure.objects.filter(round=seed_round).order_by("finding__position", "position").first()
    assert m is not None
    m.person = personas.person
    m.save()
    row = paging.measure_search_page(user=personas.clerk, filters=MeasureFilters(round=seed_round.pk)).rows[0]
    assert (row.pk, row.text, row.status, row.round_title) == (m.pk, m.text, m.status, seed_round.title)
    assert (row.finding_title, row.person_name, row.leader_name) == (
        m.finding.title,
        str(personas.person),
        "",
    )


@pytest.mark.parametrize("cursor", ["", "abc", "1.2.3", "1.2.3.4.x", "-1.2.3.4.5", "9" * 40 + ".1.1.1.1"])
def test_a_tampered_cursor_starts_the_list_again(personas: Any, seed_round: Any, cursor: str) -> None:
    first = paging.measure_search_page(user=personas.clerk, filters=MeasureFilters(), size=5)
    again = paging.measure_search_page(user=personas.clerk, filters=MeasureFilters(), after=cursor, size=5)
    assert [m.pk for m in again.rows] == [m.pk for m in first.rows]


def test_the_count_stops_at_the_cap_and_says_so(personas: Any, seed_round: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(paging, "COUNT_CAP", 40)
    page = paging.measure_search_page(user=personas.clerk, filters=MeasureFilters())
    assert (page.count, page.count_capped) == (40, True)
    few = paging.measure_search_page(user=personas.clerk, filters=MeasureFilters(text="不存在的措施"))
    assert (few.count, few.count_capped, few.rows) == (0, False, [])


def test_the_outsider_searches_and_finds_nothing_of_unit_a(personas: Any, seed_round: Any) -> None:
    page = paging.measure_search_page(user=personas.outsider, filters=MeasureFilters())
    assert (page.rows, page.count) == ([], 0)


def test_a_search_page_makes_two_queries_whatever_the_page(personas: Any, seed_round: Any) -> None:
    first = paging.measure_search_page(user=personas.clerk, filters=MeasureFilters(), size=10)
    for after in ("", first.next_cursor):
        with CaptureQueriesContext(connection) as q:
            paging.measure_search_page(user=personas.clerk, filters=MeasureFilters(), after=after, size=10)
        queries = [x["sql"] for x in q.captured_queries if "units_membership" not in x["sql"]]
        assert len(queries) == 2
        assert " OFFSET " not in queries[1]  # a keyset page seeks its first row
    # Nothing matched: the count says so, and the rows are not looked for again.
    with CaptureQueriesContext(connection) as q:
        none = paging.measure_search_page(user=personas.clerk, filters=MeasureFilters(text="不存在的措施"))
    assert (none.rows, none.count) == ([], 0)
    assert len([x for x in q.captured_queries if "units_membership" not in x["sql"]]) == 1


# --- 可销号 ------------------------------------------------------------------------------------------


def test_the_problems_ready_to_close_come_a_page_at_a_time_in_round_order(
    personas: Any, seed_round: Any
) -> None:
    Measure.objects.filter(round=seed_round).update(status=S.DONE)
    ready = [f.pk for f in selectors.my_tasks(user=personas.supervisor)["close"]]
    assert len(ready) == 30
    pages = [paging.ready_to_close_page(user=personas.supervisor, size=8)]
    while pages[-1].next_cursor:
        pages.append(
            paging.ready_to_close_page(user=personas.supervisor, after=pages[-1].next_cursor, size=8)
        )
    assert [f.pk for pg in pages for f in pg.rows] == ready
    assert [len(pg.rows) for pg in pages] == [8, 8, 8, 6] and pages[0].count == 30
    assert all(f.total == Measure.objects.filter(finding=f).count() for f in pages[0].rows)
    for who in (personas.outsider, personas.clerk, personas.person):
        assert paging.ready_to_close_page(user=who).rows == []
