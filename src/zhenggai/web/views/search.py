"""搜索与筛选: measures across the user's units, by status, owner, deadline, overdue and text."""

from __future__ import annotations

import time
from typing import Any, cast

from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from zhenggai.accounts.actors import Viewer
from zhenggai.http.authed import AuthedRequest
from zhenggai.ledger import paging, selectors
from zhenggai.ledger.models import Round
from zhenggai.ledger.selectors import MeasureFilters
from zhenggai.supervision.selectors.desks import attach_tiers
from zhenggai.units import selectors as unit_selectors

from ..forms import SearchForm
from ..jinja import FORM_RENDERER
from .common import number_param

PER_PAGE = 50

#: The most people (or departments) 责任人 (责任部门) lists as a select. Beyond it they are typed
#: and matched by name: a province's 18,000 people made a page of 1 MB and a query of 0.1 s.
CHOICES_BOUND = 200


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
        department_name=data.get("department_name") or "",
        person_name=data.get("person_name") or "",
    )


def beyond_bound(qs: QuerySet[Any]) -> bool:
    """Whether ``qs`` has more than ``CHOICES_BOUND`` rows, reading at most one more than that."""
    return qs.order_by().values("pk")[: CHOICES_BOUND + 1].count() > CHOICES_BOUND


def choice_kwargs(
    *, user: Viewer, round: Round | None = None, bounds: tuple[bool, bool] | None = None
) -> dict[str, Any]:
    """The ``SearchForm`` arguments of 责任人 and 责任部门: those of the user's scope (of
    ``round``'s unit, for a round's page), each typed by name (``*_by_name``) when beyond
    ``CHOICES_BOUND``. Two capped counts, unless ``bounds`` (people, departments) says what
    they gave; nothing is listed here."""
    if round is None:
        # The choices need their names only (a form renders a whole model per option otherwise).
        people = unit_selectors.people_for_user(user=user).only("display_name", "username")
        departments = unit_selectors.departments_for_user(user=user).only("name")
        roles = unit_selectors.memberships_for_user(user=user)
    else:
        people = unit_selectors.members_of(round.unit)
        departments = unit_selectors.departments_under(round.unit)
        roles = unit_selectors.memberships_for_user(user=user, under=round.unit)
    if bounds is None:
        # Roles, not people: counting people is a DISTINCT over all of them (one per role errs long).
        bounds = (beyond_bound(roles), beyond_bound(departments))
    return {
        "people": people,
        "departments": departments,
        "people_by_name": bounds[0],
        "departments_by_name": bounds[1],
    }


def _round_named(request: AuthedRequest, rounds: QuerySet[Round]) -> Round | None:
    """The visible round the query names (``round=<id>``), if any: one query by primary key."""
    pk = number_param(request.GET.get("round"), 18)
    return None if pk is None else rounds.filter(pk=pk).first()


#: How long the session keeps whether the user's 责任人/责任部门 are typed by name (two capped
#: counts that change when people join or leave a scope, not from one page to the next).
BOUNDS_SECONDS = 300
_BOUNDS = "zhenggai.search_bounds"


def _scope_choice_kwargs(request: AuthedRequest) -> dict[str, Any]:
    """``choice_kwargs`` of the user's whole scope, its two capped counts kept in the session for
    ``BOUNDS_SECONDS`` and for the same roles (a role given or taken counts again). A person
    added near the bound shows in the select, or is typed, at most that much later. They are
    kept when the session is saved anyway, so they are counted for up to a minute at first."""
    user = request.user
    roles = sorted([m.unit_id, str(m.role)] for m in unit_selectors.memberships_of(user))
    now = time.time()
    got = request.session.get(_BOUNDS)
    kept: dict[str, Any] = got if isinstance(got, dict) else {}
    if kept.get("roles") == roles and 0 <= now - kept.get("at", 0) < BOUNDS_SECONDS:
        return choice_kwargs(user=user, bounds=(bool(kept.get("people")), bool(kept.get("departments"))))
    choices = choice_kwargs(user=user)
    if request.session.modified:
        # Only with a save the request makes anyway (the idle time is stamped once a minute): a
        # page read writes nothing of its own.
        request.session[_BOUNDS] = {
            "roles": roles,
            "at": now,
            "people": choices["people_by_name"],
            "departments": choices["departments_by_name"],
        }
    return choices


@login_required
def search(request: AuthedRequest) -> HttpResponse:
    rounds = selectors.round_list_for_user(user=request.user).order_by("-created_at", "-id")
    choices = _scope_choice_kwargs(request)
    if choices["people_by_name"] or choices["departments_by_name"]:
        # A large scope: the round chosen (a round's 搜索本轮措施) may be small enough to list.
        round_ = _round_named(request, rounds)
        if round_ is not None:
            in_round = choice_kwargs(user=request.user, round=round_)
            for kind in ("people", "departments"):
                if choices[f"{kind}_by_name"] and not in_round[f"{kind}_by_name"]:
                    choices[kind], choices[f"{kind}_by_name"] = in_round[kind], False
    # The select needs each round's id and title (not its whole row and its unit's).
    listed = rounds.select_related(None).only("title")
    form = SearchForm(request.GET or None, rounds=listed, renderer=FORM_RENDERER, **choices)
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
