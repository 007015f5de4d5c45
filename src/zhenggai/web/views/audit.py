"""The audit trail page and its CSV export: for the 审计管理员 only, and every read is itself audited.

Anyone else who is logged in gets 403 (and the refusal is recorded); anonymous visitors go to
the login page. Reads are recorded as ``audit.read`` (with the filters and the page), exports
as ``audit.export`` (with the filters and the number of rows), each in its own transaction
before the response is sent.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from zhenggai.audit.events import describe, describe_outcome
from zhenggai.audit.models import AuditEvent
from zhenggai.audit.services import audit_record, audit_security_event

from ..forms_audit import AuditFilterForm

AUDIT_ROLE = "audit_admin"
PAGE_SIZE = 50


def is_audit_admin(user: Any) -> bool:
    return bool(getattr(user, "is_authenticated", False) and getattr(user, "admin_role", "") == AUDIT_ROLE)


def audit_admin_required(action: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not is_audit_admin(request.user):
                audit_security_event(
                    actor=request.user,
                    action=action,
                    reason="只有审计管理员可以查阅审计记录",
                    detail={"path": request.path},
                )
                raise PermissionDenied("只有审计管理员可以查阅审计记录")
            return view(request, *args, **kwargs)

        return login_required(require_GET(wrapper))

    return decorate


def _querystring(request: HttpRequest) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


@audit_admin_required("audit.read")
def event_list(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    qs = form.apply(AuditEvent.objects.select_related("actor").order_by("-seq"))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page") or "1")
    audit_record(
        actor=request.user,
        action="audit.read",
        after={"filters": form.filters(), "page": page.number, "rows": len(page.object_list)},
    )
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
            "before": _compact(e.before),
            "after": _compact(e.after),
        }
        for e in events
    ]


def _compact(value: Any) -> str:
    return "" if not value else json.dumps(value, ensure_ascii=False, sort_keys=True)


CSV_HEADER = [
    "序号",
    "时间",
    "操作人",
    "地址",
    "请求编号",
    "事件",
    "事件说明",
    "对象类型",
    "对象编号",
    "单位",
    "结果",
    "修改前",
    "修改后",
    "MAC",
]


def _cell(value: Any) -> str:
    """Text for a spreadsheet: a leading = + - @ would be read as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


class _Echo:
    def write(self, value: str) -> str:
        return value


def _csv_lines(qs: Any) -> Iterator[str]:
    writer = csv.writer(_Echo())
    yield "\ufeff"  # Excel opens UTF-8 CSV correctly only with the byte-order mark
    yield writer.writerow(CSV_HEADER)
    for e in qs.iterator(chunk_size=2000):
        yield writer.writerow(
            [
                _cell(v)
                for v in (
                    e.seq,
                    timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M:%S"),
                    e.actor_name,
                    e.address,
                    e.request_id,
                    e.action,
                    describe(e.action),
                    e.object_type,
                    e.object_id,
                    e.unit_id_ref or "",
                    describe_outcome(e.outcome),
                    _compact(e.before),
                    _compact(e.after),
                    e.mac,
                )
            ]
        )


@audit_admin_required("audit.export")
def event_export(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    # Up to the newest row now: the export event itself (and anything later) is not in the file.
    upto = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    qs = form.apply(AuditEvent.objects.filter(seq__lte=upto).order_by("seq"))
    rows = qs.count()
    audit_record(
        actor=request.user,
        action="audit.export",
        after={"filters": form.filters(), "rows": rows, "upto_seq": upto},
    )
    name = f"audit-{timezone.localtime():%Y%m%d-%H%M%S}.csv"
    response = StreamingHttpResponse(_csv_lines(qs), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
