"""Rounds: the list, building one by hand, the overview, signing, the measure list and bulk assignment."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from zhenggai.errors import InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import action_view, refusals_recorded, require_allowed
from zhenggai.ledger import paging, policy, selectors, services
from zhenggai.ledger.models import Finding, MeasureKind, Round
from zhenggai.supervision.selectors.desks import attach_tiers
from zhenggai.units import selectors as unit_selectors
from zhenggai.units.selectors import members_of

from .. import presenters
from ..forms import BulkAssignForm, DeleteForm, FindingForm, RoundForm, SearchForm, add_service_error
from ..jinja import FORM_RENDERER
from .common import number_param, page_number
from .search import choice_kwargs, filters_from

ROUNDS_PER_PAGE = 50
MEASURES_PER_PAGE = 100


@login_required
def round_list(request: AuthedRequest) -> HttpResponse:
    rows = selectors.round_rows(user=request.user, today=selectors.today())
    page = Paginator(rows, ROUNDS_PER_PAGE).get_page(page_number(request))
    return render(
        request,
        "web/rounds/list.html",
        {
            "page": page,
            "is_clerk": bool(unit_selectors.clerk_units(user=request.user)),
        },
    )


@login_required
def round_create(request: AuthedRequest) -> HttpResponse:
    units = unit_selectors.clerk_units(user=request.user)
    if not units:
        raise PermissionDenied("只有整改办工作人员可以新建巡察轮次")
    form = RoundForm(request.POST if request.method == "POST" else None, units=units)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with refusals_recorded(request, action="round.create", obj=data["unit"]):
                round_ = services.round_create(actor=request.user, **data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"已新建巡察轮次“{round_.title}”，请添加问题和整改措施。")
            return redirect("web:round-detail", pk=round_.pk)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/rounds/create.html", {"form": form}, status=status)


#: Problems per page of the overview's tree (with their categories and issues).
TREE_PER_PAGE = 50


def _overview_page(
    request: AuthedRequest, round_: Round | int, *, finding_form: FindingForm | None = None, status: int = 200
) -> HttpResponse:
    """The overview of ``round_``: a round read through a scoped selector, or its id (read, and
    its scope checked, by the overview itself)."""
    overview = paging.round_overview_page(
        user=request.user, round=round_, page=_int(request.GET.get("page")), size=TREE_PER_PAGE
    )
    round_ = overview.round
    signed = overview.signed
    amendments = selectors.amendments_since(round=round_, signature=signed)
    actions = policy.allowed_actions(
        request.user, round_, measures=overview.tally.measure_total, signed=signed, amendments=amendments
    )
    if "add_finding" in actions and finding_form is None:
        finding_form = FindingForm(parents=_parents(request, round_), renderer=FORM_RENDERER)
    # The clerk's recycle bin (已删除) and the round's own deletion.
    deleted = selectors.deleted_findings(user=request.user, round=round_) if "trash" in actions else []
    return render(
        request,
        "web/rounds/detail.jinja",
        {
            "round": round_,
            "overview": overview,
            "tally": overview.tally,
            "status_counts": presenters.status_counts(overview.tally),
            "tree": presenters.tree_table_body(
                presenters.tree_page_rows(overview.rows),
                # One reverse() for the page, not one per row.
                reverse("web:problem-detail", args=[0]).removesuffix("0/"),
            ),
            "per_page": TREE_PER_PAGE,
            "departments": overview.by_department,
            "outcomes": presenters.summarise_outcomes(list(overview.outcomes)),
            "documents": overview.documents,
            "signed": signed,
            "amendments": amendments,
            "actions": actions,
            "finding_form": finding_form,
            "deleted": deleted,
            "delete_form": DeleteForm(renderer=FORM_RENDERER) if "delete" in actions else None,
        },
        status=status,
    )


def _int(value: str | None) -> int:
    """A page number from the query string (1 for anything else)."""
    return number_param(value, 8) or 1


@login_required
def round_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _overview_page(request, pk)  # read through the scoped selector there


@action_view
def round_sign(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.round_get_for_user(user=request.user, pk=pk)
    back = reverse("web:round-detail", args=[round_.pk])
    with refusals_recorded(request, action="plan.sign", obj=round_, back=back):
        sig = services.plan_sign(actor=request.user, round=round_)
    messages.success(request, f"已签署整改方案第{sig.version}版。")
    return redirect(back)


def _parents(request: AuthedRequest, round_: Round) -> QuerySet[Finding]:
    """Nodes that may take children, within the user's clearance (安全标记, REQ-1.10)."""
    return selectors.finding_parents(round=round_).filter(selectors.finding_cleared_q(request.user))


@action_view
def finding_create(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.round_get_for_user(user=request.user, pk=pk)
    form = FindingForm(request.POST, parents=_parents(request, round_))
    if form.is_valid():
        try:
            with refusals_recorded(request, action="finding.create", obj=round_):
                finding = services.finding_create(actor=request.user, round=round_, **form.cleaned_data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"已添加“{finding.title}”。")
            return redirect("web:round-detail", pk=round_.pk)
    return _overview_page(request, round_, finding_form=form, status=400)


# --- the round's measures and bulk assignment -------------------------------------------------------


def _measures_page(
    request: AuthedRequest, round_: Round, *, assign_form: BulkAssignForm | None = None, status: int = 200
) -> HttpResponse:
    people = members_of(round_.unit)
    departments = unit_selectors.departments_under(round_.unit)
    search = SearchForm(request.GET or None, rounds=None, **choice_kwargs(user=request.user, round=round_))
    rows = selectors.empty_measures()
    if not search.is_bound or search.is_valid():
        data = search.cleaned_data if search.is_bound else {}
        rows = selectors.measure_search(
            user=request.user,
            filters=filters_from(data, round_id=round_.pk),
            unassigned=bool(data.get("unassigned")),
        )
    page = Paginator(rows, MEASURES_PER_PAGE).get_page(page_number(request))
    page.object_list = attach_tiers(page.object_list)  # the warning colour of each row
    actions = policy.allowed_actions(request.user, round_)
    if "assign" in actions and assign_form is None:
        assign_form = BulkAssignForm(
            people=people, departments=departments, initial={"next": request.get_full_path()}
        )
    return render(
        request,
        "web/rounds/measures.html",
        {
            "round": round_,
            "search": search,
            "page": page,
            "actions": actions,
            "assign_form": assign_form,
            "querystring": _querystring_without_page(request),
        },
        status=status,
    )


def _querystring_without_page(request: HttpRequest) -> str:
    q = request.GET.copy()
    q.pop("page", None)
    return q.urlencode()


@login_required
def round_measures(request: AuthedRequest, pk: int) -> HttpResponse:
    return _measures_page(request, selectors.round_get_for_user(user=request.user, pk=pk))


@action_view
def round_assign(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.round_get_for_user(user=request.user, pk=pk)
    form = BulkAssignForm(
        request.POST,
        people=members_of(round_.unit),
        departments=unit_selectors.departments_under(round_.unit),
        round=round_,
    )
    if form.is_valid():
        data: dict[str, Any] = dict(form.cleaned_data)
        ids, nxt = data.pop("measures"), data.pop("next")
        try:
            with refusals_recorded(request, action="measure.assign", obj=round_):
                n = services.measure_assign_bulk(actor=request.user, round=round_, measure_ids=ids, **data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"已为 {n} 条措施设置责任人和时限。")
            # A warning about the deadline given, as the measure page gives it (not a refusal).
            for warning in services.deadline_warnings(round_, data.get("deadline"), MeasureKind.DEADLINE):
                messages.warning(request, warning)
            own = reverse("web:round-measures", args=[round_.pk])
            ok = nxt.startswith(own) and url_has_allowed_host_and_scheme(nxt, allowed_hosts=None)
            return redirect(nxt if ok else own)
    return _measures_page(request, round_, assign_form=form, status=400)


@login_required
def round_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Correct the round's facts (a wrong import, a missing date): the clerk of its unit."""
    round_ = selectors.round_get_for_user(user=request.user, pk=pk)
    allowed = "edit_round" in policy.allowed_actions(request.user, round_)
    reason = "只有整改办工作人员可以修改巡察轮次信息"
    require_allowed(request, allowed, action="round.update", obj=round_, reason=reason)
    initial = {f: getattr(round_, f) for f in services.ROUND_FIELDS}
    form = RoundForm(request.POST if request.method == "POST" else None, units=None, initial=initial)
    if request.method == "POST" and form.is_valid():
        back = reverse("web:round-detail", args=[round_.pk])
        try:
            with refusals_recorded(request, action="round.update", obj=round_, back=back):
                services.round_update(actor=request.user, round=round_, **form.cleaned_data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已保存巡察轮次信息。")
            return redirect(back)
    status = 400 if request.method == "POST" else 200
    return render(request, "web/rounds/edit.html", {"form": form, "round": round_}, status=status)
