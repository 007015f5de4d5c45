"""Evidence in an S3-compatible object store (issue 13): the same content addressing, promotion
on commit, release, checked downloads and verification as in a folder, against a real S3 API
(moto's server, started by the test; MinIO is what an installation runs).

Every test here uses ``s3_storage``: ``STORAGES["evidence"]`` and ``["uploads"]`` are
``S3BlobStorage`` on a bucket of its own, and nothing may land in ``EVIDENCE_DIR``.
"""

from __future__ import annotations

import io
import threading
from pathlib import Path
from typing import Any

import pytest
from django.core import checks
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.urls import reverse

from tests.evidence.files import PDF, evidence_files, png_bytes, sm3_hex
from tests.evidence.s3 import Bucket, s3_bucket, s3_endpoint, s3_storage, storages_for
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput
from zhenggai.evidence import store as evidence
from zhenggai.evidence.storage import S3BlobStorage
from zhenggai.ledger import evidence as ledger_evidence
from zhenggai.ledger import services
from zhenggai.ledger.models import Evidence
from zhenggai.ledger.services import EvidenceDamaged, evidence_open
from zhenggai.ops.checks import storage_reachable
from zhenggai.ops.verify import verify_evidence

__all__ = ["s3_bucket", "s3_endpoint", "s3_storage"]


def blob_key(data: bytes) -> str:
    d = sm3_hex(data)
    return f"evidence/{d[:2]}/{d}"


def upload(personas: Any, measure: Any, *files: tuple[bytes, str], capture: Any) -> None:
    """One progress entry with files, its transaction's commit run (the files promoted)."""
    with capture(execute=True):
        services.progress_add(
            actor=personas.person,
            measure=measure,
            text="进展",
            files=[(io.BytesIO(data), name) for data, name in files],
        )


def nothing_on_disk() -> bool:
    return evidence_files() == []


# --- content addressing ------------------------------------------------------------------------


def test_an_evidence_upload_is_one_object_named_by_its_digest_and_nothing_on_disk(
    s3_storage: Bucket, personas, assigned_measure, django_capture_on_commit_callbacks
):
    assert isinstance(evidence.evidence_storage(), S3BlobStorage)
    upload(personas, assigned_measure, (PDF, "会议记录.pdf"), capture=django_capture_on_commit_callbacks)
    ev = Evidence.objects.get()
    assert (ev.algorithm, ev.storage_name) == ("sm3", sm3_hex(PDF))
    assert s3_storage.keys() == [blob_key(PDF)]
    assert s3_storage.read(blob_key(PDF)) == PDF
    assert nothing_on_disk()
    with pytest.raises(NotImplementedError):
        evidence.evidence_path(ev.storage_name)  # an object has no path: readers use open_blob


def test_the_same_bytes_twice_are_one_object_and_two_rows(
    s3_storage: Bucket, personas, assigned_measure, django_capture_on_commit_callbacks
):
    for name in ("一.pdf", "二.pdf"):
        upload(personas, assigned_measure, (PDF, name), capture=django_capture_on_commit_callbacks)
    assert list(Evidence.objects.order_by("pk").values_list("original_name", "storage_name")) == [
        ("一.pdf", sm3_hex(PDF)),
        ("二.pdf", sm3_hex(PDF)),
    ]
    assert s3_storage.keys() == [blob_key(PDF)]


def test_deleting_the_last_reference_removes_the_object_and_not_before(
    s3_storage: Bucket, personas, assigned_measure, django_capture_on_commit_callbacks
):
    for name in ("一.pdf", "二.pdf"):
        upload(personas, assigned_measure, (PDF, name), capture=django_capture_on_commit_callbacks)
    upload(personas, assigned_measure, (png_bytes(), "照片.png"), capture=django_capture_on_commit_callbacks)
    first, second = Evidence.objects.filter(storage_name=sm3_hex(PDF)).order_by("pk")
    with django_capture_on_commit_callbacks(execute=True):
        ledger_evidence.delete_evidence(first)
    assert s3_storage.keys() == sorted([blob_key(PDF), blob_key(png_bytes())])
    with django_capture_on_commit_callbacks(execute=True):
        ledger_evidence.delete_evidence(second)
    assert s3_storage.keys() == [blob_key(png_bytes())]


def test_a_refused_upload_puts_nothing_in_the_bucket(s3_storage: Bucket, personas, assigned_measure):
    with pytest.raises(InvalidInput, match="类型不被接受"):
        services.progress_add(
            actor=personas.person,
            measure=assigned_measure,
            text="进展",
            files=[(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(b"MZ\x90\x00"), "b.pdf")],
        )
    assert s3_storage.keys() == []
    assert nothing_on_disk()


def test_an_object_store_that_does_not_answer_refuses_the_upload_with_a_message(
    s3_storage: Bucket, personas, assigned_measure, settings, caplog
):
    settings.STORAGES = {**settings.STORAGES, **storages_for("http://127.0.0.1:9", s3_storage.name)}
    with pytest.raises(InvalidInput, match="暂时无法保存（文件存储服务不可用），请稍后重试"):
        services.progress_add(
            actor=personas.person, measure=assigned_measure, text="一", files=[(io.BytesIO(PDF), "a.pdf")]
        )
    assert Evidence.objects.count() == 0
    assert any("evidence storage unavailable" in r.getMessage() for r in caplog.records)
    assert nothing_on_disk()


# --- promotion on commit -------------------------------------------------------------------------

real = pytest.mark.django_db(transaction=True)


@real
def test_until_the_commit_the_object_waits_under_incoming_and_a_rollback_leaves_nothing(
    s3_storage: Bucket, personas, assigned_measure
):
    class Rollback(Exception):
        pass

    with pytest.raises(Rollback), transaction.atomic():
        services.progress_add(
            actor=personas.person, measure=assigned_measure, text="一", files=[(io.BytesIO(PDF), "a.pdf")]
        )
        (waiting,) = s3_storage.keys()
        assert waiting.startswith(f"evidence/.incoming/{sm3_hex(PDF)}.sm3.") and waiting.endswith(".pending")
        # The transaction that recorded the row reads its file before the commit.
        with evidence.open_blob(sm3_hex(PDF)) as f:
            assert f.read() == PDF
        raise Rollback
    assert evidence.sweep_rolled_back() == 1
    assert s3_storage.keys() == []

    with transaction.atomic():
        services.progress_add(
            actor=personas.person, measure=assigned_measure, text="二", files=[(io.BytesIO(PDF), "b.pdf")]
        )
    assert s3_storage.keys() == [blob_key(PDF)]  # moved into place by the commit
    assert verify_evidence().ok


@real
def test_a_stale_waiting_object_a_committed_row_needs_is_recovered_by_the_next_upload(
    s3_storage: Bucket, personas, assigned_measure, monkeypatch
):
    with transaction.atomic():
        services.progress_add(
            actor=personas.person, measure=assigned_measure, text="一", files=[(io.BytesIO(PDF), "a.pdf")]
        )
    # A crash between the commit and the move: the row is there, the object still waits.
    s3_storage.delete(blob_key(PDF))
    waiting = f"evidence/.incoming/{sm3_hex(PDF)}.sm3.{'0' * 32}.pending"
    s3_storage.write(waiting, PDF)
    assert [p.problem for p in verify_evidence().problems] == ["missing"]
    monkeypatch.setattr(evidence, "_STALE_SECONDS", -60)  # "a day later", without waiting a day
    with transaction.atomic():
        services.progress_add(
            actor=personas.person,
            measure=assigned_measure,
            text="二",
            files=[(io.BytesIO(png_bytes()), "b.png")],
        )
    assert s3_storage.keys() == sorted([blob_key(PDF), blob_key(png_bytes())])
    assert verify_evidence().ok


@pytest.mark.postgres
@real
def test_the_lock_of_an_object_store_is_held_in_the_database_every_server_shares(s3_storage: Bucket):
    """With no folder to ``flock``, promotion and release exclude each other across app servers by
    an advisory lock of the PostgreSQL database: another session cannot take it meanwhile."""
    assert connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)"

    def another_session_takes_it() -> bool:
        got: list[bool] = []

        def run() -> None:
            try:
                with connections[DEFAULT_DB_ALIAS].cursor() as cursor:  # this thread's own session
                    cursor.execute("SELECT pg_try_advisory_lock(%s)", [evidence._PG_LOCK])
                    got.append(bool(cursor.fetchone()[0]))
                    if got[0]:
                        cursor.execute("SELECT pg_advisory_unlock(%s)", [evidence._PG_LOCK])
            finally:
                connections.close_all()

        t = threading.Thread(target=run)
        t.start()
        t.join(30)
        return got == [True]

    assert another_session_takes_it()
    with evidence.store_lock():
        assert not another_session_takes_it()
    assert another_session_takes_it()


# --- downloads are checked -----------------------------------------------------------------------


def test_a_download_streams_the_object_and_a_tampered_one_is_refused_as_on_disk(
    s3_storage: Bucket, personas, assigned_measure, client_for, django_capture_on_commit_callbacks, caplog
):
    upload(personas, assigned_measure, (PDF, "会议记录.pdf"), capture=django_capture_on_commit_callbacks)
    ev = Evidence.objects.get()
    url = reverse("web:evidence-download", args=[ev.pk])
    ok = client_for(personas.person).get(url)
    assert ok.status_code == 200 and ok.streaming
    assert b"".join(ok.streaming_content) == PDF
    assert ok["Content-Length"] == str(len(PDF))
    assert ok["Repr-Digest"].startswith("sha-256=:")

    s3_storage.write(blob_key(PDF), PDF + b" ")  # overwritten by someone with the bucket's keys
    bad = client_for(personas.person).get(url)
    assert bad.status_code == 500
    assert "文件校验失败" in bad.content.decode()
    assert any("no longer matches" in r.getMessage() for r in caplog.records)
    with pytest.raises(EvidenceDamaged, match="文件校验失败"):
        evidence_open(actor=personas.person, evidence=ev)
    failed = AuditEvent.objects.filter(action="evidence.download", outcome="failed")
    assert [e.after["problem"] for e in failed] == ["digest", "digest"]

    s3_storage.delete(blob_key(PDF))
    assert client_for(personas.person).get(url).status_code == 404


def test_the_outsider_cannot_download_evidence_from_the_bucket(
    s3_storage: Bucket, personas, assigned_measure, client_for, django_capture_on_commit_callbacks
):
    upload(personas, assigned_measure, (PDF, "会议记录.pdf"), capture=django_capture_on_commit_callbacks)
    url = reverse("web:evidence-download", args=[Evidence.objects.get().pk])
    assert client_for(personas.outsider).get(url).status_code == 404


# --- verification and restore ----------------------------------------------------------------------


def test_verify_finds_a_changed_and_a_missing_object(
    s3_storage: Bucket, personas, assigned_measure, django_capture_on_commit_callbacks
):
    upload(
        personas,
        assigned_measure,
        (PDF, "会议记录.pdf"),
        (png_bytes(), "照片.png"),
        capture=django_capture_on_commit_callbacks,
    )
    assert verify_evidence().ok
    s3_storage.write(blob_key(PDF), PDF.replace(b"Catalog", b"Catalot"))
    s3_storage.delete(blob_key(png_bytes()))
    report = verify_evidence()
    found = sorted((p.name, p.problem) for p in report.problems)
    assert found == [("会议记录.pdf", "changed"), ("照片.png", "missing")]
    changed = next(p for p in report.problems if p.problem == "changed")
    assert changed.actual == f"sm3:{sm3_hex(PDF.replace(b'Catalog', b'Catalot'))}"


def test_put_blob_verifies_the_bytes_before_they_reach_the_bucket(s3_storage: Bucket, tmp_path: Path, db):
    # ``db``: on PostgreSQL the lock of an object store is an advisory lock of the database.
    source = tmp_path / "blob"
    source.write_bytes(PDF)
    with pytest.raises(ValueError, match="digest"):
        evidence.put_blob(source, algorithm="sm3", digest="0" * 64)
    assert s3_storage.keys() == []
    assert evidence.put_blob(source, algorithm="sm3", digest=sm3_hex(PDF)) is True
    assert evidence.put_blob(source, algorithm="sm3", digest=sm3_hex(PDF)) is False  # already there
    assert s3_storage.keys() == [blob_key(PDF)]


# --- the deployment check ------------------------------------------------------------------------


def test_check_deploy_warns_when_the_object_store_does_not_answer(s3_storage: Bucket, settings):
    assert storage_reachable() == []
    settings.STORAGES = {**settings.STORAGES, **storages_for(s3_storage.endpoint, "zg-no-such-bucket")}
    missing = storage_reachable()
    assert [(m.id, m.obj) for m in missing] == [
        ("ops.W005", "STORAGES['evidence']"),
        ("ops.W005", "STORAGES['uploads']"),
    ]
    assert all("zg-no-such-bucket" in m.msg and isinstance(m, checks.Warning) for m in missing)
    settings.STORAGES = {**settings.STORAGES, **storages_for("http://127.0.0.1:9", s3_storage.name)}
    unreachable = storage_reachable()
    assert [m.id for m in unreachable] == ["ops.W005"] * 2
    assert all("无法访问" in m.msg and "127.0.0.1:9" in m.msg for m in unreachable)


def test_the_folder_storage_is_not_probed(settings):
    assert "S3" not in settings.STORAGES["evidence"]["BACKEND"]
    assert storage_reachable() == []
    assert Path(settings.EVIDENCE_DIR).name == "evidence"
