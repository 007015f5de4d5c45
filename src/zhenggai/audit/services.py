"""Recording audit events.

Two entry points:

- ``audit_record(...)`` for business events, called inside the caller's transaction: the
  change and its audit row commit or fail together (if the audit write fails — no key, a
  database error — the exception rolls the change back: fail-closed, REQ-1.12).
- ``audit_security_event(...)`` for refused and failed actions (permission denied, a stale
  page, a login failure, a lockout). Call it *after* the failed transaction has rolled back —
  as ``ledger.services.record_refusal`` does from the views' ``refusals_recorded`` — so the
  event is committed on its own and survives (REQ-3.7). We do not open a second connection
  instead: on SQLite it would wait for the write lock the failed request still holds.

Actions come from the inventory in ``events.py``. Every event goes through
``chain.append_many``: one row with a gap-free ``seq`` and its MAC.

A bulk path records its events together (pretix's ``log_action(save=False)`` then
``bulk_create``): ``audit_entry(...)`` makes each event without writing it, and
``audit_record_many(entries=…)`` appends them in order under one lock, in one INSERT. The rows
are those one ``audit_record`` per event would write: the same fields, the same canonical
form, each linked to the one before it.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypedDict, Unpack

from django.db import models

from .canonical import clean
from .chain import append_many, prepare
from .events import EVENTS, OUTCOMES
from .models import AuditEvent

log = logging.getLogger("zhenggai.audit")


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


def current_request_context() -> RequestContext:
    return _context.get()


def _jsonable(value: Any) -> Any:
    """Kept for callers of the first version: the same as ``canonical.clean``."""
    return clean(value)


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    is_user = actor is not None and getattr(actor, "is_authenticated", False) and actor.pk is not None
    if is_user:
        return actor.pk, getattr(actor, "username", "") or "system"
    return None, "system"


def _object_fields(obj: Any) -> tuple[str, str]:
    if obj is None:
        return "", ""
    if isinstance(obj, models.Model):
        return obj._meta.model_name or "", "" if obj.pk is None else str(obj.pk)
    return type(obj).__name__.lower()[:40], ""


def audit_entry(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    unit_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    outcome: str = "ok",
) -> AuditEvent:
    """An audit event made but not written: pass a list of them to ``audit_record_many``.

    ``obj`` must have its primary key already (the event names it). The request's id and
    address are read now.
    """
    if action not in EVENTS:
        log.warning("audit action %r is not in the inventory (zhenggai.audit.events.EVENTS)", action)
    if outcome not in OUTCOMES:
        log.warning("audit outcome %r is not one of %s", outcome, ", ".join(OUTCOMES))
    ctx = _context.get()
    actor_id, actor_name = _actor_fields(actor)
    object_type, object_id = _object_fields(obj)
    return prepare(
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        unit_id=unit_id,
        object_type=object_type,
        object_id=object_id,
        outcome=outcome,
        before=clean(before or {}),
        after=clean(after or {}),
        request_id=ctx.request_id,
        address=ctx.address,
    )


class EventFields(TypedDict, total=False):
    """The optional arguments of ``audit_record`` (and ``audit_entry``), with their defaults there."""

    obj: models.Model | None
    unit_id: int | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    outcome: str


def audit_record(*, actor: Any, action: str, **fields: Unpack[EventFields]) -> AuditEvent:
    """Write one audit event in the current transaction (its own transaction when there is none).

    ``fields``: ``obj`` (the object acted on), ``unit_id``, ``before``/``after`` (what changed,
    made canonical) and ``outcome`` (default ``ok``), as for ``audit_entry``.
    """
    return append_many([audit_entry(actor=actor, action=action, **fields)])[0]


def audit_change(
    actor: Any,
    action: str,
    obj: Any,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent:
    """``audit_record`` of an event about a row scoped to a unit (``obj.unit_id``): what the
    ledger and report services record after a write or a recorded read."""
    return audit_record(actor=actor, action=action, obj=obj, unit_id=obj.unit_id, before=before, after=after)


def audit_record_many(*, entries: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Write the events made by ``audit_entry``, in order, in the current transaction.

    One acquisition of the chain's lock, one read of its head and one INSERT for the batch
    (the MACs computed in Python), instead of all three per event; the rows are exactly those
    of one ``audit_record`` per event, in the same order.
    """
    return append_many(entries)


def audit_security_event(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    unit_id: int | None = None,
    reason: str = "",
    detail: dict[str, Any] | None = None,
    outcome: str = "denied",
    username: str = "",
) -> AuditEvent:
    """Record a refused or failed action (default outcome ``denied``) so that it persists.

    Call it outside the transaction that failed (after its rollback). ``reason`` is the
    message the user was shown; ``detail`` anything else worth keeping; ``username`` the name
    typed at a failed login (recorded even when no such account exists).
    """
    after: dict[str, Any] = dict(detail or {})
    if reason:
        after["reason"] = reason
    if username:
        after.setdefault("username", username[:150])
    if unit_id is None and obj is not None:
        unit_id = getattr(obj, "unit_id", None)
    return audit_record(actor=actor, action=action, obj=obj, unit_id=unit_id, after=after, outcome=outcome)
