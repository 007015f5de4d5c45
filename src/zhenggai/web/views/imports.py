"""Importing a document: upload → preview (nothing written) → confirm (all or nothing), as a
new round or into a round that exists (a plan, a progress notice); the documents kept.

The upload is read and parsed once, within a time and memory budget (``import_parse``);
the parse is kept with the upload and the preview and the confirmation use it.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from zhenggai.errors import InvalidInput
from zhenggai.http import uploads
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import action_view, refusals_recorded, require_allowed
from zhenggai.ledger import documents, selectors
from zhenggai.ledger.imports import import_parse, import_preview, parse_restored, parse_stored, round_import
from zhenggai.ledger.merge import merge_preview, round_merge_document
from zhenggai.ledger.models import Round
from zhenggai.textparse.model import ParseResult
from zhenggai.units import selectors as unit_selectors
from zhenggai.units.models import Unit

from .. import presenters
from ..forms import ImportConfirmForm, ImportUploadForm, add_service_error
from .common import number_param

GONE = "上传的文件已失效，请重新上传"


def _clerk_units(request: AuthedRequest) -> list[Unit]:
    units = unit_selectors.clerk_units(user=request.user)
    if not units:
        raise PermissionDenied("只有整改办工作人员可以导入巡察文件")
    return units


@login_required
def import_upload(request: AuthedRequest) -> HttpResponse:
    units = _clerk_units(request)
    bound = request.method == "POST"
    form = ImportUploadForm(request.POST if bound else None, request.FILES if bound else None, units=units)
    if bound and form.is_valid():
        upload, unit = form.cleaned_data["file"], form.cleaned_data["unit"]
        data = upload.read()
        try:
            result = import_parse(data=data, name=upload.name)  # refuses what cannot be read
            digest = uploads.keep(request, data, name=upload.name, unit=unit.pk, extra=parse_stored(result))
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            return redirect("web:import-preview", digest=digest)
    return _upload_page(request, form, units, status=400 if bound else 200)


def _upload_page(
    request: AuthedRequest, form: ImportUploadForm, units: list[Unit], *, status: int, error: str = ""
) -> HttpResponse:
    context = {"form": form, "several": len(units) > 1, "error": error}
    return render(request, "web/imports/upload.html", context, status=status)


def _kept(request: AuthedRequest, digest: str) -> tuple[bytes, dict[str, Any], Unit, ParseResult]:
    """This user's upload, the clerk unit it is for and its parse, or 404."""
    entry = uploads.entry(request, digest)
    data = uploads.load(request, digest) if entry else None
    result = parse_restored(uploads.load_extra(request, digest)) if data is not None else None
    unit = next((u for u in _clerk_units(request) if entry and u.pk == entry.get("unit")), None)
    if entry is None or data is None or unit is None or result is None:
        raise Http404(GONE)
    return data, entry, unit, result


@login_required
def import_preview_page(request: AuthedRequest, digest: str) -> HttpResponse:
    data, entry, unit, result = _kept(request, digest)
    try:
        preview = import_preview(data=data, name=entry["name"], unit=unit, result=result)
    except InvalidInput as err:  # the reader changed since the upload; start again
        raise Http404(GONE) from err
    existing_departments = set(unit_selectors.departments_under(unit).values_list("name", flat=True))
    return render(
        request,
        "web/imports/preview.html",
        {
            "preview": preview,
            "unit": unit,
            "result": preview.result,
            "doc_type": presenters.DOC_TYPES.get(preview.result.doc_type, preview.result.doc_type),
            "tree": presenters.preview_tree(preview.result),
            "diagnostics": presenters.preview_diagnostics(preview.result),
            "departments": [(name, name in existing_departments) for name in preview.departments],
            "outcomes": presenters.summarise_outcomes(preview.outcomes),
            "form": ImportConfirmForm(initial={"digest": preview.sha256}),
        },
    )


@action_view
def import_confirm(request: AuthedRequest) -> HttpResponse:
    form = ImportConfirmForm(request.POST)
    if not form.is_valid():
        units = _clerk_units(request)
        return _upload_page(request, ImportUploadForm(units=units), units, status=400, error=GONE)
    digest = form.cleaned_data["digest"]
    data, entry, unit, result = _kept(request, digest)
    try:
        with refusals_recorded(request, action="round.import", obj=unit):
            round_, created = round_import(
                actor=request.user, unit=unit, data=data, name=entry["name"], result=result
            )
    except InvalidInput as err:  # read fine at the preview: only a changed reader gets here
        units = _clerk_units(request)
        return _upload_page(request, ImportUploadForm(units=units), units, status=400, error=str(err))
    uploads.forget(request, digest)
    if created:
        messages.success(request, f"已导入“{round_.title}”。")
    else:
        messages.info(request, "该文件已导入过，没有重复创建，以下是已有的轮次。")
    return redirect("web:round-detail", pk=round_.pk)


# --- a later document into a round that exists (ledger.merge) ---------------------------------------


def _clerk_round(request: AuthedRequest, pk: int) -> Round:
    """The round (404 outside the user's units); 403 unless the user is its unit's clerk."""
    round_ = selectors.round_get_for_user(user=request.user, pk=pk)
    require_allowed(
        request,
        any(u.pk == round_.unit_id for u in unit_selectors.clerk_units(user=request.user)),
        action="round.import_document",
        obj=round_,
        reason="只有本单位整改办工作人员可以向巡察轮次导入文件",
    )
    return round_


def _round_upload_page(
    request: AuthedRequest, round_: Round, form: ImportUploadForm, *, status: int = 200, error: str = ""
) -> HttpResponse:
    context = {"round": round_, "form": form, "error": error}
    return render(request, "web/imports/round_upload.html", context, status=status)


@login_required
def round_import_upload(request: AuthedRequest, pk: int) -> HttpResponse:
    """Upload a plan or a progress notice for a round: read and parsed once, then the preview."""
    round_ = _clerk_round(request, pk)
    bound = request.method == "POST"
    form = ImportUploadForm(
        request.POST if bound else None, request.FILES if bound else None, units=[round_.unit]
    )
    if bound and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            result = import_parse(data=data, name=upload.name)
            digest = uploads.keep(
                request,
                data,
                name=upload.name,
                unit=round_.unit_id,
                round=round_.pk,
                extra=parse_stored(result),
            )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            return redirect("web:round-import-preview", pk=round_.pk, digest=digest)
    return _round_upload_page(request, round_, form, status=400 if bound else 200)


def _kept_for_round(request: AuthedRequest, round_: Round, digest: str) -> tuple[bytes, str, ParseResult]:
    """This user's upload for this round and its parse, or 404."""
    entry = uploads.entry(request, digest)
    data = uploads.load(request, digest) if entry else None
    result = parse_restored(uploads.load_extra(request, digest)) if data is not None else None
    if entry is None or data is None or result is None or entry.get("round") != round_.pk:
        raise Http404(GONE)
    return data, entry["name"], result


@login_required
def round_import_preview(request: AuthedRequest, pk: int, digest: str) -> HttpResponse:
    round_ = _clerk_round(request, pk)
    data, name, result = _kept_for_round(request, round_, digest)
    try:
        preview = merge_preview(actor=request.user, round=round_, data=data, name=name, result=result)
    except InvalidInput as err:
        raise Http404(GONE) from err
    return render(
        request,
        "web/imports/round_preview.html",
        {
            "round": round_,
            "preview": preview,
            "doc_type": presenters.DOC_TYPES.get(result.doc_type, result.doc_type),
            "diagnostics": presenters.preview_diagnostics(result),
            "form": ImportConfirmForm(initial={"digest": preview.sha256}),
        },
    )


@action_view
def round_import_confirm(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = _clerk_round(request, pk)
    form = ImportConfirmForm(request.POST)
    if not form.is_valid():
        return _round_upload_page(
            request, round_, ImportUploadForm(units=[round_.unit]), status=400, error=GONE
        )
    digest = form.cleaned_data["digest"]
    data, name, result = _kept_for_round(request, round_, digest)
    # Only keys of the proposals the service computes again under the round's lock are applied.
    ticked = [k for k in request.POST.getlist("apply") if len(k) <= 40]
    try:
        with refusals_recorded(request, action="round.import_document", obj=round_):
            doc, imported = round_merge_document(
                actor=request.user, round=round_, data=data, name=name, result=result, apply=ticked
            )
    except InvalidInput as err:
        return _round_upload_page(
            request, round_, ImportUploadForm(units=[round_.unit]), status=400, error=str(err)
        )
    uploads.forget(request, digest)
    if imported and doc is not None:
        c = doc.summary.get("counts", {})
        messages.success(
            request,
            f"已将“{doc.name}”导入本轮次：对应问题 {c.get('matched', 0)} 个，新增整改措施 "
            f"{c.get('measures_added', 0)} 条，补充责任信息 {c.get('measures_filled', 0)} 条，"
            f"采纳进展 {doc.summary.get('applied', 0)} 项。",
        )
    else:
        messages.info(request, "该文件已导入过本轮次，没有重复导入。")
    return redirect("web:round-detail", pk=round_.pk)


def _span(value: str | None) -> int | None:
    return number_param(value, 9)


@login_required
def round_document(request: AuthedRequest, pk: int, doc_pk: int) -> HttpResponse:
    """The text of a document the round was imported from; ``?start=&end=`` marks a span of it."""
    doc = documents.document_get_for_user(user=request.user, round_pk=pk, pk=doc_pk)
    start, end = _span(request.GET.get("start")), _span(request.GET.get("end"))
    text = documents.readable_text(doc, user=request.user)
    if text is None:  # it holds what the user is not cleared for, and where cannot be told
        raise Http404("未找到该来源文件")
    marked = start is not None and end is not None and 0 <= start < end <= len(text)
    parts = (text[:start], text[start:end], text[end:]) if marked else (text, "", "")
    return render(
        request,
        "web/documents/detail.html",
        {"round": doc.round, "document": doc, "before": parts[0], "hit": parts[1], "after": parts[2]},
    )
