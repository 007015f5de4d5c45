"""A measure: its history and the forms each role may use on it.

The clerk edits (with a version against stale pages), splits, reorders and deletes;
the responsible person reports progress with evidence and submits; the unit
leader approves, marks 阶段性完成 or returns; the clerk or unit leader sets its 安全标记
(REQ-1.10; what counts is the higher of the measure's and its problem's).
"""

from __future__ import annotations

import datetime as dt
from contextlib import AbstractContextManager
from typing import Any, cast

from django import forms as djforms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from zhenggai.accounts.models import Sensitivity
from zhenggai.errors import DuplicateSubmission, InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import (
    Conflict,
    action_view,
    conflict_response,
    refusals_recorded,
)
from zhenggai.ledger import policy, selectors, services
from zhenggai.ledger.models import Measure, MeasureStatus, Progress
from zhenggai.units import selectors as unit_selectors
from zhenggai.units.selectors import members_of

from .. import presenters
from ..forms import MeasureEditForm, MoveForm, ProgressForm, ReviewForm, SplitForm, add_service_error
from ..templatetags.zhenggai import zdatetime
from .common import LabelForm, label_badge, label_choices

# The audit action of each review decision, as the service names it.
REVIEW_ACTIONS = {
    "approve": "measure.approve",
    "approve_stage": "measure.approve_stage",
    "return": "measure.return",
}
# The same for the responsible leader's pre-review (责任领导审核).
LEADER_REVIEW_ACTIONS = {
    "approve": "measure.leader_approve",
    "approve_stage": "measure.leader_approve",
    "return": "measure.leader_return",
}


def _edit_form(measure: Measure, data: Any = None) -> MeasureEditForm:
    return MeasureEditForm(
        data,
        people=members_of(measure.unit),
        departments=unit_selectors.departments_under(measure.unit),
        initial=MeasureEditForm.initial_for(measure),
        round=measure.round,
    )


LABEL_FIELDS = {"sensitivity": "安全标记", "effective": "按此标记管理"}
LABEL_NAMES = dict(Sensitivity.choices)


def _label_rows(rows: list[presenters.HistoryRow]) -> list[presenters.HistoryRow]:
    """``label.change`` and the 责任领导预审 events read in Chinese (until ``presenters.AUDIT_ACTIONS``
    knows them)."""
    for row in rows:
        for action in ("submit_leader", "leader_approve"):
            if row.title.endswith(f"measure.{action}"):
                row.title = row.title.replace(f"measure.{action}", policy.ACTION_ZH[action])
        if row.title.endswith("label.change"):
            row.title = row.title.replace("label.change", "设置安全标记")
            row.changes = [
                (LABEL_FIELDS.get(k, k), LABEL_NAMES.get(old, old), LABEL_NAMES.get(new, new))
                for k, old, new in row.changes
            ]
    return rows


def _measure_page(
    request: AuthedRequest,
    measure: Measure,
    *,
    forms: dict[str, djforms.Form] | None = None,
    status: int = 200,
    alert: str = "",
    rejected: dict[str, Any] | None = None,
) -> HttpResponse:
    """The measure page; ``forms`` replaces the blank form of a section (with its errors).

    What it offers is ``policy.allowed_actions`` (``actions``); the template tests membership.
    """
    forms = forms or {}
    user = request.user
    history = _label_rows(presenters.history_rows(selectors.measure_history(measure=measure)))
    has_progress = any(row.kind == "progress" for row in history)
    actions = policy.allowed_actions(user, measure, has_progress=has_progress)
    ctx: dict[str, Any] = {
        "measure": measure,
        "round": measure.round,
        "finding": measure.finding,
        "path": [*selectors.finding_path(measure.finding), measure.finding],
        "history": history,
        "actions": actions,
        "is_owner": policy.is_responsible(user, measure),
        "alert": alert,
        "rejected": rejected,
        "open_form": next(iter(forms), ""),
        "prereview": measure.round.leader_prereview,
        # The latest return, shown at the top while the measure is back at work after it.
        "last_return": (
            selectors.last_returns([measure.pk]).get(measure.pk)
            if measure.status == MeasureStatus.IN_PROGRESS
            else None
        ),
    }
    if "edit" in actions:
        ctx["edit_form"] = forms.get("edit") or _edit_form(measure)
    if "split" in actions:
        ctx["split_form"] = forms.get("split") or SplitForm(
            initial={"texts": measure.text, "version": measure.version}
        )
    if "progress" in actions:
        ctx["progress_form"] = forms.get("progress") or ProgressForm()
    if "review" in actions or "leader_review" in actions:
        ctx["review_form"] = forms.get("review") or ReviewForm()
    ctx["label"] = label_badge(selectors.effective_sensitivity(measure))
    ctx["own_label"] = label_badge(measure.sensitivity)
    if "label" in actions:
        ctx["label_form"] = forms.get("label") or LabelForm(
            initial={"sensitivity": measure.sensitivity}, offered=label_choices(user)
        )
    return render(request, "web/measures/detail.html", ctx, status=status)


def _get(request: AuthedRequest, pk: int) -> tuple[Measure, str]:
    measure = selectors.measure_get_for_user(user=request.user, pk=pk)
    return measure, reverse("web:measure-detail", args=[measure.pk])


def _recorded(request: AuthedRequest, action: str, measure: Measure) -> AbstractContextManager[None]:
    """``refusals_recorded`` for a measure: back to its page, or to its problem's if it is gone."""
    return refusals_recorded(
        request,
        action=action,
        obj=measure,
        back=reverse("web:measure-detail", args=[measure.pk]),
        gone_back=reverse("web:problem-detail", args=[measure.finding_id]),
    )


@login_required
def measure_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    measure = selectors.measure_get_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        return measure_label(request, measure)
    return _measure_page(request, measure)


def measure_label(request: AuthedRequest, measure: Measure) -> HttpResponse:
    """Set the measure's own 安全标记 (posted to the measure's own page)."""
    back = reverse("web:measure-detail", args=[measure.pk])
    form = LabelForm(request.POST, offered=label_choices(request.user))
    if form.is_valid():
        try:
            with _recorded(request, "label.change", measure):
                m = services.measure_set_sensitivity(
                    actor=request.user, measure=measure, sensitivity=form.cleaned_data["sensitivity"]
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            shown = label_badge(selectors.effective_sensitivity(m))["name"]
            messages.success(
                request, f"安全标记已保存；该措施现按“{shown}”管理（取本措施与所属问题中较高者）。"
            )
            return redirect(back)
    return _measure_page(request, measure, forms={"label": form}, status=400)


@action_view
def measure_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    measure, back = _get(request, pk)
    form = _edit_form(measure, request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        version = data.pop("version")
        try:
            with _recorded(request, "measure.update", measure):
                services.measure_update(actor=request.user, measure=measure, expected_version=version, **data)
        except InvalidInput as err:
            add_service_error(form, err)
        except Conflict as err:
            # Someone saved first: show what is stored now, keep nothing of this post.
            try:
                fresh = selectors.measure_get_for_user(user=request.user, pk=pk)
            except Http404:
                return conflict_response(request, err)  # deleted meanwhile: nothing to show
            return _measure_page(
                request,
                fresh,
                status=409,
                alert=str(err),
                rejected={"text": data.get("text", "")},
                forms={"edit": _edit_form(fresh)},
            )
        else:
            messages.success(request, "已保存修改。")
            for warning in services.deadline_warnings(measure.round, data.get("deadline"), data["kind"]):
                messages.warning(request, warning)
            return redirect(back)
    return _measure_page(request, measure, forms={"edit": form}, status=400)


@action_view
def measure_accept_suggestion(request: AuthedRequest, pk: int) -> HttpResponse:
    measure, back = _get(request, pk)
    try:
        with _recorded(request, "measure.update", measure):
            m = services.measure_accept_suggestion(actor=request.user, measure=measure)
    except InvalidInput as err:
        messages.error(request, str(err))
    else:
        # The service took the suggested deadline (it refuses a measure without one): a date.
        deadline = cast(dt.date, m.deadline)
        messages.success(request, f"已采用建议时限：{deadline.year}年{deadline.month}月{deadline.day}日。")
    return redirect(back)


@action_view
def measure_split(request: AuthedRequest, pk: int) -> HttpResponse:
    measure, back = _get(request, pk)
    form = SplitForm(request.POST)
    if form.is_valid():
        try:
            with _recorded(request, "measure.split", measure):
                parts = services.measure_split(
                    actor=request.user,
                    measure=measure,
                    texts=form.cleaned_data["texts"],
                    expected_version=form.cleaned_data["version"],
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"已拆分为 {len(parts)} 条措施。")
            return redirect(back)
    return _measure_page(request, measure, forms={"split": form}, status=400)


@action_view
def measure_move(request: AuthedRequest, pk: int) -> HttpResponse:
    measure, back = _get(request, pk)
    form = MoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "调整方向不正确。")
        return redirect(back)
    with _recorded(request, "measure.move", measure):
        services.measure_move(actor=request.user, measure=measure, direction=form.cleaned_data["direction"])
    messages.success(request, "已调整顺序。")
    return redirect(back)


@action_view
def measure_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    measure, _ = _get(request, pk)
    problem = reverse("web:problem-detail", args=[measure.finding_id])
    with _recorded(request, "measure.delete", measure):
        services.measure_delete(actor=request.user, measure=measure)
    messages.success(request, "已删除该整改措施。")
    return redirect(problem)


@action_view
def progress_add(request: AuthedRequest, pk: int) -> HttpResponse:
    measure, back = _get(request, pk)
    form = ProgressForm(request.POST, request.FILES)
    if form.is_valid():
        files = [(f, f.name) for f in form.cleaned_data["files"]]
        try:
            with _recorded(request, "progress.add", measure):
                try:
                    services.progress_add(
                        actor=request.user,
                        measure=measure,
                        text=form.cleaned_data["text"],
                        files=files,
                        token=form.cleaned_data["token"],
                    )
                except DuplicateSubmission as dup:
                    # The same form sent again (back and resubmit): show the entry it made, the
                    # progress entry (``progress_add`` puts it in ``existing``).
                    first = cast(Progress, dup.existing)
                    messages.info(
                        request, f"{dup}您在 {zdatetime(first.created_at)} 填报的进展见下方整改记录。"
                    )
                    return redirect(f"{back}#progress-{first.pk}")
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已填报整改进展。" + (f"（佐证材料 {len(files)} 个）" if files else ""))
            return redirect(back)
    return _measure_page(request, measure, forms={"progress": form}, status=400)


@action_view
def measure_submit(request: AuthedRequest, pk: int) -> HttpResponse:
    measure, back = _get(request, pk)
    with _recorded(request, "measure.submit", measure):
        m = services.measure_submit(actor=request.user, measure=measure)
    if m.status == MeasureStatus.LEADER_REVIEW:
        messages.success(request, f"已提交责任领导（{m.leader}）审核，通过后再由第一责任人审核。")
    else:
        messages.success(request, "已提交审核。")
    return redirect(back)


@action_view
def measure_review(request: AuthedRequest, pk: int) -> HttpResponse:
    measure, back = _get(request, pk)
    form = ReviewForm(request.POST)
    if form.is_valid():
        decision = form.cleaned_data["decision"]
        # A measure awaiting 责任领导审核 is reviewed by its responsible leader, on the same form.
        leader = measure.status == MeasureStatus.LEADER_REVIEW
        try:
            with _recorded(request, (LEADER_REVIEW_ACTIONS if leader else REVIEW_ACTIONS)[decision], measure):
                review = services.measure_leader_review if leader else services.measure_review
                m = review(
                    actor=request.user, measure=measure, decision=decision, reason=form.cleaned_data["reason"]
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"审核完成：措施现为“{m.get_status_display()}”。")
            return redirect(back)
    return _measure_page(request, measure, forms={"review": form}, status=400)
