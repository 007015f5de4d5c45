"""The supervisor's dashboard (督办看板): every unit and round under the user's supervision.

Per round and per unit: problems, completed (closed, or every measure 已完成; a reopened problem
is open again, so not complete), completion rate, overdue by tier, the on-time rates against the
current and the first deadline (as ``selectors.warnings.on_time_rates`` defines them), extensions
requested and granted, problems reopened and relapsed; units ranked by completion and overdue.
Figures count every problem and measure (numbers, never titles: the round overview does the
same); the drill-down list (``measure_drilldown``) applies clearance.

Six queries whatever the number of rounds and measures: rounds, tiers, measures grouped by round,
open measures grouped by round and tier, problems and extensions grouped by round.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from zhenggai.accounts.actors import Viewer
from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus, ProblemStatus, Round
from zhenggai.ledger.policy import FINISHED, OPEN, overdue_q
from zhenggai.ledger.selectors import measure_cleared_q, today
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import visible_units_q

from ..models import Extension, ExtensionStatus
from ..rules import LEVELS, tiers_by_round
from .desks import (
    AWAITING_REVIEW,
    returned_measures,
    tier_case_for_rounds,
    under_q,
    units_with_role,
    with_tiers,
)
from .warnings import on_time_counts

S = MeasureStatus


def supervised_units(user: Viewer) -> list[Unit]:
    """Units where the user holds the supervisor role (巡察办/纪委): the dashboard's scope."""
    return units_with_role(user, Role.SUPERVISOR)


def is_supervisor(user: Viewer) -> bool:
    return bool(supervised_units(user))


@dataclass
class Figures:
    """The dashboard's figures of a round, or summed over a unit or everything."""

    problems: int = 0
    completed: int = 0
    reopened: int = 0
    relapsed: int = 0
    measures: int = 0
    finished: int = 0
    overdue: int = 0
    tiers: dict[str, int] = field(default_factory=lambda: dict.fromkeys(LEVELS, 0))
    awaiting_review: int = 0
    due: int = 0
    on_time: int = 0
    due_original: int = 0
    on_time_original: int = 0
    ext_requested: int = 0
    ext_granted: int = 0
    ext_pending: int = 0

    @property
    def completion_rate(self) -> float | None:
        """Completed problems / problems, in percent (as ``Tally.completion_rate``)."""
        return round(100 * self.completed / self.problems, 2) if self.problems else None

    @property
    def on_time_rate(self) -> float | None:
        return round(100 * self.on_time / self.due, 2) if self.due else None

    @property
    def on_time_rate_original(self) -> float | None:
        return round(100 * self.on_time_original / self.due_original, 2) if self.due_original else None

    @property
    def overdue_tiers(self) -> list[tuple[str, str, int]]:
        return [(k, LEVELS[k], self.tiers.get(k, 0)) for k in LEVELS]

    def add(self, other: Figures) -> None:
        for name in (
            "problems",
            "completed",
            "reopened",
            "relapsed",
            "measures",
            "finished",
            "overdue",
            "awaiting_review",
            "due",
            "on_time",
            "due_original",
            "on_time_original",
            "ext_requested",
            "ext_granted",
            "ext_pending",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.tiers.items():
            self.tiers[k] = self.tiers.get(k, 0) + v


@dataclass
class RoundRow:
    round: Round
    figures: Figures


@dataclass
class UnitRow:
    unit: Unit
    rounds: int
    figures: Figures
    rank: int = 0


@dataclass
class Dashboard:
    rounds: list[RoundRow]
    units: list[UnitRow]
    total: Figures
    today: dt.date

    @property
    def chart_data(self) -> dict[str, Any]:
        """What the charts draw (through ``json_script``): per unit, in rank order."""
        return {
            "units": [u.unit.name for u in self.units],
            "unit_ids": [u.unit.pk for u in self.units],
            "completion": [u.figures.completion_rate or 0 for u in self.units],
            "tiers": {k: [u.figures.tiers.get(k, 0) for u in self.units] for k in LEVELS},
            "tier_names": dict(LEVELS),
            "on_time": [u.figures.on_time_rate or 0 for u in self.units],
            "on_time_original": [u.figures.on_time_rate_original or 0 for u in self.units],
        }


def dashboard_for_user(*, user: Viewer) -> Dashboard:
    """The dashboard of every round of every unit under the user's supervision (empty for a
    user who supervises nothing: the view refuses them first). Six queries."""
    on = today()
    units = supervised_units(user)
    rounds = list(
        Round.objects.filter(under_q(units), visible_units_q(user))
        .select_related("unit")
        .order_by("unit__path", "-created_at", "-id")
    )
    ids = [r.pk for r in rounds]
    figures: dict[int, Figures] = defaultdict(Figures)
    if ids:
        tiers = tiers_by_round(ids)
        _measure_figures(ids, tiers, on, figures)
        _problem_figures(ids, figures)
        _extension_figures(ids, figures)
    rows = [RoundRow(r, figures[r.pk]) for r in rounds]
    by_unit: dict[int, UnitRow] = {}
    total = Figures()
    for row in rows:
        u = by_unit.setdefault(row.round.unit_id, UnitRow(row.round.unit, 0, Figures()))
        u.rounds += 1
        u.figures.add(row.figures)
        total.add(row.figures)
    # Ranked: highest completion first, then fewest overdue (black counts before red), then name.
    ranked = sorted(
        by_unit.values(),
        key=lambda u: (
            -(u.figures.completion_rate or 0),
            u.figures.tiers.get("black", 0),
            u.figures.overdue,
            u.unit.name,
        ),
    )
    for i, u in enumerate(ranked, 1):
        u.rank = i
    return Dashboard(rows, ranked, total, on)


def _measure_figures(
    ids: list[int], tiers: dict[int, list[dict[str, Any]]], on: dt.date, out: dict[int, Figures]
) -> None:
    rows = (
        Measure.objects.filter(round_id__in=ids)
        .order_by()
        .values("round_id")
        .annotate(
            n=Count("pk"),
            finished=Count("pk", filter=Q(status__in=sorted(FINISHED))),
            overdue=Count("pk", filter=overdue_q(on)),
            review=Count("pk", filter=Q(status__in=sorted(AWAITING_REVIEW))),
            # the on-time rates, as ``warnings.on_time_rates`` counts them, per round
            **on_time_counts(on),
        )
    )
    for row in rows:
        f = out[row["round_id"]]
        f.measures, f.finished, f.overdue, f.awaiting_review = (
            row["n"],
            row["finished"],
            row["overdue"],
            row["review"],
        )
        f.due, f.on_time = row["due"], row["on_time"]
        f.due_original, f.on_time_original = row["due_original"], row["on_time_original"]
    # The tiers apart, grouped: the tier expression is evaluated once per open measure.
    tiered = (
        Measure.objects.filter(round_id__in=ids, status__in=sorted(OPEN), deadline__isnull=False)
        .annotate(tier=tier_case_for_rounds(today=on, tiers=tiers))
        .order_by()
        .values("round_id", "tier")
        .annotate(n=Count("pk"))
        .values_list("round_id", "tier", "n")
    )
    for rid, tier, n in tiered:
        if tier in LEVELS:
            out[rid].tiers[tier] = n


def _problem_figures(ids: list[int], out: dict[int, Figures]) -> None:
    measures = Measure.objects.filter(finding=OuterRef("pk"))
    rows = (
        Finding.objects.filter(round_id__in=ids, kind=FindingKind.PROBLEM)
        .annotate(
            has_measures=Exists(measures),
            has_undone=Exists(measures.exclude(status=S.DONE)),
        )
        .order_by()
        .values("round_id")
        .annotate(
            n=Count("pk"),
            completed=Count(
                "pk", filter=Q(status=ProblemStatus.CLOSED) | Q(has_measures=True, has_undone=False)
            ),
            reopened=Count("pk", filter=Q(reopen_count__gt=0)),
            relapsed=Count("pk", filter=Q(cycle__gt=1)),
        )
    )
    for row in rows:
        f = out[row["round_id"]]
        f.problems, f.completed, f.reopened, f.relapsed = (
            row["n"],
            row["completed"],
            row["reopened"],
            row["relapsed"],
        )


def _extension_figures(ids: list[int], out: dict[int, Figures]) -> None:
    rows = (
        Extension.objects.filter(round_id__in=ids, measure__deleted_at__isnull=True)
        .order_by()
        .values("round_id")
        .annotate(
            n=Count("pk"),
            granted=Count("pk", filter=Q(status=ExtensionStatus.GRANTED)),
            pending=Count("pk", filter=Q(status=ExtensionStatus.PENDING)),
        )
    )
    for row in rows:
        f = out[row["round_id"]]
        f.ext_requested, f.ext_granted, f.ext_pending = row["n"], row["granted"], row["pending"]


# --- the drill-down: the measures behind a figure -------------------------------------------------


@dataclass(frozen=True)
class DrillFilters:
    """What a figure stands for. ``tier``: a tier key, ``overdue`` (red and black) or ``none``;
    ``status``: a status, ``review`` (both review statuses) or ``open``; ``mine``: ``person`` or
    ``leader`` (the user's own); ``problem``: ``reopened`` or ``relapsed``; ``late``: not done on
    time against the current (``current``) or the first deadline (``original``)."""

    unit: int | None = None
    round: int | None = None
    tier: str = ""
    status: str = ""
    mine: str = ""
    returned: bool = False
    problem: str = ""
    extension: str = ""

    def describe(self) -> list[str]:
        """The filters in words, for the page's heading."""
        out = []
        if self.tier:
            out.append(
                {"overdue": "已逾期（红/黑）", "none": "无预警"}.get(self.tier, LEVELS.get(self.tier, ""))
            )
        if self.status:
            out.append(
                {"review": "待审核（含领导预审）", "open": "未完成"}.get(
                    self.status, dict(S.choices).get(self.status, "")
                )
            )
        if self.mine:
            out.append({"person": "我是责任人", "leader": "我是责任领导"}.get(self.mine, ""))
        if self.returned:
            out.append("被退回")
        if self.problem:
            out.append(
                {
                    "reopened": "问题曾重新打开",
                    "relapsed": "问题反弹后再次整改",
                    "completed": "问题已完成",
                }.get(self.problem, "")
            )
        if self.extension:
            out.append(
                {"requested": "申请过延期", "granted": "获准延期", "pending": "延期待审批"}.get(
                    self.extension, ""
                )
            )
        return [s for s in out if s]


def measure_drilldown(*, user: Viewer, filters: DrillFilters) -> QuerySet[Measure]:
    """The measures behind a figure, that the user may see (unit scope and clearance), annotated
    with ``tier`` (and ``returned``/``last_reason``), most urgent first. A unit or round outside
    the user's units is ``Http404``."""
    f = filters
    on = today()
    qs = Measure.objects.filter(visible_units_q(user), measure_cleared_q(user))
    round_ids: list[int]
    if f.round:
        if not Round.objects.filter(visible_units_q(user), pk=f.round).exists():
            raise Http404("未找到该巡察轮次")
        qs = qs.filter(round_id=f.round)
        round_ids = [f.round]
    else:
        rounds = Round.objects.filter(visible_units_q(user))
        if f.unit:
            unit = Unit.objects.filter(visible_units_q(user, field=""), pk=f.unit).first()
            if unit is None:
                raise Http404("未找到该单位")
            rounds = rounds.filter(unit__path__startswith=unit.path)
            qs = qs.filter(unit__path__startswith=unit.path)
        round_ids = list(rounds.values_list("pk", flat=True))
    tiers = tiers_by_round(round_ids)
    qs = with_tiers(qs, tiers=tiers, on=on)
    # ``tier`` is an annotation the django-stubs plugin does not see.
    if f.tier == "overdue":
        qs = qs.filter(tier__in=["red", "black"])  # type: ignore[misc]
    elif f.tier == "none":
        qs = qs.filter(tier="")  # type: ignore[misc]
    elif f.tier in LEVELS:
        qs = qs.filter(tier=f.tier)  # type: ignore[misc]
    if f.status == "review":
        qs = qs.filter(status__in=sorted(AWAITING_REVIEW))
    elif f.status == "open":
        qs = qs.filter(status__in=sorted(OPEN))
    elif f.status in S.values:
        qs = qs.filter(status=f.status)
    if f.mine == "person":
        qs = qs.filter(person_id=user.pk)
    elif f.mine == "leader":
        qs = qs.filter(leader_id=user.pk)
    if f.problem == "reopened":
        qs = qs.filter(finding__reopen_count__gt=0)
    elif f.problem == "relapsed":
        qs = qs.filter(finding__cycle__gt=1)
    elif f.problem == "completed":
        undone = Measure.objects.filter(finding=OuterRef("finding_id")).exclude(status=S.DONE)
        qs = qs.filter(Q(finding__status=ProblemStatus.CLOSED) | ~Exists(undone))
    if f.extension in ("requested", "granted", "pending"):
        ext = Extension.objects.filter(measure=OuterRef("pk"))
        if f.extension != "requested":
            ext = ext.filter(status=f.extension)
        qs = qs.filter(Exists(ext))
    qs = returned_measures(qs)
    if f.returned:
        # An annotation the django-stubs plugin does not see.
        qs = qs.filter(returned=True)  # type: ignore[misc]
    return qs.select_related("round", "finding", "person", "leader", "department").order_by(
        "tier_rank", F("deadline").asc(nulls_last=True), "pk"
    )
