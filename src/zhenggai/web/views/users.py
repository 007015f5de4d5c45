"""Account pages: the second factor, the user's own password and security, and the pages of
the system administrator (accounts) and the security administrator (roles)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, logout, update_session_auth_hash
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from zhenggai.accounts import lockout, services, totp
from zhenggai.accounts.login import auth_otp_failed, auth_otp_verified, auth_password_change_failed
from zhenggai.accounts.middleware import OTP_NEEDED, OTP_OK, PASSWORD_CHANGE, otp_pending
from zhenggai.accounts.models import AdminRole, ChangeKind, LoginThrottle, ThrottleScope
from zhenggai.accounts.roles import (
    admin_role,
    holds_admin_role,
    may_approve_change,
    may_assign_roles,
    may_manage_account,
)
from zhenggai.audit.services import audit_security_event
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.middleware import client_address
from zhenggai.units.models import Membership

from ..forms_accounts import (
    AdminRoleForm,
    ClearanceForm,
    OTPForm,
    PasswordChangeForm,
    SetPasswordForm,
    UnitRoleForm,
    UserCreateForm,
)

User = get_user_model()


def _next_url(request: HttpRequest, default: str = "") -> str:
    url = request.POST.get("next") or request.GET.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, {request.get_host()}, require_https=request.is_secure()):
        return url
    return default or reverse(settings.LOGIN_REDIRECT_URL)


def _locked_out(request: AuthedRequest) -> HttpResponse | None:
    """End a half-logged-in session whose account or address is locked."""
    lock = lockout.current_lock(request.user.username, client_address(request))
    if lock is None:
        return None
    logout(request)
    messages.error(request, lock.message)
    return redirect(settings.LOGIN_URL)


def _otp_failed(request: AuthedRequest, form: OTPForm, step: str) -> HttpResponse | None:
    """A wrong code, recorded and counted towards the lockout like a wrong password."""
    lock = auth_otp_failed(user=request.user, address=client_address(request), step=step)
    if lock is not None:
        logout(request)
        messages.error(request, lock.message)
        return redirect(settings.LOGIN_URL)
    form.add_error("code", "动态口令不正确，或已经使用过。请等待应用显示新的口令后再输入。")
    return None


def _second_factor_done(request: AuthedRequest) -> None:
    request.session[OTP_OK] = True
    request.session[OTP_NEEDED] = True
    # A new session id once the login is complete (ASVS 7.2.4).
    request.session.cycle_key()


# --- the second factor ----------------------------------------------------------------------


def otp_verify(request: AuthedRequest) -> HttpResponse:
    next_url = _next_url(request)
    if not otp_pending(request):
        return redirect(next_url)
    if services.otp_device(request.user) is None:
        return redirect(f"{reverse('accounts:otp-enrol')}?{request.GET.urlencode()}")
    refused = _locked_out(request)
    if refused:
        return refused
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.otp_check(user=request.user, code=form.cleaned_data["code"]):
            _second_factor_done(request)
            auth_otp_verified(user=request.user)
            return redirect(next_url)
        refused = _otp_failed(request, form, "verify")
        if refused:
            return refused
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url})


def otp_enrol(request: AuthedRequest) -> HttpResponse:
    next_url = _next_url(request)
    user = request.user
    if services.otp_device(user) is not None:
        if otp_pending(request):
            return redirect(f"{reverse('accounts:otp-verify')}?{request.GET.urlencode()}")
        messages.info(request, "您的账号已绑定动态口令。如需更换手机，请联系系统管理员重置。")
        return redirect("accounts:profile")
    refused = _locked_out(request)
    if refused:
        return refused
    _device, secret = services.otp_enrolment(user)
    form = OTPForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if services.otp_confirm(user=user, code=form.cleaned_data["code"]):
            _second_factor_done(request)
            messages.success(request, "动态口令已绑定。以后每次登录都需要输入手机上显示的动态口令。")
            return redirect(next_url)
        refused = _otp_failed(request, form, "enrol")
        if refused:
            return refused
    uri = totp.provisioning_uri(secret, account=user.username, issuer=settings.OTP_ISSUER)
    # segno writes plain SVG paths from our own URI: nothing user-supplied, no script, no style.
    qr = segno.make(uri, error="m").svg_inline(
        omitsize=True, svgclass="otp-qr w-100 h-auto", title="动态口令二维码", border=2
    )
    key = totp.b32(secret)
    context = {
        "form": form,
        "next": next_url,
        "qr_svg": mark_safe(qr),  # noqa: S308 - segno's SVG of our own URI (see above)
        "secret_groups": " ".join(key[i : i + 4] for i in range(0, len(key), 4)),
        "issuer": settings.OTP_ISSUER,
        "required": settings.OTP_REQUIRED,
    }
    return render(request, "accounts/otp_enrol.html", context)


# --- the user's own account -----------------------------------------------------------------


def password_change(request: AuthedRequest) -> HttpResponse:
    reason = request.session.get(PASSWORD_CHANGE, "")
    if request.method == "POST":
        # The current password is a password guess like a login's: same lock, same count.
        refused = _locked_out(request)
        if refused:
            return refused
    form = PasswordChangeForm(request.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.password_change(
            user=request.user,
            password=form.cleaned_data["new_password1"],
            keep_session=request.session.session_key,
        )
        update_session_auth_hash(request, request.user)
        request.session.pop(PASSWORD_CHANGE, None)
        messages.success(request, "密码已修改。您在其他设备上的登录已全部退出。")
        return redirect(_next_url(request))
    if request.method == "POST":
        lock = auth_password_change_failed(
            user=request.user,
            address=client_address(request),
            wrong_current="old_password" in form.errors,
            errors=list(form.errors),
        )
        if lock is not None:
            logout(request)
            messages.error(request, lock.message)
            return redirect(settings.LOGIN_URL)
    context = {
        "form": form,
        "reason": reason,
        "max_age": settings.PASSWORD_MAX_AGE_DAYS,
        "next": _next_url(request),
    }
    return render(request, "accounts/password_change.html", context)


def profile(request: AuthedRequest) -> HttpResponse:
    user = request.user
    context = {
        "otp_device": services.otp_device(user),
        "otp_required": settings.OTP_REQUIRED,
        "password_set_at": services.password_set_at(user),
        "max_age": settings.PASSWORD_MAX_AGE_DAYS,
        "role": AdminRole(admin_role(user)).label if admin_role(user) else "",
        "is_admin_of_accounts": admin_role(user) in {AdminRole.SYSTEM, AdminRole.SECURITY},
    }
    return render(request, "accounts/profile.html", context)


# --- administration (三员) ------------------------------------------------------------------


def admin_page(*roles: str) -> Callable[..., Callable[..., HttpResponse]]:
    """Only these administrator roles; anyone else gets 403, recorded (``access.denied``)."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: AuthedRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if admin_role(request.user) not in roles:
                reason = "只有" + "或".join(AdminRole(r).label for r in roles) + "可以执行此操作"
                audit_security_event(
                    actor=request.user,
                    action="access.denied",
                    reason=reason,
                    detail={"path": request.path[:200], "method": request.method},
                )
                raise PermissionDenied(reason)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


ACCOUNT_ADMINS = (AdminRole.SYSTEM, AdminRole.SECURITY)
USERS_PER_PAGE = 100


@admin_page(*ACCOUNT_ADMINS)
def user_list(request: AuthedRequest) -> HttpResponse:
    # A province has thousands of accounts: a page of them, found by name.
    query = request.GET.get("q", "").strip()[:50]
    accounts = User.objects.order_by("username")
    if query:
        accounts = accounts.filter(Q(username__icontains=query) | Q(display_name__icontains=query))
    page = Paginator(accounts, USERS_PER_PAGE).get_page(request.GET.get("page"))
    users = list(page.object_list)
    keys = [lockout.account_key(u.username) for u in users]
    locked = set(
        LoginThrottle.objects.filter(scope=ThrottleScope.ACCOUNT, key__in=keys, locked_until__isnull=False)
        .filter(locked_until__gt=timezone.now())
        .values_list("key", flat=True)
    )
    enrolled = set(
        services.TOTPDevice.objects.filter(confirmed=True, user__in=users).values_list("user_id", flat=True)
    )
    rows = [(u, lockout.account_key(u.username) in locked, u.pk in enrolled) for u in users]
    can_create = admin_role(request.user) == AdminRole.SYSTEM
    pending = len(services.pending_changes_for(request.user))
    querystring = urlencode({"q": query}) if query else ""
    context = {
        "rows": rows,
        "can_create": can_create,
        "pending": pending,
        "page": page,
        "q": query,
        "querystring": querystring,
    }
    return render(request, "accounts/user_list.html", context)


@admin_page(AdminRole.SYSTEM)
def user_create(request: AuthedRequest) -> HttpResponse:
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = services.user_create(
                actor=request.user,
                username=form.cleaned_data["username"],
                display_name=form.cleaned_data["display_name"],
                password=form.cleaned_data["password1"],
            )
        except services.AccountError as err:
            form.add_error(err.field if err.field in form.fields else None, str(err))
        else:
            messages.success(request, f"已新建账号 {user.username}，用户首次登录时须修改初始密码。")
            return redirect("accounts:user-detail", pk=user.pk)
    return render(request, "accounts/user_create.html", {"form": form})


@admin_page(*ACCOUNT_ADMINS)
def user_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    target = get_object_or_404(User, pk=pk)
    context = {
        "target": target,
        "memberships": Membership.objects.filter(user=target).select_related("unit").order_by("unit__path"),
        "locked": lockout.current_lock(target.username, "") is not None,
        "enrolled": services.otp_device(target) is not None,
        "can_manage": may_manage_account(request.user, target),
        "can_assign": may_assign_roles(request.user, target),
        "pending": [
            (change, may_approve_change(request.user, requested_by_id=change.requested_by_id, user_id=pk))
            for change in services.pending_changes_for(request.user, target=target)
        ],
        "role_form": AdminRoleForm(initial={"admin_role": target.admin_role}),
        "clearance_form": ClearanceForm(initial={"clearance": target.clearance}),
        "unit_form": UnitRoleForm(),
    }
    return render(request, "accounts/user_detail.html", context)


def _target(pk: int) -> Any:
    return get_object_or_404(User, pk=pk)


@require_POST
@admin_page(AdminRole.SYSTEM)
def user_active(request: AuthedRequest, pk: int) -> HttpResponse:
    target = _target(pk)
    active = request.POST.get("active") == "1"
    services.user_set_active(actor=request.user, user=target, active=active)
    messages.success(request, f"已{'启用' if active else '停用'}账号 {target.username}。")
    return redirect("accounts:user-detail", pk=pk)


@require_POST
@admin_page(AdminRole.SYSTEM)
def user_unlock(request: AuthedRequest, pk: int) -> HttpResponse:
    target = _target(pk)
    services.user_unlock(actor=request.user, user=target)
    messages.success(request, f"已解除账号 {target.username} 的登录锁定。")
    return redirect("accounts:user-detail", pk=pk)


@require_POST
@admin_page(AdminRole.SYSTEM)
def user_otp_reset(request: AuthedRequest, pk: int) -> HttpResponse:
    target = _target(pk)
    try:
        services.otp_reset(actor=request.user, user=target)
    except services.AccountError as err:
        messages.error(request, str(err))
    else:
        messages.success(request, f"已重置账号 {target.username} 的动态口令，用户下次登录时重新绑定。")
    return redirect("accounts:user-detail", pk=pk)


@admin_page(AdminRole.SYSTEM)
def user_password(request: AuthedRequest, pk: int) -> HttpResponse:
    target = _target(pk)
    services.require_manage(request.user, target, "auth.password_reset")
    form = SetPasswordForm(target, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.user_set_password(
                actor=request.user, user=target, password=form.cleaned_data["new_password1"]
            )
        except services.AccountError as err:
            form.add_error(None, str(err))
        else:
            messages.success(
                request,
                f"已为 {target.username} 设置临时密码，用户登录时须输入本人的动态口令并修改密码。"
                "其登录已全部退出。",
            )
            return redirect("accounts:user-detail", pk=pk)
    context = {"form": form, "target": target, "enrolled": services.otp_device(target) is not None}
    return render(request, "accounts/user_password.html", context)


@require_POST
@admin_page(AdminRole.SYSTEM)
def user_recovery(request: AuthedRequest, pk: int) -> HttpResponse:
    """Both credentials lost: a request another administrator approves; the first half of the
    one-time code is shown here, once, to the requester."""
    target = _target(pk)
    try:
        change, half = services.account_recovery_request(actor=request.user, user=target)
    except services.AccountError as err:
        messages.error(request, str(err))
        return redirect("accounts:user-detail", pk=pk)
    return _code_page(request, change, half, first=True)


def _code_page(request: AuthedRequest, change: Any, half: str, *, first: bool) -> HttpResponse:
    # Rendered in the POST's answer, never stored in the session or a message (no-store page).
    context = {"change": change, "target": change.user, "half": half, "first": first}
    return TemplateResponse(request, "accounts/recovery_code.html", context)


@require_POST
@admin_page(AdminRole.SECURITY)
def user_role(request: AuthedRequest, pk: int) -> HttpResponse:
    """The user's administrator role; with ``clearance`` in the form, the user's clearance instead."""
    target = _target(pk)
    if "clearance" in request.POST:
        return _user_clearance(request, target)
    form = AdminRoleForm(request.POST)
    if form.is_valid():
        role = form.cleaned_data["admin_role"]
        try:
            services.admin_role_request(actor=request.user, user=target, role=role)
        except services.AccountError as err:
            messages.error(request, str(err))
        else:
            label = AdminRole(role).label if role else "无"
            messages.success(
                request,
                f"已提交申请：将 {target.username} 的管理员角色改为“{label}”。"
                "须由另一名安全管理员或系统管理员批准后生效。",
            )
    return redirect("accounts:user-detail", pk=pk)


def _user_clearance(request: AuthedRequest, target: Any) -> HttpResponse:
    """主体安全标记 (REQ-1.10): the service refuses (recorded) anyone but the security administrator."""
    form = ClearanceForm(request.POST)
    if form.is_valid():
        try:
            services.clearance_set(actor=request.user, user=target, clearance=form.cleaned_data["clearance"])
        except services.AccountError as err:
            messages.error(request, str(err))
        else:
            messages.success(request, f"{target.username} 的许可级别现为：{target.get_clearance_display()}。")
    else:
        messages.error(request, "请选择许可级别。")
    return redirect("accounts:user-detail", pk=target.pk)


@require_POST
@admin_page(AdminRole.SECURITY)
def user_unit_role(request: AuthedRequest, pk: int) -> HttpResponse:
    target = _target(pk)
    form = UnitRoleForm(request.POST)
    if form.is_valid():
        # For one of the three administrators this is a request another administrator approves.
        change = holds_admin_role(target)
        grant = services.unit_role_request if change else services.unit_role_grant
        try:
            grant(
                actor=request.user,
                user=target,
                unit=form.cleaned_data["unit"],
                role=form.cleaned_data["role"],
            )
        except services.AccountError as err:
            messages.error(request, str(err))
        else:
            if change:
                messages.success(
                    request,
                    f"已提交申请：{target.username} 卸任管理员角色并担任业务角色，"
                    "须由另一名安全管理员或系统管理员批准后生效。",
                )
            else:
                messages.success(request, f"已为 {target.username} 分配业务角色。")
    else:
        messages.error(request, "请选择单位和业务角色。")
    return redirect("accounts:user-detail", pk=pk)


# --- changes that take two administrators ------------------------------------------------------


@admin_page(*ACCOUNT_ADMINS)
def change_requests(request: AuthedRequest) -> HttpResponse:
    rows = [
        (
            change,
            may_approve_change(request.user, requested_by_id=change.requested_by_id, user_id=change.user_id),
        )
        for change in services.pending_changes_for(request.user)
    ]
    return render(request, "accounts/change_requests.html", {"rows": rows})


@require_POST
@admin_page(*ACCOUNT_ADMINS)
def change_request_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    """Approve (another administrator) or reject/withdraw a pending change."""
    back = _next_url(request, reverse("accounts:change-requests"))
    try:
        if request.POST.get("decision") == "approve":
            change, half = services.change_request_approve(actor=request.user, request_id=pk)
            if change.kind == ChangeKind.RECOVERY:
                return _code_page(request, change, half, first=False)
            messages.success(
                request, f"已批准：{change.get_kind_display()}（{change.user.username}），已生效。"
            )
        else:
            change = services.change_request_reject(actor=request.user, request_id=pk)
            messages.success(
                request, f"已驳回：{change.get_kind_display()}（{change.user.username}），未作任何变更。"
            )
    except services.AccountError as err:
        messages.error(request, str(err))
    return redirect(back)
