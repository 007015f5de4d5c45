"""Statistics (统计): the figures of one round, and of every round the token's user may see.

The figures are those of the round overview and the supervision dashboard: problems by state
(``policy.problem_state_counted``) and the completion rate as published notices count it
(``selectors.Tally``), measures by status, overdue, the share done, and the on-time rates
against the current and the first deadline (``supervision.selectors.warnings.on_time_counts``).
Like the overview, they count every problem and measure of a round the user may see, labels
above the user's clearance included (numbers, never titles). A fixed number of queries whatever
the rounds' size: measures grouped by round and status, problems with their measure counts.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count
from django.http import HttpRequest
from ninja import Router, Schema

from zhenggai.ledger import policy, selectors
from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus, ProblemStatus, Round
from zhenggai.supervision.selectors.warnings import on_time_counts

from ..errors import COMMON
from ..pagination import Page, keyset, page

router = Router()


class ProblemFigures(Schema):
    total: int
    #: 已销号 / 已完成 / 基本完成 / 整改中 / 未开始 → how many (every state present, zeros included).
    by_state: dict[str, int]
    #: Closed, or every measure 已完成 (as published notices count completion; 基本完成 is not).
    complete: int
    #: Completed problems / problems, in percent; null without problems.
    completion_rate: float | None


class MeasureFigures(Schema):
    total: int
    #: Status (``not_started``, ``in_progress``…) → how many (every status present, zeros included).
    by_status: dict[str, int]
    #: Open and past the deadline today.
    overdue: int
    done: int
    #: 已完成 measures / measures, in percent; null without measures.
    done_rate: float | None
    #: 按期完成率 against the current deadline and against the first one, in percent (null when
    #: none is due yet), with the counts behind them.
    due: int
    on_time: int
    on_time_rate: float | None
    due_original: int
    on_time_original: int
    on_time_rate_original: float | None


class RoundStatsOut(Schema):
    round_id: int
    title: str
    unit_id: int
    unit_name: str
    today: dt.date
    problems: ProblemFigures
    measures: MeasureFigures


def _rate(part: int, whole: int) -> float | None:
    return round(100 * part / whole, 2) if whole else None


@dataclass
class _Figures:
    tally: selectors.Tally = field(default_factory=selectors.Tally)
    states: Counter[str] = field(default_factory=Counter)
    on_time: Counter[str] = field(default_factory=Counter)


def _figures(round_ids: Sequence[int], today: dt.date) -> dict[int, _Figures]:
    """The figures of ``round_ids`` (rounds already scoped to the user), two queries whatever
    their size. Private reads the ledger's selectors do not have in this form (per round, many
    rounds at once): to be moved to ``ledger.selectors`` (``round_figures``)."""
    out: dict[int, _Figures] = defaultdict(_Figures)
    if not round_ids:
        return out
    # Grouped by status as well: every count is a sum over the statuses of a round.
    measures = (
        Measure.objects.filter(round_id__in=round_ids)
        .order_by()
        .values("round_id", "status")
        .annotate(n=Count("pk"), late=Count("pk", filter=policy.overdue_q(today)), **on_time_counts(today))
    )
    for row in measures:
        f = out[row["round_id"]]
        f.tally.measures[row["status"]] += row["n"]
        f.tally.overdue += row["late"]
        for key in ("due", "on_time", "due_original", "on_time_original"):
            f.on_time[key] += row[key]
    problems = (
        # The django-stubs plugin cannot see annotations passed as ``**kwargs``.
        Finding.objects.filter(round_id__in=round_ids, kind=FindingKind.PROBLEM)  # type: ignore[misc]
        .order_by()
        .annotate(**policy.problem_measure_counts())
        .values_list("round_id", "status", "m_total", "m_done", "m_finished", "m_not_started")
    )
    for rid, status, total, done, finished, not_started in problems.iterator(chunk_size=2000):
        state = policy.problem_state_counted(
            closed=status == ProblemStatus.CLOSED,
            total=total,
            done=done,
            finished=finished,
            not_started=not_started,
        )
        f = out[rid]
        f.tally.count_problem(state)
        f.states[state] += 1
    return out


def _stats(r: Round, f: _Figures, today: dt.date) -> dict[str, Any]:
    t, ot = f.tally, f.on_time
    done = t.measures[MeasureStatus.DONE]
    return {
        "round_id": r.pk,
        "title": r.title,
        "unit_id": r.unit_id,
        "unit_name": r.unit.name,
        "today": today,
        "problems": {
            "total": t.problems,
            "by_state": {str(s): f.states[s] for s in policy.ProblemState},
            "complete": t.problems_complete,
            "completion_rate": t.completion_rate,
        },
        "measures": {
            "total": t.measure_total,
            "by_status": {s: t.measures[s] for s in MeasureStatus.values},
            "overdue": t.overdue,
            "done": done,
            "done_rate": _rate(done, t.measure_total),
            "due": ot["due"],
            "on_time": ot["on_time"],
            "on_time_rate": _rate(ot["on_time"], ot["due"]),
            "due_original": ot["due_original"],
            "on_time_original": ot["on_time_original"],
            "on_time_rate_original": _rate(ot["on_time_original"], ot["due_original"]),
        },
    }


@router.get("/rounds/{int:round_id}", response={200: RoundStatsOut, **COMMON}, summary="巡察轮次统计")
def stats_round(request: HttpRequest, round_id: int) -> dict[str, Any]:
    """One round's figures: problems by state and completion, measures by status, overdue, the
    share done, the on-time rates. A fixed number of queries whatever the round's size."""
    r = selectors.round_get_for_user(user=request.user, pk=round_id)
    today = selectors.today()
    return _stats(r, _figures([r.pk], today)[r.pk], today)


@router.get("/overview", response={200: Page[RoundStatsOut], **COMMON}, summary="统计总览")
def stats_overview(
    request: HttpRequest, limit: int | None = None, cursor: str | None = None
) -> dict[str, object]:
    """The figures of every round the token's user may see, one page of rounds by id (three
    queries a page whatever the rounds' size)."""
    rows, nxt = keyset(
        selectors.round_list_for_user(user=request.user), cursor=cursor, limit=limit, scope="stats-rounds"
    )
    today = selectors.today()
    figures = _figures([r.pk for r in rows], today)
    return page([_stats(r, figures[r.pk], today) for r in rows], nxt)
