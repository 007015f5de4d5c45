"""Forms of the disclosure pages: a decision on a hit, the submission, the head's approval and
rejection. They validate; the services decide."""

from __future__ import annotations

from django import forms

from zhenggai.disclosure.models import DecisionAction

from .forms import REQUIRED


class DecisionForm(forms.Form):
    fingerprint = forms.RegexField(regex=r"^[0-9a-f]{64}$", widget=forms.HiddenInput, error_messages=REQUIRED)
    action = forms.ChoiceField(
        label="处理",
        choices=DecisionAction.choices,
        error_messages={**REQUIRED, "invalid_choice": "请选择遮盖或保留"},
    )
    reason = forms.CharField(label="保留理由", required=False, max_length=300)

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("action") == DecisionAction.JUSTIFY and not str(data.get("reason") or "").strip():
            self.add_error("reason", "保留此项须说明理由")
        return data


class SubmitForm(forms.Form):
    draft_version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, error_messages=REQUIRED)
    change_note = forms.CharField(
        label="更正说明",
        required=False,
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="已发布过的文档再次发布时必填：说明本次更正了什么。",
    )


class ApproveForm(forms.Form):
    otp_code = forms.CharField(
        label="动态口令",
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "size": 8}),
        help_text="身份验证器上显示的6位数字。",
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="退回理由", max_length=500, widget=forms.Textarea(attrs={"rows": 3}), error_messages=REQUIRED
    )
