"""A problem: its measures and close-out history; the supervisor's close, send back, reopen;
its 安全标记 (the clerk's or unit leader's, REQ-1.10)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from zhenggai.errors import InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import action_view, refusals_recorded
from zhenggai.ledger import policy, selectors, services
from zhenggai.ledger.models import Finding, FindingKind
from zhenggai.supervision.selectors import followup
from zhenggai.supervision.selectors.desks import attach_tiers

from ..forms import CloseForm, FindingEditForm, MeasureCreateForm, ReasonForm, add_service_error
from .common import LabelForm, label_badge, label_choices


def _problem_page(
    request: AuthedRequest, finding: Finding, *, forms: dict[str, object] | None = None, status: int = 200
) -> HttpResponse:
    forms = forms or {}
    user = request.user
    every = list(finding.measures.select_related("leader", "person", "department").order_by("position", "id"))
    # The state and the actions count every measure; the list shows those within the user's clearance.
    measures = attach_tiers([m for m in every if selectors.cleared_for(user, m.sensitivity)])
    is_problem = finding.kind == FindingKind.PROBLEM
    actions = policy.allowed_actions(user, finding, measures=every)
    parent_label = finding.parent.sensitivity if finding.parent else None
    return render(
        request,
        "web/problems/detail.html",
        {
            "finding": finding,
            "round": finding.round,
            "path": selectors.finding_path(finding),
            "children": list(finding.children.filter(selectors.finding_cleared_q(user)).order_by("position")),
            "measures": measures,
            "hidden_measures": len(every) - len(measures),
            "label": label_badge(finding.sensitivity),
            "label_form": (
                forms.get("label")
                or LabelForm(
                    initial={"sensitivity": finding.sensitivity},
                    offered=label_choices(user, parent_label),
                )
            )
            if "label" in actions
            else None,
            "state": policy.problem_state(finding, [m.status for m in every])
            if finding.kind == FindingKind.PROBLEM
            else "",
            "closures": list(finding.closures.select_related("actor")),
            # supervision: the problem's cycles (回头看), the verifications and 督办单 it may get
            "cycles": followup.round_cycles(user=user, finding=finding) if is_problem else [],
            "verify_links": followup.measures_to_verify(user=user, finding=finding, measures=measures),
            "may_order": is_problem and followup.may_supervise(user, finding.unit),
            "actions": actions,
            "close_form": forms.get("close") or CloseForm(prefix="close"),
            "send_back_form": forms.get("send_back") or ReasonForm(prefix="send_back"),
            "reopen_form": forms.get("reopen") or ReasonForm(prefix="reopen"),
            "measure_form": forms.get("measure")
            or (MeasureCreateForm() if "add_measure" in actions else None),
            "edit_form": forms.get("edit")
            or (
                FindingEditForm(
                    initial={
                        "number": finding.number,
                        "title": finding.title,
                        "description": finding.description,
                    }
                )
                if "edit" in actions
                else None
            ),
            "open_form": next(iter(forms), ""),
        },
        status=status,
    )


@login_required
def problem_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    if request.method == "POST":
        return problem_label(request, finding)
    return _problem_page(request, finding)


def problem_label(request: AuthedRequest, finding: Finding) -> HttpResponse:
    """Set the problem's 安全标记 (posted to the problem's own page)."""
    back = reverse("web:problem-detail", args=[finding.pk])
    parent_label = finding.parent.sensitivity if finding.parent else None
    form = LabelForm(request.POST, offered=label_choices(request.user, parent_label))
    if form.is_valid():
        try:
            with refusals_recorded(request, action="label.change", obj=finding, back=back):
                services.finding_set_sensitivity(
                    actor=request.user, finding=finding, sensitivity=form.cleaned_data["sensitivity"]
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            shown = label_badge(form.cleaned_data["sensitivity"])["name"]
            messages.success(request, f"安全标记已设为“{shown}”（下级问题中标记较低的已一并提高）。")
            return redirect(back)
    return _problem_page(request, finding, forms={"label": form}, status=400)


@action_view
def problem_close(request: AuthedRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    back = reverse("web:problem-detail", args=[finding.pk])
    form = CloseForm(request.POST, prefix="close")
    opinion = form.cleaned_data["opinion"] if form.is_valid() else ""
    try:
        # Called even without an opinion: who may not close is refused (and recorded) first.
        with refusals_recorded(request, action="finding.close", obj=finding, back=back):
            services.finding_close(actor=request.user, finding=finding, opinion=opinion)
    except InvalidInput as err:
        add_service_error(form, err)
        return _problem_page(request, finding, forms={"close": form}, status=400)
    messages.success(request, "已对账销号。")
    return redirect(back)


def _with_reason(request: AuthedRequest, pk: int, key: str, action: str, done: str) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    back = reverse("web:problem-detail", args=[finding.pk])
    form = ReasonForm(request.POST, prefix=key)
    if form.is_valid():
        reason = form.cleaned_data["reason"]
        try:
            with refusals_recorded(request, action=action, obj=finding, back=back):
                if key == "reopen":
                    services.finding_reopen(actor=request.user, finding=finding, reason=reason)
                else:
                    services.finding_send_back(actor=request.user, finding=finding, reason=reason)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, done)
            return redirect(back)
    return _problem_page(request, finding, forms={key: form}, status=400)


@action_view
def problem_send_back(request: AuthedRequest, pk: int) -> HttpResponse:
    return _with_reason(request, pk, "send_back", "finding.send_back", "已退回整改，相关措施回到“整改中”。")


@action_view
def problem_reopen(request: AuthedRequest, pk: int) -> HttpResponse:
    return _with_reason(
        request,
        pk,
        "reopen",
        "finding.reopen",
        "已重新打开该问题：已完成的整改措施回到“整改中”，需重新整改、审核后再销号。",
    )


@action_view
def measure_create(request: AuthedRequest, pk: int) -> HttpResponse:
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    form = MeasureCreateForm(request.POST, round=finding.round)
    if form.is_valid():
        try:
            back = reverse("web:problem-detail", args=[finding.pk])
            with refusals_recorded(request, action="measure.create", obj=finding, back=back):
                measure = services.measure_create(actor=request.user, finding=finding, **form.cleaned_data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已新增整改措施。")
            return redirect("web:measure-detail", pk=measure.pk)
    return _problem_page(request, finding, forms={"measure": form}, status=400)


@action_view
def problem_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    """Correct the number, title and description of a category, issue or problem (the clerk;
    from the problem page or the corrections page ``finding-correct``). A form without the
    description field leaves the description as it is."""
    finding = selectors.finding_get_for_user(user=request.user, pk=pk)
    back = reverse("web:problem-detail", args=[finding.pk])
    form = FindingEditForm(request.POST)
    if form.is_valid():
        try:
            with refusals_recorded(request, action="finding.update", obj=finding, back=back):
                services.finding_update(actor=request.user, finding=finding, **form.cleaned_data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已保存修改。")
            return redirect(back)
    return _problem_page(request, finding, forms={"edit": form}, status=400)
