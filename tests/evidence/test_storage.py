"""Content-addressed, write-once evidence storage (REQ-4.8, REQ-4.9, REQ-1.16, REQ-1.17)."""

from __future__ import annotations

import hashlib
import importlib
import io
import os
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.urls import reverse

from tests.evidence.files import PDF, evidence_files, png_bytes, sm3_hex
from zhenggai.errors import InvalidInput
from zhenggai.evidence import store as evidence
from zhenggai.ledger import evidence as ledger_evidence
from zhenggai.ledger import services
from zhenggai.ledger.models import Evidence, Progress

# --- content addressing --------------------------------------------------------------------------


def test_the_storage_name_is_the_sm3_digest_and_the_path_is_two_hex_then_the_digest():
    stored = evidence.store(io.BytesIO(PDF), "会议记录.pdf")
    digest = sm3_hex(PDF)
    assert stored.storage_name == digest and stored.algorithm == "sm3"
    assert stored.sha256 == hashlib.sha256(PDF).hexdigest()
    assert evidence_files() == [Path(settings.EVIDENCE_DIR) / digest[:2] / digest]


def test_sha256_is_selectable_as_the_content_address(settings: Any) -> None:
    settings.EVIDENCE_DIGEST = "sha256"
    stored = evidence.store(io.BytesIO(PDF), "会议记录.pdf")
    digest = hashlib.sha256(PDF).hexdigest()
    assert (stored.algorithm, stored.storage_name, stored.sha256) == ("sha256", digest, digest)
    assert evidence_files() == [Path(settings.EVIDENCE_DIR) / digest[:2] / digest]


def test_an_unknown_digest_setting_is_an_error(settings: Any) -> None:
    settings.EVIDENCE_DIGEST = "md5"
    with pytest.raises(ValueError, match="EVIDENCE_DIGEST"):
        evidence.store(io.BytesIO(PDF), "a.pdf")


def test_the_same_bytes_uploaded_twice_are_two_evidence_rows_and_one_blob(
    personas, assigned_measure, django_capture_on_commit_callbacks
):
    for text in ("第一次", "第二次"):
        with django_capture_on_commit_callbacks(execute=True):  # each upload's commit
            services.progress_add(
                actor=personas.person,
                measure=assigned_measure,
                text=text,
                files=[(io.BytesIO(PDF), f"会议记录-{text}.pdf")],
            )
    rows = list(Evidence.objects.order_by("pk"))
    assert len(rows) == 2
    assert {(e.storage_name, e.algorithm) for e in rows} == {(sm3_hex(PDF), "sm3")}
    assert [e.original_name for e in rows] == ["会议记录-第一次.pdf", "会议记录-第二次.pdf"]
    assert evidence_files() == [evidence.evidence_path(sm3_hex(PDF))]
    assert rows[0].digest == f"sm3:{sm3_hex(PDF)}"


def test_a_storage_name_that_is_not_a_digest_has_no_path():
    for bad in ("../../etc/passwd", "ab", "A" * 64, "g" * 64, ""):
        with pytest.raises(ValueError):
            evidence.evidence_path(bad)


# --- atomic writes (REQ-4.8) -----------------------------------------------------------------------


class Breaks(io.RawIOBase):
    """A stream that gives some bytes and then fails (a dropped connection)."""

    def __init__(self, good: bytes, seen: list[Path]) -> None:
        self.good, self.seen, self.calls = good, seen, 0

    def read(self, n: int = -1) -> bytes:
        self.calls += 1
        if self.calls == 1:
            return self.good
        # Mid-write: what is on disk now is a temporary file, never anything at a final path.
        self.seen.extend(evidence_files())
        raise OSError("connection reset")


def test_a_failure_mid_write_leaves_no_partial_file_at_the_final_path():
    seen: list[Path] = []
    with pytest.raises(OSError, match="connection reset"):
        evidence.store(Breaks(PDF, seen), "会议记录.pdf")  # type: ignore[arg-type]
    assert len(seen) == 1 and seen[0].parent.name == ".incoming"  # the temp file, while writing
    assert evidence_files() == []
    assert not evidence.evidence_path(sm3_hex(PDF)).exists()


@pytest.mark.parametrize("where", ["fsync", "replace"])
def test_a_failure_at_fsync_or_at_the_rename_leaves_nothing(where, monkeypatch):
    def boom(*args: Any, **kwargs: Any) -> None:
        raise OSError(f"{where} failed")

    if where == "fsync":
        monkeypatch.setattr(evidence.os, "fsync", boom)
    else:
        monkeypatch.setattr(evidence.os, "replace", boom)
    with pytest.raises(OSError, match=f"{where} failed"):
        evidence.store(io.BytesIO(PDF), "会议记录.pdf")
    assert evidence_files() == []


def test_the_file_is_fsynced_before_the_rename_and_the_directory_after(monkeypatch):
    calls: list[str] = []
    real_fsync, real_replace = os.fsync, os.replace

    def fsync(fd: int) -> None:
        calls.append("dir-fsync" if os.path.isdir(f"/proc/self/fd/{fd}") else "file-fsync")
        real_fsync(fd)

    def replace(src: Any, dst: Any) -> None:
        calls.append("replace")
        real_replace(src, dst)

    monkeypatch.setattr(evidence.os, "fsync", fsync)
    monkeypatch.setattr(evidence.os, "replace", replace)
    evidence.store(io.BytesIO(PDF), "会议记录.pdf")
    assert "file-fsync" in calls and "replace" in calls
    assert calls.index("file-fsync") < calls.index("replace") < len(calls) - 1
    assert calls[-1] == "dir-fsync"


def test_an_existing_blob_is_never_overwritten_but_a_damaged_one_is_repaired_by_the_same_bytes():
    first = evidence.store(io.BytesIO(PDF), "a.pdf")
    path = evidence.evidence_path(first.storage_name)
    inode = path.stat().st_ino
    again = evidence.store(io.BytesIO(PDF), "b.pdf")
    assert path.stat().st_ino == inode and not again.created
    path.write_bytes(PDF.replace(b"Catalog", b"Catalot"))  # bit rot, or tampering
    repaired = evidence.store(io.BytesIO(PDF), "c.pdf")
    assert path.read_bytes() == PDF and not repaired.created


def test_stale_temporary_files_of_a_crash_are_cleared_by_the_next_upload():
    incoming = Path(settings.EVIDENCE_DIR) / ".incoming"
    incoming.mkdir(parents=True)
    stale, fresh = incoming / "old.part", incoming / "new.part"
    stale.write_bytes(b"half a file")
    fresh.write_bytes(b"being written")
    os.utime(stale, (1, 1))
    evidence.store(io.BytesIO(PDF), "a.pdf")
    assert not stale.exists() and fresh.exists()


# --- deletion (REQ-4.9, REQ-1.16) ----------------------------------------------------------------


def _two_references(personas: Any, measure: Any, capture: Any) -> list[Evidence]:
    for text in ("一", "二"):
        with capture(execute=True):  # the upload's commit: its file is promoted
            services.progress_add(
                actor=personas.person, measure=measure, text=text, files=[(io.BytesIO(PDF), f"{text}.pdf")]
            )
    return list(Evidence.objects.order_by("pk"))


def test_deleting_one_of_two_references_keeps_the_blob_and_deleting_the_last_removes_it(
    personas, assigned_measure, django_capture_on_commit_callbacks
):
    first, second = _two_references(personas, assigned_measure, django_capture_on_commit_callbacks)
    path = evidence.evidence_path(first.storage_name)
    with django_capture_on_commit_callbacks(execute=True):
        ledger_evidence.delete_evidence(first)
    assert path.exists()
    with django_capture_on_commit_callbacks(execute=True):
        ledger_evidence.delete_evidence(second)
    assert not path.exists()
    assert evidence_files() == []


def test_a_deletion_that_rolls_back_keeps_the_blob(
    personas, assigned_measure, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_add(
            actor=personas.person, measure=assigned_measure, text="一", files=[(io.BytesIO(PDF), "a.pdf")]
        )
    only = Evidence.objects.get()
    pk, path = only.pk, evidence.evidence_path(only.storage_name)
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        ledger_evidence.delete_evidence(only)
        raise RuntimeError("the surrounding change failed")
    assert callbacks == []
    assert Evidence.objects.filter(pk=pk).exists()
    assert path.exists()


def test_a_cascade_deletion_of_the_progress_releases_its_blobs(
    personas, assigned_measure, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_add(
            actor=personas.person,
            measure=assigned_measure,
            text="进展",
            files=[(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(png_bytes()), "b.png")],
        )
    assert len(evidence_files()) == 2
    assert {p.parent.name for p in evidence_files()} != {".incoming"}
    with django_capture_on_commit_callbacks(execute=True):
        Progress.objects.get().delete()
    assert evidence_files() == []


def test_a_failed_upload_never_removes_a_blob_that_another_row_already_uses(
    personas, assigned_measure, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.progress_add(
            actor=personas.person, measure=assigned_measure, text="一", files=[(io.BytesIO(PDF), "a.pdf")]
        )
    kept = evidence.evidence_path(sm3_hex(PDF))
    assert kept == Path(settings.EVIDENCE_DIR) / kept.name[:2] / kept.name
    with pytest.raises(InvalidInput):
        services.progress_add(
            actor=personas.person,
            measure=assigned_measure,
            text="二",
            files=[
                (io.BytesIO(PDF), "same.pdf"),
                (io.BytesIO(png_bytes()), "new.png"),
                (io.BytesIO(b"MZ"), "x.exe"),
            ],
        )
    assert evidence_files() == [kept]
    assert Evidence.objects.count() == 1


# --- the download is checked against the digest --------------------------------------------------


def test_a_download_whose_file_was_changed_is_refused_and_logged(world, personas, client_for, caplog):
    ev = world.evidence
    url = reverse("web:evidence-download", args=[ev.pk])
    ok = client_for(personas.person).get(url)
    assert ok.status_code == 200 and b"".join(ok.streaming_content) == PDF
    assert ok["Repr-Digest"].startswith("sha-256=:")
    evidence.evidence_path(ev.storage_name).write_bytes(PDF + b" ")
    bad = client_for(personas.person).get(url)
    assert bad.status_code == 500
    assert "文件校验失败" in bad.content.decode()
    assert any("no longer matches" in r.getMessage() for r in caplog.records)
    evidence.evidence_path(ev.storage_name).unlink()
    assert client_for(personas.person).get(url).status_code == 404


# --- the migration of files stored under random names --------------------------------------------

MIGRATION = importlib.import_module("zhenggai.ledger.migrations.0002_evidence_content_addressed")


class _Editor:
    connection = connection


def _legacy(world: Any, data: bytes, name: str) -> Evidence:
    """A row as stored before content addressing: a uuid name, its SHA-256 recorded."""
    storage = uuid.uuid4().hex
    path = Path(settings.EVIDENCE_DIR) / storage[:2] / storage
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return Evidence.objects.create(
        progress=world.evidence.progress,
        measure=world.submitted,
        unit=world.submitted.unit,
        original_name=name,
        storage_name=storage,
        algorithm="",
        sha256=hashlib.sha256(data).hexdigest(),
        size=len(data),
        content_type="application/pdf",
        uploaded_by=world.evidence.uploaded_by,
    )


def test_the_migration_moves_uuid_named_files_to_their_sha256_and_they_still_download(
    world, personas, client_for, django_capture_on_commit_callbacks
):
    from django.apps import apps

    Evidence.objects.all().delete()
    for p in evidence_files():
        p.unlink()
    other = PDF.replace(b"Catalog", b"Catalog /Lang (zh)")
    a, b, c = _legacy(world, PDF, "一.pdf"), _legacy(world, PDF, "二.pdf"), _legacy(world, other, "三.pdf")
    old_paths = [Path(settings.EVIDENCE_DIR) / e.storage_name[:2] / e.storage_name for e in (a, b, c)]
    with django_capture_on_commit_callbacks(execute=True):
        MIGRATION.to_content_addressed(apps, _Editor())
    rows = {e.original_name: e for e in Evidence.objects.all()}
    assert {n: (e.algorithm, e.storage_name) for n, e in rows.items()} == {
        "一.pdf": ("sha256", hashlib.sha256(PDF).hexdigest()),
        "二.pdf": ("sha256", hashlib.sha256(PDF).hexdigest()),
        "三.pdf": ("sha256", hashlib.sha256(other).hexdigest()),
    }
    assert not any(p.exists() for p in old_paths)
    assert sorted(evidence_files()) == sorted(
        {evidence.evidence_path(e.storage_name) for e in rows.values()}
    )  # two blobs for three rows
    client = client_for(personas.person)
    for e in rows.values():
        response = client.get(reverse("web:evidence-download", args=[e.pk]))
        assert response.status_code == 200
        assert hashlib.sha256(b"".join(response.streaming_content)).hexdigest() == e.sha256
    # And back: each row its own uuid-named copy.
    MIGRATION.to_random_names(apps, _Editor())
    names = [e.storage_name for e in Evidence.objects.all()]
    assert len(set(names)) == 3 and all(len(n) == 32 for n in names)
    assert all((Path(settings.EVIDENCE_DIR) / n[:2] / n).exists() for n in names)
