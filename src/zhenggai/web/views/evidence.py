"""Evidence download: only through this permission-checked view, never a public media URL.

``evidence_open`` checks the scope, re-hashes the blob and records the download; a file
whose bytes no longer match the digest recorded at upload is not served (500, logged and
recorded), so a download is always what was uploaded.
"""

from __future__ import annotations

import base64

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.views.decorators.http import require_GET

from zhenggai.http.authed import AuthedRequest
from zhenggai.ledger.services import EvidenceDamaged, evidence_open


@require_GET
@login_required
def evidence_download(request: AuthedRequest, pk: int) -> HttpResponse | FileResponse:
    try:
        opened = evidence_open(actor=request.user, evidence=pk)
    except EvidenceDamaged as err:
        refused = HttpResponse(str(err), status=500, content_type="text/plain; charset=utf-8")
        refused["Cache-Control"] = "no-store"
        return refused
    # Streamed in blocks from the storage (a folder, or the object store's copy spooled while it
    # was hashed); FileResponse writes Content-Disposition with filename* (RFC 5987) for a Chinese name.
    response = FileResponse(
        opened.file, as_attachment=True, filename=opened.name, content_type=opened.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # RFC 9530: the client can check what it received against what was uploaded.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(opened.sha256)).decode()}:"
    return response
