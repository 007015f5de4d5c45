"""A batch of events (``audit_entry`` + ``audit_record_many``) writes exactly the rows one
``audit_record`` per event writes: the same fields, canonical form, times, ``seq`` and MACs,
the same checkpoints after the commit; under one lock, in as many queries for 100 as for 10."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.audit.conftest import on_both, verify
from tests.audit.test_concurrency import EACH, WRITERS, run_writers
from zhenggai.audit import checkpoints
from zhenggai.audit.models import AuditEvent
from zhenggai.audit.services import (
    RequestContext,
    audit_entry,
    audit_record,
    audit_record_many,
    reset_request_context,
    set_request_context,
)


def varied(n: int, *, actor: Any = None, start: int = 0) -> list[dict[str, Any]]:
    """``n`` varied events as keyword arguments of ``audit_record``/``audit_entry``."""
    return [
        {
            "actor": actor,
            "action": ("measure.assign", "progress.add", "auth.login_failed")[i % 3],
            "obj": actor if i % 4 == 0 else None,
            "unit_id": i % 5 or None,
            "before": {"text": f"第{i}条：旧文字", "when": dt.date(2026, 3, i % 28 + 1), "n": i},
            "after": {"text": "Ａ\u0301" * (i % 3), "tags": {"乙", "甲"}, "ok": True, "none": None},
            "outcome": ("ok", "denied", "failed")[i % 3],
        }
        for i in range(start, start + n)
    ]


def rows(after_seq: int = 0) -> list[dict[str, Any]]:
    return list(AuditEvent.objects.filter(seq__gt=after_seq).order_by("seq").values())


def head() -> int:
    """The last ``seq`` (the personas' units and memberships are recorded too)."""
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


@on_both
def test_a_batch_writes_exactly_the_rows_of_one_audit_record_per_event(vendor, vendor_db, aged, personas):
    aged(timezone.now().replace(microsecond=123456))  # both ways at the same instant: the same MACs
    audit_record(actor=None, action="round.create")  # a head to link to
    start = head()
    token = set_request_context(RequestContext(request_id="req-1", address="192.0.2.7"))
    try:
        with transaction.atomic():
            for kwargs in varied(12, actor=personas.clerk):
                audit_record(**kwargs)
            one_by_one = rows(start)
            transaction.set_rollback(True)
        assert head() == start
        batch = audit_record_many(entries=[audit_entry(**kw) for kw in varied(12, actor=personas.clerk)])
    finally:
        reset_request_context(token)
    together = rows(start)
    strip = lambda r: {k: v for k, v in r.items() if k != "id"}  # noqa: E731
    assert [strip(r) for r in together] == [strip(r) for r in one_by_one]
    assert [r["seq"] for r in together] == list(range(start + 1, start + 13))
    assert [e.pk for e in batch] == [r["id"] for r in together]
    assert together[0]["request_id"] == "req-1" and together[0]["address"] == "192.0.2.7"
    result = verify()
    assert result.ok, result.problem
    assert result.rows == start + 12


def test_a_batch_and_single_events_interleave_into_one_chain_that_verifies(db, personas):
    start = head()
    audit_record_many(entries=[audit_entry(**kw) for kw in varied(5, actor=personas.clerk)])
    audit_record(actor=personas.clerk, action="measure.update", after={"n": 1})
    audit_record_many(entries=[audit_entry(**kw) for kw in varied(1, start=5)])
    audit_record_many(entries=[])
    audit_record_many(entries=[audit_entry(**kw) for kw in varied(7, start=6)])
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, start + 15))
    result = verify()
    assert result.ok, result.problem
    assert result.rows == start + 14


def test_the_checkpoints_after_the_commit_are_those_of_the_events_one_by_one(
    db, settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_CHECKPOINT_EVERY = 5
    settings.AUDIT_CHECKPOINT_SECONDS = 0

    def written() -> list[tuple[int, str]]:
        path = checkpoints.checkpoint_path()
        lines = path.read_text().splitlines() if path.exists() else []
        return [(json.loads(x)["seq"], json.loads(x)["mac"]) for x in lines]

    # 12 events, one of them a security event (seq 3), across two multiples of 5 (seq 5 and 10).
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        audit_record_many(entries=[audit_entry(**kw) for kw in varied(12)])
    macs = dict(AuditEvent.objects.values_list("seq", "mac"))
    assert sorted(written()) == [(s, macs[s]) for s in (3, 5, 6, 9, 10, 12)]
    assert len(callbacks) == 1 + 6  # the head log once for the commit, a checkpoint each
    result = verify()
    assert result.ok, result.problem
    assert result.checkpoints_checked == 6 and result.head_seq == 12


def test_recording_100_events_makes_as_many_queries_as_recording_10(db, personas):
    audit_record(actor=None, action="round.create")
    counts = []
    for n in (10, 100):
        entries = [audit_entry(**kwargs) for kwargs in varied(n, actor=personas.clerk)]
        with CaptureQueriesContext(connection) as ctx:
            audit_record_many(entries=entries)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] <= 6, counts
    assert AuditEvent.objects.filter(actor=personas.clerk).count() == 110


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_concurrent_batches_and_single_events_leave_no_gap_and_verify():
    """Batches hold the chain's advisory lock once each; single events wait for them and go on."""
    assert connection.vendor == "postgresql", "this test needs PostgreSQL (DATABASE_URL)"

    def work(w: int, i: int) -> None:
        with transaction.atomic():
            if w % 2:
                audit_record_many(entries=[audit_entry(**kw) for kw in varied(10, start=i * 10)])
            else:
                audit_record(actor=None, action="measure.update", after={"writer": w, "i": i})

    errors, _ = run_writers(work)
    assert errors == []
    total = WRITERS // 2 * EACH * 10 + (WRITERS - WRITERS // 2) * EACH
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, total + 1))
    result = verify()
    assert result.ok, result.problem
