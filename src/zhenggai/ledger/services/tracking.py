"""Tracking: progress with evidence, submission for review, the review."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, BinaryIO

from django.db import transaction

from zhenggai.audit.services import audit_record
from zhenggai.errors import DuplicateSubmission, InvalidInput, NotAllowed, TransitionRefused
from zhenggai.evidence import store as evidence_store

from ..models import (
    Evidence,
    Measure,
    MeasureKind,
    MeasureStatus,
    Progress,
    Review,
    ReviewDecision,
)
from ..policy import (
    EDIT_ROLES,
    REVIEW_ROLES,
    can,
    require_cleared,
    require_role,
    transition,
)
from ._common import (
    _label,
    _locked,
    _set_status,
)

S = MeasureStatus


def _owns(actor: Any, m: Measure) -> bool:
    return m.person_id is not None and m.person_id == getattr(actor, "pk", None)


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@transaction.atomic
def progress_add(
    *,
    actor: Any,
    measure: Measure,
    text: str,
    files: Sequence[tuple[BinaryIO, str]] = (),
    token: str = "",
) -> Progress:
    """The responsible person reports progress, with evidence files.

    ``token`` is the one-time token of the form that sent it: a second entry with the same
    token on the measure (the form sent again after going back) is refused with
    ``DuplicateSubmission``, which names the entry the first one made; nothing is stored.
    """
    if token and not _TOKEN.fullmatch(token):
        raise InvalidInput("表单标识不正确，请刷新页面后重新填报", field="token")
    m = _locked(measure)
    if not (_owns(actor, m) or can(actor, m.unit, EDIT_ROLES)):
        raise NotAllowed("只有该措施的责任人（或整改办）可以填报进展")
    require_cleared(actor, _label(m), "填报进展")
    if token:
        existing = Progress.objects.filter(measure=m, token=token).first()
        if existing is not None:
            raise DuplicateSubmission(
                "这份整改进展已经提交过（可能是返回后再次提交），没有重复保存。", existing=existing
            )
    if not text.strip():
        raise InvalidInput("请填写整改进展", field="text")
    if m.status in (S.DONE, S.PENDING_REVIEW):
        raise TransitionRefused(f"措施当前为“{m.get_status_display()}”，不能再填报进展")
    stored: list[evidence_store.StoredFile] = []
    try:
        for stream, name in files:
            stored.append(evidence_store.store(stream, name))
        p = Progress.objects.create(measure=m, unit=m.unit, author=actor, text=text.strip(), token=token)
        for s in stored:
            ev = Evidence.objects.create(
                progress=p,
                measure=m,
                unit=m.unit,
                original_name=s.original_name,
                storage_name=s.storage_name,
                algorithm=s.algorithm,
                sha256=s.sha256,
                size=s.size,
                content_type=s.content_type,
                uploaded_by=actor,
            )
            audit_record(
                actor=actor,
                action="evidence.upload",
                obj=ev,
                unit_id=m.unit_id,
                after={"measure": m.pk, "name": s.original_name, "size": s.size, "sha256": s.sha256},
            )
        before = m.status
        if m.status == S.NOT_STARTED:
            _set_status(m, transition(m, "start"))
            audit_record(
                actor=actor,
                action="measure.start",
                obj=m,
                unit_id=m.unit_id,
                before={"status": before},
                after={"status": m.status},
            )
        audit_record(
            actor=actor,
            action="progress.add",
            obj=p,
            unit_id=m.unit_id,
            before={"status": before},
            after={
                "measure": m.pk,
                "status": m.status,
                "text": p.text,
                "evidence": [
                    {"name": s.original_name, "sha256": s.sha256, s.algorithm: s.storage_name} for s in stored
                ],
            },
        )
    except BaseException:
        evidence_store.discard(stored)
        raise
    return p


@transaction.atomic
def measure_submit(*, actor: Any, measure: Measure) -> Measure:
    """The responsible person submits a measure for review."""
    m = _locked(measure)
    if not (_owns(actor, m) or can(actor, m.unit, EDIT_ROLES)):
        raise NotAllowed("只有该措施的责任人（或整改办）可以提交审核")
    require_cleared(actor, _label(m), "提交审核")
    target = transition(m, "submit")
    if not m.progress.exists():
        raise TransitionRefused("请先填报整改进展和佐证材料，再提交审核")
    before = m.status
    _set_status(m, target)
    audit_record(
        actor=actor,
        action="measure.submit",
        obj=m,
        unit_id=m.unit_id,
        before={"status": before},
        after={"status": m.status},
    )
    return m


@transaction.atomic
def measure_review(*, actor: Any, measure: Measure, decision: str, reason: str = "") -> Measure:
    """The unit leader approves, approves as 阶段性完成 (long-term only) or returns a measure."""
    m = _locked(measure)
    require_role(actor, m.unit, REVIEW_ROLES, "审核整改措施")
    require_cleared(actor, _label(m), "审核整改措施")
    action = {
        ReviewDecision.APPROVE: "approve",
        ReviewDecision.APPROVE_STAGE: "approve_stage",
        ReviewDecision.RETURN: "return",
    }.get(decision)
    if action is None:
        raise InvalidInput("审核意见不正确", field="decision")
    target = transition(m, action)
    if action == "approve_stage" and m.kind != MeasureKind.LONG_TERM:
        raise TransitionRefused("只有“长期坚持”类措施可以标记为阶段性完成")
    if action == "return" and not reason.strip():
        raise InvalidInput("退回时请写明理由", field="reason")
    before = m.status
    _set_status(m, target)
    Review.objects.create(measure=m, unit=m.unit, reviewer=actor, decision=decision, reason=reason.strip())
    audit_record(
        actor=actor,
        action=f"measure.{action}",
        obj=m,
        unit_id=m.unit_id,
        before={"status": before},
        after={"status": m.status, "reason": reason.strip()},
    )
    return m
