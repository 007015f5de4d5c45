"""The ledger's reads: unit scoping, the round overview, my tasks, search, and constant query counts."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from tests.conftest import SEED
from tests.today import days_from_today
from zhenggai.ledger import selectors, services
from zhenggai.ledger.imports import round_import
from zhenggai.ledger.models import (
    Evidence,
    Finding,
    FindingKind,
    Measure,
    MeasureKind,
    MeasureStatus,
    Round,
)
from zhenggai.ledger.selectors import MeasureFilters
from zhenggai.units.models import Role
from zhenggai.units.services import membership_grant

S = MeasureStatus
# After the seed inspection began (a deadline may not be earlier), before today.
PAST = days_from_today(-30)
FUTURE = days_from_today(365)
PLANNED = days_from_today(180)  # the search world's deadline in the window
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def fresh(user: Any) -> Any:
    """The same user without cached memberships (as on a new request)."""
    return get_user_model().objects.get(pk=user.pk)


def new_user(username: str, *grants: tuple[Any, str]) -> Any:
    user = get_user_model().objects.create(username=username, display_name=username)
    for unit, role in grants:
        membership_grant(actor=None, user=user, unit=unit, role=role)
    return user


def measures_of(problem: Finding) -> list[Measure]:
    return list(Measure.objects.filter(finding=problem).order_by("position", "id"))


def problems(round_: Round) -> list[Finding]:
    return list(Finding.objects.filter(round=round_, kind=FindingKind.PROBLEM).order_by("position"))


def assign(p: Any, ms: list[Measure], **values: Any) -> None:
    services.measure_assign_bulk(actor=p.clerk, round=ms[0].round, measure_ids=[m.pk for m in ms], **values)


def advance(p: Any, m: Measure, status: str) -> Measure:
    """Walk a measure assigned to ``p.person`` through the real workflow to ``status``."""
    steps = {
        S.NOT_STARTED: [],
        S.IN_PROGRESS: ["progress"],
        S.PENDING_REVIEW: ["progress", "submit"],
        S.DONE: ["progress", "submit", "approve"],
        S.STAGE_DONE: ["progress", "submit", "approve_stage"],
    }[status]
    for step in steps:
        if step == "progress":
            services.progress_add(actor=p.person, measure=m, text="已整改")
        elif step == "submit":
            services.measure_submit(actor=p.person, measure=m)
        else:
            services.measure_review(actor=p.leader, measure=m, decision=step)
    m.refresh_from_db()
    return m


def finish_problem(p: Any, problem: Finding, *, stage_done: bool = False) -> list[Measure]:
    """Every measure of the problem done (a long-term one only stage-done if asked)."""
    ms = measures_of(problem)
    assign(p, ms, person=p.person)
    done = []
    for m in ms:
        m.refresh_from_db()
        target = S.STAGE_DONE if stage_done and m.kind == MeasureKind.LONG_TERM else S.DONE
        done.append(advance(p, m, target))
    return done


# --- scoping -------------------------------------------------------------------------------------


@dataclass
class World:
    round: Round
    finding: Finding
    measure: Measure
    evidence: Evidence
    round_b: Round


@pytest.fixture
def scoped_world(personas, seed_round) -> World:
    """Unit A's seed round with something for every list (todo, review, unassigned, close,
    evidence), and the same seed imported into sibling unit B by its clerk."""
    p = personas
    ps = problems(seed_round)
    pending = measures_of(ps[0])[0]
    assign(p, [pending], person=p.person, deadline=PAST)
    services.progress_add(
        actor=p.person, measure=pending, text="已整改", files=[(io.BytesIO(PDF), "记录.pdf")]
    )
    services.measure_submit(actor=p.person, measure=pending)
    finish_problem(p, ps[1])
    round_b, created = round_import(actor=p.outsider, unit=p.unit_b, data=SEED.read_bytes(), name=SEED.name)
    assert created
    return World(seed_round, ps[1], pending, Evidence.objects.get(measure=pending), round_b)


def _sees_get(fn: Callable[[], Any]) -> bool:
    try:
        fn()
    except Http404:
        return False
    return True


def _a_in_tasks(user: Any, w: World) -> bool:
    tasks = selectors.my_tasks(user=user)
    return any(getattr(x, "round_id", None) == w.round.pk for items in tasks.values() for x in items)


SEES_A: dict[str, Callable[[Any, World], bool]] = {
    "round_list_for_user": lambda u, w: w.round.pk in {r.pk for r in selectors.round_list_for_user(user=u)},
    "round_get_for_user": lambda u, w: _sees_get(lambda: selectors.round_get_for_user(user=u, pk=w.round.pk)),
    "finding_get_for_user": lambda u, w: _sees_get(
        lambda: selectors.finding_get_for_user(user=u, pk=w.finding.pk)
    ),
    "measure_get_for_user": lambda u, w: _sees_get(
        lambda: selectors.measure_get_for_user(user=u, pk=w.measure.pk)
    ),
    "evidence_get_for_user": lambda u, w: _sees_get(
        lambda: selectors.evidence_get_for_user(user=u, pk=w.evidence.pk)
    ),
    "measure_search": lambda u, w: any(
        m.round_id == w.round.pk for m in selectors.measure_search(user=u, filters=MeasureFilters())
    ),
    "measure_search_by_round": lambda u, w: selectors.measure_search(
        user=u, filters=MeasureFilters(round=w.round.pk, text="学习")
    ).exists(),
    "my_tasks": _a_in_tasks,
    "round_overview": lambda u, w: _sees_get(lambda: selectors.round_overview(user=u, round=w.round)),
}


@pytest.mark.parametrize("selector", list(SEES_A))
def test_no_selector_shows_anything_of_unit_a_to_someone_outside_it_and_the_supervisor_above_sees_it(
    personas, scoped_world, selector
):
    p, w = personas, scoped_world
    sees = SEES_A[selector]
    outside = {
        "outsider (clerk of B)": p.outsider,
        "supervisor of B": new_user("sup_b", (p.unit_b, Role.SUPERVISOR)),
        "leader of B": new_user("leader_b", (p.unit_b, Role.UNIT_LEADER)),
        "person of a department of B": new_user("dept_b", (p.unit_b, Role.RESPONSIBLE_PERSON)),
        "no membership": new_user("nobody"),
        "anonymous": AnonymousUser(),
    }
    for who, user in outside.items():
        assert not sees(user, w), f"{who} sees unit A through {selector}"
    assert sees(fresh(p.supervisor), w), f"the supervisor above does not see unit A through {selector}"
    if selector != "my_tasks":  # the viewer has nothing to do, but sees
        assert sees(fresh(p.viewer), w)


def test_the_outsider_sees_the_round_of_their_own_unit(personas, scoped_world):
    p, w = personas, scoped_world
    assert [r.pk for r in selectors.round_list_for_user(user=p.outsider)] == [w.round_b.pk]
    assert selectors.round_overview(user=p.outsider, round=w.round_b).tally.problems == 30
    unassigned = selectors.my_tasks(user=p.outsider)["unassigned"]
    assert len(unassigned) == 100
    assert {m.round_id for m in unassigned} == {w.round_b.pk}
    assert {m.round_id for m in selectors.measure_search(user=p.outsider, filters=MeasureFilters())} == {
        w.round_b.pk
    }


def test_the_supervisor_above_sees_both_units(personas, scoped_world):
    p, w = personas, scoped_world
    assert {r.pk for r in selectors.round_list_for_user(user=p.supervisor)} == {w.round.pk, w.round_b.pk}
    assert selectors.measure_search(user=p.supervisor, filters=MeasureFilters()).count() == 200


# --- the overview --------------------------------------------------------------------------------


def test_the_overview_of_the_seed_counts_thirty_problems_and_a_hundred_measures_none_complete(
    personas, seed_round
):
    ov = selectors.round_overview(user=personas.clerk, round=seed_round)
    assert len(ov.roots) == 3
    assert [n.finding.kind for n in ov.roots] == ["category"] * 3
    assert sum(len(n.children) for n in ov.roots) == 18
    assert sum(n.tally.problems for n in ov.roots) == ov.tally.problems == 30
    assert ov.tally.measure_total == 100
    assert ov.tally.measures == {S.NOT_STARTED: 100}
    assert (ov.tally.problems_complete, ov.tally.completion_rate, ov.tally.overdue) == (0, 0.0, 0)
    assert ov.signed is None
    assert ov.by_department == [("（未分配部门）", ov.by_department[0][1])]
    assert ov.by_department[0][1].measure_total == 100


def test_completion_counts_only_complete_problems_and_a_stage_done_measure_makes_a_problem_basic(
    personas, seed_round
):
    p = personas
    ps = problems(seed_round)
    finish_problem(p, ps[0])
    with_long_term = next(f for f in ps[1:] if any(m.kind == MeasureKind.LONG_TERM for m in measures_of(f)))
    finish_problem(p, with_long_term, stage_done=True)
    ov = selectors.round_overview(user=p.leader, round=seed_round)
    assert (ov.tally.problems, ov.tally.problems_complete, ov.tally.problems_basic) == (30, 1, 1)
    assert ov.tally.completion_rate == 3.33
    states = {n.finding.pk: n.state for n in _walk(ov.roots)}
    assert states[ps[0].pk] == "已完成"
    assert states[with_long_term.pk] == "基本完成"

    services.finding_close(actor=p.supervisor, finding=ps[0], opinion="整改到位，同意销号")
    services.finding_close(actor=p.supervisor, finding=with_long_term, opinion="整改到位，同意销号")
    ov = selectors.round_overview(user=p.leader, round=seed_round)
    # A closed problem counts as complete, whatever its measures say.
    assert (ov.tally.problems_complete, ov.tally.problems_closed, ov.tally.problems_basic) == (2, 2, 0)
    assert ov.tally.completion_rate == 6.67


def _walk(nodes: list[selectors.Node]) -> list[selectors.Node]:
    out = []
    for n in nodes:
        out.append(n)
        out.extend(_walk(n.children))
    return out


def test_the_overview_counts_overdue_measures_that_are_not_finished_and_tallies_by_department(
    personas, seed_round
):
    p = personas
    ms = list(Measure.objects.filter(round=seed_round).order_by("pk"))
    dept0, dept1 = p.departments
    late_open, late_done, late_pending, on_time = ms[0], ms[1], ms[2], ms[3]
    assign(p, [late_open, late_done, late_pending], person=p.person, deadline=PAST, department=dept0)
    assign(p, [on_time], person=p.person, deadline=FUTURE, department=dept1)
    advance(p, late_done, S.DONE)
    advance(p, late_pending, S.PENDING_REVIEW)
    long_term = next(m for m in ms[4:] if m.kind == MeasureKind.LONG_TERM)
    assign(p, [long_term], person=p.person, deadline=PAST, department=dept1)
    advance(p, long_term, S.STAGE_DONE)

    ov = selectors.round_overview(user=p.supervisor, round=seed_round)
    assert ov.tally.overdue == 2  # late_open and late_pending; done and stage-done are not overdue
    depts = dict(ov.by_department)
    assert set(depts) == {dept0.name, dept1.name, "（未分配部门）"}
    assert depts[dept0.name].measures == {S.NOT_STARTED: 1, S.DONE: 1, S.PENDING_REVIEW: 1}
    assert depts[dept0.name].overdue == 2
    assert depts[dept1.name].measures == {S.NOT_STARTED: 1, S.STAGE_DONE: 1}
    assert depts[dept1.name].overdue == 0
    assert depts["（未分配部门）"].measure_total == 95
    assert sum(t.measure_total for t in depts.values()) == 100
    categories_overdue = sum(n.tally.overdue for n in ov.roots)
    assert categories_overdue == 2


# --- my tasks -----------------------------------------------------------------------------------


def test_my_tasks_lists_my_open_measures_overdue_first_then_by_deadline(personas, seed_round):
    p = personas
    ms = list(Measure.objects.filter(round=seed_round).order_by("pk"))
    later, overdue, sooner, undated, done = ms[:5]
    long_term = next(m for m in ms[5:] if m.kind == MeasureKind.LONG_TERM)
    assign(p, [later], person=p.person, deadline=days_from_today(400))
    assign(p, [overdue], person=p.person, deadline=PAST)
    assign(p, [sooner], person=p.person, deadline=days_from_today(300))
    assign(p, [undated, done], person=p.person)
    assign(p, [long_term], person=p.person, deadline=days_from_today(-60))
    advance(p, done, S.DONE)
    advance(p, long_term, S.STAGE_DONE)  # not overdue, still open for more progress
    someone_elses = next(m for m in ms[5:] if m.pk != long_term.pk)
    assign(p, [someone_elses], person=p.person2, deadline=PAST)

    todo = selectors.my_tasks(user=fresh(p.person))["todo"]
    assert [m.pk for m in todo] == [overdue.pk, long_term.pk, sooner.pk, later.pk, undated.pk]


def test_my_tasks_shows_the_overdue_first_even_among_more_than_five_hundred(personas, seed_round):
    p = personas
    first, *_ = problems(seed_round)
    Measure.objects.bulk_create(
        [
            Measure(
                round=seed_round,
                unit=p.unit_a,
                finding=first,
                position=100 + i,
                text=f"批量措施{i}",
                person=p.person,
                deadline=FUTURE,
            )
            for i in range(510)
        ]
    )
    late = Measure.objects.filter(round=seed_round).order_by("-finding_id").first()
    assign(p, [late], person=p.person, deadline=PAST)
    todo = selectors.my_tasks(user=fresh(p.person))["todo"]
    assert len(todo) == 500
    assert todo[0].pk == late.pk


def test_my_tasks_gives_the_leader_the_submitted_measures_to_review(personas, seed_round):
    p = personas
    ms = list(Measure.objects.filter(round=seed_round).order_by("pk"))[:3]
    assign(p, ms, person=p.person)
    advance(p, ms[0], S.PENDING_REVIEW)
    advance(p, ms[1], S.IN_PROGRESS)
    assert [m.pk for m in selectors.my_tasks(user=fresh(p.leader))["review"]] == [ms[0].pk]
    for who in (p.clerk, p.person, p.supervisor, p.viewer):
        assert selectors.my_tasks(user=fresh(who))["review"] == []


def test_my_tasks_gives_the_clerk_the_measures_nobody_is_responsible_for(personas, seed_round):
    p = personas
    ms = list(Measure.objects.filter(round=seed_round).order_by("pk"))
    assign(p, ms[:10], person=p.person)
    unassigned = selectors.my_tasks(user=fresh(p.clerk))["unassigned"]
    assert len(unassigned) == 90
    assert {m.pk for m in unassigned} == {m.pk for m in ms[10:]}
    for who in (p.leader, p.person, p.supervisor, p.viewer):
        assert selectors.my_tasks(user=fresh(who))["unassigned"] == []


def test_my_tasks_gives_the_supervisor_the_problems_ready_to_close(personas, seed_round):
    p = personas
    ps = problems(seed_round)
    finish_problem(p, ps[0])
    with_long_term = next(f for f in ps[1:] if any(m.kind == MeasureKind.LONG_TERM for m in measures_of(f)))
    finish_problem(p, with_long_term, stage_done=True)
    half = measures_of(ps[-1])
    assign(p, half, person=p.person)
    advance(p, half[0], S.DONE)
    close = selectors.my_tasks(user=fresh(p.supervisor))["close"]
    assert [f.pk for f in close] == [ps[0].pk, with_long_term.pk]
    for who in (p.leader, p.clerk, p.person):
        assert selectors.my_tasks(user=fresh(who))["close"] == []
    services.finding_close(actor=p.supervisor, finding=ps[0], opinion="整改到位，同意销号")
    assert [f.pk for f in selectors.my_tasks(user=fresh(p.supervisor))["close"]] == [with_long_term.pk]


def test_my_tasks_finds_a_problem_ready_to_close_behind_five_hundred_open_ones(personas, seed_round):
    p = personas
    open_problems = Finding.objects.bulk_create(
        [
            Finding(
                round=seed_round, unit=p.unit_a, kind=FindingKind.PROBLEM, title=f"批量问题{i}", position=0
            )
            for i in range(510)
        ]
    )
    Measure.objects.bulk_create(
        [Measure(round=seed_round, unit=p.unit_a, finding=f, position=1, text="措施") for f in open_problems]
    )
    ready = problems(seed_round)[-1]
    finish_problem(p, ready)
    assert [f.pk for f in selectors.my_tasks(user=fresh(p.supervisor))["close"]] == [ready.pk]


# --- search ------------------------------------------------------------------------------------


@dataclass
class SearchWorld:
    round: Round
    other_round: Round
    late: Measure  # person, dept0, overdue, in progress
    planned: Measure  # person2, dept1, deadline in the window
    finished: Measure  # person, dept1, past deadline but done
    other: Measure  # the other round's measure


@pytest.fixture
def search_world(personas, seed_round) -> SearchWorld:
    p = personas
    ms = list(Measure.objects.filter(round=seed_round).order_by("pk"))
    late, planned, finished = ms[0], ms[1], ms[2]
    dept0, dept1 = p.departments
    assign(p, [late], person=p.person, department=dept0, deadline=PAST)
    assign(p, [planned], person=p.person2, department=dept1, deadline=PLANNED)
    assign(p, [finished], person=p.person, department=dept1, deadline=PAST)
    advance(p, late, S.IN_PROGRESS)
    advance(p, finished, S.DONE)
    other_round = services.round_create(actor=p.clerk, unit=p.unit_a, title="机动巡察")
    problem = services.finding_create(
        actor=p.clerk, round=other_round, parent=None, kind="problem", title="档案室钥匙管理混乱"
    )
    other = services.measure_create(actor=p.clerk, finding=problem, text="清理档案室钥匙登记簿")
    return SearchWorld(seed_round, other_round, late, planned, finished, other)


def _search(user: Any, **filters: Any) -> set[int]:
    return {m.pk for m in selectors.measure_search(user=user, filters=MeasureFilters(**filters))}


def test_search_filters_by_status_department_and_person(personas, search_world):
    p, w = personas, search_world
    assert _search(p.clerk, status=S.IN_PROGRESS) == {w.late.pk}
    assert _search(p.clerk, status=S.DONE) == {w.finished.pk}
    assert _search(p.clerk, department=p.departments[1].pk) == {w.planned.pk, w.finished.pk}
    assert _search(p.clerk, person=p.person.pk) == {w.late.pk, w.finished.pk}
    assert _search(p.clerk, person=p.person2.pk) == {w.planned.pk}


def test_search_filters_by_deadline_window_and_overdue(personas, search_world):
    p, w = personas, search_world
    window = {
        "deadline_from": PLANNED - dt.timedelta(days=30),
        "deadline_to": PLANNED + dt.timedelta(days=30),
    }
    assert _search(p.clerk, **window) == {w.planned.pk}
    assert _search(p.clerk, deadline_to=PAST) == {w.late.pk, w.finished.pk}
    assert _search(p.clerk, deadline_from=PLANNED) == {w.planned.pk}
    assert _search(p.clerk, overdue=True) == {w.late.pk}  # the finished one is not overdue


def test_search_finds_text_in_the_measure_or_its_problem_title_every_word_required(personas, search_world):
    p, w = personas, search_world
    assert _search(p.clerk, text="钥匙登记簿") == {w.other.pk}
    assert _search(p.clerk, text="管理混乱") == {w.other.pk}  # only in the problem's title
    assert _search(p.clerk, text=" 钥匙  清理 ") == {w.other.pk}
    assert _search(p.clerk, text="钥匙 学习") == set()
    by_title = Measure.objects.filter(finding=w.late.finding).values_list("pk", flat=True)
    title_word = w.late.finding.title[-6:]
    assert set(by_title) <= _search(p.clerk, text=title_word)


def test_search_filters_by_round_and_combines_filters(personas, search_world):
    p, w = personas, search_world
    assert _search(p.clerk, round=w.other_round.pk) == {w.other.pk}
    assert len(_search(p.clerk, round=w.round.pk)) == 100
    assert _search(p.clerk, round=w.round.pk, person=p.person.pk, department=p.departments[1].pk) == {
        w.finished.pk
    }
    assert _search(p.clerk, round=w.other_round.pk, person=p.person.pk) == set()
    assert _search(p.clerk, person=p.person.pk, overdue=True, status=S.IN_PROGRESS) == {w.late.pk}
    assert _search(p.clerk, text="钥匙", round=w.round.pk) == set()


def test_search_results_come_in_plan_order(personas, search_world):
    p, w = personas, search_world
    rows = list(selectors.measure_search(user=p.clerk, filters=MeasureFilters(round=w.round.pk)))
    keys = [(m.finding.position, m.position, m.pk) for m in rows]
    assert keys == sorted(keys)


# --- constant queries --------------------------------------------------------------------------

STATUSES = [S.NOT_STARTED, S.IN_PROGRESS, S.PENDING_REVIEW, S.DONE, S.STAGE_DONE]


def build_round(p: Any, busy: Any, *, problems: int, per_problem: int, title: str) -> Round:
    """A signed round of ``problems`` problems; measures made in bulk with every status, owner and
    deadline mixed; every third problem entirely done (ready to close)."""
    r = services.round_create(actor=p.clerk, unit=p.unit_a, title=title, feedback_date=dt.date(2024, 3, 1))
    cat = services.finding_create(actor=p.clerk, round=r, parent=None, kind="category", title="一、党的建设")
    issue = services.finding_create(actor=p.clerk, round=r, parent=cat, kind="issue", title="组织建设薄弱")
    people = itertools.cycle([busy, p.person, None])
    depts = itertools.cycle([*p.departments, None])
    deadlines = itertools.cycle([PAST, FUTURE, None])
    statuses = itertools.cycle(STATUSES)
    measures = []
    for i in range(problems):
        f = services.finding_create(
            actor=p.clerk, round=r, parent=issue, kind="problem", title=f"具体问题{i}"
        )
        for j in range(per_problem):
            measures.append(
                Measure(
                    round=r,
                    unit=p.unit_a,
                    finding=f,
                    position=j + 1,
                    text=f"措施{i}-{j}",
                    kind=MeasureKind.LONG_TERM,
                    status=S.DONE if i % 3 == 0 else next(statuses),
                    person=next(people),
                    leader=p.responsible_leader,
                    department=next(depts),
                    deadline=next(deadlines),
                )
            )
    Measure.objects.bulk_create(measures)
    services.plan_sign(actor=p.leader, round=r)
    return r


def _count(fn: Callable[[Any], Any], user: Any) -> int:
    user = fresh(user)  # no cached memberships: their query is counted
    with CaptureQueriesContext(connection) as ctx:
        fn(user)
    return len(ctx.captured_queries)


def _show_overview(user: Any, r: Round) -> int:
    ov = selectors.round_overview(user=user, round=r)
    shown = [(n.finding.title, n.state, n.tally.measure_total, n.tally.overdue) for n in _walk(ov.roots)]
    shown += [(name, t.measure_total) for name, t in ov.by_department]
    shown.append(ov.signed.signer.display_name)
    return len(shown)


def _show_tasks(user: Any) -> int:
    tasks = selectors.my_tasks(user=user)
    shown = [
        (m.round.title, m.finding.title, str(m.person), str(m.leader), str(m.department), m.deadline)
        for key in ("todo", "review", "unassigned")
        for m in tasks[key]
    ]
    shown += [(f.round.title, f.title) for f in tasks["close"]]
    assert all(tasks.values()), {k: len(v) for k, v in tasks.items()}
    return len(shown)


def _show_search(user: Any, **filters: Any) -> int:
    rows = list(selectors.measure_search(user=user, filters=MeasureFilters(**filters))[:200])
    shown = [(m.round.title, m.finding.title, str(m.person), str(m.leader), str(m.department)) for m in rows]
    return len(shown)


def test_overview_my_tasks_and_search_make_the_same_number_of_queries_for_a_small_and_a_large_round(personas):
    p = personas
    busy = new_user("busy", (p.unit_a, Role.CLERK), (p.unit_a, Role.UNIT_LEADER), (p.county, Role.SUPERVISOR))
    small = build_round(p, busy, problems=3, per_problem=2, title="小轮次")
    shown = {"overview": small}
    calls: dict[str, Callable[[Any], int]] = {
        "overview": lambda u: _show_overview(u, shown["overview"]),
        "my_tasks": _show_tasks,
        "search": _show_search,
        "search_filtered": lambda u: _show_search(u, text="措施", department=p.departments[0].pk),
    }
    counts_small = {name: _count(fn, busy) for name, fn in calls.items()}
    sizes_small = {name: fn(fresh(busy)) for name, fn in calls.items()}

    shown["overview"] = build_round(p, busy, problems=60, per_problem=5, title="大轮次")
    counts_large = {name: _count(fn, busy) for name, fn in calls.items()}
    sizes_large = {name: fn(fresh(busy)) for name, fn in calls.items()}

    assert all(sizes_large[k] > 3 * sizes_small[k] for k in calls), (sizes_small, sizes_large)
    assert counts_large == counts_small
    # memberships, scope check, findings, measures, signature with its signer
    assert counts_small["overview"] == 5
    # memberships, then one query a list
    assert counts_small["my_tasks"] == 5
    # memberships, then the page with its related rows
    assert counts_small["search"] == counts_small["search_filtered"] == 2


# --- history -------------------------------------------------------------------------------------


def test_a_measures_history_shows_each_step_once_including_the_submission(personas, assigned_measure):
    p, m = personas, assigned_measure
    services.progress_add(actor=p.person, measure=m, text="第一次进展")
    services.measure_submit(actor=p.person, measure=m)
    services.measure_review(actor=p.leader, measure=m, decision="return", reason="材料不全")
    services.progress_add(actor=p.person, measure=m, text="补充材料")
    services.measure_submit(actor=p.person, measure=m)
    services.measure_review(actor=p.leader, measure=m, decision="approve")
    services.finding_send_back(actor=p.supervisor, finding=m.finding, reason="对账不符")
    items = selectors.measure_history(measure=m)
    kinds = sorted(kind if kind != "audit" else obj.action for _, kind, obj in items)
    assert kinds == sorted(
        [
            "measure.assign",
            "progress",
            "measure.submit",
            "review",
            "progress",
            "measure.submit",
            "review",
            "review",
        ]
    )
    assert [t for t, _, _ in items] == sorted(t for t, _, _ in items)


def test_a_membership_in_a_unit_without_a_tree_path_shows_nothing(personas, seed_round):
    from zhenggai.units.models import Unit

    stray = Unit.objects.create(name="未挂接的单位")  # not made by unit_create: no path
    user = new_user("stray", (stray, Role.SUPERVISOR))
    assert list(selectors.round_list_for_user(user=user)) == []
    assert not selectors.measure_search(user=user, filters=MeasureFilters()).exists()
    with pytest.raises(Http404):
        selectors.round_overview(user=user, round=seed_round)


def test_last_returns_gives_each_measures_latest_return_reason_in_one_query(
    personas, django_assert_num_queries
):
    from tests.web.conftest import build_round

    w = build_round(personas)
    services.measure_review(actor=personas.leader, measure=w.submitted, decision="return", reason="退回1")
    services.progress_add(actor=personas.person, measure=w.submitted, text="已补充")
    services.measure_submit(actor=personas.person, measure=w.submitted)
    services.measure_review(actor=personas.leader, measure=w.submitted, decision="return", reason="退回2")
    with django_assert_num_queries(1):
        got = selectors.last_returns([w.submitted.pk, w.fresh.pk])
    assert set(got) == {w.submitted.pk}  # ``fresh`` was never returned
    reason, at, by = got[w.submitted.pk]
    assert (reason, by) == ("退回2", str(personas.leader))
    assert at is not None
    with django_assert_num_queries(0):
        assert selectors.last_returns([]) == {}
