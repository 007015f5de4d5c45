"""Warnings and extensions: a round's supervision settings (the warning tiers, who each tells,
责任领导预审), the request for a later deadline (申请延期) from a measure, its decision by the
responsible leader or the unit head, and the list of requests waiting for the user.

Pages of a round, a measure or a request outside the user's units are 404; an action the
user may not take is 403 (recorded when posted)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone

from zhenggai.errors import InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import action_view, refusals_recorded, require_allowed
from zhenggai.ledger import policy
from zhenggai.ledger import selectors as ledger_selectors
from zhenggai.ledger.models import Measure
from zhenggai.ledger.services.supervision import round_prereview_set
from zhenggai.supervision.models import Extension, RoundSettings
from zhenggai.supervision.rules import AUDIENCES, LEVEL_CSS, LEVELS, tier_of, tiers_for
from zhenggai.supervision.selectors import warnings as selectors
from zhenggai.supervision.services import extensions as ext_services
from zhenggai.supervision.services.settings import RUSH_HOURS, STAGE_REPORT_MONTHS, round_settings_update

from ..forms import REQUIRED, add_service_error, date_field

NOT_CLERK = "只有本单位整改办工作人员可以修改督办设置"


# --- forms -------------------------------------------------------------------------------------


class SettingsForm(forms.Form):
    """The tiers as a table (one row per colour: used or not, days, who is told), the two
    thresholds and the 责任领导预审 switch. The order and escalation are checked by the service
    (``rules.validate_tiers``), whose message is shown above the table."""

    stage_report_months = forms.IntegerField(
        label="长期坚持措施阶段报告间隔（月）",
        min_value=STAGE_REPORT_MONTHS[0],
        max_value=STAGE_REPORT_MONTHS[1],
        error_messages={**REQUIRED, "invalid": "请输入整数"},
    )
    rush_hours = forms.IntegerField(
        label="临近时限突击完成（小时）",
        min_value=RUSH_HOURS[0],
        max_value=RUSH_HOURS[1],
        error_messages={**REQUIRED, "invalid": "请输入整数"},
    )
    leader_prereview = forms.BooleanField(
        label="责任领导预审：措施提交后先由责任领导审核，再报第一责任人审核", required=False
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for key, name in LEVELS.items():
            self.fields[f"{key}_on"] = forms.BooleanField(label=f"启用{name}", required=False)
            self.fields[f"{key}_days"] = forms.IntegerField(
                label=f"{name}：距完成时限天数",
                required=False,
                min_value=-3650,
                max_value=3650,
                error_messages={"invalid": "请输入整数"},
            )
            self.fields[f"{key}_notify"] = forms.MultipleChoiceField(
                label=f"{name}：通知对象",
                required=False,
                choices=list(AUDIENCES.items()),
                widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
            )

    @staticmethod
    def initial_for(row: RoundSettings, prereview: bool) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "stage_report_months": row.stage_report_months,
            "rush_hours": row.rush_hours,
            "leader_prereview": prereview,
        }
        for t in row.tiers:
            initial[f"{t['key']}_on"] = True
            initial[f"{t['key']}_days"] = t["days"]
            initial[f"{t['key']}_notify"] = list(t["notify"])
        return initial

    def rows(self) -> list[dict[str, Any]]:
        """The table's rows: one per colour, with its three fields."""
        return [
            {
                "key": key,
                "name": name,
                "css": LEVEL_CSS[key],
                "on": self[f"{key}_on"],
                "days": self[f"{key}_days"],
                "notify": self[f"{key}_notify"],
            }
            for key, name in LEVELS.items()
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        tiers = []
        for key, name in LEVELS.items():
            if not data.get(f"{key}_on"):
                continue
            days = data.get(f"{key}_days")
            if days is None:
                self.add_error(f"{key}_days", f"请填写{name}的天数")
                continue
            tiers.append({"key": key, "days": days, "notify": list(data.get(f"{key}_notify") or [])})
        data["tiers"] = tiers
        return data


class ExtensionRequestForm(forms.Form):
    new_deadline = date_field("申请延至", required=True)
    reason = forms.CharField(
        label="延期理由",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请写明延期理由"},
    )


class ExtensionDecideForm(forms.Form):
    decision = forms.ChoiceField(
        label="审批结果",
        choices=[("grant", "同意延期"), ("refuse", "不同意")],
        error_messages={"required": "请选择审批结果", "invalid_choice": "审批结果不正确"},
    )
    opinion = forms.CharField(
        label="审批意见", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


# --- round supervision settings -----------------------------------------------------------------


@login_required
def round_settings(request: AuthedRequest, pk: int) -> HttpResponse:
    """The round's supervision settings: every user of the unit sees them; the clerk edits."""
    found = selectors.round_settings_for_user(user=request.user, round_pk=pk)
    round_, row = found.round, found.settings
    editable = policy.can(request.user, round_.unit, policy.EDIT_ROLES)
    form = SettingsForm(initial=SettingsForm.initial_for(row, round_.leader_prereview))
    status = 200
    if request.method == "POST":
        require_allowed(request, editable, action="supervision.settings", obj=round_, reason=NOT_CLERK)
        form = SettingsForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            back = reverse("supervision:round-settings", args=[round_.pk])
            try:
                with refusals_recorded(request, action="supervision.settings", obj=round_, back=back):
                    round_settings_update(
                        actor=request.user,
                        round=round_,
                        tiers=data["tiers"],
                        stage_report_months=data["stage_report_months"],
                        rush_hours=data["rush_hours"],
                    )
                with refusals_recorded(request, action="round.prereview", obj=round_, back=back):
                    round_prereview_set(actor=request.user, round=round_, enabled=data["leader_prereview"])
            except InvalidInput as err:
                add_service_error(form, err)
            else:
                messages.success(request, "督办设置已保存，下次运行预警提醒时按新设置计算。")
                return redirect(back)
        status = 400
    return render(
        request,
        "web/supervision/warnings/settings.html",
        {"round": round_, "form": form, "editable": editable, "audiences": AUDIENCES},
        status=status,
    )


# --- extensions ---------------------------------------------------------------------------------


def _measure_tier(measure: Measure) -> str:
    return (
        tier_of(
            deadline=measure.deadline,
            status=measure.status,
            today=timezone.localdate(),
            tiers=tiers_for(measure.round),
        )
        or ""
    )


@login_required
def extension_request(request: AuthedRequest, pk: int) -> HttpResponse:
    """申请延期 of a measure: the responsible person (or the clerk)."""
    measure = ledger_selectors.measure_get_for_user(user=request.user, pk=pk)
    back = reverse("web:measure-detail", args=[measure.pk])
    pending = selectors.pending_extension_of(measure=measure)
    allowed = ext_services.may_request_extension(request.user, measure)
    require_allowed(
        request,
        allowed,
        action="extension.request",
        obj=measure,
        reason="只有该措施的责任人（或整改办）可以为未完成的措施申请延期",
    )
    form = ExtensionRequestForm()
    status = 200
    if request.method == "POST":
        form = ExtensionRequestForm(request.POST)
        if form.is_valid():
            try:
                with refusals_recorded(request, action="extension.request", obj=measure, back=back):
                    ext_services.extension_request(
                        actor=request.user,
                        measure=measure,
                        new_deadline=form.cleaned_data["new_deadline"],
                        reason=form.cleaned_data["reason"],
                    )
            except InvalidInput as err:
                add_service_error(form, err)
            else:
                messages.success(request, "延期申请已提交，等待责任领导或单位主要负责人审批。")
                return redirect(back)
        status = 400
    return render(
        request,
        "web/supervision/warnings/extension_request.html",
        {
            "measure": measure,
            "round": measure.round,
            "finding": measure.finding,
            "path": [*ledger_selectors.finding_path(measure.finding), measure.finding],
            "form": form,
            "pending": pending,
            "history": selectors.extensions_of(measure=measure),
            "tier": _measure_tier(measure),
        },
        status=status,
    )


def _extension_page(
    request: AuthedRequest, ext: Extension, *, form: ExtensionDecideForm | None = None, status: int = 200
) -> HttpResponse:
    measure = ext.measure
    may_decide = ext_services.may_decide_extension(request.user, ext)
    return render(
        request,
        "web/supervision/warnings/extension_detail.html",
        {
            "ext": ext,
            "measure": measure,
            "round": measure.round,
            "finding": measure.finding,
            "path": [*ledger_selectors.finding_path(measure.finding), measure.finding],
            "may_decide": may_decide,
            "may_withdraw": ext_services.may_withdraw_extension(request.user, ext),
            "form": form or (ExtensionDecideForm() if may_decide else None),
            "tier": _measure_tier(measure),
        },
        status=status,
    )


@login_required
def extension_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    ext = selectors.extension_get_for_user(user=request.user, pk=pk)
    return _extension_page(request, ext)


@action_view
def extension_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    ext = selectors.extension_get_for_user(user=request.user, pk=pk)
    back = reverse("supervision:extension-detail", args=[ext.pk])
    form = ExtensionDecideForm(request.POST)
    if form.is_valid():
        grant = form.cleaned_data["decision"] == "grant"
        try:
            with refusals_recorded(request, action="extension.decide", obj=ext, back=back):
                ext_services.extension_decide(
                    actor=request.user, extension=ext, grant=grant, opinion=form.cleaned_data["opinion"]
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已同意延期，完成时限已更新。" if grant else "已作出不同意延期的审批。")
            return redirect(back)
    require_allowed(
        request,
        ext_services.may_decide_extension(request.user, ext),
        action="extension.decide",
        obj=ext,
        reason="只有该措施的责任领导或单位主要负责人可以审批延期申请",
    )
    return _extension_page(request, ext, form=form, status=400)


@action_view
def extension_withdraw(request: AuthedRequest, pk: int) -> HttpResponse:
    ext = selectors.extension_get_for_user(user=request.user, pk=pk)
    back = reverse("supervision:extension-detail", args=[ext.pk])
    with refusals_recorded(request, action="extension.withdraw", obj=ext, back=back):
        ext_services.extension_withdraw(actor=request.user, extension=ext)
    messages.success(request, "延期申请已撤回。")
    return redirect(reverse("web:measure-detail", args=[ext.measure_id]))


EXTENSIONS_SHOWN = 200


@login_required
def extension_list(request: AuthedRequest) -> HttpResponse:
    """The requests waiting for the user's decision, and the user's own latest requests."""
    pending = list(selectors.pending_extensions_for_user(user=request.user)[:EXTENSIONS_SHOWN])
    mine = list(selectors.my_extensions_for_user(user=request.user)[:EXTENSIONS_SHOWN])
    return render(
        request,
        "web/supervision/warnings/extension_list.html",
        {"pending": pending, "mine": mine, "shown": EXTENSIONS_SHOWN},
    )
