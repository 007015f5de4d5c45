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

import datetime as dt
import getpass
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, TypedDict, Unpack

from django.db import transaction

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_change, audit_record
from zhenggai.errors import InvalidInput, StaleEdit
from zhenggai.ledger import selectors
from zhenggai.ledger.models import Round
from zhenggai.ledger.policy import EDIT_ROLES, require_role

from . import builders
from .docx_render import render_docx
from .models import NoticeDraft
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


@dataclass(frozen=True)
class WorkbookExport:
    """A written workbook: the name to save it under, its type and how many measures it holds."""

    name: str
    content_type: str
    measures: int


def _round_for(actor: Actor, round: Round | int) -> Round:
    """The round (or round id) as ``actor`` may see it: the one scope check of every export."""
    pk = round.pk if isinstance(round, Round) else round
    return selectors.round_get_for_user(user=actor, pk=pk)  # an outsider gets Http404


def document_export(*, actor: Actor, round: Round | int, kind: str, fmt: str, via: str = "web") -> Export:
    """Build the plan or the notice of ``round`` as ``actor`` sees it, render it, record the export."""
    if kind not in DOCUMENTS or fmt not in DOCUMENTS[kind][1]:
        raise InvalidInput(f"不能导出该文档：{kind}.{fmt}")
    context = _context(via)
    round = _round_for(actor, round)
    build = builders.build_notice if kind == "notice" else builders.build_plan
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


def workbook_export(
    *, actor: Actor, round: Round | int, target: str | Path | IO[bytes], via: str = "web"
) -> WorkbookExport:
    """Write the 整改台账 of ``round`` as ``actor`` sees it to ``target``; record it.

    The caller hands the file over (or renames it into place) only when this returns.
    """
    context = _context(via)
    round = _round_for(actor, round)
    count = LedgerExporter(user=actor, round=round).write(target)
    name = download_name(round)
    audit_change(
        actor,
        "round.xlsx_export",
        round,
        after={"format": "xlsx", "file": name, "measures": count, **context},
    )
    return WorkbookExport(name, CONTENT_TYPES["xlsx"], count)


def workbook_import(
    *, actor: Actor, round: Round, data: bytes, dry_run: bool, via: str = "web"
) -> ImportReport:
    """Compare an edited 整改台账 with the ledger and, unless ``dry_run``, apply it all or nothing.

    The changes go through the ledger services (each audited); the import itself is
    recorded as ``round.xlsx_import`` in the same transaction when it is applied. Returns
    the ``ImportReport``; raises ``WorkbookRefused`` for a file that cannot be used.
    """
    context = _context(via)
    round = selectors.round_get_for_user(user=actor, pk=round.pk)  # scope: an outsider gets Http404
    return import_workbook(actor=actor, round=round, data=data, dry_run=dry_run, detail=context)


__all__ = [
    "CONTENT_TYPES",
    "Export",
    "WorkbookExport",
    "document_export",
    "workbook_export",
    "workbook_import",
]


# --- the clerk's draft of the notice -------------------------------------------------------------


DRAFT_FIELDS = (
    "organisation_text",
    "long_term_text",
    "next_steps_text",
    "phone",
    "address",
    "email",
    "signing_unit",
    "signed_on",
)


class DraftFields(TypedDict, total=False):
    """The clerk's parts of the notice, as ``draft_save`` takes them (``DRAFT_FIELDS``)."""

    organisation_text: str
    long_term_text: str
    next_steps_text: str
    phone: str
    address: str
    email: str
    signing_unit: str
    signed_on: dt.date | None


@transaction.atomic
def draft_save(
    *, actor: Actor, round: Round, expected_version: int, **fields: Unpack[DraftFields]
) -> NoticeDraft:
    """Save the clerk's parts of the notice (clerks of the round's unit only; audited)."""
    require_role(actor, round.unit, EDIT_ROLES, "编写整改进展通报")
    values: Mapping[str, object] = fields  # read by name below, each name one of DRAFT_FIELDS
    unknown = set(values) - set(DRAFT_FIELDS)
    if unknown:
        raise InvalidInput(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    for name in ("organisation_text", "long_term_text", "signing_unit"):
        if not str(values.get(name) or "").strip():
            raise InvalidInput("请填写此项", field=name)
    if values.get("signed_on") is None:
        raise InvalidInput("请填写成文日期", field="signed_on")
    draft = NoticeDraft.objects.select_for_update().filter(round=round).first()
    current = draft.version if draft is not None else 0
    if current != expected_version:
        raise StaleEdit("已被他人修改：该通报稿在您打开页面后已被保存，请刷新后重新编辑。")
    before = {f: getattr(draft, f) for f in DRAFT_FIELDS} if draft is not None else {}
    if draft is None:
        draft = NoticeDraft(round=round, unit=round.unit, version=0)
    for name in DRAFT_FIELDS:
        if name in values:
            value = values[name]
            setattr(draft, name, value.strip() if isinstance(value, str) else value)
    draft.version = current + 1
    draft.updated_by = actor
    draft.save()
    after = {f: getattr(draft, f) for f in DRAFT_FIELDS}
    audit_change(
        actor,
        "notice.save",
        round,
        before={k: v for k, v in before.items() if after.get(k) != v},
        after={k: v for k, v in after.items() if before.get(k) != v},
    )
    return draft
