"""整改成效评估: a round's indicator scheme (the default: 6 dimensions, 20 indicators, 100 points),
scored by supervisors in scope, and the report's figures."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from tests.supervision.followup_world import add_supervisor
from tests.web.conftest import build_round
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused
from zhenggai.supervision.models import Indicator, Score
from zhenggai.supervision.selectors import followup
from zhenggai.supervision.services import evaluation


def test_the_default_scheme_has_six_dimensions_and_twenty_indicators_worth_100_points(personas: Any) -> None:
    w = build_round(personas)
    made = evaluation.scheme_apply_default(actor=personas.supervisor, round=w.round)
    assert len(made) == 20
    report = followup.evaluation_report(user=personas.supervisor, round=w.round)
    assert [d.name for d in report.dimensions] == [
        "责任落实",
        "任务落实",
        "组织落实",
        "满意度测评",
        "督查组测评",
        "创新工作",
    ]
    assert report.max_score == Decimal(100)
    assert report.total is None and report.evaluators == 0
    assert AuditEvent.objects.get(action="evaluation.scheme").after == {"scheme": "default", "indicators": 20}
    with pytest.raises(TransitionRefused, match="已有评估指标"):
        evaluation.scheme_apply_default(actor=personas.supervisor, round=w.round)


def test_only_a_supervisor_sets_the_scheme_and_scores(personas: Any) -> None:
    w = build_round(personas)
    with pytest.raises(NotAllowed, match="没有权限"):
        evaluation.scheme_apply_default(actor=personas.clerk, round=w.round)
    ind = evaluation.indicator_add(
        actor=personas.supervisor, round=w.round, dimension="责任落实", name="专题研究", max_score="10"
    )
    with pytest.raises(NotAllowed, match="没有权限"):
        evaluation.score_record(actor=personas.leader, indicator=ind, score="5")


def test_a_score_lies_between_0_and_the_indicators_maximum_and_is_replaced_by_the_next(personas: Any) -> None:
    w = build_round(personas)
    ind = evaluation.indicator_add(
        actor=personas.supervisor, round=w.round, dimension="任务落实", name="完成率", max_score="6"
    )
    for bad in ("6.5", "-1", "abc"):
        with pytest.raises(InvalidInput) as err:
            evaluation.score_record(actor=personas.supervisor, indicator=ind, score=bad)
        assert err.value.field == "score"
    evaluation.score_record(actor=personas.supervisor, indicator=ind, score="4", comment="尚有2项未完成")
    evaluation.score_record(actor=personas.supervisor, indicator=ind, score="5.5", comment="")
    row = Score.objects.get()
    assert row.score == Decimal("5.5") and row.comment == ""
    assert AuditEvent.objects.filter(action="evaluation.score").count() == 2


def test_the_report_averages_each_indicator_across_evaluators_and_sums_dimensions(personas: Any) -> None:
    w = build_round(personas)
    second = add_supervisor(personas, "sup2", personas.police)
    a = evaluation.indicator_add(
        actor=personas.supervisor, round=w.round, dimension="责任落实", name="专题研究", max_score="10"
    )
    b = evaluation.indicator_add(
        actor=personas.supervisor, round=w.round, dimension="责任落实", name="分解到人", max_score="10"
    )
    c = evaluation.indicator_add(
        actor=personas.supervisor, round=w.round, dimension="创新工作", name="创新举措", max_score="5"
    )
    evaluation.score_record(actor=personas.supervisor, indicator=a, score="8")
    evaluation.score_record(actor=second, indicator=a, score="9")
    evaluation.score_record(actor=personas.supervisor, indicator=b, score="7")
    evaluation.score_record(actor=second, indicator=c, score="4")

    report = followup.evaluation_report(user=personas.supervisor, round=w.round)
    duty, innovation = report.dimensions
    assert (duty.name, duty.max_score, duty.average) == ("责任落实", Decimal(20), Decimal("15.50"))
    assert [(r.average, r.evaluators) for r in duty.indicators] == [
        (Decimal("8.50"), 2),
        (Decimal("7.00"), 1),
    ]
    assert (innovation.max_score, innovation.average) == (Decimal(5), Decimal("4.00"))
    assert report.max_score == Decimal(25) and report.total == Decimal("19.50")
    assert report.evaluators == 2
    # Each evaluator's own score is shown to them.
    assert duty.indicators[0].mine is not None and duty.indicators[0].mine.score == Decimal(8)


def test_an_indicator_is_edited_not_below_a_given_score_and_deleted_only_unscored(personas: Any) -> None:
    w = build_round(personas)
    ind = evaluation.indicator_add(
        actor=personas.supervisor, round=w.round, dimension="组织落实", name="台账", max_score="4"
    )
    evaluation.score_record(actor=personas.supervisor, indicator=ind, score="3")
    with pytest.raises(InvalidInput, match="不能低于") as err:
        evaluation.indicator_update(
            actor=personas.supervisor, indicator=ind, dimension="组织落实", name="台账", max_score="2"
        )
    assert err.value.field == "max_score"
    evaluation.indicator_update(
        actor=personas.supervisor, indicator=ind, dimension="组织落实", name="台账规范", max_score="5"
    )
    with pytest.raises(TransitionRefused, match="已有评分"):
        evaluation.indicator_delete(actor=personas.supervisor, indicator=ind)
    other = evaluation.indicator_add(
        actor=personas.supervisor, round=w.round, dimension="组织落实", name="公开", max_score="4"
    )
    evaluation.indicator_delete(actor=personas.supervisor, indicator=other)
    assert list(Indicator.objects.values_list("name", flat=True)) == ["台账规范"]
    ops = [e.after["op"] for e in AuditEvent.objects.filter(action="evaluation.indicator").order_by("seq")]
    assert ops == ["add", "update", "add", "delete"]


def test_an_indicator_needs_a_dimension_a_name_and_a_positive_maximum(personas: Any) -> None:
    w = build_round(personas)
    for dimension, name, top, field in [
        ("", "指标", "5", "dimension"),
        ("维度", " ", "5", "name"),
        ("维度", "指标", "0", "max_score"),
    ]:
        with pytest.raises(InvalidInput) as err:
            evaluation.indicator_add(
                actor=personas.supervisor, round=w.round, dimension=dimension, name=name, max_score=top
            )
        assert err.value.field == field
