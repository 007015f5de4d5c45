"""Filters and tags of the pages: Chinese dates, status badges, money, form fields."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import forms, template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

from zhenggai.ledger.models import MeasureStatus, ProblemStatus
from zhenggai.ledger.policy import ProblemState, is_overdue
from zhenggai.ledger.selectors import today

register = template.Library()

STATUS_CSS: dict[str, str] = {
    MeasureStatus.NOT_STARTED: "status-not-started",
    MeasureStatus.IN_PROGRESS: "status-in-progress",
    MeasureStatus.LEADER_REVIEW: "status-pending-review",
    MeasureStatus.PENDING_REVIEW: "status-pending-review",
    MeasureStatus.DONE: "status-done",
    MeasureStatus.STAGE_DONE: "status-stage-done",
}
STATUS_LABELS = dict(MeasureStatus.choices)
PROBLEM_CSS: dict[str, str] = {
    ProblemState.CLOSED: "status-closed",
    ProblemState.COMPLETE: "status-done",
    ProblemState.BASIC: "status-stage-done",
    ProblemState.WORKING: "status-in-progress",
    ProblemState.NOT_STARTED: "status-not-started",
}


@register.filter
def zdate(value: dt.date | dt.datetime | None) -> str:
    """2022年3月15日 (the one date format of the pages); "—" when there is none."""
    if value is None or value == "":
        return "—"
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return f"{value.year}年{value.month}月{value.day}日"


@register.filter
def zdatetime(value: dt.datetime | None) -> str:
    """2022年3月15日 14:30, in Beijing time."""
    if value is None:
        return "—"
    local = timezone.localtime(value) if timezone.is_aware(value) else value
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@register.filter
def isodate(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


@register.simple_tag
def status_badge(status: str) -> SafeString:
    return format_html(
        '<span class="badge {}">{}</span>',
        STATUS_CSS.get(status, "text-bg-secondary"),
        STATUS_LABELS.get(status, status),
    )


@register.simple_tag
def problem_badge(state: str) -> SafeString:
    """A problem's state (已销号 / 已完成 / 基本完成 / 整改中 / 未开始)."""
    return format_html('<span class="badge {}">{}</span>', PROBLEM_CSS.get(state, "text-bg-secondary"), state)


@register.simple_tag
def closed_badge(finding: Any) -> SafeString:
    """The 已销号 badge of a closed problem (its other states need its measures: ``problem_badge``)."""
    if finding.status == ProblemStatus.CLOSED:
        return problem_badge(ProblemState.CLOSED)
    return SafeString("")


@register.filter
def overdue(measure: Any) -> bool:
    return is_overdue(measure.status, measure.deadline, today())


@register.simple_tag
def overdue_badge(measure: Any) -> SafeString:
    if is_overdue(measure.status, measure.deadline, today()):
        return SafeString('<span class="badge status-overdue">已逾期</span>')
    return SafeString("")


@register.filter
def percent(rate: float | None) -> str:
    """76.67% (Tally.completion_rate), or "—" when there is nothing to count."""
    return "—" if rate is None else f"{rate:.2f}%"


@register.filter
def yuan(amount: Decimal | None) -> str:
    if amount is None:
        return "—"
    return f"{amount:,.2f} 元"


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping[key]
    except (KeyError, IndexError, TypeError):
        return ""


@register.inclusion_tag("web/_field.html")
def field(bound: forms.BoundField, css: str = "") -> dict[str, Any]:
    """A form field with its label, help and the errors next to it, in Bootstrap's markup."""
    widget = bound.field.widget
    if isinstance(widget, forms.CheckboxInput):
        base = "form-check-input"
    elif isinstance(widget, forms.Select):
        base = "form-select"
    else:
        base = "form-control"
    if bound.errors:
        base += " is-invalid"
    attrs: dict[str, str | bool] = {"class": base}
    if bound.errors:
        attrs["aria-describedby"] = f"{bound.auto_id}_errors"
    return {
        "f": bound,
        "widget": bound.as_widget(attrs=attrs),
        "checkbox": isinstance(widget, forms.CheckboxInput),
        "hidden": bound.is_hidden,
        "css": css,
    }
