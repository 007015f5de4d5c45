"""The plan, the progress notice and the 整改情况报告: downloads for anyone who can see the round,
the clerk's form of the notice and of the report (their parts and the public wording of each
measure's progress: a raw progress note is shown there as a reference, never printed).

Downloads are rendered in the request and sent whole (the seed round: .docx well under a
second, PDF about a second); the browser shows its own progress meanwhile. The export
service checks the scope (a round outside the user's units is 404) and records the export.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.forms import BoundField
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from zhenggai.errors import InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import refusals_recorded, require_allowed
from zhenggai.ledger import policy, selectors
from zhenggai.ledger.models import FindingKind, Measure
from zhenggai.reports.builders import BUILDERS
from zhenggai.reports.models import NoticeDraft
from zhenggai.reports.official import Blank, OfficialDocument, Para
from zhenggai.reports.selectors import DocumentLedger, document_ledger, draft_for
from zhenggai.reports.services import document_export, draft_save

from ..forms import add_service_error
from ..forms_reports import NoticeDraftForm, progress_field


def _download(data: bytes, name: str, content_type: str) -> FileResponse:
    # FileResponse writes Content-Disposition with filename* (RFC 5987) for a Chinese name.
    response = FileResponse(io.BytesIO(data), as_attachment=True, filename=name, content_type=content_type)
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _export(request: AuthedRequest, round_id: int, kind: str, fmt: str) -> FileResponse:
    """The service checks the scope, builds the document and records the export; send it."""
    export = document_export(actor=request.user, round=round_id, kind=kind, fmt=fmt, via="web")
    return _download(export.data, export.name, export.content_type)


@require_GET
@login_required
def plan_docx(request: AuthedRequest, round_id: int) -> FileResponse:
    return _export(request, round_id, "plan", "docx")


@require_GET
@login_required
def notice_docx(request: AuthedRequest, round_id: int) -> FileResponse:
    return _export(request, round_id, "notice", "docx")


@require_GET
@login_required
def notice_pdf(request: AuthedRequest, round_id: int) -> FileResponse:
    return _export(request, round_id, "notice", "pdf")


@require_GET
@login_required
def report_docx(request: AuthedRequest, round_id: int) -> FileResponse:
    return _export(request, round_id, "report", "docx")


@require_GET
@login_required
def report_pdf(request: AuthedRequest, round_id: int) -> FileResponse:
    return _export(request, round_id, "report", "pdf")


def preview_blocks(doc: OfficialDocument) -> list[dict[str, Any]]:
    """The document as rows for the on-page preview (class, text)."""
    rows: list[dict[str, Any]] = [{"cls": "gw-title", "text": line} for line in doc.title_lines]
    rows.append({"cls": "gw-blank", "text": ""})
    for block in doc.body:
        if isinstance(block, Para):
            rows.append(
                {"cls": f"gw-{block.role}" + (" gw-indent" if block.indent else ""), "text": block.text}
            )
        elif isinstance(block, Blank):
            rows.append({"cls": "gw-blank", "text": ""})
    if doc.signature is not None:
        rows.append({"cls": "gw-sign", "text": doc.signature.unit})
        rows.append({"cls": "gw-date", "text": doc.signature.date})
    return rows


def _initial(draft: NoticeDraft, measures: list[int]) -> dict[str, Any]:
    saved = draft.progress_texts or {}
    return {
        "organisation_text": draft.organisation_text,
        "long_term_text": draft.long_term_text,
        "next_steps_text": draft.next_steps_text,
        "phone": draft.phone,
        "address": draft.address,
        "email": draft.email,
        "signing_unit": draft.signing_unit,
        "signed_on": draft.signed_on,
        "version": draft.version,
        **{progress_field(pk): saved.get(str(pk), "") for pk in measures},
    }


NOTE_CLIP = 300  # characters of a raw progress note shown before 展开


@dataclass
class ProgressRow:
    """A measure on the editing page: its text, status, latest raw note and the wording's field."""

    number: int
    measure: Measure
    note: str
    name: str  # the form field of its public wording
    bound: BoundField | None = None

    @property
    def note_clipped(self) -> str:
        return self.note[:NOTE_CLIP] + ("…" if len(self.note) > NOTE_CLIP else "")


@dataclass
class ProblemRows:
    title: str
    rows: list[ProgressRow]


def _progress_rows(ledger: DocumentLedger) -> list[ProblemRows]:
    """The problems the user is cleared for, in the document's order, each with its measures."""
    out: list[ProblemRows] = []

    def visit(node: selectors.Node) -> None:
        f = node.finding
        if f.kind == FindingKind.PROBLEM:
            rows = ledger.measures.get(f.pk, [])
            out.append(
                ProblemRows(
                    f"（{len(out) + 1}）{f.title}",
                    [
                        ProgressRow(i, r.measure, r.latest_note, progress_field(r.measure.pk))
                        for i, r in enumerate(rows, 1)
                    ],
                )
            )
        for c in node.children:
            visit(c)

    for root in ledger.overview.roots:
        visit(root)
    return out


_KINDS: dict[str, dict[str, str]] = {
    "notice": {
        "name": "整改进展通报",
        "heading": "整改进展情况通报",
        "edit": "reports:notice-edit",
        "docx": "reports:notice-docx",
        "pdf": "reports:notice-pdf",
        "denied": "您没有权限编写整改进展通报",
        "saved": "已保存整改进展通报稿。",
    },
    "report": {
        "name": "整改情况报告",
        "heading": "整改情况报告",
        "edit": "reports:report-edit",
        "docx": "reports:report-docx",
        "pdf": "reports:report-pdf",
        "denied": "您没有权限编写整改情况报告",
        "saved": "已保存整改情况报告稿。",
    },
}


@require_http_methods(["GET", "POST"])
@login_required
def notice_edit(request: AuthedRequest, round_id: int) -> HttpResponse:
    return _draft_page(request, round_id, "notice")


@require_http_methods(["GET", "POST"])
@login_required
def report_edit(request: AuthedRequest, round_id: int) -> HttpResponse:
    return _draft_page(request, round_id, "report")


def _draft_page(request: AuthedRequest, round_id: int, kind: str) -> HttpResponse:
    """The clerk's form of the notice or the report, with a preview; read-only for other users."""
    words = _KINDS[kind]
    round_ = selectors.round_get_for_user(user=request.user, pk=round_id)
    may_edit = "edit_notice" in policy.allowed_actions(request.user, round_)
    here = reverse(words["edit"], args=[round_.pk])
    action = "report.save" if kind == "report" else "notice.save"
    # The round as this user may see it (clearance), with the latest raw notes for reference.
    ledger = document_ledger(request.user, round_, notes=True)
    problems = _progress_rows(ledger)
    measures = [
        (r.measure.pk, f"公开的进展表述：{p.title[:40]} 第{r.number}项措施") for p in problems for r in p.rows
    ]
    draft = draft_for(round_, kind)
    status = 200
    form_args: dict[str, Any] = {"feedback_date": round_.feedback_date, "kind": kind, "measures": measures}
    if request.method == "POST":
        require_allowed(request, may_edit, action=action, obj=round_, reason=words["denied"])
        form = NoticeDraftForm(request.POST, **form_args)
        if form.is_valid():
            values = form.draft_values()
            if request.POST.get("action") == "preview":
                merged = dict(draft.progress_texts or {})
                for pk, text in values.pop("progress_texts", {}).items():
                    if text:
                        merged[str(pk)] = text
                    else:
                        merged.pop(str(pk), None)
                draft = NoticeDraft(
                    round=round_,
                    unit=round_.unit,
                    kind=kind,
                    version=draft.version,
                    progress_texts=merged,
                    **values,
                )
            else:
                try:
                    with refusals_recorded(request, action=action, obj=round_, back=here):
                        draft_save(
                            actor=request.user,
                            round=round_,
                            expected_version=form.cleaned_data.get("version") or 0,
                            kind=kind,
                            **values,
                        )
                except InvalidInput as err:
                    add_service_error(form, err)
                    status = 400
                else:
                    messages.success(request, words["saved"])
                    return redirect(here)
        else:
            status = 400
    else:
        form = NoticeDraftForm(initial=_initial(draft, [pk for pk, _ in measures]), **form_args)
        if not may_edit:
            for field in form.fields.values():
                field.disabled = True
    doc = BUILDERS[kind](user=request.user, round=round_, draft=draft, ledger=ledger)
    for problem in problems:
        for row in problem.rows:
            row.bound = form[row.name]
    return render(
        request,
        "reports/notice_edit.html",
        {
            "round": round_,
            "kind": kind,
            "words": words,
            "form": form,
            "problems": problems,
            "may_edit": may_edit,
            "saved": draft.pk is not None,
            "preview": preview_blocks(doc),
            "warnings": doc.warnings,
        },
        status=status,
    )
