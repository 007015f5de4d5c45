"""API tokens, the service (issue 13): made with a unit inside the user's roles, stored as a
digest, revoked by the owner or the 安全管理员 only, refused (and recorded, prefix only) when
unknown, expired, revoked or of a disabled account; the second factor in production."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied

from tests.accounts.conftest import Admins, Clock, enrol, phone_code
from zhenggai.accounts.models import ApiToken
from zhenggai.accounts.tokens import (
    MAX_ACTIVE_PER_USER,
    TokenError,
    TokenRefused,
    digest_of,
    token_authenticate,
    token_create,
    token_revoke,
    token_state,
    token_units,
    token_use_record,
    tokens_all,
    tokens_of,
)
from zhenggai.audit.models import AuditEvent


def _make(user: Any, unit: Any, **kw: Any) -> tuple[ApiToken, str]:
    args: dict[str, Any] = {"name": "同步", "scope": "read", "days": 30, **kw}
    return token_create(actor=user, unit=unit, **args)


def test_a_token_is_zg_and_random_and_only_its_digest_and_prefix_are_kept(personas: Any) -> None:
    token, raw = _make(personas.clerk, personas.unit_a)
    _other, raw2 = _make(personas.clerk, personas.unit_a)
    assert raw.startswith("zg_") and len(raw) == 43 and raw != raw2
    assert token.digest == digest_of(raw) and token.prefix == raw[:10]
    stored = json.dumps(list(ApiToken.objects.values()), default=str)
    assert raw not in stored and raw[10:] not in stored
    event = AuditEvent.objects.get(action="token.create", object_id=str(token.pk))
    assert event.actor == personas.clerk and event.unit_id_ref == personas.unit_a.pk
    assert raw not in json.dumps(event.after, ensure_ascii=False)


def test_the_units_offered_are_those_of_the_users_memberships(personas: Any) -> None:
    assert token_units(personas.clerk) == [personas.unit_a]
    assert token_units(personas.supervisor) == [personas.county]
    assert token_units(personas.outsider) == [personas.unit_b]


def test_a_token_may_be_narrowed_to_a_unit_below_ones_membership(personas: Any) -> None:
    token, _ = _make(personas.clerk, personas.departments[0])
    assert token.unit == personas.departments[0]
    token, _ = _make(personas.supervisor, personas.unit_a)
    assert token.unit == personas.unit_a


@pytest.mark.parametrize("unit", ["unit_b", "police", "county"])
def test_a_unit_outside_ones_roles_is_refused_and_recorded(unit: str, personas: Any) -> None:
    with pytest.raises(PermissionDenied):
        _make(personas.clerk, getattr(personas, unit))
    assert not ApiToken.objects.exists()
    refused = AuditEvent.objects.get(action="token.create", outcome="denied")
    assert refused.actor == personas.clerk and refused.object_id == str(getattr(personas, unit).pk)


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "名" * 51}, "name"),
        ({"scope": "admin"}, "scope"),
        ({"days": 0}, "days"),
        ({"days": 366}, "days"),
    ],
)
def test_bad_input_names_its_field(kw: dict[str, Any], field: str, personas: Any) -> None:
    with pytest.raises(TokenError) as err:
        _make(personas.clerk, personas.unit_a, **kw)
    assert err.value.field == field and str(err.value)
    assert not ApiToken.objects.exists()


def test_a_token_of_no_unit_is_for_the_administrators_only(personas: Any, admins: Admins) -> None:
    with pytest.raises(TokenError) as err:
        _make(personas.clerk, None)
    assert err.value.field == "unit"
    for admin in (admins.system, admins.security, admins.audit):
        token, _ = _make(admin, None)
        assert token.unit is None


def test_an_administrator_may_not_scope_a_token_to_a_unit(personas: Any, admins: Admins) -> None:
    with pytest.raises(PermissionDenied):
        _make(admins.security, personas.unit_a)


def test_at_most_twenty_live_tokens_each(personas: Any) -> None:
    made = [_make(personas.clerk, personas.unit_a, name=f"t{i}")[0] for i in range(MAX_ACTIVE_PER_USER)]
    with pytest.raises(TokenError) as err:
        _make(personas.clerk, personas.unit_a)
    assert err.value.field == "name"
    token_revoke(actor=personas.clerk, token=made[0])
    _make(personas.clerk, personas.unit_a)  # a revoked one does not count


def test_in_production_the_second_factor_is_required(personas: Any, clock: Clock, settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(TokenError) as err:
        _make(personas.clerk, personas.unit_a)  # no authenticator at all
    assert err.value.field == "otp_code"
    phone = enrol(personas.clerk, clock)
    for code in (None, "", "12345", "abcdef"):
        with pytest.raises(TokenError):
            _make(personas.clerk, personas.unit_a, otp_code=code)
    code = phone_code(phone, clock)
    token, _ = _make(personas.clerk, personas.unit_a, otp_code=f" {code} ")
    with pytest.raises(TokenError):
        _make(personas.clerk, personas.unit_a, otp_code=code)  # once only
    assert list(ApiToken.objects.all()) == [token]
    assert AuditEvent.objects.filter(action="token.create", outcome="denied").count() == 6


def test_outside_production_no_code_is_asked(personas: Any, settings: Any) -> None:
    settings.PRODUCTION = False
    _make(personas.clerk, personas.unit_a, otp_code=None)
    assert ApiToken.objects.count() == 1


def test_the_owner_and_the_security_administrator_revoke_and_nobody_else(
    personas: Any, admins: Admins
) -> None:
    mine, _ = _make(personas.clerk, personas.unit_a)
    theirs, _ = _make(personas.leader, personas.unit_a)
    for other in (personas.leader, personas.supervisor, personas.outsider, admins.system, admins.audit):
        with pytest.raises(PermissionDenied):
            token_revoke(actor=other, token=mine)
    assert AuditEvent.objects.filter(action="token.revoke", outcome="denied").count() == 5
    mine.refresh_from_db()
    assert mine.revoked_at is None

    done = token_revoke(actor=personas.clerk, token=mine)
    assert done.revoked_at is not None and done.revoked_by == personas.clerk
    again = token_revoke(actor=personas.clerk, token=mine)
    assert again.revoked_at == done.revoked_at  # already revoked: nothing changes or is recorded
    by_admin = token_revoke(actor=admins.security, token=theirs)
    assert by_admin.revoked_by == admins.security
    assert AuditEvent.objects.filter(action="token.revoke", outcome="ok").count() == 2


def _refusal(raw: str) -> AuditEvent:
    return AuditEvent.objects.filter(action="auth.token", outcome="failed").latest("seq")


@pytest.mark.parametrize(
    "raw", ["", "zg_", "zg_" + "A" * 40, "Bearer x", "not-ours-some-other-password", "zg_" + "x" * 200]
)
def test_an_unknown_token_is_refused_and_recorded_without_its_secret(raw: str, personas: Any) -> None:
    _make(personas.clerk, personas.unit_a)
    with pytest.raises(TokenRefused) as err:
        token_authenticate(raw=raw)
    assert err.value.code == "token_invalid"
    event = _refusal(raw)
    assert event.actor is None and event.object_id == ""
    prefix = event.after["prefix"]
    assert prefix == (raw[:10] if raw.startswith("zg_") else "")
    if len(raw) > 10:
        assert raw not in json.dumps(event.after, ensure_ascii=False)


def test_a_live_token_authenticates_with_its_user_and_unit_in_one_query(
    personas: Any, django_assert_num_queries: Any
) -> None:
    token, raw = _make(personas.clerk, personas.departments[1])
    with django_assert_num_queries(1):
        found = token_authenticate(raw=raw)
        assert (found.pk, found.user.username, found.unit.name) == (token.pk, "clerk", "城区中队")


def test_expired_revoked_and_inactive_tokens_are_refused_each_with_its_code(personas: Any) -> None:
    expired, raw_expired = _make(personas.clerk, personas.unit_a)
    ApiToken.objects.filter(pk=expired.pk).update(expires_at=expired.created_at - dt.timedelta(seconds=1))
    revoked, raw_revoked = _make(personas.clerk, personas.unit_a)
    token_revoke(actor=personas.clerk, token=revoked)
    _inactive, raw_inactive = _make(personas.viewer, personas.unit_a)
    personas.viewer.is_active = False
    personas.viewer.save()
    for raw, code in (
        (raw_expired, "token_expired"),
        (raw_revoked, "token_revoked"),
        (raw_inactive, "token_inactive"),
    ):
        with pytest.raises(TokenRefused) as err:
            token_authenticate(raw=raw)
        assert err.value.code == code and str(err.value) == TokenRefused.MESSAGES[code]
        event = _refusal(raw)
        assert event.after == {"prefix": raw[:10], "reason": TokenRefused.MESSAGES[code]}
        assert event.actor_id is not None


def test_a_use_is_recorded_and_last_used_moves_at_most_once_a_minute(personas: Any, clock: Clock) -> None:
    token, _ = _make(personas.clerk, personas.unit_a)
    token_use_record(token=token, method="GET", path="/api/v1/rounds", status=200)
    token.refresh_from_db()
    first = token.last_used_at
    assert first == clock.now
    clock.advance(seconds=20)
    token_use_record(token=token, method="PATCH", path="/api/v1/x", status=403)
    token.refresh_from_db()
    assert token.last_used_at == first
    clock.advance(seconds=60)
    token_use_record(token=token, method="GET", path="/api/v1/rounds", status=200)
    token.refresh_from_db()
    assert token.last_used_at == clock.now
    uses = list(AuditEvent.objects.filter(action="token.use").order_by("seq").values_list("outcome", "after"))
    assert uses[1] == ("denied", {"method": "PATCH", "path": "/api/v1/x", "status": 403})
    assert [u[0] for u in uses] == ["ok", "denied", "ok"]


def test_the_state_of_a_token(personas: Any) -> None:
    token, _ = _make(personas.clerk, personas.unit_a)
    assert token_state(token) == "live"
    assert token_state(token, token.expires_at) == "expired"
    token = token_revoke(actor=personas.clerk, token=token)
    assert token_state(token, token.created_at) == "revoked"


def test_each_sees_their_own_tokens_and_only_the_security_admin_sees_all(
    personas: Any, admins: Admins
) -> None:
    mine, _ = _make(personas.clerk, personas.unit_a)
    theirs, _ = _make(personas.outsider, personas.unit_b)
    token_revoke(actor=personas.outsider, token=theirs)
    assert tokens_of(user=personas.clerk) == [mine]
    assert tokens_of(user=personas.outsider) == [theirs]
    assert tokens_all(actor=admins.security) == [mine]
    for other in (admins.system, admins.audit, personas.clerk, personas.supervisor):
        with pytest.raises(PermissionDenied):
            tokens_all(actor=other)
