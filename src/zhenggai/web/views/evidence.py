"""Evidence download: only through this permission-checked view, never a public media URL."""

from __future__ import annotations

import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.http import require_GET

from zhenggai.ledger import selectors
from zhenggai.ledger.evidence import evidence_path

log = logging.getLogger(__name__)


@require_GET
@login_required
def evidence_download(request: HttpRequest, pk: int) -> FileResponse:
    ev = selectors.evidence_get_for_user(user=request.user, pk=pk)
    try:
        handle = open(evidence_path(ev.storage_name), "rb")  # noqa: SIM115 - FileResponse closes it
    except FileNotFoundError as exc:
        log.error("evidence %s: file %s is missing from storage", ev.pk, ev.storage_name)
        raise Http404("文件已不存在") from exc
    # FileResponse writes Content-Disposition with filename* (RFC 5987) for a Chinese name.
    response = FileResponse(
        handle, as_attachment=True, filename=ev.original_name, content_type=ev.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
