"""Forms of the document pages: they validate in Chinese and never save."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms

from .forms import DATE_INVALID, REQUIRED, DateInput

_TOP_HEADING = re.compile(r"^[\s\u3000]*[一二三四五六七八九十]{1,3}\s*[、.．]")
_PHONE = re.compile(r"[0-9０-９()（）\-－—\s、，,/转]{5,40}")
_SIGN_PUNCT = re.compile(r"[，,。；;：:！!？?]")


def _text(label: str, *, required: bool, help_text: str = "", rows: int = 5) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        help_text=help_text,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages=REQUIRED,
    )


#: The headings of the clerk's parts in each document (the form's labels).
_LABELS = {
    "notice": {
        "organisation_text": "一、加强组织领导，压实整改责任",
        "long_term_text": "三、建立长效机制，巩固整改成果",
        "next_steps_text": "四、下一步工作打算（可不填）",
    },
    "report": {
        "organisation_text": "一、主要做法",
        "long_term_text": "三、建立健全长效机制",
        "next_steps_text": "四、下一步工作打算",
    },
}
PROGRESS_MAX = 500  # reports.selectors.PROGRESS_TEXT_MAX, checked again by the service


def progress_field(pk: int) -> str:
    """The form field of a measure's public progress wording."""
    return f"progress_{pk}"


class NoticeDraftForm(forms.Form):
    """The clerk's parts of the 整改进展情况的通报 or the 整改情况报告, and the public wording of
    the progress of each measure listed (``measures``: ``(id, label)``)."""

    organisation_text = _text(
        "一、加强组织领导，压实整改责任",
        required=True,
        help_text="每行一段。可写成“一是……二是……”，不要使用“一、”“二、”等一级标题编号。",
    )
    long_term_text = _text("三、建立长效机制，巩固整改成果", required=True, help_text="每行一段。")
    next_steps_text = _text("四、下一步工作打算（可不填）", required=False, rows=3)
    phone = forms.CharField(label="联系电话", required=False, max_length=40)
    address = forms.CharField(label="邮寄地址", required=False, max_length=120)
    email = forms.EmailField(
        label="电子邮箱",
        required=False,
        max_length=120,
        error_messages={"invalid": "请输入正确的电子邮箱地址（如 name@example.cn）"},
    )
    signing_unit = forms.CharField(label="署名单位", max_length=100, error_messages=REQUIRED)
    signed_on = forms.DateField(
        label="成文日期",
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        error_messages={**REQUIRED, **DATE_INVALID},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0, required=False)

    def __init__(
        self,
        *args: Any,
        feedback_date: Any = None,
        kind: str = "notice",
        measures: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.feedback_date = feedback_date
        self.kind = kind
        for name, label in _LABELS[kind].items():
            self.fields[name].label = label
        self.measure_ids = [pk for pk, _ in measures]
        for pk, label in measures:
            self.fields[progress_field(pk)] = forms.CharField(
                label=label,
                required=False,
                max_length=PROGRESS_MAX,
                widget=forms.Textarea(attrs={"rows": 2, "maxlength": PROGRESS_MAX}),
                error_messages={
                    "max_length": "公开的进展表述不能超过%(limit_value)d个字（现有%(show_value)d个字）"
                },
            )
        for name, field in self.fields.items():
            if name in ("phone", "address", "signing_unit"):
                field.error_messages["max_length"] = "不能超过%(limit_value)d个字"

    def _no_top_headings(self, name: str) -> str:
        value = self.cleaned_data.get(name) or ""
        for line in value.splitlines():
            if _TOP_HEADING.match(line):
                raise forms.ValidationError(
                    f"“{line.strip()[:12]}”以一级标题编号开头：通报的“一、二、三”由系统生成，"
                    "这里请直接写正文，或改用“一是”“（一）”"
                )
        return value.strip()

    def clean_organisation_text(self) -> str:
        return self._no_top_headings("organisation_text")

    def clean_long_term_text(self) -> str:
        return self._no_top_headings("long_term_text")

    def clean_next_steps_text(self) -> str:
        return self._no_top_headings("next_steps_text")

    def clean_phone(self) -> str:
        value = (self.cleaned_data.get("phone") or "").strip()
        if value and not _PHONE.fullmatch(value):
            raise forms.ValidationError("请输入正确的联系电话（如 0556-7170878）")
        return value

    def clean_signing_unit(self) -> str:
        value = (self.cleaned_data.get("signing_unit") or "").strip()
        if _SIGN_PUNCT.search(value):
            raise forms.ValidationError("署名单位不能含有标点符号")
        return value

    def clean_signed_on(self) -> Any:
        value = self.cleaned_data.get("signed_on")
        if value and self.feedback_date and value < self.feedback_date:
            raise forms.ValidationError("成文日期不能早于巡察反馈日期")
        return value

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if self.kind == "notice" and not any(
            (data.get(k) or "").strip() for k in ("phone", "address", "email")
        ):
            raise forms.ValidationError("请至少填写一种监督渠道（联系电话、邮寄地址或电子邮箱）")
        return data

    def draft_values(self) -> dict[str, Any]:
        """The values for ``draft_save``: the draft's fields and ``progress_texts`` of the measures
        listed (an empty text removes a measure's wording)."""
        values = {
            k: v for k, v in self.cleaned_data.items() if k != "version" and not k.startswith("progress_")
        }
        if self.measure_ids:
            values["progress_texts"] = {
                pk: (self.cleaned_data.get(progress_field(pk)) or "").strip() for pk in self.measure_ids
            }
        return values
