"""The inbox pages: one's own messages only (another's is 404), opening marks read and follows
a link of this site only, mark all read, the reminder settings; the navbar's unread count."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory
from django.urls import reverse

from zhenggai.notify.models import Message, Preference
from zhenggai.notify.services import message_send
from zhenggai.web.context import inbox

PROCESSOR = "zhenggai.web.context.inbox"


@pytest.fixture(autouse=True)
def _inbox_processor(settings):
    """The navbar's count, as settings.TEMPLATES will list it."""
    processors = settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    if PROCESSOR not in processors:
        templates = [dict(settings.TEMPLATES[0])]
        templates[0]["OPTIONS"] = {**templates[0]["OPTIONS"], "context_processors": [*processors, PROCESSOR]}
        settings.TEMPLATES = templates


def send(user, subject="措施已分派给您", url="/measures/12/", **kw):
    (m,) = message_send(recipients=[user], kind="measure.assigned", subject=subject, url=url, **kw)
    return m


def test_the_inbox_lists_one_s_own_messages_unread_first_with_their_level(personas, client_for):
    old = send(personas.person, "已读的旧消息")
    Message.objects.filter(pk=old.pk).update(read_at=old.created_at)
    send(personas.person, "措施临近完成时限", level="red")
    send(personas.outsider, "别人的消息")

    page = client_for(personas.person).get(reverse("inbox:list"))

    html = page.content.decode()
    assert page.status_code == 200
    assert "措施临近完成时限" in html and "已读的旧消息" in html and "别人的消息" not in html
    assert html.index("措施临近完成时限") < html.index("已读的旧消息")
    assert "红色预警" in html and "text-bg-danger" in html
    assert "未读 1 条" in html


def test_the_inbox_can_show_only_unread_messages(personas, client_for):
    old = send(personas.person, "已读的旧消息")
    Message.objects.filter(pk=old.pk).update(read_at=old.created_at)
    send(personas.person, "新消息")
    html = client_for(personas.person).get(reverse("inbox:list") + "?unread=1").content.decode()
    assert "新消息" in html and "已读的旧消息" not in html


def test_the_inbox_runs_a_fixed_number_of_queries_however_many_messages(
    personas, client_for, django_assert_max_num_queries
):
    for n in range(60):
        send(personas.person, f"消息 {n}", level="yellow" if n % 2 else "")
    client = client_for(personas.person)
    # session and user, the page's count and rows, the unread count (once, though shown twice)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("inbox:list"))
    assert page.status_code == 200
    assert page.content.decode().count('class="list-group-item') == 50
    assert "第 1 / 2 页" in page.content.decode()


def test_opening_a_message_marks_it_read_and_goes_to_its_page(personas, client_for):
    m = send(personas.person, url="/measures/12/")
    answer = client_for(personas.person).get(reverse("inbox:open", args=[m.pk]))
    assert answer.status_code == 302 and answer["Location"] == "/measures/12/"
    m.refresh_from_db()
    assert m.read_at is not None


def test_the_outsider_cannot_open_or_mark_another_s_message(personas, client_for):
    m = send(personas.person)
    outsider = client_for(personas.outsider)
    assert outsider.get(reverse("inbox:open", args=[m.pk])).status_code == 404
    outsider.post(reverse("inbox:read-all"))
    m.refresh_from_db()
    assert m.read_at is None
    assert "措施已分派给您" not in outsider.get(reverse("inbox:list")).content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/",
        "//evil.example/x",
        "/\\evil.example",
        "javascript:alert(1)",
        "/\t/evil.example",
        "",
    ],
)
def test_a_link_that_is_not_a_path_of_this_site_goes_back_to_the_inbox(personas, client_for, url):
    m = send(personas.person, url=url)
    answer = client_for(personas.person).get(reverse("inbox:open", args=[m.pk]))
    assert answer.status_code == 302
    assert answer["Location"] == f"{reverse('inbox:list')}#m{m.pk}"


def test_mark_all_read_marks_only_one_s_own_and_needs_a_post(personas, client_for):
    send(personas.person, "一")
    send(personas.person, "二")
    other = send(personas.person2, "三")
    client = client_for(personas.person)
    assert client.get(reverse("inbox:read-all")).status_code == 405
    answer = client.post(reverse("inbox:read-all"), follow=True)
    assert "已将 2 条消息标为已读" in answer.content.decode()
    assert not Message.objects.filter(recipient=personas.person, read_at__isnull=True).exists()
    other.refresh_from_db()
    assert other.read_at is None


def test_the_anonymous_visitor_is_sent_to_the_login_page(personas, client):
    m = send(personas.person)
    for url in (reverse("inbox:list"), reverse("inbox:open", args=[m.pk]), reverse("inbox:preferences")):
        answer = client.get(url)
        assert answer.status_code == 302 and answer["Location"].startswith(reverse("web:login"))


def test_the_settings_page_saves_one_s_own_reminder_settings(personas, client_for, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    personas.person.email = "person@example.com"
    personas.person.save(update_fields=["email"])
    client = client_for(personas.person)
    page = client.get(reverse("inbox:preferences"))
    assert page.status_code == 200 and "person@example.com" in page.content.decode()

    answer = client.post(
        reverse("inbox:preferences"),
        {"email_enabled": "on", "digest": "on", "sms_enabled": "on", "phone": "138-0013-8000"},
        follow=True,
    )

    assert "提醒设置已保存" in answer.content.decode()
    pref = Preference.objects.get(user=personas.person)
    assert (pref.email_enabled, pref.digest, pref.sms_enabled, pref.phone) == (
        True,
        True,
        True,
        "13800138000",
    )
    assert not Preference.objects.filter(user=personas.outsider).exists()


def test_a_wrong_number_is_shown_next_to_its_field_and_nothing_is_saved(personas, client_for, settings):
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/sms"
    answer = client_for(personas.person).post(
        reverse("inbox:preferences"), {"sms_enabled": "on", "phone": "12345"}
    )
    assert answer.status_code == 400
    assert "手机号码“12345”格式不正确" in answer.content.decode()
    assert not Preference.objects.exists()


def test_without_an_address_the_settings_page_says_e_mail_cannot_be_chosen(personas, client_for):
    client = client_for(personas.person)
    assert "没有登记电子邮箱" in client.get(reverse("inbox:preferences")).content.decode()
    answer = client.post(reverse("inbox:preferences"), {"email_enabled": "on"})
    assert answer.status_code == 400 and "无法接收邮件提醒" in answer.content.decode()


def test_the_unread_count_is_one_query_and_only_when_shown(personas, django_assert_num_queries):
    send(personas.person)
    send(personas.person, "第二条")
    request = RequestFactory().get("/")
    request.user = personas.person
    with django_assert_num_queries(0):
        context = inbox(request)
    with django_assert_num_queries(1):
        assert int(str(context["inbox_unread"])) == 2
        assert context["inbox_unread"]  # counted once
    request.user = AnonymousUser()
    assert inbox(request) == {}


def test_the_system_admin_sees_failed_deliveries_without_their_text_and_others_get_403(
    personas, client_for, django_assert_max_num_queries
):
    from django.contrib.auth import get_user_model

    from zhenggai.audit.models import AuditEvent
    from zhenggai.notify.models import Outbox, OutboxStatus

    personas.person.email = "chen.min@example.com"
    personas.person.save(update_fields=["email"])
    for n in range(3):
        send(personas.person, f"机密措施内容 {n}")
    Outbox.objects.update(
        status=OutboxStatus.FAILED, attempts=10, last_error="无法连接邮件服务器：ConnectionRefusedError"
    )
    admin = get_user_model()(username="xitong", display_name="钱系统", admin_role="system_admin")
    admin.set_password("Test-pass-2026")
    admin.save()

    client = client_for(admin)
    with django_assert_max_num_queries(6):
        page = client.get(reverse("inbox:outbox"))

    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('text-bg-danger">发送失败') == 3
    assert "ch***@example.com" in html and "ConnectionRefusedError" in html
    assert "机密措施内容" not in html and "chen.min@example.com" not in html
    for who in (personas.clerk, personas.outsider, personas.supervisor):
        assert client_for(who).get(reverse("inbox:outbox")).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", outcome="denied").count() == 3
