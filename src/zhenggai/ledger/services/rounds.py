"""Rounds and their findings; the bounds of a deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from zhenggai.accounts.actors import Actor
from zhenggai.accounts.models import Sensitivity
from zhenggai.audit.services import audit_change
from zhenggai.errors import Gone, InvalidInput
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
    _lock_round,
    add_months,
)
from .plan import _amend

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
    leader_prereview: bool = False,
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
        leader_prereview=leader_prereview,
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


# --- corrections of an import ---------------------------------------------------------------------

#: What ``round_update`` may change: the round's own facts (not its unit or source).
ROUND_FIELDS = (
    *("title", "kind", "inspecting_group", "period_start", "period_end", "feedback_date"),
    "leader_prereview",  # 责任领导预审: a submission goes to the measure's leader before the unit head
)


@transaction.atomic
def round_update(*, actor: Actor, round: Round, **values: Any) -> Round:
    """Correct the round's facts (title, kind, inspection group, period, feedback date) and set
    its 责任领导预审 switch; the plan and report deadlines follow a changed feedback date.
    Audited with what changed."""
    require_role(actor, round.unit, EDIT_ROLES, "修改巡察轮次信息")
    unknown = set(values) - set(ROUND_FIELDS)
    if unknown:
        raise InvalidInput(f"不能修改的字段：{'、'.join(sorted(unknown))}")
    r = _lock_round(round.pk)
    if "title" in values:
        values["title"] = str(values["title"] or "").strip()[:200]
        if not values["title"]:
            raise InvalidInput("请填写名称", field="title")
    if "inspecting_group" in values:
        values["inspecting_group"] = str(values["inspecting_group"] or "").strip()[:100]
    if "kind" in values and values["kind"] not in RoundKind.values:
        raise InvalidInput("巡察类型不正确", field="kind")
    start = values.get("period_start", r.period_start)
    end = values.get("period_end", r.period_end)
    if start and end and end < start:
        raise InvalidInput("巡察结束日期早于开始日期", field="period_end")
    before = {f: getattr(r, f) for f, v in values.items() if getattr(r, f) != v}
    if not before:
        return r
    for f in before:
        setattr(r, f, values[f])
    if "feedback_date" in before:
        fed = r.feedback_date
        r.plan_due = add_months(fed, settings.PLAN_DUE_MONTHS) if fed else None
        r.report_due = add_months(fed, settings.REPORT_DUE_MONTHS) if fed else None
    r.full_clean()
    r.save()
    audit_change(actor, "round.update", r, before=before, after={f: getattr(r, f) for f in before})
    return r


@transaction.atomic
def finding_update(
    *, actor: Actor, finding: Finding, title: str, number: str = "", description: str | None = None
) -> Finding:
    """Correct a category's, issue's or problem's number, title and description (``None``:
    the description is left as it is). After the plan is signed the change is recorded as an
    amendment of the plan, like a measure's."""
    require_role(actor, finding.unit, EDIT_ROLES, "修改问题")
    r = _lock_round(finding.round_id)
    f = Finding.objects.select_for_update().filter(pk=finding.pk, round=r).first()
    if f is None:
        raise Gone("该问题已被删除（可能是他人在您打开页面后删除的），请返回本轮次页面刷新")
    require_cleared(actor, f.sensitivity, "修改问题")
    values = {"title": title.strip()[:500], "number": number.strip()[:20]}
    if description is not None:
        values["description"] = description.strip()
    if not values["title"]:
        raise InvalidInput("请填写标题", field="title")
    before = {k: getattr(f, k) for k, v in values.items() if getattr(f, k) != v}
    if not before:
        return f
    after = {k: values[k] for k in before}
    for k, v in after.items():
        setattr(f, k, v)
    f.full_clean()
    f.save(update_fields=list(after))
    _amend(actor, r, None, "修改问题", {"finding": f.pk, **before}, {"finding": f.pk, **after})
    audit_change(actor, "finding.update", f, before=before, after=after)
    return f
