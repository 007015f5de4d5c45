"""The citizen's forms (the public site's own; it never uses a staff form).

The forms check only what a browser should have checked already (a required field, a length);
the feedback services decide the rest and their refusals are shown next to the field they name.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings

#: The files a citizen may attach (the services check the content, this only guides the picker).
ACCEPT = "image/jpeg,image/png,application/pdf,.jpg,.jpeg,.png,.pdf"
#: The honeypot: a field people never see (off-screen, hidden from assistive technology, out of
#: the tab order); a robot that fills every field fills it too and is refused without a hint.
HONEYPOT = "homepage"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; ``cleaned_data`` holds a list (empty when none was chosen)."""

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        one = super().clean
        if isinstance(data, list | tuple):
            return [one(d, initial) for d in data]
        return [one(data, initial)] if data else []


class FeedbackForm(forms.Form):
    content = forms.CharField(
        label="意见建议",
        widget=forms.Textarea(attrs={"rows": 8, "aria-describedby": "content-help"}),
        max_length=settings.FEEDBACK_MAX_CHARS,
        error_messages={
            "required": "请填写您的意见建议。",
            "max_length": "意见建议最多 %(limit_value)d 字。",
        },
    )
    name = forms.CharField(label="姓名（可不填）", required=False, max_length=50)
    phone = forms.CharField(
        label="联系电话（可不填）",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "tel"}),
    )
    email = forms.CharField(
        label="电子邮箱（可不填）",
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    attachments = MultipleFileField(
        label="附件（可不填：照片或 PDF）",
        required=False,
        widget=MultipleFileInput(attrs={"accept": ACCEPT, "aria-describedby": "files-help"}),
    )
    consent_publish = forms.BooleanField(
        label="同意公开对本条意见的答复（不公开您的个人信息）", required=False
    )
    consent = forms.BooleanField(
        label="我已阅读并同意上述个人信息告知书",
        error_messages={"required": "请阅读个人信息告知书并勾选同意后再提交。"},
    )
    homepage = forms.CharField(
        label="请勿填写此项",
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off", "aria-hidden": "true"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autocomplete"] = "name"
        self.fields["content"].widget.attrs["maxlength"] = str(settings.FEEDBACK_MAX_CHARS)


class TrackForm(forms.Form):
    tracking = forms.CharField(
        label="查询编号",
        max_length=40,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
        error_messages={"required": "请填写查询编号。"},
    )
    code = forms.CharField(
        label="查询码",
        max_length=40,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
        error_messages={"required": "请填写查询码。"},
    )
