"""The corpus of bad files (REQ-2.5, REQ-2.6): each is refused or neutralised, through the service
and through the upload page, and none reaches a public path."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.conf import settings
from django.urls import Resolver404, resolve, reverse

import zhenggai.settings as configured
from tests.evidence.files import (
    CORPUS,
    copies_outside_evidence,
    corpus_bytes,
    corpus_settings,
    evidence_files,
    sm3_hex,
)
from zhenggai.errors import InvalidInput
from zhenggai.evidence import store as evidence
from zhenggai.ledger import services
from zhenggai.ledger.models import Evidence, Progress

IDS = [c[0] for c in CORPUS]


def multipart(fields: dict[str, str], files: list[tuple[str, str, bytes]]) -> tuple[bytes, str]:
    """A form post as a browser sends it; the file name goes in ``filename*`` (RFC 5987), so
    any name, with NUL or a line break in it, arrives as it was (the test client would break
    the header on a line break)."""
    boundary = "----zhenggai-corpus-boundary"
    parts = []
    for key, value in fields.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"\r\n\r\n{value}\r\n'.encode()
        )
    for key, name, data in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{key}"; '
            f"filename*=UTF-8''{quote(name, safe='')}\r\nContent-Type: application/octet-stream\r\n\r\n"
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def _expect(outcome: str) -> tuple[str, str]:
    kind, _, detail = outcome.partition(":")
    return kind, detail


@pytest.mark.parametrize(("case", "name", "make", "outcome"), CORPUS, ids=IDS)
def test_each_bad_file_is_refused_or_neutralised_by_the_service(
    case: str, name: str, make: Any, outcome: str, personas: Any, assigned_measure: Any, settings: Any
) -> None:
    corpus_settings(case, settings)
    data = corpus_bytes(make)
    kind, detail = _expect(outcome)
    upload = [(io.BytesIO(data), name)]
    if kind == "refused":
        with pytest.raises(InvalidInput, match=detail) as err:
            services.progress_add(
                actor=personas.person, measure=assigned_measure, text="已整改", files=upload
            )
        assert err.value.field == "files"
        assert "\n" not in str(err.value)
        assert (Progress.objects.count(), Evidence.objects.count(), evidence_files()) == (0, 0, [])
    else:
        services.progress_add(actor=personas.person, measure=assigned_measure, text="已整改", files=upload)
        ev = Evidence.objects.get()
        assert ev.original_name == detail
        assert ev.storage_name == sm3_hex(data)
        assert evidence_files() == [evidence.evidence_path(ev.storage_name)]
    assert copies_outside_evidence(data) == []


@pytest.mark.parametrize(("case", "name", "make", "outcome"), CORPUS, ids=IDS)
def test_each_bad_file_is_refused_or_neutralised_through_the_upload_page(
    case: str, name: str, make: Any, outcome: str, world: Any, personas: Any, client_for: Any, settings: Any
) -> None:
    corpus_settings(case, settings)
    data = corpus_bytes(make)
    kind, detail = _expect(outcome)
    before_rows = Evidence.objects.count()
    before_files = evidence_files()
    client = client_for(personas.person)
    url = reverse("web:progress-add", args=[world.fresh.pk])
    body, content_type = multipart({"text": "已整改"}, [("files", name, data)])
    response = client.post(url, body, content_type=content_type)
    if kind == "refused":
        assert response.status_code == 400
        page = response.content.decode()
        # The empty file is stopped by the form field, the rest by the service.
        assert ("上传的文件是空文件" if case == "empty" else detail) in page
        assert Evidence.objects.count() == before_rows
        assert evidence_files() == before_files
    else:
        assert response.status_code == 302
        ev = Evidence.objects.latest("pk")
        assert ev.original_name == detail
        assert not set(ev.original_name) & set("/\\\x00\r\n")
        download = client.get(reverse("web:evidence-download", args=[ev.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == data
        # Served only as a download the browser neither renders nor sniffs.
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in download["Content-Security-Policy"]
        assert evidence.evidence_path(ev.storage_name).is_relative_to(Path(settings.EVIDENCE_DIR))
    assert copies_outside_evidence(data) == []


def test_evidence_is_stored_outside_every_served_directory_and_no_url_serves_it() -> None:
    evidence_dir = Path(configured.EVIDENCE_DIR)
    served = [
        Path(configured.STATIC_ROOT),
        *(Path(d[1] if isinstance(d, tuple) else d) for d in configured.STATICFILES_DIRS),
    ]
    for root in served:
        assert not evidence_dir.is_relative_to(root) and not root.is_relative_to(evidence_dir)
    assert not getattr(configured, "MEDIA_URL", "")
    digest = "ab" * 32
    for path in (f"/evidence/{digest[:2]}/{digest}", f"/static/{digest}", f"/media/{digest[:2]}/{digest}"):
        try:
            match = resolve(path)
        except Resolver404:
            continue
        pytest.fail(f"{path} is routed to {match.view_name}")


def test_a_refused_upload_leaves_no_temporary_file_either(personas: Any, assigned_measure: Any) -> None:
    with pytest.raises(InvalidInput):
        services.progress_add(
            actor=personas.person,
            measure=assigned_measure,
            text="已整改",
            files=[
                (
                    io.BytesIO(
                        b"%PDF-1.4\n"
                        + b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"
                    ),
                    "a.pdf",
                )
            ],
        )
    for folder in (settings.EVIDENCE_DIR, settings.UPLOAD_TMP_DIR):
        assert [p for p in Path(folder).rglob("*") if p.is_file()] == []
