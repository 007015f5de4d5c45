"""Sessions (等保 身份鉴别 b, 剩余信息保护; REQ-1.4, REQ-1.5, REQ-1.16): idle and absolute timeouts,
and logout, disabling a user or setting their password end sessions on the server."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import Admins, Clock, login
from zhenggai.accounts import services
from zhenggai.accounts.models import TOTPDevice, UserSession
from zhenggai.audit.models import AuditEvent


def _sent_to_login(response: Any) -> bool:
    return response.status_code == 302 and response.url.startswith(reverse("web:login"))


def test_a_session_idle_for_30_minutes_is_ended_on_the_server_REQ_1_4(clock: Clock, personas: Any) -> None:
    c = Client()
    login(c, "clerk")
    key = c.cookies["sessionid"].value
    clock.advance(minutes=29, seconds=59)
    assert c.get("/").status_code == 200
    clock.advance(minutes=30, seconds=1)
    response = c.get(reverse("web:round-list"))
    assert _sent_to_login(response) and "next=/rounds/" in response.url
    assert not UserSession.objects.filter(session_key=key).exists()
    page = c.get(response.url).content.decode()
    assert "30 分钟未操作" in page
    event = AuditEvent.objects.get(action="auth.session_expired")
    assert event.actor == personas.clerk and event.after["timeout"] == "idle"


def test_activity_keeps_a_session_alive_until_its_absolute_age_of_12_hours_REQ_1_4(
    clock: Clock, personas: Any
) -> None:
    c = Client()
    login(c, "clerk")
    for _ in range(35):  # every 20 minutes for 11 h 40 min
        clock.advance(minutes=20)
        assert c.get("/").status_code == 200
    clock.advance(minutes=20, seconds=1)  # 12 h and a second after the login
    assert _sent_to_login(c.get("/"))
    assert "12 小时" in c.get(reverse("web:login")).content.decode()
    assert AuditEvent.objects.get(action="auth.session_expired").after["timeout"] == "absolute"
    assert not UserSession.objects.filter(user=personas.clerk).exists()


def test_the_session_row_knows_its_user_and_expires_by_itself_at_the_absolute_age(
    clock: Clock, personas: Any
) -> None:
    c = Client()
    login(c, "clerk")
    row = UserSession.objects.get(session_key=c.cookies["sessionid"].value)
    assert row.user == personas.clerk
    assert (row.expire_date - clock.now).total_seconds() == 12 * 3600
    # A cookie that comes back after the row expired: the row is deleted there and then.
    clock.advance(hours=12, seconds=1)
    assert _sent_to_login(c.get("/"))
    assert not UserSession.objects.filter(pk=row.pk).exists()


def test_logout_deletes_the_session_and_the_old_cookie_opens_nothing_REQ_1_5(personas: Any) -> None:
    c = Client()
    login(c, "clerk")
    old = c.cookies["sessionid"].value
    assert c.get("/").status_code == 200
    assert c.post(reverse("web:logout")).url == reverse("web:login")
    assert not UserSession.objects.filter(session_key=old).exists()  # REQ-1.16
    replay = Client()
    replay.cookies["sessionid"] = old
    assert _sent_to_login(replay.get("/"))
    assert _sent_to_login(replay.get(reverse("web:round-list")))
    assert AuditEvent.objects.filter(action="auth.logout", actor=personas.clerk).count() == 1


def test_disabling_a_user_ends_all_their_sessions_at_once_REQ_1_5(personas: Any, admins: Admins) -> None:
    phone, desk = Client(), Client()
    login(phone, "clerk")
    login(desk, "clerk")
    keys = [phone.cookies["sessionid"].value, desk.cookies["sessionid"].value]
    assert UserSession.objects.filter(user=personas.clerk).count() == 2
    services.user_set_active(actor=admins.system, user=personas.clerk, active=False)
    assert not UserSession.objects.filter(session_key__in=keys).exists()
    for c in (phone, desk):
        assert _sent_to_login(c.get("/"))
    assert login(Client(), "clerk").status_code == 200  # and no new login
    event = AuditEvent.objects.get(action="user.disable")
    assert event.before == {"is_active": True} and event.after == {"is_active": False}


def test_a_password_set_by_the_system_admin_ends_the_users_sessions(personas: Any, admins: Admins) -> None:
    c = Client()
    login(c, "clerk")
    TOTPDevice.objects.create(user=personas.clerk, secret="v1:x", confirmed=True)  # his phone (finding 9)
    services.user_set_password(actor=admins.system, user=personas.clerk, password="Reset-by-admin-7")
    assert _sent_to_login(c.get("/"))


def test_a_new_login_gets_a_new_session_id(personas: Any) -> None:
    c = Client()
    c.get(reverse("web:login"))
    c.cookies["sessionid"] = "attacker-chosen-session-key-000000"
    login(c, "clerk")
    assert c.cookies["sessionid"].value != "attacker-chosen-session-key-000000"


def test_pages_are_never_stored_by_the_browser_REQ_1_16(personas: Any, client_for: Any) -> None:
    c = client_for(personas.clerk)
    for url in ["/", reverse("web:round-list"), reverse("accounts:profile"), reverse("web:login")]:
        assert "no-store" in c.get(url, follow=True).headers["Cache-Control"], url
