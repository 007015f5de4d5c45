"""我的任务: what the user must do, overdue first."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse

from zhenggai.http.authed import AuthedRequest
from zhenggai.ledger import selectors
from zhenggai.units import selectors as unit_selectors
from zhenggai.units.models import Role

# key, heading, what it holds, empty state, the role it concerns (None: everyone)
SECTIONS = [
    ("todo", "待我整改", "您是责任人、尚未完成的整改措施", "暂无需要您整改的措施", None),
    ("review", "待我审核", "已提交、等待您审核的整改措施", "暂无待审核的措施", Role.UNIT_LEADER),
    ("unassigned", "待分配", "尚未指定责任人的整改措施", "所有措施都已分配责任人", Role.CLERK),
    ("close", "可销号", "整改措施已全部完成、可以对账销号的问题", "暂无可销号的问题", Role.SUPERVISOR),
]


@login_required
def home(request: AuthedRequest) -> HttpResponse:
    tasks = selectors.my_tasks(user=request.user)
    roles = unit_selectors.roles_of(user=request.user)
    sections = [
        {"key": key, "title": title, "hint": hint, "empty": empty, "items": tasks[key]}
        for key, title, hint, empty, role in SECTIONS
        if role is None or role in roles or tasks[key]
    ]
    # One reverse() for the page: the lists hold up to 500 measures each.
    measure_url = reverse("web:measure-detail", args=[0]).removesuffix("0/")
    return render(request, "web/home.html", {"sections": sections, "measure_url": measure_url})
