"""The supervisor's dashboard (督办看板): every unit and round under the user's supervision.

Per round and per unit: problems, completed (closed, or every measure 已完成; a reopened problem
is open again, so not complete), completion rate, overdue by tier, the on-time rates against the
current and the first deadline (as ``selectors.warnings.on_time_rates`` defines them), extensions
requested and granted, problems reopened and relapsed; units ranked by completion and overdue.
Figures count every problem and measure (numbers, never titles: the round overview does the
same); the drill-down list (``measure_drilldown``) applies clearance.

Live (a scope of at most ``DASHBOARD_SNAPSHOT_ABOVE`` measures, as last counted): six queries
whatever the number of rounds and measures: rounds, tiers, measures grouped by round, open
measures grouped by round and tier, problems and extensions grouped by round, each scoped by a
join on the rounds (never a list of their ids). Above it (a province): the figures ``zhenggai
stats-refresh`` counted per round (``models.RoundFigures``), read with the rounds in one query;
a round it has not counted yet is counted live, alone. At that scale, or with more than
``UNIT_ROWS_MAX`` units, the units are summed under the children of the unit viewed (a province:
its cities; ``unit_id`` drills into one).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Exists, F, OuterRef, Q, QuerySet
from django.http import Http404

from zhenggai.accounts.actors import Viewer
from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus, ProblemStatus, Round
from zhenggai.ledger.policy import FINISHED, OPEN, open_q, overdue_q
from zhenggai.ledger.selectors import measure_cleared_q, today
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import visible_units_q

from ..models import Extension, ExtensionStatus, RoundFigures
from ..rules import LEVEL_CSS, LEVELS, RoundTiers, Tier, tier_window, tiers_by_round, tiers_in_scope
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


#: The counts of ``Figures`` (each a column of ``models.RoundFigures``; the tiers apart).
COUNTS: tuple[str, ...] = (
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
)
#: The unit table lists each unit with rounds while there are at most this many of them; beyond
#: (and whenever the figures come from the snapshot) it sums them under the viewed unit's children.
UNIT_ROWS_MAX = 50


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

    @property
    def tier_cells(self) -> list[tuple[str, str, str, int]]:
        """(key, name, badge class, count) of each tier: the tables' compact badges (a row per
        round or unit, many rows to a page)."""
        return [(k, LEVELS[k], LEVEL_CSS[k], self.tiers.get(k, 0)) for k in LEVELS]

    @classmethod
    def of_snapshot(cls, row: RoundFigures) -> Figures:
        """The figures ``zhenggai stats-refresh`` stored for a round."""
        tiers = {k: int(row.tiers.get(k, 0)) for k in LEVELS}
        return cls(**{name: getattr(row, name) for name in COUNTS}, tiers=tiers)

    def add(self, other: Figures) -> None:
        for name in COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        for k, v in other.tiers.items():
            self.tiers[k] = self.tiers.get(k, 0) + v


@dataclass
class RoundRow:
    round: Round
    figures: Figures


@dataclass
class UnitRow:
    """A unit's rounds summed: the unit's own (listed one by one), or, grouped, every round in the
    subtree of a child of the unit viewed (``drill_in``: the row opens that child's dashboard)."""

    unit: Unit
    rounds: int
    figures: Figures
    rank: int = 0
    drill_in: bool = False


@dataclass
class Dashboard:
    """``rounds``: every round of the unit viewed (the page lists them a page at a time);
    ``units``: ranked (``grouped``: the children of the unit viewed, its own rounds, ``own_rounds``,
    apart); ``unit``: the unit drilled into (None: everything supervised) and ``trail`` the
    supervised units from the top down to its parent. Read from the snapshot
    (``snapshot``): ``counted_at``, when the oldest figure shown was counted; ``counted_on``, the
    earliest day counted for; ``stale``, some were counted for another day than today (tiers and
    overdue figures of that day); ``live_rounds``, rounds not counted yet, counted live."""

    rounds: list[RoundRow]
    units: list[UnitRow]
    total: Figures
    today: dt.date
    unit: Unit | None = None
    trail: list[Unit] = field(default_factory=list)
    grouped: bool = False
    own_rounds: int = 0
    snapshot: bool = False
    counted_at: dt.datetime | None = None
    counted_on: dt.date | None = None
    stale: bool = False
    live_rounds: int = 0

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


def dashboard_for_user(*, user: Viewer, unit_id: int | None = None) -> Dashboard:
    """The dashboard of every round of every unit under the user's supervision, or under one of
    those units (``unit_id``; a unit outside them: ``Http404``); empty for a user who supervises
    nothing (the view refuses them first). Live in six queries while the scope's measures, as
    ``zhenggai stats-refresh`` last counted them, are at most ``DASHBOARD_SNAPSHOT_ABOVE``;
    above, the counted figures (a round not counted yet: live, alone), in one or a few."""
    on = today()
    units = supervised_units(user)
    scope = Round.objects.filter(under_q(units), visible_units_q(user))
    # The rounds with their unit and their snapshot row in one query: the rows' measure counts
    # tell the size of the whole scope (a drilled-into unit reads as its parent does) for free.
    everything = list(
        scope.select_related("unit", "dashboard_figures").order_by("unit__path", "-created_at", "-id")
    )
    counted = {r.pk: snap for r in everything if (snap := _snapshot_of(r)) is not None}
    snapshot = sum(snap.measures for snap in counted.values()) > settings.DASHBOARD_SNAPSHOT_ABOVE
    board = Dashboard([], [], Figures(), on, snapshot=snapshot)
    tops = _tops(units)
    rounds = everything
    if unit_id is not None:
        viewed = Unit.objects.filter(under_q(units, field_name=""), pk=unit_id).first()
        if viewed is None:
            raise Http404("未找到该单位")
        rounds = [r for r in everything if r.unit.path.startswith(viewed.path)]
        scope = scope.filter(under_q([viewed]))
        board.unit, tops = viewed, [viewed]
        above = Unit.objects.filter(under_q(units, field_name=""), pk__in=viewed.ancestor_ids[:-1])
        board.trail = list(above.order_by("path"))
    figures: dict[int, Figures] = defaultdict(Figures)
    if snapshot:
        shown = [counted[r.pk] for r in rounds if r.pk in counted]
        figures.update((snap.round_id, Figures.of_snapshot(snap)) for snap in shown)
        board.live_rounds = len(rounds) - len(shown)
        if board.live_rounds:
            # Rounds made since the last count: counted now, alone (a join, not their ids).
            figures.update(round_figures(scope.filter(dashboard_figures__isnull=True), on=on))
        if shown:
            board.counted_at = min(snap.computed_at for snap in shown)
            board.counted_on = min(snap.counted_on for snap in shown)
            board.stale = any(snap.counted_on != on for snap in shown)
    elif rounds:
        figures.update(round_figures(scope, on=on))
    board.rounds = [RoundRow(r, figures[r.pk]) for r in rounds]
    board.grouped = snapshot or len({r.unit_id for r in rounds}) > UNIT_ROWS_MAX
    by_unit = _grouped(board, tops) if board.grouped else _by_unit(board.rounds)
    for row in board.rounds:
        board.total.add(row.figures)
    # Ranked: highest completion first, then fewest overdue (black counts before red), then name.
    board.units = sorted(
        by_unit,
        key=lambda u: (
            -(u.figures.completion_rate or 0),
            u.figures.tiers.get("black", 0),
            u.figures.overdue,
            u.unit.name,
        ),
    )
    for i, u in enumerate(board.units, 1):
        u.rank = i
    return board


def round_figures(rounds: QuerySet[Round], *, on: dt.date) -> dict[int, Figures]:
    """The figures of every round of ``rounds`` counted now, for ``on`` (tiers, overdue and
    on-time rates depend on the day): five queries, the rounds a subquery however many."""
    out: dict[int, Figures] = defaultdict(Figures)
    _measure_figures(rounds, tiers_in_scope(rounds), on, out)
    _problem_figures(rounds, out)
    _extension_figures(rounds, out)
    return out


def _snapshot_of(r: Round) -> RoundFigures | None:
    try:
        return r.dashboard_figures
    except RoundFigures.DoesNotExist:
        return None


def _tops(units: Sequence[Unit]) -> list[Unit]:
    """The supervised units that are not under another one (their subtrees hold every round)."""
    tops: dict[int, Unit] = {}
    for u in units:
        if u.path and not any(o.path and o.pk != u.pk and u.path.startswith(o.path) for o in units):
            tops[u.pk] = u
    return list(tops.values())


def _by_unit(rows: list[RoundRow]) -> list[UnitRow]:
    """The rounds summed per unit they belong to."""
    by_unit: dict[int, UnitRow] = {}
    for row in rows:
        u = by_unit.setdefault(row.round.unit_id, UnitRow(row.round.unit, 0, Figures()))
        u.rounds += 1
        u.figures.add(row.figures)
    return list(by_unit.values())


def _grouped(board: Dashboard, tops: list[Unit]) -> list[UnitRow]:
    """The rounds summed under the child of ``tops`` whose subtree holds their unit (a province:
    its cities); the tops' own rounds (本级) are counted in ``board.own_rounds`` and the total,
    not ranked among their children. One query (the children)."""
    children: dict[int, list[RoundRow]] = defaultdict(list)
    for row in board.rounds:
        path = row.round.unit.path
        top = next((t for t in tops if path.startswith(t.path)), row.round.unit)
        child = path[len(top.path) :].split("/", 1)[0]
        if child:
            children[int(child)].append(row)
        else:
            board.own_rounds += 1
    groups = []
    for unit in Unit.objects.filter(pk__in=sorted(children)) if children else []:
        g = UnitRow(unit, 0, Figures(), drill_in=True)
        for row in children[unit.pk]:
            g.rounds += 1
            g.figures.add(row.figures)
        groups.append(g)
    return groups


def _measure_figures(
    rounds: QuerySet[Round], tiers: Mapping[int, Sequence[Tier]], on: dt.date, out: dict[int, Figures]
) -> None:
    # COUNT(*), and the other counts over a column of the index (never the primary key, which it
    # does not hold): read from ``measure_live_round_status`` alone on PostgreSQL.
    on_time = {name: Count("round", filter=c.filter) for name, c in on_time_counts(on).items()}
    rows = (
        Measure.objects.filter(round__in=rounds)
        .order_by()
        .values("round_id")
        .annotate(
            n=Count("*"),
            finished=Count("round", filter=Q(status__in=sorted(FINISHED))),
            overdue=Count("round", filter=overdue_q(on)),
            review=Count("round", filter=Q(status__in=sorted(AWAITING_REVIEW))),
            # the on-time rates, as ``warnings.on_time_rates`` counts them, per round
            **on_time,
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
        Measure.objects.filter(round__in=rounds, status__in=sorted(OPEN), deadline__isnull=False)
        .annotate(tier=tier_case_for_rounds(today=on, tiers=tiers))
        .order_by()
        .values("round_id", "tier")
        .annotate(n=Count("*"))
        .values_list("round_id", "tier", "n")
    )
    for rid, tier, n in tiered:
        if tier in LEVELS:
            out[rid].tiers[tier] = n


def _problem_figures(rounds: QuerySet[Round], out: dict[int, Figures]) -> None:
    measures = Measure.objects.filter(finding=OuterRef("pk"))
    rows = (
        Finding.objects.filter(round__in=rounds, kind=FindingKind.PROBLEM)
        .annotate(
            has_measures=Exists(measures),
            has_undone=Exists(measures.exclude(status=S.DONE)),
        )
        .order_by()
        .values("round_id")
        .annotate(
            n=Count("*"),
            completed=Count(
                "round", filter=Q(status=ProblemStatus.CLOSED) | Q(has_measures=True, has_undone=False)
            ),
            reopened=Count("round", filter=Q(reopen_count__gt=0)),
            relapsed=Count("round", filter=Q(cycle__gt=1)),
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


def _extension_figures(rounds: QuerySet[Round], out: dict[int, Figures]) -> None:
    rows = (
        Extension.objects.filter(round__in=rounds, measure__deleted_at__isnull=True)
        .order_by()
        .values("round_id")
        .annotate(
            n=Count("*"),
            granted=Count("round", filter=Q(status=ExtensionStatus.GRANTED)),
            pending=Count("round", filter=Q(status=ExtensionStatus.PENDING)),
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
    tiers: Mapping[int, Sequence[Tier]]
    if f.round:
        if not Round.objects.filter(visible_units_q(user), pk=f.round).exists():
            raise Http404("未找到该巡察轮次")
        qs = qs.filter(round_id=f.round)
        tiers = tiers_by_round([f.round])
    else:
        rounds = Round.objects.filter(visible_units_q(user))
        if f.unit:
            unit = Unit.objects.filter(visible_units_q(user, field=""), pk=f.unit).first()
            if unit is None:
                raise Http404("未找到该单位")
            rounds = rounds.filter(unit__path__startswith=unit.path)
            qs = qs.filter(unit__path__startswith=unit.path)
        # The rounds with tiers of their own by id, the rest sharing the default: the scope is a
        # join, never a list of every visible round.
        tiers = tiers_in_scope(rounds)
    qs = with_tiers(qs, tiers=tiers, on=on)
    levels = ("red", "black") if f.tier == "overdue" else (f.tier,) if f.tier in LEVELS else ()
    if levels:
        # A measure in one of these tiers is open, its deadline in the tiers' window: a range of
        # the open measures' deadline index, so the tier is computed for those rows only.
        window = tier_window(tiers, levels)
        if window is None:
            qs = qs.none()
        else:
            after, upto = window
            qs = qs.filter(open_q(), deadline__lte=on + dt.timedelta(days=upto))
            if after is not None:
                qs = qs.filter(deadline__gt=on + dt.timedelta(days=after))
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
    qs = qs.select_related("round", "finding", "person", "leader", "department")
    one_list = len(tiers.tier_lists() if isinstance(tiers, RoundTiers) else tiers) <= 1
    if levels and one_list:
        # Under one tier list a measure with a tier is the more urgent the earlier its deadline:
        # the deadline order is the tier order, read from the index instead of sorted.
        return qs.order_by("deadline", "pk")
    return qs.order_by("tier_rank", F("deadline").asc(nulls_last=True), "pk")
