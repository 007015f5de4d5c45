"""Close-out through the API (issue 13): a supervisor closes a problem whose measures are done,
sends one back, reopens a closed one; refusals recorded and in the error shape."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import api_url, error_of
from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger import services
from zhenggai.ledger.models import Closure, Finding, FindingKind, MeasureStatus, ProblemStatus


@pytest.fixture
def ready(personas: Any, seed_round: Any) -> Finding:
    """A problem of the seed whose every measure was reported, submitted and approved."""
    problem = (
        Finding.objects.filter(round=seed_round, kind=FindingKind.PROBLEM, measures__isnull=False)
        .order_by("position", "id")
        .first()
    )
    assert problem is not None
    measures = list(problem.measures.order_by("position", "id"))
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=seed_round,
        measure_ids=[m.pk for m in measures],
        person=personas.person,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=days_from_today(200),
    )
    for m in problem.measures.order_by("position", "id"):
        services.progress_add(actor=personas.person, measure=m, text="已完成")
        m = services.measure_submit(actor=personas.person, measure=m)
        services.measure_review(actor=personas.leader, measure=m, decision="approve")
    return problem


def test_the_supervisor_closes_a_ready_problem_and_closing_it_again_is_a_recorded_409(
    api_client: Any, personas: Any, ready: Finding
) -> None:
    supervisor = api_client("supervisor", scope="write")
    url = api_url("finding_close", ready.pk)
    r = supervisor.post(url, json={"opinion": "核查了会议记录与台账，整改到位"})
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["id"], body["status"], body["status_label"], body["cycle"]) == (
        ready.pk,
        ProblemStatus.CLOSED,
        "已销号",
        1,
    )
    assert body["closed_at"]
    again = supervisor.post(url, json={"opinion": "再次销号"})
    assert again.status_code == 409
    assert error_of(again)["code"] == "transition_refused"
    refusal = AuditEvent.objects.get(action="finding.close", outcome="denied")
    assert (refusal.actor_id, refusal.object_id) == (personas.supervisor.pk, str(ready.pk))
    assert Closure.objects.filter(finding=ready).count() == 1


def test_an_empty_or_missing_opinion_is_bad_input_in_the_error_shape(api_client: Any, ready: Finding) -> None:
    supervisor = api_client("supervisor", scope="write")
    url = api_url("finding_close", ready.pk)
    empty = supervisor.post(url, json={"opinion": "  "})
    assert empty.status_code == 400 and error_of(empty)["field"] == "opinion"
    missing = supervisor.post(url, json={})
    assert missing.status_code == 422 and error_of(missing)["field"] == "opinion"
    assert not AuditEvent.objects.filter(action="finding.close").exists()
    ready.refresh_from_db()
    assert ready.status == ProblemStatus.OPEN


def test_anyone_but_a_supervisor_is_refused_and_the_refusal_recorded(
    api_client: Any, personas: Any, ready: Finding
) -> None:
    r = api_client("leader", scope="write").post(
        api_url("finding_close", ready.pk), json={"opinion": "自行销号"}
    )
    assert r.status_code == 403 and error_of(r)["code"] == "not_allowed"
    refusal = AuditEvent.objects.get(action="finding.close")
    assert (refusal.outcome, refusal.actor_id) == ("denied", personas.leader.pk)


def test_send_back_returns_the_finished_measures_to_work_with_the_reason(
    api_client: Any, ready: Finding
) -> None:
    supervisor = api_client("supervisor", scope="write")
    url = api_url("finding_send_back", ready.pk)
    bare = supervisor.post(url, json={"reason": ""})
    assert bare.status_code == 400 and error_of(bare)["field"] == "reason"
    r = supervisor.post(url, json={"reason": "佐证材料不足"})
    assert r.status_code == 200 and r.json()["status"] == ProblemStatus.OPEN
    assert set(ready.measures.values_list("status", flat=True)) == {MeasureStatus.IN_PROGRESS}
    assert ready.closures.get().reason == "佐证材料不足"


def test_a_closed_problem_is_reopened_and_an_open_one_cannot_be(
    api_client: Any, personas: Any, ready: Finding
) -> None:
    supervisor = api_client("supervisor", scope="write")
    url = api_url("finding_reopen", ready.pk)
    early = supervisor.post(url, json={"reason": "回头看"})
    assert early.status_code == 409 and error_of(early)["code"] == "transition_refused"
    services.finding_close(actor=personas.supervisor, finding=ready, opinion="整改到位")
    r = supervisor.post(url, json={"reason": "回头看发现问题反弹"})
    assert r.status_code == 200
    assert (r.json()["status"], r.json()["reopen_count"], r.json()["closed_at"]) == (
        ProblemStatus.OPEN,
        1,
        None,
    )
    assert set(ready.measures.values_list("status", flat=True)) == {MeasureStatus.IN_PROGRESS}


def test_a_read_token_may_not_close_send_back_or_reopen(api_client: Any, ready: Finding) -> None:
    reader = api_client("supervisor", scope="read")
    for name, body in (
        ("finding_close", {"opinion": "到位"}),
        ("finding_send_back", {"reason": "不足"}),
        ("finding_reopen", {"reason": "反弹"}),
    ):
        r = reader.post(api_url(name, ready.pk), json=body)
        assert r.status_code == 403 and error_of(r)["code"] == "read_only_token"
    assert not Closure.objects.exists()


def test_the_outsider_gets_404_on_close_send_back_and_reopen(api_client: Any, ready: Finding) -> None:
    outsider = api_client("outsider", scope="write")
    for name, body in (
        ("finding_close", {"opinion": "到位"}),
        ("finding_send_back", {"reason": "不足"}),
        ("finding_reopen", {"reason": "反弹"}),
    ):
        r = outsider.post(api_url(name, ready.pk), json=body)
        assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    assert not Closure.objects.exists()
    assert not AuditEvent.objects.filter(action__startswith="finding.").exists()
