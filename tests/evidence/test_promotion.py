"""REQ-4.6: an uploaded file enters the store only when the transaction that records it commits.

Until then it waits, checked and fsynced, in ``EVIDENCE_DIR/.incoming``. A rollback (of the
service, of an outer transaction after the service returned, or of a savepoint) promotes
nothing, and its waiting file is removed by the service's except path, by the sweep that
runs before every upload and after every request, or by the stale sweep a day later.

Most tests here commit for real (``transaction=True``): the on-commit callbacks run as in
production. The PostgreSQL ones run two uploads in threads.
"""

from __future__ import annotations

import io
import logging
import os
import threading
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.core.signals import request_finished
from django.db import connection, connections, transaction
from django.urls import reverse

from tests.evidence.files import PDF, evidence_files, png_bytes, sm3_hex
from tests.today import days_from_today
from zhenggai.evidence import store as evidence
from zhenggai.ledger import evidence as ledger_evidence
from zhenggai.ledger import services
from zhenggai.ledger.models import Evidence, Measure, Progress
from zhenggai.ops.verify import verify_evidence


class Rollback(Exception):
    """Raised to roll a transaction back."""


def incoming() -> list[Path]:
    return [p for p in evidence_files() if p.parent.name == ".incoming"]


def stored() -> list[Path]:
    return [p for p in evidence_files() if p.parent.name != ".incoming"]


def final(data: bytes) -> Path:
    d = sm3_hex(data)
    return Path(settings.EVIDENCE_DIR) / d[:2] / d


def add(personas: Any, measure: Any, *files: tuple[bytes, str], text: str = "进展") -> Progress:
    return services.progress_add(
        actor=personas.person,
        measure=measure,
        text=text,
        files=[(io.BytesIO(data), name) for data, name in files],
    )


@pytest.fixture
def two_measures(personas: Any, seed_round: Any, assigned_measure: Any) -> tuple[Any, Any]:
    """``assigned_measure`` and the next measure of the seed, both ``person``'s."""
    other = (
        Measure.objects.filter(round=seed_round)
        .exclude(pk=assigned_measure.pk)
        .order_by("finding__position", "position")
        .first()
    )
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=seed_round,
        measure_ids=[other.pk],
        person=personas.person,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=days_from_today(200),
    )
    other.refresh_from_db()
    return assigned_measure, other


# --- inside one transaction (the test's own, never committed) ------------------------------------


def test_until_the_commit_the_file_waits_in_incoming_and_the_commit_promotes_it(
    personas, assigned_measure, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        add(personas, assigned_measure, (PDF, "会议记录.pdf"))
    assert stored() == []
    (waiting,) = incoming()
    assert waiting.name.startswith(f"{sm3_hex(PDF)}.sm3.") and waiting.name.endswith(".pending")
    assert waiting.read_bytes() == PDF
    # The transaction that recorded the row reads its file (and no one else sees either yet).
    assert evidence.evidence_path(sm3_hex(PDF)) == waiting
    assert any(getattr(cb, "__self__", None) is not None for cb in callbacks)
    for cb in callbacks:  # what the commit runs
        cb()
    assert incoming() == [] and stored() == [final(PDF)]
    assert final(PDF).read_bytes() == PDF
    assert evidence.evidence_path(sm3_hex(PDF)) == final(PDF)


def test_a_service_failure_removes_its_waiting_files_at_once(personas, assigned_measure, monkeypatch):
    seen: list[Path] = []

    def broken_audit(**kwargs: Any) -> None:
        seen.extend(incoming())
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(services.tracking, "audit_record", broken_audit)
    with pytest.raises(RuntimeError):
        add(personas, assigned_measure, (PDF, "a.pdf"), (png_bytes(), "b.png"))
    assert len(seen) == 2  # both were stored, waiting, when the database part failed
    assert evidence_files() == []
    assert evidence.sweep_rolled_back() == 0  # nothing left for the sweep


# --- real commits and rollbacks ------------------------------------------------------------------

real = pytest.mark.django_db(transaction=True)


@real
def test_a_committed_upload_is_promoted_and_downloads(personas, assigned_measure, client_for):
    with transaction.atomic():
        add(personas, assigned_measure, (PDF, "会议记录.pdf"))
        assert stored() == [] and len(incoming()) == 1
    assert incoming() == [] and stored() == [final(PDF)]
    ev = Evidence.objects.get()
    response = client_for(personas.person).get(reverse("web:evidence-download", args=[ev.pk]))
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    assert verify_evidence().ok


@real
def test_an_outer_rollback_after_progress_add_returned_promotes_nothing_and_the_sweep_removes_the_file(
    personas, assigned_measure
):
    with pytest.raises(Rollback), transaction.atomic():
        add(personas, assigned_measure, (PDF, "a.pdf"), (png_bytes(), "b.png"))
        assert len(incoming()) == 2  # progress_add has returned; the files wait
        raise Rollback
    assert Evidence.objects.count() == 0 and Progress.objects.count() == 0
    assert stored() == []  # nothing promoted
    assert len(incoming()) == 2  # Django has no rollback hook: the sweep removes them
    assert evidence.sweep_rolled_back() == 2
    assert evidence_files() == []


@real
def test_the_files_of_a_rolled_back_transaction_are_removed_by_the_next_upload(personas, two_measures):
    first, second = two_measures
    with pytest.raises(Rollback), transaction.atomic():
        add(personas, first, (PDF, "a.pdf"))
        raise Rollback
    assert stored() == [] and len(incoming()) == 1
    with transaction.atomic():
        add(personas, second, (png_bytes(), "b.png"))
    assert evidence_files() == [final(png_bytes())]


@real
def test_the_files_of_a_rolled_back_request_are_removed_when_the_request_ends(personas, assigned_measure):
    with pytest.raises(Rollback), transaction.atomic():
        add(personas, assigned_measure, (PDF, "a.pdf"))
        raise Rollback
    assert len(incoming()) == 1
    request_finished.send(sender=None)
    assert evidence_files() == []


@real
def test_a_rolled_back_savepoint_promotes_only_what_the_outer_transaction_committed(personas, two_measures):
    first, second = two_measures
    other = PDF.replace(b"Catalog", b"Catalog /Lang (zh)")
    with transaction.atomic():
        with pytest.raises(Rollback), transaction.atomic():  # a savepoint
            add(personas, first, (PDF, "a.pdf"))
            raise Rollback
        assert len(incoming()) == 1
        assert evidence.sweep_rolled_back() == 1  # the savepoint's file, while the outer is open
        add(personas, second, (other, "b.pdf"))
        assert [p.name.split(".")[0] for p in incoming()] == [sm3_hex(other)]
    assert Evidence.objects.get().storage_name == sm3_hex(other)
    assert evidence_files() == [final(other)]


@real
def test_the_same_bytes_twice_in_one_transaction_are_one_blob_and_two_rows(personas, two_measures):
    first, second = two_measures
    with transaction.atomic():
        add(personas, first, (PDF, "一.pdf"), (PDF, "二.pdf"))
        add(personas, second, (PDF, "三.pdf"))
        assert len(incoming()) == 3
    assert Evidence.objects.filter(storage_name=sm3_hex(PDF)).count() == 3
    assert evidence_files() == [final(PDF)]
    assert verify_evidence().ok


@real
def test_a_failed_promotion_keeps_the_file_and_the_stale_sweep_recovers_it(
    personas, two_measures, monkeypatch, caplog
):
    first, second = two_measures
    real_replace = os.replace

    def no_rename_into_the_store(src: Any, dst: Any) -> None:
        if Path(dst).parent.name != ".incoming":
            raise OSError("disk full")
        real_replace(src, dst)

    monkeypatch.setattr(evidence.os, "replace", no_rename_into_the_store)
    with caplog.at_level(logging.ERROR), transaction.atomic():
        add(personas, first, (PDF, "a.pdf"))
    # The row is committed (the commit cannot be undone); the file is kept and the error logged.
    assert Evidence.objects.count() == 1
    assert stored() == []
    (waiting,) = incoming()
    assert any("could not be moved into the store" in r.getMessage() for r in caplog.records)
    assert [p.problem for p in verify_evidence().problems] == ["missing"]
    monkeypatch.setattr(evidence.os, "replace", real_replace)

    os.utime(waiting, (1, 1))  # a day later, the next upload's sweep
    with transaction.atomic():
        add(personas, second, (png_bytes(), "b.png"))
    assert sorted(evidence_files()) == sorted([final(PDF), final(png_bytes())])
    assert verify_evidence().ok


@real
def test_a_stale_waiting_file_that_no_committed_row_names_is_removed(personas, assigned_measure):
    incoming_dir = Path(settings.EVIDENCE_DIR) / ".incoming"
    incoming_dir.mkdir(parents=True)
    orphan = incoming_dir / f"{sm3_hex(PDF)}.sm3.{'0' * 32}.pending"
    orphan.write_bytes(PDF)
    os.utime(orphan, (1, 1))
    with transaction.atomic():
        add(personas, assigned_measure, (png_bytes(), "b.png"))
    assert evidence_files() == [final(png_bytes())]


@real
def test_a_stale_waiting_file_whose_bytes_do_not_match_its_name_is_not_promoted(personas, two_measures):
    first, second = two_measures
    with transaction.atomic():
        add(personas, first, (PDF, "a.pdf"))
    final(PDF).unlink()  # a committed row names PDF's digest, and its blob is missing
    damaged = Path(settings.EVIDENCE_DIR) / ".incoming" / f"{sm3_hex(PDF)}.sm3.{'1' * 32}.pending"
    damaged.write_bytes(PDF + b"x")
    os.utime(damaged, (1, 1))
    with transaction.atomic():
        add(personas, second, (png_bytes(), "b.png"))
    assert evidence_files() == [final(png_bytes())]
    assert [p.problem for p in verify_evidence().problems] == ["missing"]


# --- two writers (PostgreSQL, threads) -----------------------------------------------------------


@pytest.fixture
def measure_of_unit_b(personas: Any) -> Any:
    """A measure of the same seed imported into unit B by its clerk (the outsider).

    ``progress_add`` locks the measure, its round and its unit: two uploads run side by side
    only in different units.
    """
    from tests.conftest import SEED
    from zhenggai.ledger.imports import round_import

    round_b, created = round_import(
        actor=personas.outsider, unit=personas.unit_b, data=SEED.read_bytes(), name=SEED.name
    )
    assert created
    return Measure.objects.filter(round=round_b).order_by("finding__position", "position").first()


def _in_thread(name: str, work: Any, results: dict[str, Any]) -> threading.Thread:
    def run() -> None:
        try:
            results[name] = ("ok", work())
        except Exception as exc:
            results[name] = ("error", exc)
        finally:
            connections.close_all()  # this thread's own connection

    t = threading.Thread(target=run, name=name)
    t.start()
    return t


@pytest.mark.postgres
@real
def test_an_identical_upload_that_rolls_back_never_takes_the_blob_of_one_that_commits(
    personas, assigned_measure, measure_of_unit_b, monkeypatch
):
    """The gap of removing "our" new blob on rollback while an identical upload committed.

    A stores the bytes (new to the store), B stores the same bytes, A fails and rolls back,
    B commits: the blob must be there for B's row.
    """
    assert connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)"
    a_stored, b_stored, a_failed = threading.Event(), threading.Event(), threading.Event()
    real_store, real_audit = evidence.store, services.tracking.audit_record

    def store(stream: Any, name: str) -> Any:  # A stores first: its bytes are the "new" ones
        if threading.current_thread().name == "B":
            assert a_stored.wait(30)
        done = real_store(stream, name)
        a_stored.set()
        return done

    def audit(**kwargs: Any) -> Any:  # both files are stored when a service first audits
        if threading.current_thread().name == "A":
            assert b_stored.wait(30)
            raise RuntimeError("A fails after B stored the same bytes")
        b_stored.set()
        assert a_failed.wait(30)
        return real_audit(**kwargs)

    monkeypatch.setattr(evidence, "store", store)
    monkeypatch.setattr(services.tracking, "audit_record", audit)
    results: dict[str, Any] = {}

    def a() -> None:
        try:
            add(personas, assigned_measure, (PDF, "甲.pdf"))
        finally:
            a_failed.set()

    def b() -> Progress:
        return services.progress_add(
            actor=personas.outsider,  # unit B's clerk
            measure=measure_of_unit_b,
            text="进展",
            files=[(io.BytesIO(PDF), "乙.pdf")],
        )

    threads = [_in_thread("A", a, results), _in_thread("B", b, results)]
    for t in threads:
        t.join(60)
    assert results["A"][0] == "error" and "A fails" in str(results["A"][1])
    assert results["B"][0] == "ok", results["B"]
    (row,) = Evidence.objects.all()
    assert row.measure_id == measure_of_unit_b.pk
    assert evidence_files() == [final(PDF)]
    assert verify_evidence().ok


@pytest.mark.postgres
@real
def test_an_upload_committing_while_the_last_other_row_of_the_same_bytes_is_released_keeps_its_blob(
    personas, two_measures, monkeypatch
):
    """Release checks "no row names it" and removes the blob; an upload of the same bytes
    commits in between. The store lock makes the upload's promotion wait, and put its file."""
    assert connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)"
    first, second = two_measures
    with transaction.atomic():
        add(personas, first, (PDF, "旧.pdf"))
    old = Evidence.objects.get()
    checked, committed = threading.Event(), threading.Event()
    real_unlink = evidence._unlink_blob

    def slow_unlink(name: str) -> None:  # release found no row; the upload commits now
        checked.set()
        committed.wait(5)  # set by the upload's commit, whose promotion then waits for the lock
        real_unlink(name)

    monkeypatch.setattr(evidence, "_unlink_blob", slow_unlink)
    results: dict[str, Any] = {}

    def upload() -> None:
        with transaction.atomic():
            transaction.on_commit(committed.set)  # runs first, before the promotion
            add(personas, second, (PDF, "新.pdf"))
            assert checked.wait(30)

    threads = [_in_thread("delete", lambda: ledger_evidence.delete_evidence(old), results)]
    threads.append(_in_thread("upload", upload, results))
    for t in threads:
        t.join(60)
    assert results == {"delete": ("ok", None), "upload": ("ok", None)}, results
    (row,) = Evidence.objects.all()
    assert row.original_name == "新.pdf"
    assert evidence_files() == [final(PDF)]
    assert verify_evidence().ok
