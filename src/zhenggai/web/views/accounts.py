"""Log in and out: Django's views with the lockout form, our template; the record is ``accounts.login``.

A correct password logs the user in; the session middleware then asks for the second
factor and a password change where they are due (zhenggai.accounts.middleware).
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.forms import AuthenticationForm
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.decorators import method_decorator

from zhenggai.accounts.login import auth_logged_in, auth_logged_out
from zhenggai.accounts.middleware import PASSWORD_CHANGE
from zhenggai.accounts.models import AdminRole

from ..forms_accounts import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "web/login.html"
    authentication_form = LoginForm
    redirect_authenticated_user = True

    def form_valid(self, form: AuthenticationForm) -> HttpResponse:
        user = form.get_user()
        response = super().form_valid(form)
        auth_logged_in(user=user, password_change=self.request.session.get(PASSWORD_CHANGE) or "")
        if user.security_notice:
            # What an administrator did to the account, at every login until the user has taken
            # it back (their own password or phone): a reset they did not ask for gets reported.
            messages.warning(self.request, user.security_notice)
        return response

    def get_default_redirect_url(self) -> str:
        # The three administrators start at their own pages (they have no ledger work).
        role = getattr(self.request.user, "admin_role", "")
        if role in {AdminRole.SYSTEM, AdminRole.SECURITY}:
            return reverse("accounts:users")
        if role == AdminRole.AUDIT:
            return reverse("audit:list")
        return super().get_default_redirect_url()

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["otp_required"] = settings.OTP_REQUIRED
        context["production"] = settings.PRODUCTION
        return context


@method_decorator(login_not_required, name="dispatch")
class LogoutView(auth_views.LogoutView):
    """POST only (Django's); the session row is deleted, so the old cookie opens nothing.

    Open to anyone: a session that has just timed out can still press 退出登录.
    """

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if request.user.is_authenticated:
            auth_logged_out(user=request.user)
        return super().post(request, *args, **kwargs)
