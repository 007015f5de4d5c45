"""Supervision after close-out: verification (核验), look-backs (回头看), the effectiveness
evaluation (整改成效评估) and 督办单. Pages of a round, a look-back, a measure or an order
outside the user's units are 404; a page only supervisors may use is 403 for the others."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from zhenggai.errors import InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import action_view, refusals_recorded, require_allowed
from zhenggai.ledger import policy
from zhenggai.ledger import selectors as ledger_selectors
from zhenggai.ledger.models import Finding, FindingKind, Round
from zhenggai.supervision.models import FollowUpOrder, Indicator, LookbackResult, OrderStatus, default_tiers
from zhenggai.supervision.rules import LEVEL_CSS, LEVELS, tiers_for
from zhenggai.supervision.selectors import followup
from zhenggai.supervision.services import evaluation, lookbacks, orders, verification
from zhenggai.units.models import Unit

from ..forms import CHOICE_INVALID, REQUIRED, add_service_error, date_field, model_choices
from .common import number_param, page_number

ORDERS_PER_PAGE = 50
NOT_SUPERVISOR = "只有监督人员（巡察办、纪委监委、组织部）可以"


def _supervises(request: AuthedRequest, round_: Round) -> bool:
    return policy.can(request.user, round_.unit, policy.SUPERVISE_ROLES)


# --- forms -------------------------------------------------------------------------------------


class VerifyForm(forms.Form):
    result = forms.ChoiceField(
        label="核验结论",
        choices=[("effective", "核验有效"), ("sent_back", "核验退回（问题重新打开，措施回到“整改中”）")],
        widget=forms.RadioSelect,
        error_messages=CHOICE_INVALID,
    )
    opinion = forms.CharField(
        label="核验意见",
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写核验意见"},
    )


class ProblemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj: Finding) -> str:
        return f"{obj.number} {obj.title}"


class LookbackForm(forms.Form):
    title = forms.CharField(
        label="名称", max_length=200, error_messages=REQUIRED, help_text="如：2026年巡察整改“回头看”"
    )
    scheduled_on = date_field("计划日期", required=True)
    scope = forms.ChoiceField(
        label="范围",
        choices=[("all", "本轮次全部已销号问题"), ("chosen", "所选问题")],
        initial="all",
        widget=forms.RadioSelect,
        error_messages=CHOICE_INVALID,
    )
    findings = ProblemChoiceField(
        queryset=Finding.objects.none(),
        label="所选问题",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "所选问题不存在或不可选", "invalid_pk_value": "所选问题不正确"},
    )

    def __init__(self, *args: Any, problems: QuerySet[Finding], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choices(self, "findings").queryset = problems

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("scope") == "chosen" and not data.get("findings"):
            self.add_error("findings", "请选择要回头看的问题")
        return data


class CheckForm(forms.Form):
    result = forms.ChoiceField(
        label="核查结论",
        choices=[
            (LookbackResult.HELD, "巩固良好"),
            (LookbackResult.RELAPSED, "反弹（重新打开，进入下一轮整改）"),
        ],
        error_messages=CHOICE_INVALID,
    )
    opinion = forms.CharField(
        label="核查意见（认定反弹时必填）", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("result") == LookbackResult.RELAPSED and not (data.get("opinion") or "").strip():
            self.add_error("opinion", "认定反弹时请写明核查意见")
        return data


class IndicatorForm(forms.Form):
    dimension = forms.CharField(label="评估维度", max_length=100, error_messages=REQUIRED)
    name = forms.CharField(label="评估指标", max_length=300, error_messages=REQUIRED)
    max_score = forms.DecimalField(
        label="分值",
        max_digits=6,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={**REQUIRED, "invalid": "请输入数字", "min_value": "分值应大于0"},
    )


class ScoreForm(forms.Form):
    """One score and comment per indicator (``score-<id>``, ``comment-<id>``); an empty score
    leaves the indicator unscored by this evaluator."""

    def __init__(self, *args: Any, indicators: list[Indicator], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.indicators = indicators
        for ind in indicators:
            self.fields[f"score-{ind.pk}"] = forms.DecimalField(
                label=ind.name,
                required=False,
                max_digits=6,
                decimal_places=2,
                min_value=Decimal(0),
                max_value=ind.max_score,
                error_messages={
                    "invalid": "请输入数字",
                    "min_value": "得分不能小于0",
                    "max_value": f"得分不能超过{ind.max_score}分",
                },
            )
            self.fields[f"comment-{ind.pk}"] = forms.CharField(label="评语", required=False, max_length=1000)

    def rows(self) -> list[tuple[Indicator, forms.BoundField, forms.BoundField]]:
        return [(ind, self[f"score-{ind.pk}"], self[f"comment-{ind.pk}"]) for ind in self.indicators]


class OrderForm(forms.Form):
    unit: forms.ModelChoiceField[Unit] = forms.ModelChoiceField(
        queryset=Unit.objects.none(), label="督办单位", empty_label=None, error_messages=CHOICE_INVALID
    )
    round: forms.ModelChoiceField[Round] = forms.ModelChoiceField(
        queryset=Round.objects.none(), label="相关巡察轮次", required=False, error_messages=CHOICE_INVALID
    )
    subject = forms.CharField(label="督办事项", max_length=200, error_messages=REQUIRED)
    body = forms.CharField(
        label="督办要求",
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": "请填写督办要求"},
    )
    reply_due = date_field("回复期限", required=True)

    def __init__(self, *args: Any, units: QuerySet[Unit], rounds: QuerySet[Round], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_choices(self, "unit").queryset = units
        model_choices(self, "round").queryset = rounds


class ReplyForm(forms.Form):
    reply = forms.CharField(
        label="回复内容",
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": "请填写回复内容"},
    )
    version = forms.IntegerField(widget=forms.HiddenInput, error_messages=REQUIRED)


class DecideForm(forms.Form):
    decision = forms.ChoiceField(
        label="办理结果",
        choices=[("close", "办结"), ("return", "退回重新回复")],
        widget=forms.RadioSelect,
        error_messages=CHOICE_INVALID,
    )
    opinion = forms.CharField(
        label="意见", widget=forms.Textarea(attrs={"rows": 3}), error_messages={"required": "请填写意见"}
    )
    reply_due = date_field("新的回复期限（退回时可选）")


# --- look-backs ----------------------------------------------------------------------------------


@login_required
def round_lookbacks(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = ledger_selectors.round_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "web/supervision/followup/lookbacks.html",
        {
            "round": round_,
            "lookbacks": followup.lookbacks_of_round(user=request.user, round=round_),
            "rate": followup.relapse_rate(round=round_),
            "supervises": _supervises(request, round_),
        },
    )


@login_required
def lookback_create(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = ledger_selectors.round_get_for_user(user=request.user, pk=pk)
    require_allowed(
        request,
        _supervises(request, round_),
        action="lookback.create",
        obj=round_,
        reason=f"{NOT_SUPERVISOR}安排回头看",
    )
    problems = followup.closed_problems_for_lookback(user=request.user, round=round_)
    form = LookbackForm(request.POST if request.method == "POST" else None, problems=problems)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        chosen = [f.pk for f in data["findings"]] if data["scope"] == "chosen" else None
        try:
            with refusals_recorded(request, action="lookback.create", obj=round_):
                lb = lookbacks.lookback_create(
                    actor=request.user,
                    round=round_,
                    title=data["title"],
                    scheduled_on=data["scheduled_on"],
                    finding_ids=chosen,
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"已安排回头看“{lb.title}”。")
            return redirect("supervision:lookback-detail", pk=lb.pk)
    return render(
        request,
        "web/supervision/followup/lookback_create.html",
        {"round": round_, "form": form, "problems": problems},
        status=400 if request.method == "POST" else 200,
    )


def _lookback_page(
    request: AuthedRequest, pk: int, *, forms_: dict[int, CheckForm] | None = None, status: int = 200
) -> HttpResponse:
    lb = followup.lookback_get_for_user(user=request.user, pk=pk)
    rows = followup.lookback_items(user=request.user, lookback=lb)
    supervises = _supervises(request, lb.round)
    forms_ = forms_ or {}
    return render(
        request,
        "web/supervision/followup/lookback_detail.html",
        {
            "round": lb.round,
            "lookback": lb,
            "rows": [(r, forms_.get(r.item.pk) or CheckForm(prefix=f"item{r.item.pk}")) for r in rows],
            "supervises": supervises and lb.status == "planned",
            "pending": sum(r.item.result == LookbackResult.PENDING for r in rows),
            "relapsed": sum(r.item.result == LookbackResult.RELAPSED for r in rows),
            "held": sum(r.item.result == LookbackResult.HELD for r in rows),
        },
        status=status,
    )


@login_required
def lookback_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _lookback_page(request, pk)


@action_view
def lookback_check(request: AuthedRequest, pk: int) -> HttpResponse:
    item = followup.lookback_item_get_for_user(user=request.user, pk=pk)
    back = reverse("supervision:lookback-detail", args=[item.lookback_id])
    form = CheckForm(request.POST, prefix=f"item{item.pk}")
    if form.is_valid():
        try:
            with refusals_recorded(request, action="lookback.check", obj=item, back=back):
                lookbacks.lookback_check(
                    actor=request.user,
                    item=item,
                    result=form.cleaned_data["result"],
                    opinion=form.cleaned_data["opinion"],
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            if form.cleaned_data["result"] == LookbackResult.RELAPSED:
                messages.warning(request, "已认定反弹：该问题已重新打开，进入下一轮整改，原整改记录保留。")
            else:
                messages.success(request, "已记录：巩固良好。")
            return redirect(back)
    return _lookback_page(request, item.lookback_id, forms_={item.pk: form}, status=400)


@action_view
def lookback_complete(request: AuthedRequest, pk: int) -> HttpResponse:
    lb = followup.lookback_get_for_user(user=request.user, pk=pk)
    back = reverse("supervision:lookback-detail", args=[lb.pk])
    with refusals_recorded(request, action="lookback.complete", obj=lb, back=back):
        lookbacks.lookback_complete(actor=request.user, lookback=lb)
    messages.success(request, "回头看已完成。")
    return redirect(back)


# --- verification --------------------------------------------------------------------------------


@login_required
def round_verifications(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = ledger_selectors.round_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "web/supervision/followup/verifications.html",
        {
            "round": round_,
            "rows": followup.round_verifications(user=request.user, round=round_),
            "supervises": _supervises(request, round_),
        },
    )


@login_required
def measure_verify(request: AuthedRequest, pk: int) -> HttpResponse:
    measure = ledger_selectors.measure_get_for_user(user=request.user, pk=pk)
    require_allowed(
        request,
        policy.can(request.user, measure.unit, policy.SUPERVISE_ROLES),
        action="measure.verify",
        obj=measure,
        reason=f"{NOT_SUPERVISOR}核验整改成效",
    )
    back = reverse("supervision:round-verifications", args=[measure.round_id])
    form = VerifyForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        effective = form.cleaned_data["result"] == "effective"
        try:
            with refusals_recorded(request, action="measure.verify", obj=measure, back=back):
                verification.measure_verify(
                    actor=request.user,
                    measure=measure,
                    effective=effective,
                    opinion=form.cleaned_data["opinion"],
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            if effective:
                messages.success(request, "已核验：整改有效。")
            else:
                messages.warning(request, "已核验退回：该问题已重新打开，措施回到“整改中”，已通知责任人。")
            return redirect(back)
    implemented = request.user.pk in followup.implementers(measure)
    return render(
        request,
        "web/supervision/followup/verify.html",
        {
            "round": measure.round,
            "measure": measure,
            "finding": measure.finding,
            "form": form,
            "implemented": implemented,
            "closed": measure.finding.status == "closed",
            "history": followup.verifications_of_measure(measure=measure),
        },
        status=400 if request.method == "POST" else 200,
    )


# --- the effectiveness evaluation ----------------------------------------------------------------


def _scheme_page(
    request: AuthedRequest, round_: Round, *, form: IndicatorForm | None = None, status: int = 200
) -> HttpResponse:
    supervises = _supervises(request, round_)
    return render(
        request,
        "web/supervision/followup/evaluation_scheme.html",
        {
            "round": round_,
            "report": followup.evaluation_report(user=request.user, round=round_),
            "supervises": supervises,
            "form": form or (IndicatorForm(prefix="add") if supervises else None),
        },
        status=status,
    )


@login_required
def evaluation_scheme(request: AuthedRequest, pk: int) -> HttpResponse:
    return _scheme_page(request, ledger_selectors.round_get_for_user(user=request.user, pk=pk))


@action_view
def evaluation_default(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = ledger_selectors.round_get_for_user(user=request.user, pk=pk)
    back = reverse("supervision:evaluation-scheme", args=[round_.pk])
    with refusals_recorded(request, action="evaluation.scheme", obj=round_, back=back):
        made = evaluation.scheme_apply_default(actor=request.user, round=round_)
    messages.success(request, f"已套用默认评估方案（6个维度、{len(made)}项指标，满分100分），可再行调整。")
    return redirect(back)


@action_view
def indicator_add(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = ledger_selectors.round_get_for_user(user=request.user, pk=pk)
    back = reverse("supervision:evaluation-scheme", args=[round_.pk])
    form = IndicatorForm(request.POST, prefix="add")
    if form.is_valid():
        try:
            with refusals_recorded(request, action="evaluation.indicator", obj=round_, back=back):
                evaluation.indicator_add(actor=request.user, round=round_, **form.cleaned_data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已新增评估指标。")
            return redirect(back)
    return _scheme_page(request, round_, form=form, status=400)


@login_required
def indicator_edit(request: AuthedRequest, pk: int) -> HttpResponse:
    ind = followup.indicator_get_for_user(user=request.user, pk=pk)
    require_allowed(
        request,
        _supervises(request, ind.round),
        action="evaluation.indicator",
        obj=ind,
        reason=f"{NOT_SUPERVISOR}设置评估指标",
    )
    back = reverse("supervision:evaluation-scheme", args=[ind.round_id])
    initial = {"dimension": ind.dimension, "name": ind.name, "max_score": ind.max_score}
    form = IndicatorForm(request.POST if request.method == "POST" else None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            with refusals_recorded(request, action="evaluation.indicator", obj=ind, back=back):
                evaluation.indicator_update(actor=request.user, indicator=ind, **form.cleaned_data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已保存评估指标。")
            return redirect(back)
    return render(
        request,
        "web/supervision/followup/indicator_edit.html",
        {"round": ind.round, "indicator": ind, "form": form},
        status=400 if request.method == "POST" else 200,
    )


@action_view
def indicator_delete(request: AuthedRequest, pk: int) -> HttpResponse:
    ind = followup.indicator_get_for_user(user=request.user, pk=pk)
    back = reverse("supervision:evaluation-scheme", args=[ind.round_id])
    with refusals_recorded(request, action="evaluation.indicator", obj=ind, back=back):
        evaluation.indicator_delete(actor=request.user, indicator=ind)
    messages.success(request, "已删除评估指标。")
    return redirect(back)


@login_required
def evaluation_score(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = ledger_selectors.round_get_for_user(user=request.user, pk=pk)
    require_allowed(
        request,
        _supervises(request, round_),
        action="evaluation.score",
        obj=round_,
        reason=f"{NOT_SUPERVISOR}评分",
    )
    report = followup.evaluation_report(user=request.user, round=round_)
    indicators = [r.indicator for d in report.dimensions for r in d.indicators]
    initial: dict[str, Any] = {}
    for d in report.dimensions:
        for r in d.indicators:
            if r.mine is not None:
                initial[f"score-{r.indicator.pk}"] = r.mine.score
                initial[f"comment-{r.indicator.pk}"] = r.mine.comment
    form = ScoreForm(
        request.POST if request.method == "POST" else None, indicators=indicators, initial=initial
    )
    if request.method == "POST" and form.is_valid():
        back = reverse("supervision:evaluation-score", args=[round_.pk])
        try:
            with (
                refusals_recorded(request, action="evaluation.score", obj=round_, back=back),
                transaction.atomic(),
            ):
                n = 0
                for ind in indicators:
                    value = form.cleaned_data[f"score-{ind.pk}"]
                    if value is None:
                        continue
                    try:
                        evaluation.score_record(
                            actor=request.user,
                            indicator=ind,
                            score=value,
                            comment=form.cleaned_data[f"comment-{ind.pk}"],
                        )
                    except InvalidInput as err:
                        raise InvalidInput(str(err), field=f"score-{ind.pk}") from err
                    n += 1
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"已保存 {n} 项评分。")
            return redirect("supervision:evaluation-report", pk=round_.pk)
    return render(
        request,
        "web/supervision/followup/evaluation_score.html",
        {"round": round_, "form": form, "report": report},
        status=400 if request.method == "POST" else 200,
    )


@login_required
def evaluation_report(request: AuthedRequest, pk: int) -> HttpResponse:
    round_ = ledger_selectors.round_get_for_user(user=request.user, pk=pk)
    return render(
        request,
        "web/supervision/followup/evaluation_report.html",
        {
            "round": round_,
            "report": followup.evaluation_report(user=request.user, round=round_),
            "rate": followup.relapse_rate(round=round_),
            "supervises": _supervises(request, round_),
        },
    )


# --- 督办单 ----------------------------------------------------------------------------------------


@login_required
def order_list(request: AuthedRequest) -> HttpResponse:
    which = request.GET.get("show", "all")
    if which not in followup.ORDER_FILTERS:
        which = "all"
    qs = followup.orders_for_user(user=request.user, which=which)
    page = Paginator(qs, ORDERS_PER_PAGE).get_page(page_number(request))
    rows = followup.order_rows(orders=list(page.object_list), today=ledger_selectors.today())
    return render(
        request,
        "web/supervision/followup/orders.html",
        {
            "page": page,
            "rows": [(o, tier, LEVELS.get(tier or ""), LEVEL_CSS.get(tier or "")) for o, tier in rows],
            "which": which,
            "filters": followup.ORDER_FILTERS,
            "querystring": f"show={which}",
            "may_issue": followup.supervised_units(user=request.user).exists(),
        },
    )


def _order_rounds(request: AuthedRequest, units: QuerySet[Unit]) -> QuerySet[Round]:
    return (
        ledger_selectors.round_list_for_user(user=request.user).filter(unit__in=units).order_by("-created_at")
    )


@login_required
def order_create(request: AuthedRequest) -> HttpResponse:
    units = followup.supervised_units(user=request.user)
    require_allowed(
        request, units.exists(), action="order.issue", obj=request.user, reason=f"{NOT_SUPERVISOR}发督办单"
    )
    initial: dict[str, Any] = {}
    finding: Finding | None = None
    fid = number_param(request.GET.get("finding") or request.POST.get("finding"), 11)
    if fid is not None:
        finding = ledger_selectors.finding_get_for_user(user=request.user, pk=fid)
        if finding.kind != FindingKind.PROBLEM:
            finding = None
        else:
            initial = {
                "unit": finding.unit_id,
                "round": finding.round_id,
                "subject": f"关于“{finding.title[:60]}”的整改督办",
            }
    form = OrderForm(
        request.POST if request.method == "POST" else None,
        units=units,
        rounds=_order_rounds(request, units),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            with refusals_recorded(request, action="order.issue", obj=data["unit"]):
                order = orders.order_issue(actor=request.user, finding=finding, **data)
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, f"已发出督办单 {order.number}，已通知该单位整改办和主要负责人。")
            return redirect("supervision:order-detail", pk=order.pk)
    return render(
        request,
        "web/supervision/followup/order_create.html",
        {"form": form, "finding": finding, "today": ledger_selectors.today()},
        status=400 if request.method == "POST" else 200,
    )


def _order_page(
    request: AuthedRequest,
    order: FollowUpOrder,
    *,
    reply_form: ReplyForm | None = None,
    decide_form: DecideForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may_reply = order.status == OrderStatus.ISSUED and policy.can(user, order.unit, policy.ORDER_REPLY_ROLES)
    may_decide = order.status == OrderStatus.REPLIED and policy.can(user, order.unit, policy.SUPERVISE_ROLES)
    tiers = tiers_for(order.round) if order.round is not None else default_tiers()
    tier = followup.order_tier(order, today=ledger_selectors.today(), tiers=tiers)
    return render(
        request,
        "web/supervision/followup/order_detail.html",
        {
            "order": order,
            "finding": followup.order_finding_shown(user=user, order=order),
            "tier": tier,
            "tier_name": LEVELS.get(tier or ""),
            "tier_css": LEVEL_CSS.get(tier or ""),
            "history": followup.order_history(order=order),
            "reply_form": (reply_form or ReplyForm(initial={"version": order.version, "reply": order.reply}))
            if may_reply
            else None,
            "decide_form": (decide_form or DecideForm()) if may_decide else None,
        },
        status=status,
    )


@login_required
def order_detail(request: AuthedRequest, pk: int) -> HttpResponse:
    return _order_page(request, followup.order_get_for_user(user=request.user, pk=pk))


@action_view
def order_reply(request: AuthedRequest, pk: int) -> HttpResponse:
    order = followup.order_get_for_user(user=request.user, pk=pk)
    back = reverse("supervision:order-detail", args=[order.pk])
    form = ReplyForm(request.POST)
    if form.is_valid():
        try:
            with refusals_recorded(request, action="order.reply", obj=order, back=back):
                orders.order_reply(
                    actor=request.user,
                    order=order,
                    reply=form.cleaned_data["reply"],
                    expected_version=form.cleaned_data["version"],
                )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已回复督办单。")
            return redirect(back)
    return _order_page(request, order, reply_form=form, status=400)


@action_view
def order_decide(request: AuthedRequest, pk: int) -> HttpResponse:
    order = followup.order_get_for_user(user=request.user, pk=pk)
    back = reverse("supervision:order-detail", args=[order.pk])
    form = DecideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        closing = data["decision"] == "close"
        try:
            with refusals_recorded(
                request, action="order.close" if closing else "order.return", obj=order, back=back
            ):
                if closing:
                    orders.order_close(actor=request.user, order=order, opinion=data["opinion"])
                else:
                    orders.order_return(
                        actor=request.user, order=order, opinion=data["opinion"], reply_due=data["reply_due"]
                    )
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "督办单已办结。" if closing else "已退回，待该单位重新回复。")
            return redirect(back)
    return _order_page(request, order, decide_form=form, status=400)
