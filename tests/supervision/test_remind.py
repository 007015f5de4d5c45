"""`zhenggai remind`: every tier on its day, escalation, idempotence, cancellation.

The clock is frozen by ``--at``: the measure's deadline is ``D`` (200 days from today) and
each run counts a day relative to it as today.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import io
import json
from typing import Any

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger import services
from zhenggai.ledger.models import Measure
from zhenggai.notify.models import Message, Outbox, OutboxStatus
from zhenggai.supervision.models import Reminder
from zhenggai.supervision.services.reminders import remind

D = 200  # the measure's deadline, in days from today


def on(days: int) -> dt.date:
    """The day ``days`` after the deadline (before it when negative)."""
    return days_from_today(D + days)


def run(at: dt.date) -> dict[str, Any]:
    out = io.StringIO()
    call_command("remind", "--at", at.isoformat(), "--json", stdout=out)
    result: dict[str, Any] = json.loads(out.getvalue())
    # The other registered deadline sources (citizen feedback) report their own count; no
    # feedback here, so none is ever queued. The measures' fields are what these tests read.
    assert result.pop("feedback") == 0
    return result


def told(personas: Any, *, kind: str = "reminder") -> dict[str, list[str]]:
    """Who got which levels of ``kind`` messages, by persona name."""
    names = {u.pk: n for n, u in personas.all_users().items()}
    out: dict[str, list[str]] = {}
    for recipient_id, level in (
        Message.objects.filter(kind=kind).order_by("id").values_list("recipient_id", "level")
    ):
        out.setdefault(names[recipient_id], []).append(level)
    return out


@pytest.fixture
def measure(personas: Any, assigned_measure: Measure) -> Measure:
    assert assigned_measure.deadline == days_from_today(D)
    for n, u in personas.all_users().items():
        u.email = f"{n}@example.invalid"
        u.save(update_fields=["email"])
    return assigned_measure


def test_a_measure_twenty_five_days_ahead_is_told_nothing(personas: Any, measure: Measure) -> None:
    assert run(on(-25)) == {"queued": 0, "by_tier": {}, "cancelled": 0}
    assert not Message.objects.filter(kind="reminder").exists()
    assert not Reminder.objects.exists()


def test_twenty_days_ahead_the_person_gets_the_green_warning(personas: Any, measure: Measure) -> None:
    assert run(on(-20)) == {"queued": 1, "by_tier": {"green": 1}, "cancelled": 0}
    assert told(personas) == {"person": ["green"]}
    msg = Message.objects.get(kind="reminder")
    assert msg.subject.startswith("【绿色预警】整改措施将于")
    assert msg.subject.endswith("到期（剩20天）")
    assert msg.topic == f"measure:{measure.pk}"
    assert msg.url == f"/measures/{measure.pk}/"
    assert measure.text[:20] in msg.body


def test_ten_days_ahead_the_responsible_leader_is_told_too(personas: Any, measure: Measure) -> None:
    assert run(on(-10))["by_tier"] == {"yellow": 1}
    assert told(personas) == {"person": ["yellow"], "responsible_leader": ["yellow"]}
    assert "剩10天" in Message.objects.filter(kind="reminder").first().subject  # type: ignore[union-attr]


def test_the_day_after_the_deadline_the_unit_head_is_told_and_the_warning_is_red(
    personas: Any, measure: Measure
) -> None:
    assert run(on(1))["by_tier"] == {"red": 1}
    assert told(personas) == {"person": ["red"], "responsible_leader": ["red"], "leader": ["red"]}
    assert "已逾期1天" in Message.objects.filter(kind="reminder").first().subject  # type: ignore[union-attr]


def test_on_the_deadline_itself_the_warning_is_still_yellow(personas: Any, measure: Measure) -> None:
    assert run(on(0))["by_tier"] == {"yellow": 1}


def test_thirty_days_overdue_the_supervisor_above_is_told_and_the_warning_is_black(
    personas: Any, measure: Measure
) -> None:
    assert run(on(30))["by_tier"] == {"black": 1}
    assert told(personas) == {
        "person": ["black"],
        "responsible_leader": ["black"],
        "leader": ["black"],
        "supervisor": ["black"],
    }


def test_the_warnings_escalate_one_tier_at_a_time(personas: Any, measure: Measure) -> None:
    for day, tier in ((-20, "green"), (-15, None), (-10, "yellow"), (1, "red"), (5, None), (30, "black")):
        assert run(on(day))["by_tier"] == ({tier: 1} if tier else {})
    assert told(personas) == {
        "person": ["green", "yellow", "red", "black"],
        "responsible_leader": ["yellow", "red", "black"],
        "leader": ["red", "black"],
        "supervisor": ["black"],
    }
    assert list(Reminder.objects.values_list("tier", flat=True)) == ["green", "yellow", "red", "black"]


def test_a_measure_first_seen_overdue_gets_only_the_red_warning(personas: Any, measure: Measure) -> None:
    run(on(2))
    assert list(Reminder.objects.values_list("tier", flat=True)) == ["red"]


def test_run_twice_the_same_day_the_second_run_queues_nothing(personas: Any, measure: Measure) -> None:
    assert run(on(-10))["queued"] == 1
    events = AuditEvent.objects.filter(action="supervision.remind").count()
    assert run(on(-10)) == {"queued": 0, "by_tier": {}, "cancelled": 0}
    assert Message.objects.filter(kind="reminder").count() == 2
    assert Reminder.objects.count() == 1
    # Nothing changed: nothing more is audited.
    assert AuditEvent.objects.filter(action="supervision.remind").count() == events == 1


def test_the_run_is_audited_with_what_it_queued(personas: Any, measure: Measure) -> None:
    run(on(-10))
    event = AuditEvent.objects.get(action="supervision.remind")
    assert event.actor_id is None
    assert event.after["queued"] == 1
    assert event.after["by_tier"] == {"yellow": 1}


def test_the_text_output_says_what_was_queued(personas: Any, measure: Measure) -> None:
    out = io.StringIO()
    call_command("remind", "--at", on(1).isoformat(), stdout=out)
    assert "已加入 1 条预警" in out.getvalue()
    assert "红色预警" in out.getvalue()


def test_an_unreadable_date_is_refused_in_chinese_with_exit_status_2(db: Any) -> None:
    from zhenggai.cli import main

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["remind", "--at", "2026-13-45"])
    assert code == 2
    assert "无法识别" in err.getvalue()


def test_a_changed_owner_cancels_the_queued_warnings_and_the_new_owner_is_warned(
    personas: Any, measure: Measure
) -> None:
    run(on(-10))
    queued = Outbox.objects.filter(recipient=personas.person, status=OutboxStatus.QUEUED)
    assert queued.count() == 1
    services.measure_assign_bulk(
        actor=personas.clerk, round=measure.round, measure_ids=[measure.pk], person=personas.person2
    )
    result = run(on(-10))
    assert result == {"queued": 1, "by_tier": {"yellow": 1}, "cancelled": 1}
    assert not queued.exists()
    assert Outbox.objects.filter(recipient=personas.person, status=OutboxStatus.CANCELLED).count() == 1
    # The leader's delivery of the old warning is cancelled too; the new one is queued.
    leader_rows = Outbox.objects.filter(recipient=personas.responsible_leader).order_by("id")
    assert [r.status for r in leader_rows] == [OutboxStatus.CANCELLED, OutboxStatus.QUEUED]
    assert told(personas)["person2"] == ["yellow"]
    old = Reminder.objects.get(person=personas.person)
    assert old.cancelled_at is not None
    assert Reminder.objects.get(person=personas.person2).cancelled_at is None


def test_a_changed_deadline_cancels_the_queued_warnings_and_starts_afresh(
    personas: Any, measure: Measure
) -> None:
    run(on(-10))
    services.measure_update(
        actor=personas.clerk,
        measure=measure,
        expected_version=measure.version,
        deadline=days_from_today(D + 5),
    )
    # Ten days before the old deadline is fifteen before the new one: green.
    assert run(on(-10)) == {"queued": 1, "by_tier": {"green": 1}, "cancelled": 1}
    statuses = list(
        Outbox.objects.filter(recipient=personas.person).order_by("id").values_list("status", flat=True)
    )
    assert statuses == [OutboxStatus.CANCELLED, OutboxStatus.QUEUED]
    assert run(on(-10))["cancelled"] == 0


def test_a_sent_warning_is_not_cancelled_but_the_reminder_is(personas: Any, measure: Measure) -> None:
    run(on(-10))
    Outbox.objects.update(status=OutboxStatus.SENT)
    services.measure_assign_bulk(
        actor=personas.clerk, round=measure.round, measure_ids=[measure.pk], person=personas.person2
    )
    assert run(on(-10))["cancelled"] == 1
    assert not Outbox.objects.filter(status=OutboxStatus.CANCELLED).exists()


def test_finished_and_deleted_measures_get_no_warnings(personas: Any, measure: Measure) -> None:
    Measure.objects.filter(pk=measure.pk).update(status="done")
    assert run(on(1))["queued"] == 0
    Measure.objects.filter(pk=measure.pk).update(status="in_progress", deleted_at=timezone.now())
    assert run(on(1))["queued"] == 0


def test_a_round_with_its_own_tiers_is_warned_by_them(personas: Any, measure: Measure) -> None:
    from zhenggai.supervision.services.settings import round_settings_update

    round_settings_update(
        actor=personas.clerk,
        round=measure.round,
        tiers=[
            {"key": "yellow", "days": 30, "notify": ["person"]},
            {"key": "black", "days": -7, "notify": ["person", "supervisor"]},
        ],
        stage_report_months=3,
        rush_hours=24,
    )
    assert run(on(-30))["by_tier"] == {"yellow": 1}
    assert run(on(1))["by_tier"] == {}
    assert run(on(7))["by_tier"] == {"black": 1}
    assert told(personas) == {"person": ["yellow", "black"], "supervisor": ["black"]}


def test_the_number_of_queries_does_not_grow_with_the_measures_not_yet_due(
    personas: Any, measure: Measure, django_assert_max_num_queries: Any
) -> None:
    others = list(
        Measure.objects.filter(round=measure.round).exclude(pk=measure.pk).values_list("pk", flat=True)
    )
    assert len(others) > 5
    services.measure_assign_bulk(
        actor=personas.clerk, round=measure.round, measure_ids=others, deadline=days_from_today(D + 100)
    )
    with django_assert_max_num_queries(30):
        assert remind(at=on(-10)).queued == 1
