"""Findings (问题): the findings tree of the rounds the token's user may see, and one node.

A list row is a node of the tree (问题类别 → 问题 → 具体问题) with its ``parent_id`` and
``position``, so a client rebuilds the tree; rows come by id (keyset), not in tree order. Each
row carries the counts of its own measures and, for a 具体问题, its state (已销号 / 已完成 / 基本完成 /
整改中 / 未开始) as ``policy.problem_state_counted`` derives it. Like the round overview, the counts
include measures above the user's clearance (a number, never a text); nodes above it are left out.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Schema

from zhenggai.accounts.actors import Viewer
from zhenggai.ledger import policy, selectors
from zhenggai.ledger.models import Finding, FindingKind, MeasureStatus, ProblemStatus
from zhenggai.units.selectors import visible_units_q

from ..errors import COMMON
from ..pagination import Page, keyset, page
from ..types import Id

router = Router()


class FindingOut(Schema):
    id: int
    round_id: int
    unit_id: int
    parent_id: int | None
    kind: FindingKind
    number: str
    title: str
    #: 销号状态: ``open`` (整改中) or ``closed`` (已销号).
    status: ProblemStatus
    position: int
    cycle: int
    sensitivity: str
    #: The problem's state (已销号 / 已完成 / 基本完成 / 整改中 / 未开始); null for a category or an issue.
    state: str | None
    #: Its own measures (not those of the nodes below it), every label counted.
    measure_count: int
    measures_done: int
    measures_finished: int
    measures_not_started: int


class FindingDetailOut(FindingOut):
    round_title: str
    unit_name: str
    description: str
    closed_at: dt.datetime | None
    reopen_count: int
    #: The node's children within the user's clearance, in tree order.
    children_ids: list[int]
    #: Its measures within the user's clearance, in plan order.
    measure_ids: list[int]
    #: Measures left out of ``measure_ids`` because they are labelled above the user's clearance.
    hidden_measures: int
    #: What the token's user may do to it now (``ledger.policy.allowed_actions``).
    allowed_actions: list[str]


#: An id in a query: beyond a 64-bit key it is no row (and no database error).


class FindingFilters(Schema):
    round: Id | None = None
    kind: FindingKind | None = None
    status: ProblemStatus | None = None
    parent: Id | None = None


def _findings_for_user(user: Viewer) -> QuerySet[Finding]:
    """Findings of the units the user sees, within their clearance, with the counts of their
    measures (``policy.problem_measure_counts``). A private read the ledger's selectors do not
    have yet (there is ``finding_get_for_user`` for one node): to be moved to
    ``ledger.selectors`` as ``finding_list_for_user``."""
    # The django-stubs plugin cannot see annotations passed as ``**kwargs``.
    return Finding.objects.filter(  # type: ignore[misc]
        visible_units_q(user), selectors.finding_cleared_q(user)
    ).annotate(**policy.problem_measure_counts())


def _state(f: Finding, total: int, done: int, finished: int, not_started: int) -> str | None:
    if f.kind != FindingKind.PROBLEM:
        return None
    return str(
        policy.problem_state_counted(
            closed=f.status == ProblemStatus.CLOSED,
            total=total,
            done=done,
            finished=finished,
            not_started=not_started,
        )
    )


def _out(f: Finding, *, total: int, done: int, finished: int, not_started: int) -> dict[str, object]:
    return {
        "id": f.pk,
        "round_id": f.round_id,
        "unit_id": f.unit_id,
        "parent_id": f.parent_id,
        "kind": f.kind,
        "number": f.number,
        "title": f.title,
        "status": f.status,
        "position": f.position,
        "cycle": f.cycle,
        "sensitivity": f.sensitivity,
        "state": _state(f, total, done, finished, not_started),
        "measure_count": total,
        "measures_done": done,
        "measures_finished": finished,
        "measures_not_started": not_started,
    }


def _annotated_out(f: Finding) -> dict[str, object]:
    a = f.__dict__
    return _out(
        f, total=a["m_total"], done=a["m_done"], finished=a["m_finished"], not_started=a["m_not_started"]
    )


@router.get("", response={200: Page[FindingOut], **COMMON}, summary="问题列表")
def finding_list(
    request: HttpRequest,
    filters: Query[FindingFilters],
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, object]:
    """The nodes of the findings tree the token's user may see, by id; filter by ``round``,
    ``kind``, ``status`` (销号状态) and ``parent``. One query per page whatever the round's size."""
    qs = _findings_for_user(request.user)
    if filters.round is not None:
        qs = qs.filter(round_id=filters.round)
    if filters.kind is not None:
        qs = qs.filter(kind=filters.kind)
    if filters.status is not None:
        qs = qs.filter(status=filters.status)
    if filters.parent is not None:
        qs = qs.filter(parent_id=filters.parent)
    rows, nxt = keyset(qs, cursor=cursor, limit=limit, scope="findings")
    return page([_annotated_out(f) for f in rows], nxt)


@router.get("/{int:finding_id}", response={200: FindingDetailOut, **COMMON}, summary="问题详情")
def finding_detail(request: HttpRequest, finding_id: int) -> dict[str, object]:
    """One node: its description, children, measures and what the user may do to it now."""
    user = request.user
    f = selectors.finding_get_for_user(user=user, pk=finding_id)
    # As the problem page: the state and the actions count every measure; the ids listed are
    # those within the user's clearance.
    every = list(f.measures.order_by("position", "id"))
    shown = [m.pk for m in every if selectors.cleared_for(user, m.sensitivity)]
    by_status = Counter(m.status for m in every)
    out = _out(
        f,
        total=len(every),
        done=by_status[MeasureStatus.DONE],
        finished=sum(n for status, n in by_status.items() if status in policy.FINISHED),
        not_started=by_status[MeasureStatus.NOT_STARTED],
    )
    out.update(
        round_title=f.round.title,
        unit_name=f.unit.name,
        description=f.description,
        closed_at=f.closed_at,
        reopen_count=f.reopen_count,
        children_ids=list(
            f.children.filter(selectors.finding_cleared_q(user))
            .order_by("position", "id")
            .values_list("pk", flat=True)
        ),
        measure_ids=shown,
        hidden_measures=len(every) - len(shown),
        allowed_actions=sorted(policy.allowed_actions(user, f, measures=every)),
    )
    return out
