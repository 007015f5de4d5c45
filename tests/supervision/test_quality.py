"""整改质量体检: each sign of sham rectification raised from the ledger, with its evidence."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.http import Http404
from django.utils import timezone

from tests.supervision.desk_world import approve, build_desk_round, report
from tests.today import days_from_today
from tests.web.conftest import PDF
from zhenggai.supervision.selectors import quality


def _flags(personas: Any) -> dict[str, quality.Flag]:
    unit = quality.quality_unit_for_user(user=personas.supervisor, unit_id=personas.unit_a.pk)
    return {f.code: f for f in quality.quality_report(user=personas.supervisor, unit=unit).flags}


def test_the_same_file_behind_measures_of_different_problems_is_flagged_with_its_digest(
    personas: Any,
) -> None:
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Evidence

    w = build_desk_round(personas)
    for tier in ("red", "yellow"):
        services.progress_add(
            actor=personas.person,
            measure=w.measures[tier],
            text=f"已整改{tier}",
            files=[(io.BytesIO(PDF), f"{tier}.pdf")],
        )
    flag = _flags(personas)["shared-evidence"]
    (case,) = flag.cases
    digest = Evidence.objects.filter(measure=w.measures["red"]).get().storage_name
    assert {m.pk for m in case.measures} == {w.measures["red"].pk, w.measures["yellow"].pk}
    assert dict(case.details)["内容摘要"].endswith(digest)
    assert "red.pdf" in dict(case.details)["文件名"]


def test_progress_text_copied_across_measures_is_flagged_with_the_text(personas: Any) -> None:
    from zhenggai.ledger import services

    w = build_desk_round(personas)
    copied = "组织全体干部职工召开专题会议，逐条对照问题清单进行了深入剖析和整改落实。"
    for tier in ("red", "green"):
        services.progress_add(actor=personas.person, measure=w.measures[tier], text=copied)
    services.progress_add(
        actor=personas.person, measure=w.measures["yellow"], text="已完成"
    )  # too short to count
    flag = _flags(personas)["copied-progress"]
    (case,) = flag.cases
    assert case.quote == copied
    assert {m.pk for m in case.measures} == {w.measures["red"].pk, w.measures["green"].pk}


def test_completion_before_the_plan_was_signed_or_the_measure_assigned_is_flagged(personas: Any) -> None:
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Measure, MeasureKind

    w = build_desk_round(personas)
    approve(personas, w.measures["green"])
    approve(personas, w.measures["yellow"])
    Measure.objects.filter(pk=w.measures["yellow"].pk).update(
        kind=MeasureKind.IMMEDIATE
    )  # 立行立改: before the plan is fine
    flag = _flags(personas)["early-completion"]
    assert [c.measure_ids for c in flag.cases] == [[w.measures["green"].pk]]
    assert "方案尚未签字" in flag.cases[0].summary
    # Signed afterwards: still "before the plan was signed"; and assigned after completion.
    services.plan_sign(actor=personas.leader, round=w.round)
    Measure.objects.filter(pk=w.measures["green"].pk).update(
        assigned_at=timezone.now() + dt.timedelta(hours=1)
    )
    (case,) = _flags(personas)["early-completion"].cases
    assert "早于分配责任人" in case.summary and "早于方案签字" in case.summary


def test_many_measures_completed_just_before_their_deadline_are_flagged_per_round(personas: Any) -> None:
    from zhenggai.ledger.models import Measure

    w = build_desk_round(personas)
    tz = timezone.get_current_timezone()
    for tier in ("black", "red", "yellow"):
        approve(personas, w.measures[tier])
        m = Measure.objects.get(pk=w.measures[tier].pk)
        rushed = dt.datetime.combine(m.deadline, dt.time(22, 30), tzinfo=tz)
        Measure.objects.filter(pk=m.pk).update(completed_at=rushed)
    flag = _flags(personas)["deadline-rush"]
    (case,) = flag.cases
    assert len(case.measure_ids) == 3
    assert dict(case.details)["临近时限完成"].startswith("3")


def test_a_finished_measure_without_evidence_is_flagged(personas: Any) -> None:
    from zhenggai.ledger import services

    w = build_desk_round(personas)
    approve(personas, w.measures["green"])
    services.progress_add(
        actor=personas.person, measure=w.measures["red"], text="已整改", files=[(io.BytesIO(PDF), "red.pdf")]
    )
    services.measure_submit(actor=personas.person, measure=w.measures["red"])
    services.measure_review(actor=personas.leader, measure=w.measures["red"], decision="approve")
    flag = _flags(personas)["no-evidence"]
    assert [c.measure_ids for c in flag.cases] == [[w.measures["green"].pk]]


def test_a_long_term_measure_without_a_stage_report_for_months_is_flagged(personas: Any) -> None:
    from zhenggai.ledger.models import Measure, MeasureKind, Progress
    from zhenggai.supervision.models import RoundSettings

    w = build_desk_round(personas)
    RoundSettings.objects.create(round=w.round, unit=w.round.unit, stage_report_months=2)
    Measure.objects.filter(pk__in=[w.measures[""].pk, w.measures["green"].pk]).update(
        kind=MeasureKind.LONG_TERM
    )
    report(personas, w.measures[""])
    Progress.objects.filter(measure=w.measures[""]).update(created_at=timezone.now() - dt.timedelta(days=75))
    Measure.objects.filter(pk=w.measures["green"].pk).update(
        assigned_at=timezone.now() - dt.timedelta(days=10)
    )
    flag = _flags(personas)["stale-long-term"]
    assert [c.measure_ids for c in flag.cases] == [[w.measures[""].pk]]
    assert dict(flag.cases[0].details)["规定间隔"] == "2 个月"


def test_a_vague_measure_is_flagged_by_the_lint_rule(personas: Any) -> None:
    from zhenggai.ledger import services

    w = build_desk_round(personas)
    vague = services.measure_create(
        actor=personas.clerk, finding=w.problems["red"], text="进一步加强学习，切实提高思想认识。"
    )
    services.measure_create(
        actor=personas.clerk, finding=w.problems["red"], text="进一步加强学习，于3月底前修订《学习制度》。"
    )
    flag = _flags(personas)["vague"]
    assert [c.measure_ids for c in flag.cases] == [[vague.pk]]
    assert quality.is_vague("不断增强意识") and not quality.is_vague("开展检查2次")


def test_the_quality_page_is_only_for_a_supervisor_above_the_unit(personas: Any) -> None:
    for user in (personas.outsider, personas.clerk, personas.leader):
        with pytest.raises(Http404):
            quality.quality_unit_for_user(user=user, unit_id=personas.unit_a.pk)
    assert (
        quality.quality_unit_for_user(user=personas.supervisor, unit_id=personas.unit_a.pk) == personas.unit_a
    )


def test_the_quality_report_makes_as_many_queries_for_many_measures_as_for_few(personas: Any) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    w = build_desk_round(personas)
    approve(personas, w.measures["green"])
    unit = quality.quality_unit_for_user(user=personas.supervisor, unit_id=personas.unit_a.pk)

    def count() -> int:
        with CaptureQueriesContext(connection) as q:
            quality.quality_report(user=personas.supervisor, unit=unit)
        return len(q.captured_queries)

    few = count()
    for i in range(3):
        more = build_desk_round(personas, title=f"第{i + 3}轮")
        approve(personas, more.measures["green"])
    assert count() == few
    assert days_from_today(0)  # dates of the world are relative to today


def test_a_case_involving_a_measure_above_the_supervisors_clearance_shows_neither_the_text_nor_the_files(
    personas: Any,
) -> None:
    """REQ-1.10: the copied text and the file names are the labelled measure's content."""
    from zhenggai.ledger import services

    w = build_desk_round(personas)
    copied = "组织全体干部职工召开专题会议，逐条对照问题清单进行了深入剖析和整改落实。"
    for tier in ("red", "green"):
        services.progress_add(
            actor=personas.person,
            measure=w.measures[tier],
            text=copied,
            files=[(io.BytesIO(PDF), f"{tier}-名单.pdf")],
        )
    personas.clerk.clearance = "sensitive"
    personas.clerk.save(update_fields=["clearance"])
    services.measure_set_sensitivity(actor=personas.clerk, measure=w.measures["red"], sensitivity="sensitive")
    flags = _flags(personas)  # the supervisor is cleared for 内部 only
    (text_case,) = flags["copied-progress"].cases
    assert text_case.quote == ""
    (file_case,) = flags["shared-evidence"].cases
    assert "文件名" not in dict(file_case.details)
    hidden = next(m for m in file_case.measures if m.pk == w.measures["red"].pk)
    assert (hidden.text, hidden.cleared) == ("", False)
