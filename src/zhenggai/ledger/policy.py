"""Who may do what to the ledger, from which state: the one place for the rules.

Everything here is defined once and used by the services (which enforce it), the selectors
(which count and filter by it), the documents and workbook (which print it) and the pages
(which render ``allowed_actions`` instead of re-deriving it); ``tests/ledger/test_policy.py``
fails on a copy elsewhere.

- The statuses: ``FINISHED`` and ``OPEN`` (as sets, and as ``finished_q``/``open_q``/``overdue_q``
  for querysets), ``IN_REVIEW`` (awaiting the responsible leader's or the unit head's review),
  ``REPORTABLE`` (where progress may still be reported).
- The transitions: ``MEASURE_TRANSITIONS`` (a measure's workflow, with the names the pages
  give each step) and ``PROBLEM_TRANSITIONS`` (a problem's close-out, send-back and reopening,
  and which of its measures each sends back to work). ``TRANSITIONS`` and ``ACTION_ZH`` are
  the measure table read two ways.
- The problem state (已销号 / 已完成 / 基本完成 / 整改中 / 未开始): ``problem_state_counted``,
  the one derivation, and the ways of feeding it (``problem_state`` from statuses,
  ``problem_measure_counts`` in the database, ``problem_ready_q`` for "may be closed").
- Who: the ``*_ROLES`` sets, ``require_role``/``can``, the clearance (安全标记, REQ-1.10:
  nothing is done to a problem or measure labelled above the actor's clearance, whatever the
  roles) and ``may_report_progress``.
- 责任领导预审 (``Round.leader_prereview``): ``submit_action`` sends a submission to the measure's
  own leader first (待领导审核), who approves it on to the unit head or returns it
  (``check_leader_review``); without it nothing changes.
- ``allowed_actions(actor, obj)``: what the actor may do to a measure, a problem or a round now.

Roles are those the actor holds at the round's unit or above (``units.selectors.roles_for_unit``);
the three administrators (三员) hold none here, whatever their memberships.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery

from zhenggai.accounts.actors import Viewer
from zhenggai.accounts.models import Sensitivity
from zhenggai.accounts.roles import holds_admin_role
from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import roles_for_unit

from .models import (
    Amendment,
    ClosureAction,
    Finding,
    FindingKind,
    Measure,
    MeasureKind,
    MeasureStatus,
    PlanSignature,
    ProblemStatus,
    ReviewDecision,
    Round,
)

S = MeasureStatus
P = ProblemStatus

# --- the statuses of a measure -------------------------------------------------------------------

#: Finished: done (已完成) or, for a long-term measure, done for this stage (阶段性完成). A
#: problem may be closed when every one of its measures is finished.
FINISHED: frozenset[str] = frozenset({S.DONE, S.STAGE_DONE})
#: Open: the rest (未开始, 整改中, 待审核). An open measure past its deadline is overdue.
OPEN: frozenset[str] = frozenset(S.values) - FINISHED
#: Awaiting a review: the responsible leader's (待领导审核, when the round has 责任领导预审) or
#: the unit head's (待审核).
IN_REVIEW: frozenset[str] = frozenset({S.LEADER_REVIEW, S.PENDING_REVIEW})
#: Where the responsible person may still report progress (and has it to do, 我的任务): not
#: while it awaits review, not once done; a long-term measure 阶段性完成 goes on being reported.
REPORTABLE: frozenset[str] = frozenset(S.values) - {S.DONE} - IN_REVIEW
#: The kinds of measure a reviewer may mark 阶段性完成 (``approve_stage``).
STAGE_KINDS: frozenset[str] = frozenset({MeasureKind.LONG_TERM})


def _status_in(statuses: frozenset[str], prefix: str) -> Q:
    return Q(**{f"{prefix}status__in": sorted(statuses)})


def finished_q(prefix: str = "") -> Q:
    """Measures (at ``prefix``, e.g. ``"measures__"`` from a problem or round) that are finished."""
    return _status_in(FINISHED, prefix)


def open_q(prefix: str = "") -> Q:
    """Measures (at ``prefix``) that are open."""
    return _status_in(OPEN, prefix)


def overdue_q(today: dt.date, prefix: str = "") -> Q:
    """Measures (at ``prefix``) that are open and past their deadline on ``today``."""
    return Q(**{f"{prefix}deadline__lt": today}) & open_q(prefix)


def is_overdue(status: str, deadline: dt.date | None, today: dt.date) -> bool:
    """Whether a measure with ``status`` and ``deadline`` is overdue on ``today`` (``overdue_q``)."""
    return deadline is not None and deadline < today and status in OPEN


# --- the transitions -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Transition:
    """An action: the statuses it may start from, the status it leads to, its name on the page."""

    sources: frozenset[str]
    target: str
    label: str


@dataclass(frozen=True)
class ProblemTransition(Transition):
    """An action on a problem; ``measures``: the statuses of its measures that it sends back to
    work (each by the measure action ``send_back``, so each is recorded as one)."""

    measures: frozenset[str] = frozenset()


#: A measure's workflow: action → where from, where to, and its name.
MEASURE_TRANSITIONS: dict[str, Transition] = {
    "start": Transition(frozenset({S.NOT_STARTED}), S.IN_PROGRESS, "开始整改"),
    "submit": Transition(frozenset({S.IN_PROGRESS, S.STAGE_DONE}), S.PENDING_REVIEW, "提交审核"),
    # The submission when the round has 责任领导预审 (``Round.leader_prereview``) and the measure
    # a responsible leader: the leader reviews first, then the unit head.
    "submit_leader": Transition(
        frozenset({S.IN_PROGRESS, S.STAGE_DONE}), S.LEADER_REVIEW, "提交责任领导审核"
    ),
    "leader_approve": Transition(frozenset({S.LEADER_REVIEW}), S.PENDING_REVIEW, "责任领导审核通过"),
    "leader_return": Transition(frozenset({S.LEADER_REVIEW}), S.IN_PROGRESS, "责任领导退回"),
    "approve": Transition(frozenset({S.PENDING_REVIEW}), S.DONE, "审核通过"),
    "approve_stage": Transition(frozenset({S.PENDING_REVIEW}), S.STAGE_DONE, "阶段性完成"),
    "return": Transition(frozenset({S.PENDING_REVIEW}), S.IN_PROGRESS, "退回"),
    "send_back": Transition(FINISHED | IN_REVIEW, S.IN_PROGRESS, "退回整改"),
}
#: action → (statuses it may start from, status it leads to): ``MEASURE_TRANSITIONS`` without names.
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    a: (t.sources, t.target) for a, t in MEASURE_TRANSITIONS.items()
}
#: action → its name on the page: ``MEASURE_TRANSITIONS`` read for its names.
ACTION_ZH: dict[str, str] = {a: t.label for a, t in MEASURE_TRANSITIONS.items()}

#: A problem's close-out (对账销号), by a supervisor who sees every one of its measures.
PROBLEM_TRANSITIONS: dict[str, ProblemTransition] = {
    # Every measure finished (``problem_ready``); the measures stay as they are.
    "close": ProblemTransition(frozenset({P.OPEN}), P.CLOSED, ClosureAction.CLOSE.label),
    # The close-out refused: finished measures, and those awaiting review, go back to work.
    "send_back": ProblemTransition(
        frozenset({P.OPEN}),
        P.OPEN,
        ClosureAction.SEND_BACK.label,
        measures=MEASURE_TRANSITIONS["send_back"].sources,
    ),
    # A look-back (回头看) found a relapse: the problem is open again and its finished measures
    # go back to work; one awaiting review stays for the reviewer, who reviews the newer work.
    "reopen": ProblemTransition(frozenset({P.CLOSED}), P.OPEN, ClosureAction.REOPEN.label, measures=FINISHED),
}


def transition(measure: Measure, action: str) -> str:
    """The status ``action`` leads ``measure`` to; ``TransitionRefused`` if not from its status."""
    step = MEASURE_TRANSITIONS[action]
    if measure.status not in step.sources:
        raise TransitionRefused(f"当前状态为“{measure.get_status_display()}”，不能执行“{step.label}”")
    return step.target


# --- the state of a problem ----------------------------------------------------------------------


class ProblemState(StrEnum):
    """A problem's state, as pages, notices and the workbook print it."""

    CLOSED = "已销号"
    COMPLETE = "已完成"
    BASIC = "基本完成"
    WORKING = "整改中"
    NOT_STARTED = "未开始"


#: The states a published completion rate counts as done (基本完成 is not).
COUNTED_COMPLETE: frozenset[str] = frozenset({ProblemState.CLOSED, ProblemState.COMPLETE})
#: The states of an open problem whose measures are all finished: it may be closed (可销号).
READY_TO_CLOSE: frozenset[str] = frozenset({ProblemState.COMPLETE, ProblemState.BASIC})


def problem_state_counted(
    *, closed: bool, total: int, done: int, finished: int, not_started: int
) -> ProblemState:
    """A problem's state from its close-out and the counts of its measures by status.

    The one derivation of the problem state. A problem is 已完成 only when closed or when every
    measure is 已完成; 基本完成 when every one is finished, some only 阶段性完成. A reopened
    problem is open again and its finished measures went back to 整改中 (``finding_reopen``),
    so it is 整改中 until the work is done and reviewed again.
    """
    if closed:
        return ProblemState.CLOSED
    if total and done == total:
        return ProblemState.COMPLETE
    if total and finished == total:
        return ProblemState.BASIC
    if not total or not_started == total:
        return ProblemState.NOT_STARTED
    return ProblemState.WORKING


def problem_state(finding: Finding, statuses: Sequence[str]) -> ProblemState:
    """The state of a problem whose measures have ``statuses``."""
    return problem_state_counted(
        closed=finding.status == P.CLOSED,
        total=len(statuses),
        done=sum(s == S.DONE for s in statuses),
        finished=sum(s in FINISHED for s in statuses),
        not_started=sum(s == S.NOT_STARTED for s in statuses),
    )


def problem_measure_counts() -> dict[str, Count]:
    """Annotations of a problem queryset: its measures counted as ``problem_state_counted`` needs
    them (``m_total``, ``m_done``, ``m_finished``, ``m_not_started``)."""
    # A join does not go through the default manager: deleted measures are left out by hand.
    live = Q(measures__deleted_at__isnull=True)
    return {
        "m_total": Count("measures", filter=live),
        "m_done": Count("measures", filter=live & Q(measures__status=S.DONE)),
        "m_finished": Count("measures", filter=live & finished_q("measures__")),
        "m_not_started": Count("measures", filter=live & Q(measures__status=S.NOT_STARTED)),
    }


def problem_ready_q() -> Q:
    """On problems annotated with ``problem_measure_counts``: those that may be closed now.

    Open, with measures, every one finished: ``problem_state_counted`` says ``READY_TO_CLOSE``.
    """
    return _status_in(PROBLEM_TRANSITIONS["close"].sources, "") & Q(m_total__gt=0, m_finished=F("m_total"))


def problem_ready_exists_q() -> Q:
    """``problem_ready_q`` on problems that are not annotated: open, with a live measure and none
    unfinished, as EXISTS / NOT EXISTS probes of the problem's measures (the
    ``measure_live_finding_status`` index), not a count of every problem's measures."""
    live = Measure.objects.filter(finding=OuterRef("pk"))
    unfinished = live.exclude(finished_q())
    return _status_in(PROBLEM_TRANSITIONS["close"].sources, "") & Q(Exists(live)) & ~Q(Exists(unfinished))


def problem_measure_total() -> Subquery:
    """On problems: how many live measures each has, as a subquery (for the rows of a page, not
    an aggregate over every problem's measures)."""
    n = Measure.objects.filter(finding=OuterRef("pk")).order_by().values("finding").annotate(n=Count("pk"))
    return Subquery(n.values("n"), output_field=IntegerField())


# --- who -----------------------------------------------------------------------------------------

EDIT_ROLES = frozenset({Role.CLERK})
REVIEW_ROLES = frozenset({Role.UNIT_LEADER})
SIGN_ROLES = frozenset({Role.UNIT_LEADER})
SUPERVISE_ROLES = frozenset({Role.SUPERVISOR})
# Who replies to a 督办单 (follow-up order) for its unit: the clerk (整改办) or the unit head.
ORDER_REPLY_ROLES = frozenset({Role.CLERK, Role.UNIT_LEADER})
# Who labels problems and measures (安全标记): the clerk, who knows the content, and the unit leader.
LABEL_ROLES = frozenset({Role.CLERK, Role.UNIT_LEADER})
# Disclosure: the clerk drafts, checks and submits a public document; the unit head (第一责任人)
# approves it, with the second factor where it is required.
PUBLISH_ROLES = frozenset({Role.UNIT_LEADER})
# Citizen feedback: the clerk and the feedback officer triage and reply; only the feedback
# officer may reveal a sender's personal data (each reveal audited, REQ-1.15).
FEEDBACK_ROLES = frozenset({Role.CLERK, Role.FEEDBACK})
PII_ROLES = frozenset({Role.FEEDBACK})


def clearance_of(user: Viewer) -> str:
    """The highest label the user may see (公开 for the anonymous)."""
    if not user.is_authenticated:
        return Sensitivity.PUBLIC
    return user.clearance or Sensitivity.PUBLIC


def cleared_for(user: Viewer, label: str) -> bool:
    return label in Sensitivity.up_to(clearance_of(user))


def effective_sensitivity(measure: Measure) -> str:
    """The label that counts for a measure (and its evidence): the higher of its own and its problem's."""
    return Sensitivity.highest(measure.sensitivity, measure.finding.sensitivity)


def _roles(actor: Viewer, unit: Unit) -> set[str]:
    """The roles that count for ``actor`` at ``unit``: none for the three administrators."""
    if holds_admin_role(actor):
        return set()
    return roles_for_unit(user=actor, unit=unit)


def require_role(actor: Viewer, unit: Unit, roles: Iterable[str], what: str) -> None:
    if holds_admin_role(actor):
        # 三员分立: the system, security and audit administrators never touch ledger data.
        raise NotAllowed(f"三员（系统、安全、审计管理员）不处理台账业务，不能{what}")
    if not roles_for_unit(user=actor, unit=unit) & set(roles):
        raise NotAllowed(f"您没有权限{what}")


def require_cleared(actor: Viewer, label: str, what: str) -> None:
    """Refuse an action on an object labelled above the actor's clearance (REQ-1.10)."""
    if not cleared_for(actor, label):
        raise NotAllowed(f"该内容的安全标记高于您的许可级别，不能{what}")


def can(actor: Viewer, unit: Unit, roles: Iterable[str]) -> bool:
    return bool(_roles(actor, unit) & set(roles))


def is_responsible(actor: Viewer, measure: Measure) -> bool:
    """Whether ``actor`` is the measure's responsible person (责任人)."""
    return measure.person_id is not None and measure.person_id == actor.pk


def may_report_progress(actor: Viewer, measure: Measure) -> bool:
    """The responsible person reports progress and submits; the clerk (整改办) may do it for them."""
    return is_responsible(actor, measure) or can(actor, measure.unit, EDIT_ROLES)


# --- the checks of tracking, shared by the one-measure services and the batch ----------------------
# Each raises the service error a refused call gets; ``label`` is the measure's effective
# 安全标记 (``effective_sensitivity``), passed in so a caller that knows it does not read it again.

#: A reviewer's decision → the transition it makes.
REVIEW_ACTIONS: dict[str, str] = {
    ReviewDecision.APPROVE: "approve",
    ReviewDecision.APPROVE_STAGE: "approve_stage",
    ReviewDecision.RETURN: "return",
}


def check_progress(actor: Viewer, measure: Measure, label: str) -> None:
    """Whether ``actor`` may report progress on ``measure`` (the text is checked apart)."""
    if not may_report_progress(actor, measure):
        raise NotAllowed("只有该措施的责任人（或整改办）可以填报进展")
    require_cleared(actor, label, "填报进展")


def check_progress_text(measure: Measure, text: str) -> None:
    """A progress entry has text, and the measure still takes progress (not done or in review)."""
    if not text.strip():
        raise InvalidInput("请填写整改进展", field="text")
    if measure.status not in REPORTABLE:
        raise TransitionRefused(f"措施当前为“{measure.get_status_display()}”，不能再填报进展")


def submit_action(measure: Measure) -> str:
    """The transition a submission makes: to the responsible leader first (``submit_leader``)
    when the round has 责任领导预审 and the measure a responsible leader, else to the unit head.
    A measure without a leader has nobody to pre-review it: it goes straight to the unit head."""
    if measure.round.leader_prereview and measure.leader_id is not None:
        return "submit_leader"
    return "submit"


def check_submit(actor: Viewer, measure: Measure, label: str, *, has_progress: bool) -> str:
    """The status ``measure`` goes to when ``actor`` submits it for review."""
    if not may_report_progress(actor, measure):
        raise NotAllowed("只有该措施的责任人（或整改办）可以提交审核")
    require_cleared(actor, label, "提交审核")
    target = transition(measure, submit_action(measure))
    if not has_progress:
        raise TransitionRefused("请先填报整改进展和佐证材料，再提交审核")
    return target


def check_review(
    actor: Viewer, measure: Measure, label: str, *, decision: str, reason: str
) -> tuple[str, str]:
    """The transition a review makes and the status it leads to: approve, approve as 阶段性完成
    (long-term measures only) or return (with a reason)."""
    require_role(actor, measure.unit, REVIEW_ROLES, "审核整改措施")
    require_cleared(actor, label, "审核整改措施")
    action = REVIEW_ACTIONS.get(decision)
    if action is None:
        raise InvalidInput("审核意见不正确", field="decision")
    target = transition(measure, action)
    if action == "approve_stage" and measure.kind not in STAGE_KINDS:
        raise TransitionRefused("只有“长期坚持”类措施可以标记为阶段性完成")
    if action == "return" and not reason.strip():
        raise InvalidInput("退回时请写明理由", field="reason")
    return action, target


#: The responsible leader's decision (责任领导预审) → the transition it makes.
LEADER_REVIEW_ACTIONS: dict[str, str] = {
    ReviewDecision.APPROVE: "leader_approve",
    ReviewDecision.RETURN: "leader_return",
}


def is_measure_leader(actor: Viewer, measure: Measure) -> bool:
    """Whether ``actor`` is the measure's responsible leader (责任领导); never one of 三员."""
    return measure.leader_id is not None and measure.leader_id == actor.pk and not holds_admin_role(actor)


def check_leader_review(
    actor: Viewer, measure: Measure, label: str, *, decision: str, reason: str
) -> tuple[str, str]:
    """The transition the responsible leader's pre-review makes and the status it leads to:
    approve (on to the unit head) or return (with a reason) to the responsible person."""
    if not is_measure_leader(actor, measure):
        raise NotAllowed("只有该措施的责任领导可以进行责任领导审核")
    require_cleared(actor, label, "审核整改措施")
    action = LEADER_REVIEW_ACTIONS.get(decision)
    if action is None:
        raise InvalidInput("审核意见不正确", field="decision")
    target = transition(measure, action)
    if action == "leader_return" and not reason.strip():
        raise InvalidInput("退回时请写明理由", field="reason")
    return action, target


# --- what the actor may do now ---------------------------------------------------------------------

#: The names ``allowed_actions`` gives, by the object they apply to.
MEASURE_ACTIONS = frozenset(
    {
        "edit",
        "split",
        "accept_suggestion",
        "move_up",
        "move_down",
        "delete",
        "progress",
        "submit",
        "review",
        "approve",
        "approve_stage",
        "return",
        "leader_review",
        "leader_approve",
        "leader_return",
        "label",
    }
)
PROBLEM_ACTIONS = frozenset(
    {
        "close",
        "send_back",
        "reopen",
        "label",
        "add_measure",
        "edit",
        # corrections (``services.corrections``): the clerk's, on a live node; ``restore`` on a deleted one
        "move",
        "move_up",
        "move_down",
        "split",
        "merge",
        "delete",
        "restore",
    }
)
ROUND_ACTIONS = frozenset(
    {
        "add_finding",
        "assign",
        "import_workbook",
        "edit_notice",
        "edit_round",
        "sign",
        # corrections: delete the round, see its deleted problems (已删除); ``restore`` on a deleted round
        "delete",
        "trash",
        "restore",
    }
)

#: The levels of the findings tree, highest first: a node goes only under a higher one.
KIND_RANK: dict[str, int] = {FindingKind.CATEGORY: 0, FindingKind.ISSUE: 1, FindingKind.PROBLEM: 2}


def _place(measure: Measure) -> tuple[int, int]:
    """The measure's place among its problem's measures: (index from 0, count)."""
    ids = list(
        Measure.objects.filter(finding_id=measure.finding_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    return ids.index(measure.pk) if measure.pk in ids else 0, len(ids)


def measure_actions(
    actor: Viewer, measure: Measure, *, has_progress: bool | None = None, place: tuple[int, int] | None = None
) -> frozenset[str]:
    """What ``actor`` may do to ``measure`` now (names of ``MEASURE_ACTIONS``).

    ``has_progress`` (whether it has a progress entry) and ``place`` ((index, count) among its
    problem's measures) are read from the database when not given.
    """
    if not cleared_for(actor, effective_sensitivity(measure)):
        return frozenset()
    roles = _roles(actor, measure.unit)
    out: set[str] = set()
    status = measure.status
    if roles & EDIT_ROLES:
        out |= {"edit", "split"}
        if measure.suggested_deadline is not None and measure.suggested_deadline != measure.deadline:
            out.add("accept_suggestion")
        index, count = place if place is not None else _place(measure)
        if index > 0:
            out.add("move_up")
        if index < count - 1:
            out.add("move_down")
    reporter = is_responsible(actor, measure) or bool(roles & EDIT_ROLES)
    submittable = status in MEASURE_TRANSITIONS["submit"].sources
    if has_progress is None and (roles & EDIT_ROLES or (reporter and submittable)):
        has_progress = measure.progress.exists()
    if roles & EDIT_ROLES and not has_progress:
        out.add("delete")
    if reporter and status in REPORTABLE:
        out.add("progress")
    if reporter and submittable and has_progress:
        out.add("submit")
    if roles & REVIEW_ROLES and status in MEASURE_TRANSITIONS["approve"].sources:
        out |= {"review", "approve", "return"}
        if measure.kind in STAGE_KINDS and status in MEASURE_TRANSITIONS["approve_stage"].sources:
            out.add("approve_stage")
    if status in MEASURE_TRANSITIONS["leader_approve"].sources and is_measure_leader(actor, measure):
        out |= {"leader_review", "leader_approve", "leader_return"}
    if roles & LABEL_ROLES:
        out.add("label")
    return frozenset(out)


def _siblings(finding: Finding) -> tuple[int, int, int]:
    """The finding's place among its live siblings: (index from 0, count, how many other open
    problems share its parent). One query."""
    rows = list(
        Finding.objects.filter(round_id=finding.round_id, parent_id=finding.parent_id)
        .order_by("position", "id")
        .values_list("pk", "kind", "status")
    )
    ids = [pk for pk, _, _ in rows]
    mergeable = sum(
        1
        for pk, kind, status in rows
        if pk != finding.pk and kind == FindingKind.PROBLEM and status == P.OPEN
    )
    return (ids.index(finding.pk) if finding.pk in ids else 0), len(ids), mergeable


def problem_actions(
    actor: Viewer,
    finding: Finding,
    *,
    measures: Sequence[Measure] | None = None,
    siblings: tuple[int, int, int] | None = None,
) -> frozenset[str]:
    """What ``actor`` may do to ``finding`` now (names of ``PROBLEM_ACTIONS``).

    ``measures``: every measure of the finding (their status and own label), read when not given.
    Closing, sending back and reopening act on every measure, so they are offered only to a
    supervisor who sees them all. ``siblings``: (index, count, other open problems of the same
    parent) as ``_siblings`` reads it, for the clerk's corrections. A closed (已销号) problem is
    neither split, merged nor deleted; a deleted node offers only ``restore``, to the clerk.
    """
    if not cleared_for(actor, finding.sensitivity):
        return frozenset()
    roles = _roles(actor, finding.unit)
    if finding.deleted_at is not None:
        return frozenset({"restore"}) if roles & EDIT_ROLES else frozenset()
    out: set[str] = set()
    if roles & LABEL_ROLES:
        out.add("label")
    if roles & EDIT_ROLES:
        out |= {"add_measure", "edit", "move"}
        index, count, mergeable = siblings if siblings is not None else _siblings(finding)
        if index > 0:
            out.add("move_up")
        if index < count - 1:
            out.add("move_down")
        if finding.status != P.CLOSED:
            out.add("delete")
            if finding.kind == FindingKind.PROBLEM:
                out.add("split")
                if mergeable:
                    out.add("merge")
    if roles & SUPERVISE_ROLES and finding.kind == FindingKind.PROBLEM:
        rows = (
            [(m.status, m.sensitivity) for m in measures]
            if measures is not None
            else list(finding.measures.values_list("status", "sensitivity"))
        )
        if all(cleared_for(actor, label) for _, label in rows):
            statuses = [s for s, _ in rows]
            close, send_back, reopen = (PROBLEM_TRANSITIONS[a] for a in ("close", "send_back", "reopen"))
            if finding.status in close.sources and problem_state(finding, statuses) in READY_TO_CLOSE:
                out.add("close")
            if finding.status in send_back.sources and any(s in send_back.measures for s in statuses):
                out.add("send_back")
            if finding.status in reopen.sources:
                out.add("reopen")
    return frozenset(out)


_UNREAD: Any = object()


def round_actions(
    actor: Viewer,
    round: Round,
    *,
    measures: int | None = None,
    signed: PlanSignature | None = _UNREAD,
    amendments: int | None = None,
) -> frozenset[str]:
    """What ``actor`` may do to ``round`` now (names of ``ROUND_ACTIONS``).

    The unit leader signs a plan that has measures and has not been signed as it stands (never
    signed, or changed since). ``measures`` (how many the round has), ``signed`` (its last
    signature) and ``amendments`` (changes since) are read when not given.
    """
    roles = _roles(actor, round.unit)
    if round.deleted_at is not None:
        return frozenset({"restore"}) if roles & EDIT_ROLES else frozenset()
    out: set[str] = set()
    if roles & EDIT_ROLES:
        out |= {"add_finding", "assign", "import_workbook", "edit_notice", "edit_round", "delete", "trash"}
    if roles & SIGN_ROLES:
        if measures is None:
            measures = Measure.objects.filter(round=round).count()
        if signed is _UNREAD:
            signed = PlanSignature.objects.filter(round=round).order_by("-version").first()
        if signed is not None and amendments is None:
            amendments = Amendment.objects.filter(round=round, signed_version=signed.version).count()
        if measures and (signed is None or amendments):
            out.add("sign")
    return frozenset(out)


def allowed_actions(actor: Viewer, obj: Measure | Finding | Round, **facts: Any) -> frozenset[str]:
    """What ``actor`` may do to ``obj`` (a measure, a finding or a round) now.

    The pages render this (``"submit" in actions``) and the services enforce the same rules;
    ``facts`` are what the caller already knows, so it is not read twice (see
    ``measure_actions``, ``problem_actions``, ``round_actions``).
    """
    if isinstance(obj, Measure):
        return measure_actions(actor, obj, **facts)
    if isinstance(obj, Finding):
        return problem_actions(actor, obj, **facts)
    if isinstance(obj, Round):
        return round_actions(actor, obj, **facts)
    raise TypeError(f"no actions for {type(obj).__name__}")
