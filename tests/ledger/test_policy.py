"""``ledger/policy.py``: the one place for who may do what from which state.

The tables (the finished and open sets, the measure and problem transitions, the problem
state), ``allowed_actions`` per persona as the pages render it, its agreement with the
services that enforce the same rules, and a scan of ``src/`` for copies of the rules.
"""

from __future__ import annotations

import ast
import itertools
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from tests.accounts.conftest import make_admin
from tests.labels.conftest import clear
from tests.today import days_from_today, today
from tests.web.conftest import World, build_round
from zhenggai.errors import ServiceError
from zhenggai.ledger import policy, services
from zhenggai.ledger.models import (
    ClosureAction,
    Finding,
    Measure,
    MeasureKind,
    MeasureStatus,
    ProblemStatus,
    ReviewDecision,
)
from zhenggai.ledger.policy import ProblemState

S = MeasureStatus
SRC = Path(__file__).resolve().parents[2] / "src" / "zhenggai"


@pytest.fixture
def world(personas: Any) -> World:
    return build_round(personas)


def actions(user: Any, obj: Any) -> set[str]:
    """What ``user`` may do to ``obj`` as stored now (a fresh read, every fact from the database)."""
    obj = type(obj).objects.get(pk=obj.pk)
    return set(policy.allowed_actions(user, obj))


# --- the tables ------------------------------------------------------------------------------------


def test_finished_and_open_split_the_measure_statuses_in_two():
    assert {S.DONE, S.STAGE_DONE} == policy.FINISHED
    assert {S.NOT_STARTED, S.IN_PROGRESS, S.LEADER_REVIEW, S.PENDING_REVIEW} == policy.OPEN
    assert set(S.values) == policy.FINISHED | policy.OPEN
    assert not policy.FINISHED & policy.OPEN


def test_progress_may_be_reported_in_every_status_but_awaiting_review_and_done():
    assert {S.LEADER_REVIEW, S.PENDING_REVIEW} == policy.IN_REVIEW
    assert set(S.values) - policy.REPORTABLE == {S.LEADER_REVIEW, S.PENDING_REVIEW, S.DONE}


def test_the_q_objects_filter_by_the_sets_at_the_given_relation():
    assert policy.finished_q().children == [("status__in", sorted(policy.FINISHED))]
    assert policy.open_q("measures__").children == [("measures__status__in", sorted(policy.OPEN))]
    on = today()
    assert policy.overdue_q(on, "measures__").children == [
        ("measures__deadline__lt", on),
        ("measures__status__in", sorted(policy.OPEN)),
    ]


def test_a_measure_is_overdue_when_open_and_past_its_deadline():
    on = today()
    past, ahead = days_from_today(-1), days_from_today(1)
    for status in S.values:
        assert policy.is_overdue(status, past, on) is (status in policy.OPEN)
        assert policy.is_overdue(status, ahead, on) is False
        assert policy.is_overdue(status, on, on) is False
        assert policy.is_overdue(status, None, on) is False


def test_the_measure_table_is_read_as_transitions_and_as_names():
    table = policy.MEASURE_TRANSITIONS
    assert set(table) == {
        *("start", "submit", "approve", "approve_stage", "return", "send_back"),
        *("submit_leader", "leader_approve", "leader_return"),
    }
    assert {a: (t.sources, t.target) for a, t in table.items()} == policy.TRANSITIONS
    assert {a: t.label for a, t in table.items()} == policy.ACTION_ZH
    for t in table.values():
        assert t.sources <= set(S.values) and t.target in S.values and t.label
    # A review decision is the action of the same name.
    assert set(ReviewDecision.values) <= set(table)
    assert table["send_back"].sources == policy.FINISHED | {S.PENDING_REVIEW, S.LEADER_REVIEW}
    # 责任领导预审: submitted to the leader, who passes it on to the unit head or returns it.
    assert (table["submit_leader"].sources, table["submit_leader"].target) == (
        table["submit"].sources,
        S.LEADER_REVIEW,
    )
    assert (table["leader_approve"].sources, table["leader_approve"].target) == (
        {S.LEADER_REVIEW},
        S.PENDING_REVIEW,
    )
    leader_return = table["leader_return"]
    assert (leader_return.sources, leader_return.target) == ({S.LEADER_REVIEW}, S.IN_PROGRESS)


def test_a_refused_transition_names_the_status_and_the_action():
    m = Measure(status=S.NOT_STARTED)
    assert policy.transition(m, "start") == S.IN_PROGRESS
    with pytest.raises(ServiceError, match="当前状态为“未开始”，不能执行“提交审核”"):
        policy.transition(m, "submit")


def test_the_problem_table_closes_sends_back_and_reopens():
    table = policy.PROBLEM_TRANSITIONS
    assert set(table) == set(ClosureAction.values)
    for action, t in table.items():
        assert t.sources <= set(ProblemStatus.values) and t.target in ProblemStatus.values
        assert t.label == ClosureAction(action).label
    assert (table["close"].sources, table["close"].target) == ({ProblemStatus.OPEN}, ProblemStatus.CLOSED)
    assert table["close"].measures == frozenset()
    assert table["send_back"].sources == {ProblemStatus.OPEN}
    assert table["send_back"].measures == policy.MEASURE_TRANSITIONS["send_back"].sources
    assert (table["reopen"].sources, table["reopen"].target) == ({ProblemStatus.CLOSED}, ProblemStatus.OPEN)
    # A measure awaiting review stays for the reviewer when the problem is reopened.
    assert table["reopen"].measures == policy.FINISHED


@pytest.mark.parametrize(
    ("statuses", "state"),
    [
        ([], ProblemState.NOT_STARTED),
        ([S.NOT_STARTED, S.NOT_STARTED], ProblemState.NOT_STARTED),
        ([S.NOT_STARTED, S.DONE], ProblemState.WORKING),
        ([S.PENDING_REVIEW, S.DONE], ProblemState.WORKING),
        ([S.DONE, S.STAGE_DONE], ProblemState.BASIC),
        ([S.STAGE_DONE], ProblemState.BASIC),
        ([S.DONE, S.DONE], ProblemState.COMPLETE),
    ],
)
def test_the_problem_state_of_an_open_problem_follows_its_measures(statuses: list[str], state: str):
    assert policy.problem_state(Finding(status=ProblemStatus.OPEN), statuses) == state


def test_a_closed_problem_is_closed_whatever_its_measures():
    for statuses in ([], [S.IN_PROGRESS], [S.DONE]):
        assert policy.problem_state(Finding(status=ProblemStatus.CLOSED), statuses) == ProblemState.CLOSED


def test_the_problem_state_from_statuses_and_from_counts_agree_on_every_mix_of_three():
    for n in range(4):
        for statuses in itertools.product(S.values, repeat=n):
            counted = policy.problem_state_counted(
                closed=False,
                total=len(statuses),
                done=statuses.count(S.DONE),
                finished=sum(s in policy.FINISHED for s in statuses),
                not_started=statuses.count(S.NOT_STARTED),
            )
            state = policy.problem_state(Finding(status=ProblemStatus.OPEN), list(statuses))
            assert counted == state
            assert (state in policy.READY_TO_CLOSE) == (bool(statuses) and set(statuses) <= policy.FINISHED)


def test_the_problem_states_print_as_the_pages_and_documents_write_them():
    assert [str(s) for s in ProblemState] == ["已销号", "已完成", "基本完成", "整改中", "未开始"]
    assert {ProblemState.CLOSED, ProblemState.COMPLETE} == policy.COUNTED_COMPLETE
    assert {ProblemState.COMPLETE, ProblemState.BASIC} == policy.READY_TO_CLOSE


# --- allowed_actions per persona -------------------------------------------------------------------


def test_the_clerk_manages_every_measure_and_reports_for_the_responsible_person(personas, world):
    clerk = personas.clerk
    # ``submitted``: first of two, has progress, awaits review.
    assert actions(clerk, world.submitted) == {"edit", "split", "move_down", "label"}
    # ``fresh``: second of two, no progress, not started.
    assert actions(clerk, world.fresh) == {"edit", "split", "move_up", "delete", "progress", "label"}


def test_the_responsible_person_reports_progress_then_submits(personas, world):
    person = personas.person
    assert actions(person, world.fresh) == {"progress"}
    assert actions(person, world.submitted) == set()  # awaiting review
    services.progress_add(actor=person, measure=world.fresh, text="已开展第一次集中学习")
    assert actions(person, world.fresh) == {"progress", "submit"}
    assert actions(personas.person2, world.fresh) == set()  # not theirs


def test_the_unit_leader_reviews_a_submitted_measure_and_labels(personas, world):
    leader = personas.leader
    assert actions(leader, world.submitted) == {"review", "approve", "return", "label"}
    assert actions(leader, world.fresh) == {"label"}


def test_only_a_long_term_measure_may_be_marked_stage_done(personas, world):
    m = world.submitted
    services.measure_update(
        actor=personas.clerk, measure=m, expected_version=m.version, kind=MeasureKind.LONG_TERM
    )
    assert actions(personas.leader, m) == {"review", "approve", "approve_stage", "return", "label"}


def test_with_leader_prereview_the_measures_own_leader_reviews_before_the_unit_head(personas, world):
    services.round_update(actor=personas.clerk, round=world.round, leader_prereview=True)
    m = world.fresh
    services.progress_add(actor=personas.person, measure=m, text="已开展第一次集中学习")
    services.measure_submit(actor=personas.person, measure=Measure.objects.get(pk=m.pk))
    assert Measure.objects.get(pk=m.pk).status == S.LEADER_REVIEW
    assert actions(personas.responsible_leader, m) == {"leader_review", "leader_approve", "leader_return"}
    assert actions(personas.leader, m) == {"label"}  # the unit head waits for the leader
    assert actions(personas.person, m) == set()  # no progress while in review
    services.measure_leader_review(
        actor=personas.responsible_leader, measure=Measure.objects.get(pk=m.pk), decision="approve"
    )
    assert Measure.objects.get(pk=m.pk).status == S.PENDING_REVIEW
    assert actions(personas.leader, m) == {"review", "approve", "return", "label"}
    assert actions(personas.responsible_leader, m) == set()


def test_without_leader_prereview_a_submission_goes_straight_to_the_unit_head(personas, world):
    assert world.round.leader_prereview is False
    assert world.submitted.status == S.PENDING_REVIEW
    assert actions(personas.responsible_leader, world.submitted) == set()


def test_a_suggested_deadline_may_be_taken_while_it_differs(personas, world):
    m = world.fresh
    Measure.objects.filter(pk=m.pk).update(suggested_deadline=days_from_today(30))  # as an import sets it
    assert "accept_suggestion" in actions(personas.clerk, m)
    services.measure_accept_suggestion(actor=personas.clerk, measure=Measure.objects.get(pk=m.pk))
    assert "accept_suggestion" not in actions(personas.clerk, m)


@pytest.mark.parametrize("who", ["supervisor", "responsible_leader", "viewer", "outsider"])
def test_the_others_may_do_nothing_to_a_measure(personas, world, who):
    user = getattr(personas, who)
    assert actions(user, world.submitted) == set()
    assert actions(user, world.fresh) == set()


def test_the_three_administrators_may_do_nothing_to_the_ledger(personas, world):
    for admin in (make_admin("sysadmin", "system_admin"), make_admin("auditor", "audit_admin")):
        for obj in (world.submitted, world.fresh, world.problem, world.round):
            assert actions(admin, obj) == set()


def test_nothing_is_offered_on_a_measure_labelled_above_the_actors_clearance(personas, world):
    clerk = clear(make_admin("secadmin", "security_admin"), personas.clerk)
    services.measure_set_sensitivity(actor=clerk, measure=world.fresh, sensitivity="sensitive")
    assert actions(personas.person, world.fresh) == set()
    assert actions(personas.leader, world.fresh) == set()
    assert "edit" in actions(clerk, world.fresh)
    # The supervisor cannot see every measure of the problem: no close-out for them.
    assert actions(personas.supervisor, world.problem) == set()


def _approve_both(personas: Any, w: World) -> None:
    services.progress_add(actor=personas.person, measure=w.fresh, text="已开展第一次集中学习")
    services.measure_submit(actor=personas.person, measure=w.fresh)
    for m in (w.submitted, w.fresh):
        services.measure_review(actor=personas.leader, measure=m, decision=ReviewDecision.APPROVE)


def test_the_supervisor_sends_back_closes_and_reopens_a_problem_by_its_state(personas, world):
    sup = personas.supervisor
    # One measure awaits review, one not started: it may be sent back, not closed.
    assert actions(sup, world.problem) == {"send_back"}
    _approve_both(personas, world)
    assert actions(sup, world.problem) == {"close", "send_back"}
    services.finding_close(actor=sup, finding=world.problem, opinion="整改到位，同意销号")
    assert actions(sup, world.problem) == {"reopen"}
    services.finding_reopen(actor=sup, finding=world.problem, reason="回头看发现反弹")
    assert actions(sup, world.problem) == set()  # back at work, nothing finished


def test_a_problem_offers_the_clerk_a_new_measure_and_the_clerk_and_leader_its_label(personas, world):
    assert actions(personas.clerk, world.problem) == {
        "add_measure",
        "edit",
        "label",
        "move",
        "split",
        "delete",
    }
    assert actions(personas.leader, world.problem) == {"label"}
    for who in ("person", "responsible_leader", "viewer", "outsider"):
        assert actions(getattr(personas, who), world.problem) == set()


def test_only_a_problem_is_closed_not_a_category_or_an_issue(personas, world):
    _approve_both(personas, world)
    assert actions(personas.supervisor, world.issue) == set()
    assert actions(personas.supervisor, world.category) == set()


def test_the_unit_leader_signs_a_plan_not_signed_as_it_stands(personas, world):
    leader, clerk = personas.leader, personas.clerk
    assert actions(leader, world.round) == {"sign"}
    services.plan_sign(actor=leader, round=world.round)
    assert actions(leader, world.round) == set()
    m = Measure.objects.get(pk=world.fresh.pk)
    services.measure_update(actor=clerk, measure=m, expected_version=m.version, text="制定学习计划（修订）")
    assert actions(leader, world.round) == {"sign"}
    offered_to_clerk = {
        "add_finding",
        "assign",
        "import_workbook",
        "edit_notice",
        "edit_round",
        "delete",
        "trash",
    }
    assert actions(clerk, world.round) == offered_to_clerk
    for who in ("supervisor", "person", "viewer", "outsider"):
        assert actions(getattr(personas, who), world.round) == set()


def test_a_plan_without_measures_is_not_offered_for_signing(personas):
    r = services.round_create(actor=personas.clerk, unit=personas.unit_a, title="空轮次")
    assert actions(personas.leader, r) == set()


def test_facts_the_page_passes_give_the_same_answer_as_facts_read(personas, world):
    m = Measure.objects.select_related("finding", "unit").get(pk=world.fresh.pk)
    for user in personas.all_users().values():
        assert policy.allowed_actions(user, m, has_progress=False, place=(1, 2)) == policy.allowed_actions(
            user, m
        )
    f = Finding.objects.get(pk=world.problem.pk)
    every = list(f.measures.all())
    assert policy.allowed_actions(personas.supervisor, f, measures=every) == policy.allowed_actions(
        personas.supervisor, f
    )


def test_allowed_actions_refuses_an_object_it_has_no_rules_for(personas):
    with pytest.raises(TypeError):
        policy.allowed_actions(personas.clerk, personas.unit_a)


# --- allowed_actions agrees with the services ------------------------------------------------------


class _Rollback(Exception):
    pass


def _succeeds(call: Callable[[], object]) -> bool:
    """Whether the service call goes through (its changes rolled back either way)."""
    try:
        with transaction.atomic():
            call()
            raise _Rollback
    except _Rollback:
        return True
    except ServiceError:
        return False


def _measure_calls(user: Any, m: Measure) -> dict[str, Callable[[], object]]:
    return {
        "progress": lambda: services.progress_add(actor=user, measure=m, text="进展"),
        "submit": lambda: services.measure_submit(actor=user, measure=m),
        "delete": lambda: services.measure_delete(actor=user, measure=m),
        "approve": lambda: services.measure_review(actor=user, measure=m, decision="approve"),
        "approve_stage": lambda: services.measure_review(actor=user, measure=m, decision="approve_stage"),
        "return": lambda: services.measure_review(actor=user, measure=m, decision="return", reason="不到位"),
        "leader_approve": lambda: services.measure_leader_review(actor=user, measure=m, decision="approve"),
        "leader_return": lambda: services.measure_leader_review(
            actor=user, measure=m, decision="return", reason="材料不全"
        ),
        "edit": lambda: services.measure_update(actor=user, measure=m, expected_version=m.version, text="改"),
        "label": lambda: services.measure_set_sensitivity(actor=user, measure=m, sensitivity="public"),
    }


def _problem_calls(user: Any, f: Finding) -> dict[str, Callable[[], object]]:
    return {
        "close": lambda: services.finding_close(actor=user, finding=f, opinion="整改到位，同意销号"),
        "send_back": lambda: services.finding_send_back(actor=user, finding=f, reason="不到位"),
        "reopen": lambda: services.finding_reopen(actor=user, finding=f, reason="反弹"),
        "label": lambda: services.finding_set_sensitivity(actor=user, finding=f, sensitivity="internal"),
        "edit": lambda: services.finding_update(actor=user, finding=f, title=f"{f.title}（改）"),
    }


def _stages(personas: Any, w: World) -> Iterator[str]:
    """The world at a few points of its workflow."""
    yield "as built"
    services.progress_add(actor=personas.person, measure=w.fresh, text="已开展第一次集中学习")
    yield "progress on both"
    _approve_both_from_progress(personas, w)
    yield "both approved"
    services.finding_close(actor=personas.supervisor, finding=w.problem, opinion="整改到位，同意销号")
    yield "closed"


def _approve_both_from_progress(personas: Any, w: World) -> None:
    services.measure_submit(actor=personas.person, measure=w.fresh)
    for m in (w.submitted, w.fresh):
        services.measure_review(actor=personas.leader, measure=m, decision=ReviewDecision.APPROVE)


def test_what_the_page_offers_is_what_the_service_does_for_every_persona_at_every_stage(personas, world):
    """An action is offered if and only if its service goes through (the measure page hides
    nothing the service would do, and offers nothing it refuses)."""
    users = personas.all_users()
    for stage in _stages(personas, world):
        for name, user in users.items():
            for measure in (world.submitted, world.fresh):
                m = Measure.objects.select_related("finding", "unit", "round").get(pk=measure.pk)
                offered = policy.allowed_actions(user, m)
                for action, call in _measure_calls(user, m).items():
                    assert (action in offered) == _succeeds(call), (stage, name, m.text, action)
            f = Finding.objects.select_related("unit").get(pk=world.problem.pk)
            offered = policy.allowed_actions(user, f)
            for action, call in _problem_calls(user, f).items():
                assert (action in offered) == _succeeds(call), (stage, name, action)


def test_the_leader_prereview_offers_what_its_service_does_for_every_persona(personas, world):
    services.round_update(actor=personas.clerk, round=world.round, leader_prereview=True)
    services.progress_add(actor=personas.person, measure=world.fresh, text="已开展第一次集中学习")
    services.measure_submit(actor=personas.person, measure=world.fresh)
    for name, user in personas.all_users().items():
        m = Measure.objects.select_related("finding", "unit", "round").get(pk=world.fresh.pk)
        assert m.status == S.LEADER_REVIEW
        offered = policy.allowed_actions(user, m)
        for action, call in _measure_calls(user, m).items():
            assert (action in offered) == _succeeds(call), (name, action)


def test_a_problem_is_ready_to_close_in_the_database_exactly_when_its_state_says_so(personas, world):
    def ready_in_db() -> set[int]:
        qs = Finding.objects.filter(round=world.round).annotate(**policy.problem_measure_counts())
        return set(qs.filter(policy.problem_ready_q()).values_list("pk", flat=True))

    def ready_by_state() -> set[int]:
        out = set()
        for f in Finding.objects.filter(round=world.round, kind="problem"):
            if (
                policy.problem_state(f, list(f.measures.values_list("status", flat=True)))
                in policy.READY_TO_CLOSE
            ):
                out.add(f.pk)
        return out

    for _ in _stages(personas, world):
        assert ready_in_db() == ready_by_state()


# --- the rules are written once ------------------------------------------------------------------


#: Copies in files this change does not own, each to be replaced by the ``policy`` name its note
#: gives: (path under src/zhenggai, rule) → note. The lead removes an entry with its copy; an
#: entry that no longer matches anything fails the test, so none outlives its copy.
ALLOWED_STRAY_COPIES: dict[tuple[str, str], str] = {
    # Django's Meta.indexes are written in the model, which policy imports (not the other way):
    # the partial index of open measures names them; the test below holds it to policy.OPEN.
    ("ledger/models.py", "status-set"): "the condition of the index measure_open_deadline",
}


def test_the_index_of_open_measures_covers_exactly_the_open_statuses():
    from zhenggai.ledger.models import Measure
    from zhenggai.ledger.policy import OPEN

    (index,) = [i for i in Measure._meta.indexes if i.name == "measure_open_deadline"]
    statuses = dict(index.condition.children)["status__in"]
    assert set(statuses) == set(OPEN)
    assert list(statuses) == sorted(OPEN)  # as overdue_q writes them, so the planner matches them

_STATUS_MEMBERS = set(S.names)
_STATE_MEMBERS = {s.name for s in ProblemState}
#: Strings that are a problem state or a finished status as the pages print them.
_STATE_WORDS = {str(s) for s in ProblemState} | {S.STAGE_DONE.label}
#: Names of the rule tables; outside policy they may be imported, never assigned.
_TABLE_NAME = re.compile(
    r"_?(TRANSITIONS|[A-Z_]+_TRANSITIONS|[A-Z_]*FINISHED[A-Z_]*|OPEN_STATUSES|REOPEN_SOURCES"
    r"|SENDABLE|ACTION_ZH|REPORTABLE|READY_TO_CLOSE|COUNTED_COMPLETE|[A-Z_]+_ROLES)"
)
#: Functions that are rules; outside policy they may be called, never defined.
_RULE_FUNCTIONS = {
    "problem_state",
    "problem_state_counted",
    "_problem_state",
    "problem_measure_counts",
    "may_report_progress",
    "_owns",
    "is_responsible",
    "is_overdue",
    "allowed_actions",
    "_require",
    "require_role",
    "require_cleared",
    "can",
    "transition",
}
#: Policy sets (and a transition's ``sources``/``measures``) whose membership, counted over a
#: problem's measures, is the problem state.
_SET_NAMES = {"FINISHED", "OPEN", "REPORTABLE", "FINISHED_STATUSES", "OPEN_STATUSES", "sources", "measures"}


def _name(node: ast.AST) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _member(node: ast.AST, members: set[str], owners: set[str]) -> bool:
    return isinstance(node, ast.Attribute) and node.attr in members and _name(node.value) in owners


def rule_copies(tree: ast.AST) -> list[tuple[int, str, str]]:
    """(line, rule, what) of each copy of a policy rule in a module. What counts as a copy:

    - ``status-set``: a set, tuple or list written out with two or more measure statuses
      (``S.DONE, S.STAGE_DONE``; ``(S.DONE, S.PENDING_REVIEW)``; "done" with "stage_done"; "已完成"
      with "阶段性完成") or two or more problem states. A set of statuses is a rule. One status
      compared alone (``target == S.DONE`` to set the completion time, ``status=S.PENDING_REVIEW``
      for the reviewer's list) is a use, not a copy; so is a dict with a status per key (the
      words or colours of each status).
    - ``state-literal``: a problem state or finished status spelled in Chinese ("已完成",
      "基本完成", "阶段性完成", ...) as a dict key, in a comparison, in a written-out collection
      or assigned to a name: the value of a state, not prose. The labels of ``TextChoices``
      classes (models) are the data the states are named from, and words in sentences, messages
      and dict values (what a page prints for an action) are not states.
    - ``definition``: a rule table assigned (``TRANSITIONS =``, ``FINISHED_STATUSES =``,
      ``_OPEN = frozenset(selectors.OPEN_STATUSES)``, ``SENDABLE = ...``, ``*_ROLES =``) or a rule
      function defined (``def problem_state``, ``def _owns``, ``def is_overdue``, ``def can``...).
      Importing them is the point.
    - ``derivation``: ``all``/``any``/``sum`` over statuses tested against a policy set
      (``all(s in FINISHED for s in statuses)``): the problem state derived again.
    """
    parents = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}

    def in_choices(node: ast.AST) -> bool:
        while node in parents:
            node = parents[node]
            if isinstance(node, ast.ClassDef) and any(
                (_name(b) or "").endswith("Choices") for b in node.bases
            ):
                return True
        return False

    found: list[tuple[int, str, str]] = []
    for node in ast.walk(tree):
        line = getattr(node, "lineno", 0)
        if isinstance(node, ast.Set | ast.Tuple | ast.List):
            statuses = {e.attr for e in node.elts if _member(e, _STATUS_MEMBERS, {"S", "MeasureStatus"})}
            states = {e.attr for e in node.elts if _member(e, _STATE_MEMBERS, {"ProblemState"})}
            words = {e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}
            if (
                len(statuses) >= 2
                or len(states) >= 2
                or {"done", "stage_done"} <= words
                or {"已完成", "阶段性完成"} <= words
            ):
                found.append((line, "status-set", ast.unparse(node)[:80]))
        elif isinstance(node, ast.Constant) and node.value in _STATE_WORDS and not in_choices(node):
            parent = parents.get(node)
            if (
                (isinstance(parent, ast.Dict) and node in parent.keys)
                or isinstance(parent, ast.Compare | ast.Set | ast.Tuple | ast.List)
                or (isinstance(parent, ast.Assign | ast.AnnAssign) and parent.value is node)
            ):
                found.append((line, "state-literal", repr(node.value)))
        elif isinstance(node, ast.Assign | ast.AnnAssign) and not in_choices(node):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for n in ast.walk(target):
                    if isinstance(n, ast.Name) and _TABLE_NAME.fullmatch(n.id):
                        found.append((line, "definition", n.id))
            value = node.value
            if (
                isinstance(value, ast.Call)
                and _name(value.func) in {"frozenset", "set", "tuple", "list"}
                and any(_name(a) in _SET_NAMES for a in value.args)
            ):
                found.append((line, "definition", ast.unparse(node)[:80]))
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in _RULE_FUNCTIONS:
            found.append((line, "definition", f"def {node.name}"))
        elif (
            isinstance(node, ast.Call)
            and _name(node.func) in {"all", "any", "sum"}
            and node.args
            and isinstance(node.args[0], ast.GeneratorExp | ast.ListComp)
        ):
            elt = node.args[0].elt
            if (
                isinstance(elt, ast.Compare)
                and any(isinstance(op, ast.In | ast.NotIn) for op in elt.ops)
                and any(_name(c) in _SET_NAMES for c in elt.comparators)
            ):
                found.append((line, "derivation", ast.unparse(node)[:80]))
    return found


def _modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC).as_posix()
        if rel == "ledger/policy.py" or "migrations" in path.relative_to(SRC).parts:
            continue
        yield rel, path


def test_the_finished_set_the_transitions_and_the_problem_state_are_written_only_in_policy():
    stray: list[str] = []
    allowed_seen: set[tuple[str, str]] = set()
    for rel, path in _modules():
        for line, rule, what in rule_copies(ast.parse(path.read_text(encoding="utf-8"))):
            if (rel, rule) in ALLOWED_STRAY_COPIES:
                allowed_seen.add((rel, rule))
                continue
            stray.append(f"{rel}:{line}: {rule}: {what}")
    assert not stray, "rules copied outside ledger/policy.py (use the policy names):\n" + "\n".join(stray)
    stale = set(ALLOWED_STRAY_COPIES) - allowed_seen
    assert not stale, f"allow-list entries whose copy is gone (remove them): {sorted(stale)}"


@pytest.mark.parametrize(
    ("source", "rule"),
    [
        ("FINISHED_STATUSES = frozenset({MeasureStatus.DONE, MeasureStatus.STAGE_DONE})", "status-set"),
        ("ok = m.status in (S.DONE, S.PENDING_REVIEW)", "status-set"),
        ('qs.filter(status__in=["done", "stage_done"])', "status-set"),
        ('CLOSED, COMPLETE = "已销号", "已完成"', "state-literal"),
        ('CSS = {"基本完成": "status-stage-done"}', "state-literal"),
        ('if state == "已完成": pass', "state-literal"),
        ("done = state in (ProblemState.CLOSED, ProblemState.COMPLETE)", "status-set"),
        ('TRANSITIONS = {"start": (1, 2)}', "definition"),
        ("SENDABLE = services.TRANSITIONS['send_back'][0]", "definition"),
        ("_OPEN = frozenset(selectors.OPEN_STATUSES)", "definition"),
        ("def _owns(actor, m):\n    return True", "definition"),
        ("def problem_state(f, statuses):\n    return ''", "definition"),
        ("ready = all(s in FINISHED for s in statuses)", "derivation"),
        ("back = any(s in step.sources for s in statuses)", "derivation"),
    ],
)
def test_the_scan_finds_each_kind_of_copy(source: str, rule: str):
    assert rule in {r for _, r, _ in rule_copies(ast.parse(source))}


@pytest.mark.parametrize(
    "source",
    [
        "m.completed_at = now if target == S.DONE else None",
        "qs.filter(status=S.PENDING_REVIEW)",
        'WORD = {S.DONE: "已完成", S.STAGE_DONE: "已取得阶段性成效"}',
        'raise TransitionRefused("该问题没有已完成或待审核的措施")',
        'title = "已完成（个，含已销号）"',
        "class MeasureStatus(models.TextChoices):\n"
        "    DONE = 'done', '已完成'\n"
        "    STAGE_DONE = 'stage_done', '阶段性完成'",
        "from zhenggai.ledger.policy import FINISHED, TRANSITIONS",
        "ok = m.status in policy.FINISHED",
        "qs.filter(policy.finished_q('measures__'))",
    ],
)
def test_the_scan_leaves_single_uses_words_and_imports_alone(source: str):
    assert rule_copies(ast.parse(source)) == []


def test_the_scan_would_have_found_the_copies_this_change_removed():
    """The finished set in models, the problem state in selectors and the close-out in the problem page."""
    before = """
FINISHED_STATUSES: frozenset[str] = frozenset({MeasureStatus.DONE, MeasureStatus.STAGE_DONE})
OPEN_STATUSES = (S.NOT_STARTED, S.IN_PROGRESS, S.PENDING_REVIEW)
CLOSED, COMPLETE, BASIC, WORKING, NOT_STARTED = "已销号", "已完成", "基本完成", "整改中", "未开始"
def problem_state(finding, statuses):
    return sum(s in FINISHED_STATUSES for s in statuses)
can_close = all(s in FINISHED_STATUSES for s in statuses)
"""
    rules = [r for _, r, _ in rule_copies(ast.parse(before))]
    assert rules.count("definition") >= 3 and "status-set" in rules and "derivation" in rules
    assert "state-literal" in rules
