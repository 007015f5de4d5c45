"""Benchmark of the desks, the supervisor's dashboard and the quality flags at 10,000 measures.

Builds, in a throw-away SQLite database (or the PostgreSQL of DATABASE_URL), one county with a
supervisor over ``BENCH_UNITS`` units (5), each with ``BENCH_ROUNDS`` rounds (2) of
``BENCH_PROBLEMS`` problems (200) of 5 measures: 10,000 measures, with progress, evidence (some
files shared, some texts copied), returned reviews, extensions, closed and reopened problems.
Then times the server side of each role's home page (the desks), the dashboard, its drill-down
and a unit's quality page through Django's test client (templates and every query included),
median and p95 over repeated requests, with the queries each page makes. Run: `make bench`.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="zhenggai-bench-")
os.environ.setdefault("ZHENGGAI_DATA_DIR", _tmp)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
os.environ.setdefault("ZHENGGAI_ALLOWED_HOSTS", "testserver")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, reset_queries  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402
from django.utils import timezone  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
UNITS = int(os.environ.get("BENCH_UNITS", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
PROBLEMS = int(os.environ.get("BENCH_PROBLEMS", "200"))
MEASURES_PER_PROBLEM = 5


def build(seed: int = 11) -> dict[str, Any]:
    """The county, its units and rounds, written with bulk inserts (the services' rows, fast)."""
    from zhenggai.ledger import services
    from zhenggai.ledger.models import (
        Evidence,
        Finding,
        FindingKind,
        Measure,
        MeasureKind,
        MeasureStatus,
        ProblemStatus,
        Progress,
        Review,
        ReviewDecision,
    )
    from zhenggai.supervision.models import Extension, ExtensionStatus
    from zhenggai.units.models import Role, UnitKind
    from zhenggai.units.services import membership_grant, unit_create

    rng = random.Random(seed)
    User = get_user_model()
    S = MeasureStatus
    statuses = [
        (S.NOT_STARTED, 15),
        (S.IN_PROGRESS, 40),
        (S.PENDING_REVIEW, 8),
        (S.LEADER_REVIEW, 2),
        (S.DONE, 30),
        (S.STAGE_DONE, 5),
    ]
    texts = [
        "一是建立健全相关制度，开展专项检查{n}次；二是对相关责任人进行提醒谈话。",
        "进一步加强学习，切实提高思想认识。",
        "修订《财务管理办法》，于{n}月底前完成。",
    ]

    def user(name: str, where: Any, role: str) -> Any:
        u = User.objects.create(username=name, display_name=name)
        membership_grant(actor=None, user=u, unit=where, role=role)
        return u

    county = unit_create(actor=None, name="县委（督办基准）", parent=None, kind=UnitKind.COMMITTEE)
    supervisor = user("sup_supervisor", county, Role.SUPERVISOR)
    now = timezone.now()
    today = timezone.localdate()
    first: dict[str, Any] = {}
    measures_total = 0
    for u_i in range(UNITS):
        unit = unit_create(actor=None, name=f"第{u_i + 1}局", parent=county, kind=UnitKind.BUREAU)
        clerk = user(f"sup_clerk{u_i}", unit, Role.CLERK)
        head = user(f"sup_head{u_i}", unit, Role.UNIT_LEADER)
        leader = user(f"sup_leader{u_i}", unit, Role.RESPONSIBLE_LEADER)
        people = [user(f"sup_p{u_i}_{i}", unit, Role.RESPONSIBLE_PERSON) for i in range(20)]
        if u_i == 0:
            first = {"unit": unit, "clerk": clerk, "head": head, "leader": leader, "person": people[0]}
        for r_i in range(ROUNDS):
            r = services.round_create(
                actor=clerk,
                unit=unit,
                title=f"第{u_i + 1}局第{r_i + 1}轮巡察整改",
                feedback_date=today - dt.timedelta(days=200 - 60 * r_i),
            )
            probs = Finding.objects.bulk_create(
                [
                    Finding(
                        round=r,
                        unit=unit,
                        kind=FindingKind.PROBLEM,
                        number=f"{p + 1}.",
                        title=f"问题{p + 1}：制度执行不严格，监督管理不到位",
                        position=p + 1,
                        status=ProblemStatus.CLOSED if p % 17 == 0 else ProblemStatus.OPEN,
                        closed_at=now - dt.timedelta(days=p % 90) if p % 17 == 0 else None,
                        reopen_count=1 if p % 31 == 0 else 0,
                        cycle=2 if p % 62 == 0 else 1,
                    )
                    for p in range(PROBLEMS)
                ],
                batch_size=1000,
            )
            ms = []
            for p in probs:
                for j in range(MEASURES_PER_PROBLEM):
                    status = rng.choices([s for s, _ in statuses], [w for _, w in statuses])[0]
                    deadline = today + dt.timedelta(days=rng.randint(-120, 120))
                    done = status in (S.DONE, S.STAGE_DONE)
                    ms.append(
                        Measure(
                            round=r,
                            unit=unit,
                            finding=p,
                            position=j + 1,
                            status=status,
                            kind=MeasureKind.LONG_TERM if j == 4 else MeasureKind.DEADLINE,
                            text=rng.choice(texts).format(n=j + 1),
                            person=rng.choice(people),
                            leader=leader,
                            deadline=deadline,
                            original_deadline=deadline - dt.timedelta(days=30) if j == 3 else None,
                            assigned_at=now - dt.timedelta(days=150),
                            completed_at=(
                                dt.datetime.combine(deadline, dt.time(rng.randint(0, 23)), tzinfo=now.tzinfo)
                                if done
                                else None
                            ),
                        )
                    )
            for m in ms:  # as the services keep it
                m.completed_on = timezone.localdate(m.completed_at) if m.completed_at else None
            ms = Measure.objects.bulk_create(ms, batch_size=2000)
            measures_total += len(ms)
            progress = Progress.objects.bulk_create(
                [
                    Progress(
                        measure=m,
                        unit=unit,
                        author=m.person,
                        text="组织召开专题会议，逐条对照问题清单进行了深入剖析和整改落实。"
                        if i % 7 == 0
                        else f"第{i}项整改进展：已完成相关工作。",
                    )
                    for i, m in enumerate(ms)
                    if m.status != S.NOT_STARTED
                ],
                batch_size=2000,
            )
            Evidence.objects.bulk_create(
                [
                    Evidence(
                        progress=p,
                        measure_id=p.measure_id,
                        unit=unit,
                        original_name=f"佐证{i}.pdf",
                        storage_name=f"{(i % 50 if i % 9 == 0 else i + r.pk * 100000):064x}",
                        algorithm="sm3",
                        sha256="0" * 64,
                        size=1000,
                        content_type="application/pdf",
                        uploaded_by=p.author,
                    )
                    for i, p in enumerate(progress)
                    if i % 3
                ],
                batch_size=2000,
            )
            Review.objects.bulk_create(
                [
                    Review(
                        measure=m,
                        unit=unit,
                        reviewer=head,
                        decision=ReviewDecision.RETURN,
                        reason="材料不全，请补充",
                    )
                    for i, m in enumerate(ms)
                    if m.status == S.IN_PROGRESS and i % 5 == 0
                ],
                batch_size=2000,
            )
            Extension.objects.bulk_create(
                [
                    Extension(
                        measure=m,
                        round=r,
                        unit=unit,
                        requested_by=m.person,
                        reason="需要协调",
                        new_deadline=today + dt.timedelta(days=60),
                        status=ExtensionStatus.PENDING if i % 2 else ExtensionStatus.GRANTED,
                    )
                    for i, m in enumerate(ms)
                    if i % 40 == 0
                ],
                batch_size=2000,
            )
    return {**first, "supervisor": supervisor, "measures": measures_total}


def measure(client: Client, url: str) -> tuple[list[float], int, int]:
    client.get(url)  # warm
    with CaptureQueriesContext(connection) as q:
        r = client.get(url)
    if r.status_code != 200:
        raise SystemExit(f"{url}: {r.status_code}")
    queries = len(q.captured_queries)
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - t)
        reset_queries()
    return times, queries, len(r.content)


def main() -> None:
    print(
        f"machine: {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}, "
        f"database {connection.vendor}"
    )
    call_command("migrate", interactive=False, verbosity=0)
    t = time.perf_counter()
    data = build()
    print(
        f"built {UNITS} units × {ROUNDS} rounds, {data['measures']} measures "
        f"in {time.perf_counter() - t:.1f} s"
    )
    home = reverse("web:home")
    pages = [
        ("clerk desk (整改办)", data["clerk"], home),
        ("leader desk (责任领导)", data["leader"], home),
        ("person desk (责任人)", data["person"], home),
        ("head desk (第一责任人)", data["head"], home),
        ("supervisor dashboard", data["supervisor"], reverse("supervision:dashboard")),
        (
            "dashboard drill-down: overdue",
            data["supervisor"],
            reverse("supervision:dashboard-measures") + "?tier=overdue",
        ),
        (
            "quality flags (one unit)",
            data["supervisor"],
            reverse("supervision:quality", args=[data["unit"].pk]),
        ),
    ]
    print(f"\npage                              median ms   p95 ms  queries   KiB   ({RUNS} runs)")
    for name, user, url in pages:
        c = Client()
        c.force_login(user)
        times, queries, size = measure(c, url)
        times.sort()
        p95 = times[min(len(times) - 1, int(len(times) * 0.95))]
        median = statistics.median(times) * 1000
        print(f"{name:<33} {median:9.1f} {p95 * 1000:8.1f} {queries:8d} {size / 1024:5.0f}")


if __name__ == "__main__":
    main()
