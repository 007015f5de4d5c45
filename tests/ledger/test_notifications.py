"""``ledger/notifications.py``: the events that tell people at once (督办): assigned, returned
with the reason, a review waiting, the signed plan changed, a problem reopened; queued
reminders cancelled when the person or deadline changes, on every path."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from tests.today import days_from_today
from tests.web.conftest import World, build_round
from zhenggai.errors import InvalidInput
from zhenggai.ledger import services
from zhenggai.ledger.models import Measure, MeasureStatus, ReviewDecision
from zhenggai.notify.models import Channel, Message, Outbox, OutboxStatus
from zhenggai.notify.services import message_send

S = MeasureStatus


@pytest.fixture
def world(personas: Any) -> World:
    return build_round(personas)


def inbox(user: Any, kind: str) -> list[Message]:
    return list(Message.objects.filter(recipient=user, kind=kind).order_by("id"))


def fresh(m: Measure) -> Measure:
    return Measure.objects.select_related("round", "unit", "finding").get(pk=m.pk)


def queued_reminder(m: Measure, user: Any) -> Outbox:
    """A reminder about ``m`` waiting in the outbox (as ``zhenggai remind`` leaves one)."""
    (msg,) = message_send(recipients=[user], kind="reminder", subject="整改提醒", topic=f"measure:{m.pk}")
    return Outbox.objects.create(
        message=msg,
        recipient=user,
        channel=Channel.EMAIL,
        address="person@example.org",
        next_attempt_at=timezone.now(),
    )


# --- assigned ------------------------------------------------------------------------------------


def test_a_new_person_is_told_at_once_with_a_link_and_the_assignment_time_is_kept(personas, world):
    m = fresh(world.fresh)
    before = timezone.now()
    services.measure_update(
        actor=personas.clerk, measure=m, expected_version=m.version, person=personas.person2
    )
    (msg,) = inbox(personas.person2, "measure.assigned")
    assert msg.url == reverse("web:measure-detail", args=[m.pk])
    assert msg.topic == f"measure:{m.pk}"
    assert "新的整改任务" in msg.subject and "责任人" in msg.body
    assert fresh(m).assigned_at >= before
    # Editing the text tells nobody again.
    m = fresh(m)
    services.measure_update(actor=personas.clerk, measure=m, expected_version=m.version, text="修订后的措施")
    assert len(inbox(personas.person2, "measure.assigned")) == 1


def test_a_bulk_assignment_sends_each_new_person_one_message_naming_the_measures(personas, world):
    ms = [
        services.measure_create(actor=personas.clerk, finding=world.problem, text=f"新措施{i}")
        for i in range(3)
    ]
    services.measure_assign_bulk(
        actor=personas.clerk, round=world.round, measure_ids=[m.pk for m in ms], person=personas.person2
    )
    (msg,) = inbox(personas.person2, "measure.assigned")
    assert "3 项" in msg.subject
    assert all(f"新措施{i}" in msg.body for i in range(3))
    assert all(m.assigned_at is not None for m in Measure.objects.filter(pk__in=[m.pk for m in ms]))
    # Already theirs: nothing new.
    services.measure_assign_bulk(
        actor=personas.clerk, round=world.round, measure_ids=[m.pk for m in ms], person=personas.person2
    )
    assert len(inbox(personas.person2, "measure.assigned")) == 1


@pytest.mark.parametrize("path", ["measure_update", "measure_assign_bulk"])
def test_a_changed_deadline_cancels_the_queued_reminders_of_that_measure_only(personas, world, path):
    m, other = fresh(world.fresh), fresh(world.submitted)
    mine, theirs = queued_reminder(m, personas.person), queued_reminder(other, personas.person)
    if path == "measure_update":
        services.measure_update(
            actor=personas.clerk, measure=m, expected_version=m.version, deadline=days_from_today(150)
        )
    else:
        services.measure_assign_bulk(
            actor=personas.clerk, round=world.round, measure_ids=[m.pk], deadline=days_from_today(150)
        )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.status, theirs.status) == (OutboxStatus.CANCELLED, OutboxStatus.QUEUED)


# --- returned ------------------------------------------------------------------------------------


def test_a_returned_measure_tells_its_person_the_reason(personas, world):
    services.measure_review(
        actor=personas.leader,
        measure=fresh(world.submitted),
        decision=ReviewDecision.RETURN,
        reason="缺少会议记录",
    )
    (msg,) = inbox(personas.person, "measure.returned")
    assert "缺少会议记录" in msg.body and "第一责任人" in msg.body
    assert msg.url == reverse("web:measure-detail", args=[world.submitted.pk])


def test_a_supervisors_send_back_tells_the_person_the_reason(personas, world):
    services.finding_send_back(actor=personas.supervisor, finding=world.problem, reason="对账发现整改不实")
    (msg,) = inbox(personas.person, "measure.returned")
    assert "对账发现整改不实" in msg.body


# --- review waiting ------------------------------------------------------------------------------


def test_a_submission_tells_the_unit_head_a_review_waits(personas, world):
    # ``build_round`` submitted ``submitted``: the unit head (第一责任人) was told.
    (msg,) = inbox(personas.leader, "review.waiting")
    assert msg.url == reverse("web:measure-detail", args=[world.submitted.pk])
    assert inbox(personas.responsible_leader, "review.waiting") == []


def test_with_leader_prereview_the_leader_is_told_first_then_the_unit_head(personas, world):
    services.round_update(actor=personas.clerk, round=world.round, leader_prereview=True)
    services.progress_add(actor=personas.person, measure=world.fresh, text="已开展集中学习")
    services.measure_submit(actor=personas.person, measure=fresh(world.fresh))
    assert fresh(world.fresh).status == S.LEADER_REVIEW
    (msg,) = inbox(personas.responsible_leader, "review.waiting")
    assert "责任领导" in msg.body
    assert len(inbox(personas.leader, "review.waiting")) == 1  # only the earlier submission
    services.measure_leader_review(
        actor=personas.responsible_leader, measure=fresh(world.fresh), decision="approve"
    )
    assert fresh(world.fresh).status == S.PENDING_REVIEW
    assert len(inbox(personas.leader, "review.waiting")) == 2


def test_a_leader_return_needs_a_reason_and_tells_the_person(personas, world):
    services.round_update(actor=personas.clerk, round=world.round, leader_prereview=True)
    services.progress_add(actor=personas.person, measure=world.fresh, text="已开展集中学习")
    services.measure_submit(actor=personas.person, measure=fresh(world.fresh))
    with pytest.raises(InvalidInput, match="理由"):
        services.measure_leader_review(
            actor=personas.responsible_leader, measure=fresh(world.fresh), decision="return", reason=" "
        )
    services.measure_leader_review(
        actor=personas.responsible_leader, measure=fresh(world.fresh), decision="return", reason="材料不全"
    )
    assert fresh(world.fresh).status == S.IN_PROGRESS
    (msg,) = inbox(personas.person, "measure.returned")
    assert "责任领导" in msg.body and "材料不全" in msg.body


# --- the plan changed after signing ----------------------------------------------------------------


def test_a_change_of_a_signed_plan_tells_the_unit_head_once_a_day(personas, world):
    services.plan_sign(actor=personas.leader, round=world.round)
    assert inbox(personas.leader, "plan.amended") == []
    for text in ("第一次修订", "第二次修订"):
        m = fresh(world.fresh)
        services.measure_update(actor=personas.clerk, measure=m, expected_version=m.version, text=text)
    (msg,) = inbox(personas.leader, "plan.amended")
    assert "需重新签字" in msg.subject
    assert msg.url == reverse("web:round-detail", args=[world.round.pk])


def test_changes_before_signing_tell_nobody(personas, world):
    m = fresh(world.fresh)
    services.measure_update(
        actor=personas.clerk, measure=m, expected_version=m.version, text="未签字前的修订"
    )
    assert not Message.objects.filter(kind="plan.amended").exists()


# --- reopened ------------------------------------------------------------------------------------


@pytest.mark.parametrize("relapse", [False, True], ids=["reopened", "relapsed"])
def test_a_reopened_problem_tells_its_persons_and_the_units_clerks(personas, world, relapse):
    services.measure_review(actor=personas.leader, measure=fresh(world.submitted), decision="approve")
    services.progress_add(actor=personas.person, measure=world.fresh, text="已完成")
    services.measure_submit(actor=personas.person, measure=fresh(world.fresh))
    services.measure_review(actor=personas.leader, measure=fresh(world.fresh), decision="approve")
    services.finding_close(actor=personas.supervisor, finding=world.problem, opinion="整改到位，同意销号")
    services.finding_reopen(
        actor=personas.supervisor, finding=world.problem, reason="回头看发现问题反弹", relapse=relapse
    )
    for user in (personas.person, personas.clerk):
        (msg,) = inbox(user, "finding.reopened")
        assert "回头看发现问题反弹" in msg.body
        assert msg.url == reverse("web:problem-detail", args=[world.problem.pk])
        assert ("第2轮整改" in msg.subject) is relapse
    # The reopening says it once: not also as a return of each measure.
    assert inbox(personas.person, "measure.returned") == []


# --- the workbook's apply --------------------------------------------------------------------------


def test_the_workbook_tells_the_new_person_and_cancels_the_reminders_of_changed_deadlines(personas, world):
    from tests.reports.test_xlsx_fixtures import edited, export_bytes, set_cell
    from zhenggai.reports.xlsx_import import import_workbook

    reminder = queued_reminder(world.fresh, personas.person)

    def edit(ws: Any) -> None:
        set_cell(ws, world.fresh.pk, "deadline", days_from_today(150))
        set_cell(ws, world.fresh.pk, "person", str(personas.person2))

    data = edited(export_bytes(personas.clerk, world.round), edit)
    report = import_workbook(actor=personas.clerk, round=world.round, data=data, dry_run=False)
    assert report.applied, report.errors
    reminder.refresh_from_db()
    assert reminder.status == OutboxStatus.CANCELLED
    (msg,) = inbox(personas.person2, "measure.assigned")
    assert msg.topic == f"measure:{world.fresh.pk}"
    assert fresh(world.fresh).assigned_at is not None


def test_submissions_from_the_workbook_tell_the_unit_head_once(personas, world):
    from tests.reports.test_xlsx_fixtures import edited, export_bytes, set_cell
    from zhenggai.reports.xlsx_import import import_workbook

    extra = services.measure_create(
        actor=personas.clerk, finding=world.problem, text="第三项措施", deadline=days_from_today(100)
    )
    services.measure_assign_bulk(
        actor=personas.clerk, round=world.round, measure_ids=[extra.pk], person=personas.person
    )
    for m in (world.fresh, extra):
        services.progress_add(actor=personas.person, measure=m, text="已开展")

    def edit(ws: Any) -> None:
        for m in (world.fresh, extra):
            set_cell(ws, m.pk, "status", "待审核")

    before = len(inbox(personas.leader, "review.waiting"))
    data = edited(export_bytes(personas.person, world.round), edit)
    report = import_workbook(actor=personas.person, round=world.round, data=data, dry_run=False)
    assert report.applied, report.errors
    new = inbox(personas.leader, "review.waiting")[before:]
    assert len(new) == 1 and "2 项" in new[0].subject


def test_with_leader_prereview_a_workbook_submission_goes_to_the_leader_not_past_them(personas, world):
    from tests.reports.test_xlsx_fixtures import edited, export_bytes, set_cell
    from zhenggai.reports.xlsx_import import import_workbook

    services.round_update(actor=personas.clerk, round=world.round, leader_prereview=True)
    world.round.refresh_from_db()
    services.progress_add(actor=personas.person, measure=world.fresh, text="已开展")
    done = edited(
        export_bytes(personas.person, world.round),
        lambda ws: set_cell(ws, world.fresh.pk, "status", "待审核"),
    )
    report = import_workbook(actor=personas.person, round=world.round, data=done, dry_run=False)
    assert not report.applied
    assert any("责任领导预审" in str(e) for e in report.errors)
    data = edited(
        export_bytes(personas.person, world.round),
        lambda ws: set_cell(ws, world.fresh.pk, "status", "待领导审核"),
    )
    report = import_workbook(actor=personas.person, round=world.round, data=data, dry_run=False)
    assert report.applied, report.errors
    assert fresh(world.fresh).status == S.LEADER_REVIEW
    (msg,) = inbox(personas.responsible_leader, "review.waiting")
    assert msg.topic == f"measure:{world.fresh.pk}"


def test_a_bulk_deadline_change_cancels_the_reminders_of_every_measure_it_changes_and_no_other(
    personas, world
):
    a, b = fresh(world.fresh), fresh(world.submitted)
    other = services.measure_create(
        actor=personas.clerk, finding=world.problem, text="不在本次分配中", deadline=days_from_today(90)
    )
    reminders = [queued_reminder(m, personas.person) for m in (a, b, other)]
    services.measure_assign_bulk(
        actor=personas.clerk, round=world.round, measure_ids=[a.pk, b.pk], deadline=days_from_today(150)
    )
    for r in reminders:
        r.refresh_from_db()
    assert [r.status for r in reminders] == [
        OutboxStatus.CANCELLED,
        OutboxStatus.CANCELLED,
        OutboxStatus.QUEUED,
    ]
