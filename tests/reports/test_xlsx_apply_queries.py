"""Applying an edited 整改台账: as many queries for 1,000 changed rows as for 100, and the events,
amendments and reviews the services write one row at a time."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reports.test_xlsx_fixtures import (
    FIRST,
    FUTURE,
    col,
    date_the_plan,
    export_bytes,
    ledger,
    open_book,
    save,
)
from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent
from zhenggai.audit.verify import verify_chain
from zhenggai.ledger import services
from zhenggai.ledger.models import Amendment, Measure, MeasureKind, MeasureStatus, Progress, Review, Round
from zhenggai.reports.xlsx_import import ImportReport, import_workbook

__all__ = ["ledger"]  # the fixture, imported for pytest

S = MeasureStatus


def round_of(personas: Any, n: int, *, status: str, title: str) -> Round:
    """A signed plan of ``n`` measures of one problem, assigned, each with a progress entry."""
    p = personas
    r = services.round_create(actor=p.clerk, unit=p.unit_a, title=title, feedback_date=days_from_today(-30))
    cat = services.finding_create(actor=p.clerk, round=r, parent=None, kind="category", title="作风建设方面")
    problem = services.finding_create(actor=p.clerk, round=r, parent=cat, kind="problem", title="检查不到位")
    # Test data in bulk, as bench/generate.py builds it: the rows are not under test here.
    Measure.objects.bulk_create(
        Measure(
            round=r, unit=r.unit, finding=problem, position=i + 1, text=f"第{i + 1}项措施",
            kind=MeasureKind.LONG_TERM if i % 2 else MeasureKind.DEADLINE, status=status,
            leader=p.responsible_leader, person=p.person, deadline=FUTURE,
        )
        for i in range(n)
    )  # fmt: skip
    Progress.objects.bulk_create(
        Progress(measure=m, unit=r.unit, author=p.person, text="已开展第一次检查")
        for m in Measure.objects.filter(round=r)
    )
    services.plan_sign(actor=p.leader, round=r)
    return r


def edit_rows(data: bytes, edit: Any) -> bytes:
    """Call ``edit(put, get, i)`` for the i-th data row: ``put(key, value)`` sets a cell of that
    row, ``get(key)`` reads one."""
    wb = open_book(data)
    ws = wb["整改台账"]
    for i, r in enumerate(range(FIRST, ws.max_row + 1)):

        def put(key: str, value: Any, r: int = r) -> None:
            ws.cell(r, col(key)).value = value

        def get(key: str, r: int = r) -> Any:
            return ws.cell(r, col(key)).value

        edit(put, get, i)
    return save(wb)


def clerk_edits(put: Any, get: Any, i: int) -> None:
    """Every row changed: the deadline; half of them the person; a third a progress; a quarter submitted."""
    put("deadline", FUTURE + dt.timedelta(days=1 + i % 7))
    if i % 2 == 0:
        put("person", "刘民警")
    if i % 3 == 0:
        put("progress", f"第{i + 1}项：本月又检查一次")
    if i % 4 == 1:
        put("status", "待审核")


def leader_edits(put: Any, get: Any, i: int) -> None:
    """Every row reviewed: the long-term measures 阶段性完成, the others 已完成."""
    put("status", "阶段性完成" if get("kind") == "长期坚持" else "已完成")


def confirm(user: Any, r: Round, edit: Any) -> tuple[ImportReport, int]:
    """The confirm step of the workbook page: the import applied; its queries counted."""
    data = edit_rows(export_bytes(user, r), edit)
    with CaptureQueriesContext(connection) as ctx:
        report = import_workbook(actor=user, round=r, data=data, dry_run=False)
    assert report.applied, report.errors[:3]
    return report, len(ctx.captured_queries)


@pytest.mark.parametrize(
    ("who", "status", "edit"),
    [("clerk", S.IN_PROGRESS, clerk_edits), ("leader", S.PENDING_REVIEW, leader_edits)],
    ids=["clerk-edits", "leader-reviews"],
)
def test_applying_1000_changed_rows_makes_as_many_queries_as_applying_100(
    personas: Any, who: str, status: str, edit: Any
):
    user = getattr(personas, who)
    rounds = [round_of(personas, n, status=status, title=f"{n}条") for n in (100, 1000)]
    (small, small_count), (big, big_count) = (confirm(user, r, edit) for r in rounds)
    assert small.rows == 100 and big.rows == 1000
    assert small.measures_changed == 100 and big.measures_changed == 1000
    # Besides the writes, the messages the apply sends, one per person told (the new person, the
    # unit heads of the submissions, the unit heads' "方案已变更"), and the change stamp replaced
    # with each batch of events (``audit.stamps``): a constant too.
    assert small_count == big_count <= 41, (small_count, big_count)
    if who == "clerk":
        assert Amendment.objects.count() == 1100
        assert Measure.objects.filter(status=S.PENDING_REVIEW).count() == 25 + 250
        assert Progress.objects.count() == 1100 + 34 + 334
    else:
        assert Review.objects.filter(reviewer=user).count() == 1100
        assert Measure.objects.filter(status=S.STAGE_DONE).count() == 50 + 500
    assert verify_chain().ok


def written(after: int, until: int, ledger: Any) -> list[tuple[Any, ...]]:
    """The events after ``after`` up to ``until``: actor, action, object (a measure or a progress
    as the measure's index in ``ledger.m``), before and after."""
    index = {m.pk: i for i, m in enumerate(ledger.m)}
    progress = dict(Progress.objects.values_list("pk", "measure_id"))
    out = []
    for e in AuditEvent.objects.filter(seq__gt=after, seq__lte=until).order_by("seq"):
        if e.object_type == "measure":
            obj: Any = ("measure", index[int(e.object_id)])
        elif e.object_type == "progress":
            obj = ("progress", index[progress[int(e.object_id)]])
        else:
            obj = (e.object_type, None)
        out.append((e.actor_name, e.action, obj, e.before, e.after))
    return out


def test_the_apply_writes_the_events_amendments_and_reviews_the_services_wrote_row_by_row(
    ledger: Any, personas: Any
):
    p, m = personas, ledger.m
    date_the_plan(ledger.round)
    undated = days_from_today(100).isoformat()  # what ``date_the_plan`` gave those the import left undated
    services.plan_sign(actor=p.leader, round=ledger.round)
    later = FUTURE + dt.timedelta(days=184)

    index = {x.pk: i for i, x in enumerate(m)}

    def clerk(put: Any, get: Any, _: int) -> None:
        i = index.get(get("id"))
        if i == 0:
            put("status", "待审核")
        elif i == 1:
            put("person", "陈民警")
            put("deadline", later)
        elif i == 4:
            put("progress", "本月开展检查2次")
        elif i == 5:
            put("text", m[5].text + "（补充）")
            put("department", "城区中队")
            put("deadline", "2022-03-30")
            put("progress", "已开始整改")
            put("status", "待审核")

    def leader(put: Any, get: Any, _: int) -> None:
        if index.get(get("id")) in (0, 2):
            put("status", "已完成")

    def head() -> int:
        return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True)[0]

    start = head()
    confirm(p.clerk, ledger.round, clerk)
    middle = head()
    confirm(p.leader, ledger.round, leader)
    end = head()

    status = lambda a, b: ({"status": a}, {"status": b})  # noqa: E731
    p4 = Progress.objects.get(measure=m[4], text="本月开展检查2次")
    p5 = Progress.objects.get(measure=m[5], text="已开始整改")
    assert written(start, middle - 1, ledger) == [
        ("clerk", "measure.submit", ("measure", 0), *status("in_progress", "pending_review")),
        (
            "clerk", "measure.update", ("measure", 1),
            {"person": p.person2.pk, "deadline": FUTURE.isoformat()},
            {"person": p.person.pk, "deadline": later.isoformat()},
        ),
        (
            "clerk", "progress.add", ("progress", 4), {"status": "in_progress"},
            {"measure": m[4].pk, "status": "in_progress", "text": p4.text, "evidence": []},
        ),
        (
            "clerk", "measure.update", ("measure", 5),
            {"text": m[5].text, "department": None, "deadline": undated},
            {"text": m[5].text + "（补充）", "department": p.departments[1].pk, "deadline": "2022-03-30"},
        ),
        ("clerk", "measure.start", ("measure", 5), *status("not_started", "in_progress")),
        (
            "clerk", "progress.add", ("progress", 5), {"status": "not_started"},
            {"measure": m[5].pk, "status": "in_progress", "text": p5.text, "evidence": []},
        ),
        ("clerk", "measure.submit", ("measure", 5), *status("in_progress", "pending_review")),
    ]  # fmt: skip
    last = AuditEvent.objects.get(seq=middle)
    assert (last.action, last.object_id, last.after["changes"]) == (
        "round.xlsx_import",
        str(ledger.round.pk),
        9,
    )
    assert written(middle, end - 1, ledger) == [
        ("leader", "measure.approve", ("measure", 0), {"status": "pending_review"},
         {"status": "done", "reason": ""}),
        ("leader", "measure.approve", ("measure", 2), {"status": "pending_review"},
         {"status": "done", "reason": ""}),
    ]  # fmt: skip
    assert [(a.measure_id, a.description, a.before, a.after) for a in Amendment.objects.order_by("pk")] == [
        (m[1].pk, "修改整改措施", {"person": p.person2.pk, "deadline": FUTURE.isoformat()},
         {"person": p.person.pk, "deadline": later.isoformat()}),
        (m[5].pk, "修改整改措施", {"text": m[5].text, "department": None, "deadline": undated},
         {"text": m[5].text + "（补充）", "department": p.departments[1].pk, "deadline": "2022-03-30"}),
    ]  # fmt: skip
    reviews = Review.objects.filter(reviewer=p.leader, measure__in=[m[0], m[2]]).order_by("pk")
    assert [(r.measure_id, r.decision, r.reason) for r in reviews] == [
        (m[0].pk, "approve", ""),
        (m[2].pk, "approve", ""),
    ]
    fresh = {x.pk: x for x in Measure.objects.filter(pk__in=[x.pk for x in m])}
    assert [fresh[x.pk].version - x.version for x in m] == [2, 1, 1, 0, 0, 3]
    assert fresh[m[0].pk].completed_at is not None and fresh[m[5].pk].status == S.PENDING_REVIEW
    assert verify_chain().ok
