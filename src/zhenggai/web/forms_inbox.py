"""The form of the 提醒设置 page (the service ``preference_update`` checks it again)."""

from __future__ import annotations

from django import forms


class PreferenceForm(forms.Form):
    email_enabled = forms.BooleanField(label="接收电子邮件提醒", required=False)
    digest = forms.BooleanField(
        label="每日汇总",
        required=False,
        help_text="每天早上发送一封邮件，汇总前一天以来的全部提醒，不再逐条发送（短信也不再逐条发送）。",
    )
    sms_enabled = forms.BooleanField(label="接收短信提醒", required=False)
    phone = forms.CharField(
        label="手机号码",
        required=False,
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
        help_text="11 位中国大陆手机号码，仅用于发送提醒短信。",
    )
