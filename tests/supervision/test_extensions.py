"""申请延期: asked by the responsible person with a reason and a date, decided by the
responsible leader or the unit head; the first deadline kept, on-time rates against both."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone

from tests.today import days_from_today, today
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused
from zhenggai.ledger import services
from zhenggai.ledger.models import Amendment, Measure
from zhenggai.notify.models import Message
from zhenggai.supervision.models import Extension, ExtensionStatus, Reminder
from zhenggai.supervision.selectors.warnings import on_time_rates, pending_extensions_for_user
from zhenggai.supervision.services.extensions import (
    extension_decide,
    extension_request,
    extension_withdraw,
)
from zhenggai.supervision.services.reminders import remind

D = 200


def ask(personas: Any, measure: Measure, *, days: int = D + 30, who: str = "person") -> Extension:
    return extension_request(
        actor=getattr(personas, who),
        measure=measure,
        new_deadline=days_from_today(days),
        reason="需协调市局统一采购设备",
    )


def test_the_person_asks_and_the_leader_and_unit_head_are_told(
    personas: Any, assigned_measure: Measure
) -> None:
    ext = ask(personas, assigned_measure)
    assert ext.status == ExtensionStatus.PENDING
    assert ext.old_deadline == days_from_today(D)
    told = set(Message.objects.filter(kind="extension.requested").values_list("recipient_id", flat=True))
    assert told == {personas.responsible_leader.pk, personas.leader.pk}
    event = AuditEvent.objects.get(action="extension.request")
    assert event.after["new_deadline"] == days_from_today(D + 30).isoformat()


def test_the_clerk_may_ask_for_the_person(personas: Any, assigned_measure: Measure) -> None:
    assert ask(personas, assigned_measure, who="clerk").requested_by == personas.clerk


@pytest.mark.parametrize("who", ["person2", "viewer", "responsible_leader", "supervisor", "outsider"])
def test_others_may_not_ask(personas: Any, assigned_measure: Measure, who: str) -> None:
    with pytest.raises(NotAllowed):
        ask(personas, assigned_measure, who=who)


def test_an_extension_date_before_today_is_refused(personas: Any, assigned_measure: Measure) -> None:
    with pytest.raises(InvalidInput, match="应晚于今天") as err:
        ask(personas, assigned_measure, days=-1)
    assert err.value.field == "new_deadline"
    with pytest.raises(InvalidInput, match="应晚于今天"):
        ask(personas, assigned_measure, days=0)


def test_an_extension_date_not_after_the_current_deadline_is_refused(
    personas: Any, assigned_measure: Measure
) -> None:
    with pytest.raises(InvalidInput, match="应晚于当前完成时限"):
        ask(personas, assigned_measure, days=D)


def test_an_extension_date_too_far_is_refused(personas: Any, assigned_measure: Measure) -> None:
    with pytest.raises(InvalidInput, match="过远") as err:
        ask(personas, assigned_measure, days=365 * 30)
    assert err.value.field == "new_deadline"


def test_a_reason_is_required(personas: Any, assigned_measure: Measure) -> None:
    with pytest.raises(InvalidInput, match="理由"):
        extension_request(
            actor=personas.person, measure=assigned_measure, new_deadline=days_from_today(D + 5), reason="  "
        )


def test_one_pending_request_per_measure(personas: Any, assigned_measure: Measure) -> None:
    ask(personas, assigned_measure)
    with pytest.raises(TransitionRefused, match="已有一份待审批"):
        ask(personas, assigned_measure, days=D + 40)


def test_a_finished_measure_takes_no_request(personas: Any, assigned_measure: Measure) -> None:
    Measure.objects.filter(pk=assigned_measure.pk).update(status="done", completed_at=timezone.now())
    assigned_measure.refresh_from_db()
    with pytest.raises(TransitionRefused):
        ask(personas, assigned_measure)


def test_a_grant_moves_the_deadline_and_keeps_the_original(personas: Any, assigned_measure: Measure) -> None:
    ext = ask(personas, assigned_measure)
    version = assigned_measure.version
    extension_decide(actor=personas.responsible_leader, extension=ext, grant=True, opinion="")
    m = Measure.objects.get(pk=assigned_measure.pk)
    assert m.deadline == days_from_today(D + 30)
    assert m.original_deadline == days_from_today(D)
    assert m.version == version + 1
    ext.refresh_from_db()
    assert (ext.status, ext.decided_by) == (ExtensionStatus.GRANTED, personas.responsible_leader)
    assert AuditEvent.objects.filter(action="measure.extend_deadline").count() == 1
    assert AuditEvent.objects.get(action="extension.decide").after["status"] == "granted"
    told = set(Message.objects.filter(kind="extension.decided").values_list("recipient_id", flat=True))
    assert told == {personas.person.pk}
    # A second extension keeps the first deadline, not the one before it.
    ext2 = ask(personas, m, days=D + 60)
    extension_decide(actor=personas.leader, extension=ext2, grant=True, opinion="同意")
    m.refresh_from_db()
    assert (m.deadline, m.original_deadline) == (days_from_today(D + 60), days_from_today(D))


def test_a_grant_on_a_signed_plan_is_recorded_as_an_amendment(
    personas: Any, assigned_measure: Measure
) -> None:
    others = Measure.objects.filter(round=assigned_measure.round).exclude(pk=assigned_measure.pk)
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=assigned_measure.round,
        measure_ids=list(others.values_list("pk", flat=True)),
        deadline=days_from_today(100),
    )
    services.plan_sign(actor=personas.leader, round=assigned_measure.round)
    ext = ask(personas, assigned_measure)
    extension_decide(actor=personas.leader, extension=ext, grant=True, opinion="")
    amendment = Amendment.objects.get(measure=assigned_measure)
    assert amendment.after == {"deadline": days_from_today(D + 30).isoformat()}


def test_a_grant_cancels_the_warnings_of_the_old_deadline(personas: Any, assigned_measure: Measure) -> None:
    assert remind(at=days_from_today(D - 10)).queued == 1
    ext = ask(personas, assigned_measure)
    extension_decide(actor=personas.leader, extension=ext, grant=True, opinion="")
    report = remind(at=days_from_today(D - 10))
    assert (report.queued, report.cancelled) == (0, 1)
    assert Reminder.objects.get().cancelled_at is not None


def test_a_refusal_needs_an_opinion_and_leaves_the_deadline(personas: Any, assigned_measure: Measure) -> None:
    ext = ask(personas, assigned_measure)
    with pytest.raises(InvalidInput, match="审批意见"):
        extension_decide(actor=personas.leader, extension=ext, grant=False, opinion=" ")
    extension_decide(actor=personas.leader, extension=ext, grant=False, opinion="理由不充分")
    m = Measure.objects.get(pk=assigned_measure.pk)
    assert (m.deadline, m.original_deadline) == (days_from_today(D), None)
    ext.refresh_from_db()
    assert ext.status == ExtensionStatus.REFUSED
    with pytest.raises(TransitionRefused):
        extension_decide(actor=personas.leader, extension=ext, grant=True, opinion="")


def test_the_leader_of_another_measure_cannot_decide(personas: Any, assigned_measure: Measure) -> None:
    other = Measure.objects.filter(round=assigned_measure.round).exclude(pk=assigned_measure.pk).first()
    services.measure_assign_bulk(
        actor=personas.clerk, round=assigned_measure.round, measure_ids=[other.pk], leader=personas.person2
    )
    ext = ask(personas, assigned_measure)
    for who in ("person2", "clerk", "viewer", "supervisor", "outsider", "person"):
        with pytest.raises(NotAllowed):
            extension_decide(actor=getattr(personas, who), extension=ext, grant=True, opinion="")
    assert Measure.objects.get(pk=assigned_measure.pk).deadline == days_from_today(D)


def test_the_requester_cannot_decide_their_own_request(personas: Any, assigned_measure: Measure) -> None:
    # The responsible leader asked for the clerk's measure: the unit head decides, not the leader.
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=assigned_measure.round,
        measure_ids=[assigned_measure.pk],
        person=personas.responsible_leader,
    )
    assigned_measure.refresh_from_db()
    ext = ask(personas, assigned_measure, who="responsible_leader")
    with pytest.raises(NotAllowed, match="自己"):
        extension_decide(actor=personas.responsible_leader, extension=ext, grant=True, opinion="")
    assert list(pending_extensions_for_user(user=personas.responsible_leader)) == []
    assert list(pending_extensions_for_user(user=personas.leader)) == [ext]


def test_the_requester_withdraws_a_waiting_request(personas: Any, assigned_measure: Measure) -> None:
    ext = ask(personas, assigned_measure)
    with pytest.raises(NotAllowed):
        extension_withdraw(actor=personas.leader, extension=ext)
    extension_withdraw(actor=personas.person, extension=ext)
    ext.refresh_from_db()
    assert ext.status == ExtensionStatus.WITHDRAWN
    assert AuditEvent.objects.filter(action="extension.withdraw").count() == 1
    with pytest.raises(TransitionRefused):
        extension_withdraw(actor=personas.person, extension=ext)
    # Withdrawn, the measure may be asked for again.
    ask(personas, assigned_measure)


def test_the_pending_list_shows_what_the_user_decides(personas: Any, assigned_measure: Measure) -> None:
    ext = ask(personas, assigned_measure)
    assert list(pending_extensions_for_user(user=personas.responsible_leader)) == [ext]
    assert list(pending_extensions_for_user(user=personas.leader)) == [ext]
    for who in ("person", "person2", "clerk", "outsider", "supervisor"):
        assert list(pending_extensions_for_user(user=getattr(personas, who))) == [], who


def test_on_time_rates_are_reported_against_both_deadlines(personas: Any, assigned_measure: Measure) -> None:
    round_ = assigned_measure.round
    ms = list(Measure.objects.filter(round=round_).order_by("pk")[:4])
    now = timezone.now()
    done = {"status": "done", "completed_at": now, "completed_on": timezone.localdate(now)}
    # Done on time; done late; extended and done within the new deadline; open and overdue.
    Measure.objects.filter(pk=ms[0].pk).update(**done, deadline=days_from_today(1))
    Measure.objects.filter(pk=ms[1].pk).update(**done, deadline=days_from_today(-3))
    Measure.objects.filter(pk=ms[2].pk).update(
        **done, deadline=days_from_today(5), original_deadline=days_from_today(-2)
    )
    Measure.objects.filter(pk=ms[3].pk).update(status="in_progress", deadline=days_from_today(-1))
    Measure.objects.filter(round=round_).exclude(pk__in=[m.pk for m in ms]).update(deadline=None)
    rates = on_time_rates(Measure.objects.filter(round=round_), today=today())
    assert (rates.due, rates.on_time) == (4, 2)
    assert (rates.due_original, rates.on_time_original) == (4, 1)
    assert rates.rate == 0.5
    assert rates.rate_original == 0.25
    assert rates.extended == 1
