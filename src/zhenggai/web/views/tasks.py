"""我的任务: the home page is each role's desk (整改办, 责任领导, 责任人, 第一责任人, 监督人员).

Every desk is a selector of ``supervision.selectors.desks`` with a fixed number of queries;
the page shows the desks of the roles the user holds (and the 责任人/责任领导 desks of anyone
named on a measure, whatever their role), kept between changes (``selectors.home``).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from zhenggai.http.authed import AuthedRequest
from zhenggai.ledger import paging
from zhenggai.supervision.rules import LEVELS
from zhenggai.supervision.selectors.home import home_desks

#: Items each list of the page shows; the rest is a click away ("查看全部", a paged list).
BOX_SIZE = 50


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if request.GET.get("box") == "close":
        return _close_list(request)
    found = home_desks(user=user, box_size=BOX_SIZE)
    context = {
        "person": found.person,
        "leader": found.leader,
        "clerk": found.clerk,
        "head": found.head,
        "supervisor": found.supervisor,
        "close": found.close,
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
