"""Reading the audit trail: the 审计管理员's page and CSV export, each read itself on the record.

``audit_trail_read`` (a page of events, newest first, recorded as ``audit.read``) and
``audit_trail_export`` (every filtered event up to now as CSV, recorded as ``audit.export``)
are the only ways the trail is read by a person; pages (and later the API and the command
line) call them. Anyone but the 审计管理员 is refused with ``NotAllowed`` and the refusal is
recorded (``denied``). The event is written before the rows are handed over (fail-closed).
"""

from __future__ import annotations

import csv
import datetime as dt
import json
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils import timezone

from zhenggai.errors import NotAllowed

from .events import describe, describe_outcome
from .models import AuditEvent
from .services import audit_record, audit_security_event

#: ``accounts.models.AdminRole.AUDIT`` (accounts sits above audit: named here, not imported).
AUDIT_ROLE = "audit_admin"
REFUSED = "只有审计管理员可以查阅审计记录"
PAGE_SIZE = 50

P = TypeVar("P")


def is_audit_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "admin_role", "") == AUDIT_ROLE)


def _require_audit_admin(actor: Any, action: str) -> None:
    if not is_audit_admin(actor):
        audit_security_event(actor=actor, action=action, reason=REFUSED)
        raise NotAllowed(REFUSED)


@dataclass(frozen=True)
class AuditFilters:
    """Which events: a date range (local days, both ends included), who, what, on which object."""

    start: dt.date | None = None
    end: dt.date | None = None
    actor: str = ""
    action: str = ""
    object_type: str = ""
    object_id: str = ""
    outcome: str = ""

    def as_text(self) -> dict[str, str]:
        """The filters in force, as text (recorded with each read and export)."""
        return {
            k: (v.isoformat() if isinstance(v, dt.date) else str(v)) for k, v in asdict(self).items() if v
        }

    def apply(self, qs: QuerySet[AuditEvent]) -> QuerySet[AuditEvent]:
        tz = timezone.get_current_timezone()
        if self.start:
            qs = qs.filter(created_at__gte=dt.datetime.combine(self.start, dt.time.min, tzinfo=tz))
        if self.end:
            end = dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
            qs = qs.filter(created_at__lt=end)
        who = self.actor.strip()
        if who:
            qs = qs.filter(Q(actor_name__iexact=who) | Q(actor__display_name=who))
        if self.action:
            qs = qs.filter(action=self.action)
        if self.object_type:
            qs = qs.filter(object_type=self.object_type)
        if self.object_id.strip():
            qs = qs.filter(object_id=self.object_id.strip())
        if self.outcome:
            qs = qs.filter(outcome=self.outcome)
        return qs


def audit_trail_read(*, actor: Any, filters: AuditFilters, page: int | str | None = 1) -> Page:
    """One page of the filtered trail, newest first, for the 审计管理员; recorded as ``audit.read``."""
    _require_audit_admin(actor, "audit.read")
    qs = filters.apply(AuditEvent.objects.select_related("actor").order_by("-seq"))
    found = Paginator(qs, PAGE_SIZE).get_page(page or 1)
    audit_record(
        actor=actor,
        action="audit.read",
        after={"filters": filters.as_text(), "page": found.number, "rows": len(found.object_list)},
    )
    return found


def audit_trail_read_paged(
    *,
    actor: Any,
    filters: AuditFilters,
    pager: Callable[[QuerySet[AuditEvent]], tuple[list[AuditEvent], P]],
    page: int | str,
) -> tuple[list[AuditEvent], P]:
    """``audit_trail_read`` for a caller that pages the filtered trail itself (the API's cursor):
    ``pager`` takes the filtered events and returns one page and what the caller needs to go on.
    The 审计管理员 only (anyone else: ``NotAllowed``, recorded); the page is recorded as
    ``audit.read`` with the filters, ``page`` (the caller's name for it) and the rows handed over,
    before they are (fail-closed)."""
    _require_audit_admin(actor, "audit.read")
    rows, rest = pager(filters.apply(AuditEvent.objects.select_related("actor")))
    audit_record(
        actor=actor,
        action="audit.read",
        after={"filters": filters.as_text(), "page": page, "rows": len(rows)},
    )
    return rows, rest


# --- the CSV export ------------------------------------------------------------------------------

CSV_HEADER = [
    "序号",
    "时间",
    "操作人",
    "地址",
    "请求编号",
    "事件",
    "事件说明",
    "对象类型",
    "对象编号",
    "单位",
    "结果",
    "修改前",
    "修改后",
    "MAC",
]


@dataclass(frozen=True)
class AuditExport:
    """The export: a file name, the number of rows and the CSV text, produced as it is read."""

    name: str
    rows: int
    upto_seq: int
    lines: Iterator[str]


def compact(value: Any) -> str:
    """A before/after dict as one line of JSON ('' when empty)."""
    return "" if not value else json.dumps(value, ensure_ascii=False, sort_keys=True)


def _cell(value: Any) -> str:
    """Text for a spreadsheet: a leading = + - @ would be read as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(qs: QuerySet[AuditEvent]) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel opens UTF-8 CSV correctly only with the byte-order mark
    yield writer.writerow(CSV_HEADER)
    for e in qs.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                _cell(v)
                for v in (
                    e.seq,
                    timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor_name,
                    e.address,
                    e.request_id,
                    e.action,
                    describe(e.action),
                    e.object_type,
                    e.object_id,
                    e.unit_id_ref or "",
                    describe_outcome(e.outcome),
                    compact(e.before),
                    compact(e.after),
                    e.mac,
                )
            ]
        )


def audit_trail_export(*, actor: Any, filters: AuditFilters) -> AuditExport:
    """Every filtered event up to the newest now, oldest first, as CSV; recorded as ``audit.export``.

    The export event itself (and anything later) is not in the file. The rows are read in
    chunks while ``lines`` is consumed, so the export runs in constant memory.
    """
    _require_audit_admin(actor, "audit.export")
    upto = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    qs = filters.apply(AuditEvent.objects.filter(seq__lte=upto).order_by("seq"))
    rows = qs.count()
    after = {"filters": filters.as_text(), "rows": rows, "upto_seq": upto}
    audit_record(actor=actor, action="audit.export", after=after)
    name = f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    return AuditExport(name, rows, upto, _csv_lines(qs))
