"""Forms of the staff's feedback pages: they validate in Chinese and never save (the services of
``zhenggai.feedback`` check everything again)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms

from zhenggai.feedback.models import Feedback, FeedbackStatus
from zhenggai.ledger.models import Finding
from zhenggai.units.models import Unit

from .forms import CHOICE_INVALID, REQUIRED, date_field, model_choices


def _text(
    label: str, *, required: bool = True, rows: int = 3, max_length: int | None = None
) -> forms.CharField:
    return forms.CharField(
        label=label,
        required=required,
        max_length=max_length,
        widget=forms.Textarea(attrs={"rows": rows}),
        error_messages={**REQUIRED, "max_length": f"不能超过 {max_length} 字"},
    )


if TYPE_CHECKING:
    _FeedbackField = forms.ModelChoiceField[Feedback]
    _FindingField = forms.ModelChoiceField[Finding]
else:  # the classes are not subscriptable at run time
    _FeedbackField = _FindingField = forms.ModelChoiceField


class _FeedbackChoice(_FeedbackField):
    def label_from_instance(self, obj: Feedback) -> str:
        return f"{obj.tracking}（{obj.get_status_display()}）"


class _FindingChoice(_FindingField):
    def label_from_instance(self, obj: Finding) -> str:
        closed = "（已销号）" if obj.status == "closed" else ""
        return f"{obj.number} {obj.title[:60]}{closed}".strip()


class FeedbackFilterForm(forms.Form):
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), *FeedbackStatus.choices],
        error_messages=CHOICE_INVALID,
    )
    overdue = forms.BooleanField(label="只看答复超期", required=False)


class AcceptForm(forms.Form):
    deadline = date_field("答复时限（不填则按默认期限）")
    note = _text("办理意见（内部）", required=False, rows=2, max_length=1000)


class MergeForm(forms.Form):
    into: forms.ModelChoiceField[Feedback] = _FeedbackChoice(
        label="合并到", queryset=Feedback.objects.none(), error_messages=CHOICE_INVALID
    )

    def __init__(self, *args: Any, targets: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = model_choices(self, "into")
        field.queryset = targets


class RejectForm(forms.Form):
    reason = _text("不予受理理由（反映人可见）", rows=2, max_length=300)


class ForwardForm(forms.Form):
    to_unit: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        label="转办单位", queryset=Unit.objects.none(), error_messages=CHOICE_INVALID
    )
    note = _text("转办说明（内部）", required=False, rows=2, max_length=1000)

    def __init__(self, *args: Any, units: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = model_choices(self, "to_unit")
        field.queryset = units


class LinkForm(forms.Form):
    finding: forms.ModelChoiceField[Finding] = _FindingChoice(
        label="关联问题", queryset=Finding.objects.none(), error_messages=CHOICE_INVALID
    )
    relapse = forms.BooleanField(
        label="反映的是已销号问题出现反弹",
        required=False,
        help_text="勾选后，由监督部门核实并决定是否重新打开该问题。",
    )
    note = _text("说明", required=False, rows=2, max_length=200)

    def __init__(self, *args: Any, problems: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = model_choices(self, "finding")
        field.queryset = problems


class ClueForm(forms.Form):
    title = forms.CharField(label="新问题标题", max_length=500, error_messages=REQUIRED)
    parent: forms.ModelChoiceField[Finding] = _FindingChoice(
        label="归入（可不选）", queryset=Finding.objects.none(), required=False, error_messages=CHOICE_INVALID
    )

    def __init__(self, *args: Any, parents: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = model_choices(self, "parent")
        field.queryset = parents


class ReplyForm(forms.Form):
    text = _text("答复内容（反映人凭查询码可见）", rows=6, max_length=5000)
    publish = forms.BooleanField(
        label="在公开页面发布该答复（不含个人信息）",
        required=False,
        help_text="仅在反映人同意公开答复时可选。",
    )
