"""The ledger's writes: the transition table, who may act, close-out, the plan and its audit trail.

Everything runs against the real database through the services; a refused call is
checked against a dump of every ledger table taken before it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction

from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed, StaleEdit, TransitionRefused
from zhenggai.ledger import services
from zhenggai.ledger.models import (
    Amendment,
    Closure,
    ClosureAction,
    Evidence,
    Finding,
    Measure,
    MeasureKind,
    MeasureStatus,
    PlanSignature,
    ProblemStatus,
    Progress,
    Review,
    ReviewDecision,
    Round,
)
from zhenggai.units.models import Role
from zhenggai.units.services import membership_grant

S = MeasureStatus


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    # The personas set passwords; the production hasher costs ~0.2 s a user.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- building blocks ---------------------------------------------------------------------------


def build_plan(
    p: Any, *, measures: int = 1, kind: str = MeasureKind.LONG_TERM, prereview: bool = False
) -> Finding:
    """A hand-built round (category → issue → problem) with ``measures`` measures on the problem,
    all assigned to ``p.person`` (and, with ``prereview``, to ``p.responsible_leader`` as their
    leader in a round with 责任领导预审); returns the problem."""
    r = services.round_create(
        actor=p.clerk,
        unit=p.unit_a,
        title="2024年县委第一轮巡察",
        feedback_date=dt.date(2024, 1, 31),
        leader_prereview=prereview,
    )
    cat = services.finding_create(
        actor=p.clerk, round=r, parent=None, kind="category", title="一、党的领导方面"
    )
    issue = services.finding_create(actor=p.clerk, round=r, parent=cat, kind="issue", title="理论学习有差距")
    problem = services.finding_create(
        actor=p.clerk, round=r, parent=issue, kind="problem", title="学习次数少"
    )
    ms = [
        services.measure_create(actor=p.clerk, finding=problem, text=f"第{i}项措施：制定学习计划", kind=kind)
        for i in range(1, measures + 1)
    ]
    if ms:
        leader = p.responsible_leader if prereview else None
        services.measure_assign_bulk(
            actor=p.clerk, round=r, measure_ids=[m.pk for m in ms], person=p.person, leader=leader
        )
    return problem


def first_measure(problem: Finding) -> Measure:
    return Measure.objects.filter(finding=problem).order_by("position").first()


PATH_TO: dict[str, list[str]] = {
    S.NOT_STARTED: [],
    S.IN_PROGRESS: ["progress"],
    S.PENDING_REVIEW: ["progress", "submit"],
    S.DONE: ["progress", "submit", "approve"],
    S.STAGE_DONE: ["progress", "submit", "approve_stage"],
    S.LEADER_REVIEW: ["progress", "submit"],  # in a round with 责任领导预审
}


def advance(p: Any, m: Measure, status: str) -> Measure:
    """Walk a measure through the real workflow to ``status``."""
    for step in PATH_TO[status]:
        if step == "progress":
            services.progress_add(actor=p.person, measure=m, text="已制定学习计划并组织学习")
        elif step == "submit":
            services.measure_submit(actor=p.person, measure=m)
            if status != S.LEADER_REVIEW and Measure.objects.get(pk=m.pk).status == S.LEADER_REVIEW:
                services.measure_leader_review(actor=p.responsible_leader, measure=m, decision="approve")
        else:
            services.measure_review(actor=p.leader, measure=m, decision=step)
    m.refresh_from_db()
    assert m.status == status
    return m


_TABLES = (Round, Finding, Measure, Progress, Evidence, Review, Closure, PlanSignature, Amendment, AuditEvent)


def world() -> dict[str, list[dict[str, Any]]]:
    """Every row of every ledger table (and the audit log): 'nothing changed' means this is equal."""
    return {model.__name__: list(model.objects.order_by("pk").values()) for model in _TABLES}


def last_event_id() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def events_after(pk: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(pk__gt=pk).order_by("pk"))


# --- the transition table ----------------------------------------------------------------------

ACTIONS = [
    *("start", "submit", "approve", "approve_stage", "return", "send_back"),
    *("submit_leader", "leader_approve", "leader_return"),
]
#: The actions of 责任领导预审, tried in a round that has it.
LEADER_ACTIONS = {"submit_leader", "leader_approve", "leader_return"}


def do_action(action: str, p: Any, m: Measure) -> None:
    if action == "start":  # the only way to start is to report progress
        services.progress_add(actor=p.person, measure=m, text="开始整改，已召开专题会议")
    elif action in ("submit", "submit_leader"):  # which one is the round's: 责任领导预审 or not
        services.measure_submit(actor=p.person, measure=m)
    elif action == "leader_approve":
        services.measure_leader_review(actor=p.responsible_leader, measure=m, decision=ReviewDecision.APPROVE)
    elif action == "leader_return":
        services.measure_leader_review(
            actor=p.responsible_leader, measure=m, decision=ReviewDecision.RETURN, reason="佐证材料不足"
        )
    elif action in ("approve", "approve_stage"):
        services.measure_review(actor=p.leader, measure=m, decision=action)
    elif action == "return":
        services.measure_review(
            actor=p.leader, measure=m, decision=ReviewDecision.RETURN, reason="佐证材料不足"
        )
    elif action == "send_back":
        services.finding_send_back(actor=p.supervisor, finding=m.finding, reason="对账发现整改不实")
    else:
        raise AssertionError(action)


def test_the_action_matrix_covers_every_transition_in_the_table():
    assert set(ACTIONS) == set(services.TRANSITIONS)
    assert {s for sources, _ in services.TRANSITIONS.values() for s in sources} <= set(S.values)


@pytest.mark.parametrize("status", S.values)
@pytest.mark.parametrize("action", ACTIONS)
def test_an_action_moves_a_measure_only_from_a_status_the_table_allows_and_otherwise_changes_nothing(
    personas, action, status
):
    p = personas
    prereview = action in LEADER_ACTIONS or status == S.LEADER_REVIEW
    m = advance(p, first_measure(build_plan(p, prereview=prereview)), status)
    sources, target = services.TRANSITIONS[action]
    if action == "start" and status in (S.IN_PROGRESS, S.STAGE_DONE):
        # Progress on a measure already under way is accepted without a transition.
        before = Progress.objects.count()
        do_action(action, p, m)
        m.refresh_from_db()
        assert m.status == status
        assert Progress.objects.count() == before + 1
    elif status in sources:
        version = m.version
        do_action(action, p, m)
        m.refresh_from_db()
        assert m.status == target
        assert m.version == version + 1
        assert (m.completed_at is not None) == (target == S.DONE)
    else:
        before = world()
        with pytest.raises(TransitionRefused):
            do_action(action, p, m)
        assert world() == before


def test_progress_on_a_not_started_measure_moves_it_to_in_progress(personas):
    m = first_measure(build_plan(personas))
    assert m.status == S.NOT_STARTED
    progress = services.progress_add(actor=personas.person, measure=m, text="  已召开专题会议  ")
    m.refresh_from_db()
    assert m.status == S.IN_PROGRESS
    assert progress.text == "已召开专题会议"
    assert progress.author == personas.person
    assert progress.unit == personas.unit_a


def test_progress_without_text_is_refused_naming_the_field(personas):
    m = first_measure(build_plan(personas))
    before = world()
    with pytest.raises(InvalidInput) as err:
        services.progress_add(actor=personas.person, measure=m, text="   ")
    assert err.value.field == "text"
    assert world() == before


def test_a_measure_without_any_progress_cannot_be_submitted(personas):
    m = first_measure(build_plan(personas))
    # A measure marked under way without a progress entry (e.g. carried over by hand).
    Measure.objects.filter(pk=m.pk).update(status=S.IN_PROGRESS)
    before = world()
    with pytest.raises(TransitionRefused, match="请先填报整改进展"):
        services.measure_submit(actor=personas.person, measure=m)
    assert world() == before


def test_returning_a_measure_needs_a_reason_and_records_it(personas):
    p = personas
    m = advance(p, first_measure(build_plan(p)), S.PENDING_REVIEW)
    before = world()
    with pytest.raises(InvalidInput) as err:
        services.measure_review(actor=p.leader, measure=m, decision=ReviewDecision.RETURN, reason="  ")
    assert err.value.field == "reason"
    assert world() == before
    services.measure_review(
        actor=p.leader, measure=m, decision=ReviewDecision.RETURN, reason=" 缺少会议记录 "
    )
    m.refresh_from_db()
    assert m.status == S.IN_PROGRESS
    review = Review.objects.get(measure=m)
    assert (review.decision, review.reason, review.reviewer) == (
        ReviewDecision.RETURN,
        "缺少会议记录",
        p.leader,
    )


def test_an_unknown_review_decision_is_refused(personas):
    p = personas
    m = advance(p, first_measure(build_plan(p)), S.PENDING_REVIEW)
    before = world()
    with pytest.raises(InvalidInput) as err:
        services.measure_review(actor=p.leader, measure=m, decision="close")
    assert err.value.field == "decision"
    assert world() == before


@pytest.mark.parametrize("kind", [MeasureKind.DEADLINE, MeasureKind.IMMEDIATE])
def test_only_a_long_term_measure_can_be_marked_stage_done(personas, kind):
    p = personas
    m = advance(p, first_measure(build_plan(p, kind=kind)), S.PENDING_REVIEW)
    before = world()
    with pytest.raises(TransitionRefused, match="长期坚持"):
        services.measure_review(actor=p.leader, measure=m, decision=ReviewDecision.APPROVE_STAGE)
    assert world() == before


def test_a_stage_done_long_term_measure_takes_more_progress_and_can_be_submitted_again(personas):
    p = personas
    m = advance(p, first_measure(build_plan(p)), S.STAGE_DONE)
    services.progress_add(actor=p.person, measure=m, text="第二季度继续开展学习4次")
    m.refresh_from_db()
    assert m.status == S.STAGE_DONE
    services.measure_submit(actor=p.person, measure=m)
    m.refresh_from_db()
    assert m.status == S.PENDING_REVIEW
    services.measure_review(actor=p.leader, measure=m, decision=ReviewDecision.APPROVE)
    m.refresh_from_db()
    assert m.status == S.DONE
    assert m.completed_at is not None
    assert Progress.objects.filter(measure=m).count() == 2
    assert list(Review.objects.filter(measure=m).values_list("decision", flat=True)) == [
        ReviewDecision.APPROVE_STAGE,
        ReviewDecision.APPROVE,
    ]


# --- who may do what ---------------------------------------------------------------------------


def _users(p: Any) -> dict[str, Any]:
    """The personas, a supervisor of the sibling unit B and a user with no membership at all."""
    User = get_user_model()
    users = p.all_users()
    sibling = User.objects.create(username="sibling_supervisor", display_name="钱监督")
    membership_grant(actor=None, user=sibling, unit=p.unit_b, role=Role.SUPERVISOR)
    users["sibling_supervisor"] = sibling
    users["stranger"] = User.objects.create(username="stranger", display_name="吴路人")
    return users


def _close(p: Any, m: Measure) -> None:
    services.finding_close(actor=p.supervisor, finding=m.finding, opinion="整改到位，同意销号")


# action → (status to prepare the measure in, who may do it, the call)
WHO: dict[str, tuple[str, set[str], Callable[[Any, Measure, Any], Any]]] = {
    "progress_add": (
        S.NOT_STARTED,
        {"person", "clerk"},
        lambda a, m, p: services.progress_add(actor=a, measure=m, text="已整改"),
    ),
    "measure_submit": (
        S.IN_PROGRESS,
        {"person", "clerk"},
        lambda a, m, p: services.measure_submit(actor=a, measure=m),
    ),
    "measure_review": (
        S.PENDING_REVIEW,
        {"leader"},
        lambda a, m, p: services.measure_review(actor=a, measure=m, decision="approve"),
    ),
    "finding_close": (
        S.DONE,
        {"supervisor"},
        lambda a, m, p: services.finding_close(actor=a, finding=m.finding, opinion="整改到位，同意销号"),
    ),
    "finding_send_back": (
        S.DONE,
        {"supervisor"},
        lambda a, m, p: services.finding_send_back(actor=a, finding=m.finding, reason="不实"),
    ),
    "finding_reopen": (
        "closed",
        {"supervisor"},
        lambda a, m, p: services.finding_reopen(actor=a, finding=m.finding, reason="问题反弹"),
    ),
    "plan_sign": (S.NOT_STARTED, {"leader"}, lambda a, m, p: services.plan_sign(actor=a, round=m.round)),
    "measure_update": (
        S.NOT_STARTED,
        {"clerk"},
        lambda a, m, p: services.measure_update(
            actor=a, measure=m, expected_version=m.version, text="修改后的措施"
        ),
    ),
    "measure_assign_bulk": (
        S.NOT_STARTED,
        {"clerk"},
        lambda a, m, p: services.measure_assign_bulk(
            actor=a, round=m.round, measure_ids=[m.pk], person=p.person2
        ),
    ),
    "measure_accept_suggestion": (
        S.NOT_STARTED,
        {"clerk"},
        lambda a, m, p: services.measure_accept_suggestion(actor=a, measure=m),
    ),
    "measure_create": (
        S.NOT_STARTED,
        {"clerk"},
        lambda a, m, p: services.measure_create(actor=a, finding=m.finding, text="新增措施"),
    ),
    "measure_split": (
        S.NOT_STARTED,
        {"clerk"},
        lambda a, m, p: services.measure_split(
            actor=a, measure=m, texts=["一", "二"], expected_version=m.version
        ),
    ),
    "measure_move": (
        S.NOT_STARTED,
        {"clerk"},
        lambda a, m, p: services.measure_move(actor=a, measure=m, direction="down"),
    ),
    "measure_delete": (S.NOT_STARTED, {"clerk"}, lambda a, m, p: services.measure_delete(actor=a, measure=m)),
    "finding_create": (
        S.NOT_STARTED,
        {"clerk"},
        lambda a, m, p: services.finding_create(
            actor=a, round=m.round, parent=None, kind="category", title="四、其他方面"
        ),
    ),
    "round_create": (
        S.NOT_STARTED,
        {"clerk"},
        lambda a, m, p: services.round_create(actor=a, unit=p.unit_a, title="专项巡察"),
    ),
}


@pytest.mark.parametrize("action", list(WHO))
def test_only_the_right_role_may_act_and_every_refusal_writes_nothing(personas, action):
    p = personas
    status, allowed, call = WHO[action]
    problem = build_plan(p, measures=2)
    m = first_measure(problem)
    # Both measures of the problem reach the status, so that close-out applies to the problem.
    for sibling in Measure.objects.filter(finding=problem).exclude(pk=m.pk):
        advance(p, sibling, S.DONE if status == "closed" else status)
    m = advance(p, m, S.DONE if status == "closed" else status)
    if status == "closed":
        _close(p, m)
    Measure.objects.filter(pk=m.pk).update(suggested_deadline=dt.date(2024, 6, 30))
    m.refresh_from_db()
    users = _users(p)
    assert allowed < set(users)
    before = world()
    for name, user in users.items():
        if name in allowed:
            continue
        with pytest.raises(NotAllowed):
            call(user, m, p)
        assert world() == before, f"{name} was refused {action} but something changed"
    for name in allowed:
        with transaction.atomic():
            call(users[name], m, p)
            assert world() != before, f"{name} may {action} but nothing changed"
            transaction.set_rollback(True)


def test_a_refusal_for_lack_of_role_comes_before_anything_about_the_object_is_revealed(personas):
    p = personas
    problem = build_plan(p)
    m = first_measure(problem)  # no suggested deadline; the category cannot be closed anyway
    category = problem.parent.parent
    before = world()
    for call in (
        lambda: services.finding_close(actor=p.outsider, finding=category, opinion="整改到位，同意销号"),
        lambda: services.finding_reopen(actor=p.viewer, finding=problem, reason="x"),
        lambda: services.finding_send_back(actor=p.leader, finding=problem, reason=""),
        lambda: services.measure_accept_suggestion(actor=p.outsider, measure=m),
        lambda: services.measure_review(actor=p.outsider, measure=m, decision="bogus"),
        lambda: services.measure_update(actor=p.outsider, measure=m, expected_version=0, text=""),
    ):
        with pytest.raises(NotAllowed):
            call()
    assert world() == before


def test_a_clerk_of_the_unit_above_may_edit_and_a_leader_above_may_review(personas):
    p = personas
    User = get_user_model()
    bureau_clerk = User.objects.create(username="bureau_clerk")
    bureau_leader = User.objects.create(username="bureau_leader")
    membership_grant(actor=None, user=bureau_clerk, unit=p.police, role=Role.CLERK)
    membership_grant(actor=None, user=bureau_leader, unit=p.police, role=Role.UNIT_LEADER)
    m = advance(p, first_measure(build_plan(p)), S.IN_PROGRESS)
    services.measure_submit(actor=bureau_clerk, measure=m)
    services.measure_review(actor=bureau_leader, measure=m, decision=ReviewDecision.APPROVE)
    m.refresh_from_db()
    assert m.status == S.DONE


# --- close-out ---------------------------------------------------------------------------------


def test_a_close_out_takes_an_opinion_kept_as_its_reason_with_the_cycle(personas):
    p = personas
    problem = build_plan(p)
    advance(p, first_measure(problem), S.DONE)
    before = world()
    with pytest.raises(InvalidInput, match="销号意见") as err:
        services.finding_close(actor=p.supervisor, finding=problem, opinion="  ")
    assert err.value.field == "opinion"
    assert world() == before
    services.finding_close(actor=p.supervisor, finding=problem, opinion="  核查会议记录，整改到位  ")
    closure = Closure.objects.get(finding=problem)
    assert (closure.action, closure.reason, closure.cycle) == ("close", "核查会议记录，整改到位", 1)



def test_a_problem_closes_only_when_every_measure_is_done_or_stage_done(personas):
    p = personas
    problem = build_plan(p, measures=3)
    a, b, c = Measure.objects.filter(finding=problem).order_by("position")
    advance(p, a, S.DONE)
    advance(p, b, S.STAGE_DONE)
    advance(p, c, S.PENDING_REVIEW)
    before = world()
    with pytest.raises(TransitionRefused, match="未完成"):
        services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    assert world() == before

    services.measure_review(actor=p.leader, measure=c, decision=ReviewDecision.APPROVE)
    closed = services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED == closed.status
    assert problem.closed_by == p.supervisor
    assert problem.closed_at is not None
    closure = Closure.objects.get(finding=problem)
    assert (closure.action, closure.actor, closure.unit) == (ClosureAction.CLOSE, p.supervisor, p.unit_a)

    before = world()
    with pytest.raises(TransitionRefused, match="已经销号"):
        services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    assert world() == before


def test_a_problem_without_measures_and_a_category_cannot_be_closed(personas):
    p = personas
    problem = build_plan(p)
    empty = services.finding_create(
        actor=p.clerk, round=problem.round, parent=problem.parent, kind="problem", title="没有措施的问题"
    )
    before = world()
    with pytest.raises(TransitionRefused, match="没有整改措施"):
        services.finding_close(actor=p.supervisor, finding=empty, opinion="整改到位，同意销号")
    category = problem.parent.parent
    with pytest.raises(TransitionRefused, match="只有具体问题"):
        services.finding_close(actor=p.supervisor, finding=category, opinion="整改到位，同意销号")
    assert world() == before


def test_sending_a_problem_back_returns_its_finished_measures_to_work_with_a_review_and_a_closure(personas):
    p = personas
    problem = build_plan(p, measures=4)
    a, b, c, d = Measure.objects.filter(finding=problem).order_by("position")
    advance(p, a, S.DONE)
    advance(p, b, S.STAGE_DONE)
    advance(p, c, S.PENDING_REVIEW)
    advance(p, d, S.IN_PROGRESS)
    before = world()
    with pytest.raises(InvalidInput) as err:
        services.finding_send_back(actor=p.supervisor, finding=problem, reason=" ")
    assert err.value.field == "reason"
    assert world() == before

    services.finding_send_back(actor=p.supervisor, finding=problem, reason="台账与实际不符")
    for m in (a, b, c, d):
        m.refresh_from_db()
        assert m.status == S.IN_PROGRESS
        assert m.completed_at is None
    returned = Review.objects.filter(decision=ReviewDecision.RETURN, reason="台账与实际不符")
    assert sorted(returned.values_list("measure_id", flat=True)) == sorted([a.pk, b.pk, c.pk])
    assert set(returned.values_list("reviewer", flat=True)) == {p.supervisor.pk}
    closure = Closure.objects.get(finding=problem)
    assert (closure.action, closure.reason) == (ClosureAction.SEND_BACK, "台账与实际不符")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.OPEN


def test_sending_back_a_problem_with_nothing_finished_or_already_closed_is_refused(personas):
    p = personas
    problem = build_plan(p)
    m = first_measure(problem)
    advance(p, m, S.IN_PROGRESS)
    before = world()
    with pytest.raises(TransitionRefused, match="无需退回"):
        services.finding_send_back(actor=p.supervisor, finding=problem, reason="不实")
    assert world() == before
    services.measure_submit(actor=p.person, measure=m)
    services.measure_review(actor=p.leader, measure=m, decision=ReviewDecision.APPROVE)
    services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    before = world()
    with pytest.raises(TransitionRefused, match="重新打开"):
        services.finding_send_back(actor=p.supervisor, finding=problem, reason="不实")
    assert world() == before


def test_only_a_closed_problem_is_reopened_with_a_reason_and_each_reopening_is_counted(personas):
    # Reopening sends the finished measures back to work (issue 8, finding 12): closing again
    # needs them reported and reviewed again.
    p = personas
    problem = build_plan(p)
    m = advance(p, first_measure(problem), S.DONE)
    before = world()
    with pytest.raises(TransitionRefused, match="只有已销号"):
        services.finding_reopen(actor=p.supervisor, finding=problem, reason="问题反弹")
    assert world() == before

    services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    before = world()
    with pytest.raises(InvalidInput) as err:
        services.finding_reopen(actor=p.supervisor, finding=problem, reason="")
    assert err.value.field == "reason"
    assert world() == before

    for n in (1, 2):
        services.finding_reopen(actor=p.supervisor, finding=problem, reason=f"第{n}次回头看发现反弹")
        problem.refresh_from_db()
        assert (problem.status, problem.reopen_count, problem.closed_at, problem.closed_by) == (
            ProblemStatus.OPEN,
            n,
            None,
            None,
        )
        m.refresh_from_db()
        assert m.status == S.IN_PROGRESS  # back to work: the relapse is rectified again
        if n == 1:
            with pytest.raises(TransitionRefused, match="未完成"):
                services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
            advance(p, m, S.DONE)
            services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    assert list(Closure.objects.filter(finding=problem).values_list("action", flat=True)) == [
        ClosureAction.CLOSE,
        ClosureAction.REOPEN,
        ClosureAction.CLOSE,
        ClosureAction.REOPEN,
    ]
    assert Review.objects.filter(measure=m, decision=ReviewDecision.RETURN).count() == 2


# --- the plan ----------------------------------------------------------------------------------


def test_the_leader_signs_the_plan_with_its_version_and_digest_and_signing_again_makes_version_two(personas):
    p = personas
    problem = build_plan(p)
    r = problem.round
    sig = services.plan_sign(actor=p.leader, round=r)
    assert (sig.version, sig.signer, sig.unit) == (1, p.leader, p.unit_a)
    assert sig.digest == services.plan_digest(r)
    assert len(sig.digest) == 64
    services.measure_update(
        actor=p.clerk,
        measure=first_measure(problem),
        expected_version=first_measure(problem).version,
        deadline=dt.date(2024, 12, 31),
    )
    assert services.plan_digest(r) != sig.digest
    again = services.plan_sign(actor=p.leader, round=r)
    assert again.version == 2
    assert again.digest == services.plan_digest(r)
    r.refresh_from_db()
    assert r.plan_version == 3  # the version the next signature will carry
    assert list(PlanSignature.objects.filter(round=r).values_list("version", flat=True)) == [1, 2]


def test_a_plan_without_measures_cannot_be_signed(personas):
    p = personas
    r = services.round_create(actor=p.clerk, unit=p.unit_a, title="空方案")
    before = world()
    with pytest.raises(TransitionRefused):
        services.plan_sign(actor=p.leader, round=r)
    assert world() == before


def _edit_the_plan(p: Any, problem: Finding) -> None:
    """One of each plan edit: update, create, split, delete, bulk assignment."""
    a, b = Measure.objects.filter(finding=problem).order_by("position")
    services.measure_update(actor=p.clerk, measure=a, expected_version=a.version, text="修改后的第一项措施")
    new = services.measure_create(actor=p.clerk, finding=problem, text="新增一项措施")
    b.refresh_from_db()
    services.measure_split(
        actor=p.clerk, measure=b, texts=["第二项之一", "第二项之二"], expected_version=b.version
    )
    services.measure_delete(actor=p.clerk, measure=new)
    services.measure_assign_bulk(
        actor=p.clerk,
        round=problem.round,
        measure_ids=[a.pk],
        person=p.person2,
        deadline=dt.date(2024, 6, 30),
    )


def test_plan_edits_before_signing_are_not_amendments(personas):
    problem = build_plan(personas, measures=2)
    _edit_the_plan(personas, problem)
    assert Amendment.objects.count() == 0


def test_every_edit_of_a_signed_plan_is_an_amendment_with_before_and_after(personas):
    p = personas
    problem = build_plan(p, measures=2)
    a, b = Measure.objects.filter(finding=problem).order_by("position")
    services.plan_sign(actor=p.leader, round=problem.round)
    _edit_the_plan(p, problem)
    rows = list(Amendment.objects.order_by("pk"))
    assert [r.description for r in rows] == [
        "修改整改措施",
        "新增整改措施",
        "拆分整改措施",
        "删除整改措施",
        "批量分配",
    ]
    assert {(r.signed_version, r.actor_id, r.round_id, r.unit_id) for r in rows} == {
        (1, p.clerk.pk, problem.round_id, p.unit_a.pk)
    }
    update, create, split, delete, assign = rows
    assert (update.measure_id, update.before, update.after) == (
        a.pk,
        {"text": "第1项措施：制定学习计划"},
        {"text": "修改后的第一项措施"},
    )
    assert (create.before, create.after) == ({}, {"text": "新增一项措施"})
    assert (split.measure_id, split.before, split.after) == (
        b.pk,
        {"text": "第2项措施：制定学习计划"},
        {"texts": ["第二项之一", "第二项之二"]},
    )
    assert delete.measure_id is None
    assert delete.before["text"] == "新增一项措施"
    assert delete.after == {}
    assert (assign.measure_id, assign.before, assign.after) == (
        a.pk,
        {"person": p.person.pk, "deadline": None},
        {"person": p.person2.pk, "deadline": "2024-06-30"},
    )


def test_reordering_a_signed_plan_is_an_amendment_too(personas):
    p = personas
    problem = build_plan(p, measures=2)
    _a, b = Measure.objects.filter(finding=problem).order_by("position")
    sig = services.plan_sign(actor=p.leader, round=problem.round)
    services.measure_move(actor=p.clerk, measure=b, direction="up")
    amendment = Amendment.objects.get()
    assert (amendment.measure_id, amendment.before, amendment.after) == (
        b.pk,
        {"position": 2},
        {"position": 1},
    )
    assert services.plan_digest(problem.round) != sig.digest


def test_amendments_after_a_second_signature_name_the_second_version(personas):
    p = personas
    problem = build_plan(p)
    services.plan_sign(actor=p.leader, round=problem.round)
    services.plan_sign(actor=p.leader, round=problem.round)
    m = first_measure(problem)
    services.measure_update(actor=p.clerk, measure=m, expected_version=m.version, text="再次修改")
    assert Amendment.objects.get().signed_version == 2


# --- editing measures --------------------------------------------------------------------------


def test_a_stale_edit_is_refused_and_overwrites_nothing(personas):
    p = personas
    m = first_measure(build_plan(p))
    page_version = m.version
    services.measure_update(actor=p.clerk, measure=m, expected_version=page_version, text="甲的修改")
    before = world()
    with pytest.raises(StaleEdit, match="已被他人修改"):
        services.measure_update(actor=p.clerk, measure=m, expected_version=page_version, text="乙的修改")
    assert world() == before
    m.refresh_from_db()
    assert (m.text, m.version) == ("甲的修改", page_version + 1)


def test_a_split_from_a_stale_page_is_refused(personas):
    p = personas
    m = first_measure(build_plan(p))
    services.measure_update(actor=p.clerk, measure=m, expected_version=m.version, text="甲的修改")
    before = world()
    with pytest.raises(StaleEdit):
        services.measure_split(actor=p.clerk, measure=m, texts=["一", "二"], expected_version=m.version - 1)
    assert world() == before


@pytest.mark.parametrize("field", ["person", "leader"])
def test_assigning_someone_who_is_not_a_member_of_the_unit_is_refused_naming_the_field(personas, field):
    p = personas
    m = first_measure(build_plan(p))
    before = world()
    with pytest.raises(InvalidInput, match="不是本单位人员") as err:
        services.measure_update(actor=p.clerk, measure=m, expected_version=m.version, **{field: p.outsider})
    assert err.value.field == field
    with pytest.raises(InvalidInput) as err:
        services.measure_assign_bulk(
            actor=p.clerk, round=m.round, measure_ids=[m.pk], **{field: p.supervisor}
        )
    assert err.value.field == field
    assert world() == before


def test_a_department_outside_the_unit_is_refused(personas):
    p = personas
    m = first_measure(build_plan(p))
    before = world()
    for dept in (p.unit_b, p.police):
        with pytest.raises(InvalidInput) as err:
            services.measure_update(actor=p.clerk, measure=m, expected_version=m.version, department=dept)
        assert err.value.field == "department"
    assert world() == before
    services.measure_update(
        actor=p.clerk,
        measure=m,
        expected_version=m.version,
        department=p.departments[1],
        leader=p.responsible_leader,
    )
    m.refresh_from_db()
    assert (m.department, m.leader) == (p.departments[1], p.responsible_leader)


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"text": "   "}, "text"),
        ({"kind": "forever"}, "kind"),
        ({"status": S.DONE}, None),
        ({"unit": None}, None),
    ],
    ids=["blank-text", "unknown-kind", "status-is-not-editable", "unit-is-not-editable"],
)
def test_an_edit_with_unusable_values_is_refused_and_changes_nothing(personas, values, field):
    p = personas
    m = first_measure(build_plan(p))
    before = world()
    with pytest.raises(InvalidInput) as err:
        services.measure_update(actor=p.clerk, measure=m, expected_version=m.version, **values)
    assert err.value.field == field
    assert world() == before


def test_an_edit_that_changes_nothing_writes_nothing(personas):
    p = personas
    m = first_measure(build_plan(p))
    before = world()
    services.measure_update(
        actor=p.clerk, measure=m, expected_version=m.version, text=m.text, person=p.person
    )
    assert world() == before


def test_accepting_a_suggested_deadline_sets_it(personas, seed_round):
    p = personas
    m = Measure.objects.filter(round=seed_round).exclude(suggested_deadline=None).get()
    services.measure_accept_suggestion(actor=p.clerk, measure=m)
    m.refresh_from_db()
    assert m.deadline == m.suggested_deadline
    other = Measure.objects.filter(round=seed_round, suggested_deadline=None).first()
    with pytest.raises(InvalidInput):
        services.measure_accept_suggestion(actor=p.clerk, measure=other)


def test_bulk_assignment_sets_owners_and_deadline_on_the_selected_measures_only(personas, seed_round):
    p = personas
    ids = list(Measure.objects.filter(round=seed_round).order_by("pk").values_list("pk", flat=True))
    chosen = ids[:5]
    n = services.measure_assign_bulk(
        actor=p.clerk,
        round=seed_round,
        measure_ids=chosen,
        person=p.person2,
        leader=p.responsible_leader,
        department=p.departments[0],
        deadline=days_from_today(200),
    )
    assert n == 5
    assigned = Measure.objects.filter(round=seed_round, person=p.person2)
    assert sorted(assigned.values_list("pk", flat=True)) == chosen
    assert set(assigned.values_list("leader", "department", "deadline")) == {
        (p.responsible_leader.pk, p.departments[0].pk, days_from_today(200))
    }


def test_bulk_assignment_needs_a_value_and_a_selection_of_this_round(personas, seed_round):
    p = personas
    other = first_measure(build_plan(p))
    before = world()
    with pytest.raises(InvalidInput):
        services.measure_assign_bulk(actor=p.clerk, round=seed_round, measure_ids=[other.pk], person=None)
    with pytest.raises(InvalidInput, match="勾选"):
        services.measure_assign_bulk(actor=p.clerk, round=seed_round, measure_ids=[other.pk], person=p.person)
    with pytest.raises(InvalidInput):
        services.measure_assign_bulk(actor=p.clerk, round=seed_round, measure_ids=[other.pk], text="改")
    assert world() == before


# --- positions ---------------------------------------------------------------------------------


def order(problem: Finding) -> list[tuple[int, str]]:
    return list(
        Measure.objects.filter(finding=problem).order_by("position", "id").values_list("position", "text")
    )


def texts(problem: Finding) -> list[str]:
    rows = order(problem)
    assert [pos for pos, _ in rows] == list(range(1, len(rows) + 1)), f"positions not 1..n: {rows}"
    return [t for _, t in rows]


def _abcd(p: Any) -> tuple[Finding, list[Measure]]:
    problem = build_plan(p, measures=0)
    ms = [services.measure_create(actor=p.clerk, finding=problem, text=t) for t in "ABCD"]
    return problem, ms


def test_splitting_a_measure_puts_its_parts_in_its_place_with_its_owners(personas):
    p = personas
    problem, (_a, b, _c, _d) = _abcd(p)
    services.measure_update(
        actor=p.clerk, measure=b, expected_version=b.version, person=p.person, deadline=dt.date(2024, 9, 30)
    )
    b.refresh_from_db()
    parts = services.measure_split(
        actor=p.clerk, measure=b, texts=["B1", " ", "B2", "B3 "], expected_version=b.version
    )
    assert [m.text for m in parts] == ["B1", "B2", "B3"]
    assert parts[0].pk == b.pk
    assert texts(problem) == ["A", "B1", "B2", "B3", "C", "D"]
    assert set(Measure.objects.filter(pk__in=[m.pk for m in parts]).values_list("person", "deadline")) == {
        (p.person.pk, dt.date(2024, 9, 30))
    }


def test_a_split_into_fewer_than_two_parts_is_refused(personas):
    p = personas
    _problem, (a, *_) = _abcd(p)
    before = world()
    with pytest.raises(InvalidInput) as err:
        services.measure_split(actor=p.clerk, measure=a, texts=["A", "  "], expected_version=a.version)
    assert err.value.field == "texts"
    assert world() == before


def test_moving_a_measure_swaps_it_with_its_neighbour_and_stops_at_the_ends(personas):
    p = personas
    problem, (a, b, c, d) = _abcd(p)
    services.measure_move(actor=p.clerk, measure=c, direction="up")
    assert texts(problem) == ["A", "C", "B", "D"]
    services.measure_move(actor=p.clerk, measure=a, direction="down")
    assert texts(problem) == ["C", "A", "B", "D"]
    before = world()
    services.measure_move(actor=p.clerk, measure=c, direction="up")
    services.measure_move(actor=p.clerk, measure=d, direction="down")
    assert world() == before
    with pytest.raises(InvalidInput):
        services.measure_move(actor=p.clerk, measure=b, direction="sideways")
    assert world() == before


def test_deleting_a_measure_closes_the_gap_and_a_measure_with_progress_cannot_be_deleted(personas):
    p = personas
    problem, (_a, b, c, d) = _abcd(p)
    services.measure_delete(actor=p.clerk, measure=b)
    assert texts(problem) == ["A", "C", "D"]
    services.measure_assign_bulk(actor=p.clerk, round=problem.round, measure_ids=[c.pk], person=p.person)
    services.progress_add(actor=p.person, measure=c, text="已开始")
    before = world()
    with pytest.raises(TransitionRefused, match="已有整改进展"):
        services.measure_delete(actor=p.clerk, measure=c)
    assert world() == before
    services.measure_move(actor=p.clerk, measure=d, direction="up")
    assert texts(problem) == ["A", "D", "C"]


def test_a_measure_created_after_another_lands_right_after_it(personas):
    p = personas
    problem, (a, _b, _c, _d) = _abcd(p)
    services.measure_create(actor=p.clerk, finding=problem, text="A2", after=a)
    services.measure_create(actor=p.clerk, finding=problem, text="E")
    assert texts(problem) == ["A", "A2", "B", "C", "D", "E"]


def test_a_measure_cannot_be_created_after_a_measure_of_another_problem(personas):
    p = personas
    problem, (a, *_) = _abcd(p)
    other = services.finding_create(
        actor=p.clerk, round=problem.round, parent=problem.parent, kind="problem", title="另一个问题"
    )
    before = world()
    with pytest.raises(InvalidInput) as err:
        services.measure_create(actor=p.clerk, finding=other, text="X", after=a)
    assert err.value.field == "after"
    assert world() == before


def test_a_measure_with_an_unknown_kind_or_no_text_is_not_created(personas):
    p = personas
    problem = build_plan(p)
    before = world()
    with pytest.raises(InvalidInput) as err:
        services.measure_create(actor=p.clerk, finding=problem, text=" ")
    assert err.value.field == "text"
    with pytest.raises(InvalidInput) as err:
        services.measure_create(actor=p.clerk, finding=problem, text="X", kind="forever")
    assert err.value.field == "kind"
    assert world() == before


# --- the audit trail ---------------------------------------------------------------------------


def _one_event(since: int, action: str, obj: Any, actor: Any) -> AuditEvent:
    events = [
        e for e in events_after(since) if e.object_type == obj._meta.model_name and e.object_id == str(obj.pk)
    ]
    assert len(events) == 1, [(e.action, e.object_type, e.object_id) for e in events_after(since)]
    (e,) = events
    assert (e.action, e.actor_id, e.actor_name, e.outcome) == (action, actor.pk, actor.username, "ok")
    assert e.unit_id_ref == obj.unit_id
    return e


def test_an_update_is_audited_once_with_only_the_changed_fields(personas):
    p = personas
    m = first_measure(build_plan(p))
    since = last_event_id()
    services.measure_update(
        actor=p.clerk,
        measure=m,
        expected_version=m.version,
        text="新的措施",
        deadline=dt.date(2024, 5, 31),
        person=p.person,
    )
    e = _one_event(since, "measure.update", m, p.clerk)
    assert e.before == {"text": "第1项措施：制定学习计划", "deadline": None}
    assert e.after == {"text": "新的措施", "deadline": "2024-05-31"}
    assert len(events_after(since)) == 1


def test_the_workflow_writes_one_audit_event_per_changed_object(personas):
    p = personas
    problem = build_plan(p)
    m = first_measure(problem)

    since = last_event_id()
    progress = services.progress_add(actor=p.person, measure=m, text="已整改")
    e = _one_event(since, "progress.add", progress, p.person)
    assert e.after["measure"] == m.pk
    assert (e.before, e.after["status"]) == ({"status": S.NOT_STARTED}, S.IN_PROGRESS)
    e = _one_event(since, "measure.start", m, p.person)
    assert (e.before, e.after) == ({"status": S.NOT_STARTED}, {"status": S.IN_PROGRESS})
    assert len(events_after(since)) == 2

    since = last_event_id()
    services.progress_add(actor=p.person, measure=m, text="继续整改")
    assert [e.action for e in events_after(since)] == ["progress.add"]  # the measure did not change

    for action, call, actor in (
        ("measure.submit", lambda: services.measure_submit(actor=p.person, measure=m), p.person),
        (
            "measure.approve",
            lambda: services.measure_review(actor=p.leader, measure=m, decision="approve"),
            p.leader,
        ),
    ):
        since = last_event_id()
        call()
        e = _one_event(since, action, m, actor)
        assert len(events_after(since)) == 1
        assert e.after["status"] == services.TRANSITIONS[action.split(".")[1]][1]

    since = last_event_id()
    services.finding_close(actor=p.supervisor, finding=problem, opinion="整改到位，同意销号")
    e = _one_event(since, "finding.close", problem, p.supervisor)
    assert (e.before, e.after) == ({"status": "open"}, {"status": "closed", "opinion": "整改到位，同意销号"})
    assert len(events_after(since)) == 1

    since = last_event_id()
    services.finding_reopen(actor=p.supervisor, finding=problem, reason="反弹")
    e = _one_event(since, "finding.reopen", problem, p.supervisor)
    # Not a relapse (回头看 did not find 反弹): the problem stays in its first cycle.
    assert e.after == {"status": "open", "reason": "反弹", "cycle": 1, "relapse": False}
    # Reopening puts the finished measure back to work (issue 8, finding 12).
    e = _one_event(since, "measure.send_back", m, p.supervisor)
    assert (e.before, e.after) == (
        {"status": S.DONE},
        {"status": S.IN_PROGRESS, "reason": "问题重新打开：反弹"},
    )
    assert len(events_after(since)) == 2

    services.measure_submit(actor=p.person, measure=m)
    since = last_event_id()
    services.finding_send_back(actor=p.supervisor, finding=problem, reason="整改不实")
    _one_event(since, "finding.send_back", problem, p.supervisor)
    e = _one_event(since, "measure.send_back", m, p.supervisor)
    assert (e.before, e.after) == (
        {"status": S.PENDING_REVIEW},
        {"status": S.IN_PROGRESS, "reason": "整改不实"},
    )
    assert len(events_after(since)) == 2


def test_plan_edits_write_one_audit_event_per_changed_measure(personas):
    p = personas
    problem, (a, b, c, d) = _abcd(p)
    since = last_event_id()
    services.measure_assign_bulk(
        actor=p.clerk, round=problem.round, measure_ids=[a.pk, b.pk], person=p.person
    )
    assert [(e.action, e.object_id) for e in events_after(since)] == [
        ("measure.assign", str(a.pk)),
        ("measure.assign", str(b.pk)),
    ]
    b.refresh_from_db()
    since = last_event_id()
    services.measure_update(
        actor=p.clerk, measure=b, expected_version=b.version, deadline=dt.date(2024, 8, 1)
    )
    # b already has this person and deadline: only a changes, so only a is audited.
    services.measure_assign_bulk(
        actor=p.clerk,
        round=problem.round,
        measure_ids=[a.pk, b.pk],
        person=p.person,
        deadline=dt.date(2024, 8, 1),
    )
    assert [(e.action, e.object_id) for e in events_after(since)] == [
        ("measure.update", str(b.pk)),
        ("measure.assign", str(a.pk)),
    ]
    a.refresh_from_db()
    b.refresh_from_db()

    since = last_event_id()
    parts = services.measure_split(actor=p.clerk, measure=c, texts=["C1", "C2"], expected_version=c.version)
    assert [(e.action, e.object_id) for e in events_after(since)] == [
        ("measure.create", str(parts[1].pk)),
        ("measure.split", str(c.pk)),
    ]

    # A plan is signed with its deadlines set (长期坚持 aside).
    undated = [m.pk for m in Measure.objects.filter(finding=problem, deadline__isnull=True)]
    services.measure_assign_bulk(
        actor=p.clerk, round=problem.round, measure_ids=undated, deadline=dt.date(2024, 8, 1)
    )
    since = last_event_id()
    sig = services.plan_sign(actor=p.leader, round=problem.round)
    e = _one_event(since, "plan.sign", problem.round, p.leader)
    assert e.after == {"version": sig.version, "digest": sig.digest}

    since = last_event_id()
    services.measure_delete(actor=p.clerk, measure=d)
    (e,) = events_after(since)
    assert (e.action, e.object_id, e.before["text"], e.after) == ("measure.delete", str(d.pk), "D", {})


@pytest.mark.parametrize(
    "call",
    [
        "measure_update",
        "measure_assign_bulk",
        "measure_create",
        "measure_split",
        "measure_delete",
        "plan_sign",
        "progress_add",
        "measure_submit",
        "measure_review",
        "finding_close",
        "round_create",
    ],
)
def test_when_the_audit_record_fails_the_change_is_rolled_back(personas, monkeypatch, call):
    p = personas
    problem = build_plan(p)
    m = first_measure(problem)
    status = {"measure_submit": S.IN_PROGRESS, "measure_review": S.PENDING_REVIEW, "finding_close": S.DONE}
    m = advance(p, m, status.get(call, S.NOT_STARTED))
    calls = {
        "measure_update": lambda: services.measure_update(
            actor=p.clerk, measure=m, expected_version=m.version, text="改"
        ),
        "measure_assign_bulk": lambda: services.measure_assign_bulk(
            actor=p.clerk, round=m.round, measure_ids=[m.pk], person=p.person2
        ),
        "measure_create": lambda: services.measure_create(actor=p.clerk, finding=problem, text="新"),
        "measure_split": lambda: services.measure_split(
            actor=p.clerk, measure=m, texts=["一", "二"], expected_version=m.version
        ),
        "measure_delete": lambda: services.measure_delete(actor=p.clerk, measure=m),
        "plan_sign": lambda: services.plan_sign(actor=p.leader, round=m.round),
        "progress_add": lambda: services.progress_add(actor=p.person, measure=m, text="进展"),
        "measure_submit": lambda: services.measure_submit(actor=p.person, measure=m),
        "measure_review": lambda: services.measure_review(actor=p.leader, measure=m, decision="approve"),
        "finding_close": lambda: services.finding_close(
            actor=p.supervisor, finding=problem, opinion="整改到位，同意销号"
        ),
        "round_create": lambda: services.round_create(actor=p.clerk, unit=p.unit_a, title="新轮次"),
    }

    def broken_audit(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("audit log unavailable")

    before = world()
    for stage in (services.rounds, services.plan, services.tracking, services.closure, services.labels):
        for name in ("audit_record", "audit_record_many", "audit_change"):
            if hasattr(stage, name):
                monkeypatch.setattr(stage, name, broken_audit)
    with pytest.raises(RuntimeError, match="audit log unavailable"):
        calls[call]()
    assert world() == before


# --- dates ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "months", "expected"),
    [
        (dt.date(2023, 1, 31), 1, dt.date(2023, 2, 28)),
        (dt.date(2024, 1, 31), 1, dt.date(2024, 2, 29)),
        (dt.date(2024, 1, 31), 2, dt.date(2024, 3, 31)),
        (dt.date(2024, 3, 31), 1, dt.date(2024, 4, 30)),
        (dt.date(2024, 2, 29), 12, dt.date(2025, 2, 28)),
        (dt.date(2024, 2, 29), 48, dt.date(2028, 2, 29)),
        (dt.date(1900, 1, 31), 1, dt.date(1900, 2, 28)),
        (dt.date(2000, 1, 31), 1, dt.date(2000, 2, 29)),
        (dt.date(2022, 11, 30), 3, dt.date(2023, 2, 28)),
        (dt.date(2022, 12, 15), 1, dt.date(2023, 1, 15)),
        (dt.date(2022, 2, 14), 0, dt.date(2022, 2, 14)),
        (dt.date(2024, 3, 31), -1, dt.date(2024, 2, 29)),
        (dt.date(2024, 1, 15), -1, dt.date(2023, 12, 15)),
    ],
)
def test_adding_months_keeps_the_day_or_falls_back_to_the_last_day_of_the_month(start, months, expected):
    assert services.add_months(start, months) == expected


def test_a_round_gets_its_plan_and_report_deadlines_from_the_feedback_date(personas, settings):
    p = personas
    r = services.round_create(
        actor=p.clerk, unit=p.unit_a, title="常规巡察", feedback_date=dt.date(2024, 1, 31)
    )
    assert (r.plan_due, r.report_due) == (dt.date(2024, 2, 29), dt.date(2024, 3, 31))
    settings.PLAN_DUE_MONTHS = 3
    settings.REPORT_DUE_MONTHS = 6
    r = services.round_create(
        actor=p.clerk, unit=p.unit_a, title="专项巡察", feedback_date=dt.date(2024, 1, 31)
    )
    assert (r.plan_due, r.report_due) == (dt.date(2024, 4, 30), dt.date(2024, 7, 31))
    r = services.round_create(actor=p.clerk, unit=p.unit_a, title="  ")
    assert (r.title, r.plan_due, r.report_due) == ("巡察整改", None, None)


def test_a_round_whose_period_ends_before_it_starts_is_refused(personas):
    p = personas
    with pytest.raises(InvalidInput) as err:
        services.round_create(
            actor=p.clerk,
            unit=p.unit_a,
            title="x",
            period_start=dt.date(2024, 3, 1),
            period_end=dt.date(2024, 2, 1),
        )
    assert err.value.field == "period_end"
    with pytest.raises(InvalidInput) as err:
        services.round_create(actor=p.clerk, unit=p.unit_a, title="x", kind="secret")
    assert err.value.field == "kind"
    assert Round.objects.count() == 0


def test_an_approved_measure_keeps_the_local_date_of_its_completion(personas, assigned_measure):
    """``completed_on`` is the Asia/Shanghai date of ``completed_at`` (the on-time rates read it)."""
    from django.utils import timezone

    from zhenggai.ledger import services

    services.progress_add(actor=personas.person, measure=assigned_measure, text="已完成学习计划修订。")
    services.measure_submit(actor=personas.person, measure=assigned_measure)
    assigned_measure.refresh_from_db()
    services.measure_review(actor=personas.leader, measure=assigned_measure, decision="approve")
    assigned_measure.refresh_from_db()
    assert assigned_measure.completed_on == timezone.localdate(assigned_measure.completed_at)


def test_the_migration_fills_the_completion_date_of_measures_completed_before_it(personas, assigned_measure):
    """Migration 0009's backfill: the local date of every ``completed_at`` (a late evening in
    Beijing is still that day there, not the UTC one)."""
    import datetime as dt
    import importlib

    from django.apps import apps
    from django.utils import timezone

    from zhenggai.ledger.models import Measure

    late = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    Measure.objects.filter(pk=assigned_measure.pk).update(status="done", completed_at=late, completed_on=None)
    migration = importlib.import_module("zhenggai.ledger.migrations.0009_measure_completed_on")
    migration.fill_completed_on(apps, None)
    assigned_measure.refresh_from_db()
    assert assigned_measure.completed_on == dt.date(2026, 3, 1) == timezone.localdate(late)
