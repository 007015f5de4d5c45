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
from zhenggai.supervision.rules import LEVELS
from zhenggai.supervision.selectors import desks
from zhenggai.units import selectors as unit_selectors
from zhenggai.units.models import Role


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    roles = unit_selectors.roles_of(user=user)
    tiers = desks.visible_round_tiers(user)
    person = desks.person_desk(user=user, tiers=tiers)
    leader = desks.leader_desk(user=user, tiers=tiers)
    clerk = desks.clerk_desk(user=user, tiers=tiers) if Role.CLERK in roles else None
    head = desks.head_desk(user=user, tiers=tiers) if Role.UNIT_LEADER in roles else None
    supervisor = Role.SUPERVISOR in roles
    close = desks.ready_to_close(user=user) if supervisor else []
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
        "more_url": reverse("supervision:dashboard-measures"),
    }
    return render(request, "web/home.html", context)
