"""Recording audit events. Business events are written inside the caller's
transaction, so a change and its audit row commit or fail together."""

from __future__ import annotations

import contextvars
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

from .models import AuditEvent


@dataclass(frozen=True, slots=True)
class RequestContext:
    request_id: str = ""
    address: str = ""


# The default is a frozen (immutable) dataclass, so sharing it is safe.
_context: contextvars.ContextVar[RequestContext] = contextvars.ContextVar(
    "zhenggai_audit_context",
    default=RequestContext(),  # noqa: B039
)


def set_request_context(ctx: RequestContext) -> contextvars.Token[RequestContext]:
    return _context.set(ctx)


def reset_request_context(token: contextvars.Token[RequestContext]) -> None:
    _context.reset(token)


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, dt.date | dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    return value


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    unit_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> AuditEvent:
    """Write one audit event (in the current transaction)."""
    ctx = _context.get()
    is_user = actor is not None and getattr(actor, "is_authenticated", False)
    return AuditEvent.objects.create(
        actor=actor if is_user else None,
        actor_name=(getattr(actor, "username", "") if is_user else "") or "system",
        unit_id_ref=unit_id,
        action=action,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=str(obj.pk) if obj is not None and obj.pk is not None else "",
        outcome=outcome,
        before=_jsonable(before or {}),
        after=_jsonable(after or {}),
        request_id=ctx.request_id,
        address=ctx.address,
    )
