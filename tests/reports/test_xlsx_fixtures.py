"""Fixtures and helpers of the 整改台账 workbook tests (imported by the other test_xlsx modules).

``ledger`` is the seed round with a realistic spread: measures assigned, with
deadlines in the past and the future, progress, one submitted, one done. The
helpers export a workbook, open it back with openpyxl and edit it as a clerk
would in Excel: by header name, re-sorting rows, widening a column.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from openpyxl import Workbook, load_workbook

from tests.today import days_from_today
from zhenggai.ledger import services
from zhenggai.ledger.models import Measure, MeasureKind, ReviewDecision, Round
from zhenggai.reports.xlsx import HEADERS, ID_HEADER, INDEX

HEADER_ROW = 3
FIRST = HEADER_ROW + 1
PAST = dt.date(2022, 3, 31)
FUTURE = days_from_today(200)


@dataclass
class Ledger:
    """The seed round of unit A with work under way.

    ``m`` holds the first measures in plan order: 0 assigned to ``person`` and overdue
    (deadline in 2022, in progress), 1 assigned with a future deadline, not started,
    2 submitted (待审核), 3 done (已完成, deadline passed but not overdue), 4 a
    long-term measure in progress, 5 not assigned.
    """

    round: Round
    m: list[Measure]

    def fresh(self, i: int) -> Measure:
        return Measure.objects.get(pk=self.m[i].pk)


def build_ledger(personas: Any, round_: Round) -> Ledger:
    clerk = personas.clerk
    ms = list(Measure.objects.filter(round=round_).order_by("finding__position", "position", "id")[:6])
    common = {"leader": personas.responsible_leader, "department": personas.departments[0]}
    services.measure_assign_bulk(
        actor=clerk, round=round_, measure_ids=[ms[0].pk, ms[2].pk, ms[3].pk], person=personas.person,
        deadline=PAST, **common,
    )  # fmt: skip
    services.measure_assign_bulk(
        actor=clerk, round=round_, measure_ids=[ms[1].pk, ms[4].pk], person=personas.person2,
        deadline=FUTURE, **common,
    )  # fmt: skip
    services.progress_add(actor=personas.person, measure=ms[0], text="已制定学习计划，正在落实")
    for m in (ms[2], ms[3]):
        services.progress_add(actor=personas.person, measure=m, text="已整改到位")
        services.measure_submit(actor=personas.person, measure=m)
    services.measure_review(actor=personas.leader, measure=ms[3], decision=ReviewDecision.APPROVE)
    m4 = Measure.objects.get(pk=ms[4].pk)
    services.measure_update(actor=clerk, measure=m4, expected_version=m4.version, kind=MeasureKind.LONG_TERM)
    services.progress_add(actor=personas.person2, measure=ms[4], text="长期坚持，每月检查")
    return Ledger(round_, [Measure.objects.get(pk=m.pk) for m in ms])


@pytest.fixture
def ledger(personas: Any, seed_round: Round) -> Ledger:
    return build_ledger(personas, seed_round)


def export_bytes(user: Any, round_: Round) -> bytes:
    from zhenggai.reports.xlsx_export import export_round

    out = io.BytesIO()
    export_round(user=user, round=round_, target=out)
    return out.getvalue()


def open_book(data: bytes) -> Workbook:
    return load_workbook(io.BytesIO(data))


def save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def col(key: str) -> int:
    """1-based column of a field of the workbook."""
    return INDEX[key] + 1


def row_of(ws: Any, measure_id: int) -> int:
    for r in range(FIRST, ws.max_row + 1):
        if ws.cell(r, col("id")).value == measure_id:
            return r
    raise AssertionError(f"measure {measure_id} not in the sheet")


def edited(data: bytes, edit: Callable[[Any], None]) -> bytes:
    """Open the workbook like Excel would, let ``edit`` change the main sheet, save it."""
    wb = open_book(data)
    edit(wb["整改台账"])
    return save(wb)


def set_cell(ws: Any, measure_id: int, key: str, value: Any) -> None:
    ws.cell(row_of(ws, measure_id), col(key)).value = value


def reverse_rows(ws: Any) -> None:
    """Sort the data rows the other way round (as a clerk sorting by a column would)."""
    rows = [[c.value for c in row] for row in ws.iter_rows(min_row=FIRST, max_col=len(HEADERS))]
    for r, values in enumerate(reversed(rows), FIRST):
        for c, v in enumerate(values, 1):
            ws.cell(r, c).value = v


__all__ = [
    "FIRST",
    "FUTURE",
    "HEADERS",
    "HEADER_ROW",
    "ID_HEADER",
    "PAST",
    "Ledger",
    "build_ledger",
    "col",
    "edited",
    "export_bytes",
    "ledger",
    "open_book",
    "reverse_rows",
    "row_of",
    "save",
    "set_cell",
]


def date_the_plan(round_: Round) -> None:
    """Test data: every measure of ``round_`` without a deadline (长期坚持 aside) given one, so that
    its plan may be signed (``plan_sign`` refuses a plan with undated measures)."""
    from tests.today import days_from_today
    from zhenggai.ledger.models import Measure, MeasureKind

    Measure.objects.filter(round=round_, deadline__isnull=True).exclude(kind=MeasureKind.LONG_TERM).update(
        deadline=days_from_today(100)
    )
