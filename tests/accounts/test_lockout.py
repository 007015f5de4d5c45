"""Lockout and the client address (等保 身份鉴别 b; REQ-1.3, REQ-2.11): five failures lock the account
for fifteen minutes even against the right password, counted per account and per address, all
recorded; the address comes only from a trusted proxy."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client, RequestFactory
from django.urls import reverse

from tests.accounts.conftest import Admins, Clock, login
from zhenggai.accounts import services
from zhenggai.accounts.models import LoginThrottle
from zhenggai.audit.models import AuditEvent
from zhenggai.http.middleware import client_address

LOCKED = "已被锁定"


def _logged_in(c: Client) -> bool:
    return c.get("/").status_code == 200


def test_five_failures_lock_the_account_for_15_minutes_even_with_the_right_password_REQ_1_3(
    clock: Clock, personas: Any
) -> None:
    for i in range(5):
        r = login(Client(), "clerk", "wrong-password", address=f"10.0.0.{i + 1}")
        assert r.status_code == 200
    assert LOCKED in r.content.decode()  # the fifth failure says so
    c = Client()
    sixth = login(c, "clerk", address="10.0.0.9")
    assert sixth.status_code == 200 and LOCKED in sixth.content.decode()
    assert not _logged_in(c)
    clock.advance(minutes=14, seconds=59)
    assert login(Client(), "clerk", address="10.0.0.9").status_code == 200
    clock.advance(seconds=2)
    c = Client()
    assert login(c, "clerk", address="10.0.0.9").status_code == 302 and _logged_in(c)
    # Every failure, the lockout and each refusal while locked: one event each, with the address.
    failed = AuditEvent.objects.filter(action="auth.login_failed", actor=personas.clerk)
    assert failed.count() == 5 and set(failed.values_list("outcome", flat=True)) == {"failed"}
    assert sorted(failed.values_list("address", flat=True)) == [f"10.0.0.{i}" for i in range(1, 6)]
    lockout = AuditEvent.objects.get(action="auth.lockout")
    assert lockout.actor == personas.clerk and lockout.after["scope"] == "account"
    assert lockout.address == "10.0.0.5" and lockout.outcome == "denied"
    assert AuditEvent.objects.filter(action="auth.locked_login", outcome="denied").count() == 2
    assert AuditEvent.objects.filter(action="auth.login", actor=personas.clerk).count() == 1


def test_a_success_resets_the_accounts_count(personas: Any) -> None:
    for _ in range(4):
        login(Client(), "clerk", "wrong-password", address="10.0.0.1")
    assert login(Client(), "clerk", address="10.0.0.2").status_code == 302
    for _ in range(4):
        login(Client(), "clerk", "wrong-password", address="10.0.0.3")
    assert login(Client(), "clerk", address="10.0.0.4").status_code == 302


def test_failures_further_apart_than_the_window_do_not_add_up(clock: Clock, personas: Any) -> None:
    for _ in range(4):
        login(Client(), "clerk", "wrong-password", address="10.0.0.1")
    clock.advance(minutes=16)
    login(Client(), "clerk", "wrong-password", address="10.0.0.2")
    assert login(Client(), "clerk", address="10.0.0.3").status_code == 302


def test_five_failures_from_one_address_lock_that_address_for_every_account_REQ_1_3(
    clock: Clock, personas: Any
) -> None:
    for name in ["nobody1", "nobody2", "leader", "viewer", "nobody3"]:
        login(Client(), name, "wrong-password", address="203.0.113.7")
    from_there = login(Client(), "clerk", address="203.0.113.7")
    assert from_there.status_code == 200 and "网络地址" in from_there.content.decode()
    assert login(Client(), "clerk", address="203.0.113.8").status_code == 302
    lock = AuditEvent.objects.get(action="auth.lockout")
    assert lock.after["scope"] == "address" and lock.address == "203.0.113.7"
    clock.advance(minutes=15, seconds=1)
    assert login(Client(), "clerk", address="203.0.113.7").status_code == 302


def test_an_unknown_name_is_locked_like_a_real_one_so_nothing_tells_them_apart(personas: Any) -> None:
    answers = []
    for name in ["clerk", "no-such-user"]:
        for i in range(6):
            r = login(Client(), name, "wrong-password", address=f"10.1.{len(answers)}.{i}")
        answers.append(r.content.decode().count(LOCKED))
    assert answers == [1, 1]
    event = AuditEvent.objects.filter(action="auth.login_failed", actor=None).first()
    assert event.after["username"] == "no-such-user"


def test_the_system_admin_can_unlock_an_account(personas: Any, admins: Admins) -> None:
    for i in range(5):
        login(Client(), "clerk", "wrong-password", address=f"10.0.0.{i}")
    assert services.user_unlock(actor=admins.system, user=personas.clerk) == 1
    assert login(Client(), "clerk", address="10.0.0.20").status_code == 302
    assert AuditEvent.objects.filter(action="auth.unlock", actor=admins.system).count() == 1


def test_old_throttle_rows_are_cleared_away(clock: Clock, personas: Any) -> None:
    login(Client(), "clerk", "wrong-password", address="10.0.0.1")
    assert LoginThrottle.objects.count() == 2  # the account and the address
    clock.advance(minutes=20)
    login(Client(), "leader", "wrong-password", address="10.0.0.2")
    assert set(LoginThrottle.objects.values_list("key", flat=True)) == {"leader", "10.0.0.2"}


# --- the client address (REQ-2.11) ----------------------------------------------------------


@pytest.fixture
def behind_proxy(settings: Any) -> Any:
    settings.TRUSTED_PROXY_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.TRUSTED_PROXIES = ["10.9.0.1", "10.8.0.0/16"]
    return settings


@pytest.mark.parametrize(
    ("remote", "header", "expected"),
    [
        ("198.51.100.4", "", "198.51.100.4"),  # straight from the client
        ("198.51.100.4", "1.2.3.4", "198.51.100.4"),  # a client claiming an address: ignored
        ("10.9.0.1", "198.51.100.4", "198.51.100.4"),  # our proxy names the client
        ("10.9.0.1", "1.2.3.4, 198.51.100.4", "198.51.100.4"),  # the client's own claim is left
        ("10.9.0.1", "1.2.3.4, 198.51.100.4, 10.8.3.3", "198.51.100.4"),  # two proxies of ours
        ("10.9.0.1", "not-an-address", "10.9.0.1"),  # nonsense: the proxy's own address
        ("10.9.0.1", "", "10.9.0.1"),
    ],
)
def test_the_client_address_comes_from_the_header_only_through_a_trusted_proxy_REQ_2_11(
    behind_proxy: Any, remote: str, header: str, expected: str
) -> None:
    request = RequestFactory().get("/", REMOTE_ADDR=remote, HTTP_X_FORWARDED_FOR=header)
    assert client_address(request) == expected


def test_without_a_configured_header_x_forwarded_for_changes_nothing(settings: Any) -> None:
    settings.TRUSTED_PROXY_HEADER = ""
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR="1.2.3.4")
    assert client_address(request) == "127.0.0.1"


def test_a_spoofed_x_forwarded_for_neither_escapes_the_lockout_nor_changes_the_audit_REQ_2_11(
    behind_proxy: Any, personas: Any
) -> None:
    # An attacker at 198.51.100.66 talks to the app directly, claiming a new address each time.
    for i in range(5):
        r = Client().post(
            reverse("web:login"),
            {"username": f"guess{i}", "password": "wrong-password"},
            REMOTE_ADDR="198.51.100.66",
            HTTP_X_FORWARDED_FOR=f"192.0.2.{i}",
        )
        assert r.status_code == 200
    addresses = set(AuditEvent.objects.filter(action="auth.login_failed").values_list("address", flat=True))
    assert addresses == {"198.51.100.66"}
    refused = Client().post(
        reverse("web:login"),
        {"username": "clerk", "password": "Test-pass-2026"},
        REMOTE_ADDR="198.51.100.66",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert refused.status_code == 200 and "网络地址" in refused.content.decode()
    # Through our proxy, the real client's address is what counts and what is recorded.
    ok = Client().post(
        reverse("web:login"),
        {"username": "clerk", "password": "Test-pass-2026"},
        REMOTE_ADDR="10.9.0.1",
        HTTP_X_FORWARDED_FOR="192.0.2.200",
    )
    assert ok.status_code == 302
    assert AuditEvent.objects.get(action="auth.login").address == "192.0.2.200"
