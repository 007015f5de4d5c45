"""核验: after 对账销号, a supervisor who did not implement a measure checks that it works —
核验有效, or sent back (the problem reopens in the same cycle and the work starts again)."""

from __future__ import annotations

from django.db import transaction
from django.urls import reverse

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_change
from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused
from zhenggai.ledger.models import Finding, Measure, ProblemStatus
from zhenggai.ledger.policy import SUPERVISE_ROLES, effective_sensitivity, require_cleared, require_role
from zhenggai.ledger.services import finding_reopen
from zhenggai.notify.services import message_send

from ..models import Verification, VerificationResult
from ..selectors.followup import implementers


def check_verifier(actor: Actor, measure: Measure) -> None:
    """Whether ``actor`` may verify ``measure`` (role, clearance, did not implement it)."""
    require_role(actor, measure.unit, SUPERVISE_ROLES, "核验整改成效")
    require_cleared(actor, effective_sensitivity(measure), "核验整改成效")
    if actor.pk in implementers(measure):
        raise NotAllowed("您参与了该措施的整改（责任人、责任领导或填报过进展），没有权限核验其成效")


def already_verified(measure: Measure, finding: Finding) -> bool:
    """Whether the measure was verified since its problem was last closed."""
    if finding.closed_at is None:
        return False
    return Verification.objects.filter(measure=measure, created_at__gte=finding.closed_at).exists()


@transaction.atomic
def measure_verify(*, actor: Actor, measure: Measure, effective: bool, opinion: str) -> Verification:
    """A supervisor who did not implement ``measure`` verifies it after its problem was closed
    (对账销号): 核验有效, or sent back — the problem is reopened (same cycle, not a relapse),
    its finished measures go back to 整改中 and the responsible person is told."""
    m = Measure.objects.select_related("unit", "finding", "round").filter(pk=measure.pk).first()
    if m is None:
        raise TransitionRefused("该整改措施已被删除，请返回刷新")
    finding = Finding.objects.select_for_update().get(pk=m.finding_id)
    m.finding = finding
    check_verifier(actor, m)
    if finding.status != ProblemStatus.CLOSED:
        raise TransitionRefused("只有已销号问题的整改措施可以核验成效")
    if already_verified(m, finding):
        raise TransitionRefused("该措施在本次销号后已经核验过")
    opinion = opinion.strip()
    if not opinion:
        raise InvalidInput("请填写核验意见", field="opinion")
    result = VerificationResult.EFFECTIVE if effective else VerificationResult.SENT_BACK
    v = Verification(
        measure=m,
        finding=finding,
        unit=m.unit,
        verifier=actor,
        result=result,
        opinion=opinion,
        cycle=finding.cycle,
    )
    v.full_clean()
    v.save()
    audit_change(
        actor,
        "measure.verify",
        m,
        after={"result": result, "opinion": opinion, "cycle": finding.cycle, "finding": finding.pk},
    )
    if not effective:
        finding_reopen(actor=actor, finding=finding, reason=f"核验退回：{opinion}")
        message_send(
            recipients=[m.person],
            kind="measure.verify_returned",
            subject=f"整改措施核验未通过，已退回整改：{m.text[:40]}",
            body=f"核验意见：{opinion}",
            url=reverse("web:measure-detail", args=[m.pk]),
            topic=f"measure:{m.pk}",
            unit=m.unit,
            sensitivity=effective_sensitivity(m),
        )
    return v
