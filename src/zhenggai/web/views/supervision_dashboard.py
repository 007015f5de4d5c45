"""督办看板 (the supervisor's dashboard), the measures behind each of its figures, and the
整改质量体检 flags of a unit.

The dashboard is for users holding the supervisor role somewhere (others: 403, as the other
pages of one role); a unit's flags only for a supervisor above it (else 404). The drill-down
list is anyone's, scoped to what they may see (a unit or round outside it: 404).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from zhenggai.http.authed import AuthedRequest
from zhenggai.supervision.rules import LEVELS
from zhenggai.supervision.selectors import dashboard as selectors
from zhenggai.supervision.selectors import quality as quality_selectors

from .common import CappedPaginator, number_param, page_number

PER_PAGE = 50
NOT_SUPERVISOR = "只有监督人员（巡察办、纪委监委）可以查看督办看板"


@login_required
def dashboard(request: AuthedRequest) -> HttpResponse:
    if not selectors.is_supervisor(request.user):
        raise PermissionDenied(NOT_SUPERVISOR)
    # ``?unit=``: one of the supervised units or a unit under them (else 404), its subtree alone.
    board = selectors.dashboard_for_user(user=request.user, unit_id=_int(request.GET.get("unit")))
    # Every round is counted; the table shows a page of them (a province has hundreds).
    rounds = Paginator(board.rounds, PER_PAGE).get_page(page_number(request))
    return render(
        request,
        "web/supervision/dashboard/dashboard.html",
        {
            "board": board,
            "levels": LEVELS,
            "chart": board.chart_data,
            "page": rounds,
            "querystring": f"unit={board.unit.pk}" if board.unit else "",
        },
    )


def _int(value: str | None) -> int | None:
    return number_param(value, 11)


@login_required
def measures(request: AuthedRequest) -> HttpResponse:
    g = request.GET
    filters = selectors.DrillFilters(
        unit=_int(g.get("unit")),
        round=_int(g.get("round")),
        tier=g.get("tier", "")[:20],
        status=g.get("status", "")[:20],
        mine=g.get("mine", "")[:10],
        returned=g.get("returned") in ("1", "on"),
        problem=g.get("problem", "")[:20],
        extension=g.get("extension", "")[:20],
    )
    rows = selectors.measure_drilldown(user=request.user, filters=filters)
    page = CappedPaginator(rows, PER_PAGE).get_page(page_number(request))
    q = g.copy()
    q.pop("page", None)
    return render(
        request,
        "web/supervision/dashboard/measures.html",
        {"page": page, "querystring": q.urlencode(), "described": filters.describe()},
    )


@login_required
def quality(request: AuthedRequest, unit_id: int) -> HttpResponse:
    unit = quality_selectors.quality_unit_for_user(user=request.user, unit_id=unit_id)
    report = quality_selectors.quality_report(user=request.user, unit=unit)
    # One reverse() for the page: each case lists its measures.
    measure_url = reverse("web:measure-detail", args=[0]).removesuffix("0/")
    return render(
        request, "web/supervision/dashboard/quality.html", {"report": report, "measure_url": measure_url}
    )
