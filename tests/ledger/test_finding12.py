"""Issue 8, finding 12: correctness found on the way.

A reopened problem is back at work and no longer counts as done; deadlines are bounded by
the round's own dates; every change of the plan takes the round's row lock before it asks
whether the plan is signed; a measure deleted under a request is a clear refusal, not an
internal error; a progress form sent twice makes one entry.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connection

from zhenggai.audit.models import AuditEvent
from zhenggai.errors import DuplicateSubmission, Gone, InvalidInput, ServiceError, TransitionRefused
from zhenggai.ledger import selectors, services
from zhenggai.ledger.models import (
    Amendment,
    Closure,
    Evidence,
    Finding,
    Measure,
    MeasureKind,
    MeasureStatus,
    PlanSignature,
    Progress,
    Review,
    ReviewDecision,
    Round,
)
from zhenggai.ledger.policy import FINISHED
from zhenggai.ledger.selectors import MeasureFilters

S = MeasureStatus
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def today() -> dt.date:
    return selectors.today()


def build(p: Any, *, measures: int = 1, kind: str = MeasureKind.DEADLINE) -> Finding:
    """A round inspected four months ago, fed back two months ago; one problem with
    ``measures`` measures assigned to ``p.person``, due in a month. Returns the problem."""
    r = services.round_create(
        actor=p.clerk,
        unit=p.unit_a,
        title="县委第二巡察组反馈意见整改",
        period_start=today() - dt.timedelta(days=120),
        period_end=today() - dt.timedelta(days=90),
        feedback_date=today() - dt.timedelta(days=60),
    )
    cat = services.finding_create(actor=p.clerk, round=r, parent=None, kind="category", title="一、政治建设")
    problem = services.finding_create(
        actor=p.clerk, round=r, parent=cat, kind="problem", title="学习流于形式"
    )
    ms = [
        services.measure_create(actor=p.clerk, finding=problem, text=f"第{i}项措施", kind=kind)
        for i in range(1, measures + 1)
    ]
    due = today() + dt.timedelta(days=30)
    services.measure_assign_bulk(
        actor=p.clerk, round=r, measure_ids=[m.pk for m in ms], person=p.person, deadline=due
    )
    return problem


def measures_of(problem: Finding) -> list[Measure]:
    return list(Measure.objects.filter(finding=problem).order_by("position", "id"))


def finish(p: Any, m: Measure, decision: str = ReviewDecision.APPROVE) -> Measure:
    services.progress_add(actor=p.person, measure=m, text="已整改到位")
    services.measure_submit(actor=p.person, measure=m)
    services.measure_review(actor=p.leader, measure=m, decision=decision)
    m.refresh_from_db()
    return m


_TABLES = (Round, Finding, Measure, Progress, Evidence, Review, Closure, PlanSignature, Amendment, AuditEvent)


def world() -> dict[str, list[dict[str, Any]]]:
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in _TABLES}


# --- 1. a reopened problem ------------------------------------------------------------------------


def test_finding12_a_reopened_problem_is_back_at_work_everywhere_and_not_counted_as_done(personas):
    p = personas
    problem = build(p, measures=2, kind=MeasureKind.LONG_TERM)
    a, b = measures_of(problem)
    finish(p, a)
    finish(p, b, ReviewDecision.APPROVE_STAGE)
    services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    r = problem.round
    assert selectors.round_overview(user=p.supervisor, round=r).tally.problems_complete == 1

    services.finding_reopen(actor=p.supervisor, finding=problem, reason="回头看发现问题反弹")

    # Its finished measures are back at work, each with the supervisor's reason as a return.
    assert [m.status for m in measures_of(problem)] == [S.IN_PROGRESS, S.IN_PROGRESS]
    assert [m.completed_at for m in measures_of(problem)] == [None, None]
    returns = Review.objects.filter(measure__finding=problem, decision=ReviewDecision.RETURN)
    assert sorted(returns.values_list("measure_id", flat=True)) == [a.pk, b.pk]
    assert all("回头看发现问题反弹" in r_.reason for r_ in returns)

    # The overview (and the notice's sentence, built from it): 整改中, not complete, not basic.
    ov = selectors.round_overview(user=p.supervisor, round=r)
    node = ov.roots[0].children[0]
    assert node.finding.pk == problem.pk
    assert node.state == "整改中"
    t = ov.tally
    assert (t.problems, t.problems_complete, t.problems_basic, t.problems_closed) == (1, 0, 0, 0)
    assert t.completion_rate == 0
    # The problem page's state, the one function every caller uses.
    problem.refresh_from_db()
    assert selectors.problem_state(problem, [m.status for m in measures_of(problem)]) == "整改中"
    # The database-counted figures (the workbook's 统计 sheet) agree with the overview.
    counted = selectors.round_problem_tally(round=r)
    assert (counted.problems, counted.problems_complete, counted.problems_basic, counted.problems_closed) == (
        1,
        0,
        0,
        0,
    )
    # 我的任务: back in the person's todo, no longer ready to close for the supervisor.
    assert {m.pk for m in selectors.my_tasks(user=p.person)["todo"]} == {a.pk, b.pk}
    assert selectors.my_tasks(user=p.supervisor)["close"] == []
    # Search: nothing of it is 已完成 any more.
    done = selectors.measure_search(user=p.supervisor, filters=MeasureFilters(round=r.pk, status=S.DONE))
    assert list(done) == []

    # Closing again needs the work done again.
    with pytest.raises(TransitionRefused, match="未完成"):
        services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    finish(p, a)
    finish(p, b)
    services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    ov = selectors.round_overview(user=p.supervisor, round=r)
    assert (ov.tally.problems_complete, ov.tally.problems_closed) == (1, 1)


def test_finding12_a_measure_awaiting_review_stays_for_review_when_its_problem_is_reopened(personas):
    p = personas
    problem = build(p, kind=MeasureKind.LONG_TERM)
    (m,) = measures_of(problem)
    finish(p, m, ReviewDecision.APPROVE_STAGE)
    services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    # A long-term measure goes on after the close-out: new progress, submitted again.
    services.progress_add(actor=p.person, measure=m, text="持续推进")
    services.measure_submit(actor=p.person, measure=m)
    services.finding_reopen(actor=p.supervisor, finding=problem, reason="回头看发现反弹")
    m.refresh_from_db()
    assert m.status == S.PENDING_REVIEW
    assert (
        selectors.round_overview(user=p.supervisor, round=problem.round).roots[0].children[0].state
        == "整改中"
    )


def test_finding12_problem_state_counts_from_the_one_table_of_finished_statuses(personas):
    p = personas
    problem = build(p)
    f = Finding.objects.get(pk=problem.pk)
    assert selectors.problem_state(f, []) == "未开始"
    assert selectors.problem_state(f, [S.NOT_STARTED, S.NOT_STARTED]) == "未开始"
    assert selectors.problem_state(f, [S.NOT_STARTED, S.DONE]) == "整改中"
    assert selectors.problem_state(f, [S.DONE, S.STAGE_DONE]) == "基本完成"
    assert selectors.problem_state(f, [S.DONE, S.DONE]) == "已完成"
    for statuses in ([], [S.NOT_STARTED], [S.DONE, S.STAGE_DONE], [S.DONE], [S.IN_PROGRESS, S.DONE]):
        counted = selectors.problem_state_counted(
            closed=False,
            total=len(statuses),
            done=statuses.count(S.DONE),
            finished=sum(s in FINISHED for s in statuses),
            not_started=statuses.count(S.NOT_STARTED),
        )
        assert counted == selectors.problem_state(f, statuses)


# --- 2. deadlines ---------------------------------------------------------------------------------


def _out_of_range(r: Round) -> list[dt.date]:
    """Before the feedback (the issue's words: not before the feedback date, even during the
    inspection), and more than five years after the later of feedback and today."""
    latest = services.add_months(max(r.feedback_date, today()), 12 * services.DEADLINE_MAX_YEARS)
    return [
        dt.date(1999, 1, 1),
        r.period_start,
        r.feedback_date - dt.timedelta(days=1),
        latest + dt.timedelta(days=1),
        dt.date(2099, 1, 1),
    ]


def test_finding12_a_deadline_before_the_feedback_or_years_after_it_is_refused_naming_the_field(personas):
    p = personas
    problem = build(p)
    (m,) = measures_of(problem)
    r = problem.round
    for bad in _out_of_range(r):
        before = world()
        with pytest.raises(InvalidInput, match="完成时限") as err:
            services.measure_create(actor=p.clerk, finding=problem, text="新措施", deadline=bad)
        assert err.value.field == "deadline"
        with pytest.raises(InvalidInput, match="完成时限") as err:
            services.measure_update(actor=p.clerk, measure=m, expected_version=m.version, deadline=bad)
        assert err.value.field == "deadline"
        with pytest.raises(InvalidInput, match="完成时限") as err:
            services.measure_assign_bulk(actor=p.clerk, round=r, measure_ids=[m.pk], deadline=bad)
        assert err.value.field == "deadline"
        assert world() == before


def test_finding12_deadlines_within_the_rounds_range_are_accepted_and_long_term_needs_none(personas):
    p = personas
    problem = build(p)
    (m,) = measures_of(problem)
    r = problem.round
    latest = services.add_months(max(r.feedback_date, today()), 12 * services.DEADLINE_MAX_YEARS)
    # 立行立改 on the feedback day, the last allowed day, and none at all for 长期坚持.
    at_once = services.measure_create(
        actor=p.clerk, finding=problem, text="立行立改", kind=MeasureKind.IMMEDIATE, deadline=r.feedback_date
    )
    assert at_once.deadline == r.feedback_date
    services.measure_update(actor=p.clerk, measure=m, expected_version=m.version, deadline=latest)
    m.refresh_from_db()
    assert m.deadline == latest
    long_term = services.measure_create(
        actor=p.clerk, finding=problem, text="长期坚持", kind=MeasureKind.LONG_TERM, deadline=None
    )
    assert long_term.deadline is None


def test_finding12_a_round_without_dates_still_refuses_an_absurd_deadline(personas):
    p = personas
    r = services.round_create(actor=p.clerk, unit=p.unit_a, title="无日期轮次")
    problem = services.finding_create(actor=p.clerk, round=r, parent=None, kind="problem", title="问题")
    for bad in (dt.date(1999, 1, 1), dt.date(today().year + 50, 1, 1)):
        with pytest.raises(InvalidInput, match="完成时限"):
            services.measure_create(actor=p.clerk, finding=problem, text="措施", deadline=bad)
    ok = services.measure_create(actor=p.clerk, finding=problem, text="措施", deadline=today())
    assert ok.deadline == today()


# --- 3. every plan change locks the round ---------------------------------------------------------


@contextmanager
def sql_with_locks() -> Iterator[list[str]]:
    """Every statement run, with the row locks Django would take on PostgreSQL.

    SQLite has no ``FOR UPDATE``, so Django leaves it out of the SQL it sends. Here the
    connection claims to support it, so the compiler writes it, and each statement is
    recorded and then sent to SQLite without it. What runs is unchanged; the record shows
    which rows a PostgreSQL run would lock, and in which order.
    """
    if connection.vendor != "sqlite":
        # On PostgreSQL the statements carry their locks anyway.
        seen: list[str] = []

        def record(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
            seen.append(sql)
            return execute(sql, params, many, context)

        with connection.execute_wrapper(record):
            yield seen
        return
    features = connection.features
    saved = (features.has_select_for_update, features.has_select_for_update_of)
    features.has_select_for_update = features.has_select_for_update_of = True
    lock = re.compile(r"\s+FOR (?:NO KEY )?UPDATE(?:\s+OF\s+.+?)?(?:\s+NOWAIT|\s+SKIP LOCKED)?\s*$", re.S)
    seen = []

    def strip(execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any) -> Any:
        seen.append(sql)
        return execute(lock.sub("", sql), params, many, context)

    try:
        with connection.execute_wrapper(strip):
            yield seen
    finally:
        features.has_select_for_update, features.has_select_for_update_of = saved


def _round_locked_before_signature_read(statements: list[str]) -> bool:
    """A ``FOR UPDATE`` on the round row comes before the first read of the plan's signatures."""
    for sql in statements:
        if '"ledger_plansignature"' in sql:
            return False
        if "FOR UPDATE" in sql and re.search(r'FROM "ledger_round"|JOIN "ledger_round"', sql):
            locked = re.search(r"FOR UPDATE(?:\s+OF\s+(.+))?$", sql.strip(), re.S)
            if locked and (locked.group(1) is None or '"ledger_round"' in locked.group(1)):
                return True
    return False


PLAN_CHANGES: dict[str, Callable[[Any, Finding], Any]] = {
    "measure_create": lambda p, f: services.measure_create(actor=p.clerk, finding=f, text="签署后新增的措施"),
    "measure_move": lambda p, f: services.measure_move(
        actor=p.clerk, measure=measures_of(f)[1], direction="up"
    ),
    "measure_assign_bulk": lambda p, f: services.measure_assign_bulk(
        actor=p.clerk, round=f.round, measure_ids=[m.pk for m in measures_of(f)], person=p.person2
    ),
    "measure_update": lambda p, f: services.measure_update(
        actor=p.clerk, measure=measures_of(f)[0], expected_version=measures_of(f)[0].version, text="改"
    ),
    "measure_split": lambda p, f: services.measure_split(
        actor=p.clerk,
        measure=measures_of(f)[0],
        texts=["一", "二"],
        expected_version=measures_of(f)[0].version,
    ),
    "measure_delete": lambda p, f: services.measure_delete(actor=p.clerk, measure=measures_of(f)[1]),
}


@pytest.mark.parametrize("change", sorted(PLAN_CHANGES))
def test_finding12_every_change_of_the_plan_locks_the_round_before_it_asks_whether_the_plan_is_signed(
    personas, change
):
    p = personas
    problem = build(p, measures=2)
    services.plan_sign(actor=p.leader, round=problem.round)
    with sql_with_locks() as statements:
        PLAN_CHANGES[change](p, problem)
    assert _round_locked_before_signature_read(statements), statements


@pytest.mark.parametrize("change", ["measure_create", "measure_move", "measure_assign_bulk"])
def test_finding12_after_signing_create_move_and_bulk_assign_each_record_an_amendment(personas, change):
    p = personas
    problem = build(p, measures=2)
    sig = services.plan_sign(actor=p.leader, round=problem.round)
    PLAN_CHANGES[change](p, problem)
    amendments = Amendment.objects.filter(round=problem.round)
    assert amendments.exists()
    assert set(amendments.values_list("signed_version", flat=True)) == {sig.version}
    assert services.plan_digest(problem.round) != sig.digest


# --- 4. a measure deleted under a request ----------------------------------------------------------


def _deleted(m: Measure) -> Measure:
    """``m`` as a page loaded it, after someone else deleted it."""
    Measure.objects.filter(pk=m.pk).delete()
    return m


@pytest.mark.parametrize(
    "call",
    [
        lambda p, m: services.measure_move(actor=p.clerk, measure=m, direction="up"),
        lambda p, m: services.progress_add(actor=p.person, measure=m, text="进展"),
        lambda p, m: services.measure_update(actor=p.clerk, measure=m, expected_version=m.version, text="改"),
        lambda p, m: services.measure_submit(actor=p.person, measure=m),
        lambda p, m: services.measure_delete(actor=p.clerk, measure=m),
        lambda p, m: services.measure_split(actor=p.clerk, measure=m, texts=["一", "二"], expected_version=1),
        lambda p, m: services.measure_review(actor=p.leader, measure=m, decision="approve"),
        lambda p, m: services.measure_set_sensitivity(actor=p.clerk, measure=m, sensitivity="public"),
    ],
    ids=["move", "progress", "update", "submit", "delete", "split", "review", "label"],
)
def test_finding12_a_measure_deleted_meanwhile_is_refused_as_gone_not_an_internal_error(personas, call):
    p = personas
    problem = build(p, measures=2)
    m = _deleted(measures_of(problem)[1])
    before = world()
    with pytest.raises(Gone, match="已被删除") as err:
        call(p, m)
    assert isinstance(err.value, ServiceError)
    assert err.value.http_status == 409
    assert world() == before


# --- 5. a progress form sent twice -----------------------------------------------------------------


def test_finding12_a_progress_entry_sent_twice_with_one_token_is_saved_once(personas):
    p = personas
    (m,) = measures_of(build(p))
    token = "tok-" + "a" * 28
    first = services.progress_add(
        actor=p.person,
        measure=m,
        text="已召开专题会议",
        files=[(io.BytesIO(PDF), "会议纪要.pdf")],
        token=token,
    )
    before = world()
    with pytest.raises(DuplicateSubmission) as err:
        services.progress_add(
            actor=p.person,
            measure=m,
            text="已召开专题会议",
            files=[(io.BytesIO(PDF), "会议纪要.pdf")],
            token=token,
        )
    assert err.value.existing.pk == first.pk
    assert "已经提交" in str(err.value)
    assert world() == before
    # A new form (a new token) is a new entry.
    services.progress_add(actor=p.person, measure=m, text="又召开一次", token="tok-" + "b" * 28)
    assert Progress.objects.filter(measure=m).count() == 2
    # Without a token (the workbook import, the command line) nothing is deduplicated.
    services.progress_add(actor=p.person, measure=m, text="又召开一次")
    services.progress_add(actor=p.person, measure=m, text="又召开一次")
    assert Progress.objects.filter(measure=m).count() == 4


def test_finding12_a_malformed_progress_token_is_refused(personas):
    p = personas
    (m,) = measures_of(build(p))
    before = world()
    with pytest.raises(InvalidInput):
        services.progress_add(actor=p.person, measure=m, text="进展", token="x" * 200)
    assert world() == before
