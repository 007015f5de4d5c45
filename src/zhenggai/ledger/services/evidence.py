"""Opening a piece of evidence: the one way its bytes leave the store, checked and recorded.

Pages (and later the API and the command line) call ``evidence_open`` and hand over the open
file; none of them checks scope, digests or writes the audit event itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.http import Http404

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_change, audit_security_event
from zhenggai.errors import ServiceError
from zhenggai.evidence.store import new_hash, open_blob

from .. import selectors
from ..models import Evidence

log = logging.getLogger(__name__)

MISSING = "文件已不存在"
DAMAGED = "文件校验失败：存储的文件与上传时的摘要不符，已记录。请联系系统管理员。"
_CHUNK = 1024 * 1024


class EvidenceDamaged(ServiceError):
    """The stored bytes no longer match the digest recorded at upload (500: not the user's doing)."""

    http_status = 500


@dataclass(frozen=True)
class OpenedEvidence:
    """An evidence file, checked against its digests, opened for reading at its start.

    The caller owns ``file`` and closes it (a ``FileResponse`` does once the file is sent).
    """

    evidence: Evidence
    file: BinaryIO
    name: str
    content_type: str
    size: int
    sha256: str


def _digests(handle: BinaryIO, algorithms: set[str]) -> dict[str, str]:
    """The hex digests of the open file's bytes (hashed through the handle that will be sent)."""
    hashers = {a: new_hash(a) for a in algorithms}
    while chunk := handle.read(_CHUNK):
        for h in hashers.values():
            h.update(chunk)
    handle.seek(0)
    return {a: h.hexdigest() for a, h in hashers.items()}


def _refuse(actor: Actor, ev: Evidence, reason: str, detail: dict[str, Any]) -> None:
    audit_security_event(
        actor=actor,
        action="evidence.download",
        obj=ev,
        unit_id=ev.unit_id,
        outcome="failed",
        reason=reason,
        detail={"measure": ev.measure_id, "name": ev.original_name, "digest": ev.digest, **detail},
    )


def evidence_open(*, actor: Actor, evidence: Evidence | int) -> OpenedEvidence:
    """Open ``evidence`` for ``actor`` and record the download (``evidence.download``).

    Scope through ``evidence_get_for_user``: evidence outside the actor's units or above
    their clearance is ``Http404``. The bytes are re-hashed before they are handed over: a
    file missing from storage is ``Http404`` and a file whose bytes no longer match is
    ``EvidenceDamaged``; both are logged and recorded with the outcome ``failed``. Exactly
    one audit event per call that reaches the file; it is written before the file is
    returned (fail-closed: no event, no file).
    """
    pk = evidence.pk if isinstance(evidence, Evidence) else evidence
    ev = selectors.evidence_get_for_user(user=actor, pk=pk)
    handle: BinaryIO | None = None
    try:
        handle = open_blob(ev.storage_name)  # a folder or an object store; handed to the caller
        actual = _digests(handle, {ev.algorithm, "sha256"})
    except (FileNotFoundError, ValueError) as exc:  # no file, or no digest it could be checked by
        if handle is not None:
            handle.close()
        log.error("evidence %s: file %s is missing from storage", ev.pk, ev.digest)
        _refuse(actor, ev, MISSING, {"problem": "missing"})
        raise Http404(MISSING) from exc
    try:
        if actual[ev.algorithm] != ev.storage_name or actual["sha256"] != ev.sha256:
            now = f"{ev.algorithm}:{actual[ev.algorithm]}"
            log.error("evidence %s: file %s no longer matches its digest (now %s)", ev.pk, ev.digest, now)
            _refuse(actor, ev, DAMAGED, {"problem": "digest", "now": now})
            raise EvidenceDamaged(DAMAGED)
        # Reading evidence is itself on the record (等保 安全审计: 佐证材料下载).
        audit_change(
            actor,
            "evidence.download",
            ev,
            after={"measure": ev.measure_id, "name": ev.original_name, "digest": ev.digest},
        )
    except BaseException:
        handle.close()
        raise
    return OpenedEvidence(ev, handle, ev.original_name, ev.content_type, ev.size, ev.sha256)
