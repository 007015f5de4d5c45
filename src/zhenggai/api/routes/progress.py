"""Progress and evidence (进展与佐证): a measure's progress entries with their files, reporting
progress with files, and downloading a file through the permission-checked, digest-verified opening.

The upload goes through ``ledger.services.progress_add`` as the staff page's progress form sends
it (the store checks size, type and structure and scans each file); the download through
``ledger.services.evidence_open``, as the page's download view does: neither knows where the
bytes live, so a change of the store carries through.
"""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any, BinaryIO, cast

from django.http import FileResponse, HttpRequest
from ninja import File, Form, Router, Schema, Status, UploadedFile

from zhenggai.errors import DuplicateSubmission
from zhenggai.ledger import selectors, services
from zhenggai.ledger.models import Evidence, Progress

from ..auth import require_write
from ..errors import COMMON, ErrorOut
from ..pagination import Page, keyset, page
from ..refusals import actor_of, recorded
from ..types import NO_NUL

router = Router()


class EvidenceOut(Schema):
    id: int
    original_name: str
    size: int
    content_type: str
    #: The content address: ``sm3`` (default) or ``sha256``, and the hex digest under it.
    algorithm: str
    digest: str
    sha256: str
    uploaded_at: dt.datetime
    uploader_name: str


class ProgressOut(Schema):
    id: int
    measure_id: int
    text: str
    author_name: str
    created_at: dt.datetime
    evidence: list[EvidenceOut]


def _name(user: Any) -> str:
    return str(user.display_name or user.username)


def _evidence_out(e: Evidence) -> dict[str, object]:
    return {
        "id": e.pk,
        "original_name": e.original_name,
        "size": e.size,
        "content_type": e.content_type,
        "algorithm": e.algorithm,
        "digest": e.storage_name,
        "sha256": e.sha256,
        "uploaded_at": e.uploaded_at,
        "uploader_name": _name(e.uploaded_by),
    }


def _out(p: Progress) -> dict[str, object]:
    return {
        "id": p.pk,
        "measure_id": p.measure_id,
        "text": p.text,
        "author_name": _name(p.author),
        "created_at": p.created_at,
        "evidence": [_evidence_out(e) for e in p.evidence.all()],
    }


@router.get(
    "/measures/{int:measure_id}/progress",
    response={200: Page[ProgressOut], **COMMON},
    summary="整改进展列表（含佐证材料）",
)
def progress_list(
    request: HttpRequest, measure_id: int, limit: int | None = None, cursor: str | None = None
) -> dict[str, object]:
    """The progress entries of a measure the token may see, oldest first, each with the metadata
    of its evidence files (download each from ``/evidence/{id}``)."""
    measure = selectors.measure_get_for_user(user=request.user, pk=measure_id)
    rows, nxt = keyset(
        selectors.progress_of_measure(measure=measure),
        cursor=cursor,
        limit=limit,
        scope=f"progress:{measure.pk}",
    )
    return page([_out(p) for p in rows], nxt)


@router.post(
    "/measures/{int:measure_id}/progress",
    response={201: ProgressOut, 200: ProgressOut, 409: ErrorOut, 413: ErrorOut, **COMMON},
    summary="填报整改进展（可附佐证材料）",
)
def progress_create(
    request: HttpRequest,
    measure_id: int,
    # Non-empty in the schema as in the service (an empty field reaches ninja as a missing one).
    text: str = Form(..., min_length=1, pattern=NO_NUL),
    token: str = Form("", pattern=r"^([A-Za-z0-9_-]{16,64})?$"),
    files: File[list[UploadedFile] | None] = None,
) -> Status[dict[str, object]]:
    """The responsible person (or the clerk) reports progress on a measure, as multipart form data:
    ``text`` and zero or more ``files`` (PDF, JPG, PNG, DOCX, XLSX, TXT; each within the size
    limit, checked and scanned; a refused file is a 400 naming ``files`` and nothing is stored).
    A measure not yet started starts. ``token`` (optional, 16–64 of ``A-Z a-z 0-9 _ -``) makes a
    retry safe: the same token on the same measure stores nothing again and answers 200 with the
    entry the first request made (201 when it is new)."""
    require_write(request)
    measure = selectors.measure_get_for_user(user=request.user, pk=measure_id)
    # An upload is a binary stream (in memory, or a temporary file past the memory limit).
    uploads = [(cast(BinaryIO, f), f.name or "") for f in files or []]
    with recorded(request, action="progress.add", obj=measure):
        try:
            made = services.progress_add(
                actor=actor_of(request), measure=measure, text=text, files=uploads, token=token.strip()
            )
        except DuplicateSubmission as dup:
            # The same request again (a retry): not a refusal, the answer it got the first time.
            first = cast(Progress, dup.existing)
            return Status(200, _out(selectors.progress_of_measure(measure=measure).get(pk=first.pk)))
    return Status(201, _out(selectors.progress_of_measure(measure=measure).get(pk=made.pk)))


@router.get(
    "/evidence/{int:evidence_id}",
    response={200: None, 500: ErrorOut, **COMMON},
    summary="下载佐证材料",
    openapi_extra={
        "responses": {
            200: {
                "description": "文件内容（以附件形式，原文件名）",
                # The file's own type (PDF, JPG, PNG, DOCX, XLSX, TXT), as sniffed at upload.
                "content": {"*/*": {"schema": {"type": "string", "format": "binary"}}},
            }
        }
    },
)
def evidence_download(request: HttpRequest, evidence_id: int) -> FileResponse:
    """One evidence file, as an attachment under its original name, after its bytes were checked
    against the digests recorded at upload (``Repr-Digest`` carries the SHA-256). A file whose bytes
    no longer match is never sent: 500 ``evidence_damaged``, logged and recorded. The download is
    recorded (``evidence.download``)."""
    opened = services.evidence_open(actor=actor_of(request), evidence=evidence_id)
    # FileResponse writes Content-Disposition with filename* (RFC 5987) for a Chinese name.
    response = FileResponse(
        opened.file, as_attachment=True, filename=opened.name, content_type=opened.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # RFC 9530: the client can check what it received against what was uploaded.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(opened.sha256)).decode()}:"
    return response
