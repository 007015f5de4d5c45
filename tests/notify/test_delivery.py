"""``deliver()``: e-mail to a real SMTP server, SMS to an HTTP gateway, retries with backoff
when either is down (nothing lost), the daily digest, giving up after the last attempt.

The clock is frozen by passing ``now`` to ``deliver`` (as ``zhenggai deliver --at`` does):
every instant below is relative to the moment a row was queued."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail

from tests.notify.conftest import free_port, with_email
from zhenggai.audit.models import AuditEvent
from zhenggai.notify.delivery import deliver
from zhenggai.notify.models import Outbox, OutboxStatus, Preference
from zhenggai.notify.schedule import LEASE
from zhenggai.notify.services import message_send

MINUTE = dt.timedelta(minutes=1)


def queue(users, subject="措施“完善交通安全宣传机制”已分派给您", **kw):
    fields = {
        "kind": "measure.assigned",
        "subject": subject,
        "body": "完成时限：12月31日。请及时报送整改进展。",
        "url": "/measures/12/",
        "level": "yellow",
    }
    fields.update(kw)
    return message_send(recipients=users, **fields)


def queued_at():
    return Outbox.objects.order_by("created_at").first().created_at


def test_an_e_mail_reaches_a_real_smtp_server_in_chinese_with_an_absolute_link(
    personas, settings, smtp_server
):
    smtp_server.use(settings)
    settings.SITE_URL = "https://zg.example.gov.cn"
    settings.DEFAULT_FROM_EMAIL = "巡察整改台账 <noreply@zg.example.gov.cn>"
    with_email(personas.person, "person@example.com")
    queue([personas.person])

    report = deliver(worker="test")

    assert (report.claimed, report.sent, report.retried, report.failed) == (1, 1, 0, 0)
    (got,) = smtp_server.received
    assert got.recipients == ["person@example.com"]
    assert got.sender == "noreply@zg.example.gov.cn"
    assert got.subject == "【巡察整改台账】【黄色预警】措施“完善交通安全宣传机制”已分派给您"
    assert "陈民警，您好" in got.text
    assert "查看：https://zg.example.gov.cn/measures/12/" in got.text
    row = Outbox.objects.get()
    assert row.status == OutboxStatus.SENT and row.sent_at is not None and row.attempts == 1
    event = AuditEvent.objects.get(action="notify.deliver")
    assert event.actor_id is None and event.after["sent"] == 1 and event.after["worker"] == "test"


def test_a_second_run_sends_nothing_again(personas, settings, smtp_server):
    smtp_server.use(settings)
    with_email(personas.person, "person@example.com")
    queue([personas.person])
    deliver()
    report = deliver()
    assert report.claimed == 0
    assert len(smtp_server.received) == 1
    assert AuditEvent.objects.filter(action="notify.deliver").count() == 1  # a run that sent nothing: none


def test_with_the_smtp_server_down_messages_stay_queued_and_are_sent_when_it_is_back(
    personas, settings, smtp_server
):
    with_email(personas.person, "person@example.com")
    with_email(personas.person2, "person2@example.com")
    queue([personas.person, personas.person2])
    now = queued_at()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()  # nobody listens there

    down = deliver(now=now)
    assert (down.claimed, down.sent, down.retried, down.failed) == (2, 0, 2, 0)
    assert any("无法连接邮件服务器" in e for e in down.errors)
    for row in Outbox.objects.all():
        assert row.status == OutboxStatus.QUEUED and row.attempts == 1
        assert row.next_attempt_at == now + MINUTE  # the first retry after a minute
        assert "无法连接邮件服务器" in row.last_error

    again = deliver(now=now + MINUTE)  # still down: two minutes this time
    assert again.retried == 2
    assert {r.next_attempt_at for r in Outbox.objects.all()} == {now + 3 * MINUTE}
    assert deliver(now=now + 2 * MINUTE).claimed == 0  # not due yet

    smtp_server.use(settings)  # the server is back
    back = deliver(now=now + 3 * MINUTE)
    assert (back.sent, back.retried) == (2, 0)
    assert sorted(r for got in smtp_server.received for r in got.recipients) == [
        "person2@example.com",
        "person@example.com",
    ]
    assert set(Outbox.objects.values_list("status", "attempts", "last_error")) == {(OutboxStatus.SENT, 3, "")}


def test_after_the_last_attempt_a_row_is_failed_kept_and_never_tried_again(personas, settings):
    settings.NOTIFY_MAX_ATTEMPTS = 2
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    with_email(personas.person, "person@example.com")
    queue([personas.person])
    now = queued_at()
    assert deliver(now=now).retried == 1
    last = deliver(now=now + MINUTE)
    assert (last.retried, last.failed) == (0, 1)
    row = Outbox.objects.get()
    assert row.status == OutboxStatus.FAILED and row.attempts == 2 and "无法连接邮件服务器" in row.last_error
    assert deliver(now=now + dt.timedelta(days=7)).claimed == 0
    assert AuditEvent.objects.get(action="notify.deliver").after["failed"] == 1


def test_a_claimed_row_is_not_claimed_again_while_its_lease_runs(personas):
    """A deliverer that died after claiming: its rows go out once the lease has run out."""
    from zhenggai.notify.delivery import _claim

    with_email(personas.person, "person@example.com")
    queue([personas.person])
    now = queued_at()
    assert len(_claim(now=now, limit=10)) == 1  # claimed, then the deliverer "died"
    assert deliver(now=now + LEASE - MINUTE).claimed == 0
    late = deliver(now=now + LEASE)
    assert late.sent == 1 and len(mail.outbox) == 1


def test_sms_is_posted_as_json_to_the_gateway_with_the_bearer_token(
    personas, settings, sms_gateway, no_proxy
):
    settings.SMS_GATEWAY_URL = sms_gateway.url
    settings.SMS_GATEWAY_TOKEN = "gw-secret"
    settings.SITE_URL = "https://zg.example.gov.cn"
    Preference.objects.create(
        user=personas.person, email_enabled=False, sms_enabled=True, phone="13800138000"
    )
    queue([personas.person])
    row = Outbox.objects.get()

    report = deliver()

    assert report.sent == 1
    (req,) = sms_gateway.requests
    assert req["path"] == "/sms/send"
    assert req["content_type"] == "application/json; charset=utf-8"
    assert req["authorization"] == "Bearer gw-secret"
    assert req["json"] == {
        "to": "13800138000",
        "text": "【巡察整改】【黄色预警】措施“完善交通安全宣传机制”已分派给您 https://zg.example.gov.cn/measures/12/",
        "id": row.pk,
    }
    assert Outbox.objects.get().status == OutboxStatus.SENT


def test_a_gateway_error_is_retried_with_the_same_id_until_it_answers_2xx(
    personas, settings, sms_gateway, no_proxy
):
    settings.SMS_GATEWAY_URL = sms_gateway.url
    Preference.objects.create(
        user=personas.person, email_enabled=False, sms_enabled=True, phone="13800138000"
    )
    queue([personas.person])
    now = queued_at()
    sms_gateway.status = 500

    failed = deliver(now=now)

    assert (failed.sent, failed.retried) == (0, 1)
    row = Outbox.objects.get()
    assert row.status == OutboxStatus.QUEUED and row.last_error == "短信网关返回 HTTP 500"
    assert row.next_attempt_at == now + MINUTE
    sms_gateway.status = 202
    assert deliver(now=now + MINUTE).sent == 1
    assert [r["json"]["id"] for r in sms_gateway.requests] == [row.pk, row.pk]
    assert Outbox.objects.get().status == OutboxStatus.SENT


def test_an_sms_queued_before_the_gateway_was_removed_is_failed_saying_so(personas, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/never"
    Preference.objects.create(
        user=personas.person, email_enabled=False, sms_enabled=True, phone="13800138000"
    )
    queue([personas.person])
    settings.SMS_GATEWAY_URL = ""
    report = deliver()
    assert report.failed == 1
    row = Outbox.objects.get()
    assert row.status == OutboxStatus.FAILED and "未配置短信网关" in row.last_error


def test_two_held_messages_go_out_as_one_digest_at_the_digest_hour_and_not_before(personas, settings):
    settings.NOTIFY_DIGEST_HOUR = 8
    with_email(personas.person, "person@example.com")
    Preference.objects.create(user=personas.person, digest=True)
    queue([personas.person], subject="措施甲临近完成时限")
    queue([personas.person], subject="措施乙已被退回", level="")
    due = Outbox.objects.first().next_attempt_at
    assert set(Outbox.objects.values_list("next_attempt_at", flat=True)) == {due}
    assert (due.astimezone(dt.timezone(dt.timedelta(hours=8))).hour, due.minute) == (8, 0)

    assert deliver(now=queued_at()).claimed == 0
    assert deliver(now=due - MINUTE).claimed == 0
    assert mail.outbox == []

    report = deliver(now=due)

    assert (report.sent, report.digests) == (2, 1)
    (digest,) = mail.outbox
    assert digest.to == ["person@example.com"]
    assert digest.subject == "【巡察整改台账】每日汇总：2 条提醒"
    assert "1. " in digest.body and "措施甲临近完成时限" in digest.body
    assert "2. " in digest.body and "措施乙已被退回" in digest.body
    assert set(Outbox.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


def test_a_user_disabled_after_queueing_gets_no_e_mail(personas):
    with_email(personas.person, "person@example.com")
    queue([personas.person])
    personas.person.is_active = False
    personas.person.save(update_fields=["is_active"])
    report = deliver()
    assert (report.sent, report.cancelled) == (0, 1)
    assert mail.outbox == []
    assert Outbox.objects.get().status == OutboxStatus.CANCELLED


@pytest.mark.parametrize("limit", [1, 2])
def test_a_run_sends_at_most_its_limit_oldest_first(personas, limit):
    for who, address in ((personas.person, "a@example.com"), (personas.person2, "b@example.com")):
        with_email(who, address)
    queue([personas.person])
    queue([personas.person2])
    assert deliver(limit=limit).sent == limit
    assert [m.to for m in mail.outbox] == [["a@example.com"], ["b@example.com"]][:limit]


def test_a_gateway_redirect_is_a_failure_not_a_silent_get(personas, settings, sms_gateway, no_proxy):
    settings.SMS_GATEWAY_URL = sms_gateway.url
    Preference.objects.create(
        user=personas.person, email_enabled=False, sms_enabled=True, phone="13800138000"
    )
    queue([personas.person])
    sms_gateway.status = 302
    assert deliver().retried == 1
    assert Outbox.objects.get().last_error == "短信网关返回 HTTP 302"
    assert len(sms_gateway.requests) == 1


def test_a_gateway_address_that_is_not_http_is_refused_and_the_row_failed(personas, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/queued-with-this"
    Preference.objects.create(
        user=personas.person, email_enabled=False, sms_enabled=True, phone="13800138000"
    )
    queue([personas.person])
    settings.SMS_GATEWAY_URL = "file:///etc/passwd"
    assert deliver().failed == 1
    row = Outbox.objects.get()
    assert row.status == OutboxStatus.FAILED and "http://" in row.last_error
