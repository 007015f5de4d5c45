"""The desks: what each role sees first on the home page, computed in a fixed number of queries."""

from __future__ import annotations

from typing import Any

from tests.supervision.desk_world import approve, build_desk_round, return_with, submit
from tests.today import days_from_today, today
from zhenggai.supervision.selectors import desks


def test_the_responsible_person_sees_a_returned_measure_first_with_its_reason_then_by_tier(
    personas: Any,
) -> None:
    w = build_desk_round(personas)
    return_with(personas, w.measures["green"], "佐证材料不全，请补充会议记录")
    d = desks.person_desk(user=personas.person, tiers=desks.visible_round_tiers(personas.person))
    boxes = {b.key: b for b in d.boxes}
    assert d.boxes[0].key == "returned"
    assert [m.pk for m in boxes["returned"].items] == [w.measures["green"].pk]
    assert boxes["returned"].items[0].last_reason == "佐证材料不全，请补充会议记录"
    assert [m.pk for m in boxes["late"].items] == [w.measures["black"].pk, w.measures["red"].pk]
    assert [m.tier for m in boxes["late"].items] == ["black", "red"]
    assert [m.pk for m in boxes["yellow"].items] == [w.measures["yellow"].pk]
    assert boxes["green"].count == 0  # the green one is in the returned box
    assert [m.pk for m in boxes["calm"].items] == [w.measures[""].pk]
    assert d.total == 5


def test_a_submitted_measure_leaves_the_persons_desk_until_it_is_returned(personas: Any) -> None:
    w = build_desk_round(personas)
    submit(personas, w.measures["red"])
    d = desks.person_desk(user=personas.person, tiers=desks.visible_round_tiers(personas.person))
    assert d.total == 4
    assert all(m.pk != w.measures["red"].pk for b in d.boxes for m in b.items)


def test_a_box_lists_the_first_fifty_and_counts_them_all(personas: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(desks, "BOX_SIZE", 1)
    build_desk_round(personas)
    d = desks.person_desk(user=personas.person, tiers=desks.visible_round_tiers(personas.person))
    late = next(b for b in d.boxes if b.key == "late")
    assert late.count == 2 and len(late.items) == 1 and late.has_more
    assert late.items[0].tier == "black"


def test_the_responsible_leader_sees_the_measures_he_leads_by_status_and_tier(personas: Any) -> None:
    w = build_desk_round(personas)
    approve(personas, w.measures[""])
    d = desks.leader_desk(
        user=personas.responsible_leader, tiers=desks.visible_round_tiers(personas.responsible_leader)
    )
    assert d.total == 5
    matrix = {status: row for status, _, row, _ in d.matrix}
    assert matrix["not_started"] == {"black": 1, "red": 1, "yellow": 1, "green": 1}
    assert matrix["done"] == {"": 1}
    assert d.urgent.count == 4
    assert [m.tier for m in d.urgent.items] == ["black", "red", "yellow", "green"]
    assert d.queue.count == 0


def test_the_leaders_pre_review_queue_holds_what_awaits_him(personas: Any) -> None:
    from zhenggai.ledger.models import Measure, MeasureStatus

    w = build_desk_round(personas)
    Measure.objects.filter(pk=w.measures["yellow"].pk).update(status=MeasureStatus.LEADER_REVIEW)
    d = desks.leader_desk(
        user=personas.responsible_leader, tiers=desks.visible_round_tiers(personas.responsible_leader)
    )
    assert [m.pk for m in d.queue.items] == [w.measures["yellow"].pk]
    assert w.measures["yellow"].pk not in [m.pk for m in d.urgent.items]


def test_the_clerk_sees_each_round_overdue_by_tier_reviews_unassigned_signing_and_deadlines(
    personas: Any,
) -> None:
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Round
    from zhenggai.supervision.models import Extension

    w = build_desk_round(personas, feedback=days_from_today(-50))
    submit(personas, w.measures["yellow"])
    services.plan_sign(actor=personas.leader, round=w.round)
    services.measure_create(actor=personas.clerk, finding=w.problems[""], text="新增一项未分配的措施")
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=w.round,
        measure_ids=[w.measures["green"].pk],
        deadline=days_from_today(16),
    )
    Extension.objects.create(
        measure=w.measures["red"],
        round=w.round,
        unit=w.round.unit,
        requested_by=personas.person,
        reason="需要采购设备",
        old_deadline=w.measures["red"].deadline,
        new_deadline=days_from_today(30),
    )
    Round.objects.filter(pk=w.round.pk).update(plan_due=None, report_due=None)  # as rounds made before
    (row,) = desks.clerk_desk(user=personas.clerk)
    assert row.round == w.round
    assert row.tiers == {"green": 1, "yellow": 1, "red": 1, "black": 1}
    assert row.overdue == 2
    assert row.awaiting_review == 1
    assert row.unassigned == 1
    assert row.signed_version == 1 and row.amendments >= 1 and row.resign_needed
    assert row.pending_extensions == 1
    plan, report = row.deadlines
    assert plan.derived and plan.due == desks.add_months(w.round.feedback_date, 1)
    assert plan.days_left == (plan.due - today()).days
    assert report.due == desks.add_months(w.round.feedback_date, 2)


def test_a_round_s_own_submission_deadlines_win_over_the_feedback_date(personas: Any) -> None:
    from zhenggai.ledger.models import Round

    w = build_desk_round(personas)
    Round.objects.filter(pk=w.round.pk).update(plan_due=days_from_today(3), report_due=days_from_today(-2))
    (row,) = desks.clerk_desk(user=personas.clerk)
    plan, report = row.deadlines
    assert (plan.derived, plan.days_left) == (False, 3)
    assert (report.days_left, report.days_past) == (-2, 2)


def test_the_unit_head_sees_reviews_plans_to_sign_and_the_completion_curve(personas: Any) -> None:
    w = build_desk_round(personas)
    submit(personas, w.measures["red"])
    approve(personas, w.measures["black"])
    d = desks.head_desk(user=personas.leader, tiers=desks.visible_round_tiers(personas.leader))
    assert d is not None
    assert [m.pk for m in d.review.items] == [w.measures["red"].pk]
    assert [r for r, _, _ in d.to_sign] == [w.round]
    assert (d.problems, d.completed) == (5, 1)
    assert d.curve[-1].completed == 1
    assert d.curve_data["total"] == 5


def test_the_completion_curve_counts_by_week_cumulatively() -> None:
    import datetime as dt

    on = dt.date(2026, 12, 2)  # a Wednesday
    curve = desks.completion_curve(
        [dt.date(2026, 11, 17), dt.date(2026, 11, 18), dt.date(2026, 12, 1)], on=on
    )
    assert [(p.week.isoformat(), p.completed) for p in curve] == [
        ("2026-11-16", 2),
        ("2026-11-23", 2),
        ("2026-11-30", 3),
    ]
    assert desks.completion_curve([], on=on) == []


def test_a_reopened_problem_is_not_complete_on_the_curve(personas: Any) -> None:
    from zhenggai.ledger.models import Finding

    w = build_desk_round(personas)
    approve(personas, w.measures["black"])
    Finding.objects.filter(pk=w.problems["black"].pk).update(reopen_count=1)
    from zhenggai.ledger.models import Measure

    Measure.objects.filter(pk=w.measures["black"].pk).update(status="in_progress")
    problems, days = desks.problem_completions(units_q=desks.under_q([personas.unit_a]))
    assert (problems, days) == (5, [])


def test_the_outsider_s_desks_show_nothing_of_unit_a(personas: Any) -> None:
    build_desk_round(personas)
    tiers = desks.visible_round_tiers(personas.outsider)
    assert desks.person_desk(user=personas.outsider, tiers=tiers).total == 0
    assert desks.leader_desk(user=personas.outsider, tiers=tiers).total == 0
    assert desks.clerk_desk(user=personas.outsider) == []
    assert desks.head_desk(user=personas.outsider, tiers=tiers) is None


def test_each_desk_makes_as_many_queries_for_many_measures_as_for_few(
    personas: Any, django_assert_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts() -> list[int]:
        out = []
        for user, call in (
            (personas.person, lambda u, t: desks.person_desk(user=u, tiers=t)),
            (personas.responsible_leader, lambda u, t: desks.leader_desk(user=u, tiers=t)),
            (personas.clerk, lambda u, t: desks.clerk_desk(user=u, tiers=t)),
            (personas.leader, lambda u, t: desks.head_desk(user=u, tiers=t)),
            (personas.supervisor, lambda u, t: desks.ready_to_close(user=u)),
        ):
            tiers = desks.visible_round_tiers(user)
            with CaptureQueriesContext(connection) as q:
                call(user, tiers)
            out.append(len(q.captured_queries))
        return out

    build_desk_round(personas)
    few = counts()
    for i in range(3):
        build_desk_round(personas, title=f"第{i + 3}轮")
    assert counts() == few
    assert few == [2, 2, 4, 4, 1]  # the leader's boxes are counted with his status × tier matrix


def test_a_problem_labelled_above_the_leaders_clearance_leaves_its_measure_off_his_desk(
    personas: Any, monkeypatch: Any
) -> None:
    from tests.accounts.conftest import make_admin
    from zhenggai.accounts.services import clearance_set
    from zhenggai.ledger import services

    w = build_desk_round(personas)
    clearance_set(actor=make_admin("secadmin", "security_admin"), user=personas.clerk, clearance="sensitive")
    personas.clerk.refresh_from_db()
    services.finding_set_sensitivity(actor=personas.clerk, finding=w.problems["red"], sensitivity="sensitive")
    user = personas.responsible_leader
    tiers = desks.visible_round_tiers(user)
    hidden = desks.hidden_findings(user=user, round_ids=tiers)
    assert hidden == [w.problems["red"].pk]
    by_id = desks.leader_desk(user=user, tiers=tiers, hidden=hidden)
    monkeypatch.setattr(desks, "HIDDEN_MAX", 0)  # too many to list: each measure joined to its problem
    joined = desks.leader_desk(user=user, tiers=tiers, hidden=hidden)
    for d in (by_id, joined, desks.leader_desk(user=user, tiers=tiers)):
        assert d.total == 4
        assert w.measures["red"].pk not in [m.pk for m in d.urgent.items]
        assert {status: row for status, _, row, _ in d.matrix} == {
            "not_started": {"black": 1, "yellow": 1, "green": 1, "": 1}
        }
    # The clerk, cleared for 敏感, has nothing hidden.
    assert desks.hidden_findings(user=personas.clerk, round_ids=tiers) == []


def test_the_leaders_matrix_is_the_same_counted_by_deadline_or_by_round(personas: Any) -> None:
    from zhenggai.supervision.models import default_tiers

    w = build_desk_round(personas)
    user = personas.responsible_leader
    one = desks.leader_desk(user=user, tiers={w.round.pk: default_tiers()})
    # Another round with other tiers: each measure's tier is then placed by its round's.
    later = [{**t, "days": t["days"] - 100} for t in default_tiers()]
    two = desks.leader_desk(user=user, tiers={w.round.pk: default_tiers(), w.round.pk + 1: later})
    assert one.matrix == two.matrix and one.tier_totals == two.tier_totals
    assert one.tier_totals == {"black": 1, "red": 1, "yellow": 1, "green": 1, "": 1}
    # Under the later tiers no measure is in a tier yet (the first begins 80 days late).
    other = desks.leader_desk(user=user, tiers={w.round.pk: later, w.round.pk + 1: default_tiers()})
    assert other.tier_totals == {"": 5}
    assert [m.tier for m in other.urgent.items] == [""] * 5
