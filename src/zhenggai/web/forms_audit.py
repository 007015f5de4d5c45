"""The filters of the audit page (and its CSV export)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from zhenggai.audit.events import EVENTS, OUTCOMES
from zhenggai.audit.models import AuditEvent

CHOICE_INVALID = {"invalid_choice": "请从列表中选择"}
DATE_INVALID = {"invalid": "请输入正确的日期，如 2026-03-01"}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self) -> None:
        super().__init__(format="%Y-%m-%d")


def _date(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        error_messages=DATE_INVALID,
    )


class AuditFilterForm(forms.Form):
    start = _date("时间自")
    end = _date("时间至")
    actor = forms.CharField(
        label="操作人",
        required=False,
        max_length=150,
        widget=forms.TextInput(attrs={"placeholder": "用户名"}),
    )
    action = forms.ChoiceField(label="事件", required=False, error_messages=CHOICE_INVALID)
    object_type = forms.ChoiceField(label="对象类型", required=False, error_messages=CHOICE_INVALID)
    object_id = forms.CharField(label="对象编号", required=False, max_length=40)
    outcome = forms.ChoiceField(
        label="结果",
        required=False,
        choices=[("", "全部结果"), *OUTCOMES.items()],
        error_messages=CHOICE_INVALID,
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The form's own copies of its choice fields (``fields`` holds each as a plain ``Field``).
        action, object_type = (cast(forms.ChoiceField, self.fields[k]) for k in ("action", "object_type"))
        action.choices = [
            ("", "全部事件"),
            *((k, f"{v}（{k}）") for k, v in sorted(EVENTS.items())),
        ]
        types = AuditEvent.objects.exclude(object_type="").values_list("object_type", flat=True).distinct()
        object_type.choices = [("", "全部类型"), *((t, t) for t in sorted(set(types)))]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        lo, hi = data.get("start"), data.get("end")
        if lo and hi and hi < lo:
            self.add_error("end", "结束日期早于开始日期")
        return data
