"""Reads of the follow-up after close-out: verification (核验), look-backs (回头看) and the
relapse rate, a problem's history by cycle, the effectiveness evaluation (整改成效评估) and
督办单. Each takes the acting user and is scoped to their units (``visible_units_q``) and
their clearance: an object out of scope is ``Http404``; a problem above the user's clearance
is counted but not named."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from zhenggai.accounts.actors import Viewer
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger.models import (
    Closure,
    ClosureAction,
    Finding,
    FindingKind,
    Measure,
    ProblemStatus,
    Progress,
    Review,
    Round,
)
from zhenggai.ledger.policy import SUPERVISE_ROLES, can, cleared_for
from zhenggai.ledger.selectors import finding_cleared_q, measure_cleared_q, round_get_for_user
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import memberships_of, visible_units_q

from ..models import (
    FollowUpOrder,
    Indicator,
    Lookback,
    LookbackItem,
    LookbackResult,
    OrderStatus,
    Score,
    Verification,
)
from ..rules import tier_at, tiers_by_round

# --- look-backs and the relapse rate ----------------------------------------------------------


@dataclass(frozen=True)
class RelapseRate:
    """Relapsed / checked items across a round's look-backs (``rate`` in percent, None: none checked)."""

    checked: int
    relapsed: int

    @property
    def rate(self) -> float | None:
        return round(100 * self.relapsed / self.checked, 2) if self.checked else None


def relapse_rate(*, round: Round) -> RelapseRate:
    """The round's relapse rate over every look-back item checked so far (one query).
    ``round`` must come from a scoped selector."""
    row = LookbackItem.objects.filter(lookback__round=round).aggregate(
        checked=Count("pk", filter=~Q(result=LookbackResult.PENDING)),
        relapsed=Count("pk", filter=Q(result=LookbackResult.RELAPSED)),
    )
    return RelapseRate(row["checked"] or 0, row["relapsed"] or 0)


def lookbacks_of_round(*, user: Viewer, round: Round) -> list[Lookback]:
    """The round's look-backs, latest first, each with ``n_items``, ``n_held``, ``n_relapsed``
    and ``n_pending`` (one query)."""
    round_get_for_user(user=user, pk=round.pk)
    return list(
        Lookback.objects.filter(round=round)
        .select_related("created_by")
        .annotate(
            n_items=Count("items"),
            n_held=Count("items", filter=Q(items__result=LookbackResult.HELD)),
            n_relapsed=Count("items", filter=Q(items__result=LookbackResult.RELAPSED)),
            n_pending=Count("items", filter=Q(items__result=LookbackResult.PENDING)),
        )
        .order_by("-scheduled_on", "-id")
    )


def lookback_get_for_user(*, user: Viewer, pk: int) -> Lookback:
    lb = (
        Lookback.objects.filter(visible_units_q(user), round__deleted_at__isnull=True)
        .select_related("round", "unit", "created_by")
        .filter(pk=pk)
        .first()
    )
    if lb is None:
        raise Http404("未找到该回头看")
    return lb


def lookback_item_get_for_user(*, user: Viewer, pk: int) -> LookbackItem:
    """One item of a look-back the user may see, its problem within their clearance."""
    it = (
        LookbackItem.objects.filter(
            visible_units_q(user),
            finding_cleared_q(user, "finding__"),
            lookback__round__deleted_at__isnull=True,
        )
        .select_related("lookback", "finding", "unit")
        .filter(pk=pk)
        .first()
    )
    if it is None:
        raise Http404("未找到该回头看核查项")
    return it


@dataclass(frozen=True)
class ItemRow:
    """One problem of a look-back as the user sees it: ``finding`` None when it is labelled
    above the user's clearance (counted, not named)."""

    item: LookbackItem
    finding: Finding | None


def lookback_items(*, user: Viewer, lookback: Lookback) -> list[ItemRow]:
    """The look-back's problems in the round's order (one query); ``lookback`` from
    ``lookback_get_for_user``."""
    items = (
        LookbackItem.objects.filter(lookback=lookback)
        .select_related("finding", "checked_by")
        .order_by("finding__position", "id")
    )
    return [ItemRow(it, it.finding if cleared_for(user, it.finding.sensitivity) else None) for it in items]


def closed_problems_for_lookback(*, user: Viewer, round: Round) -> QuerySet[Finding]:
    """The round's closed problems the user is cleared for (choices of a new look-back)."""
    return Finding.objects.filter(
        finding_cleared_q(user), round=round, kind=FindingKind.PROBLEM, status=ProblemStatus.CLOSED
    ).order_by("position", "id")


# --- a problem's history, cycle by cycle -------------------------------------------------------


@dataclass
class Cycle:
    """One rectification cycle of a problem: its events in time order (``kind``: progress,
    review, closure, verification, lookback), and the relapse that ended it (if it ended)."""

    number: int
    events: list[tuple[dt.datetime, str, Any]] = field(default_factory=list)
    ended_by: Closure | None = None
    current: bool = False


def round_cycles(*, user: Viewer, finding: Finding) -> list[Cycle]:
    """The problem's history grouped by cycle, latest cycle first; ``finding`` from
    ``finding_get_for_user``. Closures, verifications and look-back checks carry their cycle;
    progress and reviews are placed by date, split at the reopenings that started a new
    cycle (a relapse). Progress and reviews of measures above the user's clearance are left
    out. Five queries."""
    closures = list(
        Closure.objects.filter(finding=finding).select_related("actor").order_by("created_at", "id")
    )
    # The last reopening of a cycle before the current one is the relapse that ended it.
    ends: dict[int, Closure] = {}
    for c in closures:
        if c.action == ClosureAction.REOPEN and c.cycle < finding.cycle:
            ends[c.cycle] = c
    cycles = {n: Cycle(n, current=n == finding.cycle) for n in range(1, finding.cycle + 1)}
    for n, c in ends.items():
        cycles[n].ended_by = c
    bounds = sorted((c.created_at, n) for n, c in ends.items())

    def cycle_at(when: dt.datetime) -> int:
        for end, n in bounds:
            if when <= end:
                return n
        return finding.cycle

    def put(n: int, when: dt.datetime, kind: str, obj: Any) -> None:
        cycles.setdefault(n, Cycle(n)).events.append((when, kind, obj))

    measures = Measure.objects.filter(measure_cleared_q(user), finding=finding)
    for p in Progress.objects.filter(measure__in=measures).select_related("author", "measure"):
        put(cycle_at(p.created_at), p.created_at, "progress", p)
    for r in Review.objects.filter(measure__in=measures).select_related("reviewer", "measure"):
        put(cycle_at(r.created_at), r.created_at, "review", r)
    for c in closures:
        put(c.cycle, c.created_at, "closure", c)
    for v in Verification.objects.filter(finding=finding, measure__in=measures).select_related(
        "verifier", "measure"
    ):
        put(v.cycle, v.created_at, "verification", v)
    for it in LookbackItem.objects.filter(finding=finding, checked_at__isnull=False).select_related(
        "lookback", "checked_by"
    ):
        if it.checked_at is not None:
            put(it.cycle, it.checked_at, "lookback", it)
    out = sorted(cycles.values(), key=lambda c: c.number, reverse=True)
    for cy in out:
        cy.events.sort(key=lambda e: (e[0], e[1]))
    return out


# --- verification ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundVerifications:
    """Measures of the round's closed problems not yet verified since the close-out
    (``pending``, each with ``closed_at``), and every verification made (``done``)."""

    pending: Sequence[Measure]
    done: list[Verification]
    hidden: int


def round_verifications(*, user: Viewer, round: Round) -> RoundVerifications:
    """Three queries whatever the size of the round."""
    round_get_for_user(user=user, pk=round.pk)
    since_closed = Verification.objects.filter(
        measure=OuterRef("pk"), created_at__gte=OuterRef("finding__closed_at")
    )
    closed = Measure.objects.filter(
        round=round, finding__status=ProblemStatus.CLOSED, finding__deleted_at__isnull=True
    )
    pending = list(
        closed.filter(measure_cleared_q(user))
        .annotate(verified=Exists(since_closed))
        .filter(verified=False)
        .select_related("finding", "person", "leader")
        .order_by("finding__position", "position", "id")
    )
    hidden = closed.exclude(measure_cleared_q(user)).count() if measure_cleared_q(user) else 0
    done = list(
        Verification.objects.filter(measure_cleared_q(user, "measure__"), measure__round=round)
        .select_related("measure", "finding", "verifier")
        .order_by("-created_at", "-id")
    )
    return RoundVerifications(pending, done, hidden)


def implementers(measure: Measure) -> set[int]:
    """Who implemented the measure: its responsible person and leader, and everyone who
    reported progress on it. None of them may verify it (one query)."""
    ids = {pk for pk in (measure.person_id, measure.leader_id) if pk is not None}
    ids |= set(Progress.objects.filter(measure=measure).values_list("author_id", flat=True))
    return ids


def measures_to_verify(*, user: Viewer, finding: Finding, measures: Sequence[Measure]) -> list[Measure]:
    """Of a closed problem's ``measures`` (those the user is shown), the ones the user may
    verify now: a supervisor of the unit, cleared, who did not implement it, and not verified
    since the close-out. Two queries; none when the problem is open or the user supervises
    nothing there."""
    if finding.status != ProblemStatus.CLOSED or finding.closed_at is None:
        return []
    if not can(user, finding.unit, SUPERVISE_ROLES):
        return []
    ids = [m.pk for m in measures]
    authors: dict[int, set[int]] = defaultdict(set)
    for mid, author in Progress.objects.filter(measure_id__in=ids).values_list("measure_id", "author_id"):
        authors[mid].add(author)
    verified = set(
        Verification.objects.filter(measure_id__in=ids, created_at__gte=finding.closed_at).values_list(
            "measure_id", flat=True
        )
    )
    return [
        m
        for m in measures
        if m.pk not in verified
        and user.pk not in {m.person_id, m.leader_id}
        and user.pk not in authors[m.pk]
        and cleared_for(user, m.sensitivity)
    ]


def verifications_of_measure(*, measure: Measure) -> list[Verification]:
    """A measure's verifications, oldest first (``measure`` from a scoped selector)."""
    return list(measure.verifications.select_related("verifier").order_by("created_at", "id"))


# --- the effectiveness evaluation --------------------------------------------------------------


@dataclass
class IndicatorRow:
    indicator: Indicator
    average: Decimal | None
    evaluators: int
    mine: Score | None = None


@dataclass
class DimensionRow:
    name: str
    indicators: list[IndicatorRow] = field(default_factory=list)

    @property
    def max_score(self) -> Decimal:
        return sum((r.indicator.max_score for r in self.indicators), Decimal(0))

    @property
    def average(self) -> Decimal | None:
        scored = [r.average for r in self.indicators if r.average is not None]
        return sum(scored, Decimal(0)) if scored else None


@dataclass
class EvaluationReport:
    """Per dimension (in the scheme's order): its maximum, the sum of its indicators' average
    scores across evaluators, and each indicator; the totals; how many evaluators scored."""

    round: Round
    dimensions: list[DimensionRow]
    evaluators: int

    @property
    def max_score(self) -> Decimal:
        return sum((d.max_score for d in self.dimensions), Decimal(0))

    @property
    def total(self) -> Decimal | None:
        scored = [d.average for d in self.dimensions if d.average is not None]
        return sum(scored, Decimal(0)) if scored else None

    @property
    def indicators(self) -> int:
        return sum(len(d.indicators) for d in self.dimensions)


def evaluation_report(*, user: Viewer, round: Round) -> EvaluationReport:
    """The round's scheme with the average of each indicator across its evaluators (rounded to
    two places), with the user's own scores (``mine``). Two queries."""
    round_get_for_user(user=user, pk=round.pk)
    indicators = list(Indicator.objects.filter(round=round).order_by("position", "id"))
    by_indicator: dict[int, list[Score]] = defaultdict(list)
    evaluators: set[int] = set()
    for s in Score.objects.filter(indicator__round=round):
        by_indicator[s.indicator_id].append(s)
        evaluators.add(s.evaluator_id)
    dims: dict[str, DimensionRow] = {}
    for ind in indicators:
        scores = by_indicator.get(ind.pk, [])
        avg = (
            (sum((s.score for s in scores), Decimal(0)) / len(scores)).quantize(Decimal("0.01"))
            if scores
            else None
        )
        mine = next((s for s in scores if s.evaluator_id == user.pk), None)
        dims.setdefault(ind.dimension, DimensionRow(ind.dimension)).indicators.append(
            IndicatorRow(ind, avg, len(scores), mine)
        )
    return EvaluationReport(round, list(dims.values()), len(evaluators))


def indicator_get_for_user(*, user: Viewer, pk: int) -> Indicator:
    ind = (
        Indicator.objects.filter(visible_units_q(user), round__deleted_at__isnull=True)
        .select_related("round", "unit")
        .filter(pk=pk)
        .first()
    )
    if ind is None:
        raise Http404("未找到该评估指标")
    return ind


# --- 督办单 ---------------------------------------------------------------------------------------


def order_tier(order: FollowUpOrder, *, today: dt.date, tiers: list[dict[str, Any]]) -> str | None:
    """The warning colour of an order by its reply deadline (None: none, or replied)."""
    if order.status != OrderStatus.ISSUED:
        return None
    return tier_at(deadline=order.reply_due, today=today, tiers=tiers)


def _reply_units_q(user: Viewer) -> Q:
    """Orders to units where the user replies (clerk or unit head there or above)."""
    q = Q(pk__in=[])
    for m in memberships_of(user):
        if m.role in {Role.CLERK, Role.UNIT_LEADER} and m.unit.path:
            q |= Q(unit__path__startswith=m.unit.path)
    return q


ORDER_FILTERS = {"all": "全部", "issued": "我发出的", "received": "待我单位回复", "open": "未办结"}


def orders_for_user(*, user: Viewer, which: str = "all") -> QuerySet[FollowUpOrder]:
    """Orders to the units the user sees (and those the user issued), latest first;
    ``which``: ``issued`` (by the user), ``received`` (to units the user replies for,
    awaiting the reply), ``open`` (not closed)."""
    qs = FollowUpOrder.objects.filter(visible_units_q(user) | Q(issued_by_id=user.pk or 0))
    if which == "issued":
        qs = qs.filter(issued_by_id=user.pk or 0)
    elif which == "received":
        qs = qs.filter(_reply_units_q(user), status=OrderStatus.ISSUED)
    elif which == "open":
        qs = qs.exclude(status=OrderStatus.CLOSED)
    return qs.select_related("unit", "issued_by", "round").order_by("-issued_at", "-id")


def order_rows(*, orders: list[FollowUpOrder], today: dt.date) -> list[tuple[FollowUpOrder, str | None]]:
    """Each order with its warning colour (one query for the rounds' tiers)."""
    tiers = tiers_by_round({o.round_id for o in orders if o.round_id is not None} | {0})
    return [(o, order_tier(o, today=today, tiers=tiers[o.round_id or 0])) for o in orders]


def order_get_for_user(*, user: Viewer, pk: int) -> FollowUpOrder:
    o = orders_for_user(user=user).select_related("finding", "replied_by", "closed_by").filter(pk=pk).first()
    if o is None:
        raise Http404("未找到该督办单")
    return o


def order_finding_shown(*, user: Viewer, order: FollowUpOrder) -> Finding | None:
    """The problem the order is about, unless it is labelled above the user's clearance (or deleted)."""
    f = order.finding
    if f is None or f.deleted_at is not None or not cleared_for(user, f.sensitivity):
        return None
    return f


def order_history(*, order: FollowUpOrder) -> list[AuditEvent]:
    """What was done to the order (issued, replies, returns, closed), oldest first: earlier
    replies sent back stay readable here."""
    return list(
        AuditEvent.objects.filter(object_type="followuporder", object_id=str(order.pk), outcome="ok")
        .select_related("actor")
        .order_by("seq")
    )


def supervised_units(*, user: Viewer) -> QuerySet[Unit]:
    """Units the user supervises (a supervisor there or above): where they may send 督办单."""
    q = Q(pk__in=[])
    for m in memberships_of(user):
        if m.role in SUPERVISE_ROLES and m.unit.path:
            q |= Q(path__startswith=m.unit.path)
    return Unit.objects.filter(q).order_by("path")


def may_supervise(user: Viewer, unit: Unit) -> bool:
    return can(user, unit, SUPERVISE_ROLES)
