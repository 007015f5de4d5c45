"""A small round of unit A ready for the public: a category → issue → problem labelled 公开 with
two public measures and one labelled 内部, a second problem left 内部, and a saved notice
draft whose public progress wording of the first measure carries a citizen's phone number
and ID number.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import pytest

from tests.today import days_from_today

PHONE = "13812345678"
INTERNAL_TEXT = "对涉事民警进行诫勉谈话并调离执法岗位"
INTERNAL_PROBLEM = "个别民警违规处置交通事故案件"


def id_number(first17: str = "34082619800101123") -> str:
    """An 18-digit ID number with its GB 11643 check digit."""
    weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    total = sum(int(c) * w for c, w in zip(first17, weights, strict=True))
    return first17 + "10X98765432"[total % 11]


ID_NUMBER = id_number()
PROGRESS = f"已走访反映问题的人员，回访电话{PHONE}，身份证号{ID_NUMBER}，整改情况已反馈。"


@dataclass
class PublicRound:
    round: Any
    problem: Any
    public_measures: list[Any]
    internal_measure: Any
    internal_problem: Any


@pytest.fixture
def public_round(personas: Any) -> PublicRound:
    from zhenggai.ledger import services
    from zhenggai.reports.services import draft_save

    clerk = personas.clerk
    r = services.round_create(
        actor=clerk,
        unit=personas.unit_a,
        title="县委第一巡察组反馈意见整改",
        inspecting_group="县委第一巡察组",
        period_start=dt.date(2021, 11, 1),
        period_end=dt.date(2021, 11, 30),
        feedback_date=dt.date(2022, 2, 14),
    )
    cat = services.finding_create(
        actor=clerk, round=r, parent=None, kind="category", title="政治建设方面问题"
    )
    issue = services.finding_create(actor=clerk, round=r, parent=cat, kind="issue", title="学习贯彻不深入")
    problem = services.finding_create(
        actor=clerk, round=r, parent=issue, kind="problem", title="理论学习流于形式"
    )
    hidden = services.finding_create(
        actor=clerk, round=r, parent=issue, kind="problem", title=INTERNAL_PROBLEM
    )
    for f in (cat, issue, problem):
        services.finding_set_sensitivity(actor=clerk, finding=f, sensitivity="public")
    measures = [
        services.measure_create(actor=clerk, finding=problem, text=t, deadline=days_from_today(60))
        for t in ("制定年度学习计划", "开展专题学习研讨", INTERNAL_TEXT)
    ]
    for m in measures[:2]:
        services.measure_set_sensitivity(actor=clerk, measure=m, sensitivity="public")
    services.measure_create(actor=clerk, finding=hidden, text="重新调查处理该起事故", deadline=None)
    draft_save(
        actor=clerk,
        round=r,
        expected_version=0,
        kind="notice",
        organisation_text="成立巡察整改工作领导小组，主要负责同志履行第一责任人职责。",
        long_term_text="建立健全长效机制，巩固整改成果。",
        phone="0556-4512345",
        address="望江县雷阳大道1号",
        email="jgdd@wangjiang.gov.cn",
        signing_unit="望江县公安局交通管理大队",
        signed_on=days_from_today(-1),
        progress_texts={str(measures[0].pk): PROGRESS},
    )
    for obj in (r, problem, *measures):
        obj.refresh_from_db()
    return PublicRound(r, problem, measures[:2], measures[2], hidden)


def decide_all(actor: Any, round: Any, kind: str = "notice", action: str = "mask") -> Any:
    """Decide every hit of the check (mask, or keep with a reason); the report after it."""
    from zhenggai.disclosure import services

    report = services.publication_check(actor=actor, round=round, kind=kind)
    for item in report.items:
        services.decision_set(
            actor=actor,
            round=round,
            kind=kind,
            fingerprint=item.fingerprint,
            action=action,
            reason="" if action == "mask" else "已征得本人同意",
        )
    return services.publication_check(actor=actor, round=round, kind=kind)


@pytest.fixture
def published(personas: Any, public_round: PublicRound) -> Any:
    """Version 1 of the notice, checked, masked, submitted by the clerk and approved by the head."""
    from zhenggai.disclosure import services

    decide_all(personas.clerk, public_round.round)
    v = services.version_submit(actor=personas.clerk, round=public_round.round)
    return services.version_approve(actor=personas.leader, version=v)
