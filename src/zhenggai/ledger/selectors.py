"""Every read of the ledger, scoped to the units the acting user may see and to their clearance.

An object outside the user's units is ``Http404``, never 403: an outsider learns
nothing about what exists. So is an object labelled above the user's clearance
(安全标记, REQ-1.10), whatever roles they hold: it is left out of lists, search
and 我的任务 too. The round overview still counts it (a number, never its title),
so that a round's figures are the same for everyone who may see the round.
List selectors run a fixed number of queries whatever the size of the round.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from zhenggai.accounts.actors import Viewer
from zhenggai.accounts.models import Sensitivity
from zhenggai.units.models import Role
from zhenggai.units.selectors import (
    departments_named_for_user,
    memberships_of,
    people_named_for_user,
    roles_for_unit,
    visible_units_q,
)

from .models import (
    Amendment,
    Evidence,
    Finding,
    FindingKind,
    Measure,
    MeasureStatus,
    Outcome,
    PlanSignature,
    ProblemStatus,
    Progress,
    Review,
    ReviewDecision,
    Round,
)
from .policy import (
    COUNTED_COMPLETE,
    REPORTABLE,
    ProblemState,
    clearance_of,
    is_overdue,
    overdue_q,
    problem_measure_counts,
    problem_measure_total,
    problem_ready_exists_q,
    problem_state,
    problem_state_counted,
)

# Who is cleared for which label is a rule of ``policy``, read here too (``selectors.cleared_for``).
from .policy import cleared_for as cleared_for
from .policy import effective_sensitivity as effective_sensitivity

if TYPE_CHECKING:
    from zhenggai.audit.models import AuditEvent

S = MeasureStatus


def today() -> dt.date:
    return timezone.localdate()


# --- 安全标记 (REQ-1.10) ------------------------------------------------------------------------


def finding_cleared_q(user: Viewer, prefix: str = "") -> Q:
    """Findings (at ``prefix``) labelled within the user's clearance.

    A finding's label is never below its parent's (``ledger.services`` keeps it so), so its
    own label is enough: a visible finding has visible ancestors.
    """
    allowed = Sensitivity.up_to(clearance_of(user))
    if len(allowed) == len(Sensitivity.values):
        return Q()
    return Q(**{f"{prefix}sensitivity__in": allowed})


def measure_cleared_q(user: Viewer, prefix: str = "") -> Q:
    """Measures (at ``prefix``) whose label and whose problem's label are within the user's clearance.

    On SQLite the problem's label is asked as "not one of the problems labelled above the
    clearance": a subquery of those few, read once through the label's index, not a condition
    on a join to every problem. SQLite answered that condition by building a Bloom filter of the
    whole problem table on every list (about 5 ms at 22,000 problems, growing with the table,
    for a page of 50 measures). The two are the same: a problem's label is one of
    ``Sensitivity``'s (the table's check constraint ``finding_sensitivity_known``). PostgreSQL
    keeps the join's condition: it ran ``NOT IN`` as a subquery per measure read (4 µs each, a
    province-wide count reads 100,000), and plans the join well."""
    allowed = Sensitivity.up_to(clearance_of(user))
    if len(allowed) == len(Sensitivity.values):
        return Q()
    if connection.vendor != "sqlite":
        return finding_cleared_q(user, prefix) & finding_cleared_q(user, f"{prefix}finding__")
    above = [label for label in Sensitivity.values if label not in allowed]
    # Every finding, deleted or not: a measure of a deleted problem is still judged by its label.
    hidden = Finding.everything.filter(sensitivity__in=above).values("pk")
    return finding_cleared_q(user, prefix) & ~Q(**{f"{prefix}finding__in": hidden})


# --- single objects -----------------------------------------------------------------------------


def round_list_for_user(*, user: Viewer) -> QuerySet[Round]:
    return Round.objects.filter(visible_units_q(user)).select_related("unit")


def round_get_for_user(*, user: Viewer, pk: int) -> Round:
    r = round_list_for_user(user=user).filter(pk=pk).first()
    if r is None:
        raise Http404("未找到该巡察轮次")
    return r


def finding_get_for_user(*, user: Viewer, pk: int) -> Finding:
    f = (
        Finding.objects.filter(visible_units_q(user), finding_cleared_q(user))
        .select_related("round", "unit", "parent")
        .filter(pk=pk)
        .first()
    )
    if f is None:
        raise Http404("未找到该问题")
    return f


def measure_get_for_user(*, user: Viewer, pk: int) -> Measure:
    m = (
        Measure.objects.filter(visible_units_q(user), measure_cleared_q(user))
        .select_related("round", "unit", "finding", "leader", "person", "department")
        .filter(pk=pk)
        .first()
    )
    if m is None:
        raise Http404("未找到该整改措施")
    return m


def evidence_get_for_user(*, user: Viewer, pk: int) -> Evidence:
    e = (
        # A join does not go through the default manager: a deleted measure's file is left out by hand.
        Evidence.objects.filter(
            visible_units_q(user), measure_cleared_q(user, "measure__"), measure__deleted_at__isnull=True
        )
        .select_related("measure")
        .filter(pk=pk)
        .first()
    )
    if e is None:
        raise Http404("未找到该文件")
    return e


def roles_in_round(*, user: Viewer, round: Round) -> set[str]:
    return roles_for_unit(user=user, unit=round.unit)


# --- the overview --------------------------------------------------------------------------------


@dataclass
class Tally:
    """Status counts of a set of measures (and of problems, for completion)."""

    measures: Counter[str] = field(default_factory=Counter)
    overdue: int = 0
    problems: int = 0
    problems_complete: int = 0  # closed, or all measures 已完成
    problems_basic: int = 0  # every measure done or 阶段性完成, some only the latter
    problems_closed: int = 0

    @property
    def measure_total(self) -> int:
        return sum(self.measures.values())

    @property
    def completion_rate(self) -> float | None:
        """Completed problems / problems, as published notices count it (基本完成 excluded)."""
        return round(100 * self.problems_complete / self.problems, 2) if self.problems else None

    def count_problem(self, state: str) -> None:
        """Count one problem in ``state`` (what ``policy.problem_state`` says of it)."""
        self.problems += 1
        self.problems_complete += state in COUNTED_COMPLETE
        self.problems_basic += state == ProblemState.BASIC
        self.problems_closed += state == ProblemState.CLOSED

    def add(self, other: Tally) -> None:
        self.measures.update(other.measures)
        self.overdue += other.overdue
        self.problems += other.problems
        self.problems_complete += other.problems_complete
        self.problems_basic += other.problems_basic
        self.problems_closed += other.problems_closed


@dataclass
class Node:
    finding: Finding
    children: list[Node] = field(default_factory=list)
    tally: Tally = field(default_factory=Tally)
    state: str = ""  # for problems: 已销号 / 已完成 / 基本完成 / 整改中 / 未开始


@dataclass
class Overview:
    """``tally`` and ``by_department`` count every problem and measure of the round; ``roots``
    holds only the findings the user is cleared for, and ``hidden_problems``/``hidden_measures``
    say how many were left out (counted, not named)."""

    round: Round
    roots: list[Node]
    tally: Tally
    by_department: list[tuple[str, Tally]]
    signed: PlanSignature | None
    hidden_problems: int = 0
    hidden_measures: int = 0


def round_problem_tally(*, round: Round, chunk_size: int = 2000) -> Tally:
    """The problem figures of a round (``problems``, ``problems_complete``, ``problems_basic``,
    ``problems_closed``), counted by the database in one grouped query, in constant memory.

    The same figures as ``round_overview(...).tally`` for every problem of the round; for
    exports of large rounds. ``round`` must come from a scoped selector (``round_get_for_user``).
    """
    t = Tally()
    rows = (
        # The django-stubs plugin cannot see annotations passed as ``**kwargs``: it refuses "m_total".
        Finding.objects.filter(round=round, kind=FindingKind.PROBLEM)  # type: ignore[misc]
        .order_by()
        .annotate(**problem_measure_counts())
        .values_list("status", "m_total", "m_done", "m_finished", "m_not_started")
    )
    for status, total, done, finished, not_started in rows.iterator(chunk_size=chunk_size):
        t.count_problem(
            problem_state_counted(
                closed=status == ProblemStatus.CLOSED,
                total=total,
                done=done,
                finished=finished,
                not_started=not_started,
            )
        )
    return t


def round_label_counts(*, user: Viewer, round: Round) -> dict[str, tuple[int, int]]:
    """How many problems and measures of ``round`` carry each label (安全标记): label →
    (problems, measures). Counts only, for whoever may see the round (what a public version of
    its documents leaves out, and what ``round_label_public`` would change). Two queries."""
    round_get_for_user(user=user, pk=round.pk)  # scope check
    problems = Counter(
        dict(
            Finding.objects.filter(round=round, kind=FindingKind.PROBLEM)
            .order_by()
            .values("sensitivity")
            .annotate(n=Count("id"))
            .values_list("sensitivity", "n")
        )
    )
    measures = Counter(
        dict(
            Measure.objects.filter(round=round)
            .order_by()
            .values("sensitivity")
            .annotate(n=Count("id"))
            .values_list("sensitivity", "n")
        )
    )
    return {label: (problems[label], measures[label]) for label in Sensitivity.values}


def round_overview(*, user: Viewer, round: Round) -> Overview:
    """The findings tree with status counts, completion and overdue, by category and department.

    Three queries whatever the size: findings, measures (a narrow projection), signature.
    The figures count everything; findings above the user's clearance are then pruned
    from the tree (with their subtrees), and counted in ``hidden_problems``.
    """
    round_get_for_user(user=user, pk=round.pk)  # scope check
    now = today()
    allowed = set(Sensitivity.up_to(clearance_of(user)))
    findings = list(Finding.objects.filter(round=round).order_by("position"))
    rows = list(
        Measure.objects.filter(round=round).values_list(
            "finding_id", "status", "deadline", "department__name", "sensitivity"
        )
    )
    per_finding: dict[int, list[tuple[str, dt.date | None, str | None]]] = defaultdict(list)
    dept: dict[str, Tally] = defaultdict(Tally)
    label_of = {f.pk: f.sensitivity for f in findings}
    hidden_measures = 0
    for fid, status, deadline, dname, label in rows:
        hidden_measures += not (label in allowed and label_of.get(fid) in allowed)
        per_finding[fid].append((status, deadline, dname))
        t = dept[dname or "（未分配部门）"]
        t.measures[status] += 1
        if is_overdue(status, deadline, now):
            t.overdue += 1
    nodes = {f.pk: Node(f) for f in findings}
    roots: list[Node] = []
    for f in findings:
        (nodes[f.parent_id].children if f.parent_id in nodes else roots).append(nodes[f.pk])

    def fill(n: Node) -> Tally:
        t = n.tally
        ms = per_finding.get(n.finding.pk, [])
        for status, deadline, _ in ms:
            t.measures[status] += 1
            if is_overdue(status, deadline, now):
                t.overdue += 1
        if n.finding.kind == FindingKind.PROBLEM:
            n.state = problem_state(n.finding, [s for s, _, _ in ms])
            t.count_problem(n.state)
        for c in n.children:
            t.add(fill(c))
        return t

    total = Tally()
    for r in roots:
        total.add(fill(r))
    hidden_problems = 0

    def prune(nodes_: list[Node]) -> list[Node]:
        nonlocal hidden_problems
        kept = []
        for n in nodes_:
            if n.finding.sensitivity in allowed:
                n.children = prune(n.children)
                kept.append(n)
            else:
                hidden_problems += n.tally.problems
        return kept

    roots = prune(roots)
    signed = round.signatures.select_related("signer").order_by("-version").first()
    return Overview(round, roots, total, sorted(dept.items()), signed, hidden_problems, hidden_measures)


# --- lists: my tasks, search -------------------------------------------------------------------


def _measure_list_base(user: Viewer) -> QuerySet[Measure]:
    return Measure.objects.filter(visible_units_q(user), measure_cleared_q(user)).select_related(
        "round", "finding", "person", "leader", "department"
    )


def my_tasks(*, user: Viewer) -> dict[str, list[Measure] | list[Finding]]:
    """What the user must do, overdue first then by deadline.

    ``todo``: measures the user is responsible for that are open; ``review``:
    submitted measures in units where the user is unit leader; ``unassigned``:
    measures without a responsible person where the user is clerk; ``close``:
    problems ready to close where the user supervises. Four queries at most.
    """
    out: dict[str, list[Measure] | list[Finding]] = {
        "todo": [],
        "review": [],
        "unassigned": [],
        "close": [],
    }
    if not user.is_authenticated:
        return out  # an anonymous user has no tasks (and no pk to filter on)
    base = _measure_list_base(user)
    memberships = memberships_of(user)

    def under(roles: set[str]) -> Q:
        q = Q(pk__in=[])
        for m in memberships:
            if m.role in roles:
                q |= Q(unit__path__startswith=m.unit.path)
        return q

    def ordered(qs: QuerySet[Measure]) -> list[Measure]:
        # Ordered by the database before the cut, so the 500 shown are the most urgent.
        late = Case(
            When(overdue_q(today()), then=Value(0)),
            default=Value(1),
            output_field=IntegerField(),
        )
        qs = qs.annotate(late_rank=late).order_by("late_rank", F("deadline").asc(nulls_last=True), "pk")
        return list(qs[:500])

    roles = {m.role for m in memberships}
    out["todo"] = ordered(base.filter(person=user, status__in=sorted(REPORTABLE)))
    if Role.UNIT_LEADER in roles:
        out["review"] = ordered(base.filter(under({Role.UNIT_LEADER}), status=S.PENDING_REVIEW))
    if Role.CLERK in roles:
        out["unassigned"] = ordered(
            base.filter(under({Role.CLERK}), person__isnull=True).exclude(status=S.DONE)
        )
    if Role.SUPERVISOR in roles:
        open_problems = (
            Finding.objects.filter(
                under({Role.SUPERVISOR}),
                finding_cleared_q(user),
                problem_ready_exists_q(),  # in the database, before the cut
                kind=FindingKind.PROBLEM,
            )
            .annotate(total=problem_measure_total())  # only the problems listed count their measures
            .select_related("round")
            .order_by("round_id", "position", "pk")
        )
        ready: list[Finding] = list(open_problems[:500])
        out["close"] = ready
    return out


@dataclass(frozen=True)
class MeasureFilters:
    round: int | None = None
    status: str | None = None
    department: int | None = None
    person: int | None = None
    deadline_from: dt.date | None = None
    deadline_to: dt.date | None = None
    overdue: bool = False
    text: str = ""
    # Part of a name, in the user's scope (a large scope's 责任部门 / 责任人 are typed, not chosen).
    department_name: str = ""
    person_name: str = ""


def measure_search(*, user: Viewer, filters: MeasureFilters, unassigned: bool = False) -> QuerySet[Measure]:
    """Measures the user may see, narrowed by the filters (and to those with no responsible
    person yet, 待分配, if ``unassigned``); ordered by problem and position."""
    qs = _measure_list_base(user)
    if unassigned:
        qs = qs.filter(person__isnull=True)
    f = filters
    if f.round:
        # The same round said of the problems too (a measure's problem is of its round): the
        # problems joined then come from the round's index, not a scan of every problem.
        qs = qs.filter(round_id=f.round, finding__round_id=f.round)
    if f.status:
        qs = qs.filter(status=f.status)
    if f.department:
        qs = qs.filter(department_id=f.department)
    if f.person:
        qs = qs.filter(person_id=f.person)
    # A subquery of the matching ids: nobody outside the user's scope, however many match inside.
    if name := f.department_name.strip():
        qs = qs.filter(_among("department_id", departments_named_for_user(user=user, name=name)))
    if name := f.person_name.strip():
        qs = qs.filter(_among("person_id", people_named_for_user(user=user, name=name)))
    if f.deadline_from:
        qs = qs.filter(deadline__gte=f.deadline_from)
    if f.deadline_to:
        qs = qs.filter(deadline__lte=f.deadline_to)
    if f.overdue:
        qs = qs.filter(overdue_q(today()))
    if f.text.strip():
        for word in f.text.split()[:5]:
            qs = qs.filter(_text_q(word))
    return qs.order_by("round_id", "finding__position", "position", "id")


class _EqualsAny(Func):
    """``lhs = ANY(array)``: on PostgreSQL, a column against an array computed once."""

    arg_joiner = " = ANY("
    template = "%(expressions)s)"
    output_field = BooleanField()


def _text_q(word: str) -> Q:
    """Measures whose text or whose problem's title contains ``word`` (any case).

    On PostgreSQL the problems' titles are searched first, once, into an array (``= ANY(ARRAY(
    SELECT …))``), so both branches are trigram-index lookups the planner ORs as bitmaps; an OR
    across the join would read every measure of the scope for a word found nowhere."""
    if connection.vendor == "postgresql":
        titles = ArraySubquery(Finding.objects.filter(title__icontains=word).values("pk"))
        return Q(text__icontains=word) | Q(_EqualsAny(F("finding_id"), titles))
    return Q(text__icontains=word) | Q(finding__title__icontains=word)


def _among(field: str, ids: QuerySet[Any]) -> Q:
    """``field`` among ``ids`` (a subquery of the ids a typed name matches).

    On PostgreSQL the ids are read once into an array (``= ANY(ARRAY(SELECT …))``): the planner
    cannot tell how many a name matches and, given ``IN``, starts from every match; for a common
    name (办公室: 1,500 departments, 333,000 measures of the province) that took 1.5 s, where
    walking the search's order finds a page in 3 ms. A rare name is read by its ids instead
    (``paging.measure_search_page``)."""
    if connection.vendor == "postgresql":
        return Q(_EqualsAny(F(field), ArraySubquery(ids)))
    return Q(**{f"{field}__in": ids})


def measure_history(*, measure: Measure) -> list[tuple[dt.datetime, str, Progress | Review | AuditEvent]]:
    """Progress, reviews and audit events of a measure, in time order (3 queries + evidence)."""
    from zhenggai.audit.models import AuditEvent

    items: list[tuple[dt.datetime, str, Progress | Review | AuditEvent]] = []
    for p in measure.progress.select_related("author").prefetch_related("evidence"):
        items.append((p.created_at, "progress", p))
    for r in measure.reviews.select_related("reviewer"):
        items.append((r.created_at, "review", r))
    # Left out: events the progress and review rows already show. The submission has no
    # row of its own, so its event stays.
    for e in AuditEvent.objects.filter(object_type="measure", object_id=str(measure.pk)).exclude(
        action__in=[
            "measure.start",
            "measure.approve",
            "measure.approve_stage",
            "measure.return",
            "measure.leader_return",
            "measure.send_back",
        ]
    ):
        items.append((e.created_at, "audit", e))
    items.sort(key=lambda x: x[0])
    return items


def progress_of_measure(*, measure: Measure) -> QuerySet[Progress]:
    """The progress entries of ``measure`` (got through ``measure_get_for_user``), each with its
    author and its evidence files and their uploaders: a page costs 3 queries whatever its size."""
    return measure.progress.select_related("author").prefetch_related("evidence", "evidence__uploaded_by")


def reviews_of_measure(*, measure: Measure) -> QuerySet[Review]:
    """The review decisions on ``measure`` (got through ``measure_get_for_user``): the unit head's,
    the responsible leader's returns and the supervisors' send-backs, each with its reviewer."""
    return measure.reviews.select_related("reviewer")


class Return(NamedTuple):
    """The latest return of a measure: why, when and by whom (a name as pages print it);
    a tuple ``(reason, at, by)``."""

    reason: str
    at: dt.datetime
    by: str


def last_returns(measure_ids: Iterable[int]) -> dict[int, Return]:
    """The latest return (退回: by the unit head, the responsible leader, a supervisor's send-back
    or a reopening) of each of ``measure_ids`` that has one: one query. The ids are the
    caller's, already scoped to what the user may see (a list, a page)."""
    ids = sorted(set(measure_ids))
    if not ids:
        return {}
    out: dict[int, Return] = {}
    rows = (
        Review.objects.filter(measure_id__in=ids, decision=ReviewDecision.RETURN)
        .order_by("measure_id", "-created_at", "-id")
        .values_list("measure_id", "reason", "created_at", "reviewer__display_name", "reviewer__username")
    )
    for mid, reason, at, name, username in rows:
        if mid not in out:
            out[mid] = Return(reason=reason, at=at, by=name or username)
    return out


# --- what the round, problem and measure pages show besides the tree -----------------------------


def round_rows(*, user: Viewer, today: dt.date) -> QuerySet[Round]:
    """Visible rounds with their measure counts, in one query whatever their size.

    Each count is a correlated subquery (no join, no GROUP BY over the rounds' measures): a page
    of the list counts only its own rounds, each from the ``measure_live_round_status`` index, and
    the paginator's count is a plain count of rounds. ``COUNT(*)``, not of the ids: PostgreSQL
    then counts from the index alone (an index-only scan), without reading each measure's row
    (95 → 35 ms for a page of a province's rounds, their measures not in memory)."""

    def counted(qs: QuerySet[Any]) -> Coalesce:
        n = qs.order_by().values("round").annotate(n=Count("*")).values("n")
        return Coalesce(Subquery(n, output_field=IntegerField()), Value(0))

    measures = Measure.objects.filter(round=OuterRef("pk"))
    return (
        round_list_for_user(user=user)
        .annotate(
            measure_count=counted(measures),
            done_count=counted(measures.filter(status=MeasureStatus.DONE)),
            overdue_count=counted(measures.filter(overdue_q(today))),
            problem_count=counted(Finding.objects.filter(round=OuterRef("pk"), kind=FindingKind.PROBLEM)),
        )
        .order_by("-created_at", "-id")
    )


def amendments_since(*, round: Round, signature: PlanSignature | None) -> int:
    """Changes recorded against the last signed version of the plan."""
    if signature is None:
        return 0
    return Amendment.objects.filter(round=round, signed_version=signature.version).count()


def outcomes_of(*, round: Round) -> list[Outcome]:
    """The round's outcomes (the round was fetched through a scoped selector)."""
    return list(Outcome.objects.filter(live_outcomes_q(), round=round).order_by("kind", "id"))


def live_outcomes_q() -> Q:
    """Outcomes not tied to a deleted measure (a join does not go through the default manager)."""
    return Q(measure__isnull=True) | Q(measure__deleted_at__isnull=True)


def finding_path(finding: Finding) -> list[Finding]:
    """The finding's ancestors, root first (category › issue); a few queries at most."""
    path: list[Finding] = []
    node = finding.parent
    while node is not None and len(path) < 10:
        path.append(node)
        node = node.parent
    return list(reversed(path))


def finding_parents(*, round: Round) -> QuerySet[Finding]:
    """Nodes of a round that may take children (categories and issues)."""
    return Finding.objects.filter(round=round).exclude(kind=FindingKind.PROBLEM).order_by("position")


def empty_measures() -> QuerySet[Measure]:
    return Measure.objects.none()


# --- what was deleted (已删除): the clerk's recycle bin --------------------------------------------


@dataclass(frozen=True)
class DeletedItem:
    """One deletion: the node the clerk deleted (the root of its batch), and how much it hid."""

    finding: Finding
    findings: int
    measures: int


def deleted_findings(*, user: Viewer, round: Round) -> list[DeletedItem]:
    """The round's deletions the user may see, latest first: each deleted category, issue or
    problem that was itself deleted (not one hidden with its parent), with how many findings
    and measures its deletion hid. Three queries. Deletions of a deleted round are its own."""
    round_get_for_user(user=user, pk=round.pk)  # scope check: a live round the user may see
    rows = list(
        Finding.everything.filter(finding_cleared_q(user), round=round, deleted_at__isnull=False)
        .select_related("deleted_by", "parent")
        .order_by("-deleted_at", "-id")
    )
    roots = [f for f in rows if f.parent is None or f.parent.deleted_batch != f.deleted_batch]
    batches = [f.deleted_batch for f in roots]
    n_findings = Counter(f.deleted_batch for f in rows)
    n_measures = dict(
        Measure.everything.filter(round=round, deleted_batch__in=batches)
        .order_by()
        .values_list("deleted_batch")
        .annotate(n=Count("pk"))
        .values_list("deleted_batch", "n")
    )
    return [DeletedItem(f, n_findings[f.deleted_batch], n_measures.get(f.deleted_batch, 0)) for f in roots]


def finding_get_for_restore(*, user: Viewer, pk: int) -> Finding:
    """A finding of a live round the user may see, deleted or not (``finding_restore`` refuses a
    live one, and a user who may not restore, with the reason); else ``Http404``."""
    f = (
        Finding.everything.filter(
            visible_units_q(user), finding_cleared_q(user), round__deleted_at__isnull=True
        )
        .select_related("round", "unit", "parent")
        .filter(pk=pk)
        .first()
    )
    if f is None:
        raise Http404("未找到该问题")
    return f


def deleted_rounds_for_user(*, user: Viewer) -> QuerySet[Round]:
    """Deleted rounds of the units the user sees, latest deletion first (the view shows them
    to a clerk only, and ``round_restore`` checks the role)."""
    return (
        Round.everything.filter(visible_units_q(user), deleted_at__isnull=False)
        .select_related("unit", "deleted_by")
        .order_by("-deleted_at", "-id")
    )


def round_get_for_restore(*, user: Viewer, pk: int) -> Round:
    """A round of the units the user sees, deleted or not (``round_restore`` refuses a live one,
    and a user who may not restore, with the reason); else ``Http404``."""
    r = Round.everything.filter(visible_units_q(user)).select_related("unit").filter(pk=pk).first()
    if r is None:
        raise Http404("未找到该巡察轮次")
    return r
