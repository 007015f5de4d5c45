"""Changes to many measures of one round in a fixed number of queries (the workbook's apply):
``MeasureBatch`` checks each change as its one-measure service does (the same checks of
``ledger.policy``) and writes them all at the end."""


from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.db import connections, router
from django.utils import timezone

from zhenggai.audit.chain import full_batches
from zhenggai.audit.services import audit_entry, audit_record_many
from zhenggai.errors import Gone, InvalidInput, StaleEdit

from .. import notifications
from ..models import (
    Measure,
    MeasureStatus,
    Progress,
    Review,
    Round,
)
from ..policy import (
    EDIT_ROLES,
    IN_REVIEW,
    check_progress,
    check_progress_text,
    check_review,
    check_submit,
    require_cleared,
    require_role,
    submit_action,
    transition,
)
from ._common import (
    MEASURE_GONE,
    _label,
    _lock_round,
)
from .plan import _EDITABLE, _amend_many, _change, _members

S = MeasureStatus


#: Measures read per query by ``MeasureBatch`` (well within every database's limit of parameters).
IDS_PER_QUERY = 10_000
#: Foreign keys ``MeasureBatch`` checks once per distinct value instead of in ``full_clean``:
#: the round, unit and problem do not change; people by one members query; departments by path.
_FOREIGN_KEYS = ("round", "unit", "finding", "leader", "department", "person")
#: What a change may set on a measure (``MeasureBatch.row`` puts it back on a refusal).
_TRACKED = (
    *("text", "kind", "leader_id", "department_id", "person_id", "deadline"),
    *("status", "completed_at", "completed_on", "version"),
)


def _save_many(measures: Sequence[Measure], fields: Iterable[str]) -> None:
    """Save ``fields`` (and ``updated_at``) of each measure: one UPDATE statement, run per row.

    What ``save(update_fields=…)`` would send once per measure, sent as one ``executemany``
    (one call, one round trip with psycopg 3's pipeline). ``bulk_update`` would build one
    ``CASE`` per field over every row instead: quadratic in the number of measures.
    """
    if not measures:
        return
    conn = connections[router.db_for_write(Measure)]
    opts = Measure._meta
    wanted = {*fields, "updated_at"}
    columns = [f for f in opts.concrete_fields if f.name in wanted]
    quote = conn.ops.quote_name
    assignments = ", ".join(f"{quote(f.column)} = %s" for f in columns)
    pk = next(f for f in opts.concrete_fields if f.primary_key)
    # Table and column names come from the model, quoted; every value is a parameter.
    sql = f"UPDATE {quote(opts.db_table)} SET {assignments} WHERE {quote(pk.column)} = %s"  # noqa: S608
    rows = [
        [*(f.get_db_prep_save(f.pre_save(m, False), connection=conn) for f in columns), m.pk]
        for m in measures
    ]
    with conn.cursor() as cursor:
        cursor.executemany(sql, rows)


class MeasureBatch:
    """Changes to many measures of one round, each checked as its one-measure service checks
    it, all written at the end in a fixed number of queries (the workbook's apply).

    The services lock, read, check, write and audit one measure per call (some 25 queries a
    measure for an edited workbook row). Here the round is locked and its measures read
    (locked) once; each change is checked in Python against the measure as the changes before
    it left it and raises the service's own error; ``write()`` then saves the changed
    measures in one UPDATE statement, inserts the new progress entries, reviews and
    amendments in one INSERT each and appends every audit event under one lock
    (``audit_record_many``), in the order the services would have recorded them. Use it
    inside a transaction; the changes are not seen by anyone until ``write()``.

    ``update``, ``add_progress``, ``submit`` and ``review`` mirror ``measure_update``,
    ``progress_add`` (without files), ``measure_submit`` and ``measure_review``: the same
    rules (``ledger.policy``), messages and events. ``row()`` groups changes that stand or
    fall together: a refusal inside it leaves none of them, as a savepoint around the calls
    did.
    """

    def __init__(self, *, actor: Any, round: Round, measure_ids: Iterable[int]) -> None:
        self.actor = actor
        self.round = _lock_round(round.pk)  # lock order: the round, then its measures
        ids = sorted(set(measure_ids))
        self.measures: dict[int, Measure] = {}
        for i in range(0, len(ids), IDS_PER_QUERY):
            chunk = (
                Measure.objects.select_for_update(of=("self", "unit"))
                .select_related("finding", "unit", "person", "leader")
                .filter(round=self.round, pk__in=ids[i : i + IDS_PER_QUERY])
            )
            for m in chunk:
                m.round = self.round
                self.measures[m.pk] = m
        self._members: dict[int, bool] = {}  # person → may be given a measure (read once each)
        self._reported: set[int] | None = None  # measures with a progress entry (read when needed)
        self._new_progress: set[int] = set()
        self._changed: dict[int, set[str]] = {}  # measure → fields to save
        self._progress: list[Progress] = []
        self._reviews: list[Review] = []
        self._amendments: list[tuple[Measure | None, str, dict[str, Any], dict[str, Any]]] = []
        self._events: list[dict[str, Any]] = []
        # What ``write()`` tells people: (measure, changes) edited, submitted, (returned, reason).
        self._edits: list[tuple[Measure, dict[str, Any]]] = []
        self._submitted: list[Measure] = []
        self._returned: list[tuple[Measure, str]] = []

    def _get(self, measure_id: int) -> Measure:
        m = self.measures.get(measure_id)
        if m is None:  # deleted, or of another round, since the caller read it
            raise Gone(MEASURE_GONE)
        return m

    def status(self, measure_id: int) -> str:
        """The measure's status as the changes so far left it."""
        return self._get(measure_id).status

    @contextlib.contextmanager
    def row(self, *measure_ids: int) -> Iterator[None]:
        """Changes to ``measure_ids`` that stand or fall together: a refusal leaves none of them."""
        saved = {
            pk: ({f: getattr(m, f) for f in _TRACKED}, set(self._changed.get(pk, ())))
            for pk in measure_ids
            if (m := self.measures.get(pk)) is not None
        }
        marks = (len(self._progress), len(self._reviews), len(self._amendments), len(self._events))
        told = (len(self._edits), len(self._submitted), len(self._returned))
        new_progress = set(self._new_progress)
        try:
            yield
        except BaseException:
            for pk, (fields, changed) in saved.items():
                for f, value in fields.items():
                    setattr(self.measures[pk], f, value)
                if changed:
                    self._changed[pk] = changed
                else:
                    self._changed.pop(pk, None)
            del self._progress[marks[0] :], self._reviews[marks[1] :]
            del self._amendments[marks[2] :], self._events[marks[3] :]
            del self._edits[told[0] :], self._submitted[told[1] :], self._returned[told[2] :]
            self._new_progress = new_progress
            raise

    def _touch(self, m: Measure, *fields: str) -> None:
        self._changed.setdefault(m.pk, set()).update(fields)

    def _record(self, m: Measure, **event: Any) -> None:
        self._events.append({"actor": self.actor, "unit_id": m.unit_id, **event})

    def record(self, **event: Any) -> None:
        """One more audit event (``audit_record``'s arguments, the actor's by default), written
        after the others by ``write()``, in the same append."""
        self._events.append({"actor": self.actor, **event})

    def _member_ids(self, values: dict[str, Any]) -> set[int]:
        people = [values.get(f) for f in ("leader", "person")]
        unknown = {u.pk: u for u in people if u is not None and u.pk not in self._members}
        if unknown:
            found = _members(self.round, unknown.values())
            self._members.update({pk: pk in found for pk in unknown})
        return {pk for pk, ok in self._members.items() if ok}

    def _set_status(self, m: Measure, target: str) -> None:
        m.status = target
        m.completed_at = timezone.now() if target == S.DONE else None
        m.completed_on = timezone.localdate(m.completed_at) if m.completed_at else None
        m.version += 1
        self._touch(m, "status", "completed_at", "completed_on", "version")

    def _has_progress(self, m: Measure) -> bool:
        if m.pk in self._new_progress:
            return True
        if self._reported is None:
            ids = sorted(self.measures)
            self._reported = set()
            for i in range(0, len(ids), IDS_PER_QUERY):
                chunk = Progress.objects.filter(measure_id__in=ids[i : i + IDS_PER_QUERY])
                self._reported.update(chunk.values_list("measure_id", flat=True).distinct())
        return m.pk in self._reported

    def update(self, measure_id: int, *, expected_version: int, **values: Any) -> None:
        """``measure_update``: text, kind, owners or deadline; refuses a stale edit."""
        m = self._get(measure_id)
        require_role(self.actor, m.unit, EDIT_ROLES, "编辑整改措施")
        unknown = set(values) - set(_EDITABLE)
        if unknown:
            raise InvalidInput(f"不能修改字段：{', '.join(sorted(unknown))}")
        require_cleared(self.actor, _label(m), "编辑整改措施")
        if m.version != expected_version:
            raise StaleEdit()
        change = _change(m, self.round, values, self._member_ids(values))
        if change is None:
            return
        m.full_clean(exclude=_FOREIGN_KEYS)
        self._touch(m, *values, "version")
        old, changed = change
        self._record(m, action="measure.update", obj=m, before=old, after=changed)
        self._amendments.append((m, "修改整改措施", old, changed))
        self._edits.append((m, changed))

    def add_progress(self, measure_id: int, *, text: str) -> None:
        """``progress_add`` without evidence files: starts a measure not yet started."""
        m = self._get(measure_id)
        check_progress(self.actor, m, _label(m))
        check_progress_text(m, text)
        p = Progress(measure=m, unit=m.unit, author=self.actor, text=text.strip())
        self._progress.append(p)
        self._new_progress.add(m.pk)
        before = m.status
        if m.status == S.NOT_STARTED:
            self._set_status(m, transition(m, "start"))
            started = {"status": m.status}
            self._record(m, action="measure.start", obj=m, before={"status": before}, after=started)
        after = {"measure": m.pk, "status": m.status, "text": p.text, "evidence": []}
        self._record(m, action="progress.add", obj=p, before={"status": before}, after=after)

    def submit(self, measure_id: int) -> None:
        """``measure_submit``: for review, once the measure has a progress entry."""
        m = self._get(measure_id)
        target = check_submit(self.actor, m, _label(m), has_progress=self._has_progress(m))
        before = m.status
        self._set_status(m, target)
        action = f"measure.{submit_action(m)}"
        self._record(m, action=action, obj=m, before={"status": before}, after={"status": m.status})
        self._submitted.append(m)

    def review(self, measure_id: int, *, decision: str, reason: str = "") -> None:
        """``measure_review``: approve, approve as 阶段性完成 (long-term only) or return."""
        m = self._get(measure_id)
        action, target = check_review(self.actor, m, _label(m), decision=decision, reason=reason)
        before = m.status
        self._set_status(m, target)
        self._reviews.append(
            Review(measure=m, unit=m.unit, reviewer=self.actor, decision=decision, reason=reason.strip())
        )
        after = {"status": m.status, "reason": reason.strip()}
        self._record(m, action=f"measure.{action}", obj=m, before={"status": before}, after=after)
        if action == "return":
            self._returned.append((m, reason.strip()))

    def write(self) -> None:
        """Write every change made so far: one UPDATE of the measures, one INSERT each of the
        amendments, progress entries and reviews, and the events under one lock; then the
        messages, one per person told (``ledger.notifications``)."""
        assigned = notifications.assignment_changed(self._edits)
        for m in assigned:
            self._touch(m, "assigned_at")
        _save_many([self.measures[pk] for pk in sorted(self._changed)], set().union(*self._changed.values()))
        _amend_many(self.actor, self.round, self._amendments)
        with full_batches(router.db_for_write(Progress)):
            Progress.objects.bulk_create(self._progress)  # their ids, for the events naming them
            Review.objects.bulk_create(self._reviews)
        audit_record_many(entries=[audit_entry(**event) for event in self._events])
        notifications.notify_assigned(assigned)
        # A measure submitted then reviewed in the same apply waits for nobody any more.
        waiting = [m for m in dict.fromkeys(self._submitted) if m.status in IN_REVIEW]
        notifications.notify_review_waiting(waiting)
        notifications.notify_returned(self._returned, by="第一责任人")
        self._changed, self._progress, self._reviews, self._amendments, self._events = {}, [], [], [], []
        self._edits, self._submitted, self._returned = [], [], []
