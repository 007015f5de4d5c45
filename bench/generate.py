"""Synthetic ledgers for the benchmarks: a round of any size, built like a real one.

``build_round(problems=2000, measures_per_problem=5)`` makes 10 categories, issues
of 10 problems each, owners spread over 20 people and 10 departments, deadlines
spread over a year around today and statuses in realistic proportions.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.utils import timezone

from zhenggai.ledger import services
from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus
from zhenggai.units.models import Role, UnitKind
from zhenggai.units.services import membership_grant, unit_create

STATUSES = [
    (MeasureStatus.NOT_STARTED, 20),
    (MeasureStatus.IN_PROGRESS, 40),
    (MeasureStatus.PENDING_REVIEW, 10),
    (MeasureStatus.DONE, 25),
    (MeasureStatus.STAGE_DONE, 5),
]


def build_round(*, problems: int = 2000, measures_per_problem: int = 5, seed: int = 7) -> dict[str, Any]:
    rng = random.Random(seed)
    User = get_user_model()
    county = unit_create(actor=None, name=f"县委{seed}", parent=None, kind=UnitKind.COMMITTEE)
    unit = unit_create(actor=None, name="某某局", parent=county, kind=UnitKind.BUREAU)
    depts = [
        unit_create(actor=None, name=f"第{i}科", parent=unit, kind=UnitKind.DEPARTMENT) for i in range(10)
    ]

    def user(name: str, where: Any, role: str) -> Any:
        u = User.objects.create(username=name, display_name=name)
        membership_grant(actor=None, user=u, unit=where, role=role)
        return u

    clerk = user("bench_clerk", unit, Role.CLERK)
    leader = user("bench_leader", unit, Role.UNIT_LEADER)
    supervisor = user("bench_supervisor", county, Role.SUPERVISOR)
    people = [user(f"bench_p{i}", unit, Role.RESPONSIBLE_PERSON) for i in range(20)]
    round_ = services.round_create(
        actor=clerk, unit=unit, title="基准测试轮次", feedback_date=dt.date(2026, 1, 10)
    )

    pos = 0

    def nodes(kind: str, parents: list[Finding | None], n_each: int) -> list[Finding]:
        nonlocal pos
        batch = []
        for p in parents:
            for i in range(n_each):
                pos += 1
                batch.append(
                    Finding(
                        round=round_,
                        unit=unit,
                        parent=p,
                        kind=kind,
                        number=str(i + 1),
                        title=f"{kind}问题{pos}：制度执行不严格，监督管理不到位",
                        position=pos,
                    )
                )
        return Finding.objects.bulk_create(batch, batch_size=1000)

    cats = nodes(FindingKind.CATEGORY, [None], 10)
    issues_per_cat = max(1, problems // 100)
    issues = nodes(FindingKind.ISSUE, cats, issues_per_cat)
    probs = nodes(FindingKind.PROBLEM, issues, max(1, problems // (10 * issues_per_cat)))
    today = timezone.localdate()
    weights = [w for _, w in STATUSES]
    measures = []
    for p in probs:
        for j in range(measures_per_problem):
            status = rng.choices([s for s, _ in STATUSES], weights)[0]
            measures.append(
                Measure(
                    round=round_,
                    unit=unit,
                    finding=p,
                    position=j + 1,
                    status=status,
                    text=f"一是建立健全相关制度，开展专项检查{j + 1}次；二是对相关责任人进行提醒谈话。",
                    person=rng.choice(people),
                    leader=leader,
                    department=rng.choice(depts),
                    deadline=today + dt.timedelta(days=rng.randint(-120, 240)),
                )
            )
    Measure.objects.bulk_create(measures, batch_size=2000)
    return {
        "round": round_,
        "clerk": clerk,
        "leader": leader,
        "supervisor": supervisor,
        "people": people,
        "problems": len(probs),
        "measures": len(measures),
    }
