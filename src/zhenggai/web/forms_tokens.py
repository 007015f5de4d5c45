"""The form that creates an API token (接口令牌): name, read or write, the unit it is limited to,
how many days it lives, and in production a code of the user's authenticator."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError

from zhenggai.accounts.models import AdminRole, TokenScope
from zhenggai.accounts.tokens import MAX_DAYS, token_units
from zhenggai.units.models import Unit

DEFAULT_DAYS = 90
#: The choice of an administrator's (三员) token, which reaches no unit's data.
NO_UNIT = ""


class TokenCreateForm(forms.Form):
    name = forms.CharField(
        label="令牌名称",
        max_length=50,
        help_text="写明用途，便于日后辨认和撤销，例如“县督办平台同步”。",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    scope = forms.ChoiceField(
        label="权限",
        choices=TokenScope.choices,
        initial=TokenScope.READ,
        help_text="只读令牌只能查询；读写令牌还可以按您本人的角色修改数据。",
    )
    unit = forms.ChoiceField(
        label="限定单位",
        required=False,
        help_text="令牌只能访问该单位及其下级单位的数据，且不超出您本人的角色范围。",
    )
    days = forms.IntegerField(
        label="有效期（天）",
        min_value=1,
        max_value=MAX_DAYS,
        initial=DEFAULT_DAYS,
        help_text=f"1 至 {MAX_DAYS} 天，到期后须重新创建。",
    )

    def __init__(self, user: Any, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        self.units: dict[str, Unit] = {str(u.pk): u for u in token_units(user)}
        choices: list[tuple[str, str]] = [(key, u.name) for key, u in self.units.items()]
        self.admin = user.admin_role != AdminRole.NONE
        if self.admin:
            choices.insert(0, (NO_UNIT, "不限定单位（管理员令牌，不含任何单位的数据）"))
        unit_field = cast(forms.ChoiceField, self.fields["unit"])
        unit_field.choices = choices
        if len(choices) == 1:
            unit_field.initial = choices[0][0]
        if settings.PRODUCTION:
            self.fields["otp_code"] = forms.CharField(
                label="动态口令",
                min_length=6,
                max_length=8,
                help_text="创建令牌须验证身份：输入手机上身份验证器显示的 6 位数字。",
                widget=forms.TextInput(
                    attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "pattern": "[0-9 ]*"}
                ),
            )

    @property
    def can_create(self) -> bool:
        """False for a user with no unit role who is not an administrator: nothing to scope to."""
        return bool(cast(forms.ChoiceField, self.fields["unit"]).choices)

    def clean_unit(self) -> Unit | None:
        key = self.cleaned_data.get("unit") or NO_UNIT
        if key == NO_UNIT:
            if not self.admin:
                raise ValidationError("请选择令牌限定的单位。")
            return None
        return self.units[key]  # ChoiceField has already refused a key not offered

    def clean_otp_code(self) -> str:
        code = "".join(self.cleaned_data["otp_code"].split())
        if not (code.isascii() and code.isdigit()) or len(code) != 6:
            raise ValidationError("动态口令是 6 位数字。")
        return code
