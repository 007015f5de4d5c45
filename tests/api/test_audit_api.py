"""The audit trail through the API (issue 13): the 审计管理员 reads it (a token without a unit),
with the audit page's filters, each read recorded; everyone else is refused (403, recorded)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, api_url, error_of, token_for
from tests.audit.conftest import make_events
from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent

URL = "audit_event_list"


@pytest.fixture
def audit_admin(db: Any) -> Any:
    from django.contrib.auth import get_user_model

    u = get_user_model()(username="shenji", display_name="吴审计", admin_role="audit_admin")
    u.set_password("Audit-pass-2026")
    u.save()
    return u


@pytest.fixture
def auditor(audit_admin: Any) -> ApiClient:
    from zhenggai.accounts.models import ApiToken

    client = ApiClient(token_for(audit_admin), audit_admin)
    assert ApiToken.objects.get(user=audit_admin).unit is None  # the 审计管理员 holds no unit
    return client


def _reads(outcome: str = "ok") -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="audit.read", outcome=outcome).order_by("seq"))


def test_the_audit_admin_reads_the_trail_newest_first_and_the_read_is_recorded(
    auditor: Any, audit_admin: Any, personas: Any
) -> None:
    made = make_events(3, actor=personas.clerk)
    r = auditor.get(api_url(URL), {"actor": "clerk"})
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    assert [x["seq"] for x in items] == [e.seq for e in reversed(made)]
    first = items[-1]
    assert (first["action"], first["action_label"], first["actor_name"], first["outcome_label"]) == (
        "measure.update",
        "修改整改措施",
        "clerk",
        "成功",
    )
    assert first["before"] == {"text": "第0条：旧文字", "n": 0} and first["mac"] == made[0].mac
    [read] = _reads()
    assert (read.actor_id, read.after) == (
        audit_admin.pk,
        {"filters": {"actor": "clerk"}, "page": 1, "rows": 3},
    )


def test_the_filters_are_the_pages_and_paging_goes_on_by_cursor(auditor: Any, personas: Any) -> None:
    make_events(9, actor=personas.clerk)  # actions cycle update/add/close, outcomes ok/denied
    url = api_url(URL)
    updates = auditor.get(url, {"action": "measure.update", "outcome": "denied"}).json()["items"]
    assert {(x["action"], x["outcome"]) for x in updates} == {("measure.update", "denied")} and updates
    today = days_from_today(0).isoformat()
    in_range = auditor.get(url, {"start": today, "end": today, "actor": "clerk", "limit": 4}).json()
    rest = auditor.get(
        url, {"start": today, "end": today, "actor": "clerk", "cursor": in_range["next_cursor"]}
    )
    seqs = [x["seq"] for x in in_range["items"] + rest.json()["items"]]
    assert len(seqs) == 9 and seqs == sorted(seqs, reverse=True)
    tomorrow = days_from_today(1).isoformat()
    assert auditor.get(url, {"start": tomorrow}).json()["items"] == []
    pages = [r.after["page"] for r in _reads()]
    assert pages == [1, 1, "next", 1]


@pytest.mark.parametrize(
    ("params", "status", "field"),
    [
        ({"action": "no.such"}, 400, "action"),
        ({"outcome": "maybe"}, 400, "outcome"),
        ({"start": "2026-03-02", "end": "2026-03-01"}, 400, "end"),
        ({"start": "昨天"}, 422, "start"),
        ({"actor": "x" * 151}, 400, "actor"),
        ({"cursor": "forged"}, 400, "cursor"),
        ({"limit": 100000}, 400, "limit"),
    ],
)
def test_bad_filters_are_answered_in_the_error_shape(
    auditor: Any, params: dict[str, Any], status: int, field: str
) -> None:
    r = auditor.get(api_url(URL), params)
    assert r.status_code == status
    assert error_of(r)["field"] == field
    assert not _reads()


@pytest.mark.parametrize("who", ["clerk", "outsider", "supervisor", "leader"])
def test_anyone_else_gets_403_forbidden_and_the_refusal_is_recorded(
    api_client: Any, personas: Any, who: str
) -> None:
    make_events(2, actor=personas.clerk)
    r = api_client(who).get(api_url(URL))
    assert r.status_code == 403
    err = error_of(r)
    assert err["code"] == "forbidden" and "只有审计管理员" in err["message"]
    [refusal] = _reads("denied")
    assert refusal.actor_id == personas.all_users()[who].pk
    assert not _reads()


def test_the_other_administrators_are_refused_too(db: Any) -> None:
    from django.contrib.auth import get_user_model

    security = get_user_model()(username="anquan", admin_role="security_admin")
    security.set_password("Security-pass-2026")
    security.save()
    r = ApiClient(token_for(security), security).get(api_url(URL))
    assert r.status_code == 403 and error_of(r)["code"] == "forbidden"
    assert [e.actor_id for e in _reads("denied")] == [security.pk]


def test_the_trail_costs_the_same_queries_for_10_and_1000_events(
    auditor: Any, personas: Any, django_assert_num_queries: Any
) -> None:
    url = api_url(URL)
    make_events(10, actor=personas.clerk)
    auditor.get(url)  # warm
    with CaptureQueriesContext(connection) as small:
        assert auditor.get(url).status_code == 200
    make_events(990, actor=personas.person, start=10)
    with django_assert_num_queries(len(small)):
        r = auditor.get(url, {"limit": 200})
    assert len(r.json()["items"]) == 200 and r.json()["next_cursor"]
