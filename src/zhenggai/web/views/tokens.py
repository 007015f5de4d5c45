"""The pages of API tokens (接口令牌): the user's own (create, see, revoke) and, for the security
administrator, every live token of the system.

The secret is on one page only, the answer to the form that made it: never in a URL, a
message (the session), a redirect or a log, and the page is not cached.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from zhenggai.accounts.login import auth_otp_failed
from zhenggai.accounts.models import AdminRole, ApiToken
from zhenggai.accounts.tokens import (
    TokenError,
    may_revoke,
    token_create,
    token_get,
    token_revoke,
    token_state,
    tokens_all,
    tokens_of,
)
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.middleware import client_address

from ..forms_tokens import TokenCreateForm
from .users import admin_page

STATE_LABELS = {"live": "有效", "expired": "已过期", "revoked": "已撤销"}


def _rows(actor: Any, tokens: list[ApiToken]) -> list[dict[str, Any]]:
    now = timezone.now()
    rows = []
    for t in tokens:
        state = token_state(t, now)
        rows.append(
            {
                "token": t,
                "state": state,
                "state_label": STATE_LABELS[state],
                "revocable": state == "live" and may_revoke(actor, t),
            }
        )
    return rows


def _list_page(request: AuthedRequest, form: TokenCreateForm) -> HttpResponse:
    context = {
        "form": form,
        "rows": _rows(request.user, tokens_of(user=request.user)),
        "is_security_admin": request.user.admin_role == AdminRole.SECURITY,
    }
    return render(request, "accounts/tokens.html", context)


def token_list(request: AuthedRequest) -> HttpResponse:
    return _list_page(request, TokenCreateForm(request.user))


def token_create_view(request: AuthedRequest) -> HttpResponse:
    if request.method != "POST":
        return redirect("accounts:tokens")
    form = TokenCreateForm(request.user, request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            token, raw = token_create(
                actor=request.user,
                name=data["name"],
                scope=data["scope"],
                unit=data["unit"],
                days=data["days"],
                otp_code=data.get("otp_code"),
            )
        except TokenError as err:
            if err.field == "otp_code":
                # A code guessed here is a code guessed at the login: same count, same lock.
                lock = auth_otp_failed(user=request.user, address=client_address(request), step="token")
                if lock is not None:
                    logout(request)
                    messages.error(request, lock.message)
                    return redirect(settings.LOGIN_URL)
            form.add_error(err.field if err.field in form.fields else None, str(err))
        else:
            response = render(request, "accounts/tokens_created.html", {"token": token, "raw": raw})
            # The one page that holds the secret: no cache of any kind may keep it.
            response["Cache-Control"] = "no-store"
            response["Pragma"] = "no-cache"
            return response
    return _list_page(request, form)


@require_POST
def token_revoke_view(request: AuthedRequest, pk: int) -> HttpResponse:
    token = token_get(pk=pk)
    if token is None:
        raise Http404("没有这个接口令牌。")
    # Anyone but the owner and the security administrator: PermissionDenied (403), recorded.
    revoked = token_revoke(actor=request.user, token=token)
    messages.success(request, f"已撤销接口令牌“{revoked.name}”（{revoked.prefix}…），使用它的请求将被拒绝。")
    if request.POST.get("back") == "all" and request.user.admin_role == AdminRole.SECURITY:
        return redirect("accounts:tokens-all")
    return redirect("accounts:tokens")


@admin_page(AdminRole.SECURITY)
def token_list_all(request: AuthedRequest) -> HttpResponse:
    rows = _rows(request.user, tokens_all(actor=request.user))
    return render(request, "accounts/tokens_all.html", {"rows": rows})
