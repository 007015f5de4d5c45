"""REQ-3.4: 20 writers appending 50 events each on PostgreSQL give exactly 1,000 rows, seq 1..1000,
and a chain that verifies (appends are serialised by an advisory lock in each transaction)."""

from __future__ import annotations

import threading
import time

import pytest
from django.db import connection, connections, transaction

from tests.audit.conftest import verify
from zhenggai.audit.checkpoints import checkpoint_path
from zhenggai.audit.models import AuditEvent
from zhenggai.audit.services import audit_record

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

WRITERS, EACH = 20, 50


def run_writers(work) -> tuple[list[BaseException], float]:
    assert connection.vendor == "postgresql", "the concurrency test needs PostgreSQL (DATABASE_URL)"
    barrier = threading.Barrier(WRITERS)
    errors: list[BaseException] = []

    def run(w: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(EACH):
                work(w, i)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(w,), name=f"audit-writer-{w}") for w in range(WRITERS)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    elapsed = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads), "a writer is stuck"
    return errors, elapsed


def test_twenty_writers_of_fifty_events_give_1000_rows_seq_1_to_1000_and_a_chain_that_verifies(settings):
    assert connection.vendor == "postgresql"
    settings.AUDIT_CHECKPOINT_EVERY = 100
    # Only the count-based checkpoints here: the timer's (a sink older than this, or none yet)
    # would add one or, with twenty first commits racing, several.
    settings.AUDIT_CHECKPOINT_SECONDS = 3600
    sink = checkpoint_path()
    sink.parent.mkdir(parents=True, exist_ok=True)
    sink.touch()

    def work(w: int, i: int) -> None:
        audit_record(actor=None, action="progress.add", after={"writer": w, "i": i})

    errors, elapsed = run_writers(work)
    assert errors == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert len(seqs) == WRITERS * EACH == 1000
    assert seqs == list(range(1, 1001))
    pairs = set(AuditEvent.objects.values_list("after__writer", "after__i"))
    assert len(pairs) == 1000
    started = time.perf_counter()
    result = verify()
    verified_in = time.perf_counter() - started
    assert result.ok, result.problem
    assert result.rows == 1000
    # The automatic checkpoints (every 100th event, written after each commit) all match.
    assert result.checkpoints_total == 10 and result.checkpoints_checked == 10
    print(f"\n[REQ-3.4] {WRITERS}×{EACH} appends on PostgreSQL: {elapsed:.2f} s; verify: {verified_in:.2f} s")


def test_writers_inside_business_transactions_that_sometimes_roll_back_leave_no_gap():
    assert connection.vendor == "postgresql"

    def work(w: int, i: int) -> None:
        try:
            with transaction.atomic():
                audit_record(actor=None, action="measure.update", after={"writer": w, "i": i})
                if i % 5 == 4:
                    raise RuntimeError("业务失败，回滚")
        except RuntimeError:
            pass

    errors, _ = run_writers(work)
    assert errors == []
    seqs = list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True))
    assert seqs == list(range(1, WRITERS * EACH * 4 // 5 + 1))
    assert verify().ok
