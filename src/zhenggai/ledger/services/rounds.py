"""Rounds and their findings; the bounds of a deadline."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from zhenggai.accounts.actors import Actor
from zhenggai.accounts.models import Sensitivity
from zhenggai.audit.services import audit_change
from zhenggai.errors import InvalidInput
from zhenggai.units.models import Unit

from ..models import (
    Finding,
    FindingKind,
    MeasureStatus,
    Round,
    RoundKind,
)
from ..policy import (
    EDIT_ROLES,
    require_cleared,
    require_role,
)
from ._common import (
    add_months,
)

S = MeasureStatus


@transaction.atomic
def round_create(
    *,
    actor: Actor,
    unit: Unit,
    title: str,
    kind: str = RoundKind.REGULAR,
    inspecting_group: str = "",
    period_start: dt.date | None = None,
    period_end: dt.date | None = None,
    feedback_date: dt.date | None = None,
    source_name: str = "",
    source_sha256: str = "",
    source_text_sha256: str = "",
    source_doc_type: str = "",
) -> Round:
    """Create a round; plan and report deadlines follow from the feedback date."""
    require_role(actor, unit, EDIT_ROLES, "新建巡察轮次")
    if period_start and period_end and period_end < period_start:
        raise InvalidInput("巡察结束日期早于开始日期", field="period_end")
    if kind not in RoundKind.values:
        raise InvalidInput("巡察类型不正确", field="kind")
    r = Round(
        unit=unit,
        title=title.strip() or "巡察整改",
        kind=kind,
        inspecting_group=inspecting_group,
        period_start=period_start,
        period_end=period_end,
        feedback_date=feedback_date,
        source_name=source_name,
        source_sha256=source_sha256,
        source_text_sha256=source_text_sha256,
        source_doc_type=source_doc_type,
        created_by=actor,
    )
    if feedback_date:
        r.plan_due = add_months(feedback_date, settings.PLAN_DUE_MONTHS)
        r.report_due = add_months(feedback_date, settings.REPORT_DUE_MONTHS)
    r.full_clean()
    r.save()
    created = {"title": r.title, "kind": kind, "feedback_date": feedback_date, "source_sha256": source_sha256}
    audit_change(actor, "round.create", r, after=created)
    return r


@transaction.atomic
def finding_create(
    *, actor: Actor, round: Round, parent: Finding | None, kind: str, title: str, number: str = ""
) -> Finding:
    """Add a node to the findings tree (by hand)."""
    require_role(actor, round.unit, EDIT_ROLES, "编辑问题清单")
    if not title.strip():
        raise InvalidInput("请填写标题", field="title")
    if kind not in FindingKind.values:
        raise InvalidInput("层级不正确", field="kind")
    if parent is not None and parent.round_id != round.pk:
        raise InvalidInput("上级问题不属于本轮次", field="parent")
    if parent is not None:
        require_cleared(actor, parent.sensitivity, "编辑问题清单")
    last = Finding.objects.filter(round=round).aggregate(m=Max("position"))["m"] or 0
    f = Finding(
        round=round,
        unit=round.unit,
        parent=parent,
        kind=kind,
        title=title.strip()[:500],
        number=number,
        position=last + 1,
        # Never below the parent's label: a visible finding has visible ancestors.
        sensitivity=Sensitivity.highest(Sensitivity.INTERNAL, parent.sensitivity)
        if parent is not None
        else Sensitivity.INTERNAL,
    )
    f.full_clean()
    f.save()
    created = {"title": f.title, "kind": kind, "parent": parent.pk if parent else None}
    audit_change(actor, "finding.create", f, after=created)
    return f
