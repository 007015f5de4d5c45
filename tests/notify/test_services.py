"""The inbox and the outbox as the business services fill them: once per recipient, by each
recipient's preferences, cancelled by topic; the reminder settings and the read marks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.notify.conftest import with_email
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput
from zhenggai.notify.models import Channel, Message, Outbox, OutboxStatus, Preference
from zhenggai.notify.schedule import backoff, next_digest_at
from zhenggai.notify.services import (
    message_mark_read,
    message_send,
    messages_cancel,
    normalize_phone,
    preference_update,
)

GATEWAY = "http://127.0.0.1:9/sms"  # never contacted here: message_send only queues


def send(recipients, **kw):
    fields = {"kind": "measure.assigned", "subject": "您有一项新的整改措施", "url": "/measures/12/"}
    fields.update(kw)
    return message_send(recipients=recipients, **fields)


def test_a_message_reaches_each_recipient_once_even_when_listed_twice(personas):
    made = send([personas.person, personas.person, personas.person2, None])
    assert sorted(m.recipient_id for m in made) == sorted([personas.person.pk, personas.person2.pk])
    assert Message.objects.filter(recipient=personas.person).count() == 1


def test_an_inactive_user_gets_no_message(personas):
    personas.person2.is_active = False
    personas.person2.save(update_fields=["is_active"])
    assert send([personas.person2]) == []
    assert not Message.objects.exists()


def test_the_same_dedupe_key_gives_a_recipient_nothing_new(personas):
    with_email(personas.person, "person@example.com")
    first = send([personas.person], dedupe="reminder:12:yellow:7")
    again = send([personas.person, personas.person2], dedupe="reminder:12:yellow:7")
    assert len(first) == 1
    assert [m.recipient_id for m in again] == [personas.person2.pk]
    assert Outbox.objects.filter(recipient=personas.person).count() == 1


def test_e_mail_is_queued_only_for_a_recipient_with_an_address_who_wants_it(personas):
    with_email(personas.person, "person@example.com")
    Preference.objects.create(user=personas.person2, email_enabled=True)  # no address: no e-mail
    send([personas.person, personas.person2])
    (row,) = Outbox.objects.all()
    assert (row.recipient_id, row.channel, row.address, row.status) == (
        personas.person.pk,
        Channel.EMAIL,
        "person@example.com",
        OutboxStatus.QUEUED,
    )
    assert Message.objects.count() == 2  # the inbox has it either way


def test_sms_is_queued_only_when_the_gateway_is_configured_and_chosen(personas, settings):
    Preference.objects.create(
        user=personas.person, email_enabled=False, sms_enabled=True, phone="13800138000"
    )
    settings.SMS_GATEWAY_URL = ""
    send([personas.person])
    assert not Outbox.objects.exists()
    settings.SMS_GATEWAY_URL = GATEWAY
    send([personas.person], subject="第二条")
    (row,) = Outbox.objects.all()
    assert (row.channel, row.address) == (Channel.SMS, "13800138000")


def test_a_digest_reader_s_e_mail_waits_for_the_next_digest_hour_and_gets_no_sms(personas, settings):
    settings.SMS_GATEWAY_URL = GATEWAY
    with_email(personas.person, "person@example.com")
    Preference.objects.create(user=personas.person, digest=True, sms_enabled=True, phone="13800138000")
    before = timezone.now()
    send([personas.person])
    (row,) = Outbox.objects.all()
    assert row.channel == Channel.EMAIL and row.digest
    assert row.next_attempt_at == next_digest_at(row.created_at)
    assert row.next_attempt_at > before


def test_the_next_digest_time_is_today_before_the_hour_and_tomorrow_after_it(settings):
    settings.NOTIFY_DIGEST_HOUR = 8
    tz = timezone.get_default_timezone()
    early = dt.datetime(2026, 3, 2, 7, 59, tzinfo=tz)
    assert next_digest_at(early) == dt.datetime(2026, 3, 2, 8, 0, tzinfo=tz)
    on_the_hour = dt.datetime(2026, 3, 2, 8, 0, tzinfo=tz)
    assert next_digest_at(on_the_hour) == dt.datetime(2026, 3, 3, 8, 0, tzinfo=tz)
    # 23:30 UTC is 07:30 the next day in Beijing: that morning at eight.
    utc_evening = dt.datetime(2026, 3, 1, 23, 30, tzinfo=dt.UTC)
    assert next_digest_at(utc_evening) == dt.datetime(2026, 3, 2, 8, 0, tzinfo=tz)


def test_backoff_doubles_from_a_minute_up_to_six_hours():
    waits = [backoff(n) for n in range(1, 12)]
    assert waits[:4] == [dt.timedelta(minutes=m) for m in (1, 2, 4, 8)]
    assert max(waits) == dt.timedelta(hours=6) == waits[-1]
    assert waits == sorted(waits)


def test_cancel_stops_queued_deliveries_of_a_topic_and_keeps_the_inbox(personas):
    with_email(personas.person, "person@example.com")
    send([personas.person], topic="measure:12", kind="reminder", dedupe="reminder:12:a")
    send([personas.person], topic="measure:12", kind="measure.assigned")
    send([personas.person], topic="measure:13", kind="reminder")
    sent = Outbox.objects.filter(message__topic="measure:12", message__kind="measure.assigned").get()
    Outbox.objects.filter(pk=sent.pk).update(status=OutboxStatus.SENT)

    assert messages_cancel(topic="measure:12", kinds=["reminder"], dedupe_prefix="reminder:12:") == 1
    statuses = dict(Outbox.objects.values_list("message__topic", "status").filter(message__kind="reminder"))
    assert statuses == {"measure:12": OutboxStatus.CANCELLED, "measure:13": OutboxStatus.QUEUED}
    assert Outbox.objects.get(pk=sent.pk).status == OutboxStatus.SENT
    assert Message.objects.filter(recipient=personas.person).count() == 3


def test_mark_read_touches_only_the_actor_s_own_messages(personas):
    mine = send([personas.person])[0]
    theirs = send([personas.outsider], subject="别人的")[0]
    assert message_mark_read(actor=personas.person, ids=[mine.pk, theirs.pk]) == 1
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.read_at is not None and theirs.read_at is None
    assert message_mark_read(actor=personas.outsider, all=True) == 1
    assert message_mark_read(actor=personas.outsider, all=True) == 0
    assert message_mark_read(actor=personas.person, ids=[]) == 0


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("13800138000", "13800138000"),
        ("+86 138-0013-8000", "13800138000"),
        ("0086 19912345678", "19912345678"),
    ],
)
def test_a_mainland_mobile_number_is_kept_as_eleven_digits(typed, kept):
    assert normalize_phone(typed) == kept


@pytest.mark.parametrize("typed", ["12800138000", "1380013800", "138001380001", "010-12345678", "abc"])
def test_anything_but_a_mainland_mobile_number_is_refused_on_the_phone_field(typed):
    with pytest.raises(InvalidInput) as err:
        normalize_phone(typed)
    assert err.value.field == "phone" and "手机号码" in str(err.value)


def test_preferences_are_saved_and_audited_with_the_number_masked(personas, settings):
    settings.SMS_GATEWAY_URL = GATEWAY
    with_email(personas.person, "person@example.com")
    pref = preference_update(
        actor=personas.person, email_enabled=True, sms_enabled=True, phone="138 0013 8000", digest=True
    )
    assert (pref.email_enabled, pref.sms_enabled, pref.phone, pref.digest) == (
        True,
        True,
        "13800138000",
        True,
    )
    event = AuditEvent.objects.get(action="notify.preference")
    assert event.actor_id == personas.person.pk
    assert event.after["phone"] == "138****8000" and "13800138000" not in str(event.before) + str(event.after)
    # Saving the same again records nothing new.
    preference_update(
        actor=personas.person, email_enabled=True, sms_enabled=True, phone="13800138000", digest=True
    )
    assert AuditEvent.objects.filter(action="notify.preference").count() == 1


def test_e_mail_cannot_be_chosen_without_an_address_on_the_account(personas):
    with pytest.raises(InvalidInput) as err:
        preference_update(
            actor=personas.person, email_enabled=True, sms_enabled=False, phone="", digest=False
        )
    assert err.value.field == "email_enabled" and "没有登记电子邮箱" in str(err.value)
    assert not Preference.objects.exists()


def test_the_digest_needs_e_mail_and_sms_needs_a_gateway_and_a_number(personas, settings):
    with_email(personas.person, "person@example.com")
    with pytest.raises(InvalidInput) as err:
        preference_update(
            actor=personas.person, email_enabled=False, sms_enabled=False, phone="", digest=True
        )
    assert err.value.field == "digest"
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(InvalidInput) as err:
        preference_update(
            actor=personas.person, email_enabled=True, sms_enabled=True, phone="13800138000", digest=False
        )
    assert err.value.field == "sms_enabled" and "未配置短信网关" in str(err.value)
    settings.SMS_GATEWAY_URL = GATEWAY
    with pytest.raises(InvalidInput) as err:
        preference_update(actor=personas.person, email_enabled=True, sms_enabled=True, phone="", digest=False)
    assert err.value.field == "phone"
    assert not Preference.objects.exists()


def test_a_message_about_something_labelled_above_a_recipients_clearance_tells_them_nothing_of_it(
    personas, mailoutbox
):
    """REQ-1.10: the inbox of a recipient not cleared for the label holds only a notice, and
    above 内部 the e-mail of everyone says only that there is a message and where."""
    from zhenggai.notify.delivery import deliver

    personas.person.clearance = "sensitive"
    personas.person.save(update_fields=["clearance"])
    with_email(personas.person, "chen@example.gov.cn")
    with_email(personas.person2, "liu@example.gov.cn")
    made = send(
        [personas.person, personas.person2],
        subject="整改措施：清理违规发放的补贴（敏感）",
        body="涉及3名干部的违规补贴",
        sensitivity="sensitive",
    )
    by_user = {m.recipient_id: m for m in made}
    assert by_user[personas.person.pk].subject.startswith("整改措施：清理")
    assert "清理" not in by_user[personas.person2.pk].subject
    assert "补贴" not in by_user[personas.person2.pk].body
    assert all(m.confidential for m in made)

    deliver()
    assert len(mailoutbox) == 2
    for mail in mailoutbox:
        assert "补贴" not in mail.subject and "补贴" not in mail.body
        assert "/measures/12/" in mail.body


def test_a_message_about_something_internal_goes_out_with_its_content(personas, mailoutbox):
    from zhenggai.notify.delivery import deliver

    with_email(personas.person, "chen@example.gov.cn")
    made = send(
        [personas.person], subject="整改措施：建立学习台账", body="请于月底前完成", sensitivity="internal"
    )
    assert not made[0].confidential
    deliver()
    assert "建立学习台账" in mailoutbox[0].subject and "请于月底前完成" in mailoutbox[0].body
