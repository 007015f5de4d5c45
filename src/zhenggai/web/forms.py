"""Forms of the pages: they validate input and report in Chinese; they never save.

Choices of people and departments are passed in by the view from the round's unit,
so a form offers only what the service will accept.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from typing import Any, cast

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator
from django.db.models import QuerySet

from zhenggai.accounts.models import User
from zhenggai.errors import InvalidInput
from zhenggai.ledger import services
from zhenggai.ledger.models import (
    Finding,
    Measure,
    MeasureKind,
    MeasureStatus,
    ReviewDecision,
    Round,
    RoundKind,
)
from zhenggai.units.models import Unit

REQUIRED = {"required": "请填写此项"}
DATE_INVALID = {"invalid": "请输入正确的日期（如 2022-03-15）"}
CHOICE_INVALID = {"invalid_choice": "所选项不存在或不可选", "required": "请选择此项"}


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def date_field(label: str, *, required: bool = False) -> forms.DateField:
    return forms.DateField(
        label=label,
        required=required,
        widget=DateInput(),
        input_formats=["%Y-%m-%d"],
        error_messages={**REQUIRED, **DATE_INVALID},
    )


def add_service_error(form: forms.Form, err: InvalidInput) -> None:
    """Put a service's message next to the field it names (or above the form)."""
    field = err.field if err.field in form.fields else None
    form.add_error(field, str(err))


def model_choices(form: forms.BaseForm, name: str) -> forms.ModelChoiceField[Any]:
    """The form's own copy of its ``ModelChoiceField`` ``name``, to set its queryset
    (``form.fields`` holds every field as a plain ``Field``)."""
    return cast("forms.ModelChoiceField[Any]", form.fields[name])


def check_deadline(form: forms.Form, round: Round | None, *, unchanged: dt.date | None = None) -> None:
    """Put the service's refusal of an out-of-range 完成时限 next to the field (the service
    checks again); a deadline left as it was is not checked."""
    deadline = form.cleaned_data.get("deadline")
    if round is None or deadline is None or deadline == unchanged:
        return
    try:
        services.check_deadline(round=round, deadline=deadline)
    except InvalidInput as err:
        form.add_error("deadline", str(err))


class IdListField(forms.Field):
    """A list of ids from checkboxes named alike (the rows of a table)."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        if not value:
            return []
        try:
            return sorted({int(v) for v in value})
        except (TypeError, ValueError) as exc:
            raise forms.ValidationError("所选措施不正确") from exc


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files from one ``<input type=file multiple>``; the service checks each."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


# --- rounds and import --------------------------------------------------------------------------


class RoundForm(forms.Form):
    unit: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        queryset=None, label="被巡察单位", empty_label=None, error_messages=CHOICE_INVALID
    )
    title = forms.CharField(
        label="名称", max_length=200, error_messages=REQUIRED, help_text="如：县委第三巡察组反馈意见整改"
    )
    kind = forms.ChoiceField(label="巡察类型", choices=RoundKind.choices, error_messages=CHOICE_INVALID)
    inspecting_group = forms.CharField(label="巡察组", max_length=100, required=False)
    period_start = date_field("巡察开始日期")
    period_end = date_field("巡察结束日期")
    feedback_date = date_field("反馈日期")
    leader_prereview = forms.BooleanField(
        label="责任领导预审",
        required=False,
        help_text="勾选后，责任人提交的整改措施先由该措施的责任领导审核，通过后再由第一责任人审核",
    )

    def __init__(self, *args: Any, units: list[Unit] | None, **kwargs: Any) -> None:
        """``units``: where a new round may be made; ``None`` when an existing round is
        corrected (its unit does not change)."""
        super().__init__(*args, **kwargs)
        if units is None:
            del self.fields["unit"]
            return
        field = model_choices(self, "unit")
        field.queryset = Unit.objects.filter(pk__in=[u.pk for u in units]).order_by("path")
        field.help_text = "计划和报告期限按反馈日期自动计算"

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        start, end = data.get("period_start"), data.get("period_end")
        if start and end and end < start:
            self.add_error("period_end", "巡察结束日期早于开始日期")
        return data


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label="巡察文件",
        help_text=(
            "支持 TXT、DOC、DOCX、WPS、RTF、PDF（含文字层）、OFD、HTML：巡察反馈意见、整改方案或整改进展通报"
        ),
        error_messages={
            "required": "请选择要导入的文件",
            "empty": "上传的文件是空文件",
            "invalid": "上传的文件无效，请重新选择",
        },
    )
    unit: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        queryset=None, label="被巡察单位", empty_label=None, error_messages=CHOICE_INVALID
    )

    def __init__(self, *args: Any, units: list[Unit], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = model_choices(self, "unit")
        field.queryset = Unit.objects.filter(pk__in=[u.pk for u in units]).order_by("path")
        if len(units) == 1:
            # One unit: nothing to choose, and a bare POST without it still works.
            field.widget = forms.HiddenInput()
            field.required = False
            self._only_unit: Unit | None = units[0]
        else:
            self._only_unit = None

    def clean_file(self) -> Any:
        f = self.cleaned_data["file"]
        limit = settings.IMPORT_MAX_BYTES
        if f.size > limit:
            raise forms.ValidationError(f"文件超过大小限制（最大 {limit / (1024 * 1024):g} MB）")
        return f

    def clean_unit(self) -> Any:
        return self.cleaned_data.get("unit") or self._only_unit


class ImportConfirmForm(forms.Form):
    digest = forms.CharField(
        widget=forms.HiddenInput(),
        max_length=64,
        validators=[RegexValidator(r"^[0-9a-f]{64}$", "文件标识不正确，请重新上传")],
        error_messages={"required": "文件标识不正确，请重新上传"},
    )


class ParentChoiceField(forms.ModelChoiceField):
    """The parent of a new finding, shown by its number and title."""

    def label_from_instance(self, obj: Finding) -> str:
        return f"{obj.number} {obj.title}".strip()[:60]


class FindingForm(forms.Form):
    kind = forms.ChoiceField(
        label="层级",
        choices=[("category", "问题类别"), ("issue", "问题"), ("problem", "具体问题")],
        error_messages=CHOICE_INVALID,
    )
    parent = ParentChoiceField(
        queryset=None,
        label="上级",
        required=False,
        empty_label="（无，作为顶层）",
        error_messages=CHOICE_INVALID,
    )
    number = forms.CharField(label="编号", max_length=20, required=False, help_text="如：一、（一）、1.")
    title = forms.CharField(label="标题", max_length=500, error_messages=REQUIRED)

    def __init__(self, *args: Any, parents: QuerySet[Finding], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choices(self, "parent").queryset = parents


class FindingEditForm(forms.Form):
    """The number, title and description of a category, issue or problem (a correction of the
    import). A form sent without the description field leaves the description as it is
    (``cleaned_data["description"]`` is then None)."""

    number = forms.CharField(label="编号", max_length=20, required=False, help_text="如：一、（一）、1.")
    title = forms.CharField(label="标题", max_length=500, error_messages=REQUIRED)
    description = forms.CharField(
        label="问题描述",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="反馈意见中陈述该问题事实的文字",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "edit")
        super().__init__(*args, **kwargs)

    def clean_description(self) -> str | None:
        if self.is_bound and self.add_prefix("description") not in self.data:
            return None
        return str(self.cleaned_data.get("description") or "")


# --- corrections: delete, move, split, merge --------------------------------------------------------


class DeleteForm(forms.Form):
    """Why a problem or a round is deleted: required, kept with the deletion and in the audit log."""

    reason = forms.CharField(
        label="删除原因",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "请写明删除原因", "max_length": "删除原因不能超过500字"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "delete")
        super().__init__(*args, **kwargs)


class FindingParentForm(forms.Form):
    """Where a category, issue or problem goes: another node of the round (or the top level)."""

    parent = ParentChoiceField(
        queryset=None,
        label="移动到",
        required=False,
        empty_label="（顶层，仅问题类别）",
        error_messages=CHOICE_INVALID,
    )

    def __init__(self, *args: Any, parents: QuerySet[Finding], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "parent")
        super().__init__(*args, **kwargs)
        model_choices(self, "parent").queryset = parents


class MeasureChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Measure) -> str:
        return obj.text[:80]


class FindingSplitForm(forms.Form):
    """A problem split in two: the new problem's number, title and description, and which of
    the measures go to it."""

    number = forms.CharField(label="新问题编号", max_length=20, required=False)
    title = forms.CharField(label="新问题标题", max_length=500, error_messages=REQUIRED)
    description = forms.CharField(
        label="新问题描述", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    measures = MeasureChoiceField(
        queryset=None,
        label="移到新问题的整改措施",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={
            "invalid_choice": "所选措施不属于该问题，请刷新后重新选择",
            "invalid_pk_value": "措施编号不正确",
        },
    )

    def __init__(self, *args: Any, measures: QuerySet[Measure], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "split")
        super().__init__(*args, **kwargs)
        model_choices(self, "measures").queryset = measures


class FindingMergeForm(forms.Form):
    """The problem merged into this one (of the same parent); it is deleted after the merge."""

    other = ParentChoiceField(queryset=None, label="并入本问题的问题", error_messages=CHOICE_INVALID)

    def __init__(self, *args: Any, others: QuerySet[Finding], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "merge")
        super().__init__(*args, **kwargs)
        model_choices(self, "other").queryset = others


# --- measures ------------------------------------------------------------------------------------


class MeasureCreateForm(forms.Form):
    text = forms.CharField(
        label="整改措施",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "整改措施内容不能为空"},
    )
    kind = forms.ChoiceField(
        label="整改类型",
        choices=MeasureKind.choices,
        initial=MeasureKind.DEADLINE,
        error_messages=CHOICE_INVALID,
    )
    deadline = date_field("完成时限")

    def __init__(self, *args: Any, round: Round | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.round = round

    def clean(self) -> dict[str, Any]:
        super().clean()
        check_deadline(self, self.round)
        return self.cleaned_data


class MeasureEditForm(forms.Form):
    text = forms.CharField(
        label="整改措施",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "整改措施内容不能为空"},
    )
    kind = forms.ChoiceField(label="整改类型", choices=MeasureKind.choices, error_messages=CHOICE_INVALID)
    leader: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=None,
        label="责任领导",
        required=False,
        empty_label="（未指定）",
        error_messages=CHOICE_INVALID,
    )
    department: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        queryset=None,
        label="责任部门",
        required=False,
        empty_label="（未指定）",
        error_messages=CHOICE_INVALID,
    )
    person: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=None, label="责任人", required=False, empty_label="（未指定）", error_messages=CHOICE_INVALID
    )
    deadline = date_field("完成时限")
    version = forms.IntegerField(
        widget=forms.HiddenInput(), min_value=1, error_messages={"required": "页面已过期，请刷新后重新编辑"}
    )

    def __init__(
        self,
        *args: Any,
        people: QuerySet[User],
        departments: QuerySet[Unit],
        round: Round | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choices(self, "leader").queryset = people
        model_choices(self, "person").queryset = people
        model_choices(self, "department").queryset = departments
        self.round = round

    def clean(self) -> dict[str, Any]:
        super().clean()
        # Required unless 长期坚持: the service says so (after it has checked who may edit).
        check_deadline(self, self.round, unchanged=self.initial.get("deadline"))
        return self.cleaned_data

    @classmethod
    def initial_for(cls, measure: Measure) -> dict[str, Any]:
        return {
            "text": measure.text,
            "kind": measure.kind,
            "leader": measure.leader_id,
            "department": measure.department_id,
            "person": measure.person_id,
            "deadline": measure.deadline,
            "version": measure.version,
        }


class SplitForm(forms.Form):
    texts = forms.CharField(
        label="拆分为",
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="每行一条措施，至少两行；第一条保留原措施的进展记录",
        error_messages={"required": "请填写拆分后的措施，每行一条"},
    )
    version = forms.IntegerField(
        widget=forms.HiddenInput(), min_value=1, error_messages={"required": "页面已过期，请刷新后重新操作"}
    )

    def clean_texts(self) -> list[str]:
        parts = [line.strip() for line in re.split(r"\r?\n", self.cleaned_data["texts"]) if line.strip()]
        if len(parts) < 2:
            raise forms.ValidationError("拆分后至少应有两条措施（每行一条）")
        return parts


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", "上移"), ("down", "下移")], error_messages=CHOICE_INVALID)


class ProgressForm(forms.Form):
    text = forms.CharField(
        label="整改进展",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写整改进展"},
    )
    # Named like ``BaseForm.files`` (the uploaded files), which mypy takes it to replace; the form's
    # metaclass moves every field off the class, so ``self.files`` stays Django's.
    files = MultipleFileField(  # type: ignore[assignment]
        label="佐证材料",
        required=False,
        help_text="可选多个文件；接受 PDF、JPG、PNG、DOCX、XLSX、TXT",
        error_messages={"invalid": "上传的文件无效，请重新选择", "empty": "上传的文件是空文件"},
    )

    # A one-time token made when the form is shown: the same form sent twice (back and
    # resubmit) makes one entry (``services.progress_add``).
    token = forms.CharField(
        widget=forms.HiddenInput(),
        required=False,
        max_length=64,
        validators=[RegexValidator(r"^[A-Za-z0-9_-]{16,64}$", "页面已过期，请刷新后重新填报")],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["token"] = secrets.token_urlsafe(24)

    def clean_text(self) -> str:
        text = self.cleaned_data["text"].strip()
        if not text:
            raise forms.ValidationError("请填写整改进展")
        return text


class ReviewForm(forms.Form):
    decision = forms.ChoiceField(choices=ReviewDecision.choices, error_messages=CHOICE_INVALID)
    reason = forms.CharField(
        label="审核意见（退回时必填）", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        if data.get("decision") == ReviewDecision.RETURN and not (data.get("reason") or "").strip():
            self.add_error("reason", "退回时请写明理由")
        return data


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label="理由", widget=forms.Textarea(attrs={"rows": 2}), error_messages={"required": "请写明理由"}
    )


class CloseForm(forms.Form):
    """对账销号 with its opinion: the service refuses an empty one (and first anyone who may not close)."""

    opinion = forms.CharField(
        label="销号意见",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="写明整改是否到位、核查了哪些材料，作为销号依据存档",
    )


class BulkAssignForm(forms.Form):
    measures = IdListField(required=False)
    leader: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=None,
        label="责任领导",
        required=False,
        empty_label="（不修改）",
        error_messages=CHOICE_INVALID,
    )
    department: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        queryset=None,
        label="责任部门",
        required=False,
        empty_label="（不修改）",
        error_messages=CHOICE_INVALID,
    )
    person: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=None, label="责任人", required=False, empty_label="（不修改）", error_messages=CHOICE_INVALID
    )
    deadline = date_field("完成时限")
    next = forms.CharField(widget=forms.HiddenInput(), required=False)

    def __init__(
        self,
        *args: Any,
        people: QuerySet[User],
        departments: QuerySet[Unit],
        round: Round | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        model_choices(self, "leader").queryset = people
        model_choices(self, "person").queryset = people
        model_choices(self, "department").queryset = departments
        self.round = round

    def clean(self) -> dict[str, Any]:
        super().clean()
        check_deadline(self, self.round)
        return self.cleaned_data

    def clean_measures(self) -> list[int]:
        ids = self.cleaned_data["measures"]
        if not ids:
            raise forms.ValidationError("请先勾选要分配的措施")
        return ids


# --- search --------------------------------------------------------------------------------------


class SearchForm(forms.Form):
    round: forms.ModelChoiceField[Round] = forms.ModelChoiceField(
        queryset=None, label="巡察轮次", required=False, empty_label="全部轮次", error_messages=CHOICE_INVALID
    )
    status = forms.ChoiceField(
        label="整改状态",
        required=False,
        choices=[("", "全部状态"), *MeasureStatus.choices],
        error_messages=CHOICE_INVALID,
    )
    department: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        queryset=None, label="责任部门", required=False, empty_label="全部部门", error_messages=CHOICE_INVALID
    )
    person: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        queryset=None, label="责任人", required=False, empty_label="全部人员", error_messages=CHOICE_INVALID
    )
    deadline_from = date_field("完成时限自")
    deadline_to = date_field("完成时限至")
    overdue = forms.BooleanField(label="只看已逾期", required=False)
    unassigned = forms.BooleanField(label="只看未分配责任人", required=False)
    q = forms.CharField(
        label="关键词",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "措施或问题中的文字"}),
    )
    # Typed instead of chosen when the choices would be too many to list (``by_name``).
    department_name = forms.CharField(
        label="责任部门",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "部门名称"}),
        help_text="输入部门名称或其中一部分",
    )
    person_name = forms.CharField(
        label="责任人",
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "姓名或用户名"}),
        help_text="输入姓名、用户名或其中一部分",
    )

    def __init__(
        self,
        *args: Any,
        rounds: QuerySet[Round] | None,
        people: QuerySet[User],
        departments: QuerySet[Unit],
        people_by_name: bool = False,
        departments_by_name: bool = False,
        **kwargs: Any,
    ) -> None:
        """``people``/``departments`` are what ``person=<id>``/``department=<id>`` may name. With
        ``*_by_name`` they are not listed (the view's call for a large scope): the page offers a
        name field instead, and a select of only the one a link named (``person=<id>``), which
        may be set back to 全部."""
        super().__init__(*args, **kwargs)
        if rounds is None:
            del self.fields["round"]
        else:
            model_choices(self, "round").queryset = rounds
        self.by_name: list[str] = []
        for name, choices, by_name, label in (
            ("person", people, people_by_name, "指定责任人"),
            ("department", departments, departments_by_name, "指定责任部门"),
        ):
            field = model_choices(self, name)
            field.queryset = choices  # what an id is validated against: one query by primary key
            if not by_name:
                del self.fields[f"{name}_name"]
                continue
            self.by_name.append(name)
            field.label = label
            # A fixed list the select renders instead of reading the queryset: the named one is
            # added once validated (``clean``).
            field.widget.choices = [("", field.empty_label)]

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        lo, hi = data.get("deadline_from"), data.get("deadline_to")
        if lo and hi and hi < lo:
            self.add_error("deadline_to", "结束日期早于开始日期")
        for name in self.by_name:
            named = data.get(name)
            if named is not None:
                field = model_choices(self, name)
                field.widget.choices = [("", field.empty_label), (named.pk, str(named))]
        return data
