"""The staff's pages of citizen feedback (群众反馈): the list per unit, the detail with the sender's
personal data masked, the 查看完整信息 button (POST, the 群众反馈办理人员 only, audited; the clear
values are in that answer alone, sent ``no-store`` like every page by default), the triage
actions, the reply, and the attachments through a permission-checked download.

Access is ``zhenggai.feedback.selectors``: outside the user's units 404, inside them without a
role 403.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from zhenggai.errors import InvalidInput
from zhenggai.feedback import selectors, services
from zhenggai.feedback.handling import TRIAGE_SOURCES, forward_targets
from zhenggai.feedback.models import Feedback
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import action_view, refusals_recorded, require_allowed
from zhenggai.ledger.policy import EDIT_ROLES, FEEDBACK_ROLES
from zhenggai.ledger.selectors import finding_parents
from zhenggai.ledger.services import record_refusal
from zhenggai.units.models import Unit

from ..forms import add_service_error
from ..forms_feedback import (
    AcceptForm,
    ClueForm,
    FeedbackFilterForm,
    ForwardForm,
    LinkForm,
    MergeForm,
    RejectForm,
    ReplyForm,
)
from .common import page_number

PER_PAGE = 50


@login_required
@require_GET
def feedback_list(request: AuthedRequest) -> HttpResponse:
    user = request.user
    if not selectors.may_use_list(user):
        raise PermissionDenied("您没有权限查看群众反馈")
    form = FeedbackFilterForm(request.GET or None)
    filters = selectors.FeedbackFilters()
    if form.is_valid():
        filters = selectors.FeedbackFilters(
            status=form.cleaned_data["status"] or "", overdue=bool(form.cleaned_data["overdue"])
        )
    page = Paginator(selectors.feedback_list_for_user(user=user, filters=filters), PER_PAGE).get_page(
        page_number(request)
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "web/feedback/list.html",
        {
            "form": form,
            "page": page,
            "rows": selectors.feedback_rows(page.object_list),
            "querystring": query.urlencode(),
        },
    )


def _forms(request: AuthedRequest, fb: Feedback, bound: dict[str, Any] | None = None) -> dict[str, Any]:
    """The action forms the handler gets (none for a reader)."""
    bound = bound or {}
    user = request.user
    if not selectors.may_handle(user, fb):
        return {}
    units = _forward_units(request, fb)
    problems = selectors.problems_to_link(user=user, round=fb.round)
    return {
        "accept": bound.get("accept") or AcceptForm(),
        "merge": bound.get("merge") or MergeForm(targets=selectors.merge_targets(feedback=fb)),
        "reject": bound.get("reject") or RejectForm(),
        "forward": bound.get("forward") or ForwardForm(units=units),
        "link": bound.get("link") or LinkForm(problems=problems),
        "clue": bound.get("clue") or ClueForm(parents=finding_parents(round=fb.round)),
        "reply": bound.get("reply") or ReplyForm(initial={"text": fb.reply, "publish": fb.reply_public}),
    }


def _detail_page(
    request: AuthedRequest,
    fb: Feedback,
    *,
    bound: dict[str, Any] | None = None,
    revealed: services.Revealed | None = None,
    status: int = 200,
) -> HttpResponse:
    detail = selectors.feedback_detail(user=request.user, feedback=fb)
    context = {
        "d": detail,
        "fb": fb,
        "forms": _forms(request, fb, bound),
        "revealed": revealed,
        "actions": TRIAGE_SOURCES,
    }
    return render(request, "web/feedback/detail.html", context, status=status)


@login_required
@require_GET
def feedback_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    fb = selectors.feedback_get_for_user(user=request.user, pk=pk)
    return _detail_page(request, fb)


def _get_for_post(request: AuthedRequest, pk: int, action: str) -> Feedback:
    """The feedback of an action; a reader without the role is refused (403) and, as the request
    tried to change or reveal something, the refusal is recorded (an outsider gets 404 unrecorded
    here; the probe recording sees it)."""
    try:
        return selectors.feedback_get_for_user(user=request.user, pk=pk)
    except PermissionDenied as err:
        fb = Feedback.objects.get(pk=pk)
        record_refusal(actor=request.user, action=action, obj=fb, reason=str(err))
        raise


@action_view
def feedback_reveal(request: AuthedRequest, pk: int) -> HttpResponse:
    """查看完整信息: the clear values in this answer only (no-store), one audit event."""
    fb = _get_for_post(request, pk, "pii.view")
    back = reverse("feedback:detail", args=[fb.pk])
    with refusals_recorded(request, action="pii.view", obj=fb, back=back):
        revealed = services.feedback_reveal_all(actor=request.user, feedback=fb)
    return _detail_page(request, fb, revealed=revealed)


def _act(
    request: AuthedRequest,
    pk: int,
    name: str,
    make_form: Callable[[Feedback], forms.Form],
    call: Callable[[Feedback, dict[str, Any]], object],
    done: str,
    roles: frozenset[str] = FEEDBACK_ROLES,
) -> HttpResponse:
    """The shape of every triage action: scope, the role (403 before the form is read: a unit
    head or supervisor who may read a feedback never gets a form error for an action that is
    not theirs), form, service (refusals recorded), redirect."""
    fb = _get_for_post(request, pk, f"feedback.{name}")
    require_allowed(
        request,
        bool(selectors.roles_at(request.user, fb.unit_id) & roles),
        action=f"feedback.{name}",
        obj=fb,
        reason="您没有权限办理该群众反馈",
    )
    form = make_form(fb)
    if form.is_valid():
        back = reverse("feedback:detail", args=[fb.pk])
        try:
            with refusals_recorded(request, action=f"feedback.{name}", obj=fb, back=back):
                call(fb, form.cleaned_data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, done)
            return redirect("feedback:detail", pk=fb.pk)
    return _detail_page(request, fb, bound={name: form}, status=400)


@action_view
def feedback_accept(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "accept",
        lambda fb: AcceptForm(request.POST),
        lambda fb, data: services.feedback_accept(
            actor=request.user, feedback=fb, deadline=data["deadline"], note=data["note"]
        ),
        "已受理，并已设定答复时限。",
    )


@action_view
def feedback_merge(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "merge",
        lambda fb: MergeForm(request.POST, targets=selectors.merge_targets(feedback=fb)),
        lambda fb, data: services.feedback_merge(actor=request.user, feedback=fb, into=data["into"]),
        "已作为重复反映合并办理。",
    )


@action_view
def feedback_reject(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "reject",
        lambda fb: RejectForm(request.POST),
        lambda fb, data: services.feedback_reject(actor=request.user, feedback=fb, reason=data["reason"]),
        "已作出不予受理决定。",
    )


def _forward_units(request: AuthedRequest, fb: Feedback) -> Any:
    targets = [u.pk for u in forward_targets(actor=request.user, feedback=fb)]
    return Unit.objects.filter(pk__in=targets).order_by("path")


@action_view
def feedback_forward(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "forward",
        lambda fb: ForwardForm(request.POST, units=_forward_units(request, fb)),
        lambda fb, data: services.feedback_forward(
            actor=request.user, feedback=fb, to_unit=data["to_unit"], note=data["note"]
        ),
        "已转办。",
    )


@action_view
def feedback_link(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "link",
        lambda fb: LinkForm(
            request.POST, problems=selectors.problems_to_link(user=request.user, round=fb.round)
        ),
        lambda fb, data: services.feedback_link(
            actor=request.user,
            feedback=fb,
            finding=data["finding"],
            relapse=data["relapse"],
            note=data["note"],
        ),
        "已关联到整改问题。",
    )


@action_view
def feedback_clue(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "clue",
        lambda fb: ClueForm(request.POST, parents=finding_parents(round=fb.round)),
        lambda fb, data: services.feedback_clue(
            actor=request.user, feedback=fb, title=data["title"], parent=data["parent"]
        ),
        "已作为新的问题线索加入问题清单。",
        roles=EDIT_ROLES,  # a new problem in the ledger: the clerk's (finding_create)
    )


@action_view
def feedback_reply(request: AuthedRequest, pk: int) -> HttpResponse:
    return _act(
        request,
        pk,
        "reply",
        lambda fb: ReplyForm(request.POST),
        lambda fb, data: services.feedback_reply(
            actor=request.user, feedback=fb, text=data["text"], publish=data["publish"]
        ),
        "答复已保存，反映人凭查询码可以看到。",
    )


@login_required
@require_GET
def attachment_download(request: AuthedRequest, pk: int, att: int) -> HttpResponse | FileResponse:
    try:
        opened = services.feedback_attachment_open(actor=request.user, feedback_pk=pk, pk=att)
    except services.AttachmentDamaged as err:
        refused = HttpResponse(str(err), status=500, content_type="text/plain; charset=utf-8")
        refused["Cache-Control"] = "no-store"
        return refused
    response = FileResponse(
        opened.file, as_attachment=True, filename=opened.name, content_type=opened.content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Repr-Digest"] = f"sha-256=:{base64.b64encode(bytes.fromhex(opened.sha256)).decode()}:"
    return response
