"""The measures of the API (整改措施): the search list, the detail, the edit, the submission and
the requests for a later deadline, with their refusals recorded (issue 13)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.api.bulk import add_rows, all_pages, queries_of
from tests.api.conftest import api_url, error_of
from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger import policy, selectors, services
from zhenggai.ledger.models import Measure, MeasureStatus
from zhenggai.ledger.selectors import MeasureFilters
from zhenggai.supervision.models import Extension, ExtensionStatus

FIELDS = {
    "id",
    "round_id",
    "round_title",
    "unit_id",
    "finding_id",
    "finding_number",
    "finding_title",
    "position",
    "text",
    "kind",
    "status",
    "leader_id",
    "leader_name",
    "department_id",
    "department_name",
    "person_id",
    "person_name",
    "deadline",
    "original_deadline",
    "overdue",
    "version",
    "updated_at",
}
DETAIL_FIELDS = FIELDS | {
    "unit_name",
    "sensitivity",
    "suggested_deadline",
    "completed_on",
    "assigned_at",
    "created_at",
    "allowed_actions",
    "extension_actions",
    "pending_extension",
}


def _denied(action: str, obj: Any) -> bool:
    return AuditEvent.objects.filter(action=action, object_id=str(obj.pk), outcome="denied").exists()


# --- the list -------------------------------------------------------------------------------------


def test_the_clerk_lists_the_measures_with_owners_and_deadlines(api_client, personas, assigned_measure):
    r = api_client("clerk").get(api_url("measure_list"), {"limit": 200})
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    assert [x["id"] for x in items] == list(
        Measure.objects.filter(round=assigned_measure.round).order_by("pk").values_list("pk", flat=True)
    )
    assert all(set(x) == FIELDS for x in items)
    row = next(x for x in items if x["id"] == assigned_measure.pk)
    assert (row["person_id"], row["person_name"]) == (personas.person.pk, str(personas.person))
    assert (row["leader_id"], row["department_name"]) == (
        personas.responsible_leader.pk,
        personas.departments[0].name,
    )
    assert row["deadline"] == days_from_today(200).isoformat()
    assert row["finding_id"] == assigned_measure.finding_id
    assert row["overdue"] is False


def _filter_cases(personas: Any, round_: Any) -> list[tuple[dict[str, Any], MeasureFilters, bool]]:
    """(query parameters, the search selector's filters, unassigned) meaning the same thing."""
    lo, hi = days_from_today(-40), days_from_today(0)
    return [
        ({}, MeasureFilters(), False),
        ({"status": "in_progress"}, MeasureFilters(status="in_progress"), False),
        ({"person": personas.person.pk}, MeasureFilters(person=personas.person.pk), False),
        (
            {"department": personas.departments[1].pk},
            MeasureFilters(department=personas.departments[1].pk),
            False,
        ),
        ({"overdue": "true"}, MeasureFilters(overdue=True), False),
        ({"unassigned": "true"}, MeasureFilters(), True),
        (
            {"deadline_from": lo.isoformat(), "deadline_to": hi.isoformat()},
            MeasureFilters(deadline_from=lo, deadline_to=hi),
            False,
        ),
        ({"text": "批量措施1 措施"}, MeasureFilters(text="批量措施1 措施"), False),
        (
            {"round": round_.pk, "status": "done", "overdue": "false"},
            MeasureFilters(round=round_.pk, status="done"),
            False,
        ),
    ]


def test_the_filters_give_what_the_search_page_gives(api_client, personas, seed_round):
    add_rows(
        seed_round, problems=12, per_problem=5, person=personas.person, department=personas.departments[1]
    )
    client = api_client("clerk")
    for params, filters, unassigned in _filter_cases(personas, seed_round):
        got = [x["id"] for x in all_pages(client, api_url("measure_list"), params, limit=40)]
        want = selectors.measure_search(user=personas.clerk, filters=filters, unassigned=unassigned)
        assert got == sorted(want.values_list("pk", flat=True)), params
        assert got or params.get("status") == "done", params  # each case finds something


def test_the_list_sent_as_it_is_is_what_its_schema_would_send(api_client, personas, assigned_measure):
    """The list skips django-ninja's validation (``page_response``): its JSON must be the JSON of
    the same rows validated through ``Page[MeasureOut]``, dates and nulls included."""
    from django.test import RequestFactory

    from zhenggai.api.main import api
    from zhenggai.api.pagination import Page, page_response
    from zhenggai.api.routes.measures import MeasureOut

    r = api_client("clerk").get(api_url("measure_list"), {"limit": 200})
    body = r.json()
    assert body["items"]
    validated = Page[MeasureOut].model_validate(body).model_dump()
    again = api.create_response(RequestFactory().get("/"), validated, status=200)
    assert json.loads(again.content) == body
    row = dict(body["items"][0])
    request = RequestFactory().get("/")
    with pytest.raises(TypeError, match="secret"):
        page_response(request, [{**row, "secret": 1}], None, MeasureOut)
    del row["text"]
    with pytest.raises(TypeError, match="text"):
        page_response(request, [row], None, MeasureOut)


def test_the_pages_follow_one_another_to_the_whole_list_without_repeats(api_client, personas, seed_round):
    client = api_client("clerk")
    items = all_pages(client, api_url("measure_list"), {"status": "not_started"}, limit=9)
    ids = [x["id"] for x in items]
    assert len(ids) == len(set(ids)) == 100
    assert ids == sorted(ids)


def test_the_outsider_gets_an_empty_list_and_no_measure(api_client, assigned_measure):
    client = api_client("outsider", scope="write")
    assert client.get(api_url("measure_list")).json() == {"items": [], "next_cursor": None}
    assert client.get(api_url("measure_list"), {"round": assigned_measure.round_id}).json()["items"] == []
    pk = assigned_measure.pk
    for r in (
        client.get(api_url("measure_detail", pk)),
        client.patch(api_url("measure_update", pk), json={"version": assigned_measure.version, "text": "改"}),
        client.post(api_url("measure_submit", pk)),
        client.post(
            api_url("measure_extension_request", pk),
            json={"new_deadline": days_from_today(300), "reason": "理由"},
        ),
    ):
        assert r.status_code == 404, r.content
        assert error_of(r)["code"] == "not_found"
    assert Measure.objects.get(pk=pk).text == assigned_measure.text


@pytest.mark.parametrize(("scope_unit", "sees"), [("unit_b", False), ("police", True), ("unit_a", True)])
def test_a_token_sees_only_its_units_subtree(api_client, personas, assigned_measure, scope_unit, sees):
    client = api_client("supervisor", unit=getattr(personas, scope_unit))
    assert bool(client.get(api_url("measure_list")).json()["items"]) is sees
    assert client.get(api_url("measure_detail", assigned_measure.pk)).status_code == (200 if sees else 404)


def test_a_clerk_token_scoped_to_a_department_sees_no_measure_of_the_unit(
    api_client, personas, assigned_measure
):
    client = api_client("clerk", unit=personas.departments[0])
    assert client.get(api_url("measure_list")).json()["items"] == []
    assert client.get(api_url("measure_detail", assigned_measure.pk)).status_code == 404


def test_bad_filters_are_answered_in_the_error_shape(api_client, seed_round):
    client = api_client("clerk")
    err = error_of(client.get(api_url("measure_list"), {"status": "finished"}))
    assert (err["code"], err["field"]) == ("invalid", "status")
    err = error_of(client.get(api_url("measure_list"), {"deadline_from": "2026-13-01"}))
    assert err["field"] == "deadline_from"
    r = client.get(
        api_url("measure_list"),
        {"deadline_from": days_from_today(10).isoformat(), "deadline_to": days_from_today(0).isoformat()},
    )
    assert (r.status_code, error_of(r)["field"]) == (400, "deadline_to")
    assert error_of(client.get(api_url("measure_list"), {"limit": 0}))["field"] == "limit"
    for field, value in (
        ("text", "学习\x00计划"),
        ("round", 2**64),
        ("person", 0),
        ("overdue", "maybe"),
        ("deadline_to", "0"),
    ):
        err = error_of(client.get(api_url("measure_list"), {field: value}))
        assert (err["code"], err["field"]) == ("invalid", field), field
    assert error_of(client.get(api_url("measure_list"), {"cursor": "nonsense"}))["code"] == "bad_cursor"


def test_the_list_and_the_detail_run_as_many_queries_for_1000_measures_as_for_10(api_client, personas):
    r = services.round_create(actor=personas.clerk, unit=personas.unit_a, title="计数轮次")
    first = add_rows(r, problems=2, per_problem=5, person=personas.person, department=personas.departments[0])
    client = api_client("clerk")
    url_list, url_detail = api_url("measure_list"), api_url("measure_detail", first[0].pk)
    client.get(url_list)  # the first request of a test reads what later ones find cached
    small = (queries_of(client, url_list)[0], queries_of(client, url_detail)[0])
    add_rows(r, problems=2, per_problem=495, person=personas.person, department=personas.departments[0])
    assert Measure.objects.filter(round=r).count() == 1000
    big_list, page = queries_of(client, url_list)
    big_detail, _ = queries_of(client, url_detail)
    assert len(page.json()["items"]) == 50
    assert (big_list, big_detail) == small


# --- the detail -----------------------------------------------------------------------------------


def test_the_detail_gives_the_problem_owners_and_what_each_user_may_do(
    api_client, personas, assigned_measure
):
    for who in ("clerk", "person", "leader", "viewer"):
        r = api_client(who).get(api_url("measure_detail", assigned_measure.pk))
        assert r.status_code == 200, r.content
        body = r.json()
        assert set(body) == DETAIL_FIELDS
        user = personas.all_users()[who]
        assert body["allowed_actions"] == sorted(policy.allowed_actions(user, assigned_measure)), who
        assert (body["finding_title"], body["unit_name"]) == (
            assigned_measure.finding.title,
            personas.unit_a.name,
        )
        assert body["version"] == assigned_measure.version
        assert body["pending_extension"] is None
        assert body["extension_actions"] == (["request"] if who in ("clerk", "person") else [])


# --- the edit ---------------------------------------------------------------------------------------


def test_the_clerk_edits_a_measure_and_gets_the_new_version(api_client, personas, assigned_measure):
    m = assigned_measure
    r = api_client("clerk", scope="write").patch(
        api_url("measure_update", m.pk),
        json={
            "version": m.version,
            "text": "  改写后的措施  ",
            "person": personas.person2.pk,
            "department": None,
            "deadline": days_from_today(150).isoformat(),
        },
    )
    assert r.status_code == 200, r.content
    body = r.json()
    assert set(body) == DETAIL_FIELDS
    assert (body["text"], body["person_id"], body["department_id"]) == (
        "改写后的措施",
        personas.person2.pk,
        None,
    )
    assert body["leader_id"] == personas.responsible_leader.pk  # not sent: left as it was
    assert body["deadline"] == days_from_today(150).isoformat()
    assert body["version"] == m.version + 1
    fresh = Measure.objects.get(pk=m.pk)
    assert (fresh.person_id, fresh.version) == (personas.person2.pk, m.version + 1)
    event = AuditEvent.objects.filter(action="measure.update", object_id=str(m.pk)).latest("seq")
    assert event.outcome == "ok"
    assert event.actor_id == personas.clerk.pk


def test_a_stale_edit_is_refused_with_409_recorded_and_nothing_saved(api_client, assigned_measure):
    m = assigned_measure
    client = api_client("clerk", scope="write")
    ok = client.patch(api_url("measure_update", m.pk), json={"version": m.version, "text": "第一次修改"})
    assert ok.status_code == 200
    stale = client.patch(api_url("measure_update", m.pk), json={"version": m.version, "text": "过期的修改"})
    assert stale.status_code == 409
    err = error_of(stale)
    assert err["code"] == "stale_edit"
    assert "已被他人修改" in err["message"]
    assert _denied("measure.update", m)
    assert Measure.objects.get(pk=m.pk).text == "第一次修改"


def test_a_read_token_may_not_edit_and_its_use_is_recorded_as_denied(api_client, personas, assigned_measure):
    m = assigned_measure
    client = api_client("clerk", scope="read")
    r = client.patch(api_url("measure_update", m.pk), json={"version": m.version, "text": "只读令牌"})
    assert r.status_code == 403
    assert error_of(r)["code"] == "read_only_token"
    use = AuditEvent.objects.filter(action="token.use", actor=personas.clerk).latest("seq")
    assert use.outcome == "denied"
    assert (use.after["method"], use.after["status"]) == ("PATCH", 403)
    for url, body in (
        (api_url("measure_submit", m.pk), None),
        (
            api_url("measure_extension_request", m.pk),
            {"new_deadline": days_from_today(260).isoformat(), "reason": "只读令牌"},
        ),
    ):
        assert error_of(client.post(url, json=body))["code"] == "read_only_token"
    assert Measure.objects.get(pk=m.pk).version == m.version


def test_an_edit_by_someone_not_the_clerk_is_refused_and_recorded(api_client, assigned_measure):
    m = assigned_measure
    r = api_client("person", scope="write").patch(
        api_url("measure_update", m.pk), json={"version": m.version, "text": "责任人改措施"}
    )
    assert r.status_code == 403
    assert error_of(r)["code"] == "not_allowed"
    assert _denied("measure.update", m)
    assert Measure.objects.get(pk=m.pk).text == m.text


def test_bad_edits_name_their_field(api_client, personas, assigned_measure):
    m = assigned_measure
    client = api_client("clerk", scope="write")
    url = api_url("measure_update", m.pk)
    cases = [
        ({"text": "无版本"}, 422, "invalid", "version"),
        ({"version": m.version, "text": None}, 422, "invalid", "text"),
        ({"version": m.version, "kind": "forever"}, 422, "invalid", "kind"),
        ({"version": m.version, "deadline": "明天"}, 422, "invalid", "deadline"),
        ({"version": m.version, "deadline": 1_900_000_000}, 422, "invalid", "deadline"),
        ({"version": m.version, "leader": personas.outsider.pk}, 400, "invalid_input", "leader"),
        ({"version": m.version, "department": personas.unit_b.pk}, 400, "invalid_input", "department"),
        ({"version": m.version, "text": "   "}, 400, "invalid_input", "text"),
        ({"version": m.version, "text": "含\x00空字符"}, 422, "invalid", "text"),
        ({"version": m.version, "person": 2**64}, 422, "invalid", "person"),
    ]
    for body, status, code, field in cases:
        r = client.patch(url, json=body)
        assert r.status_code == status, (body, r.content)
        err = error_of(r)
        assert (err["code"], err["field"]) == (code, field), body
    assert Measure.objects.get(pk=m.pk).version == m.version


# --- the submission -------------------------------------------------------------------------------


def test_the_responsible_person_submits_after_reporting_progress(api_client, personas, assigned_measure):
    m = assigned_measure
    client = api_client("person", scope="write")
    forged = client.post(api_url("measure_submit", m.pk))
    assert forged.status_code == 409
    assert error_of(forged)["code"] == "transition_refused"
    assert _denied("measure.submit", m)
    services.progress_add(actor=personas.person, measure=m, text="已完成学习计划")
    r = client.post(api_url("measure_submit", m.pk))
    assert r.status_code == 200, r.content
    assert r.json()["status"] == MeasureStatus.PENDING_REVIEW
    assert Measure.objects.get(pk=m.pk).status == MeasureStatus.PENDING_REVIEW
    again = client.post(api_url("measure_submit", m.pk))
    assert (again.status_code, error_of(again)["code"]) == (409, "transition_refused")


def test_a_submission_by_someone_without_the_role_is_refused_and_recorded(
    api_client, personas, assigned_measure
):
    services.progress_add(actor=personas.person, measure=assigned_measure, text="进展")
    r = api_client("viewer", scope="write").post(api_url("measure_submit", assigned_measure.pk))
    assert r.status_code == 403
    assert error_of(r)["code"] == "not_allowed"
    assert _denied("measure.submit", assigned_measure)


# --- the requests for a later deadline ----------------------------------------------------------------


def test_a_later_deadline_is_requested_then_granted(api_client, personas, assigned_measure):
    m = assigned_measure
    new = days_from_today(260)
    r = api_client("person", scope="write").post(
        api_url("measure_extension_request", m.pk),
        json={"new_deadline": new.isoformat(), "reason": "工程延期"},
    )
    assert r.status_code == 201, r.content
    ext = r.json()
    assert (ext["status"], ext["new_deadline"], ext["requested_by_id"]) == (
        "pending",
        new.isoformat(),
        personas.person.pk,
    )
    detail = api_client("leader").get(api_url("measure_detail", m.pk)).json()
    assert detail["pending_extension"]["id"] == ext["id"]
    assert detail["extension_actions"] == ["decide"]
    granted = api_client("leader", scope="write").post(
        api_url("measure_extension_decide", m.pk, ext["id"]), json={"grant": True}
    )
    assert granted.status_code == 200, granted.content
    assert granted.json()["status"] == ExtensionStatus.GRANTED
    fresh = Measure.objects.get(pk=m.pk)
    assert (fresh.deadline, fresh.original_deadline) == (new, days_from_today(200))


def test_the_requester_may_not_decide_but_may_withdraw(api_client, personas, assigned_measure):
    m = assigned_measure
    client = api_client("person", scope="write")
    ext = client.post(
        api_url("measure_extension_request", m.pk),
        json={"new_deadline": days_from_today(260).isoformat(), "reason": "理由"},
    ).json()
    row = Extension.objects.get(pk=ext["id"])
    own = client.post(api_url("measure_extension_decide", m.pk, ext["id"]), json={"grant": True})
    assert (own.status_code, error_of(own)["code"]) == (403, "not_allowed")
    assert _denied("extension.decide", row)
    twice = client.post(
        api_url("measure_extension_request", m.pk),
        json={"new_deadline": days_from_today(270).isoformat(), "reason": "再次申请"},
    )
    assert (twice.status_code, error_of(twice)["code"]) == (409, "transition_refused")
    assert _denied("extension.request", m)
    withdrawn = client.post(api_url("measure_extension_withdraw", m.pk, ext["id"]))
    assert withdrawn.status_code == 200, withdrawn.content
    assert withdrawn.json()["status"] == ExtensionStatus.WITHDRAWN
    late = api_client("leader", scope="write").post(
        api_url("measure_extension_decide", m.pk, ext["id"]), json={"grant": True}
    )
    assert (late.status_code, error_of(late)["code"]) == (409, "transition_refused")
    assert Measure.objects.get(pk=m.pk).deadline == days_from_today(200)


def test_bad_requests_for_a_later_deadline_name_their_field(
    api_client, personas, assigned_measure, seed_round
):
    m = assigned_measure
    client = api_client("person", scope="write")
    url = api_url("measure_extension_request", m.pk)
    earlier = client.post(url, json={"new_deadline": days_from_today(100).isoformat(), "reason": "理由"})
    assert (earlier.status_code, error_of(earlier)["field"]) == (400, "new_deadline")
    blank = client.post(url, json={"new_deadline": days_from_today(260).isoformat(), "reason": " "})
    assert (blank.status_code, error_of(blank)["field"]) == (400, "reason")
    missing = client.post(url, json={"reason": "理由"})
    assert (missing.status_code, error_of(missing)["field"]) == (422, "new_deadline")
    other = Measure.objects.filter(round=seed_round).exclude(pk=m.pk).first()
    ext = client.post(url, json={"new_deadline": days_from_today(260).isoformat(), "reason": "理由"}).json()
    wrong = api_client("leader", scope="write").post(
        api_url("measure_extension_decide", other.pk, ext["id"]), json={"grant": True}
    )
    assert (wrong.status_code, error_of(wrong)["code"]) == (404, "not_found")
