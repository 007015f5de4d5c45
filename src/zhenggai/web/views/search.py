"""搜索与筛选: measures across the user's units, by status, owner, deadline, overdue and text."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from zhenggai.http.authed import AuthedRequest
from zhenggai.ledger import paging, selectors
from zhenggai.ledger.selectors import MeasureFilters
from zhenggai.supervision.selectors.desks import attach_tiers
from zhenggai.units import selectors as unit_selectors

from ..forms import SearchForm
from ..jinja import FORM_RENDERER

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
        # The choices need their names only (a form renders a whole model per option otherwise).
        people=unit_selectors.people_for_user(user=request.user).only("display_name", "username"),
        departments=unit_selectors.departments_for_user(user=request.user).only("name"),
        renderer=FORM_RENDERER,
    )
    data: dict[str, Any] | None = {}
    if form.is_bound:
        data = form.cleaned_data if form.is_valid() else None
    if data is None:
        page = paging.KeysetPage([], 0, False)
    else:
        # Keyset pages (下一页 after the last row): the same cost for the 1st page and the 100th.
        page = paging.measure_search_page(
            user=request.user,
            filters=filters_from(data),
            unassigned=bool(data.get("unassigned")),
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            size=PER_PAGE,
        )
    # The warning colours (a row has what a measure has for it): one query for the page.
    attach_tiers(cast("list[Any]", page.rows))
    return render(
        request,
        "web/search.jinja",
        {
            "form": form,
            "page": page,
            "querystring": querystring_without(request, *CURSORS),
            # One reverse() for the page, not one per row.
            "measure_url": reverse("web:measure-detail", args=[0]).removesuffix("0/"),
        },
    )


#: The query parameters of a page's position (dropped from the links that keep the filters).
CURSORS = ("after", "before", "page")


def querystring_without(request: HttpRequest, *names: str) -> str:
    """The request's query string without ``names`` (the filters, kept across pages)."""
    q = request.GET.copy()
    for name in names:
        q.pop(name, None)
    return q.urlencode()
