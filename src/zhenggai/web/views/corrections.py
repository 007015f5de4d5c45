"""Corrections of a round's findings tree, and deletion with a reason and its restore.

The clerk's page of one category, issue or problem (``finding_correct``) gathers what can be
corrected: number, title and description (posted to ``problem-edit``), the order among its
siblings, another parent, a split in two, a merge of a sibling, a deletion. Deleted problems
are listed on the round's page (已删除), deleted rounds on their own page; a deleted round's
pages are 404 for everyone, and only its restore is reachable. Every action is POST-only and
a refused one is recorded (``refusals_recorded``, ``require_allowed``).
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from zhenggai.errors import InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import Conflict, action_view, refusals_recorded, require_allowed
from zhenggai.ledger import policy, selectors, services
from zhenggai.ledger.models import Finding, FindingKind, Measure, ProblemStatus
from zhenggai.units import selectors as unit_selectors

from ..forms import (
    DeleteForm,
    FindingEditForm,
    FindingMergeForm,
    FindingParentForm,
    FindingSplitForm,
    MoveForm,
    add_service_error,
)

NOT_CLERK = "您没有权限更正问题清单（只有本单位整改办工作人员可以）"


def _parents(request: AuthedRequest, finding: Finding) -> QuerySet[Finding]:
    """Where ``finding`` may go: the round's nodes of a higher level, within the user's
    clearance, not the node itself (the service refuses a descendant and says why)."""
    rank = policy.KIND_RANK[finding.kind]
    higher = [k for k, r in policy.KIND_RANK.items() if r < rank]
    return (
        selectors.finding_parents(round=finding.round)
        .filter(selectors.finding_cleared_q(request.user), kind__in=higher)
        .exclude(pk=finding.pk)
    )


def _measures(request: AuthedRequest, finding: Finding) -> QuerySet[Measure]:
    return finding.measures.filter(selectors.measure_cleared_q(request.user)).order_by("position", "id")


def _merge_candidates(request: AuthedRequest, finding: Finding) -> QuerySet[Finding]:
    return (
        Finding.objects.filter(
            selectors.finding_cleared_q(request.user),
            round_id=finding.round_id,
            parent_id=finding.parent_id,
            kind=FindingKind.PROBLEM,
            status=ProblemStatus.OPEN,
        )
        .exclude(pk=finding.pk)
        .order_by("position", "id")
    )


def _correct_page(
    request: AuthedRequest, finding: Finding, *, forms: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    forms = forms or {}
    actions = policy.allowed_actions(request.user, finding)
    require_allowed(request, "edit" in actions, action="finding.update", obj=finding, reason=NOT_CLERK)
    initial = {"number": finding.number, "title": finding.title, "description": finding.description}
    return render(
        request,
        "web/corrections/finding.html",
        {
            "finding": finding,
            "round": finding.round,
            "path": selectors.finding_path(finding),
            "actions": actions,
            "edit_form": forms.get("edit") or FindingEditForm(initial=initial),
            "parent_form": forms.get("parent")
            or FindingParentForm(parents=_parents(request, finding), initial={"parent": finding.parent_id}),
            "split_form": (forms.get("split") or FindingSplitForm(measures=_measures(request, finding)))
            if "split" in actions
            else None,
            "merge_form": (forms.get("merge") or FindingMergeForm(others=_merge_candidates(request, finding)))
            if "merge" in actions
            else None,
            "delete_form": forms.get("delete") or DeleteForm(),
            "open_form": next(iter(forms), ""),
        },
        status=status,
    )


@login_required
def finding_correct(request: AuthedRequest, pk: int) -> HttpResponse:
    """The clerk's corrections of one category, issue or problem (GET; each form posts apart)."""
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    return _correct_page(request, finding)


def _back(finding: Finding) -> str:
    return reverse("web:finding-correct", args=[finding.pk])


def _round_back(finding: Finding) -> str:
    return reverse("web:round-detail", args=[finding.round_id])


@action_view
def finding_move(request: AuthedRequest, pk: int) -> HttpResponse:
    """Up or down among its siblings (``direction``)."""
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        raise Conflict("方向不正确", _back(finding), status=400, recorded=False)
    with refusals_recorded(
        request, action="finding.move", obj=finding, back=_back(finding), gone_back=_round_back(finding)
    ):
        services.finding_move(actor=request.user, finding=finding, direction=form.cleaned_data["direction"])
    messages.success(request, "已调整顺序。")
    return redirect(_back(finding))


@action_view
def finding_reparent(request: AuthedRequest, pk: int) -> HttpResponse:
    """Under another category or issue of the round (a category: to the top level)."""
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    form = FindingParentForm(request.POST, parents=_parents(request, finding))
    if form.is_valid():
        parent = form.cleaned_data["parent"]
        try:
            with refusals_recorded(
                request,
                action="finding.move",
                obj=finding,
                back=_back(finding),
                gone_back=_round_back(finding),
            ):
                services.finding_move(
                    actor=request.user, finding=finding, parent=parent, to_top=parent is None
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已移动。")
            return redirect(_back(finding))
    return _correct_page(request, finding, forms={"parent": form}, status=400)


@action_view
def finding_split(request: AuthedRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    form = FindingSplitForm(request.POST, measures=_measures(request, finding))
    if form.is_valid():
        data = dict(form.cleaned_data)
        ids = [m.pk for m in data.pop("measures")]
        try:
            with refusals_recorded(
                request,
                action="finding.split",
                obj=finding,
                back=_back(finding),
                gone_back=_round_back(finding),
            ):
                new = services.finding_split(actor=request.user, finding=finding, measure_ids=ids, **data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"已拆分出新问题“{new.title}”，{len(ids)} 条措施已移至新问题。")
            return redirect("web:problem-detail", pk=new.pk)
    return _correct_page(request, finding, forms={"split": form}, status=400)


@action_view
def finding_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    form = FindingMergeForm(request.POST, others=_merge_candidates(request, finding))
    if form.is_valid():
        other = form.cleaned_data["other"]
        try:
            with refusals_recorded(
                request,
                action="finding.merge",
                obj=finding,
                back=_back(finding),
                gone_back=_round_back(finding),
            ):
                services.finding_merge(actor=request.user, finding=finding, other=other)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(
                request, f"已将“{other.title}”并入本问题，原问题已删除（可在本轮次“已删除”中恢复）。"
            )
            return redirect("web:problem-detail", pk=finding.pk)
    return _correct_page(request, finding, forms={"merge": form}, status=400)


@action_view
def finding_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    form = DeleteForm(request.POST)
    if form.is_valid():
        try:
            with refusals_recorded(
                request,
                action="finding.delete",
                obj=finding,
                back=_back(finding),
                gone_back=_round_back(finding),
            ):
                services.finding_delete(
                    actor=request.user, finding=finding, reason=form.cleaned_data["reason"]
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"已删除“{finding.title}”，可在本页“已删除”中恢复。")
            return redirect(_round_back(finding))
    return _correct_page(request, finding, forms={"delete": form}, status=400)


@action_view
def finding_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_restore(user=request.user, pk=pk)
    back = _round_back(finding)
    with refusals_recorded(request, action="finding.restore", obj=finding, back=back):
        services.finding_restore(actor=request.user, finding=finding)
    messages.success(request, f"已恢复“{finding.title}”及随之删除的下级问题和整改措施。")
    return redirect(back)


# --- rounds ---------------------------------------------------------------------------------------


@action_view
def round_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.round_get_for_user(user=request.user, pk=pk)
    back = reverse("web:round-detail", args=[round_.pk])
    allowed = "delete" in policy.allowed_actions(request.user, round_)
    require_allowed(
        request,
        allowed,
        action="round.delete",
        obj=round_,
        reason="您没有权限删除巡察轮次（只有本单位整改办工作人员可以）",
    )
    form = DeleteForm(request.POST)
    if not form.is_valid():
        raise Conflict(
            "；".join(str(e) for e in form.errors.get("reason", [])) or "请写明删除原因",
            back,
            status=400,
            recorded=False,
        )
    with refusals_recorded(request, action="round.delete", obj=round_, back=back):
        services.round_delete(actor=request.user, round=round_, reason=form.cleaned_data["reason"])
    messages.success(request, f"已删除巡察轮次“{round_.title}”，可在“已删除的轮次”中恢复。")
    return redirect("web:round-trash")


@action_view
def round_restore(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = selectors.round_get_for_restore(user=request.user, pk=pk)
    back = reverse("web:round-trash")
    with refusals_recorded(request, action="round.restore", obj=round_, back=back):
        services.round_restore(actor=request.user, round=round_)
    messages.success(request, f"已恢复巡察轮次“{round_.title}”。")
    return redirect("web:round-detail", pk=round_.pk)


@login_required
def round_trash(request: AuthedRequest) -> HttpResponse:
    """Deleted rounds (已删除的轮次) of the units where the user is a clerk, with 恢复."""
    units = unit_selectors.clerk_units(user=request.user)
    if not units:
        raise PermissionDenied("只有整改办工作人员可以查看已删除的轮次")
    rows = [
        r
        for r in selectors.deleted_rounds_for_user(user=request.user)[:500]
        if "restore" in policy.allowed_actions(request.user, r)
    ]
    return render(request, "web/corrections/round_trash.html", {"rounds": rows})
