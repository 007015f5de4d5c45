"""Each role's desk (the home page): what the user must see and do now, by role.

- 整改办 (clerk): per round of his units, overdue by tier, awaiting review, unassigned, plan
  re-signing needed, the 方案/报告 deadlines with days left, extension requests to handle.
- 责任领导 (responsible leader): the measures he leads, by status and tier, his 预审 queue first.
- 责任人 (responsible person): returned measures first with the reason, then by tier.
- 第一责任人 (unit head): what awaits his review and sign-off, and the unit's completion curve.
- 监督人员 (supervisor): problems ready to close (对账销号).

Every list is cut in the database (the first ``BOX_SIZE`` of each box, with its count); each
desk runs a fixed number of queries whatever the number of measures. Tiers are computed in the
database with one expression over every round (``tier_case_for_rounds``), never per row.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    TextField,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from zhenggai.accounts.actors import Viewer
from zhenggai.ledger.models import (
    Amendment,
    Finding,
    FindingKind,
    Measure,
    MeasureStatus,
    PlanSignature,
    ProblemStatus,
    Review,
    ReviewDecision,
    Round,
)
from zhenggai.ledger.policy import (
    IN_REVIEW,
    OPEN,
    REPORTABLE,
    finished_q,
    overdue_q,
    problem_measure_total,
    problem_ready_exists_q,
)
from zhenggai.ledger.selectors import finding_cleared_q, measure_cleared_q, today
from zhenggai.ledger.services import add_months
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import memberships_of, visible_units_q

from ..models import Extension, ExtensionStatus
from ..rules import LEVELS, RoundTiers, Tier, tier_at, tier_case, tier_of, tiers_by_round

S = MeasureStatus
#: How many items each box of a desk lists (the rest behind a "more" link with the count).
BOX_SIZE = 50
#: Tiers from the most to the least urgent; ``""`` is "no warning yet".
TIER_ORDER: tuple[str, ...] = ("black", "red", "yellow", "green", "")
#: The statuses awaiting a review (the responsible leader's 预审, then the unit head's).
AWAITING_REVIEW: frozenset[str] = IN_REVIEW
#: What the responsible person has to do: what he may report on, not what awaits someone's review.
PERSON_TODO: frozenset[str] = frozenset(REPORTABLE) - AWAITING_REVIEW


# --- tiers of many rounds in the database ------------------------------------------------------


def tier_whens(
    *,
    today: dt.date,
    tiers: Mapping[int, Sequence[Tier]],
    prefix: str = "",
    values: Mapping[str, Any] | None = None,
) -> list[When]:
    """The branches of ``rules.tier_case`` for measures of several rounds, each with its own
    tiers, flat (rounds sharing the same tiers share their branches); each branch gives the
    tier's key, or ``values[key]`` (a sort rank, a box name) when given."""
    groups: dict[str, list[int]] = defaultdict(list)
    for rid, t in tiers.items():
        groups[json.dumps(list(t), sort_keys=True)].append(rid)
    whens = []
    for key, ids in groups.items():
        in_rounds = Q(**{f"{prefix}round_id__in": sorted(ids)})
        for w in tier_case(today=today, tiers=json.loads(key), prefix=prefix).cases:
            tier = w.result.value
            whens.append(When(in_rounds & w.condition, then=Value(values[tier] if values else tier)))
    if isinstance(tiers, RoundTiers):
        # Every other round has the default tiers: their branches name no round (the rounds
        # listed above are left out of them).
        others = ~Q(**{f"{prefix}round_id__in": sorted(tiers)}) if tiers else Q()
        for w in tier_case(today=today, tiers=tiers.fallback, prefix=prefix).cases:
            tier = w.result.value
            whens.append(When(others & w.condition, then=Value(values[tier] if values else tier)))
    return whens


def tier_case_for_rounds(*, today: dt.date, tiers: Mapping[int, Sequence[Tier]], prefix: str = "") -> Case:
    """``rules.tier_case`` over measures of several rounds: the tier's key, ``""`` when none."""
    whens = tier_whens(today=today, tiers=tiers, prefix=prefix)
    if not whens:
        return Case(When(Q(pk__in=[]), then=Value("")), default=Value(""), output_field=CharField())
    return Case(*whens, default=Value(""), output_field=CharField())


#: Sort rank of each tier (the most urgent first).
TIER_RANK: dict[str, int] = {key: i for i, key in enumerate(TIER_ORDER)}


def tier_rank_for_rounds(*, today: dt.date, tiers: Mapping[int, Sequence[Tier]]) -> Case:
    """The tier's sort rank (black 0 … none 4) in the database, computed apart from ``tier`` so
    that sorting does not repeat the tier expression once per rank."""
    whens = tier_whens(today=today, tiers=tiers, values=TIER_RANK)
    none = Value(TIER_RANK[""])
    if not whens:
        return Case(When(Q(pk__in=[]), then=none), default=none, output_field=IntegerField())
    return Case(*whens, default=none, output_field=IntegerField())


def tier_rank(field_name: str = "tier") -> Case:
    """Sort key of an annotated tier: black 0, red 1, yellow 2, green 3, none 4."""
    return Case(
        *[When(**{field_name: key}, then=Value(i)) for i, key in enumerate(TIER_ORDER)],
        default=Value(len(TIER_ORDER)),
        output_field=IntegerField(),
    )


def visible_round_tiers(user: Viewer) -> dict[int, list[dict[str, Any]]]:
    """The tiers of every live round the user may see (two queries)."""
    ids = list(Round.objects.filter(visible_units_q(user)).values_list("pk", flat=True))
    return tiers_by_round(ids)


def with_tiers(
    qs: QuerySet[Measure], *, tiers: Mapping[int, Sequence[Tier]], on: dt.date
) -> QuerySet[Measure]:
    """Measures annotated with ``tier`` (the key or ``""``) and ``tier_rank``."""
    return qs.annotate(
        tier=tier_case_for_rounds(today=on, tiers=tiers),
        tier_rank=tier_rank_for_rounds(today=on, tiers=tiers),
    )


def attach_tiers(measures: Iterable[Measure], *, on: dt.date | None = None) -> list[Measure]:
    """Set ``tier`` on each measure of a page already read (one query for the rounds' tiers):
    for lists whose queryset is not annotated (search, a round's measures)."""
    rows = [*measures]
    on = on or today()
    tiers = tiers_by_round({m.round_id for m in rows})
    for m in rows:
        m.tier = tier_of(deadline=m.deadline, status=m.status, today=on, tiers=tiers[m.round_id]) or ""  # type: ignore[attr-defined]
    return rows


# --- scope helpers ----------------------------------------------------------------------------


def units_with_role(user: Viewer, role: str) -> list[Unit]:
    """Units where the user holds ``role`` (memberships are read once per request)."""
    return [m.unit for m in memberships_of(user) if m.role == role]


def under_q(units: Iterable[Unit], field_name: str = "unit") -> Q:
    """Rows whose ``field_name`` unit is in the subtree of one of ``units`` (nothing if none):
    a semi-join on the materialised path (``units.selectors.visible_units_q``), so the rows are
    found through their unit's index."""
    q = Q(pk__in=[])
    for u in units:
        if u.path:
            q |= Q(path__startswith=u.path)
    if not field_name:
        return q
    return Q(**{f"{field_name}__in": Unit.objects.filter(q).values("pk")})


#: Past this many problems labelled above the user's clearance, the desks join each measure to
#: its problem to read the label instead of leaving those problems' measures out by id.
HIDDEN_MAX = 200


def hidden_findings(*, user: Viewer, round_ids: Iterable[int]) -> list[int]:
    """The findings of ``round_ids`` (every round the user may see) labelled above his
    clearance, at most ``HIDDEN_MAX + 1`` of them: the desks leave their measures out
    (``_measures_for``). One query, none when he is cleared for every label."""
    own = finding_cleared_q(user)
    if not own:  # cleared for every label
        return []
    # Every finding, deleted or not, as ``measure_cleared_q``'s join reads them.
    hidden = Finding.everything.filter(round_id__in=sorted(round_ids)).exclude(own).order_by()
    return list(hidden.values_list("pk", flat=True)[: HIDDEN_MAX + 1])


def _measures_for(user: Viewer, hidden: Sequence[int] | None = None) -> QuerySet[Measure]:
    """Measures the user may see (unit scope and clearance).

    ``ledger.selectors.measure_cleared_q`` joins each measure to its problem to read the
    problem's label: half the cost of counting a desk's thousands of measures. Given
    ``hidden`` (``hidden_findings``: the problems of the rounds he may see labelled above his
    clearance, usually none), the measures of those problems are left out by id instead; a
    measure's problem is of its round, a round he may see when he may see the measure."""
    if hidden is None or len(hidden) > HIDDEN_MAX:
        return Measure.objects.filter(visible_units_q(user), measure_cleared_q(user))
    qs = Measure.objects.filter(visible_units_q(user), finding_cleared_q(user))
    return qs.exclude(finding_id__in=list(hidden)) if hidden else qs


# --- plan signing -----------------------------------------------------------------------------


def signing_state(round_ids: Sequence[int]) -> dict[int, tuple[int | None, int]]:
    """Per round: (its last signed version or None, amendments recorded since). Two queries."""
    last = dict(
        PlanSignature.objects.filter(round_id__in=round_ids)
        .order_by()
        .values("round_id")
        .annotate(v=Max("version"))
        .values_list("round_id", "v")
    )
    changed: dict[int, int] = defaultdict(int)
    if last:
        rows = (
            Amendment.objects.filter(round_id__in=list(last))
            .order_by()
            .values("round_id", "signed_version")
            .annotate(n=Count("pk"))
            .values_list("round_id", "signed_version", "n")
        )
        for rid, version, n in rows:
            if version == last.get(rid):
                changed[rid] += n
    return {rid: (last.get(rid), changed.get(rid, 0)) for rid in round_ids}


# --- 整改办 -------------------------------------------------------------------------------------


@dataclass
class Deadline:
    """A submission deadline of the round (方案 or 报告) and the days left (negative: past)."""

    label: str
    due: dt.date | None
    derived: bool  # computed from the feedback date, not set on the round
    days_left: int | None

    @property
    def days_past(self) -> int:
        return -self.days_left if self.days_left is not None and self.days_left < 0 else 0


@dataclass
class ClerkRound:
    round: Round
    measures: int = 0
    tiers: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    awaiting_review: int = 0
    leader_review: int = 0
    unassigned: int = 0
    signed_version: int | None = None
    amendments: int = 0
    pending_extensions: int = 0
    deadlines: list[Deadline] = field(default_factory=list)

    @property
    def resign_needed(self) -> bool:
        """Signed, and changed since: the unit head must sign the plan again."""
        return self.signed_version is not None and self.amendments > 0

    @property
    def unsigned(self) -> bool:
        return self.signed_version is None and self.measures > 0

    @property
    def overdue_tiers(self) -> list[tuple[str, str, int]]:
        """(key, name, count) of the overdue tiers (red and black)."""
        return [(k, LEVELS[k], self.tiers.get(k, 0)) for k in ("red", "black")]

    @property
    def warning_tiers(self) -> list[tuple[str, str, int]]:
        return [(k, LEVELS[k], self.tiers.get(k, 0)) for k in ("green", "yellow")]


def _round_deadlines(r: Round, on: dt.date) -> list[Deadline]:
    out = []
    for label, due, months in (
        ("整改方案报送", r.plan_due, settings.PLAN_DUE_MONTHS),
        ("整改报告报送", r.report_due, settings.REPORT_DUE_MONTHS),
    ):
        derived = False
        if due is None and r.feedback_date is not None:
            due, derived = add_months(r.feedback_date, months), True
        out.append(Deadline(label, due, derived, (due - on).days if due else None))
    return out


def clerk_desk(*, user: Viewer, tiers: Mapping[int, Sequence[Tier]] | None = None) -> list[ClerkRound]:
    """The rounds of the units where the user is clerk, each with what needs doing.

    Six queries (five when ``tiers`` is given), whatever the number of rounds and measures.
    Counts cover every measure of the round (figures, not titles: no clearance applies).
    """
    units = units_with_role(user, Role.CLERK)
    if not units:
        return []
    on = today()
    rounds = list(Round.objects.filter(under_q(units), visible_units_q(user)).order_by("-created_at", "-id"))
    if not rounds:
        return []
    ids = [r.pk for r in rounds]
    tiers = tiers if tiers is not None else tiers_by_round(ids)
    case = tier_case_for_rounds(today=on, tiers={i: tiers[i] for i in ids if i in tiers})
    rows = (
        Measure.objects.filter(round_id__in=ids)
        .annotate(tier=case)
        .order_by()
        .values("round_id")
        .annotate(
            total=Count("pk"),
            green=Count("pk", filter=Q(tier="green")),
            yellow=Count("pk", filter=Q(tier="yellow")),
            red=Count("pk", filter=Q(tier="red")),
            black=Count("pk", filter=Q(tier="black")),
            overdue=Count("pk", filter=overdue_q(on)),
            review=Count("pk", filter=Q(status=S.PENDING_REVIEW)),
            leader_review=Count("pk", filter=Q(status=S.LEADER_REVIEW)),
            unassigned=Count("pk", filter=Q(person__isnull=True) & ~Q(status=S.DONE)),
        )
    )
    by_round = {row["round_id"]: row for row in rows}
    signing = signing_state(ids)
    extensions = dict(
        Extension.objects.filter(
            round_id__in=ids, status=ExtensionStatus.PENDING, measure__deleted_at__isnull=True
        )
        .order_by()
        .values("round_id")
        .annotate(n=Count("pk"))
        .values_list("round_id", "n")
    )
    out = []
    for r in rounds:
        row = by_round.get(r.pk, {})
        version, amended = signing[r.pk]
        out.append(
            ClerkRound(
                round=r,
                measures=row.get("total", 0),
                tiers={k: row.get(k, 0) for k in LEVELS},
                overdue=row.get("overdue", 0),
                awaiting_review=row.get("review", 0) + row.get("leader_review", 0),
                leader_review=row.get("leader_review", 0),
                unassigned=row.get("unassigned", 0),
                signed_version=version,
                amendments=amended,
                pending_extensions=extensions.get(r.pk, 0),
                deadlines=_round_deadlines(r, on),
            )
        )
    return out


# --- boxes of measures ----------------------------------------------------------------------------


@dataclass(slots=True)
class Named:
    """The round or problem a box item names: what the box shows of it."""

    title: str
    number: str = ""


@dataclass(slots=True)
class BoxItem:
    """A measure as a box lists it (``web/_macros.jinja``'s ``box``): the columns it shows, read
    as values, not a measure and its round, problem and person as model instances."""

    pk: int
    round_id: int
    text: str
    status: str
    deadline: dt.date | None
    round: Named
    finding: Named
    #: The responsible person's name (``User.__str__``), None when there is none.
    person: str | None
    tier: str = ""
    tier_rank: int = len(TIER_ORDER) - 1
    #: In progress again after a review that returned it, and the reviewer's reason (the
    #: person's boxes only).
    returned: bool = False
    last_reason: str = ""


@dataclass
class Box:
    """One list of a desk: its first ``BOX_SIZE`` measures, how many there are, and where the
    rest are (the drill-down list's query string)."""

    key: str
    title: str
    hint: str
    empty: str
    count: int
    items: list[BoxItem]
    more: str = ""
    css: str = ""

    @property
    def has_more(self) -> bool:
        return self.count > len(self.items)


def _latest_review(field_name: str) -> Subquery:
    return Subquery(
        Review.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id").values(field_name)[:1]
    )


#: What a box shows of a measure (``BoxItem``): only these columns are read.
ITEM_FIELDS = (
    "pk",
    "round_id",
    "text",
    "status",
    "deadline",
    "round__title",
    "finding__number",
    "finding__title",
    "person__display_name",
    "person__username",
)


def _one_tier_list(tiers: Mapping[int, Sequence[Tier]] | None) -> bool:
    """Whether every round of ``tiers`` has the same tier list (the usual case: the default)."""
    return tiers is not None and len({json.dumps(list(t), sort_keys=True) for t in tiers.values()}) <= 1


def boxed(
    qs: QuerySet[Measure],
    box: Case | Value,
    *,
    tiers: Mapping[int, Sequence[Tier]],
    place: Callable[[BoxItem], str],
    counts: Mapping[str, int] | None = None,
    on: dt.date | None = None,
    reviews: bool = False,
) -> dict[str, tuple[int, list[BoxItem]]]:
    """Measures put in boxes by ``box``: per box key, how many there are and the first
    ``BOX_SIZE``, most urgent first (tier, then deadline, then id), each with ``tier`` and
    ``tier_rank`` set (the rounds' ``tiers`` on ``on``, today by default). ``place`` says which
    box an item read is in (what ``box`` says of it in the database); with ``reviews`` each
    item says whether it was returned, and why (``returned_measures``).

    Two queries whatever the number of measures: the boxes counted by the database, then the
    rows shown, one box's read straight (``LIMIT BOX_SIZE``), several boxes' each cut by a
    subquery and the rows read by id (the subqueries hold every filter of ``qs``; with
    ``reviews`` and one box, ``qs`` is annotated by ``returned_measures``). When one tier
    list applies to every round of ``tiers`` a tier is a range of deadlines, earlier ones more
    urgent, so within a box whose measures are open (or all without a tier) most urgent first
    is earliest deadline first:
    the database reads each box in deadline order from an index and stops at ``BOX_SIZE``; the
    callers' boxes are all such. Otherwise each box is sorted by tier in the database. A
    caller that counted the boxes already passes ``counts`` (one query less)."""
    on = on or today()
    in_boxes = qs.annotate(box=box)
    if counts is None:
        # A constant box is an aggregate without GROUP BY: one row, with 0 when there is nothing.
        grouped = in_boxes.order_by().values("box").annotate(n=Count("pk")).values_list("box", "n")
        counts = dict(grouped)
    counts = {key: n for key, n in counts.items() if n}
    if not counts:
        return {}
    by_deadline = [F("deadline").asc(nulls_last=True), F("pk").asc()]
    if _one_tier_list(tiers):
        ranked, urgent = in_boxes, by_deadline
    else:
        ranked = in_boxes.annotate(tier_rank=tier_rank_for_rounds(today=on, tiers=tiers))
        urgent = [F("tier_rank").asc(), *by_deadline]
    fields: tuple[str, ...] = (*ITEM_FIELDS, "returned", "last_reason") if reviews else ITEM_FIELDS
    shown: QuerySet[Measure]
    if len(counts) == 1:
        # One box: its first rows read straight, most urgent first (no subquery to cut it).
        shown = ranked.filter(box=next(iter(counts))).order_by(*urgent)[:BOX_SIZE]
    else:
        cut = Q(pk__in=[])
        for key in sorted(counts):
            cut |= Q(pk__in=ranked.filter(box=key).order_by(*urgent).values("pk")[:BOX_SIZE])
        shown = Measure.objects.filter(cut).order_by()
        if reviews:
            shown = returned_measures(shown)
    rank_none = TIER_RANK[""]
    items = []
    for pk, rid, text, status, deadline, round_title, number, title, name, username, *more in (
        shown.values_list(*fields)
    ):
        listed = tiers.get(rid)
        tier = (tier_of(deadline=deadline, status=status, today=on, tiers=listed) if listed else None) or ""
        person = (name or username) if username is not None else None
        item = BoxItem(
            pk, rid, text, status, deadline, Named(round_title), Named(title, number), person,
            tier, TIER_RANK.get(tier, rank_none),
        )
        if more:
            item.returned, item.last_reason = bool(more[0]), more[1]
        items.append(item)
    items.sort(key=lambda m: (m.tier_rank, m.deadline is None, m.deadline or dt.date.min, m.pk))
    out: dict[str, tuple[int, list[BoxItem]]] = {}
    for m in items:
        key = place(m)
        out.setdefault(key, (counts.get(key, 0), []))[1].append(m)
    return out


#: The person's boxes: key, title, hint, empty text, the drill-down's query string.
PERSON_BOXES: list[tuple[str, str, str, str, str]] = [
    (
        "returned",
        "被退回",
        "审核退回、需要重新整改的措施（附退回理由）",
        "没有被退回的措施",
        "mine=person&returned=1",
    ),
    ("late", "红色/黑色预警（已逾期）", "已超过完成时限的措施", "没有逾期的措施", "mine=person&tier=overdue"),
    ("yellow", "黄色预警", "临近完成时限的措施", "没有黄色预警的措施", "mine=person&tier=yellow"),
    ("green", "绿色预警", "即将进入预警期的措施", "没有绿色预警的措施", "mine=person&tier=green"),
    (
        "calm",
        "其他",
        "尚未进入预警期或未设完成时限的措施",
        "没有其他措施",
        "mine=person&tier=none&status=open",
    ),
]
#: The person's box of each tier (returned measures go first, whatever their tier).
PERSON_BOX_OF_TIER = {"black": "late", "red": "late", "yellow": "yellow", "green": "green"}
BOX_CSS = {
    "returned": "border-danger",
    "late": "border-danger",
    "yellow": "border-warning",
    "green": "border-success",
}


@dataclass
class PersonDesk:
    total: int
    boxes: list[Box]


def returned_measures(qs: QuerySet[Measure]) -> QuerySet[Measure]:
    """``qs`` annotated with ``last_decision``/``last_reason`` (the latest review) and
    ``returned``: in progress again after a review that returned it (退回)."""
    return qs.annotate(
        last_decision=Coalesce(_latest_review("decision"), Value(""), output_field=CharField()),
        last_reason=Coalesce(_latest_review("reason"), Value(""), output_field=TextField()),
    ).annotate(
        returned=Case(
            When(Q(status=S.IN_PROGRESS, last_decision=ReviewDecision.RETURN), then=Value(True)),
            default=Value(False),
            output_field=BooleanField(),
        ),
    )


def _person_box(item: BoxItem) -> str:
    """The person's box of an item read (``person_desk``'s ``box`` in the database)."""
    return "returned" if item.returned else PERSON_BOX_OF_TIER.get(item.tier, "calm")


def person_desk(
    *, user: Viewer, tiers: Mapping[int, Sequence[Tier]], hidden: Sequence[int] | None = None
) -> PersonDesk:
    """The measures the user is responsible for and has to work on: returned ones first (with
    the reviewer's reason), then by tier, most urgent first. Two queries (one when he has
    none); ``hidden`` as ``_measures_for`` takes it."""
    on = today()
    mine = _measures_for(user, hidden).filter(person_id=user.pk, status__in=sorted(PERSON_TODO))
    # Counted by status, round, deadline and (in progress) the latest review's decision, each
    # group placed here, as the leader's: the tiers' expression is not evaluated on every
    # measure, and the query is small to build.
    back = Case(When(status=S.IN_PROGRESS, then=_latest_review("decision")), default=Value(""))
    cells = (
        mine.order_by()
        .annotate(back=back)
        .values("status", "round_id", "deadline", "back")
        .annotate(n=Count("pk"))
        .values_list("status", "round_id", "deadline", "back", "n")
    )
    counts: dict[str, int] = defaultdict(int)
    for status, rid, deadline, decision, n in cells:
        if status == S.IN_PROGRESS and decision == ReviewDecision.RETURN:
            counts["returned"] += n
            continue
        listed = tiers.get(rid)
        tier = tier_of(deadline=deadline, status=status, today=on, tiers=listed) if listed else None
        counts[PERSON_BOX_OF_TIER.get(tier or "", "calm")] += n
    found: dict[str, tuple[int, list[BoxItem]]] = {}
    if counts:
        # The box straight from the tier branches (not from ``tier``, which would repeat it).
        box = Case(
            When(Q(status=S.IN_PROGRESS, last_decision=ReviewDecision.RETURN), then=Value("returned")),
            *tier_whens(today=on, tiers=tiers, values=PERSON_BOX_OF_TIER),
            default=Value("calm"),
            output_field=CharField(),
        )
        qs = returned_measures(mine)
        found = boxed(qs, box, tiers=tiers, place=_person_box, counts=counts, on=on, reviews=True)
    boxes = []
    for key, title, hint, empty, more in PERSON_BOXES:
        n, items = found.get(key, (0, []))
        boxes.append(Box(key, title, hint, empty, n, items, more, BOX_CSS.get(key, "")))
    return PersonDesk(total=sum(b.count for b in boxes), boxes=boxes)


# --- 责任领导 -----------------------------------------------------------------------------------


@dataclass
class LeaderDesk:
    total: int
    queue: Box
    urgent: Box
    #: (status, status name, {tier: count}, row total), statuses in workflow order.
    matrix: list[tuple[str, str, dict[str, int], int]]
    tier_totals: dict[str, int]


def _leader_box(item: BoxItem) -> str:
    """The leader's box of an item read (``leader_desk``'s ``box`` in the database)."""
    return "queue" if item.status == S.LEADER_REVIEW else "led"


def leader_desk(
    *, user: Viewer, tiers: Mapping[int, Sequence[Tier]], hidden: Sequence[int] | None = None
) -> LeaderDesk:
    """The measures the user leads (责任领导): his 预审 queue (rounds with 责任领导审核) first,
    then the open ones most urgent first, and a status × tier count of all. Two queries;
    ``hidden`` as ``_measures_for`` takes it."""
    on = today()
    led = _measures_for(user, hidden).filter(leader_id=user.pk)
    grid: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    if _one_tier_list(tiers) and not isinstance(tiers, RoundTiers):
        # One tier list for every round he may see (the usual case), so a deadline's tier is
        # the same in each: counted by deadline, in the index's order (no sort), a column per
        # status, a row per deadline however many measures.
        statuses = [s.value for s in S]
        per_status = {f"n{i}": Count("pk", filter=Q(status=s)) for i, s in enumerate(statuses)}
        by_deadline = led.order_by().values("deadline").annotate(**per_status)
        listed = next(iter(tiers.values()), None)
        for deadline, *counts in by_deadline.values_list("deadline", *per_status):
            reached = (tier_at(deadline=deadline, today=on, tiers=listed) if listed else None) or ""
            for status, n in zip(statuses, counts, strict=True):
                if n:
                    grid[status][reached if status in OPEN else ""] += n
    else:
        # Counted by status, round and deadline (from an index), each group's tier placed
        # here: the database does not evaluate the tiers' expression on every measure.
        cells = (
            led.order_by()
            .values("status", "round_id", "deadline")
            .annotate(n=Count("pk"))
            .values_list("status", "round_id", "deadline", "n")
        )
        placed: dict[tuple[str, int, dt.date | None], str] = {}  # statuses share deadlines
        for status, rid, deadline, n in cells:
            key = ("open" if status in OPEN else status, rid, deadline)
            tier = placed.get(key)
            if tier is None:
                rules = tiers.get(rid)
                found = tier_of(deadline=deadline, status=status, today=on, tiers=rules) if rules else None
                tier = placed[key] = found or ""
            grid[status][tier] += n
    matrix = []
    tier_totals: dict[str, int] = defaultdict(int)
    total = 0
    for s in S:
        row = grid.get(s.value)
        if not row:
            continue
        n = sum(row.values())
        total += n
        for k, v in row.items():
            tier_totals[k] += v
        matrix.append((s.value, s.label, dict(row), n))
    box = Case(
        When(status=S.LEADER_REVIEW, then=Value("queue")), default=Value("led"), output_field=CharField()
    )
    # The boxes' sizes are in the matrix already: 预审 is one status, the rest the other open ones.
    in_queue = sum(grid.get(S.LEADER_REVIEW, {}).values())
    open_ = sum(sum(row.values()) for status, row in grid.items() if status in OPEN)
    sizes = {"queue": in_queue, "led": open_ - in_queue}
    shown = boxed(led.exclude(finished_q()), box, tiers=tiers, place=_leader_box, counts=sizes, on=on)
    queue_n, queue_items = shown.get("queue", (0, []))
    open_n, open_items = shown.get("led", (0, []))
    return LeaderDesk(
        total=total,
        queue=Box(
            "leader_review",
            "待我预审",
            "责任人已提交、等待您（责任领导）审核的措施",
            "暂无待预审的措施",
            queue_n,
            queue_items,
            "mine=leader&status=leader_review",
            "border-warning",
        ),
        urgent=Box(
            "led",
            "我分管的措施",
            "您是责任领导、尚未完成的措施，按预警程度排列",
            "您分管的措施都已完成",
            open_n,
            open_items,
            "mine=leader&status=open",
        ),
        matrix=matrix,
        tier_totals=dict(tier_totals),
    )


# --- 第一责任人 -----------------------------------------------------------------------------------


@dataclass
class CurvePoint:
    week: dt.date  # the Monday
    completed: int  # problems completed by the end of that week (cumulative)


@dataclass
class HeadDesk:
    review: Box
    to_sign: list[tuple[Round, int | None, int]]  # (round, last signed version, amendments since)
    problems: int
    completed: int
    curve: list[CurvePoint]

    @property
    def curve_data(self) -> dict[str, Any]:
        """The completion curve as the chart script reads it (through ``json_script``)."""
        return {
            "weeks": [p.week.isoformat() for p in self.curve],
            "completed": [p.completed for p in self.curve],
            "total": self.problems,
        }


#: How many weeks the completion curve goes back at most.
CURVE_WEEKS = 52


def completion_curve(events: Iterable[dt.date], *, on: dt.date, weeks: int = CURVE_WEEKS) -> list[CurvePoint]:
    """Cumulative completions by week (Mondays), from the first completion's week (at most
    ``weeks`` back; earlier completions count in the first point) to this week."""
    days = sorted(events)
    if not days:
        return []
    this_monday = on - dt.timedelta(days=on.weekday())
    first = max(days[0] - dt.timedelta(days=days[0].weekday()), this_monday - dt.timedelta(weeks=weeks - 1))
    out = []
    i = 0
    week = first
    while week <= this_monday:
        end = week + dt.timedelta(days=7)
        while i < len(days) and days[i] < end:
            i += 1
        out.append(CurvePoint(week, i))
        week = end
    return out


def problem_completions(*, units_q: Q, round_ids: Iterable[int] | None = None) -> tuple[int, list[dt.date]]:
    """(problems, the day each completed one was completed) for problems matching ``units_q``
    (and of ``round_ids`` when given: every round of those units, which the database then
    reads by round, not every problem of the table): closed ones at their close-out, the
    others whose measures are all 已完成 at the last completion. A reopened problem is open
    again, so not complete.

    One query, one row per completion time (and one for the problems not complete): each
    problem's state from EXISTS / NOT EXISTS probes of its measures (the
    ``measure_live_finding_status`` index), its last completion read only when complete."""
    from django.utils import timezone

    live = Measure.objects.filter(finding=OuterRef("pk"))
    last_done = Subquery(
        live.order_by().values("finding_id").annotate(last=Max("completed_at")).values("last"),
        output_field=DateTimeField(),
    )
    completed = Case(
        When(status=ProblemStatus.CLOSED, then=Coalesce("closed_at", last_done)),
        When(Exists(live) & ~Exists(live.exclude(status=S.DONE)), then=last_done),
        default=Value(None),
        output_field=DateTimeField(),
    )
    problems = Finding.objects.filter(units_q, kind=FindingKind.PROBLEM)
    if round_ids is not None:
        problems = problems.filter(round_id__in=sorted(round_ids))
    rows = (
        problems.annotate(completed=completed)
        .order_by()
        .values("completed")
        .annotate(n=Count("pk"))
        .values_list("completed", "n")
    )
    total = 0
    days: list[dt.date] = []
    for when, n in rows:
        total += n
        if when is not None:
            days.extend([timezone.localdate(when)] * n)
    return total, days


def head_desk(
    *, user: Viewer, tiers: Mapping[int, Sequence[Tier]], hidden: Sequence[int] | None = None
) -> HeadDesk | None:
    """For a unit head (第一责任人): measures awaiting his review, plans awaiting his signature,
    and his units' completion curve. At most six queries; None when he heads no unit; ``hidden``
    as ``_measures_for`` takes it."""
    units = units_with_role(user, Role.UNIT_LEADER)
    if not units:
        return None
    on = today()
    q_units = under_q(units)
    # Every round of his units, and whether it has a measure (whether one exists, not how many:
    # the count read every measure).
    every = list(
        Round.objects.filter(q_units)
        .annotate(has_measures=Exists(Measure.objects.filter(round=OuterRef("pk"))))
        .order_by("-created_at", "-id")
    )
    rounds = [r for r in every if r.has_measures]  # type: ignore[attr-defined]
    # Also by round (a measure's unit is its round's), the head's few rounds named: the (round,
    # status) index then finds them, however many measures other units have (given a subquery,
    # SQLite guessed many rounds and scanned a whole index instead).
    pending = _measures_for(user, hidden).filter(
        q_units, round_id__in=[r.pk for r in rounds], status=S.PENDING_REVIEW
    )
    review_box = Value("review", output_field=CharField())
    found = boxed(pending, review_box, tiers=tiers, place=lambda _: "review", on=on)
    n, items = found.get("review", (0, []))
    review = Box(
        "review",
        "待我审核",
        "已提交、等待您审核的整改措施",
        "暂无待审核的措施",
        n,
        items,
        "status=pending_review",
        "border-warning",
    )
    signing = signing_state([r.pk for r in rounds])
    to_sign: list[tuple[Round, int | None, int]] = [
        (r, signing[r.pk][0], signing[r.pk][1])
        for r in rounds
        if signing[r.pk][0] is None or signing[r.pk][1] > 0
    ]
    # A problem's unit is its round's: his units' problems are those of their rounds.
    problems, days = problem_completions(units_q=q_units, round_ids=[r.pk for r in every])
    return HeadDesk(
        review=review,
        to_sign=to_sign,
        problems=problems,
        completed=len(days),
        curve=completion_curve(days, on=on),
    )


# --- 监督人员 -----------------------------------------------------------------------------------


def ready_to_close(*, user: Viewer) -> list[Finding]:
    """Problems under the user's supervision whose measures are all finished (可销号). One query."""
    units = units_with_role(user, Role.SUPERVISOR)
    if not units:
        return []
    qs = (
        Finding.objects.filter(
            under_q(units), finding_cleared_q(user), problem_ready_exists_q(), kind=FindingKind.PROBLEM
        )
        .annotate(total=problem_measure_total())  # only the problems listed count their measures
        .select_related("round")
        .order_by("round_id", "position", "pk")
    )
    return list(qs[:500])
