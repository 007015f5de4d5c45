"""The inbox (站内消息) and the reminder settings (提醒设置) of the logged-in user.

Every message belongs to its recipient alone: another user's message is 404. Opening a message
marks it read and follows its link, which is only ever a path of this site (never an open
redirect: anything else goes back to the inbox).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET

from zhenggai.accounts.models import AdminRole
from zhenggai.errors import InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import action_view
from zhenggai.notify import selectors, services
from zhenggai.notify.models import Level, Message
from zhenggai.notify.schedule import digest_hour

from ..forms import add_service_error
from ..forms_inbox import PreferenceForm
from .common import page_number
from .users import admin_page

PER_PAGE = 50

LEVEL_CSS: dict[str, str] = {
    Level.GREEN: "text-bg-success",
    Level.YELLOW: "text-bg-warning",
    Level.RED: "text-bg-danger",
    Level.BLACK: "text-bg-dark",
}
LEVEL_LABELS: dict[str, str] = {value: f"{label}预警" for value, label in Level.choices if value}


def safe_path(url: str) -> str:
    """``url`` when it is a path of this site (``/measures/12/``), else ``""``."""
    if not url or not url.startswith("/") or url.startswith("//") or "\\" in url:
        return ""
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in url):
        return ""
    return url if url_has_allowed_host_and_scheme(url, allowed_hosts=None) else ""


@login_required
@require_GET
def message_list(request: AuthedRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    qs = selectors.inbox_for_user(user=request.user, unread_only=unread_only)
    page = Paginator(qs, PER_PAGE).get_page(page_number(request))
    return render(
        request,
        "web/inbox/list.html",
        {
            "page": page,
            # The navbar's count too (the context processor's key; counted once per page).
            "inbox_unread": SimpleLazyObject(lambda: selectors.unread_count(user=request.user)),
            "unread_only": unread_only,
            "querystring": "unread=1" if unread_only else "",
            "level_css": LEVEL_CSS,
            "level_labels": LEVEL_LABELS,
        },
    )


@login_required
@require_GET
def message_open(request: AuthedRequest, pk: int) -> HttpResponse:
    """Mark the message read and go to what it is about (or back to the inbox)."""
    try:
        message = selectors.message_get_for_user(user=request.user, pk=pk)
    except Message.DoesNotExist as exc:
        raise Http404("消息不存在") from exc
    if message.read_at is None:
        services.message_mark_read(actor=request.user, ids=[message.pk])
    target = safe_path(message.url)
    return redirect(target or f"{reverse('inbox:list')}#m{message.pk}")


@action_view
def messages_read_all(request: AuthedRequest) -> HttpResponse:
    done = services.message_mark_read(actor=request.user, all=True)
    messages.success(request, f"已将 {done} 条消息标为已读。" if done else "没有未读消息。")
    return redirect("inbox:list")


@login_required
def preferences(request: AuthedRequest) -> HttpResponse:
    user = request.user
    pref = selectors.preference_for_user(user=user)
    status = 200
    if request.method == "POST":
        form = PreferenceForm(request.POST)
        if form.is_valid():
            try:
                services.preference_update(actor=user, **form.cleaned_data)
            except InvalidInput as err:
                add_service_error(form, err)
            else:
                messages.success(request, "提醒设置已保存。")
                return redirect("inbox:preferences")
        status = 400
    else:
        form = PreferenceForm(
            initial={
                "email_enabled": pref.email_enabled and bool(user.email),
                "digest": pref.digest,
                "sms_enabled": pref.sms_enabled,
                "phone": pref.phone,
            }
        )
    return render(
        request,
        "web/inbox/preferences.html",
        {
            "form": form,
            "email": user.email,
            "sms_available": bool(getattr(settings, "SMS_GATEWAY_URL", "")),
            "digest_hour": digest_hour(),
        },
        status=status,
    )


def masked_address(address: str) -> str:
    """An address as the operator sees it: enough to tell which, not the whole (PII)."""
    if "@" in address:
        name, _, domain = address.partition("@")
        return f"{name[:2]}***@{domain}"
    return f"{address[:3]}****{address[-4:]}" if len(address) >= 11 else "***"


@admin_page(AdminRole.SYSTEM)
@require_GET
def outbox_problems(request: AuthedRequest) -> HttpResponse:
    """Deliveries given up or late, for the 系统管理员 who runs ``zhenggai deliver``: channel,
    recipient, masked address, attempts and the last error; never the message's text (三员分立:
    the operator does not read the ledger)."""
    qs = selectors.outbox_problems(user=request.user)
    page = Paginator(qs, PER_PAGE).get_page(page_number(request))
    rows = [{"row": r, "address": masked_address(r.address)} for r in page.object_list]
    return render(request, "web/inbox/outbox.html", {"page": page, "rows": rows, "querystring": ""})
