"""整改成效评估: a round's indicator scheme (dimensions → indicators with their maximum
scores), set by a supervisor or taken from the default, and the evaluators' scores.

The default is modelled on 东海县's quantitative scheme (domain-research §2 item 8): six
dimensions (责任落实, 任务落实, 组织落实, 满意度测评, 督查组测评, 创新工作) and twenty indicators.
The research names the dimensions and the count, not the indicators: those below are ours,
drawn from what the same sources check (专题研究, 按期完成, 台账, 公开, 满意度, 回头看, 长效机制),
weighted to 100 points.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Max

from zhenggai.accounts.actors import Actor
from zhenggai.audit.services import audit_change
from zhenggai.errors import InvalidInput, TransitionRefused
from zhenggai.ledger.models import Round
from zhenggai.ledger.policy import SUPERVISE_ROLES, require_role

from ..models import Indicator, Score

#: (dimension, [(indicator, max score)]): 6 dimensions, 20 indicators, 100 points.
DEFAULT_SCHEME: list[tuple[str, list[tuple[str, int]]]] = [
    (
        "责任落实",
        [
            ("党委（党组）专题研究部署整改，主体责任压实到位", 5),
            ("主要负责人（第一责任人）亲自抓、带头改", 5),
            ("整改任务逐项分解到责任领导、责任部门和责任人", 5),
            ("责任领导履行“一岗双责”，督促分管领域整改", 5),
        ],
    ),
    (
        "任务落实",
        [
            ("反馈问题整改完成率", 6),
            ("整改措施按期完成率（含申请延期情况）", 6),
            ("整改措施具体可行、针对问题、成效明显", 6),
            ("立行立改问题即知即改、落实到位", 6),
            ("移交问题线索和专项治理事项按时办结", 6),
        ],
    ),
    (
        "组织落实",
        [
            ("按时制定并报送整改方案，方案经主要负责人签字", 4),
            ("整改台账建立规范、动态更新、对账销号", 4),
            ("按时报送整改进展情况和整改报告，按规定公开", 4),
            ("举一反三，建章立制，形成长效机制", 3),
        ],
    ),
    (
        "满意度测评",
        [
            ("干部职工对整改成效的满意度", 5),
            ("服务对象对整改成效的满意度", 5),
            ("群众和“两代表一委员”对整改成效的评价", 5),
        ],
    ),
    (
        "督查组测评",
        [
            ("督查中发现的整改不到位问题及时整改", 5),
            ("回头看中已销号问题巩固良好、无反弹", 5),
        ],
    ),
    (
        "创新工作",
        [
            ("以案促改、以改促治，整改工作有创新举措", 5),
            ("整改经验做法被上级推广或媒体宣传", 5),
        ],
    ),
]

SCORE_MAX = Decimal("1000")


def _decimal(value: Any, field: str, what: str) -> Decimal:
    try:
        d = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise InvalidInput(f"{what}不是有效的数字", field=field) from exc
    if not d.is_finite():
        raise InvalidInput(f"{what}不是有效的数字", field=field)
    return d.quantize(Decimal("0.01"))


def _clean_indicator(dimension: str, name: str, max_score: Any) -> tuple[str, str, Decimal]:
    dimension, name = dimension.strip(), name.strip()
    if not dimension:
        raise InvalidInput("请填写评估维度", field="dimension")
    if len(dimension) > 100:
        raise InvalidInput("评估维度不超过100字", field="dimension")
    if not name:
        raise InvalidInput("请填写评估指标", field="name")
    if len(name) > 300:
        raise InvalidInput("评估指标不超过300字", field="name")
    top = _decimal(max_score, "max_score", "分值")
    if not Decimal(0) < top <= SCORE_MAX:
        raise InvalidInput("分值应大于0且不超过1000", field="max_score")
    return dimension, name, top


@transaction.atomic
def scheme_apply_default(*, actor: Actor, round: Round) -> list[Indicator]:
    """A supervisor gives ``round`` the default scheme (6 dimensions, 20 indicators); refused
    when the round has a scheme already."""
    require_role(actor, round.unit, SUPERVISE_ROLES, "设置整改成效评估指标")
    Round.objects.select_for_update().filter(pk=round.pk).first()
    if Indicator.objects.filter(round=round).exists():
        raise TransitionRefused("该轮次已有评估指标，不能再套用默认方案")
    rows = []
    position = 0
    for dimension, indicators in DEFAULT_SCHEME:
        for name, top in indicators:
            position += 1
            rows.append(
                Indicator(
                    round=round,
                    unit=round.unit,
                    dimension=dimension,
                    name=name,
                    max_score=Decimal(top),
                    position=position,
                )
            )
    made = Indicator.objects.bulk_create(rows)
    audit_change(actor, "evaluation.scheme", round, after={"scheme": "default", "indicators": len(made)})
    return made


@transaction.atomic
def indicator_add(*, actor: Actor, round: Round, dimension: str, name: str, max_score: Any) -> Indicator:
    """A supervisor adds an indicator to the round's scheme (at the end)."""
    require_role(actor, round.unit, SUPERVISE_ROLES, "设置整改成效评估指标")
    dimension, name, top = _clean_indicator(dimension, name, max_score)
    last = Indicator.objects.filter(round=round).aggregate(m=Max("position"))["m"] or 0
    ind = Indicator(
        round=round, unit=round.unit, dimension=dimension, name=name, max_score=top, position=last + 1
    )
    ind.full_clean()
    ind.save()
    audit_change(
        actor,
        "evaluation.indicator",
        ind,
        after={"op": "add", "dimension": dimension, "name": name, "max_score": str(top)},
    )
    return ind


@transaction.atomic
def indicator_update(
    *, actor: Actor, indicator: Indicator, dimension: str, name: str, max_score: Any
) -> Indicator:
    """A supervisor changes an indicator; its maximum may not fall below a score given."""
    ind = Indicator.objects.select_for_update().select_related("unit").get(pk=indicator.pk)
    require_role(actor, ind.unit, SUPERVISE_ROLES, "设置整改成效评估指标")
    dimension, name, top = _clean_indicator(dimension, name, max_score)
    highest = ind.scores.aggregate(m=Max("score"))["m"]
    if highest is not None and top < highest:
        raise InvalidInput(f"已有评分 {highest} 分，分值不能低于已给出的评分", field="max_score")
    before = {"dimension": ind.dimension, "name": ind.name, "max_score": str(ind.max_score)}
    ind.dimension, ind.name, ind.max_score = dimension, name, top
    ind.full_clean()
    ind.save(update_fields=["dimension", "name", "max_score"])
    audit_change(
        actor,
        "evaluation.indicator",
        ind,
        before=before,
        after={"op": "update", "dimension": dimension, "name": name, "max_score": str(top)},
    )
    return ind


@transaction.atomic
def indicator_delete(*, actor: Actor, indicator: Indicator) -> None:
    """A supervisor removes an indicator nobody has scored yet."""
    ind = Indicator.objects.select_for_update().select_related("unit").get(pk=indicator.pk)
    require_role(actor, ind.unit, SUPERVISE_ROLES, "设置整改成效评估指标")
    if ind.scores.exists():
        raise TransitionRefused("该指标已有评分，不能删除")
    audit_change(
        actor,
        "evaluation.indicator",
        ind,
        before={"dimension": ind.dimension, "name": ind.name, "max_score": str(ind.max_score)},
        after={"op": "delete"},
    )
    ind.delete()


@transaction.atomic
def score_record(*, actor: Actor, indicator: Indicator, score: Any, comment: str = "") -> Score:
    """A supervisor in scope (an evaluator) scores one indicator, 0 to its maximum; a second
    score of the same indicator by the same evaluator replaces the first."""
    ind = Indicator.objects.select_related("unit").get(pk=indicator.pk)
    require_role(actor, ind.unit, SUPERVISE_ROLES, "评分")
    value = _decimal(score, "score", "得分")
    if not Decimal(0) <= value <= ind.max_score:
        raise InvalidInput(f"得分应在 0 到 {ind.max_score} 分之间", field="score")
    row = Score.objects.select_for_update().filter(indicator=ind, evaluator=actor).first()
    before = {"score": str(row.score), "comment": row.comment} if row else None
    if row is None:
        row = Score(indicator=ind, unit=ind.unit, evaluator=actor, score=value, comment=comment.strip())
    else:
        row.score, row.comment = value, comment.strip()
    row.full_clean(validate_constraints=False)
    row.save()
    audit_change(
        actor,
        "evaluation.score",
        row,
        before=before,
        after={"indicator": ind.pk, "score": str(value), "comment": row.comment},
    )
    return row
