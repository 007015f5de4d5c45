"""The keyed hash chain over the audit table, and the one function that appends to it
(``append_many``: one event or a batch, under one lock).

``mac_i = HMAC-<alg>(K, prev_mac_i || seq_i (8 bytes, big-endian) || canonical(record_i))``
with ``prev_mac_1`` = 32 zero bytes and ``alg`` HMAC-SM3 by default (``AUDIT_ALGORITHM =
"sha256"`` selects HMAC-SHA256; each row stores its algorithm, so a chain can change it and
still verify). ``K`` is read from a file outside the database (``keys.py``).

Appends are serialised so two transactions never link to the same predecessor and ``seq``
has no gaps: on PostgreSQL ``pg_advisory_xact_lock`` is taken inside the caller's
transaction and held to its commit (chain order = commit order); on SQLite the project's
``BEGIN IMMEDIATE`` transactions already admit one writer at a time. The unique index on
``seq`` is the last line of defence: a race that slipped through fails, it never forks.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import sqlite3
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from zhenggai import crypto

from . import keys, stamps
from .canonical import canonical_json, clean_str, utc_iso
from .models import AuditEvent

log = logging.getLogger("zhenggai.audit")

SCHEMA_VERSION = 1
GENESIS = "00" * crypto.DIGEST_SIZE
#: Any constant shared by every process of the install: the advisory lock of the chain head.
PG_LOCK_KEY = 0x7A67_4175_6469_7431  # "zgAudit1"

#: Stored algorithm name → hash name in ``zhenggai.crypto``.
ALGORITHMS = {"hmac-sm3": "sm3", "hmac-sha256": "sha256"}
_ALIASES = {
    "sm3": "hmac-sm3",
    "hmac-sm3": "hmac-sm3",
    "sha256": "hmac-sha256",
    "sha-256": "hmac-sha256",
    "hmac-sha256": "hmac-sha256",
}


class ChainConfigError(Exception):
    pass


def configured_algorithm() -> str:
    """The algorithm new rows use (setting ``AUDIT_ALGORITHM``: ``sm3`` default, or ``sha256``)."""
    raw = str(getattr(settings, "AUDIT_ALGORITHM", "sm3") or "sm3").strip().lower()
    try:
        return _ALIASES[raw]
    except KeyError:
        raise ChainConfigError(f"AUDIT_ALGORITHM 不支持“{raw}”：可选 sm3 或 sha256") from None


def record_of(e: AuditEvent) -> dict[str, Any]:
    """The fields of a row the MAC covers (everything but id, seq, prev_mac and mac)."""
    return {
        "v": e.schema,
        "time": utc_iso(e.created_at),
        "actor": e.actor_id,
        "actor_name": e.actor_name,
        "unit": e.unit_id_ref,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "outcome": e.outcome,
        "before": e.before,
        "after": e.after,
        "request_id": e.request_id,
        "address": e.address,
        "alg": e.alg,
    }


def mac_input(prev_mac: str, seq: int, record: dict[str, Any]) -> bytes:
    return bytes.fromhex(prev_mac) + seq.to_bytes(8, "big") + canonical_json(record)


def compute_mac(key: bytes, alg: str, prev_mac: str, seq: int, record: dict[str, Any]) -> str:
    try:
        hash_name = ALGORITHMS[alg]
    except KeyError:
        raise ChainConfigError(f"未知的审计链算法：{alg}") from None
    return crypto.hmac_digest(key, mac_input(prev_mac, seq, record), hash_name).hex()


def lock_chain(using: str) -> None:
    """Serialise appends until the end of the current transaction (PostgreSQL); a no-op on SQLite."""
    conn = connections[using]
    if not conn.in_atomic_block:
        raise RuntimeError("lock_chain() must run inside a transaction")
    if conn.vendor == "postgresql":
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [PG_LOCK_KEY])


@dataclass(frozen=True, slots=True)
class Head:
    seq: int
    mac: str
    alg: str
    created_at: dt.datetime | None


#: The head's query as the ORM writes it, by database vendor: made once per process.
_HEAD_SQL: dict[str, str] = {}


def _head_sql(using: str) -> str:
    conn = connections[using]
    sql = _HEAD_SQL.get(conn.vendor)
    if sql is None:
        qs = AuditEvent.objects.using(using).order_by("-seq").values_list("seq", "mac", "alg", "created_at")
        sql, params = qs[:1].query.get_compiler(using).as_sql()
        if params:  # the query is a constant; a parameter would mean the ORM wrote another one
            raise RuntimeError(f"audit head query has parameters: {params!r}")
        _HEAD_SQL[conn.vendor] = sql
    return sql


def head(using: str = "default") -> Head:
    """The last event of the chain (``seq``, MAC, algorithm, time), or the genesis.

    Read before every append and after every commit that appended: the ORM's query, compiled
    once per process (compiled each time, the two reads were 0.4 ms, two fifths of recording
    one event), its time converted as the ORM converts it.
    """
    conn = connections[using]
    with conn.cursor() as cursor:
        cursor.execute(_head_sql(using))
        row = cursor.fetchone()
    if row is None:
        return Head(0, GENESIS, "", None)
    seq, mac, alg, created_at = row
    col = AuditEvent._meta.get_field("created_at").cached_col
    for convert in [*conn.ops.get_db_converters(col), *col.get_db_converters(conn)]:
        created_at = convert(created_at, col, conn)
    return Head(int(seq), str(mac), str(alg), created_at)


def _now() -> dt.datetime:
    """The time of a new event (a function of its own, so tests can age events)."""
    return timezone.now()


def prepare(
    *,
    actor_id: int | None,
    actor_name: str,
    action: str,
    unit_id: int | None = None,
    object_type: str = "",
    object_id: str = "",
    outcome: str = "ok",
    before: Any = None,
    after: Any = None,
    request_id: str = "",
    address: str = "",
) -> AuditEvent:
    """An event ready to be appended (``append_many``): its fields as the chain stores them.

    ``before``/``after`` must already be clean JSON (``canonical.clean``). The time, ``seq``,
    ``prev_mac`` and MAC are set when it is appended, under the lock.
    """
    return AuditEvent(
        actor_id=actor_id,
        actor_name=clean_str(actor_name)[:150],
        unit_id_ref=unit_id,
        action=clean_str(action)[:60],
        object_type=clean_str(object_type)[:40],
        object_id=clean_str(object_id)[:40],
        outcome=clean_str(outcome)[:10],
        before=before if before is not None else {},
        after=after if after is not None else {},
        request_id=clean_str(request_id)[:40],
        address=clean_str(address)[:64],
    )


def append_many(events: Sequence[AuditEvent]) -> list[AuditEvent]:
    """Append prepared events, in order, in the current transaction (its own one when there is none).

    One lock and one read of the head for the whole batch; each event is linked to the one
    before it exactly as one append each would link it (its own time, the next ``seq``, the
    previous MAC), so the rows are those of appending them one by one. One event is saved as
    such; more go in one ``bulk_create``. Raises when the key cannot be read or the insert
    fails, so the caller's transaction fails with it.
    """
    events = list(events)
    if not events:
        return events
    using = router.db_for_write(AuditEvent)
    alg = configured_algorithm()
    key = keys.chain_key()  # before the lock: reading a file is not part of the critical section
    with transaction.atomic(using=using):
        lock_chain(using)
        last = head(using)
        links: list[tuple[Head, AuditEvent]] = []
        for event in events:
            event.created_at = _now()
            event.seq = last.seq + 1
            event.prev_mac = last.mac
            event.alg = alg
            event.schema = SCHEMA_VERSION
            event.mac = compute_mac(key, alg, event.prev_mac, event.seq, record_of(event))
            links.append((last, event))
            last = Head(event.seq, event.mac, event.alg, event.created_at)
        if len(events) == 1:
            events[0].save(using=using, force_insert=True)
        else:
            with full_batches(using):
                AuditEvent.objects.using(using).bulk_create(events)
        if stamps.changes(e.action for e in events):
            stamps.bump(using)
        _schedule_checkpoints(using, links)
    return events


@contextlib.contextmanager
def full_batches(using: str) -> Iterator[None]:
    """Let ``bulk_create`` fill one INSERT up to SQLite's real limit of parameters, as Django 6.0 does.

    Django 5.2 cuts SQLite's bulk writes at 999 parameters (``features.max_query_params``), the
    compile-time default of SQLite before 3.32, so 100 events took two INSERTs and 1,000 took
    nineteen. The connection's own limit (``SQLITE_LIMIT_VARIABLE_NUMBER``: 32,766 by default
    since SQLite 3.32, 250,000 in Debian's build) is used while the block runs; PostgreSQL's
    65,535 is Django's already. Django 6.0 reads the limit itself (ticket #36143): remove this
    then.
    """
    conn = connections[using]
    if conn.vendor != "sqlite":
        yield
        return
    conn.ensure_connection()
    features = conn.features
    had = "max_query_params" in vars(features)
    saved = features.max_query_params
    features.max_query_params = max(saved, conn.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    try:
        yield
    finally:
        if had:
            features.max_query_params = saved
        else:
            del features.max_query_params


def _schedule_checkpoints(using: str, links: Sequence[tuple[Head, AuditEvent]]) -> None:
    """What is written outside the database after the commit (finding 6 of issue 8).

    Always the head (``headlog``; the callbacks of one commit write it once) and, when the
    checkpoint file is older than ``AUDIT_CHECKPOINT_SECONDS``, a checkpoint of the head (the
    timer). A checkpoint of an event when it is a security event (not a routine one, each use
    of an API token: ``events.ROUTINE_SECURITY_EVENTS``) or the
    ``AUDIT_CHECKPOINT_EVERY``-th one; with ``AUDIT_CHECKPOINT_DAILY`` (default on), the first
    event of a new day seals the last event of the day before. ``links`` pairs each event
    appended with the head it was linked to.
    """
    from . import checkpoints
    from .events import ROUTINE_SECURITY_EVENTS, SECURITY_EVENTS

    transaction.on_commit(partial(_after_commit, using), using=using)
    every = int(getattr(settings, "AUDIT_CHECKPOINT_EVERY", 100) or 0)
    daily = getattr(settings, "AUDIT_CHECKPOINT_DAILY", True)
    due: list[tuple[int, str, str]] = []
    for last, event in links:
        security = event.action in SECURITY_EVENTS and event.action not in ROUTINE_SECURITY_EVENTS
        if (every > 0 and event.seq % every == 0) or security:
            due.append((event.seq, event.mac, event.alg))
        if (
            daily
            and last.created_at is not None
            and timezone.localdate(last.created_at) < timezone.localdate(event.created_at)
        ):
            # The first event of a day seals the last event of the day before.
            due.append((last.seq, last.mac, last.alg))
    for seq, mac, alg in due:
        transaction.on_commit(
            partial(checkpoints.write_checkpoint_quietly, seq, mac, alg, kind="auto", using=using),
            using=using,
        )


def _after_commit(using: str) -> None:
    """Record the committed head outside the database; checkpoint it when the timer ran out.

    Reads the head from the database rather than trusting the event that scheduled it: only
    committed rows are visible then, so the head written is always one that exists. A failure
    is logged loudly, never raised (the events are committed already).
    """
    from . import checkpoints, headlog

    try:
        h = head(using)
    except Exception:
        log.exception("审计链头读取失败")
        return
    if h.seq == 0:
        return
    try:
        headlog.record(seq=h.seq, mac=h.mac, alg=h.alg)
    except Exception:
        log.exception("审计链头记录写入失败")
    # The timer's checkpoint does not depend on the head log having been written.
    seconds = int(getattr(settings, "AUDIT_CHECKPOINT_SECONDS", 300) or 0)
    try:
        due = seconds > 0 and checkpoints.older_than(seconds)
    except OSError:
        log.exception("审计检查点文件不可读")
        return
    if due:
        checkpoints.write_checkpoint_quietly(h.seq, h.mac, h.alg, kind="auto", using=using)
