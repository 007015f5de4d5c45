"""搜索与筛选: measures across the user's units, by status, owner, deadline, overdue and text."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from zhenggai.accounts.actors import Viewer
from zhenggai.audit import stamps
from zhenggai.http.authed import AuthedRequest
from zhenggai.ledger import paging, selectors
from zhenggai.ledger.models import Round
from zhenggai.ledger.selectors import MeasureFilters
from zhenggai.supervision.selectors.desks import attach_tiers
from zhenggai.units import selectors as unit_selectors
from zhenggai.units.models import Unit

from ..forms import SearchForm, model_choices
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
    *,
    user: Viewer,
    round: Round | None = None,
    bounds: tuple[bool, bool] | None = None,
    named: tuple[bool, bool] = (True, True),
) -> dict[str, Any]:
    """The ``SearchForm`` arguments of 责任人 and 责任部门: those of the user's scope (of
    ``round``'s unit, for a round's page), each typed by name (``*_by_name``) when beyond
    ``CHOICES_BOUND``. Two capped counts, unless ``bounds`` (people, departments) says what
    they gave; nothing is listed here. A queryset only validates the id a query names: with
    ``named`` false for people (departments), none is named, and an empty one stands in (its
    select lists the kept options, ``scope_options``)."""
    people: QuerySet[Any] = get_user_model().objects.none()
    departments: QuerySet[Any] = Unit.objects.none()
    if round is None:
        # The choices need their names only (a form renders a whole model per option otherwise).
        if named[0]:
            people = unit_selectors.people_for_user(user=user).only("display_name", "username")
        if named[1] or bounds is None:
            departments = unit_selectors.departments_for_user(user=user).only("name")
    else:
        if named[0]:
            people = unit_selectors.members_of(round.unit)
        if named[1] or bounds is None:
            departments = unit_selectors.departments_under(round.unit)
    if bounds is None:
        under = None if round is None else round.unit
        roles = unit_selectors.memberships_for_user(user=user, under=under)
        # Roles, not people: counting people is a DISTINCT over all of them (one per role errs long).
        bounds = (beyond_bound(roles), beyond_bound(departments))
        if not named[1]:
            departments = departments.none()
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


#: Users whose search options a process keeps (the least recently viewed dropped first).
KEPT_USERS = 128


@dataclass(frozen=True)
class ScopeOptions:
    """The options of the search's selects for the user's whole scope, as (id, label): the
    rounds newest first, the people and departments by name; None for those beyond
    ``CHOICES_BOUND``, typed by name instead."""

    rounds: tuple[tuple[int, str], ...]
    people: tuple[tuple[int, str], ...] | None
    departments: tuple[tuple[int, str], ...] | None


_kept: stamps.Kept[ScopeOptions] = stamps.Kept(KEPT_USERS)


def _listed(qs: QuerySet[Any]) -> tuple[tuple[int, str], ...]:
    """What a ``ModelChoiceField`` of ``qs`` lists: each row's id and ``str()``."""
    return tuple((row.pk, str(row)) for row in qs)


def scope_options(user: Viewer, rounds: QuerySet[Round]) -> ScopeOptions:
    """The options of the user's selects (``rounds``: the rounds he sees, in their order), kept
    by the process under the change stamp (``audit.stamps``) for the same roles: a person, a
    department or a round added, renamed or removed is an audited change, and the next page
    lists again. Listing them was five queries and a quarter of the page's time."""
    roles = tuple(sorted((m.unit_id, str(m.role)) for m in unit_selectors.memberships_of(user)))

    def make() -> ScopeOptions:
        choices = choice_kwargs(user=user)
        return ScopeOptions(
            rounds=_listed(rounds),
            people=None if choices["people_by_name"] else _listed(choices["people"]),
            departments=None if choices["departments_by_name"] else _listed(choices["departments"]),
        )

    return _kept.get(("search-options", user.pk, roles, CHOICES_BOUND), make)


@login_required
def search(request: AuthedRequest) -> HttpResponse:
    rounds = selectors.round_list_for_user(user=request.user).order_by("-created_at", "-id")
    # The select needs each round's id and title (not its whole row and its unit's).
    listed = rounds.select_related(None).only("title")
    options = scope_options(request.user, listed)
    choices = choice_kwargs(
        user=request.user,
        bounds=(options.people is None, options.departments is None),
        named=(bool(request.GET.get("person")), bool(request.GET.get("department"))),
    )
    if choices["people_by_name"] or choices["departments_by_name"]:
        # A large scope: the round chosen (a round's 搜索本轮措施) may be small enough to list.
        round_ = _round_named(request, rounds)
        if round_ is not None:
            in_round = choice_kwargs(user=request.user, round=round_)
            for kind in ("people", "departments"):
                if choices[f"{kind}_by_name"] and not in_round[f"{kind}_by_name"]:
                    choices[kind], choices[f"{kind}_by_name"] = in_round[kind], False
    form = SearchForm(request.GET or None, rounds=listed, renderer=FORM_RENDERER, **choices)
    # The kept options, not a query each; the querysets still validate an id given.
    listings = {"round": options.rounds, "person": options.people, "department": options.departments}
    for name, kept in listings.items():
        if kept is not None:
            field = model_choices(form, name)
            field.widget.choices = [("", field.empty_label), *kept]
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
