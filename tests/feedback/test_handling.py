"""The staff's handling: triage, the ledger links, the reply, retention and reminders."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from tests.today import days_from_today, today
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused
from zhenggai.feedback import pii, services
from zhenggai.feedback.models import Feedback, FeedbackStatus, FeedbackStep
from zhenggai.feedback.selectors import public_replies
from zhenggai.ledger.models import Finding, ProblemStatus
from zhenggai.notify.models import Message

from .conftest import feedback_of, pdf

St = FeedbackStatus


@pytest.fixture
def fb(submit: Any) -> Feedback:
    return feedback_of(submit(consent_publish=True))


def test_the_officer_accepts_with_the_default_reply_deadline(
    fb: Feedback, feedback_officer: Any, settings: Any
) -> None:
    done = services.feedback_accept(actor=feedback_officer, feedback=fb)
    assert done.status == St.ACCEPTED
    assert done.reply_deadline == today() + dt.timedelta(days=settings.FEEDBACK_REPLY_DAYS)
    public = [s.note for s in FeedbackStep.objects.filter(feedback=fb, public=True)]
    assert any("已受理" in n for n in public)
    assert AuditEvent.objects.filter(action="feedback.accept", object_id=str(fb.pk)).count() == 1


def test_a_deadline_in_the_past_is_refused(fb: Feedback, personas: Any) -> None:
    with pytest.raises(InvalidInput):
        services.feedback_accept(actor=personas.clerk, feedback=fb, deadline=days_from_today(-1))


def test_accepting_twice_is_a_refused_transition(fb: Feedback, personas: Any) -> None:
    services.feedback_accept(actor=personas.clerk, feedback=fb)
    with pytest.raises(TransitionRefused):
        services.feedback_accept(actor=personas.clerk, feedback=fb)


@pytest.mark.parametrize("who", ["leader", "viewer", "outsider", "supervisor", "person"])
def test_only_the_units_handlers_may_triage(fb: Feedback, personas: Any, who: str) -> None:
    with pytest.raises(NotAllowed):
        services.feedback_accept(actor=getattr(personas, who), feedback=fb)


def test_merging_marks_a_duplicate_of_the_same_unit(submit: Any, personas: Any) -> None:
    first, second = feedback_of(submit()), feedback_of(submit())
    services.feedback_merge(actor=personas.clerk, feedback=second, into=first)
    second.refresh_from_db()
    assert second.status == St.DUPLICATE and second.duplicate_of_id == first.pk
    public = " ".join(
        FeedbackStep.objects.filter(feedback=second, public=True).values_list("note", flat=True)
    )
    assert first.tracking not in public
    with pytest.raises(InvalidInput):
        services.feedback_merge(actor=personas.clerk, feedback=first, into=first)


def test_rejecting_needs_a_reason_that_the_citizen_reads(submit: Any, fb: Feedback, personas: Any) -> None:
    with pytest.raises(InvalidInput):
        services.feedback_reject(actor=personas.clerk, feedback=fb, reason="  ")
    services.feedback_reject(actor=personas.clerk, feedback=fb, reason="不属于本次巡察整改范围")
    submitted = submit()
    mine = feedback_of(submitted)
    services.feedback_reject(actor=personas.clerk, feedback=mine, reason="不属于本次巡察整改范围")
    seen = services.feedback_lookup(tracking=submitted.tracking, code=submitted.code, client_ip="203.0.113.5")
    assert seen is not None and any("不属于本次巡察整改范围" in note for _, note in seen.steps)


def test_a_forward_moves_the_feedback_out_of_the_old_units_hands(fb: Feedback, personas: Any) -> None:
    from zhenggai.units.models import Role
    from zhenggai.units.services import membership_grant

    department = personas.departments[1]
    services.feedback_forward(actor=personas.clerk, feedback=fb, to_unit=department, note="请中队核实")
    fb.refresh_from_db()
    assert fb.unit_id == department.pk and fb.forwarded_from_id == personas.unit_a.pk
    assert fb.status == St.FORWARDED
    assert set(fb.attachments.values_list("unit_id", flat=True)) <= {department.pk}
    with pytest.raises(NotAllowed):
        services.feedback_accept(actor=personas.clerk, feedback=fb)
    membership_grant(actor=None, user=personas.person2, unit=department, role=Role.FEEDBACK)
    personas.person2.refresh_from_db()
    services.feedback_accept(actor=personas.person2, feedback=fb)


def test_a_forward_outside_the_actors_scope_is_refused(fb: Feedback, personas: Any) -> None:
    with pytest.raises(InvalidInput):
        services.feedback_forward(actor=personas.clerk, feedback=fb, to_unit=personas.unit_b)


def test_linking_to_a_problem_of_the_round(fb: Feedback, personas: Any, world: Any) -> None:
    services.feedback_link(actor=personas.clerk, feedback=fb, finding=world.problem)
    fb.refresh_from_db()
    assert fb.finding_id == world.problem.pk and not fb.is_clue
    with pytest.raises(InvalidInput):  # a category is not a problem
        services.feedback_link(actor=personas.clerk, feedback=fb, finding=world.category)


def _close(problem: Finding) -> None:
    Finding.objects.filter(pk=problem.pk).update(status=ProblemStatus.CLOSED, closed_at=timezone.now())


def test_a_relapse_marked_by_the_clerk_is_put_to_the_supervisor(
    fb: Feedback, personas: Any, world: Any
) -> None:
    _close(world.problem)
    services.feedback_link(
        actor=personas.clerk, feedback=fb, finding=world.problem, relapse=True, note="信号灯又坏了"
    )
    world.problem.refresh_from_db()
    assert world.problem.status == ProblemStatus.CLOSED  # only a supervisor reopens
    told = Message.objects.get(recipient=personas.supervisor, kind="feedback.relapse")
    assert fb.tracking in told.body


def test_a_relapse_marked_by_a_supervising_handler_reopens_the_problem(
    fb: Feedback, personas: Any, world: Any
) -> None:
    from zhenggai.units.models import Role
    from zhenggai.units.services import membership_grant

    _close(world.problem)
    membership_grant(actor=None, user=personas.supervisor, unit=personas.unit_a, role=Role.FEEDBACK)
    personas.supervisor.refresh_from_db()
    services.feedback_link(actor=personas.supervisor, feedback=fb, finding=world.problem, relapse=True)
    world.problem.refresh_from_db()
    assert world.problem.status == ProblemStatus.OPEN
    assert world.problem.cycle == 2


def test_a_relapse_of_an_open_problem_is_refused(fb: Feedback, personas: Any, world: Any) -> None:
    with pytest.raises(InvalidInput):
        services.feedback_link(actor=personas.clerk, feedback=fb, finding=world.problem, relapse=True)


def test_a_clue_becomes_a_new_problem_of_the_round(
    fb: Feedback, personas: Any, world: Any, feedback_officer: Any
) -> None:
    services.feedback_clue(actor=personas.clerk, feedback=fb, title="夜间施工噪音扰民", parent=world.issue)
    fb.refresh_from_db()
    assert fb.is_clue and fb.finding is not None
    assert fb.finding.round_id == world.round.pk and fb.finding.title == "夜间施工噪音扰民"
    other = feedback_of_new(fb)
    with pytest.raises(NotAllowed):  # the findings tree is the clerk's (整改办)
        services.feedback_clue(actor=feedback_officer, feedback=other, title="另一条线索")


def feedback_of_new(fb: Feedback) -> Feedback:
    return Feedback.objects.exclude(pk=fb.pk).first() or fb


def test_a_reply_is_published_only_with_consent(submit: Any, personas: Any, world: Any) -> None:
    agreed = feedback_of(submit(consent_publish=True))
    refused = feedback_of(submit(consent_publish=False))
    for item in (agreed, refused):
        services.feedback_accept(actor=personas.clerk, feedback=item)
    with pytest.raises(InvalidInput):
        services.feedback_reply(actor=personas.clerk, feedback=refused, text="已修复", publish=True)
    services.feedback_reply(actor=personas.clerk, feedback=refused, text="已修复（不公开）", publish=False)
    services.feedback_reply(actor=personas.clerk, feedback=agreed, text="信号灯已更换。", publish=True)
    replies = public_replies(round=world.round)
    assert [r.reply for r in replies] == ["信号灯已更换。"]


def test_the_database_refuses_a_published_reply_without_consent(fb: Feedback) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        Feedback.objects.filter(pk=fb.pk).update(consent_publish=False, reply_public=True)


def test_a_reply_needs_the_feedback_accepted_first(fb: Feedback, personas: Any) -> None:
    with pytest.raises(TransitionRefused):
        services.feedback_reply(actor=personas.clerk, feedback=fb, text="答复", publish=False)


def test_the_citizen_reads_the_reply_with_the_code(submit: Any, personas: Any) -> None:
    submitted = submit()
    item = feedback_of(submitted)
    services.feedback_accept(actor=personas.clerk, feedback=item)
    services.feedback_reply(actor=personas.clerk, feedback=item, text="已处理完毕。", publish=False)
    seen = services.feedback_lookup(tracking=submitted.tracking, code=submitted.code, client_ip="203.0.113.6")
    assert seen is not None and seen.reply == "已处理完毕。" and seen.status_label == "已答复"


def test_revealing_is_for_the_feedback_officer_and_audited_each_time(
    fb: Feedback, feedback_officer: Any, personas: Any
) -> None:
    assert services.feedback_reveal(actor=feedback_officer, feedback=fb, field="phone") == "13812345678"
    assert AuditEvent.objects.filter(action="pii.view", object_id=str(fb.pk)).count() == 1
    services.feedback_reveal_all(actor=feedback_officer, feedback=fb)
    assert AuditEvent.objects.filter(action="pii.view", object_id=str(fb.pk)).count() == 2
    for who in ("clerk", "leader", "supervisor", "outsider"):
        with pytest.raises(NotAllowed):
            services.feedback_reveal(actor=getattr(personas, who), feedback=fb, field="phone")


def test_purge_wipes_personal_data_and_attachments_after_retention(
    submit: Any, personas: Any, settings: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        old = feedback_of(submit(files=[pdf("old.pdf")]))
    young = feedback_of(submit())
    for item in (old, young):
        services.feedback_accept(actor=personas.clerk, feedback=item)
        services.feedback_reply(actor=personas.clerk, feedback=item, text="已答复", publish=False)
    now = timezone.now()
    FeedbackStep.objects.filter(feedback=old).update(
        at=now - dt.timedelta(days=settings.FEEDBACK_RETENTION_DAYS + 1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert services.feedback_purge(now=now) == 1
    old.refresh_from_db()
    young.refresh_from_db()
    assert old.purged_at is not None
    assert bytes(old.name_ct) == bytes(old.phone_ct) == bytes(old.email_ct) == b""
    assert old.phone_index == old.email_index == old.ip_index == ""
    assert not old.attachments.exists()
    assert old.content and old.reply  # the opinion and the handling stay
    assert young.purged_at is None and bytes(young.phone_ct)
    assert AuditEvent.objects.filter(action="feedback.purge", object_id=str(old.pk)).count() == 1
    assert services.feedback_purge(now=now) == 0


def test_open_feedback_is_never_purged(fb: Feedback, settings: Any) -> None:
    later = timezone.now() + dt.timedelta(days=settings.FEEDBACK_RETENTION_DAYS + 10)
    assert services.feedback_purge(now=later) == 0


def test_reminders_warn_the_units_handlers_once_a_day(
    fb: Feedback, personas: Any, feedback_officer: Any
) -> None:
    services.feedback_accept(actor=personas.clerk, feedback=fb, deadline=days_from_today(2))
    assert services.feedback_remind(at=today()) == 2  # the clerk and the feedback officer
    assert services.feedback_remind(at=today()) == 0
    assert services.feedback_remind(at=days_from_today(5)) == 2  # overdue: warned again the next days
    recipients = set(Message.objects.filter(kind="feedback.reminder").values_list("recipient_id", flat=True))
    assert recipients == {personas.clerk.pk, feedback_officer.pk}
    assert not Message.objects.filter(kind="feedback.reminder", body__contains="1381234").exists()


def test_no_reminder_before_the_warning_days_or_after_the_reply(fb: Feedback, personas: Any) -> None:
    services.feedback_accept(actor=personas.clerk, feedback=fb, deadline=days_from_today(10))
    assert services.feedback_remind(at=today()) == 0
    services.feedback_reply(actor=personas.clerk, feedback=fb, text="已答复", publish=False)
    assert services.feedback_remind(at=days_from_today(20)) == 0


def test_masks() -> None:
    assert pii.mask_name("张三") == "张*"
    assert pii.mask_name("欧阳明华") == "欧阳**"
    assert pii.mask_phone("13812345678") == "138****5678"
    assert pii.mask_phone("05565123456") == "0556-****456"
    assert pii.mask_email("zhang@example.com") == "z***@example.com"
