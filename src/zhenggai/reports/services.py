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
from zhenggai.ledger.models import Measure, Round
from zhenggai.ledger.policy import EDIT_ROLES, require_role

from . import builders
from .docx_render import render_docx
from .models import NoticeDraft
from .selectors import PROGRESS_TEXT_MAX, draft_defaults
from .xlsx_export import LedgerExporter, download_name
from .xlsx_import import ImportReport, import_workbook

#: Document kinds, the audit action of their export and the formats each has.
DOCUMENTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "plan": ("plan.export", ("docx",)),
    "notice": ("notice.export", ("docx", "pdf")),
    "report": ("report.export", ("docx", "pdf")),
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
    """Build the plan, the notice or the report of ``round`` as ``actor`` sees it, render it,
    record the export."""
    if kind not in DOCUMENTS or fmt not in DOCUMENTS[kind][1]:
        raise InvalidInput(f"不能导出该文档：{kind}.{fmt}")
    context = _context(via)
    round = _round_for(actor, round)
    build = builders.BUILDERS.get(kind, builders.build_plan)
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


# --- the clerk's draft of the notice and of the report -------------------------------------------


DRAFT_FIELDS = (
    "organisation_text",
    "long_term_text",
    "next_steps_text",
    "phone",
    "address",
    "email",
    "signing_unit",
    "signed_on",
    "progress_texts",
)
_DRAFT_WORD = {"notice": "整改进展通报", "report": "整改情况报告"}
#: The audit action of saving each kind of draft.
SAVE_ACTIONS = {"notice": "notice.save", "report": "report.save"}


class DraftFields(TypedDict, total=False):
    """The clerk's parts of the document, as ``draft_save`` takes them (``DRAFT_FIELDS``)."""

    organisation_text: str
    long_term_text: str
    next_steps_text: str
    phone: str
    address: str
    email: str
    signing_unit: str
    signed_on: dt.date | None
    #: {measure id: public wording of its progress}; an empty text removes the measure's entry.
    progress_texts: Mapping[int | str, str]


def _progress_texts(
    actor: Actor, round: Round, given: Mapping[int | str, str], current: Mapping[str, str]
) -> dict[str, str]:
    """The public progress wording merged into ``current``: keys are measures of ``round`` that
    ``actor`` is cleared for, texts stripped, at most ``PROGRESS_TEXT_MAX`` characters; an empty
    text removes the entry."""
    keys: dict[str, str] = {}
    for key, text in given.items():
        try:
            pk = int(key)
        except (TypeError, ValueError):
            raise InvalidInput(f"不是本轮次的整改措施：{str(key)[:20]}", field="progress_texts") from None
        if not isinstance(text, str):
            raise InvalidInput("进展表述应为文字", field="progress_texts")
        keys[str(pk)] = text
    measures = dict(
        Measure.objects.filter(
            selectors.measure_cleared_q(actor), round=round, pk__in=[int(k) for k in keys]
        ).values_list("pk", "text")
    )
    out = {str(k): v for k, v in current.items()}
    for key, raw in keys.items():
        if int(key) not in measures:
            raise InvalidInput(f"不是本轮次的整改措施：{key}", field="progress_texts")
        text = raw.strip()
        if len(text) > PROGRESS_TEXT_MAX:
            name = " ".join(measures[int(key)].split())[:20] or f"编号{key}"
            raise InvalidInput(
                f"措施“{name}”的公开进展表述有{len(text)}个字，不能超过{PROGRESS_TEXT_MAX}个字",
                field=f"progress_{key}",
            )
        if text:
            out[key] = text
        else:
            out.pop(key, None)
    return out


def _changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """What changed, for the audit record; of the progress wording only the measures changed."""
    old = {k: v for k, v in before.items() if after.get(k) != v}
    new = {k: v for k, v in after.items() if before.get(k) != v}
    if "progress_texts" in new:
        was, now = old.pop("progress_texts", None) or {}, new.pop("progress_texts") or {}
        changed = sorted({k for k in {*was, *now} if was.get(k) != now.get(k)}, key=int)
        old["progress_texts"] = {k: was[k] for k in changed if k in was}
        new["progress_texts"] = {k: now.get(k, "") for k in changed}
    return old, new


@transaction.atomic
def draft_save(
    *,
    actor: Actor,
    round: Round,
    expected_version: int,
    kind: str = "notice",
    **fields: Unpack[DraftFields],
) -> NoticeDraft:
    """Save the clerk's parts of the notice or the report (clerks of the round's unit only; audited).

    ``progress_texts`` is the public wording of measures' progress, the only progress a document
    prints; the entries given are merged into the saved ones (an empty text removes one).
    """
    if kind not in _DRAFT_WORD:
        raise InvalidInput(f"未知的文档：{kind}")
    require_role(actor, round.unit, EDIT_ROLES, f"编写{_DRAFT_WORD[kind]}")
    values: Mapping[str, object] = fields  # read by name below, each name one of DRAFT_FIELDS
    unknown = set(values) - set(DRAFT_FIELDS)
    if unknown:
        raise InvalidInput(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    for name in ("organisation_text", "long_term_text", "signing_unit"):
        if name in values and not str(values.get(name) or "").strip():
            raise InvalidInput("请填写此项", field=name)
    if "signed_on" in values and values.get("signed_on") is None:
        raise InvalidInput("请填写成文日期", field="signed_on")
    draft = NoticeDraft.objects.select_for_update().filter(round=round, kind=kind).first()
    current = draft.version if draft is not None else 0
    if current != expected_version:
        raise StaleEdit(f"已被他人修改：该{_DRAFT_WORD[kind]}稿在您打开页面后已被保存，请刷新后重新编辑。")
    before = {f: getattr(draft, f) for f in DRAFT_FIELDS} if draft is not None else {}
    if draft is None:
        # A first save starts from the defaults, so that a save of some fields is a whole draft.
        draft = NoticeDraft(round=round, unit=round.unit, kind=kind, version=0, **draft_defaults(round, kind))
    for name in DRAFT_FIELDS:
        if name not in values:
            continue
        value = values[name]
        if name == "progress_texts":
            if not isinstance(value, Mapping):
                raise InvalidInput("进展表述应为措施与文字的对照", field="progress_texts")
            value = _progress_texts(actor, round, value, draft.progress_texts or {})
        setattr(draft, name, value.strip() if isinstance(value, str) else value)
    draft.version = current + 1
    draft.updated_by = actor
    draft.save()
    old, new = _changes(before, {f: getattr(draft, f) for f in DRAFT_FIELDS})
    audit_change(actor, SAVE_ACTIONS[kind], round, before=old, after=new)
    return draft
