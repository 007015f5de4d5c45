"""The plan and the progress notice: downloads for anyone who can see the round, the clerk's form.

Downloads are rendered in the request and sent whole (the seed round: .docx well under a
second, PDF about a second); the browser shows its own progress meanwhile. The export
service checks the scope (a round outside the user's units is 404) and records the export.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from zhenggai.errors import InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import refusals_recorded, require_allowed
from zhenggai.ledger import policy, selectors
from zhenggai.reports.builders import build_notice
from zhenggai.reports.models import NoticeDraft
from zhenggai.reports.official import Blank, OfficialDocument, Para
from zhenggai.reports.selectors import draft_for
from zhenggai.reports.services import document_export, draft_save

from ..forms import add_service_error
from ..forms_reports import NoticeDraftForm


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


def _initial(draft: NoticeDraft) -> dict[str, Any]:
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
    }


@require_http_methods(["GET", "POST"])
@login_required
def notice_edit(request: AuthedRequest, round_id: int) -> HttpResponse:
    round_ = selectors.round_get_for_user(user=request.user, pk=round_id)
    may_edit = "edit_notice" in policy.allowed_actions(request.user, round_)
    here = reverse("reports:notice-edit", args=[round_.pk])
    draft = draft_for(round_)
    status = 200
    if request.method == "POST":
        reason = "您没有权限编写整改进展通报"
        require_allowed(request, may_edit, action="notice.save", obj=round_, reason=reason)
        form = NoticeDraftForm(request.POST, feedback_date=round_.feedback_date)
        if form.is_valid():
            values = form.draft_values()
            if request.POST.get("action") == "preview":
                draft = NoticeDraft(round=round_, unit=round_.unit, version=draft.version, **values)
            else:
                try:
                    with refusals_recorded(request, action="notice.save", obj=round_, back=here):
                        draft_save(
                            actor=request.user,
                            round=round_,
                            expected_version=form.cleaned_data.get("version") or 0,
                            **values,
                        )
                except InvalidInput as err:
                    add_service_error(form, err)
                    status = 400
                else:
                    messages.success(request, "已保存整改进展通报稿。")
                    return redirect(here)
        else:
            status = 400
    else:
        form = NoticeDraftForm(initial=_initial(draft), feedback_date=round_.feedback_date)
        if not may_edit:
            for field in form.fields.values():
                field.disabled = True
    doc = build_notice(user=request.user, round=round_, draft=draft)
    return render(
        request,
        "reports/notice_edit.html",
        {
            "round": round_,
            "form": form,
            "may_edit": may_edit,
            "saved": draft.pk is not None,
            "preview": preview_blocks(doc),
            "warnings": doc.warnings,
        },
        status=status,
    )
