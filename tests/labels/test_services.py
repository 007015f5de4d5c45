"""REQ-1.10: the services refuse to act on what the actor is not cleared for (nothing changes), and
labels of problems and measures are set by the clerk or the unit leader, within their own
clearance, every change recorded with the label before and after."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse

from tests.labels.conftest import Labelled, clear
from tests.web.conftest import PDF
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed
from zhenggai.ledger import services
from zhenggai.ledger.models import Evidence, Finding, Measure, Progress, Review


def _state(lab: Labelled) -> tuple[Any, ...]:
    """Everything the refused calls below could have changed."""
    return (
        list(Measure.objects.filter(round=lab.world.round).order_by("pk").values()),
        list(Finding.objects.filter(round=lab.world.round).order_by("pk").values()),
        Progress.objects.count(),
        Evidence.objects.count(),
        Review.objects.count(),
    )


def test_services_refuse_a_user_with_the_role_but_without_the_clearance_and_nothing_changes_REQ_1_10(
    personas: Any, labelled: Labelled
) -> None:
    """REQ-1.10: every ledger service checks the label itself, not only the pages' selectors."""
    lab = labelled
    before = _state(lab)
    clerk2 = personas.viewer
    from zhenggai.units.services import membership_grant

    membership_grant(actor=None, user=clerk2, unit=personas.unit_a, role="clerk")
    calls = [
        lambda: services.measure_review(actor=personas.leader, measure=lab.submitted, decision="approve"),
        lambda: services.progress_add(
            actor=personas.person, measure=lab.fresh, text="进展", files=[(io.BytesIO(PDF), "a.pdf")]
        ),
        lambda: services.measure_submit(actor=personas.person, measure=lab.fresh),
        lambda: services.finding_send_back(actor=personas.supervisor, finding=lab.problem, reason="不到位"),
        lambda: services.finding_close(actor=personas.supervisor, finding=lab.problem, opinion="整改到位"),
        lambda: services.measure_update(
            actor=clerk2, measure=lab.fresh, expected_version=lab.fresh.version, text="改"
        ),
        lambda: services.measure_assign_bulk(
            actor=clerk2, round=lab.world.round, measure_ids=[lab.fresh.pk], person=personas.person2
        ),
        lambda: services.measure_create(actor=clerk2, finding=lab.problem, text="新措施"),
        lambda: services.measure_split(
            actor=clerk2, measure=lab.fresh, texts=["一", "二"], expected_version=lab.fresh.version
        ),
        lambda: services.measure_move(actor=clerk2, measure=lab.fresh, direction="up"),
        lambda: services.measure_delete(actor=clerk2, measure=lab.fresh),
        lambda: services.finding_create(
            actor=clerk2, round=lab.world.round, parent=lab.problem, kind="problem", title="子问题"
        ),
        lambda: services.measure_set_sensitivity(actor=clerk2, measure=lab.fresh, sensitivity="internal"),
        lambda: services.finding_set_sensitivity(
            actor=personas.leader, finding=lab.problem, sensitivity="internal"
        ),
    ]
    for i, call in enumerate(calls):
        with pytest.raises(NotAllowed, match="许可级别"):
            call()
        assert _state(lab) == before, i


def test_a_refused_action_on_a_sensitive_object_through_its_page_is_a_404_and_changes_nothing_REQ_1_10(
    personas: Any, labelled: Labelled, client_for: Any
) -> None:
    """REQ-1.10: the action pages read through the selectors: the object does not exist for the user."""
    before = _state(labelled)
    leader = client_for(personas.leader)
    person = client_for(personas.person)
    supervisor = client_for(personas.supervisor)
    for client, name, pk, data in (
        (leader, "web:measure-review", labelled.submitted.pk, {"decision": "approve"}),
        (leader, "web:measure-detail", labelled.submitted.pk, {"label-sensitivity": "internal"}),
        (leader, "web:problem-detail", labelled.problem.pk, {"label-sensitivity": "internal"}),
        (person, "web:progress-add", labelled.fresh.pk, {"text": "进展"}),
        (person, "web:measure-submit", labelled.fresh.pk, {}),
        (supervisor, "web:problem-send-back", labelled.problem.pk, {"send_back-reason": "不到位"}),
    ):
        assert client.post(reverse(name, args=[pk]), data).status_code == 404, name
    assert _state(labelled) == before


def test_every_label_change_is_recorded_with_the_label_before_and_after_REQ_1_10(
    personas: Any, world: Any, secadmin: Any
) -> None:
    """REQ-1.10 / 安全审计: a problem's label, the labels it raises below it, a measure's label."""
    clerk = clear(secadmin, personas.clerk)
    start = AuditEvent.objects.filter(action="label.change").count()
    services.finding_set_sensitivity(actor=clerk, finding=world.category, sensitivity="sensitive")
    events = list(AuditEvent.objects.filter(action="label.change").order_by("seq")[start:])
    # The category, then the issue and the problem below it, raised with it.
    assert events[0].object_id == str(world.category.pk)
    assert {e.object_id for e in events} == {str(f.pk) for f in (world.category, world.issue, world.problem)}
    assert all(e.object_type == "finding" for e in events)
    for e in events:
        assert e.before == {"sensitivity": "internal"}
        assert e.after["sensitivity"] == "sensitive"
        assert e.outcome == "ok" and e.actor_id == clerk.pk and e.unit_id_ref == personas.unit_a.pk
    assert set(Finding.objects.filter(round=world.round).values_list("sensitivity", flat=True)) == {
        "sensitive"
    }

    services.measure_set_sensitivity(actor=clerk, measure=world.fresh, sensitivity="public")
    e = AuditEvent.objects.filter(action="label.change", object_type="measure").get()
    assert e.object_id == str(world.fresh.pk)
    # Its own label is lower, but the problem's counts: still 敏感.
    assert e.before == {"sensitivity": "internal", "effective": "sensitive"}
    assert e.after == {"sensitivity": "public", "effective": "sensitive"}

    services.finding_set_sensitivity(actor=clerk, finding=world.category, sensitivity="internal")
    last = AuditEvent.objects.filter(action="label.change").order_by("-seq").first()
    assert (last.before, last.after) == ({"sensitivity": "sensitive"}, {"sensitivity": "internal"})
    # Lowering a node leaves the labels below it as they are (never below their parent's).
    world.issue.refresh_from_db()
    assert world.issue.sensitivity == "sensitive"


def test_a_label_cannot_be_set_above_the_setters_own_clearance_nor_below_the_parents_REQ_1_10(
    personas: Any, world: Any, secadmin: Any
) -> None:
    with pytest.raises(NotAllowed, match="高于您本人的许可级别"):
        services.finding_set_sensitivity(actor=personas.clerk, finding=world.problem, sensitivity="sensitive")
    with pytest.raises(NotAllowed, match="高于您本人的许可级别"):
        services.measure_set_sensitivity(actor=personas.leader, measure=world.fresh, sensitivity="sensitive")
    clerk = clear(secadmin, personas.clerk)
    services.finding_set_sensitivity(actor=clerk, finding=world.issue, sensitivity="sensitive")
    world.problem.refresh_from_db()
    assert world.problem.sensitivity == "sensitive"  # raised with its parent
    with pytest.raises(InvalidInput, match="不能低于上级"):
        services.finding_set_sensitivity(actor=clerk, finding=world.problem, sensitivity="internal")
    with pytest.raises(InvalidInput, match="安全标记不正确"):
        services.measure_set_sensitivity(actor=clerk, measure=world.fresh, sensitivity="top_secret")
    assert not AuditEvent.objects.filter(action="label.change", object_type="measure").exists()


@pytest.mark.parametrize("who", ["person", "responsible_leader", "viewer", "supervisor", "outsider"])
def test_only_the_clerk_and_the_unit_leader_label_problems_and_measures_REQ_1_10(
    who: str, personas: Any, world: Any
) -> None:
    user = getattr(personas, who)
    with pytest.raises(NotAllowed):
        services.finding_set_sensitivity(actor=user, finding=world.problem, sensitivity="public")
    with pytest.raises(NotAllowed):
        services.measure_set_sensitivity(actor=user, measure=world.fresh, sensitivity="public")
    assert not AuditEvent.objects.filter(action="label.change").exists()


def test_the_three_administrators_do_not_label_ledger_records(world: Any, secadmin: Any) -> None:
    """三员分立: the security administrator labels subjects (clearances), not ledger records."""
    secadmin.clearance = "sensitive"
    with pytest.raises(NotAllowed, match="三员"):
        services.finding_set_sensitivity(actor=secadmin, finding=world.problem, sensitivity="sensitive")


def test_the_label_forms_on_the_problem_and_measure_pages_set_the_label_and_refusals_are_recorded_REQ_1_10(
    personas: Any, world: Any, client_for: Any
) -> None:
    leader = client_for(personas.leader)
    page = leader.get(reverse("web:problem-detail", args=[world.problem.pk])).content.decode()
    assert "保存安全标记" in page and "内部" in page
    assert 'value="sensitive"' not in page  # not offered above the leader's own clearance
    response = leader.post(
        reverse("web:problem-detail", args=[world.problem.pk]), {"label-sensitivity": "public"}
    )
    assert response.status_code == 400  # below its parent issue's 内部
    assert "不能低于上级" in response.content.decode()
    response = leader.post(
        reverse("web:measure-detail", args=[world.fresh.pk]), {"label-sensitivity": "public"}
    )
    assert response.status_code == 302
    world.fresh.refresh_from_db()
    assert world.fresh.sensitivity == "public"
    history = leader.get(reverse("web:measure-detail", args=[world.fresh.pk])).content.decode()
    assert "设置安全标记" in history and "label.change" not in history

    # A forged label above the leader's clearance: 403, recorded, nothing changed.
    response = leader.post(
        reverse("web:measure-detail", args=[world.fresh.pk]), {"label-sensitivity": "sensitive"}
    )
    assert response.status_code == 403
    denied = AuditEvent.objects.get(action="label.change", outcome="denied")
    assert denied.actor_id == personas.leader.pk and denied.object_id == str(world.fresh.pk)
    world.fresh.refresh_from_db()
    assert world.fresh.sensitivity == "public"

    # The responsible person sees the badge but no form; a forged post is refused and recorded.
    person = client_for(personas.person)
    page = person.get(reverse("web:measure-detail", args=[world.submitted.pk])).content.decode()
    assert "保存安全标记" not in page and 'title="安全标记">内部<' in page
    assert (
        person.post(
            reverse("web:problem-detail", args=[world.problem.pk]), {"label-sensitivity": "internal"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(
        action="label.change", outcome="denied", actor_id=personas.person.pk
    ).exists()


def test_a_responsible_person_without_the_clearance_cannot_be_assigned_a_sensitive_measure_REQ_1_10(
    personas: Any, labelled: Labelled
) -> None:
    """REQ-1.10: otherwise the measure would be given to someone who may not see it."""
    with pytest.raises(InvalidInput, match="许可级别低于该措施的安全标记"):
        services.measure_assign_bulk(
            actor=labelled.clerk,
            round=labelled.world.round,
            measure_ids=[labelled.fresh.pk],
            person=personas.person2,
        )
    labelled.fresh.refresh_from_db()
    assert labelled.fresh.person_id == personas.person.pk


def test_what_is_made_from_a_labelled_record_keeps_its_label_REQ_1_10(
    personas: Any, labelled: Labelled
) -> None:
    """A finding added under a 敏感 node is 敏感; the parts of a split measure keep its label."""
    clerk = labelled.clerk
    child = services.finding_create(
        actor=clerk, round=labelled.world.round, parent=labelled.problem, kind="problem", title="子问题"
    )
    assert child.sensitivity == "sensitive"
    top = services.finding_create(
        actor=clerk, round=labelled.world.round, parent=None, kind="category", title="新类别"
    )
    assert top.sensitivity == "internal"
    services.measure_set_sensitivity(actor=clerk, measure=labelled.fresh, sensitivity="sensitive")
    fresh = Measure.objects.get(pk=labelled.fresh.pk)
    parts = services.measure_split(
        actor=clerk, measure=fresh, texts=["一", "二"], expected_version=fresh.version
    )
    assert {p.sensitivity for p in parts} == {"sensitive"}


def test_a_workbook_row_of_a_sensitive_measure_imported_by_a_clerk_without_the_clearance_changes_nothing_REQ_1_10(  # noqa: E501
    personas: Any, labelled: Labelled
) -> None:
    """REQ-1.10: above the clerk's clearance the measure does not exist for the import: the row is
    refused as an unknown id, and neither its current values nor its round leak into the report."""
    from tests.reports.test_xlsx_fixtures import edited, export_bytes, set_cell
    from zhenggai.reports.xlsx_import import import_workbook
    from zhenggai.units.services import membership_grant

    clerk2 = personas.viewer
    membership_grant(actor=None, user=clerk2, unit=personas.unit_a, role="clerk")
    data = edited(
        export_bytes(labelled.clerk, labelled.world.round),
        lambda ws: set_cell(ws, labelled.fresh.pk, "text", "改过的措施"),
    )
    before = _state(labelled)
    report = import_workbook(actor=clerk2, round=labelled.world.round, data=data, dry_run=False)
    assert not report.applied
    assert any(f"系统编号 {labelled.fresh.pk} 在本轮次中不存在" in e.message for e in report.errors)
    assert not any("改过的措施" in str(c.old) for c in report.changes)
    assert _state(labelled) == before


def test_a_supervisor_who_cannot_see_every_measure_of_a_problem_cannot_close_or_send_it_back_REQ_1_10(
    personas: Any, world: Any, secadmin: Any, client_for: Any
) -> None:
    """REQ-1.10 (decision): 对账销号 and 退回整改 act on all the problem's measures, so the supervisor
    must be cleared for each of them; reopening touches no measure and stays allowed."""
    clerk = clear(secadmin, personas.clerk)
    for m in (world.submitted, world.fresh):
        if m.status != "pending_review":
            services.progress_add(actor=personas.person, measure=m, text="已完成")
            services.measure_submit(actor=personas.person, measure=m)
        services.measure_review(actor=personas.leader, measure=m, decision="approve")
    services.measure_set_sensitivity(actor=clerk, measure=world.fresh, sensitivity="sensitive")
    page = client_for(personas.supervisor).get(reverse("web:problem-detail", args=[world.problem.pk]))
    assert "对账销号</button>" not in page.content.decode()
    with pytest.raises(NotAllowed, match="许可级别"):
        services.finding_close(actor=personas.supervisor, finding=world.problem, opinion="整改到位，同意销号")
    with pytest.raises(NotAllowed, match="许可级别"):
        services.finding_send_back(actor=personas.supervisor, finding=world.problem, reason="不到位")
    world.problem.refresh_from_db()
    assert world.problem.status == "open"
    assert set(Measure.objects.filter(finding=world.problem).values_list("status", flat=True)) == {"done"}
    clear(secadmin, personas.supervisor)
    services.finding_close(actor=personas.supervisor, finding=world.problem, opinion="整改到位，同意销号")
    world.problem.refresh_from_db()
    assert world.problem.status == "closed"
