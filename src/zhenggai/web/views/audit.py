"""The audit trail page and its CSV export: for the 审计管理员 only, and every read is itself audited.

The reading is ``zhenggai.audit.exports``: anyone else who is logged in gets 403 there (and the
refusal is recorded); anonymous visitors go to the login page. Reads are recorded as
``audit.read`` (with the filters and the page), exports as ``audit.export`` (with the filters
and the number of rows), each before the response is sent.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from zhenggai.audit.events import describe, describe_outcome
from zhenggai.audit.exports import AuditFilters, audit_trail_export, audit_trail_read, compact
from zhenggai.http.authed import AuthedRequest

from ..forms_audit import AuditFilterForm


def _filters(form: AuditFilterForm) -> AuditFilters:
    """The form's filters; none while it is unbound or invalid (its errors are shown)."""
    if not form.is_bound or not form.is_valid():
        return AuditFilters()
    return AuditFilters(**form.cleaned_data)


def _querystring(request: HttpRequest) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


@login_required
@require_GET
def event_list(request: AuthedRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    page = audit_trail_read(actor=request.user, filters=_filters(form), page=request.GET.get("page"))
    return render(
        request,
        "audit/list.html",
        {"form": form, "page": page, "querystring": _querystring(request), "rows": _rows(page.object_list)},
    )


def _rows(events: Any) -> list[dict[str, Any]]:
    return [
        {
            "e": e,
            "action_label": describe(e.action),
            "outcome_label": describe_outcome(e.outcome),
            "before": compact(e.before),
            "after": compact(e.after),
        }
        for e in events
    ]


@login_required
@require_GET
def event_export(request: AuthedRequest) -> StreamingHttpResponse:
    export = audit_trail_export(actor=request.user, filters=_filters(AuditFilterForm(request.GET or None)))
    response = StreamingHttpResponse(export.lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{export.name}"'
    response["Cache-Control"] = "no-store"
    return response
