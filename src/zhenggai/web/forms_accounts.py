"""Forms of the account pages: login with lockout, the second factor, passwords, users, roles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.contrib.auth import forms as auth_forms
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import password_validators_help_texts, validate_password
from django.core.exceptions import ValidationError

from zhenggai.accounts.login import INVALID_LOGIN, LoginRefused, auth_login_attempt
from zhenggai.accounts.models import AdminRole, Sensitivity
from zhenggai.http.middleware import client_address
from zhenggai.units.models import Role, Unit

if TYPE_CHECKING:
    from django.utils.functional import _StrOrPromise


class LoginForm(auth_forms.AuthenticationForm):
    """Django's login form; the attempt itself (lockout, password, count, record) is the
    service ``auth_login_attempt`` (REQ-1.3): this form validates the fields and shows its answer."""

    # A class attribute in Django, which django-stubs declare an instance variable.
    error_messages: ClassVar[dict[str, _StrOrPromise]] = {  # type: ignore[misc]
        **auth_forms.AuthenticationForm.error_messages,
        "invalid_login": INVALID_LOGIN,
    }

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        password = self.cleaned_data.get("password")
        if not username or not password:
            return self.cleaned_data  # the fields' own "required" errors
        address = client_address(self.request) if self.request is not None else ""
        try:
            self.user_cache = auth_login_attempt(
                username=username, password=password, address=address, request=self.request
            )
        except LoginRefused as err:
            if err.code == "invalid_login":
                raise self.get_invalid_login_error() from None
            raise ValidationError(str(err), code=err.code) from None
        return self.cleaned_data


class OTPForm(forms.Form):
    code = forms.CharField(
        label="动态口令",
        min_length=6,
        max_length=8,
        help_text="打开手机上的身份验证器应用，输入显示的 6 位数字。",
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "autofocus": True,
            }
        ),
    )

    def clean_code(self) -> str:
        code = "".join(self.cleaned_data["code"].split())
        if not (code.isascii() and code.isdigit()) or len(code) != 6:
            raise ValidationError("动态口令是 6 位数字。")
        return code


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """The user's own change: the old password, then the new one twice (validated)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["old_password"].label = "当前密码"
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "再次输入新密码"
        self.fields["new_password1"].help_text = "".join(password_validators_help_texts())


class SetPasswordForm(auth_forms.SetPasswordForm):
    """A password set by the system administrator (validated against the target user)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["new_password1"].label = "新密码"
        self.fields["new_password2"].label = "再次输入新密码"
        self.fields["new_password1"].help_text = "".join(password_validators_help_texts())


class UserCreateForm(forms.Form):
    username = forms.CharField(label="用户名", max_length=150)
    display_name = forms.CharField(label="姓名", max_length=50)
    password1 = forms.CharField(
        label="初始密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text="用户首次登录后须修改。" + "".join(password_validators_help_texts()),
    )
    password2 = forms.CharField(
        label="再次输入初始密码",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        User = get_user_model()
        for validator in User._meta.get_field("username").validators:
            validator(username)
        if User.objects.filter(username__iexact=username).exists():
            raise ValidationError("该用户名已被使用（用户名不区分大小写）。")
        return username

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        p1, p2 = data.get("password1"), data.get("password2")
        if p1 and p2 and p1 != p2:
            self.add_error("password2", "两次输入的密码不一致。")
        elif p1 and data.get("username"):
            prototype = get_user_model()(username=data["username"], display_name=data.get("display_name", ""))
            try:
                validate_password(p1, prototype)
            except ValidationError as err:
                self.add_error("password1", err)
        return data


class AdminRoleForm(forms.Form):
    admin_role = forms.ChoiceField(label="管理员角色（三员）", choices=AdminRole.choices, required=False)


class ClearanceForm(forms.Form):
    clearance = forms.ChoiceField(
        label="许可级别",
        choices=Sensitivity.choices,
        help_text="用户可以查看的最高安全标记：标记高于此级别的问题、措施和佐证材料，即使其角色允许也不能查看。",
    )


class UnitRoleForm(forms.Form):
    unit = forms.ModelChoiceField(label="单位", queryset=Unit.objects.order_by("path"))
    role = forms.ChoiceField(label="业务角色", choices=Role.choices)
