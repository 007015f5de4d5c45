"""Exports and imports of a round's documents, each on the audit record (等保 安全审计: 导出).

Every way a document leaves the system — the 整改台账 workbook, the 整改方案 and the
整改进展情况的通报, from a web page or from the command line — goes through one of these
services, which checks that the actor may see the round (``round_get_for_user``: an
outsider gets ``Http404``), builds and renders the document, then records exactly one
audit event naming who, which round and which format. The event is written after the
document is built and before it is handed over (fail-closed: if the event cannot be
written, the caller gets the exception, not the file).

The command line has no logged-in user: its actor is an account (``--user``) or the
system account of ``ledger/system.py``, like ``zhenggai import``; ``via="cli"`` says so
in the event, with the operating-system account that ran the command.
"""

from __future__ import annotations

import getpass
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from zhenggai.audit.services import audit_record
from zhenggai.errors import InvalidInput
from zhenggai.ledger import selectors
from zhenggai.ledger.models import Round

from . import documents
from .docx_render import render_docx
from .xlsx_export import LedgerExporter, download_name
from .xlsx_import import ImportReport, import_workbook

#: Document kinds, the audit action of their export and the formats each has.
DOCUMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "plan": ("plan.export", ("docx",)),
    "notice": ("notice.export", ("docx", "pdf")),
}
CONTENT_TYPES = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
VIAS = ("web", "cli")


@dataclass(frozen=True)
class Export:
    """A rendered document: its bytes, the name to save it under, and warnings for an operator."""

    data: bytes
    name: str
    content_type: str
    warnings: list[str] = field(default_factory=list)


def _context(via: str) -> dict[str, Any]:
    if via not in VIAS:
        raise InvalidInput(f"未知的导出方式：{via}")
    if via == "web":
        return {"via": via}
    try:
        os_user = getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (a container)
        os_user = ""
    return {"via": via, "os_user": os_user}


def document_export(*, actor: Any, round: Round, kind: str, fmt: str, via: str = "web") -> Export:
    """Build the plan or the notice of ``round`` as ``actor`` sees it, render it, record the export."""
    if kind not in DOCUMENTS or fmt not in DOCUMENTS[kind][1]:
        raise InvalidInput(f"不能导出该文档：{kind}.{fmt}")
    context = _context(via)
    round = selectors.round_get_for_user(user=actor, pk=round.pk)  # scope: an outsider gets Http404
    build = documents.build_notice if kind == "notice" else documents.build_plan
    doc = build(user=actor, round=round)
    warnings = list(doc.warnings)
    if fmt == "pdf":
        from .fonts import problems
        from .pdf_render import render_pdf  # WeasyPrint is imported only where a PDF is made

        warnings += problems()
        data = render_pdf(doc)
    else:
        data = render_docx(doc)
    name = doc.file_name(fmt)
    audit_record(
        actor=actor,
        action=DOCUMENTS[kind][0],
        obj=round,
        unit_id=round.unit_id,
        after={
            "format": fmt,
            "file": name,
            "bytes": len(data),
            "sha256": hashlib.sha256(data).hexdigest(),
            **context,
        },
    )
    return Export(data, name, CONTENT_TYPES[fmt], warnings)


def workbook_export(*, actor: Any, round: Round, target: str | Path | IO[bytes], via: str = "web") -> int:
    """Write the 整改台账 of ``round`` as ``actor`` sees it to ``target``; record it; return the rows.

    The caller hands the file over (or renames it into place) only when this returns.
    """
    context = _context(via)
    round = selectors.round_get_for_user(user=actor, pk=round.pk)  # scope: an outsider gets Http404
    count = LedgerExporter(user=actor, round=round).write(target)
    audit_record(
        actor=actor,
        action="round.xlsx_export",
        obj=round,
        unit_id=round.unit_id,
        after={"format": "xlsx", "file": download_name(round), "measures": count, **context},
    )
    return count


def workbook_import(
    *, actor: Any, round: Round, data: bytes, dry_run: bool, via: str = "web"
) -> ImportReport:
    """Compare an edited 整改台账 with the ledger and, unless ``dry_run``, apply it all or nothing.

    The changes go through the ledger services (each audited); the import itself is
    recorded as ``round.xlsx_import`` in the same transaction when it is applied. Returns
    the ``ImportReport``; raises ``WorkbookRefused`` for a file that cannot be used.
    """
    context = _context(via)
    round = selectors.round_get_for_user(user=actor, pk=round.pk)  # scope: an outsider gets Http404
    return import_workbook(actor=actor, round=round, data=data, dry_run=dry_run, detail=context)


__all__ = ["CONTENT_TYPES", "Export", "document_export", "workbook_export", "workbook_import"]
