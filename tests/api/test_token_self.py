"""``GET /api/v1/token`` (当前令牌): the token of the request, from the row its authentication read."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.api.conftest import ApiClient, error_of, token_for
from zhenggai.accounts.models import ApiToken
from zhenggai.accounts.tokens import SHOWN, token_revoke
from zhenggai.audit.models import AuditEvent

TOKEN = "/api/v1/token"


def test_it_says_whose_token_it_is_what_it_may_do_where_and_until_when(personas: Any) -> None:
    unit = personas.departments[0]
    raw = token_for(personas.clerk, scope="write", unit=unit, days=20, name="OA 对接")
    body = ApiClient(raw).get(TOKEN).json()
    row = ApiToken.objects.get(user=personas.clerk)
    assert body == {
        "name": "OA 对接",
        "prefix": raw[:SHOWN],
        "scope": "write",
        "unit_id": unit.pk,
        "unit_name": unit.name,
        "user_id": personas.clerk.pk,
        "username": personas.clerk.username,
        "user_name": str(personas.clerk),
        "created_at": body["created_at"],
        "expires_at": body["expires_at"],
        "last_used_at": None,
    }
    # Times as the API sends them all (ISO 8601, to the millisecond).
    for field in ("expires_at", "created_at"):
        sent = dt.datetime.fromisoformat(body[field])
        assert abs(sent - getattr(row, field)) < dt.timedelta(milliseconds=1)
    assert raw not in str(body) and row.digest not in str(body)


def test_an_administrators_token_has_no_unit(db: Any) -> None:
    admin = get_user_model().objects.create(
        username="anquan", display_name="安全管理员", admin_role="security_admin"
    )
    body = ApiClient(token_for(admin)).get(TOKEN).json()
    assert (body["unit_id"], body["unit_name"], body["scope"]) == (None, None, "read")


def test_the_last_use_recorded_before_shows_and_each_use_is_recorded(personas: Any) -> None:
    c = ApiClient(token_for(personas.viewer))
    assert c.get(TOKEN).json()["last_used_at"] is None
    second = c.get(TOKEN).json()["last_used_at"]
    assert second is not None
    assert abs(dt.datetime.fromisoformat(second) - timezone.now()) < dt.timedelta(minutes=5)
    uses = AuditEvent.objects.filter(action="token.use", actor=personas.viewer)
    assert [(u.after["path"], u.after["status"]) for u in uses] == [(TOKEN, 200), (TOKEN, 200)]


def test_a_revoked_or_missing_token_is_refused_in_the_error_shape(personas: Any) -> None:
    raw = token_for(personas.clerk)
    token_revoke(actor=personas.clerk, token=ApiToken.objects.get(user=personas.clerk))
    r = ApiClient(raw).get(TOKEN)
    assert r.status_code == 401 and error_of(r)["code"] == "token_revoked"
    r = ApiClient(None).get(TOKEN)
    assert r.status_code == 401 and error_of(r)["code"] == "unauthenticated"


def test_it_reads_nothing_beyond_the_authentication(personas: Any) -> None:
    """The token and the memberships it narrows (two reads), then the audited use: nothing of
    its own, so it is the API's floor, what any authenticated call costs (``make bench-http``)."""
    c = ApiClient(token_for(personas.clerk))
    c.get(TOKEN)
    with CaptureQueriesContext(connection) as ctx:
        assert c.get(TOKEN).status_code == 200
    reads = [
        q["sql"]
        for q in ctx.captured_queries
        # The audit chain's lock on PostgreSQL reads no table.
        if q["sql"].lstrip().upper().startswith("SELECT") and "pg_advisory_xact_lock" not in q["sql"]
    ]
    tables = ("accounts_apitoken", "units_membership", "audit_auditevent")
    assert {t for t in tables if any(t in q for q in reads)} == set(tables)
    assert not [q for q in reads if not any(t in q for t in tables)], reads
