"""Forged transitions and stale edits: refused with 409, nothing changed, the refusal recorded."""

from __future__ import annotations

import re
from typing import Any

from django.urls import reverse

from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger.models import Measure


def test_approving_a_measure_that_was_never_submitted_is_refused_with_409_and_recorded(
    world: Any, personas: Any, client_for: Any
) -> None:
    m = world.fresh
    response = client_for(personas.leader).post(
        reverse("web:measure-review", args=[m.pk]), {"decision": "approve"}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "当前状态为“未开始”，不能执行“审核通过”" in html
    assert "操作未执行" in html
    m.refresh_from_db()
    assert m.status == "not_started"
    event = AuditEvent.objects.get(outcome="denied")
    assert (event.actor, event.action, event.object_type, event.object_id) == (
        personas.leader,
        "measure.approve",
        "measure",
        str(m.pk),
    )
    assert "不能执行" in event.after["reason"]


def test_closing_a_problem_with_open_measures_is_refused_and_recorded(
    world: Any, personas: Any, client_for: Any
) -> None:
    response = client_for(personas.supervisor).post(reverse("web:problem-close", args=[world.problem.pk]))
    assert response.status_code == 409
    assert "还有未完成的整改措施" in response.content.decode()
    world.problem.refresh_from_db()
    assert world.problem.status == "open"
    assert AuditEvent.objects.filter(outcome="denied", action="finding.close").count() == 1


def test_marking_a_deadline_measure_stage_done_is_refused(world: Any, personas: Any, client_for: Any) -> None:
    m = world.submitted
    response = client_for(personas.leader).post(
        reverse("web:measure-review", args=[m.pk]), {"decision": "approve_stage"}
    )
    assert response.status_code == 409
    assert "长期坚持" in response.content.decode()
    m.refresh_from_db()
    assert m.status == "pending_review"


def test_reporting_on_a_submitted_measure_is_refused(world: Any, personas: Any, client_for: Any) -> None:
    response = client_for(personas.person).post(
        reverse("web:progress-add", args=[world.submitted.pk]), {"text": "再补充一点"}
    )
    assert response.status_code == 409
    assert world.submitted.progress.count() == 1


def _version(html: str) -> str:
    return re.search(r'name="version" value="(\d+)"', html).group(1)


def test_two_stale_pages_the_second_save_gets_409_already_changed_and_the_first_values_stay(
    world: Any, personas: Any, client_for: Any
) -> None:
    m = world.fresh
    url = reverse("web:measure-detail", args=[m.pk])
    first, second = client_for(personas.clerk), client_for(personas.clerk)
    v1, v2 = _version(first.get(url).content.decode()), _version(second.get(url).content.decode())
    assert v1 == v2
    edit = reverse("web:measure-edit", args=[m.pk])
    common = {"kind": "deadline", "person": personas.person.pk, "deadline": days_from_today(200).isoformat()}
    assert first.post(edit, {**common, "text": "第一人的修改", "version": v1}).status_code == 302
    response = second.post(
        edit, {**common, "text": "第二人的修改", "person": personas.person2.pk, "version": v2}
    )
    assert response.status_code == 409
    html = response.content.decode()
    assert "已被他人修改" in html
    assert "第一人的修改</textarea>" in html  # the form shows what is stored now
    assert _version(html) == str(int(v1) + 1)
    m.refresh_from_db()
    assert (m.text, m.person) == ("第一人的修改", personas.person)
    assert AuditEvent.objects.filter(outcome="denied", action="measure.update", object_id=str(m.pk)).exists()


def test_a_stale_split_is_refused_and_nothing_is_split(world: Any, personas: Any, client_for: Any) -> None:
    m = world.fresh
    response = client_for(personas.clerk).post(
        reverse("web:measure-split", args=[m.pk]), {"texts": "甲\n乙", "version": m.version - 1 or 99}
    )
    assert response.status_code == 409
    assert Measure.objects.filter(finding=world.problem).count() == 2
