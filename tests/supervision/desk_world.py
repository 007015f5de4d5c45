"""A round of unit A for the desk, dashboard and quality tests: one problem per warning tier
(black, red, yellow, green, none), each with one measure assigned to ``person`` and led by
``responsible_leader``, built through the services as a clerk would."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from tests.today import days_from_today

#: Days to the deadline of each tier's measure under the default tiers.
DEADLINES = {"black": -40, "red": -5, "yellow": 5, "green": 15, "": 100}


@dataclass
class DeskWorld:
    round: Any
    problems: dict[str, Any]
    measures: dict[str, Any]  # by tier key ("" for none)


def build_desk_round(
    personas: Any, *, title: str = "县委第二巡察组反馈意见整改", feedback: dt.date | None = None
) -> DeskWorld:
    from zhenggai.ledger import services

    clerk = personas.clerk
    r = services.round_create(
        actor=clerk, unit=personas.unit_a, title=title, feedback_date=feedback or days_from_today(-60)
    )
    cat = services.finding_create(
        actor=clerk, round=r, parent=None, kind="category", title="纪律建设方面", number="一"
    )
    problems, measures = {}, {}
    for i, (tier, days) in enumerate(DEADLINES.items()):
        p = services.finding_create(
            actor=clerk,
            round=r,
            parent=cat,
            kind="problem",
            title=f"问题{i + 1}：{tier or '无'}",
            number=f"{i + 1}.",
        )
        m = services.measure_create(actor=clerk, finding=p, text=f"制定制度并开展检查第{i + 1}项")
        services.measure_assign_bulk(
            actor=clerk,
            round=r,
            measure_ids=[m.pk],
            person=personas.person,
            leader=personas.responsible_leader,
            deadline=days_from_today(days),
        )
        m.refresh_from_db()
        problems[tier], measures[tier] = p, m
    return DeskWorld(r, problems, measures)


def report(personas: Any, measure: Any, text: str = "已按要求完成整改") -> None:
    from zhenggai.ledger import services

    services.progress_add(actor=personas.person, measure=measure, text=text)


def submit(personas: Any, measure: Any) -> None:
    from zhenggai.ledger import services

    report(personas, measure)
    services.measure_submit(actor=personas.person, measure=measure)
    measure.refresh_from_db()


def return_with(personas: Any, measure: Any, reason: str) -> None:
    from zhenggai.ledger import services

    submit(personas, measure)
    services.measure_review(actor=personas.leader, measure=measure, decision="return", reason=reason)
    measure.refresh_from_db()


def approve(personas: Any, measure: Any) -> None:
    from zhenggai.ledger import services

    submit(personas, measure)
    services.measure_review(actor=personas.leader, measure=measure, decision="approve")
    measure.refresh_from_db()
