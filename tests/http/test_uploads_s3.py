"""Pending uploads in an S3-compatible object store (issue 13): an import kept between its preview
and its confirmation lives in the bucket (never on the app server's disk), is the uploader's
only, expires, and counts against the quota computed from listing the uploader's prefix."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import SEED
from tests.evidence.s3 import Bucket, s3_bucket, s3_endpoint, s3_storage
from tests.web.conftest import _fast_hasher, client_for
from zhenggai.http import uploads
from zhenggai.ledger.models import Round

__all__ = ["_fast_hasher", "client_for", "s3_bucket", "s3_endpoint", "s3_storage"]


def _post(client: Any, data: bytes) -> Any:
    return client.post(reverse("web:import"), {"file": SimpleUploadedFile(SEED.name, data)})


def _digest(response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response.url.rstrip("/").rsplit("/", 1)[-1])


def _on_disk(settings: Any) -> list[Path]:
    root = Path(settings.UPLOAD_TMP_DIR)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def test_an_import_kept_between_preview_and_confirm_lives_in_the_bucket(
    s3_storage: Bucket, personas: Any, client_for: Any, settings: Any
) -> None:
    clerk = client_for(personas.clerk)
    digest = _digest(_post(clerk, SEED.read_bytes()))
    folder = f"uploads/import/{personas.clerk.pk}"
    assert s3_storage.keys() == [f"{folder}/{digest}", f"{folder}/{digest}.extra"]
    assert s3_storage.read(f"{folder}/{digest}") == SEED.read_bytes()
    assert _on_disk(settings) == []
    preview = clerk.get(reverse("web:import-preview", args=[digest]))
    assert preview.status_code == 200 and "县委第三巡察组" in preview.content.decode()
    done = clerk.post(reverse("web:import-confirm"), {"digest": digest})
    assert done.status_code == 302
    assert Round.objects.count() == 1
    assert s3_storage.keys() == []  # forgotten once imported


def test_the_outsider_cannot_preview_or_confirm_an_upload_kept_in_the_bucket(
    s3_storage: Bucket, personas: Any, client_for: Any
) -> None:
    digest = _digest(_post(client_for(personas.clerk), SEED.read_bytes()))
    outsider = client_for(personas.outsider)
    assert outsider.get(reverse("web:import-preview", args=[digest])).status_code == 404
    assert outsider.post(reverse("web:import-confirm"), {"digest": digest}).status_code == 404
    assert Round.objects.count() == 0
    assert len(s3_storage.keys()) == 2


def test_altered_bytes_in_the_bucket_are_not_imported(
    s3_storage: Bucket, personas: Any, client_for: Any
) -> None:
    clerk = client_for(personas.clerk)
    digest = _digest(_post(clerk, SEED.read_bytes()))
    s3_storage.write(f"uploads/import/{personas.clerk.pk}/{digest}", SEED.read_bytes() + b"\n")
    assert clerk.post(reverse("web:import-confirm"), {"digest": digest}).status_code == 404
    assert Round.objects.count() == 0


def test_an_upload_in_the_bucket_expires_and_is_gone_at_its_next_use(
    s3_storage: Bucket, personas: Any, client_for: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    clerk = client_for(personas.clerk)
    digest = _digest(_post(clerk, SEED.read_bytes()))
    later = time.time() + 25 * 3600  # the object's time is the bucket's: a day on, not a day back
    monkeypatch.setattr(uploads, "_now", lambda: later)
    assert clerk.get(reverse("web:import-preview", args=[digest])).status_code == 404
    assert clerk.post(reverse("web:import-confirm"), {"digest": digest}).status_code == 404
    assert s3_storage.keys() == []
    assert Round.objects.count() == 0


def test_uploads_purge_removes_the_expired_uploads_of_every_user_from_the_bucket(
    s3_storage: Bucket, personas: Any, client_for: Any
) -> None:
    _digest(_post(client_for(personas.clerk), SEED.read_bytes()))
    _digest(_post(client_for(personas.outsider), SEED.read_bytes() + b"\n"))
    assert uploads.purge_expired() == 0
    assert len(s3_storage.keys()) == 4
    assert uploads.purge_expired(now=time.time() + 25 * 3600) == 4
    assert s3_storage.keys() == []


def test_the_quota_is_counted_from_the_uploaders_prefix_in_the_bucket(
    s3_storage: Bucket, personas: Any, client_for: Any, settings: Any
) -> None:
    settings.UPLOAD_PENDING_MAX_FILES = 2
    clerk = client_for(personas.clerk)
    for i in range(2):
        _digest(_post(clerk, SEED.read_bytes() + b"\n" * i))
    kept = s3_storage.keys()
    assert len(kept) == 4
    refused = _post(clerk, SEED.read_bytes() + b"\n\n\n")
    assert refused.status_code == 400
    assert "待确认的上传文件已达上限（每人最多 2 个" in refused.content.decode()
    assert s3_storage.keys() == kept
    _digest(_post(clerk, SEED.read_bytes()))  # the same file again replaces itself
    _digest(_post(client_for(personas.outsider), SEED.read_bytes() + b"\n\n\n"))  # a quota of their own
    assert len(s3_storage.keys()) == 6
