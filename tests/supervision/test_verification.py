"""核验: after 对账销号 a supervisor who did not implement a measure marks it 核验有效 or sends
it back (the problem reopens, the same cycle); an implementer may not verify."""

from __future__ import annotations

from typing import Any

import pytest

from tests.supervision.followup_world import add_supervisor, closed_world
from tests.web.conftest import build_round
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused
from zhenggai.ledger.models import MeasureStatus, ProblemStatus
from zhenggai.notify.models import Message
from zhenggai.supervision.models import Verification, VerificationResult
from zhenggai.supervision.selectors import followup
from zhenggai.supervision.services.verification import measure_verify


def test_a_supervisor_who_did_not_implement_marks_a_measure_verified_effective(personas: Any) -> None:
    w = closed_world(personas)
    v = measure_verify(
        actor=personas.supervisor, measure=w.submitted, effective=True, opinion="制度已执行，效果明显"
    )
    assert v.result == VerificationResult.EFFECTIVE
    assert v.cycle == 1 and v.unit_id == personas.unit_a.pk
    w.problem.refresh_from_db()
    assert w.problem.status == ProblemStatus.CLOSED
    event = AuditEvent.objects.get(action="measure.verify")
    assert event.after["result"] == "effective"
    assert event.object_id == str(w.submitted.pk)


def test_a_verification_sent_back_reopens_the_problem_in_the_same_cycle_and_tells_the_person(
    personas: Any,
) -> None:
    w = closed_world(personas)
    measure_verify(actor=personas.supervisor, measure=w.fresh, effective=False, opinion="台账不全，未见实效")
    w.problem.refresh_from_db()
    w.fresh.refresh_from_db()
    assert w.problem.status == ProblemStatus.OPEN
    assert w.problem.cycle == 1  # not a relapse
    assert w.fresh.status == MeasureStatus.IN_PROGRESS
    closure = w.problem.closures.order_by("-id").first()
    assert closure.reason == "核验退回：台账不全，未见实效"
    msg = Message.objects.get(recipient=personas.person, kind="measure.verify_returned")
    assert "台账不全" in msg.body
    assert Verification.objects.get().result == VerificationResult.SENT_BACK


@pytest.mark.parametrize("who", ["person", "responsible_leader", "progress_author"])
def test_a_verifier_who_implemented_the_measure_is_refused(personas: Any, who: str) -> None:
    from zhenggai.ledger.models import Progress
    from zhenggai.units.models import Role
    from zhenggai.units.services import membership_grant

    w = closed_world(personas)
    # Each implementer is made a supervisor too: the role is not what refuses them.
    if who == "progress_author":
        actor = add_supervisor(personas, "reporter", personas.county)
        Progress.objects.filter(measure=w.submitted).update(author=actor)
    else:
        actor = getattr(personas, who)
        membership_grant(actor=None, user=actor, unit=personas.unit_a, role=Role.SUPERVISOR)
        actor = type(actor).objects.get(pk=actor.pk)  # memberships read afresh
    with pytest.raises(NotAllowed, match="参与了该措施的整改"):
        measure_verify(actor=actor, measure=w.submitted, effective=True, opinion="有效")
    assert not Verification.objects.exists()


def test_only_a_supervisor_verifies_and_only_after_close_out(personas: Any) -> None:
    w = build_round(personas)
    with pytest.raises(NotAllowed, match="没有权限"):
        measure_verify(actor=personas.clerk, measure=w.submitted, effective=True, opinion="有效")
    with pytest.raises(TransitionRefused, match="已销号"):
        measure_verify(actor=personas.supervisor, measure=w.submitted, effective=True, opinion="有效")


def test_a_verification_needs_an_opinion_and_is_made_once_per_close_out(personas: Any) -> None:
    w = closed_world(personas)
    with pytest.raises(InvalidInput, match="核验意见") as err:
        measure_verify(actor=personas.supervisor, measure=w.submitted, effective=True, opinion="  ")
    assert err.value.field == "opinion"
    measure_verify(actor=personas.supervisor, measure=w.submitted, effective=True, opinion="有效")
    with pytest.raises(TransitionRefused, match="已经核验"):
        measure_verify(actor=personas.supervisor, measure=w.submitted, effective=True, opinion="再次")


def test_the_round_lists_measures_awaiting_verification_and_those_verified(personas: Any) -> None:
    w = closed_world(personas)
    measure_verify(actor=personas.supervisor, measure=w.submitted, effective=True, opinion="有效")
    rows = followup.round_verifications(user=personas.supervisor, round=w.round)
    assert [m.pk for m in rows.pending] == [w.fresh.pk]
    assert [v.measure_id for v in rows.done] == [w.submitted.pk]
    assert followup.measures_to_verify(
        user=personas.supervisor, finding=w.problem, measures=[w.submitted, w.fresh]
    ) == [w.fresh]
    # The responsible person sees the list, but has nothing to verify.
    assert followup.measures_to_verify(user=personas.person, finding=w.problem, measures=[w.fresh]) == []
