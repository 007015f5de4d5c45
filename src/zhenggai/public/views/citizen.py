"""The citizen's side of feedback: the form of a round and the lookup of a feedback.

The services (``zhenggai.feedback.services``) check, store and throttle; these views show their
refusals: an ``InvalidInput`` next to the field it names, ``Throttled`` as a 429 page with
``Retry-After``, a replayed form as a 409 page. The answers hold a one-time token, a tracking
number or a query code: never kept by a browser or a proxy (``no-store``).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from zhenggai.errors import InvalidInput, ServiceError
from zhenggai.feedback import services as feedback_services
from zhenggai.feedback.services import Throttled
from zhenggai.http.middleware import client_address

from .. import pages, selectors
from ..forms import FeedbackForm, TrackForm
from ..links import Links
from .documents import not_found

NO_STORE = "no-store"
NOT_FOUND = "查询编号或查询码不正确，或者没有这条反馈。请核对后重新输入。"


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = NO_STORE
    return response


def _consent_lines() -> list[str]:
    lines = [line.strip() for line in feedback_services.CONSENT_TEXT.splitlines() if line.strip()]
    return lines[1:] if lines and lines[0] == "个人信息告知书" else lines


def throttled(request: HttpRequest, err: Throttled) -> HttpResponse:
    context = {**pages.common(Links()), "message": str(err), "minutes": max(1, -(-err.retry_after // 60))}
    response = render(request, "public/429.html", context, status=429)
    response["Retry-After"] = str(err.retry_after)
    return _private(response)


def _conflict(request: HttpRequest, err: ServiceError, back: str) -> HttpResponse:
    context = {**pages.common(Links()), "message": str(err), "back": back}
    return _private(render(request, "public/409.html", context, status=409))


#: The services' field names that differ from the form's.
FIELDS = {"files": "attachments", "honeypot": "homepage"}


def _show_error(form: Any, err: InvalidInput) -> None:
    field = FIELDS.get(err.field or "", err.field)
    form.add_error(field if field in form.fields else None, str(err))


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def feedback(request: HttpRequest, public_id: str) -> HttpResponse:
    round_ = selectors.round_for_feedback(public_id)
    published = selectors.public_round(public_id) if round_ is not None else None
    if round_ is None or published is None:
        return not_found(request)
    links = Links()
    form = FeedbackForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data = form.cleaned_data
            try:
                submitted = feedback_services.feedback_submit(
                    round=round_,
                    token=request.POST.get("token", ""),
                    content=data["content"],
                    name=data["name"],
                    phone=data["phone"],
                    email=data["email"],
                    files=data["attachments"],
                    consent=data["consent"],
                    consent_publish=data["consent_publish"],
                    client_ip=client_address(request),
                    honeypot=data["homepage"],
                )
            except Throttled as err:
                return throttled(request, err)
            except InvalidInput as err:
                _show_error(form, err)
            except ServiceError as err:
                if err.http_status != 409:
                    raise
                return _conflict(request, err, links.round(public_id))
            else:
                context = {
                    **pages.common(links),
                    "round": pages.round_card(published, links),
                    "tracking": submitted.tracking,
                    "code": submitted.code,
                }
                return _private(render(request, "public/feedback_done.html", context))
    context = {
        **pages.common(links),
        "round": pages.round_card(published, links),
        "form": form,
        # A fresh one-time token each time the form is shown (nothing was stored on a refusal).
        "token": feedback_services.form_token(round=round_),
        "consent_lines": _consent_lines(),
        "files_help": (
            f"可上传照片（JPG、PNG）或 PDF 文件，最多 {settings.FEEDBACK_MAX_FILES} 个，"
            f"每个不超过 {settings.FEEDBACK_MAX_FILE_BYTES // (1024 * 1024)} MB。"
        ),
    }
    return _private(render(request, "public/feedback.html", context, status=status))


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def track(request: HttpRequest) -> HttpResponse:
    form = TrackForm(request.POST or None)
    status = 200
    found = None
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                found = feedback_services.feedback_lookup(
                    tracking=form.cleaned_data["tracking"],
                    code=form.cleaned_data["code"],
                    client_ip=client_address(request),
                )
            except Throttled as err:
                return throttled(request, err)
            if found is None:
                form.add_error(None, NOT_FOUND)
                status = 404
            else:
                status = 200
    context = {**pages.common(Links()), "form": form, "found": found}
    return _private(render(request, "public/track.html", context, status=status))
