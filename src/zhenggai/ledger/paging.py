"""Paged reads of the ledger: every list a page at a time, at a cost that does not grow with the
table or with the page number.

- keyset pages (a cursor after the last row, never an OFFSET) of 搜索与筛选 and of the problems
  ready to close (可销号), each with a count that stops at ``COUNT_CAP``;
- the round overview a page of its tree at a time (``round_overview_page``), with the same
  figures as ``selectors.round_overview``.

Scoping and clearance are the selectors' (``selectors.measure_search``, ``round_get_for_user``,
``finding_cleared_q``): these functions only cut what those let through.
"""

from __future__ import annotations

import copy
import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Expression,
    F,
    Q,
    QuerySet,
)
from django.db.models.expressions import Col
from django.http import Http404

from zhenggai.accounts.actors import Viewer
from zhenggai.accounts.models import Sensitivity
from zhenggai.audit import stamps
from zhenggai.units.models import Unit
from zhenggai.units.selectors import memberships_of

from .documents import documents_of
from .models import (
    Finding,
    FindingKind,
    Measure,
    MeasureStatus,
    Outcome,
    PlanSignature,
    ProblemStatus,
    Round,
    SourceDocument,
)
from .policy import (
    COUNTED_COMPLETE,
    FINISHED,
    OPEN,
    SUPERVISE_ROLES,
    ProblemState,
    clearance_of,
    is_overdue,
    overdue_q,
    problem_measure_total,
    problem_ready_exists_q,
    problem_state_counted,
)
from .selectors import (
    MeasureFilters,
    Tally,
    finding_cleared_q,
    measure_search,
    outcomes_of,
    round_get_for_user,
    round_list_for_user,
    today,
)

S = MeasureStatus


# --- keyset pages (搜索与筛选): constant cost whatever the page number -------------------------------

#: How many rows a capped count reads at most: beyond it a list says "more than" instead of a number.
COUNT_CAP = 1000


@dataclass
class KeysetPage:
    """One page of a list read by keyset (``after``/``before`` cursors, never an OFFSET), and a
    count of the whole list that stops at ``COUNT_CAP`` (``count_capped``: there are more)."""

    rows: list[MeasureRow]
    count: int
    count_capped: bool
    next_cursor: str = ""
    prev_cursor: str = ""

    @property
    def has_next(self) -> bool:
        return bool(self.next_cursor)

    @property
    def has_previous(self) -> bool:
        return bool(self.prev_cursor)


def parse_cursor(value: str, parts: int) -> tuple[int, ...] | None:
    """A cursor of ``parts`` non-negative integers joined by dots; None for anything else (a
    tampered cursor starts the list again rather than failing)."""
    bits = value.split(".") if value else []
    if len(bits) != parts or not all(b.isascii() and b.isdigit() and len(b) <= 18 for b in bits):
        return None
    return tuple(int(b) for b in bits)


class RowCompare(Expression):
    """``(a, b, …) > (x, y, …)`` (or ``>=``, ``<``, ``<=``): a row-value comparison, which SQLite
    and PostgreSQL answer with an index range scan: a keyset page seeks to its first row instead
    of reading and skipping the rows before it."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, fields: Sequence[Any], op: str, values: Sequence[int]) -> None:
        super().__init__()
        if op not in {">", ">=", "<", "<="} or len(fields) != len(values):
            raise ValueError(op)
        self.fields: list[Any] = [F(f) if isinstance(f, str) else f for f in fields]
        self.op = op
        self.values = list(values)

    def get_source_expressions(self) -> list[Any]:
        return self.fields

    def set_source_expressions(self, exprs: Sequence[Any]) -> None:
        self.fields = list(exprs)

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        cols, params = [], []
        for f in self.fields:
            sql, p = compiler.compile(f)
            cols.append(sql)
            params.extend(p)
        marks = ", ".join(["%s"] * len(self.values))
        return f"({', '.join(cols)}) {self.op} ({marks})", [*params, *self.values]


def count_capped(qs: QuerySet[Any], cap: int | None = None) -> tuple[int, bool]:
    """How many rows ``qs`` has, reading at most ``cap + 1`` of them (``COUNT_CAP``): (count,
    capped). The cost of a count stops growing with the list."""
    cap = COUNT_CAP if cap is None else cap
    n = qs.order_by().values("pk")[: cap + 1].count()
    return (cap, True) if n > cap else (n, False)


def _in_list_order(qs: QuerySet[Measure]) -> tuple[QuerySet[Measure], list[Any]]:
    """``qs`` and the expressions of ``SEARCH_ORDER``, the finding's id taken from the finding's
    own table: Django would read it from the measure's ``finding_id`` (the same value), and then
    the database can no longer see that the findings' index gives the order, and sorts."""
    qs = qs.alias(finding_position=F("finding__position"))  # the join to the finding
    table = Finding._meta.db_table
    alias = next(
        a
        for a, join in qs.query.alias_map.items()
        if getattr(join, "table_name", None) == table and getattr(join, "parent_alias", None)
    )
    finding_id = Col(alias, Finding._meta.get_field("id"))
    return qs, [F("finding__round_id"), F("finding__position"), finding_id, F("position"), F("id")]


#: The order of 搜索与筛选 (problem, then position; ``_in_list_order``), every key a column of an
#: index: the database walks the findings' (round, position, id) index and each finding's
#: measures in (position, id) order, and stops at the page's last row; nothing is sorted.
SEARCH_ORDER = ("finding__round_id", "finding__position", "finding__id", "position", "id")


@dataclass(slots=True)
class MeasureRow:
    """A measure as a list shows it (the measure table, its warning tier): the names it prints,
    read in the list's one query, no model per row. ``tier`` is set by the page
    (``supervision.selectors.desks.attach_tiers``)."""

    pk: int
    round_id: int
    finding_id: int
    position: int
    text: str
    status: str
    deadline: dt.date | None
    round_title: str
    finding_number: str
    finding_title: str
    leader_name: str
    department_name: str
    person_name: str
    finding_round: int
    finding_position: int
    late: bool = False  # overdue today (policy.is_overdue)
    tier: str = ""

    @property
    def id(self) -> int:
        return self.pk


def _measure_row(
    pk: int,
    round_id: int,
    finding_id: int,
    position: int,
    text: str,
    status: str,
    deadline: dt.date | None,
    round_title: str,
    finding_number: str,
    finding_title: str,
    leader_display: str | None,
    leader_username: str | None,
    department: str | None,
    person_display: str | None,
    person_username: str | None,
    finding_round: int,
    finding_position: int,
) -> MeasureRow:
    """A ``MeasureRow`` from the columns of ``_ROW_COLUMNS``."""
    return MeasureRow(
        pk,
        round_id,
        finding_id,
        position,
        text,
        status,
        deadline,
        round_title,
        finding_number,
        finding_title,
        _name(leader_display, leader_username),
        department or "",
        _name(person_display, person_username),
        finding_round,
        finding_position,
    )


def _name(display: str | None, username: str | None) -> str:
    return display or username or ""  # User.__str__; "" when nobody is named


#: The columns of a ``MeasureRow``, in its order.
_ROW_COLUMNS = (
    "pk",
    "round_id",
    "finding_id",
    "position",
    "text",
    "status",
    "deadline",
    "round__title",
    "finding__number",
    "finding__title",
    "leader__display_name",
    "leader__username",
    "department__name",
    "person__display_name",
    "person__username",
    "finding__round_id",
    "finding__position",
)


def measure_search_page(
    *,
    user: Viewer,
    filters: MeasureFilters,
    unassigned: bool = False,
    after: str = "",
    before: str = "",
    size: int = 50,
) -> KeysetPage:
    """A page of ``measure_search`` in its order (problem, then position): the ``size`` rows after
    the cursor ``after`` (or before ``before``), with the cursors of the pages on either side.
    Two queries (the rows, a count capped at ``COUNT_CAP``), whatever the page and the table;
    the count only when it is nought."""
    qs = measure_search(user=user, filters=filters, unassigned=unassigned)
    # Counted through the rounds the user sees as well (a measure's unit is its round's): the
    # (round, status) index then answers, however many measures other units have.
    count, capped = count_capped(qs.filter(round__in=round_list_for_user(user=user).values("pk")))
    if filters.round and connection.vendor == "sqlite":
        # The rows of one round (搜索本轮措施), on SQLite: the round said of the problems only,
        # and as a range (the same, of an integer). Said of the measures too, SQLite took the
        # measures' (round, status) index and sorted all the round's measures of the status for
        # a page (20 ms at 4,000 of them); as an equality, it took another index of each
        # problem's measures and sorted them. So it walks the round's problems in order and each
        # one's measures in theirs, and stops at the page's last row (0.5 ms, at 10,000 measures
        # as at 100,000). A measure's problem is of its round. PostgreSQL sorts the round's
        # matching measures for their first rows (8 ms at 1,000) and, told of the problems' round
        # only, loops over the rounds for each measure (48 ms): it keeps ``measure_search``'s.
        qs = measure_search(user=user, filters=replace(filters, round=None), unassigned=unassigned)
        qs = qs.filter(finding__round_id__gte=filters.round, finding__round_id__lt=filters.round + 1)
    if not capped and (filters.person_name.strip() or filters.department_name.strip()):
        # A typed name matching few measures (the count was not capped: all of them fit in
        # ``COUNT_CAP``): read those by id and sort them, rather than walk the order to find them.
        qs = qs.filter(pk__in=qs.order_by().values("pk")[: COUNT_CAP + 1])
    rows_qs, order = _in_list_order(qs)
    back = parse_cursor(before, len(SEARCH_ORDER))
    key = back or parse_cursor(after, len(SEARCH_ORDER))
    if key is not None:
        strict, loose = ("<", "<=") if back is not None else (">", ">=")
        rows_qs = rows_qs.filter(
            # The finding's part alone, which its index answers, then the exact cut.
            RowCompare(order[:3], loose, key[:3]),
            RowCompare(order, strict, key),
        )
    else:
        # A condition always true that lets the database plan the first page like the others.
        rows_qs = rows_qs.filter(RowCompare(order[:3], ">=", (0, 0, 0)))
    if back is not None:
        rows_qs = rows_qs.order_by(*(e.desc() for e in order))
    else:
        rows_qs = rows_qs.order_by(*(e.asc() for e in order))
    rows: list[MeasureRow] = []
    if count or capped:  # nothing matched: not looked for again (a text search reads the scope)
        rows = [_measure_row(*row) for row in rows_qs.values_list(*_ROW_COLUMNS)[: size + 1]]
    on = today()
    for row in rows:
        row.late = is_overdue(row.status, row.deadline, on)
    more = len(rows) > size
    rows = rows[:size]
    if back is not None:
        rows.reverse()
    page = KeysetPage(rows, count, capped)
    if rows:
        # Going back, the page before exists when more rows were read; going on, when the list
        # started from a cursor (the first page has none).
        has_prev = more if back is not None else key is not None
        has_next = True if back is not None else more
        page.prev_cursor = _search_key(rows[0]) if has_prev else ""
        page.next_cursor = _search_key(rows[-1]) if has_next else ""
    return page


def _search_key(m: MeasureRow) -> str:
    """The cursor of a row of ``measure_search_page``."""
    return f"{m.finding_round}.{m.finding_position}.{m.finding_id}.{m.position}.{m.pk}"


@dataclass
class ProblemPage:
    """A keyset page of problems (``after`` the cursor), with a count capped at ``COUNT_CAP``."""

    rows: list[Finding]
    count: int
    count_capped: bool
    next_cursor: str = ""


#: The order of the 可销号 list: by round, then as the round lists its problems.
CLOSE_ORDER = ("round_id", "position", "id")


def ready_to_close_page(*, user: Viewer, after: str = "", size: int = 50) -> ProblemPage:
    """Problems under the user's supervision (监督人员) whose measures are all finished, that may
    be closed now (可销号), within the user's clearance: the ``size`` after the cursor ``after``
    in (round, position) order, each annotated with ``total`` (its measures). Two queries."""
    paths = Q(pk__in=[])
    for m in memberships_of(user):
        if m.role in SUPERVISE_ROLES and m.unit.path:
            paths |= Q(path__startswith=m.unit.path)
    under = Unit.objects.filter(paths).values("pk")  # a semi-join on the path, as visible_units_q
    qs = Finding.objects.filter(
        finding_cleared_q(user), problem_ready_exists_q(), unit__in=under, kind=FindingKind.PROBLEM
    )
    count, capped = count_capped(qs)
    key = parse_cursor(after, len(CLOSE_ORDER))
    # Only the page's problems count their measures.
    rows_qs = (
        qs.annotate(total=problem_measure_total())
        .select_related("round")
        .order_by(*CLOSE_ORDER)
    )
    if key is not None:
        rows_qs = rows_qs.filter(RowCompare(CLOSE_ORDER, ">", key))
    rows: list[Finding] = list(rows_qs[: size + 1])
    page = ProblemPage(rows[:size], count, capped)
    if len(rows) > size:
        last = rows[size - 1]
        page.next_cursor = f"{last.round_id}.{last.position}.{last.pk}"
    return page


# --- the overview, one page of the tree at a time ------------------------------------------------


@dataclass(slots=True)
class PageNode:
    """A finding of the overview's tree with its subtree's figures (every problem and measure,
    labels notwithstanding; ``state`` is a problem's). ``number``/``title`` are read only for
    the rows of the page shown."""

    pk: int
    parent_id: int | None
    kind: str
    status: str
    sensitivity: str
    depth: int = 0
    state: str = ""
    number: str = ""
    title: str = ""
    measures: int = 0
    done: int = 0
    overdue: int = 0
    problems: int = 0
    problems_complete: int = 0

    @property
    def completion_rate(self) -> float | None:
        """As ``Tally.completion_rate``."""
        return round(100 * self.problems_complete / self.problems, 2) if self.problems else None


@dataclass
class OverviewPage:
    """The figures of ``round_overview`` (``tally``, ``by_department``, the hidden counts: the
    whole round) and one page of its tree: ``rows`` in tree order with their depth, the
    ancestors of the page's first row repeated at its top, ``size`` problems a page."""

    round: Round
    tally: Tally
    by_department: list[tuple[str, Tally]]
    signed: PlanSignature | None
    hidden_problems: int
    hidden_measures: int
    rows: list[PageNode]
    number: int
    pages: int
    #: The round's outcomes (``selectors.outcomes_of``) and documents without their text
    #: (``documents.documents_of``), kept with the figures: shared, to be read only.
    outcomes: tuple[Outcome, ...] = ()
    documents: tuple[SourceDocument, ...] = ()


def _plain_rows(qs: QuerySet[Any]) -> list[tuple[Any, ...]]:
    """The rows of a ``values_list`` of ids, counts and short strings as the database driver
    gives them: thousands of rows without a Python converter per value."""
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows: list[tuple[Any, ...]] = cursor.fetchall()
    return rows


#: Rows of the overview's tree per page besides its problems (a round of empty categories).
TREE_PAGE_ROWS = 200


def round_overview_page(*, user: Viewer, round: Round | int, page: int = 1, size: int = 50) -> OverviewPage:
    """``round_overview`` a page at a time: the same figures, and the tree's rows holding its
    ``page``-th ``size`` problems (tree order, clearance applied as there).

    ``round`` is a round read through a scoped selector, or the id of one to read (one query
    fewer: the read is the scope check, a 404 outside the user's units).

    Ten queries whatever the round (three when its figures are kept, ``_figures_kept``): the
    scope check, the change stamp, the findings' skeleton (no text), the
    measures counted by finding and by department and status (the database counts, from covering
    indexes), the departments' names, the signature, the outcomes, the documents, the page's
    titles. The round's thousands of
    findings are plain tuples and lists here, walked once in tree order; a row's subtree is added
    up only for the rows of the page (a subtree is a run of the tree order), and only the page's
    rows become objects.
    """
    if not isinstance(round, Round):
        round = round_get_for_user(user=user, pk=round)  # the scope check
    elif not round_list_for_user(user=user).filter(pk=round.pk).exists():  # scope check
        raise Http404("未找到该巡察轮次")
    fig = _figures_kept(round, today(), set(Sensitivity.up_to(clearance_of(user))), size)
    skeleton, order, up, depth, place = fig.skeleton, fig.order, fig.up, fig.depth, fig.place
    own, state, flat, starts, size_of = fig.own, fig.state, fig.flat, fig.starts, len(fig.skeleton)
    pages = len(starts)
    number = min(max(page, 1), pages)
    lo = starts[number - 1]
    shown = flat[lo : starts[number] if number < pages else len(flat)]
    # The page's first row continues its parents' subtree: they head the page again.
    heads: list[int] = []
    parent = up[shown[0]] if shown and lo > 0 else -1
    while parent >= 0:
        heads.append(parent)
        parent = up[parent]
    shown = [*reversed(heads), *shown]

    nodes: dict[int, PageNode] = {}
    for i in shown:
        # A subtree is the run of the tree order after its root that is deeper than the root
        # (hidden nodes included: their figures count in their parents' rows).
        measures = done = late = problems = complete = 0
        p, top = place[i], depth[i]
        j = i
        while True:
            counted = own.get(j)
            if counted is not None:
                measures += counted[0]
                done += counted[1]
                late += counted[4]
            if state[j]:  # a problem (only problems have a state)
                problems += 1
                complete += state[j] in COUNTED_COMPLETE
            p += 1
            if p == size_of:
                break
            j = order[p]
            if depth[j] <= top:
                break
        pk, parent_id, kind, status = skeleton[i][:4]
        nodes[pk] = PageNode(
            pk=pk,
            parent_id=parent_id,
            kind=kind,
            status=status,
            sensitivity="",  # read with the title
            depth=depth[i],
            state=state[i],
            measures=measures,
            done=done,
            overdue=late,
            problems=problems,
            problems_complete=complete,
        )
    if nodes:
        texts = Finding.objects.filter(pk__in=list(nodes)).order_by()
        for pk, number_, title, label in texts.values_list("pk", "number", "title", "sensitivity"):
            node = nodes[pk]
            node.number, node.title, node.sensitivity = number_, title, label
    return OverviewPage(
        round,
        # Copies: the kept figures stay as they were made, whatever a caller does with these.
        copy.deepcopy(fig.total),
        copy.deepcopy(fig.by_department),
        fig.signed,
        fig.hidden_problems,
        fig.hidden_measures,
        list(nodes.values()),
        number,
        pages,
        fig.outcomes,
        fig.documents,
    )


@dataclass(frozen=True)
class _Figures:
    """What ``round_overview_page`` computes of a whole round, for a clearance, a day and a page
    size: the skeleton in tree order, each node's own counts and state, the totals, and where each
    page of the tree starts. Read-only once made (it may be kept, ``_figures_kept``)."""

    skeleton: list[tuple[Any, ...]]
    order: list[int]
    up: list[int]
    depth: list[int]
    place: list[int]
    own: dict[int, tuple[int, ...]]
    state: list[str]
    total: Tally
    by_department: list[tuple[str, Tally]]
    flat: list[int]
    starts: list[int]
    hidden_problems: int
    hidden_measures: int
    #: The plan's last signature, its signer read with it, the round's outcomes and documents
    #: (signing, an outcome's record, a document's import are audited changes).
    signed: PlanSignature | None
    outcomes: tuple[Outcome, ...]
    documents: tuple[SourceDocument, ...]


#: Rounds' figures kept per process (``_figures_kept``).
KEPT_FIGURES = 32
_kept: stamps.Kept[_Figures] = stamps.Kept(KEPT_FIGURES)


def _figures_kept(round: Round, now: dt.date, allowed: set[str], size: int) -> _Figures:
    """``_round_figures``, kept between requests under the change stamp read first (a change
    anywhere gives a new stamp: ``audit.stamps``), the day, the clearance and the page size. A
    round viewed again between two changes costs its page only; after a change, each server
    process counts it once more."""
    key = (round.pk, now, tuple(sorted(allowed)), size)
    return _kept.get(key, lambda: _round_figures(round, now, allowed, size))


def forget_kept_figures() -> None:
    """Drop every kept figure (tests whose rollbacks reuse ids and stamps)."""
    _kept.clear()


def _round_figures(round: Round, now: dt.date, allowed: set[str], size: int) -> _Figures:
    """The whole round's part of ``round_overview_page`` (seven of its queries)."""
    round_id = round.pk
    everything = len(allowed) == len(Sensitivity.values)
    # Labels only for a user not cleared for every one (they hide nothing from the others).
    columns = ("pk", "parent_id", "kind", "status", *(() if everything else ("sensitivity",)))
    skeleton = _plain_rows(
        Finding.objects.filter(round_id=round_id).order_by("position", "id").values_list(*columns)
    )
    size_of = len(skeleton)
    problem_kind, closed_status = FindingKind.PROBLEM, ProblemStatus.CLOSED
    at = {row[0]: i for i, row in enumerate(skeleton)}
    up = [-1] * size_of
    kids: dict[int, list[int]] = {}
    roots: list[int] = []
    for i, row in enumerate(skeleton):
        parent = at.get(row[1], -1)  # a parent not in the round (or none): a root
        if parent < 0:
            roots.append(i)
        else:
            up[i] = parent
            if parent in kids:
                kids[parent].append(i)
            else:
                kids[parent] = [i]

    # Tree order (parents first) of every node, each node's depth and place in it.
    order: list[int] = []
    depth = [0] * size_of
    place = [0] * size_of
    stack = roots[::-1]
    while stack:
        i = stack.pop()
        place[i] = len(order)
        order.append(i)
        below = kids.get(i)
        if below:  # most nodes are problems, leaves
            d = depth[i] + 1
            for k in below:
                depth[k] = d
            stack.extend(reversed(below))
    # Whether a label above the user's clearance hides a node (with its subtree).
    hidden_node: list[bool] = []
    if not everything:
        hidden_node = [False] * size_of
        for i in order:
            hidden_node[i] = skeleton[i][4] not in allowed or (up[i] >= 0 and hidden_node[up[i]])

    counts: dict[str, Any] = {
        "n": Count("pk"),
        "done": Count("pk", filter=Q(status=S.DONE)),
        "finished": Count("pk", filter=Q(status__in=sorted(FINISHED))),
        "not_started": Count("pk", filter=Q(status=S.NOT_STARTED)),
        "late": Count("pk", filter=overdue_q(now)),
    }
    if not everything:  # measures labelled above the user's clearance
        counts["hidden"] = Count("pk", filter=~Q(sensitivity__in=sorted(allowed)))
    own: dict[int, tuple[int, ...]] = {}  # node -> (measures, done, finished, not started, late)
    hidden_measures = 0
    for fid, *figures in _plain_rows(
        Measure.objects.filter(round_id=round_id)
        .order_by()
        .values("finding_id")
        .annotate(**counts)
        .values_list("finding_id", *counts)
    ):
        i = at.get(fid, -1)
        if i < 0:
            hidden_measures += figures[0]
            continue
        if not everything:
            hidden_measures += figures[0] if skeleton[i][4] not in allowed else figures[5]
        own[i] = tuple(figures[:5])

    # Each problem's state; problems share a handful of (closed, counts) combinations, and each
    # one's state is derived once.
    state = [""] * size_of
    states: Counter[str] = Counter()
    derived: dict[tuple[bool, int, int, int, int], str] = {}
    nothing = (0, 0, 0, 0, 0)
    for i, row in enumerate(skeleton):
        if row[2] == problem_kind:
            n, d, finished, not_started, _ = own.get(i, nothing)
            key = (row[3] == closed_status, n, d, finished, not_started)
            found = derived.get(key)
            if found is None:
                found = derived[key] = problem_state_counted(
                    closed=key[0], total=n, done=d, finished=finished, not_started=not_started
                )
            state[i] = found
            states[found] += 1

    total = Tally(
        problems=sum(states.values()),
        problems_complete=sum(states[s] for s in COUNTED_COMPLETE),
        problems_basic=states[ProblemState.BASIC],
        problems_closed=states[ProblemState.CLOSED],
    )
    dept: dict[int | None, Tally] = defaultdict(Tally)
    for dep, status, n, overdue in (
        Measure.objects.filter(round_id=round_id)
        .order_by()
        .values_list("department_id", "status")
        .annotate(n=Count("pk"), late=Count("pk", filter=Q(deadline__lt=now)))
        .values_list("department_id", "status", "n", "late")
    ):
        overdue = overdue if status in OPEN else 0
        for t in (dept[dep], total):
            t.measures[status] += n
            t.overdue += overdue
    # ``or [0]``: one query even when no measure has a department (a page's count stays fixed).
    names = dict(
        Unit.objects.filter(pk__in=[d for d in dept if d is not None] or [0]).values_list("pk", "name")
    )
    by_department = sorted(
        (names.get(d, "（未分配部门）") if d else "（未分配部门）", t) for d, t in dept.items()
    )

    # The tree the user may see, cut into pages of ``size`` problems.
    if everything:
        flat, hidden_problems = order, 0
    else:
        flat = [i for i in order if not hidden_node[i]]
        hidden_problems = sum(1 for i in order if hidden_node[i] and skeleton[i][2] == problem_kind)
    starts = [0]
    on_page = rows = 0
    for j, i in enumerate(flat):
        if on_page == size or rows == TREE_PAGE_ROWS:
            starts.append(j)
            on_page = rows = 0
        on_page += skeleton[i][2] == problem_kind
        rows += 1
    signatures = PlanSignature.objects.filter(round_id=round_id).select_related("signer")
    signed = signatures.order_by("-version").first()
    return _Figures(
        skeleton, order, up, depth, place, own, state, total, by_department, flat, starts,
        hidden_problems, hidden_measures, signed,
        tuple(outcomes_of(round=round)), tuple(documents_of(round=round)),
    )
