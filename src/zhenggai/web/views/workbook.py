"""The 整改台账 pages: download the workbook; upload an edited one → dry run → confirm.

Every view finds the round through ``round_get_for_user`` (an outsider gets 404).
Any member of the round's unit may export; importing is the clerk's (整改办) job.
The uploaded bytes wait between the dry run and the confirmation in
``UPLOAD_TMP_DIR/xlsx/<user id>/<sha256>``: the name is the digest, never anything
the user typed, and the session remembers which digests this user uploaded for
which round, so nobody can confirm a file they did not upload.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Page, Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from zhenggai.http import uploads
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import require_allowed
from zhenggai.ledger import policy, selectors, services
from zhenggai.ledger.models import Round
from zhenggai.reports.services import workbook_export, workbook_import
from zhenggai.reports.xlsx import EDITABLE, LABELS, STATUS_LABEL
from zhenggai.reports.xlsx_import import MAX_ERRORS, ImportReport, WorkbookRefused, open_workbook

GONE = "上传的台账已失效，请重新上传"
#: Changes and row errors are shown this many at a time (a page never carries the whole list).
PAGE_SIZE = 100


class XlsxUploadForm(forms.Form):
    file = forms.FileField(
        label="修改后的整改台账（.xlsx）",
        help_text="请上传从本轮次导出、在 Excel 或 WPS 中修改后的台账",
        error_messages={
            "required": "请选择要导入的台账文件",
            "empty": "上传的文件是空文件",
            "invalid": "上传的文件无效，请重新选择",
        },
        widget=forms.ClearableFileInput(
            attrs={"accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
        ),
    )

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if f.size > limit:
            raise forms.ValidationError(f"文件超过大小限制（最大 {limit / (1024 * 1024):g} MB）")
        return f


# --- export ----------------------------------------------------------------------------------------


@login_required
def xlsx_export(request: AuthedRequest, round_id: int) -> FileResponse:
    """The workbook, written to a temporary file in constant memory, recorded, then streamed.

    The service checks the scope (an outsider gets 404) and records the export.
    """
    # Not a context manager: FileResponse closes (and so deletes) the file once it is sent.
    out = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115
    try:
        export = workbook_export(actor=request.user, round=round_id, target=out, via="web")
        out.seek(0)
    except BaseException:
        out.close()
        raise
    return FileResponse(out, as_attachment=True, filename=export.name, content_type=export.content_type)


# --- import: upload, dry run, confirm ----------------------------------------------------------------


def _clerk_round(request: AuthedRequest, round_id: int) -> Round:
    round_ = selectors.round_get_for_user(user=request.user, pk=round_id)
    allowed = "import_workbook" in policy.allowed_actions(request.user, round_)
    reason = "只有整改办工作人员可以导入台账"
    require_allowed(request, allowed, action="round.xlsx_import", obj=round_, reason=reason)
    return round_


@login_required
def xlsx_import(request: AuthedRequest, round_id: int) -> HttpResponse:
    round_ = _clerk_round(request, round_id)
    bound = request.method == "POST"
    form = XlsxUploadForm(request.POST if bound else None, request.FILES if bound else None)
    if bound and form.is_valid():
        upload = form.cleaned_data["file"]
        data = upload.read()
        try:
            open_workbook(data, round=round_).close()  # refuses what cannot be the workbook
            digest = uploads.keep(request, data, name=upload.name, kind="xlsx", round=round_.pk)
        except (WorkbookRefused, uploads.UploadRefused) as err:  # unreadable, or over the quota
            form.add_error("file", str(err))
        else:
            return redirect("reports:xlsx-import-preview", round_id=round_.pk, digest=digest)
    return _upload_page(request, round_, form, status=400 if bound else 200)


def _upload_page(
    request: AuthedRequest, round_: Round, form: XlsxUploadForm, *, status: int, error: str = ""
) -> HttpResponse:
    context = {
        "round": round_,
        "form": form,
        "error": error,
        "editable": [LABELS[k] for k in EDITABLE],
        "statuses": list(STATUS_LABEL.values()),
    }
    return render(request, "reports/xlsx_upload.html", context, status=status)


@login_required
def xlsx_import_preview(request: AuthedRequest, round_id: int, digest: str) -> HttpResponse:
    round_ = _clerk_round(request, round_id)
    data, entry = _kept(request, round_, digest)
    try:
        report = workbook_import(actor=request.user, round=round_, data=data, dry_run=True, via="web")
    except WorkbookRefused as err:  # the reader changed since the upload: start again
        uploads.forget(request, digest, kind="xlsx")
        return _upload_page(request, round_, XlsxUploadForm(), status=400, error=str(err))
    return _preview_page(request, round_, report, entry["name"], digest)


def _preview_page(
    request: AuthedRequest,
    round_: Round,
    report: ImportReport,
    name: str,
    digest: str,
    *,
    status: int = 200,
    refused: bool = False,
) -> HttpResponse:
    changes = Paginator(report.changes, PAGE_SIZE).get_page(request.GET.get("page"))
    errors = Paginator(report.errors, PAGE_SIZE).get_page(request.GET.get("errors_page"))
    here = reverse("reports:xlsx-import-preview", args=[round_.pk, digest])
    return render(
        request,
        "reports/xlsx_preview.html",
        {
            "round": round_,
            "report": report,
            "name": name,
            "digest": digest,
            "changes": changes,
            "errors": errors,
            "changes_nav": _page_links(changes, lambda n: f"{here}?page={n}&errors_page={errors.number}"),
            "errors_nav": _page_links(errors, lambda n: f"{here}?page={changes.number}&errors_page={n}"),
            "max_errors": MAX_ERRORS,
            "refused": refused,
        },
        status=status,
    )


def _page_links(page: Page, url: Callable[[int], str]) -> list[dict[str, Any]]:
    """Links to the pages around this one and at both ends ("…" between): a few, however many pages."""
    if not page.has_other_pages():
        return []
    return [
        {"number": n, "url": url(n), "current": n == page.number}
        if isinstance(n, int)
        else {"number": None, "url": "", "current": False}
        for n in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1)
    ]


@login_required
@require_POST
def xlsx_import_confirm(request: AuthedRequest, round_id: int) -> HttpResponse:
    round_ = _clerk_round(request, round_id)
    digest = request.POST.get("digest", "")
    data, entry = _kept(request, round_, digest)
    try:
        report = workbook_import(actor=request.user, round=round_, data=data, dry_run=False, via="web")
    except WorkbookRefused as err:
        uploads.forget(request, digest, kind="xlsx")
        return _upload_page(request, round_, XlsxUploadForm(), status=400, error=str(err))
    if not report.applied:
        # A row error found now (the ledger changed since the dry run, or a forged confirm):
        # nothing was applied; record the refusal and show what stands in the way.
        services.record_refusal(
            actor=request.user,
            action="round.xlsx_import",
            obj=round_,
            reason=f"{report.error_count} 行无法导入，未作任何修改",
        )
        return _preview_page(request, round_, report, entry["name"], digest, status=409, refused=True)
    uploads.forget(request, digest, kind="xlsx")
    if report.changes:
        messages.success(
            request,
            f"已导入台账“{entry['name']}”："
            f"{report.measures_changed} 条措施，共 {len(report.changes)} 项修改。",
        )
    else:
        messages.info(request, "台账与系统中的数据一致，没有需要导入的修改。")
    return redirect("web:round-detail", pk=round_.pk)


# --- the uploaded bytes between the dry run and the confirmation (http.uploads, kind "xlsx") ----------


def _kept(request: AuthedRequest, round_: Round, digest: str) -> tuple[bytes, dict[str, Any]]:
    """This user's upload for this round, unaltered, or 404."""
    entry = uploads.entry(request, digest, kind="xlsx")
    data = uploads.load(request, digest, kind="xlsx") if entry and entry.get("round") == round_.pk else None
    if data is None or entry is None:
        raise Http404(GONE)
    return data, entry
