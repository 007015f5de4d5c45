"""The pages of API tokens (接口令牌): create (the secret shown once, never cached, never in a
URL, a message or a log), list, revoke (the owner, the 安全管理员; anyone else 403, recorded),
every live token for the 安全管理员; the second factor in production."""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.accounts.conftest import Admins, Clock, enrol, make_admin, phone_code
from zhenggai.accounts.middleware import OTP_OK
from zhenggai.accounts.models import ApiToken
from zhenggai.accounts.tokens import digest_of, token_create
from zhenggai.audit.models import AuditEvent


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from django.utils import timezone

    c = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture
def admins(db: Any) -> Admins:
    return Admins(
        system=make_admin("sysadmin", "system_admin"),
        security=make_admin("secadmin", "security_admin"),
        audit=make_admin("auditor", "audit_admin"),
    )


def _create(c: Client, **data: Any) -> Any:
    form = {"name": "督办平台同步", "scope": "read", "days": "90", **data}
    return c.post(reverse("accounts:token-create"), form)


def _form_errors(response: Any) -> dict[str, list[str]]:
    return {name: list(errs) for name, errs in response.context["form"].errors.items()}


def _raw_of(response: Any) -> str:
    raw = response.context["raw"]
    assert isinstance(raw, str) and raw.startswith("zg_")
    return raw


def test_the_profile_page_links_to_the_tokens_page(personas: Any, client_for: Any) -> None:
    html = client_for(personas.clerk).get(reverse("accounts:profile")).content.decode()
    assert reverse("accounts:tokens") in html and "接口令牌" in html


def test_the_form_offers_the_users_units_and_no_unitless_token_to_a_business_user(
    personas: Any, client_for: Any
) -> None:
    r = client_for(personas.clerk).get(reverse("accounts:tokens"))
    assert r.status_code == 200
    form = r.context["form"]
    assert [key for key, _ in form.fields["unit"].choices] == [str(personas.unit_a.pk)]
    assert form.fields["days"].initial == 90
    assert "otp_code" not in form.fields  # not production
    html = r.content.decode()
    assert "只读" in html and "读写" in html and "不限定单位" not in html


def test_a_created_token_is_shown_once_on_a_page_nobody_caches_and_only_its_digest_is_kept(
    personas: Any, client_for: Any, caplog: pytest.LogCaptureFixture
) -> None:
    c = client_for(personas.clerk)
    with caplog.at_level(logging.DEBUG):
        r = _create(c, unit=str(personas.unit_a.pk), scope="write", days="30")
    assert r.status_code == 200  # the answer itself: no redirect, so never a URL holding it
    assert r["Cache-Control"] == "no-store"
    raw = _raw_of(r)
    html = r.content.decode()
    assert raw in html and "请立即保存，离开本页后无法再次查看" in html and "复制" in html
    token = ApiToken.objects.get(user=personas.clerk)
    assert token.digest == digest_of(raw) and token.prefix == raw[:10]
    assert (token.name, token.scope, token.unit, token.revoked_at) == (
        "督办平台同步",
        "write",
        personas.unit_a,
        None,
    )
    assert (token.expires_at - token.created_at).days == 30
    # Nowhere else: not in any column, the audit trail, the log, a message, the list page.
    assert raw not in json.dumps(list(ApiToken.objects.values()), default=str)
    assert raw not in json.dumps(list(AuditEvent.objects.values("before", "after")), ensure_ascii=False)
    assert raw not in caplog.text
    listing = c.get(reverse("accounts:tokens"))
    assert raw not in listing.content.decode() and token.prefix in listing.content.decode()
    assert not list(listing.context["messages"])
    assert AuditEvent.objects.filter(action="token.create", outcome="ok", actor=personas.clerk).count() == 1


def test_a_get_of_the_create_url_goes_back_to_the_list(personas: Any, client_for: Any) -> None:
    r = client_for(personas.clerk).get(reverse("accounts:token-create"))
    assert r.status_code == 302 and r.url == reverse("accounts:tokens")
    assert not ApiToken.objects.exists()


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "x" * 51}, "name"),
        ({"scope": "admin"}, "scope"),
        ({"days": "0"}, "days"),
        ({"days": "366"}, "days"),
        ({"days": "abc"}, "days"),
        ({"unit": ""}, "unit"),
    ],
)
def test_bad_input_is_shown_next_to_its_field_and_makes_nothing(
    data: dict[str, str], field: str, personas: Any, client_for: Any
) -> None:
    payload = {"unit": str(personas.unit_a.pk), **data}
    r = _create(client_for(personas.clerk), **payload)
    assert r.status_code == 200 and "raw" not in r.context
    assert field in _form_errors(r)
    assert 'class="invalid-feedback d-block"' in r.content.decode()
    assert not ApiToken.objects.exists()


def test_the_unit_of_another_branch_is_not_offered_and_is_refused(personas: Any, client_for: Any) -> None:
    r = _create(client_for(personas.clerk), unit=str(personas.unit_b.pk))
    assert "unit" in _form_errors(r)
    assert not ApiToken.objects.exists()


def test_the_limit_of_live_tokens_is_shown_next_to_the_name(personas: Any, client_for: Any) -> None:
    for i in range(20):
        token_create(actor=personas.clerk, name=f"t{i}", scope="read", unit=personas.unit_a, days=5)
    r = _create(client_for(personas.clerk), unit=str(personas.unit_a.pk))
    assert "最多 20 个" in " ".join(_form_errors(r)["name"])
    assert ApiToken.objects.count() == 20


def test_an_administrator_may_make_a_token_of_no_unit(admins: Admins, client_for: Any) -> None:
    c = client_for(admins.audit)
    form = c.get(reverse("accounts:tokens")).context["form"]
    assert [key for key, _ in form.fields["unit"].choices] == [""]
    r = _create(c, unit="")
    _raw_of(r)
    assert ApiToken.objects.get(user=admins.audit).unit is None


def test_a_user_with_no_role_anywhere_is_told_so_and_cannot_create(db: Any, client_for: Any) -> None:
    from django.contrib.auth import get_user_model

    nobody = get_user_model().objects.create(username="nobody", display_name="无角色")
    c = client_for(nobody)
    assert "您在任何单位都没有角色" in c.get(reverse("accounts:tokens")).content.decode()
    r = _create(c, unit="")
    assert "unit" in _form_errors(r) and not ApiToken.objects.exists()


def _production_client(user: Any, client_for: Any) -> Client:
    c = client_for(user)
    session = c.session
    session[OTP_OK] = True  # the login's second factor was given (tests/accounts/test_totp.py)
    session.save()
    return c


def test_in_production_creating_a_token_takes_a_fresh_code_of_the_users_authenticator(
    personas: Any, client_for: Any, clock: Clock, settings: Any
) -> None:
    settings.PRODUCTION = True
    phone = enrol(personas.clerk, clock)
    c = _production_client(personas.clerk, client_for)
    page = c.get(reverse("accounts:tokens"))
    assert page.context["form"].fields["otp_code"].required and "动态口令" in page.content.decode()
    unit = str(personas.unit_a.pk)

    missing = _create(c, unit=unit)
    assert "otp_code" in _form_errors(missing)
    wrong = _create(c, unit=unit, otp_code="000000" if phone_code(phone, clock) != "000000" else "111111")
    assert "动态口令错误" in " ".join(_form_errors(wrong)["otp_code"])
    assert AuditEvent.objects.filter(action="token.create", outcome="denied").count() == 1
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor=personas.clerk).count() == 1
    assert not ApiToken.objects.exists()

    code = phone_code(phone, clock)
    _raw_of(_create(c, unit=unit, otp_code=code))
    # The same code again is refused: each step's code works once.
    again = _create(c, unit=unit, otp_code=code, name="第二个")
    assert "otp_code" in _form_errors(again)
    assert ApiToken.objects.filter(user=personas.clerk).count() == 1


def _token_of(user: Any, unit: Any, name: str = "t") -> ApiToken:
    token, _raw = token_create(actor=user, name=name, scope="read", unit=unit, days=30)
    return token


def test_the_owner_revokes_a_token_and_the_list_says_so(personas: Any, client_for: Any) -> None:
    token = _token_of(personas.clerk, personas.unit_a)
    c = client_for(personas.clerk)
    html = c.get(reverse("accounts:tokens")).content.decode()
    assert reverse("accounts:token-revoke", args=[token.pk]) in html and "data-confirm" in html
    assert "有效" in html
    r = c.post(reverse("accounts:token-revoke", args=[token.pk]))
    assert r.status_code == 302 and r.url == reverse("accounts:tokens")
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == personas.clerk
    html = c.get(reverse("accounts:tokens")).content.decode()
    assert "已撤销" in html and reverse("accounts:token-revoke", args=[token.pk]) not in html
    assert AuditEvent.objects.filter(action="token.revoke", outcome="ok", actor=personas.clerk).count() == 1


def test_revoking_takes_a_post(personas: Any, client_for: Any) -> None:
    token = _token_of(personas.clerk, personas.unit_a)
    assert (
        client_for(personas.clerk).get(reverse("accounts:token-revoke", args=[token.pk])).status_code == 405
    )
    token.refresh_from_db()
    assert token.revoked_at is None


def _expire(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at - dt.timedelta(days=1))


def test_an_expired_token_is_listed_as_expired_without_a_revoke_button(
    personas: Any, client_for: Any
) -> None:
    token = _token_of(personas.clerk, personas.unit_a)
    _expire(token)
    html = client_for(personas.clerk).get(reverse("accounts:tokens")).content.decode()
    assert "已过期" in html and reverse("accounts:token-revoke", args=[token.pk]) not in html


@pytest.mark.parametrize("who", ["outsider", "leader", "viewer"])
def test_anyone_else_is_refused_403_recorded_and_the_token_lives_on(
    who: str, personas: Any, client_for: Any
) -> None:
    token = _token_of(personas.clerk, personas.unit_a)
    user = personas.all_users()[who]
    listing = client_for(user).get(reverse("accounts:tokens")).content.decode()
    assert token.prefix not in listing  # one's own tokens only
    r = client_for(user).post(reverse("accounts:token-revoke", args=[token.pk]))
    assert r.status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
    refused = AuditEvent.objects.get(action="token.revoke", outcome="denied")
    assert refused.actor == user and refused.object_id == str(token.pk)


def test_an_unknown_token_is_404(personas: Any, client_for: Any) -> None:
    assert client_for(personas.clerk).post(reverse("accounts:token-revoke", args=[999999])).status_code == 404


def test_the_security_administrator_sees_every_live_token_and_revokes_one(
    personas: Any, admins: Admins, client_for: Any
) -> None:
    live = _token_of(personas.clerk, personas.unit_a, "同步")
    revoked = _token_of(personas.leader, personas.unit_a, "旧令牌")
    revoked.revoked_at = revoked.created_at
    revoked.save()
    expired = _token_of(personas.outsider, personas.unit_b, "过期")
    _expire(expired)
    c = client_for(admins.security)
    r = c.get(reverse("accounts:tokens-all"))
    assert r.status_code == 200
    assert [row["token"].pk for row in r.context["rows"]] == [live.pk]
    html = r.content.decode()
    assert "clerk" in html and "张整改" in html and live.prefix in html and revoked.prefix not in html
    assert reverse("accounts:tokens-all") in c.get(reverse("accounts:tokens")).content.decode()

    r = c.post(reverse("accounts:token-revoke", args=[live.pk]), {"back": "all"})
    assert r.status_code == 302 and r.url == reverse("accounts:tokens-all")
    live.refresh_from_db()
    assert live.revoked_by == admins.security
    event = AuditEvent.objects.get(action="token.revoke", outcome="ok")
    assert event.actor == admins.security and event.after["owner"] == "clerk"


def test_the_list_of_every_token_costs_the_same_queries_for_one_token_and_for_many(
    personas: Any, admins: Admins, client_for: Any, django_assert_num_queries: Any
) -> None:
    c = client_for(admins.security)
    _token_of(personas.clerk, personas.unit_a)
    c.get(reverse("accounts:tokens-all"))  # warm the session
    with CaptureQueriesContext(connection) as one:
        c.get(reverse("accounts:tokens-all"))
    for user in (personas.leader, personas.viewer, personas.person, personas.outsider):
        _token_of(user, personas.unit_a if user != personas.outsider else personas.unit_b)
    with django_assert_num_queries(len(one)):
        r = c.get(reverse("accounts:tokens-all"))
    assert len(r.context["rows"]) == 5


def test_ones_own_list_costs_the_same_queries_for_one_token_and_for_many(
    personas: Any, client_for: Any, django_assert_num_queries: Any
) -> None:
    c = client_for(personas.clerk)
    _token_of(personas.clerk, personas.unit_a)
    c.get(reverse("accounts:tokens"))
    with CaptureQueriesContext(connection) as one:
        c.get(reverse("accounts:tokens"))
    for i in range(6):
        _token_of(personas.clerk, personas.departments[i % 2], f"t{i}")
    with django_assert_num_queries(len(one)):
        r = c.get(reverse("accounts:tokens"))
    assert len(r.context["rows"]) == 7


@pytest.mark.parametrize("who", ["system", "audit"])
def test_the_other_administrators_may_not_see_every_token(who: str, admins: Admins, client_for: Any) -> None:
    r = client_for(getattr(admins, who)).get(reverse("accounts:tokens-all"))
    assert r.status_code == 403
    assert AuditEvent.objects.filter(action="access.denied", actor=getattr(admins, who)).count() == 1


def test_a_business_user_may_not_see_every_token(personas: Any, client_for: Any) -> None:
    for user in (personas.clerk, personas.outsider):
        assert client_for(user).get(reverse("accounts:tokens-all")).status_code == 403
    assert AuditEvent.objects.filter(action="access.denied").count() == 2


def test_the_anonymous_visitor_is_sent_to_log_in(client: Client, db: Any) -> None:
    for name in ("accounts:tokens", "accounts:tokens-all"):
        r = client.get(reverse(name))
        assert r.status_code == 302 and r.url.startswith(reverse("web:login"))
    r = client.post(reverse("accounts:token-create"), {"name": "x"})
    assert r.status_code == 302 and not ApiToken.objects.exists()
