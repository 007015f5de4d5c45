"""Bulk assignment: as many queries for 100 measures as for 10, the events and amendments of the
one-by-one path, the same refusals with nothing written."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.accounts.conftest import make_admin
from tests.labels.conftest import clear
from tests.today import days_from_today
from zhenggai.accounts.models import Sensitivity
from zhenggai.audit.models import AuditEvent
from zhenggai.audit.verify import verify_chain
from zhenggai.errors import InvalidInput, NotAllowed
from zhenggai.ledger import services
from zhenggai.ledger.models import Amendment, Measure, Round


def plan_of(personas: Any, n: int, *, title: str = "批量分配") -> tuple[Round, list[Measure]]:
    """A round of unit A with one problem of ``n`` measures due in three months (a plan that may
    be signed), not assigned."""
    clerk = personas.clerk
    r = services.round_create(
        actor=clerk, unit=personas.unit_a, title=title, feedback_date=days_from_today(-30)
    )
    cat = services.finding_create(actor=clerk, round=r, parent=None, kind="category", title="政治建设方面")
    problem = services.finding_create(actor=clerk, round=r, parent=cat, kind="problem", title="学习流于形式")
    # Test data in bulk, as bench/generate.py builds it: the measures are not under test here.
    Measure.objects.bulk_create(
        Measure(
            round=r,
            unit=r.unit,
            finding=problem,
            position=i + 1,
            text=f"第{i + 1}项措施",
            deadline=days_from_today(90),
        )
        for i in range(n)
    )
    return r, list(Measure.objects.filter(round=r).order_by("position"))


def assign(personas: Any, r: Round, ms: list[Measure], **values: Any) -> int:
    return services.measure_assign_bulk(
        actor=personas.clerk, round=r, measure_ids=[m.pk for m in ms], **values
    )


def everything(personas: Any) -> dict[str, Any]:
    return {
        "person": personas.person,
        "leader": personas.responsible_leader,
        "department": personas.departments[0],
        "deadline": days_from_today(200),
    }


def queries(personas: Any, r: Round, ms: list[Measure], **values: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert assign(personas, r, ms, **values) == len(ms)
    return len(ctx.captured_queries)


@pytest.mark.parametrize("signed", [False, True], ids=["unsigned", "signed"])
def test_assigning_100_measures_makes_as_many_queries_as_assigning_10(personas: Any, signed: bool):
    small, big = plan_of(personas, 10, title="小"), plan_of(personas, 100, title="大")
    if signed:  # every change is an amendment too
        for r, _ in (small, big):
            services.plan_sign(actor=personas.leader, round=r)
    values = everything(personas)
    counts = [queries(personas, r, ms, **values) for r, ms in (small, big)]
    assert counts[0] == counts[1], counts
    # The writes (about 11), the new person's message with its queued deliveries and the reminders
    # cancelled (about 5, savepoints counted) and, signed, the unit heads' "方案已变更" (about 8).
    assert counts[1] <= (28 if signed else 18)
    assert Measure.objects.filter(person=personas.person).count() == 110
    assert AuditEvent.objects.filter(action="measure.assign").count() == 110
    assert Amendment.objects.count() == (110 if signed else 0)


def events(r: Round, ms: list[Measure]) -> list[tuple[Any, ...]]:
    """The measure.assign events of a round, with each measure as its index in ``ms``."""
    index = {str(m.pk): i for i, m in enumerate(ms)}
    rows = AuditEvent.objects.filter(action="measure.assign", object_id__in=list(index)).order_by("seq")
    return [
        (e.actor_name, e.object_type, index[e.object_id], e.unit_id_ref, e.outcome, e.before, e.after)
        for e in rows
    ]


def amendments(r: Round, ms: list[Measure]) -> list[tuple[Any, ...]]:
    index = {m.pk: i for i, m in enumerate(ms)}
    return [
        (a.actor_id, a.unit_id, index[a.measure_id], a.signed_version, a.description, a.before, a.after)
        for a in Amendment.objects.filter(round=r).order_by("pk")
    ]


def test_a_bulk_assignment_writes_what_assigning_each_measure_alone_writes(personas: Any):
    p = personas
    rounds = [plan_of(p, 5, title="一次"), plan_of(p, 5, title="逐条")]
    for r, ms in rounds:
        services.plan_sign(actor=p.leader, round=r)
        assign(p, r, ms[:2], person=p.person2)  # partly assigned already
        assign(p, r, ms[2:3], **everything(p))  # already exactly so: no event, no version
    values = everything(p)
    (together, ms1), (alone, ms2) = rounds
    assert assign(p, together, ms1, **values) == 5
    for m in ms2:
        assert assign(p, alone, [m], **values) == 1

    assert events(together, ms1) == events(alone, ms2)
    assert amendments(together, ms1) == amendments(alone, ms2)
    deadline = values["deadline"].isoformat()
    leader, person, dept = p.responsible_leader.pk, p.person.pk, p.departments[0].pk
    after = {"leader": leader, "department": dept, "person": person, "deadline": deadline}
    # Each measure of ``plan_of`` is due in three months before it is assigned.
    none = {"leader": None, "department": None, "person": None, "deadline": days_from_today(90).isoformat()}
    was_person2 = {**none, "person": p.person2.pk}
    # The last four: the final assignment of measures 0, 1, 3 and 4 (2 was already so), in plan order.
    assert events(together, ms1)[-4:] == [
        ("clerk", "measure", 0, p.unit_a.pk, "ok", was_person2, after),
        ("clerk", "measure", 1, p.unit_a.pk, "ok", was_person2, after),
        ("clerk", "measure", 3, p.unit_a.pk, "ok", none, after),
        ("clerk", "measure", 4, p.unit_a.pk, "ok", none, after),
    ]
    assert [a[4] for a in amendments(together, ms1)] == ["批量分配"] * 7
    versions = [
        list(Measure.objects.filter(round=r).order_by("position").values_list("version", flat=True))
        for r, _ in rounds
    ]
    assert versions[0] == versions[1] == [3, 3, 2, 2, 2]
    assert verify_chain().ok


def test_bulk_refusals_are_those_of_before_and_write_nothing(personas: Any):
    p = personas
    r, ms = plan_of(p, 3)
    clear(make_admin("secadmin", "security_admin"), p.clerk)  # the clerk may label 敏感
    services.measure_set_sensitivity(actor=p.clerk, measure=ms[0], sensitivity=Sensitivity.SENSITIVE)
    ids = [m.pk for m in ms]

    def state() -> tuple[Any, ...]:
        measures = Measure.objects.order_by("pk").values_list("version", "person")
        return AuditEvent.objects.count(), list(measures)

    before = state()
    with pytest.raises(NotAllowed):
        services.measure_assign_bulk(actor=p.outsider, round=r, measure_ids=ids, person=p.person)
    with pytest.raises(InvalidInput, match="不是本单位人员") as err:
        services.measure_assign_bulk(actor=p.clerk, round=r, measure_ids=ids, person=p.outsider)
    assert err.value.field == "person"
    with pytest.raises(InvalidInput, match="责任部门不属于本单位"):
        services.measure_assign_bulk(actor=p.clerk, round=r, measure_ids=ids, department=p.unit_b)
    # Measure 0 is labelled 敏感, above the person's clearance: refused for it, so for all.
    with pytest.raises(InvalidInput, match="许可级别低于该措施的安全标记") as err:
        services.measure_assign_bulk(actor=p.clerk, round=r, measure_ids=ids, person=p.person)
    assert err.value.field == "person"
    with pytest.raises(InvalidInput, match="早于"):
        services.measure_assign_bulk(actor=p.clerk, round=r, measure_ids=ids, deadline=days_from_today(-3650))
    with pytest.raises(InvalidInput, match="勾选"):
        services.measure_assign_bulk(actor=p.clerk, round=r, measure_ids=[], person=p.person)
    assert state() == before
