"""搜索与筛选: measures across the user's units, by status, owner, deadline, overdue and text."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render

from zhenggai.http.authed import AuthedRequest
from zhenggai.ledger import selectors
from zhenggai.ledger.selectors import MeasureFilters
from zhenggai.supervision.selectors.desks import attach_tiers
from zhenggai.units import selectors as unit_selectors

from ..forms import SearchForm
from .common import page_number

PER_PAGE = 50


def filters_from(data: dict[str, Any], *, round_id: int | None = None) -> MeasureFilters:
    """The selector's filters from a valid search form."""
    round_ = data.get("round")
    return MeasureFilters(
        round=round_id or (round_.pk if round_ else None),
        status=data.get("status") or None,
        department=data["department"].pk if data.get("department") else None,
        person=data["person"].pk if data.get("person") else None,
        deadline_from=data.get("deadline_from"),
        deadline_to=data.get("deadline_to"),
        overdue=bool(data.get("overdue")),
        text=data.get("q") or "",
    )


@login_required
def search(request: AuthedRequest) -> HttpResponse:
    form = SearchForm(
        request.GET or None,
        rounds=selectors.round_list_for_user(user=request.user).order_by("-created_at", "-id"),
        people=unit_selectors.people_for_user(user=request.user),
        departments=unit_selectors.departments_for_user(user=request.user),
    )
    rows = selectors.empty_measures()
    if not form.is_bound or form.is_valid():
        data = form.cleaned_data if form.is_bound else {}
        rows = selectors.measure_search(
            user=request.user, filters=filters_from(data), unassigned=bool(data.get("unassigned"))
        )
    page = Paginator(rows, PER_PAGE).get_page(page_number(request))
    page.object_list = attach_tiers(page.object_list)  # the warning colours: one query for the page
    q = request.GET.copy()
    q.pop("page", None)
    return render(request, "web/search.html", {"form": form, "page": page, "querystring": q.urlencode()})
