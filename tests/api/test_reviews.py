"""Reviews through the API (issue 13): the unit head's decision, the responsible leader's
pre-review, the list of decisions, and each refusal recorded and in the error shape."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import api_url, error_of
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger import services
from zhenggai.ledger.models import MeasureStatus, Review, ReviewDecision


def _submitted(personas: Any, measure: Any) -> Any:
    services.progress_add(actor=personas.person, measure=measure, text="已完成整改")
    return services.measure_submit(actor=personas.person, measure=measure)


@pytest.fixture
def submitted(personas: Any, assigned_measure: Any) -> Any:
    return _submitted(personas, assigned_measure)


def test_the_unit_leader_approves_a_submitted_measure_and_the_decision_is_listed(
    api_client: Any, personas: Any, submitted: Any
) -> None:
    r = api_client("leader", scope="write").post(
        api_url("review_create", submitted.pk), json={"decision": "approve", "reason": "材料齐全"}
    )
    assert r.status_code == 200, r.content
    assert r.json() == {
        "measure_id": submitted.pk,
        "status": MeasureStatus.DONE,
        "status_label": "已完成",
        "version": submitted.version + 1,
    }
    listed = api_client("person").get(api_url("review_list", submitted.pk)).json()
    assert [
        (x["decision"], x["decision_label"], x["reason"], x["reviewer_name"]) for x in listed["items"]
    ] == [("approve", "审核通过", "材料齐全", "李大队长")]
    assert AuditEvent.objects.filter(action="measure.approve", outcome="ok", actor=personas.leader).exists()


def test_a_return_needs_a_reason_and_then_sends_the_measure_back_to_work(
    api_client: Any, submitted: Any
) -> None:
    leader = api_client("leader", scope="write")
    url = api_url("review_create", submitted.pk)
    bare = leader.post(url, json={"decision": "return"})
    assert bare.status_code == 400 and error_of(bare)["field"] == "reason"
    assert not AuditEvent.objects.filter(action="measure.return").exists()  # bad input, not a refusal
    done = leader.post(url, json={"decision": "return", "reason": "缺少会议记录"})
    assert done.status_code == 200 and done.json()["status"] == MeasureStatus.IN_PROGRESS
    unknown = leader.post(url, json={"decision": "maybe"})
    assert unknown.status_code == 422 and error_of(unknown)["field"] == "decision"


def test_a_reviewer_who_is_not_the_unit_leader_is_refused_and_the_refusal_recorded(
    api_client: Any, personas: Any, submitted: Any
) -> None:
    r = api_client("clerk", scope="write").post(
        api_url("review_create", submitted.pk), json={"decision": "approve"}
    )
    assert r.status_code == 403
    err = error_of(r)
    assert err["code"] == "not_allowed" and err["field"] is None
    refusal = AuditEvent.objects.get(action="measure.approve")
    assert (refusal.outcome, refusal.actor_id, refusal.object_id, refusal.after["reason"]) == (
        "denied",
        personas.clerk.pk,
        str(submitted.pk),
        err["message"],
    )
    submitted.refresh_from_db()
    assert submitted.status == MeasureStatus.PENDING_REVIEW and not Review.objects.exists()


def test_a_second_decision_is_a_recorded_409(api_client: Any, personas: Any, submitted: Any) -> None:
    leader = api_client("leader", scope="write")
    url = api_url("review_create", submitted.pk)
    assert leader.post(url, json={"decision": "approve"}).status_code == 200
    again = leader.post(url, json={"decision": "approve"})
    assert again.status_code == 409 and error_of(again)["code"] == "transition_refused"
    assert (
        AuditEvent.objects.filter(action="measure.approve", outcome="denied", actor=personas.leader).count()
        == 1
    )


def test_with_leader_prereview_the_responsible_leader_decides_first_then_the_unit_head(
    api_client: Any, personas: Any, seed_round: Any, assigned_measure: Any
) -> None:
    services.round_update(actor=personas.clerk, round=seed_round, leader_prereview=True)
    assigned_measure.refresh_from_db()
    m = _submitted(personas, assigned_measure)
    assert m.status == MeasureStatus.LEADER_REVIEW
    url = api_url("review_create", m.pk)
    early = api_client("leader", scope="write").post(url, json={"decision": "approve"})
    assert early.status_code == 403 and error_of(early)["code"] == "not_allowed"
    refusal = AuditEvent.objects.get(action="measure.leader_approve", outcome="denied")
    assert refusal.actor_id == personas.leader.pk
    first = api_client("responsible_leader", scope="write").post(url, json={"decision": "approve"})
    assert first.status_code == 200 and first.json()["status"] == MeasureStatus.PENDING_REVIEW
    second = api_client("leader", scope="write").post(url, json={"decision": "approve"})
    assert second.status_code == 200 and second.json()["status"] == MeasureStatus.DONE


def test_a_read_token_may_not_review(api_client: Any, submitted: Any) -> None:
    r = api_client("leader", scope="read").post(
        api_url("review_create", submitted.pk), json={"decision": "approve"}
    )
    assert r.status_code == 403 and error_of(r)["code"] == "read_only_token"
    submitted.refresh_from_db()
    assert submitted.status == MeasureStatus.PENDING_REVIEW


def test_the_outsider_gets_404_on_the_review_and_the_list(api_client: Any, submitted: Any) -> None:
    outsider = api_client("outsider", scope="write")
    for r in (
        outsider.post(api_url("review_create", submitted.pk), json={"decision": "approve"}),
        outsider.get(api_url("review_list", submitted.pk)),
    ):
        assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    assert not AuditEvent.objects.filter(action="measure.approve").exists()


def test_the_review_list_costs_the_same_queries_for_10_and_1000_decisions(
    api_client: Any, personas: Any, assigned_measure: Any, django_assert_num_queries: Any
) -> None:
    m = assigned_measure

    def add(n: int) -> None:
        Review.objects.bulk_create(
            Review(
                measure=m,
                unit=m.unit,
                reviewer=(personas.leader, personas.responsible_leader)[i % 2],
                decision=ReviewDecision.RETURN,
                reason=f"理由{i}",
            )
            for i in range(n)
        )

    client = api_client("viewer")
    url = api_url("review_list", m.pk)
    add(10)
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    add(990)
    with django_assert_num_queries(len(small)):
        r = client.get(url, {"limit": 200})
    assert len(r.json()["items"]) == 200 and r.json()["next_cursor"]
