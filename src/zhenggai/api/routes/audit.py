"""The audit trail (审计记录), for the 审计管理员 only, every read itself on the record.

The read goes through ``audit.exports`` as the audit page's does: the same filters
(``AuditFilters``), the same refusal of anyone else (recorded as a denied ``audit.read``, then
403 ``forbidden``) and the same ``audit.read`` event with the filters, the page and the rows,
written before the rows are sent. The 审计管理员 holds no unit: their token has none.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Router, Schema
from pydantic import Field

from zhenggai.audit.events import EVENTS, OUTCOMES, describe, describe_outcome
from zhenggai.audit.exports import AuditFilters, audit_trail_read_paged
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed

from ..errors import COMMON, ApiError
from ..pagination import Page, keyset, page
from ..refusals import actor_of
from ..types import NO_NUL, IsoDate

router = Router()





def _said(schema: dict[str, Any]) -> Any:
    """Written into the parameter's schema only: ``_filters`` checks it (a 400 naming the field)."""
    return Field(json_schema_extra=schema)


class AuditEventOut(Schema):
    id: int
    seq: int
    created_at: dt.datetime
    actor_name: str
    address: str
    request_id: str
    action: str
    action_label: str
    object_type: str
    object_id: str
    unit_id: int | None
    outcome: str
    outcome_label: str
    before: dict[str, Any]
    after: dict[str, Any]
    mac: str


def _out(e: AuditEvent) -> dict[str, object]:
    return {
        "id": e.pk,
        "seq": e.seq,
        "created_at": e.created_at,
        "actor_name": e.actor_name,
        "address": e.address,
        "request_id": e.request_id,
        "action": e.action,
        "action_label": describe(e.action),
        "object_type": e.object_type,
        "object_id": e.object_id,
        "unit_id": e.unit_id_ref,
        "outcome": e.outcome,
        "outcome_label": describe_outcome(e.outcome),
        "before": e.before or {},
        "after": e.after or {},
        "mac": e.mac,
    }


def _filters(
    start: dt.date | None,
    end: dt.date | None,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    outcome: str,
) -> AuditFilters:
    """The page's filters, checked as its form checks them."""
    if action and action not in EVENTS:
        raise ApiError(400, "invalid", "事件类型不存在，请使用审计事件清单中的名称。", "action")
    if outcome and outcome not in OUTCOMES:
        raise ApiError(400, "invalid", f"结果只能是 {'、'.join(OUTCOMES)} 之一。", "outcome")
    if start and end and end < start:
        # A rule the schema cannot state (two parameters' order): answered as a service's.
        raise InvalidInput("结束日期早于开始日期。", field="end")
    for field, value, most in (
        ("actor", actor, 150),
        ("object_type", object_type, 40),
        ("object_id", object_id, 40),
    ):
        if len(value) > most:
            raise ApiError(400, "invalid", f"筛选条件过长（最多 {most} 个字）。", field)
    return AuditFilters(
        start=start,
        end=end,
        actor=actor.strip(),
        action=action,
        object_type=object_type.strip(),
        object_id=object_id.strip(),
        outcome=outcome,
    )


@router.get("/events", response={200: Page[AuditEventOut], **COMMON}, summary="审计记录（审计管理员）")
def audit_event_list(
    request: HttpRequest,
    start: IsoDate | None = None,
    end: IsoDate | None = None,
    # The values and lengths ``_filters`` accepts, said in the schema (it answers 400 otherwise).
    actor: Annotated[str, _said({"maxLength": 150, "pattern": NO_NUL})] = "",
    action: Annotated[str, _said({"enum": ["", *sorted(EVENTS)]})] = "",
    object_type: Annotated[str, _said({"maxLength": 40, "pattern": NO_NUL})] = "",
    object_id: Annotated[str, _said({"maxLength": 40, "pattern": NO_NUL})] = "",
    outcome: Annotated[str, _said({"enum": ["", *OUTCOMES]})] = "",
    limit: int | None = None,
    cursor: str | None = None,
) -> dict[str, object]:
    """The audit trail, newest first (by sequence, as on the audit page), one page; for the
    审计管理员 only (anyone else: 403 ``forbidden``, and the refusal is recorded).
    Filters as on the audit page: a date range (``start``, ``end``: local days, both included),
    ``actor`` (a user name or display name), ``action`` (an event name such as
    ``measure.update``), ``object_type`` and ``object_id``, and ``outcome`` (``ok``, ``denied``,
    ``failed``). Each read is recorded as ``audit.read``."""
    for name, value in (("actor", actor), ("object_type", object_type), ("object_id", object_id)):
        if "\x00" in value:
            raise InvalidInput("不能包含空字符（NUL）。", field=name)
    filters = _filters(start, end, actor, action, object_type, object_id, outcome)

    def pager(qs: QuerySet[AuditEvent]) -> tuple[list[AuditEvent], str | None]:
        return keyset(qs, cursor=cursor, limit=limit, scope="audit-events", newest_first=True)

    try:
        rows, nxt = audit_trail_read_paged(
            actor=actor_of(request), filters=filters, pager=pager, page=1 if not cursor else "next"
        )
    except NotAllowed as err:
        # Already recorded by the read (a denied ``audit.read``), as the page's refusal is.
        raise PermissionDenied(str(err)) from err
    return page([_out(e) for e in rows], nxt)
