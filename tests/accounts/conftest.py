"""Fixtures of the account tests: a frozen clock, the three administrators, logging in."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import PASSWORD


class Clock:
    """``django.utils.timezone.now`` frozen at ``now``; ``advance`` moves it on."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta: float) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from django.utils import timezone

    c = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", c)
    return c


@dataclass
class Admins:
    system: Any
    security: Any
    audit: Any


def make_admin(username: str, role: str) -> Any:
    from django.contrib.auth import get_user_model

    u = get_user_model()(username=username, display_name=username, admin_role=role)
    u.set_password(PASSWORD)
    u.save()
    return u


@pytest.fixture
def admins(db: Any) -> Admins:
    return Admins(
        system=make_admin("sysadmin", "system_admin"),
        security=make_admin("secadmin", "security_admin"),
        audit=make_admin("auditor", "audit_admin"),
    )


def login(client: Client, username: str, password: str = PASSWORD, address: str = "127.0.0.1") -> Any:
    return client.post(
        reverse("web:login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], Client]:
    """A logged-in test client for a user (a fresh client, so a separate session, each call)."""

    def make(user: Any) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make


def enrol(user: Any, clock: Clock) -> bytes:
    """The user's own phone: a confirmed authenticator; returns its secret (the phone)."""
    from zhenggai.accounts import services, totp

    _device, secret = services.otp_enrolment(user)
    assert services.otp_confirm(user=user, code=totp.totp(secret, clock.now.timestamp()))
    return secret


def phone_code(secret: bytes, clock: Clock) -> str:
    """The phone's code half a minute later (each step's code works once)."""
    from zhenggai.accounts import totp

    clock.advance(seconds=30)
    return totp.totp(secret, clock.now.timestamp())
