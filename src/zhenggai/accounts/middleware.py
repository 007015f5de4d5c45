"""What a logged-in session must satisfy on every request.

1. Idle and absolute timeouts (REQ-1.4): a session unused for ``SESSION_IDLE_MINUTES`` or
   older than ``SESSION_MAX_HOURS`` is logged out (its row deleted) and the request goes on
   as anonymous, so a page needing a login redirects to it.
2. The second factor (REQ-1.6, REQ-2.3): a session with only the password reaches nothing but
   ``OTP_EXEMPT_URLS`` and public views; everything else redirects to the OTP step.
3. A password past its age, or set by the system administrator, must be changed first.

The session keys are stamped at every login (``stamp_login``, a ``user_logged_in`` receiver),
whatever the path: the login page, the test client, a future single sign-on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode

from zhenggai.audit.services import audit_security_event

if TYPE_CHECKING:
    from .actors import Actor

# Session keys.
AUTH_AT = "_zg_auth_at"  # unix time of the login
SEEN_AT = "_zg_seen_at"  # unix time of the last recorded activity
OTP_NEEDED = "_zg_otp_needed"  # the account has a second factor (asked even where optional)
OTP_OK = "_zg_otp_ok"  # the second factor was given in this session
PASSWORD_CHANGE = "_zg_password_change"  # noqa: S105  a session key: "expired" / "initial", change first

# Activity is written to the session at most this often (seconds): fewer writes, same timeout.
ACTIVITY_RESOLUTION = 60

PASSWORD_CHANGE_EXEMPT_URLS = {"web:logout", "accounts:password-change"}


def stamp_login(sender: Any, request: HttpRequest | None, user: Actor, **kwargs: Any) -> None:
    """At every login: when it happened, and what the session still owes (OTP, a new password)."""
    if request is None or not hasattr(request, "session"):
        return
    from .services import otp_device, password_change_reason

    now = timezone.now().timestamp()
    request.session[AUTH_AT] = now
    request.session[SEEN_AT] = now
    request.session[OTP_NEEDED] = otp_device(user) is not None
    request.session[OTP_OK] = False
    reason = password_change_reason(user)
    if reason:
        request.session[PASSWORD_CHANGE] = reason
    else:
        request.session.pop(PASSWORD_CHANGE, None)


def otp_pending(request: HttpRequest) -> bool:
    """True when this session still owes the second factor."""
    session = request.session
    needed = settings.OTP_REQUIRED or session.get(OTP_NEEDED, False)
    return bool(needed and not session.get(OTP_OK, False))


def _redirect_with_next(request: HttpRequest, name: str) -> HttpResponse:
    url = reverse(name)
    if request.method == "GET":
        url += "?" + urlencode({"next": request.get_full_path()})
    return redirect(url)


class SessionSecurityMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            self._enforce_timeouts(request, request.user)
        return self.get_response(request)

    def _enforce_timeouts(self, request: HttpRequest, user: Actor) -> None:
        session = request.session
        now = timezone.now().timestamp()
        auth_at = session.get(AUTH_AT)
        seen_at = session.get(SEEN_AT)
        reason = ""
        if auth_at is None or seen_at is None:
            reason = "unknown"  # a session from before these rules: start again
        elif now - seen_at > settings.SESSION_IDLE_MINUTES * 60:
            reason = "idle"
        elif now - auth_at > settings.SESSION_MAX_HOURS * 3600:
            reason = "absolute"
        if reason:
            audit_security_event(
                actor=user, action="auth.session_expired", obj=user, outcome="ok", detail={"timeout": reason}
            )
            logout(request)  # deletes the session row, request.user becomes anonymous
            if reason == "idle":
                messages.info(request, f"您已超过 {settings.SESSION_IDLE_MINUTES} 分钟未操作，请重新登录。")
            elif reason == "absolute":
                messages.info(request, f"本次登录已超过 {settings.SESSION_MAX_HOURS} 小时，请重新登录。")
            return
        if seen_at is not None and now - seen_at >= ACTIVITY_RESOLUTION:  # None: returned above
            session[SEEN_AT] = now

    def process_view(
        self, request: HttpRequest, view_func: Callable[..., Any], args: Any, kwargs: Any
    ) -> HttpResponse | None:
        if not request.user.is_authenticated:
            return None
        # Public views (@login_not_required) are open to anyone, a half-logged-in session too.
        if getattr(view_func, "login_required", True) is False:
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if otp_pending(request):
            if name in settings.OTP_EXEMPT_URLS:
                return None
            return _redirect_with_next(request, "accounts:otp-verify")
        if request.session.get(PASSWORD_CHANGE) and name not in PASSWORD_CHANGE_EXEMPT_URLS:
            return _redirect_with_next(request, "accounts:password-change")
        return None
