"""安全标记 (REQ-1.10): labelling problems and measures."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from zhenggai.accounts.actors import Actor
from zhenggai.accounts.models import Sensitivity
from zhenggai.audit.services import audit_change, audit_entry, audit_record_many
from zhenggai.errors import InvalidInput, NotAllowed

from ..models import (
    Finding,
    Measure,
    MeasureStatus,
    Round,
)
from ..policy import (
    LABEL_ROLES,
    cleared_for,
    require_cleared,
    require_role,
)
from ._common import (
    _label,
    _locked,
)

S = MeasureStatus


def _check_label(actor: Actor, label: str, current: str, what: str) -> None:
    if label not in Sensitivity.values:
        raise InvalidInput("安全标记不正确", field="sensitivity")
    require_cleared(actor, current, what)
    if not cleared_for(actor, label):
        raise NotAllowed(f"不能把安全标记设为“{Sensitivity(label).label}”：高于您本人的许可级别")


def _rank(label: str) -> int:
    return Sensitivity.values.index(label)


@transaction.atomic
def finding_set_sensitivity(*, actor: Actor, finding: Finding, sensitivity: str) -> Finding:
    """The clerk or the unit leader labels a finding (公开/内部/敏感), within their own clearance.

    Never below the parent's label; raising it raises every finding below that is labelled
    lower, so that a finding a user may see always has ancestors they may see. Each change is
    recorded (``label.change``) with the label before and after. Measures keep their own
    label: what counts for them is the higher of theirs and their problem's.
    """
    f = Finding.objects.select_for_update(of=("self",)).select_related("parent", "unit").get(pk=finding.pk)
    require_role(actor, f.unit, LABEL_ROLES, "设置安全标记")
    _check_label(actor, sensitivity, f.sensitivity, "设置安全标记")
    if f.parent is not None and _rank(sensitivity) < _rank(f.parent.sensitivity):
        parent_label = Sensitivity(f.parent.sensitivity).label
        raise InvalidInput(f"安全标记不能低于上级“{f.parent.title}”的“{parent_label}”", field="sensitivity")
    before = f.sensitivity
    if before == sensitivity:
        return f
    tree = list(Finding.objects.select_for_update().filter(round_id=f.round_id).order_by("position", "pk"))
    children: dict[int | None, list[Finding]] = {}
    for node in tree:
        children.setdefault(node.parent_id, []).append(node)
    raised: list[Finding] = []
    stack = list(children.get(f.pk, []))
    while stack:
        node = stack.pop()
        if _rank(node.sensitivity) < _rank(sensitivity):
            raised.append(node)
        stack.extend(children.get(node.pk, []))
    f.sensitivity = sensitivity
    f.save(update_fields=["sensitivity"])
    audit_change(actor, "label.change", f, before={"sensitivity": before}, after={"sensitivity": sensitivity})
    for node in raised:
        old = node.sensitivity
        node.sensitivity = sensitivity
        node.save(update_fields=["sensitivity"])
        audit_change(
            actor,
            "label.change",
            node,
            before={"sensitivity": old},
            after={"sensitivity": sensitivity, "with": f.pk},
        )
    return f


@transaction.atomic
def measure_set_sensitivity(*, actor: Actor, measure: Measure, sensitivity: str) -> Measure:
    """The clerk or the unit leader labels a measure, within their own clearance; recorded.

    What counts for the measure and its evidence is the higher of this and its problem's label.
    """
    m = _locked(measure)
    require_role(actor, m.unit, LABEL_ROLES, "设置安全标记")
    _check_label(actor, sensitivity, _label(m), "设置安全标记")
    before, before_effective = m.sensitivity, _label(m)
    if before == sensitivity:
        return m
    m.sensitivity = sensitivity
    m.save(update_fields=["sensitivity", "updated_at"])
    audit_change(
        actor,
        "label.change",
        m,
        before={"sensitivity": before, "effective": before_effective},
        after={"sensitivity": sensitivity, "effective": _label(m)},
    )
    return m


@dataclass(frozen=True)
class Relabelled:
    findings: int
    measures: int


@transaction.atomic
def round_label_public(*, actor: Actor, round: Round) -> Relabelled:
    """Before a round's notice is published: every problem and measure labelled 内部 becomes 公开.

    Imports label everything 内部 (the safe default), so without this a clerk would relabel a
    hundred rows one by one before anything but the figures could go public. 敏感 stays 敏感
    (those are left out of every public document); nothing is raised. The clerk or the unit
    leader, cleared for 内部; one ``label.change`` per row changed, written in one batch.
    """
    require_role(actor, round.unit, LABEL_ROLES, "设置安全标记")
    require_cleared(actor, Sensitivity.INTERNAL, "设置安全标记")
    internal, public = Sensitivity.INTERNAL, Sensitivity.PUBLIC
    findings = list(
        Finding.objects.select_for_update()
        .filter(round=round, sensitivity=internal)
        .order_by("position", "pk")
    )
    measures = list(
        Measure.objects.select_for_update()
        .filter(round=round, sensitivity=internal)
        .order_by("finding_id", "position", "pk")
    )
    Finding.objects.filter(pk__in=[f.pk for f in findings]).update(sensitivity=public)
    now = timezone.now()
    Measure.objects.filter(pk__in=[m.pk for m in measures]).update(sensitivity=public, updated_at=now)
    audit_record_many(
        entries=[
            audit_entry(
                actor=actor,
                action="label.change",
                obj=row,
                unit_id=round.unit_id,
                before={"sensitivity": internal},
                after={"sensitivity": public, "round_public": round.pk},
            )
            for row in [*findings, *measures]
        ]
    )
    return Relabelled(findings=len(findings), measures=len(measures))
