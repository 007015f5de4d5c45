"""``auth_login_attempt``: the login page's attempt as a service the API and the pages share.

The lock is checked before the password; each failure is recorded and counted against the
name and the address; the failure at the limit locks and says so; a success clears the
account's count. The page's behaviour (tests/accounts/test_lockout.py) is this service's.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import PASSWORD
from zhenggai.accounts.login import INVALID_LOGIN, LoginRefused, auth_login_attempt
from zhenggai.accounts.models import LoginThrottle
from zhenggai.audit.models import AuditEvent


def _events() -> list[tuple[str, str]]:
    """The sign-in events, in order (the personas' set-up wrote others before)."""
    events = AuditEvent.objects.filter(action__startswith="auth.").order_by("seq")
    return list(events.values_list("action", "outcome"))


def test_the_right_password_returns_the_user_and_writes_nothing_but_clears_the_count(personas: Any) -> None:
    with pytest.raises(LoginRefused):
        auth_login_attempt(username="clerk", password="wrong", address="10.0.0.1")
    before = len(_events())
    user = auth_login_attempt(username="Clerk", password=PASSWORD, address="10.0.0.1")
    assert user == personas.clerk
    assert len(_events()) == before  # the login itself is recorded by auth_logged_in, once made
    assert not LoginThrottle.objects.filter(scope="account").exists()
    assert LoginThrottle.objects.filter(scope="address", key="10.0.0.1").exists()  # never cleared


def test_a_wrong_password_is_refused_recorded_once_and_counted(personas: Any) -> None:
    with pytest.raises(LoginRefused) as refused:
        auth_login_attempt(username="clerk", password="wrong", address="10.0.0.1")
    assert (refused.value.code, str(refused.value)) == ("invalid_login", INVALID_LOGIN)
    assert _events() == [("auth.login_failed", "failed")]
    event = AuditEvent.objects.get(action="auth.login_failed")
    assert (event.actor_id, event.after["username"]) == (personas.clerk.pk, "clerk")
    assert LoginThrottle.objects.get(scope="account", key="clerk").failures == 1


def test_the_failure_at_the_limit_locks_and_then_even_the_right_password_is_refused_unheard(
    personas: Any, settings: Any
) -> None:
    settings.LOCKOUT_FAILURES = 2
    with pytest.raises(LoginRefused):
        auth_login_attempt(username="clerk", password="wrong", address="10.0.0.1")
    with pytest.raises(LoginRefused) as second:
        auth_login_attempt(username="clerk", password="wrong", address="10.0.0.2")
    assert second.value.code == "locked" and "已被锁定" in str(second.value)
    with pytest.raises(LoginRefused) as third:
        auth_login_attempt(username="clerk", password=PASSWORD, address="10.0.0.3")
    assert third.value.code == "locked"
    assert _events() == [
        ("auth.login_failed", "failed"),
        ("auth.login_failed", "failed"),
        ("auth.lockout", "denied"),
        ("auth.locked_login", "denied"),
    ]


def test_an_inactive_account_is_a_wrong_password(personas: Any) -> None:
    personas.clerk.is_active = False
    personas.clerk.save(update_fields=["is_active"])
    with pytest.raises(LoginRefused) as refused:
        auth_login_attempt(username="clerk", password=PASSWORD, address="10.0.0.1")
    assert refused.value.code == "invalid_login"
    assert _events() == [("auth.login_failed", "failed")]
