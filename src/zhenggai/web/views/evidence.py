"""Evidence download: only through this permission-checked view, never a public media URL.

The blob is re-hashed before it is sent: a file whose bytes no longer match the digest
recorded at upload is not served (500, logged), so a download is always what was uploaded.
"""

from __future__ import annotations

import base64
import logging

from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from zhenggai.audit.services import audit_record
from zhenggai.evidence.store import evidence_path, file_digests
from zhenggai.ledger import selectors

log = logging.getLogger(__name__)


@require_GET
@login_required
def evidence_download(request: HttpRequest, pk: int) -> HttpResponse:
    ev = selectors.evidence_get_for_user(user=request.user, pk=pk)
    try:
        path = evidence_path(ev.storage_name)
        actual = file_digests(path, {ev.algorithm, "sha256"})
        handle = open(path, "rb")  # noqa: SIM115 - FileResponse closes it
    except (FileNotFoundError, ValueError) as exc:
        log.error("evidence %s: file %s is missing from storage", ev.pk, ev.digest)
        raise Http404("文件已不存在") from exc
    if actual[ev.algorithm] != ev.storage_name or actual["sha256"] != ev.sha256:
        handle.close()
        now = f"{ev.algorithm}:{actual[ev.algorithm]}"
        log.error("evidence %s: file %s no longer matches its digest (now %s)", ev.pk, ev.digest, now)
        response = HttpResponse(
            "文件校验失败：存储的文件与上传时的摘要不符，已记录。请联系系统管理员。",
            status=500,
            content_type="text/plain; charset=utf-8",
        )
        response["Cache-Control"] = "no-store"
        return response
    # Reading evidence is itself on the record (等保 安全审计: 佐证材料下载).
    audit_record(
        actor=request.user,
        action="evidence.download",
        obj=ev,
        unit_id=ev.unit_id,
        after={"measure": ev.measure_id, "name": ev.original_name, "digest": ev.digest},
    )
    # FileResponse writes Content-Disposition with filename* (RFC 5987) for a Chinese name.
    response = FileResponse(
        handle, as_attachment=True, filename=ev.original_name, content_type=ev.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    # RFC 9530: the client can check what it received against what was uploaded.
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(ev.sha256)).decode()}:"
    return response
