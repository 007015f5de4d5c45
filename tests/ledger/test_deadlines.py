"""Deadlines are checked (issue 11): not before the feedback date, not past the five-year bound,
required unless 长期坚持, on every path a deadline enters by (the form, the bulk assignment,
the workbook, the plan import); a plan is signed only with its deadlines; a deadline after the
round's rectification period is a warning, not a refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse

from tests.reports.test_xlsx_fixtures import edited, export_bytes, set_cell
from tests.today import days_from_today
from tests.web.conftest import World, build_round, client_for
from zhenggai.errors import InvalidInput, TransitionRefused
from zhenggai.ledger import services
from zhenggai.ledger.models import Measure, MeasureKind, PlanSignature, Round
from zhenggai.reports.xlsx_import import import_workbook

__all__ = ["client_for"]  # the fixture, imported for pytest

ABSURD = [dt.date(1999, 1, 1), dt.date(2099, 1, 1)]


@pytest.fixture
def world(personas: Any) -> World:
    return build_round(personas)


def fresh(m: Measure) -> Measure:
    return Measure.objects.select_related("round", "unit", "finding").get(pk=m.pk)


def a_round(personas: Any, **dates: Any) -> Round:
    return services.round_create(actor=personas.clerk, unit=personas.unit_a, title="时限检查", **dates)


# --- the bounds ----------------------------------------------------------------------------------


def test_the_earliest_deadline_is_the_feedback_date_even_when_the_inspection_began_earlier(personas):
    r = a_round(personas, period_start=days_from_today(-90), feedback_date=days_from_today(-30))
    services.check_deadline(round=r, deadline=days_from_today(-30))
    with pytest.raises(InvalidInput, match="早于反馈日期") as err:
        services.check_deadline(round=r, deadline=days_from_today(-31))
    assert err.value.field == "deadline"


def test_without_a_feedback_date_the_inspection_start_is_the_earliest(personas):
    r = a_round(personas, period_start=days_from_today(-90))
    services.check_deadline(round=r, deadline=days_from_today(-90))
    with pytest.raises(InvalidInput, match="早于巡察开始日期"):
        services.check_deadline(round=r, deadline=days_from_today(-91))


@pytest.mark.parametrize("bad", ABSURD, ids=["1999", "2099"])
def test_1999_and_2099_are_refused_by_the_form_the_bulk_assignment_and_the_edit(
    personas, world, client_for, bad
):
    m = fresh(world.fresh)
    with pytest.raises(InvalidInput, match="完成时限"):
        services.measure_assign_bulk(
            actor=personas.clerk, round=world.round, measure_ids=[m.pk], deadline=bad
        )
    with pytest.raises(InvalidInput, match="完成时限"):
        services.measure_update(actor=personas.clerk, measure=m, expected_version=m.version, deadline=bad)
    with pytest.raises(InvalidInput, match="完成时限"):
        services.measure_create(actor=personas.clerk, finding=world.problem, text="新措施", deadline=bad)
    response = client_for(personas.clerk).post(
        reverse("web:measure-edit", args=[m.pk]),
        {"text": m.text, "kind": m.kind, "deadline": bad.isoformat(), "version": m.version},
    )
    assert response.status_code == 400 and "完成时限" in response.content.decode()
    assigned = client_for(personas.clerk).post(
        reverse("web:round-assign", args=[world.round.pk]), {"measures": [m.pk], "deadline": bad.isoformat()}
    )
    assert assigned.status_code in (302, 400)
    assert fresh(m).deadline == days_from_today(200)


@pytest.mark.parametrize("bad", ABSURD, ids=["1999", "2099"])
def test_1999_and_2099_are_refused_in_the_workbook(personas, world, bad):
    data = edited(
        export_bytes(personas.clerk, world.round), lambda ws: set_cell(ws, world.fresh.pk, "deadline", bad)
    )
    report = import_workbook(actor=personas.clerk, round=world.round, data=data, dry_run=False)
    assert not report.applied
    assert any("完成时限" in str(e) for e in report.errors)
    assert fresh(world.fresh).deadline == days_from_today(200)


@pytest.mark.parametrize("bad", ABSURD, ids=["1999", "2099"])
def test_a_plan_imports_suggested_1999_or_2099_is_not_offered_to_be_taken(personas, world, bad):
    from zhenggai.ledger.imports import suggestion_in_bounds

    assert suggestion_in_bounds(world.round, bad) is None
    assert suggestion_in_bounds(world.round, days_from_today(30)) == days_from_today(30)
    # A suggestion stored before this check is still refused when taken.
    Measure.objects.filter(pk=world.fresh.pk).update(suggested_deadline=bad)
    with pytest.raises(InvalidInput, match="完成时限"):
        services.measure_accept_suggestion(actor=personas.clerk, measure=fresh(world.fresh))


# --- required unless 长期坚持 ---------------------------------------------------------------------


def test_a_person_editing_a_measure_must_leave_it_a_deadline_unless_long_term(personas, world):
    m = fresh(world.fresh)
    with pytest.raises(InvalidInput, match="请填写完成时限") as err:
        services.measure_update(actor=personas.clerk, measure=m, expected_version=m.version, deadline=None)
    assert err.value.field == "deadline"
    services.measure_update(
        actor=personas.clerk, measure=m, expected_version=m.version, kind=MeasureKind.LONG_TERM, deadline=None
    )
    m = fresh(m)
    assert (m.kind, m.deadline) == (MeasureKind.LONG_TERM, None)
    # Back to 限期整改: it needs a deadline again.
    with pytest.raises(InvalidInput, match="请填写完成时限"):
        services.measure_update(
            actor=personas.clerk, measure=m, expected_version=m.version, kind=MeasureKind.DEADLINE
        )


def test_the_edit_form_without_a_deadline_is_refused_beside_the_field(personas, world, client_for):
    m = fresh(world.fresh)
    response = client_for(personas.clerk).post(
        reverse("web:measure-edit", args=[m.pk]), {"text": m.text, "kind": "deadline", "version": m.version}
    )
    assert response.status_code == 400
    assert "请填写完成时限" in response.content.decode()
    assert fresh(m).deadline == days_from_today(200)


def test_the_workbook_may_not_clear_a_deadline_of_a_measure_that_needs_one(personas, world):
    data = edited(
        export_bytes(personas.clerk, world.round), lambda ws: set_cell(ws, world.fresh.pk, "deadline", None)
    )
    report = import_workbook(actor=personas.clerk, round=world.round, data=data, dry_run=False)
    assert not report.applied
    assert any("请填写完成时限" in str(e) for e in report.errors)


def test_a_new_measure_may_be_drafted_without_a_deadline(personas, world):
    m = services.measure_create(actor=personas.clerk, finding=world.problem, text="起草中的措施")
    assert m.deadline is None


# --- signing -------------------------------------------------------------------------------------


def test_a_plan_with_undated_measures_is_not_signed_and_the_refusal_names_them(personas, world):
    for i in range(4):
        services.measure_create(actor=personas.clerk, finding=world.problem, text=f"未定时限的措施{i}")
    services.measure_create(
        actor=personas.clerk, finding=world.problem, text="长期坚持的措施", kind=MeasureKind.LONG_TERM
    )
    with pytest.raises(TransitionRefused) as err:
        services.plan_sign(actor=personas.leader, round=world.round)
    text = str(err.value)
    assert "4 项" in text and "未定时限的措施0" in text and "等" in text
    assert "长期坚持的措施" not in text
    assert not PlanSignature.objects.exists()
    undated = Measure.objects.filter(round=world.round, deadline__isnull=True, kind=MeasureKind.DEADLINE)
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=world.round,
        measure_ids=list(undated.values_list("pk", flat=True)),
        deadline=days_from_today(60),
    )
    assert services.plan_sign(actor=personas.leader, round=world.round).version == 1


# --- the warning ---------------------------------------------------------------------------------


def test_a_deadline_after_the_report_is_due_is_a_warning_not_a_refusal(personas):
    r = a_round(personas, feedback_date=days_from_today(-10))
    assert r.report_due is not None
    assert services.deadline_warnings(r, r.report_due, MeasureKind.DEADLINE) == []
    (warning,) = services.deadline_warnings(r, r.report_due + dt.timedelta(days=1), MeasureKind.DEADLINE)
    assert "整改报告报送期限" in warning
    assert services.deadline_warnings(r, r.report_due + dt.timedelta(days=1), MeasureKind.LONG_TERM) == []
    services.check_deadline(round=r, deadline=r.report_due + dt.timedelta(days=1), kind=MeasureKind.DEADLINE)


def test_without_a_report_date_the_warning_counts_two_months_from_the_feedback(personas):
    r = a_round(personas, feedback_date=days_from_today(-10))
    Round.objects.filter(pk=r.pk).update(report_due=None)  # an old round without one
    r.refresh_from_db()
    end = services.add_months(r.feedback_date, 2)
    assert services.deadline_warnings(r, end, MeasureKind.DEADLINE) == []
    (warning,) = services.deadline_warnings(r, end + dt.timedelta(days=1), MeasureKind.DEADLINE)
    assert "反馈后两个月" in warning


def test_the_edit_page_shows_the_warning_after_saving(personas, world, client_for):
    m = fresh(world.fresh)
    late = world.round.report_due + dt.timedelta(days=30)
    response = client_for(personas.clerk).post(
        reverse("web:measure-edit", args=[m.pk]),
        {"text": m.text, "kind": "deadline", "deadline": late.isoformat(), "version": m.version},
        follow=True,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "已保存修改" in html and "晚于整改报告报送期限" in html
    assert fresh(m).deadline == late


def test_the_bulk_assignment_page_warns_of_a_late_deadline_too(personas, world, client_for):
    late = world.round.report_due + dt.timedelta(days=30)
    response = client_for(personas.clerk).post(
        reverse("web:round-assign", args=[world.round.pk]),
        {"measures": [world.fresh.pk], "deadline": late.isoformat()},
        follow=True,
    )
    html = response.content.decode()
    assert "已为 1 条措施设置责任人和时限" in html and "晚于整改报告报送期限" in html
    assert fresh(world.fresh).deadline == late
    outsider = client_for(personas.outsider).post(
        reverse("web:round-assign", args=[world.round.pk]), {"measures": [world.fresh.pk]}
    )
    assert outsider.status_code == 404
