"""Tracking: progress with evidence, submission for review, the review."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import BinaryIO

from django.db import transaction

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_change, audit_record
from zhenggai.errors import DuplicateSubmission, InvalidInput
from zhenggai.evidence import store as evidence_store

from .. import notifications
from ..models import (
    Evidence,
    Measure,
    MeasureStatus,
    Progress,
    Review,
)
from ..policy import (
    check_leader_review,
    check_progress,
    check_progress_text,
    check_review,
    check_submit,
    submit_action,
    transition,
)
from ._common import (
    _label,
    _locked,
    _set_status,
)

S = MeasureStatus


_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,64}")


@transaction.atomic
def progress_add(
    *,
    actor: Actor,
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
    check_progress(actor, m, _label(m))
    if token:
        existing = Progress.objects.filter(measure=m, token=token).first()
        if existing is not None:
            raise DuplicateSubmission(
                "这份整改进展已经提交过（可能是返回后再次提交），没有重复保存。", existing=existing
            )
    check_progress_text(m, text)
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
            audit_change(actor, "measure.start", m, before={"status": before}, after={"status": m.status})
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
def measure_submit(*, actor: Actor, measure: Measure) -> Measure:
    """The responsible person submits a measure for review: to its responsible leader first when
    the round has 责任领导预审 (待领导审核), else to the unit head (待审核), who is told at once."""
    m = _locked(measure)
    target = check_submit(actor, m, _label(m), has_progress=m.progress.exists())
    before = m.status
    _set_status(m, target)
    # ``measure.submit``, or ``measure.submit_leader`` when it went to the leader first.
    action = {"submit": "measure.submit", "submit_leader": "measure.submit_leader"}[submit_action(m)]
    audit_change(actor, action, m, before={"status": before}, after={"status": m.status})
    notifications.notify_review_waiting([m])
    return m


@transaction.atomic
def measure_review(*, actor: Actor, measure: Measure, decision: str, reason: str = "") -> Measure:
    """The unit leader approves, approves as 阶段性完成 (long-term only) or returns a measure."""
    m = _locked(measure)
    action, target = check_review(actor, m, _label(m), decision=decision, reason=reason)
    before = m.status
    _set_status(m, target)
    Review.objects.create(measure=m, unit=m.unit, reviewer=actor, decision=decision, reason=reason.strip())
    audit_change(
        actor,
        f"measure.{action}",
        m,
        before={"status": before},
        after={"status": m.status, "reason": reason.strip()},
    )
    if action == "return":
        notifications.notify_returned([(m, reason.strip())], by="第一责任人")
    return m


@transaction.atomic
def measure_leader_review(*, actor: Actor, measure: Measure, decision: str, reason: str = "") -> Measure:
    """The measure's responsible leader pre-reviews it (责任领导审核, when the round has it):
    approve sends it on to the unit head (待审核, who is told), return sends it back to work
    with a reason (recorded as a return, told to the responsible person)."""
    m = _locked(measure)
    action, target = check_leader_review(actor, m, _label(m), decision=decision, reason=reason)
    before = m.status
    _set_status(m, target)
    why = reason.strip()
    if action == "leader_return":
        Review.objects.create(measure=m, unit=m.unit, reviewer=actor, decision=decision, reason=why)
    after = {"status": m.status, "reason": why}
    audit_change(actor, f"measure.{action}", m, before={"status": before}, after=after)
    if action == "leader_return":
        notifications.notify_returned([(m, why)], by="责任领导")
    else:
        notifications.notify_review_waiting([m])
    return m
