"""我的任务: the home page is each role's desk (整改办, 责任领导, 责任人, 第一责任人, 监督人员).

Every desk is a selector of ``supervision.selectors.desks`` with a fixed number of queries;
the page shows the desks of the roles the user holds (and the 责任人/责任领导 desks of anyone
named on a measure, whatever their role).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from zhenggai.http.authed import AuthedRequest
from zhenggai.ledger import paging
from zhenggai.supervision.rules import LEVELS
from zhenggai.supervision.selectors import desks
from zhenggai.units import selectors as unit_selectors
from zhenggai.units.models import Role

#: Items each list of the page shows; the rest is a click away ("查看全部", a paged list).
BOX_SIZE = 50


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.GET.get("box") == "close":
        return _close_list(request)
    # The memberships the desks read anyway (kept on the user), not a query of their own.
    roles = {m.role for m in unit_selectors.memberships_of(user)}
    tiers = desks.visible_round_tiers(user)
    # The problems labelled above his clearance, found once for every desk.
    hidden = desks.hidden_findings(user=user, round_ids=tiers)
    person = desks.person_desk(user=user, tiers=tiers, hidden=hidden)
    leader = desks.leader_desk(user=user, tiers=tiers, hidden=hidden)
    clerk = desks.clerk_desk(user=user, tiers=tiers) if Role.CLERK in roles else None
    head = desks.head_desk(user=user, tiers=tiers, hidden=hidden) if Role.UNIT_LEADER in roles else None
    supervisor = Role.SUPERVISOR in roles
    close = paging.ready_to_close_page(user=user, size=BOX_SIZE) if supervisor else None
    context = {
        "person": person,
        "leader": leader if (Role.RESPONSIBLE_LEADER in roles or leader.total) else None,
        "clerk": clerk,
        "head": head,
        "supervisor": supervisor,
        "close": close,
        "levels": LEVELS,
        # One reverse() for the page: the boxes hold up to 50 measures each.
        "measure_url": reverse("web:measure-detail", args=[0]).removesuffix("0/"),
        "problem_url": reverse("web:problem-detail", args=[0]).removesuffix("0/"),
        "more_url": reverse("supervision:dashboard-measures"),
    }
    return render(request, "web/home.jinja", context)


def _close_list(request: AuthedRequest) -> HttpResponse:
    """可销号 in full, a keyset page at a time (the home page shows its first ``BOX_SIZE``)."""
    page = paging.ready_to_close_page(
        user=request.user, after=request.GET.get("after", ""), size=BOX_SIZE
    )
    return render(
        request,
        "web/close_list.jinja",
        {"page": page, "problem_url": reverse("web:problem-detail", args=[0]).removesuffix("0/")},
    )
