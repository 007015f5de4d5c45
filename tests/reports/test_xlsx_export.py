"""The 整改台账 workbook as written: rows, layout, print set-up, statistics, the round marker."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.reports.test_xlsx_fixtures import (
    FIRST,
    FUTURE,
    HEADER_ROW,
    HEADERS,
    PAST,
    col,
    export_bytes,
    ledger,
    open_book,
    row_of,
)
from tests.web.conftest import build_round
from zhenggai.ledger.models import Finding, FindingKind, Measure
from zhenggai.reports.xlsx import SCHEMA, round_key
from zhenggai.units.models import Role
from zhenggai.units.services import membership_grant

__all__ = ["ledger"]  # the fixture, imported for pytest


def test_the_seed_round_exports_one_row_per_measure_grouped_under_its_problem(ledger: Any, personas: Any):
    ws = open_book(export_bytes(personas.clerk, ledger.round))["整改台账"]
    assert [c.value for c in ws[HEADER_ROW]] == list(HEADERS)
    assert HEADERS[:13] == (
        "序号", "问题类别", "问题", "整改措施", "整改类型", "责任领导", "责任部门",
        "责任人", "完成时限", "整改状态", "整改进展", "完成时间", "佐证材料数",
    )  # fmt: skip
    rows = list(ws.iter_rows(min_row=FIRST, values_only=True))
    assert len(rows) == 100
    assert [r[0] for r in rows] == list(range(1, 101))
    expected = list(
        Measure.objects.filter(round=ledger.round)
        .order_by("finding__position", "position", "id")
        .values_list("pk", "finding__title")
    )
    assert [(r[col("id") - 1], r[col("problem") - 1]) for r in rows] == expected
    # Each problem's measures stand together, in plan order.
    problems = [r[col("problem") - 1] for r in rows]
    assert len({p for p in problems}) == 30
    runs = [p for i, p in enumerate(problems) if i == 0 or problems[i - 1] != p]
    assert len(runs) == 30
    categories = set(
        Finding.objects.filter(round=ledger.round, kind=FindingKind.CATEGORY).values_list("title", flat=True)
    )
    assert {r[col("category") - 1] for r in rows} == categories
    assert ws["A1"].value.endswith("整改台账") and ledger.round.title in ws["A1"].value
    assert "导出日期" in ws["A2"].value


def test_the_rows_show_owners_dates_status_latest_progress_and_evidence(ledger: Any, personas: Any):
    ws = open_book(export_bytes(personas.clerk, ledger.round))["整改台账"]

    def cells(i: int) -> dict[str, Any]:
        r = row_of(ws, ledger.m[i].pk)
        return {
            key: ws.cell(r, col(key)).value
            for key in (
                "leader",
                "department",
                "person",
                "deadline",
                "status",
                "progress",
                "completed",
                "evidence",
                "kind",
                "version",
            )
        }

    first = cells(0)
    assert first["leader"] == "赵副大队长"
    assert first["department"] == "综合办公室"
    assert first["person"] == "陈民警"
    assert isinstance(first["deadline"], dt.datetime) and first["deadline"].date() == PAST
    assert first["status"] == "整改中"
    assert first["progress"] == "已制定学习计划，正在落实"
    assert first["evidence"] == 0
    assert first["version"] == ledger.m[0].version
    done = cells(3)
    assert done["status"] == "已完成"
    assert isinstance(done["completed"], dt.datetime)
    assert done["completed"].date() == ledger.m[3].completed_at.astimezone().date()
    assert cells(1)["deadline"].date() == FUTURE
    assert cells(4)["kind"] == "长期坚持"
    assert cells(5)["person"] is None and cells(5)["deadline"] is None and cells(5)["status"] == "未开始"


def test_deadlines_are_date_cells_and_overdue_rows_are_filled(ledger: Any, personas: Any):
    ws = open_book(export_bytes(personas.clerk, ledger.round))["整改台账"]

    def fill(i: int) -> str | None:
        r = row_of(ws, ledger.m[i].pk)
        colours = {ws.cell(r, c).fill.fgColor.rgb for c in range(1, len(HEADERS) + 1)}
        assert len(colours) == 1, colours  # the whole row, not one cell
        return ws.cell(r, 1).fill.fill_type and colours.pop()

    deadline = ws.cell(row_of(ws, ledger.m[0].pk), col("deadline"))
    assert deadline.is_date and deadline.number_format == "yyyy-mm-dd"
    assert ledger.m[0].deadline == PAST and ledger.m[1].deadline == FUTURE
    assert fill(0) == "00FFD7D7"  # in progress, deadline passed: overdue
    assert fill(2) == "00FFD7D7"  # waiting for review is still open
    assert not fill(1)  # deadline ahead
    assert not fill(3)  # done after its deadline: not overdue
    assert not fill(5)  # no deadline


def test_the_sheet_is_set_up_for_the_screen_and_for_a4_landscape_paper(ledger: Any, personas: Any):
    wb = open_book(export_bytes(personas.clerk, ledger.round))
    ws = wb["整改台账"]
    assert ws.freeze_panes == "A4"
    assert ws.auto_filter.ref == "A3:O103"
    assert ws.print_title_rows == "$1:$3"
    assert ws.page_setup.orientation == "landscape"
    assert ws.page_setup.paperSize == 9  # A4
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0)
    assert {str(r) for r in ws.merged_cells.ranges} == {"A1:M1", "A2:M2"}
    dims = ws.column_dimensions
    assert dims["N"].hidden and dims["O"].hidden  # the id and version columns
    assert not any(dims[c].hidden for c in "ABCDEFGHIJKLM")
    assert dims["D"].width >= 40 and dims["K"].width >= 30 and dims["A"].width < 8
    text = ws.cell(FIRST, col("text"))
    assert text.alignment.wrap_text and text.alignment.vertical == "top"
    assert ws.cell(HEADER_ROW, 1).font.b
    lists = {str(dv.sqref): dv.formula1 for dv in ws.data_validations.dataValidation}
    # Every status a row may show (待领导审核: in a round with 责任领导预审).
    assert lists["J4:J1048576"] == '"未开始,整改中,待领导审核,待审核,已完成,阶段性完成"'
    assert lists["E4:E1048576"] == '"立行立改,限期整改,长期坚持"'


def test_the_statistics_sheet_gives_the_rounds_figures(ledger: Any, personas: Any):
    ws = open_book(export_bytes(personas.clerk, ledger.round))["统计"]
    figures = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] and r[1] is not None}
    assert figures["具体问题（个）"] == 30
    assert figures["整改措施（项）"] == 100
    assert figures["已完成（个，含已销号）"] == 0  # one measure done, no problem finished
    assert figures["完成率（%）"] == 0
    assert figures["逾期未完成（项）"] == 2
    assert figures["未开始"] == 96  # 100 less in progress (2), pending (1), done (1)
    assert (figures["整改中"], figures["待审核"], figures["已完成"]) == (2, 1, 1)
    by_dept = {
        r[0]: r[1:] for r in ws.iter_rows(values_only=True) if r[0] in ("综合办公室", "（未分配部门）")
    }
    assert by_dept["综合办公室"][0] == 5
    assert by_dept["综合办公室"][-1] == 2
    assert by_dept["（未分配部门）"][0] == 95


def test_a_finished_problem_counts_in_the_completion_rate(personas: Any):
    from zhenggai.ledger import services
    from zhenggai.ledger.models import ReviewDecision

    w = build_round(personas, measures=2)
    services.progress_add(actor=personas.person, measure=w.fresh, text="已完成")
    services.measure_submit(actor=personas.person, measure=w.fresh)
    for m in (w.submitted, w.fresh):
        services.measure_review(actor=personas.leader, measure=m, decision=ReviewDecision.APPROVE)
    ws = open_book(export_bytes(personas.clerk, w.round))["统计"]
    figures = {r[0]: r[1] for r in ws.iter_rows(values_only=True) if r[0] and r[1] is not None}
    assert (figures["具体问题（个）"], figures["已完成（个，含已销号）"], figures["完成率（%）"]) == (
        1,
        1,
        100,
    )


def test_a_very_hidden_sheet_names_the_round_the_workbook_belongs_to(ledger: Any, personas: Any):
    wb = open_book(export_bytes(personas.clerk, ledger.round))
    assert wb.sheetnames == ["整改台账", "统计", "_meta"]
    meta = wb["_meta"]
    assert meta.sheet_state == "veryHidden"
    values = {r[0]: r[1] for r in meta.iter_rows(values_only=True)}
    assert values["schema"] == SCHEMA
    assert values["round"] == ledger.round.pk
    assert values["round_key"] == round_key(ledger.round)
    assert values["measures"] == 100


def test_people_who_share_a_name_are_written_with_their_user_name(ledger: Any, personas: Any):
    twin = get_user_model().objects.create(username="chen2", display_name="陈民警")
    membership_grant(actor=None, user=twin, unit=personas.departments[1], role=Role.RESPONSIBLE_PERSON)
    ws = open_book(export_bytes(personas.clerk, ledger.round))["整改台账"]
    assert ws.cell(row_of(ws, ledger.m[0].pk), col("person")).value == "陈民警（person）"
    assert ws.cell(row_of(ws, ledger.m[1].pk), col("person")).value == "刘民警"


def _export_queries(user: Any, round_: Any) -> int:
    with CaptureQueriesContext(connection) as ctx:
        export_bytes(user, round_)
    return len(ctx.captured_queries)


def test_the_export_makes_as_many_queries_for_100_measures_as_for_3(ledger: Any, personas: Any):
    small = build_round(personas, measures=3).round
    _export_queries(personas.clerk, small)  # warm: memberships cached on the user
    few = _export_queries(personas.clerk, small)
    many = _export_queries(personas.clerk, ledger.round)
    assert few == many
    assert many <= 8


def test_an_outsider_cannot_export_a_round_of_another_unit(ledger: Any, personas: Any):
    import pytest
    from django.http import Http404

    with pytest.raises(Http404):
        export_bytes(personas.outsider, ledger.round)


def _finish(personas: Any, m: Measure, decision: str = "approve") -> None:
    from zhenggai.ledger import services

    if m.status == "not_started":
        services.progress_add(actor=personas.clerk, measure=m, text="已整改")
    if Measure.objects.get(pk=m.pk).status in ("in_progress", "stage_done"):
        services.measure_submit(actor=personas.clerk, measure=m)
    services.measure_review(actor=personas.leader, measure=m, decision=decision)


def test_the_statistics_are_the_figures_of_the_round_overview(ledger: Any, personas: Any):
    """The export counts in the database what the round page counts in Python: they agree."""
    from zhenggai.ledger import selectors, services
    from zhenggai.reports.xlsx_export import round_tally

    problems = list(Finding.objects.filter(round=ledger.round, kind=FindingKind.PROBLEM).order_by("position"))
    closed, basic = [p for p in problems if p.measures.count() == 2][-2:]
    for m in closed.measures.all():
        _finish(personas, m)
    services.finding_close(actor=personas.supervisor, finding=closed, opinion="整改到位，同意销号")
    first, second = basic.measures.order_by("position")
    services.measure_update(
        actor=personas.clerk, measure=first, expected_version=first.version, kind="long_term", department=None
    )
    _finish(personas, Measure.objects.get(pk=first.pk), "approve_stage")
    _finish(personas, second)

    overview = selectors.round_overview(user=personas.clerk, round=ledger.round)
    tally, by_department = round_tally(ledger.round, selectors.today())

    def figures(t: Any) -> tuple[Any, ...]:
        return (t.measures, t.overdue, t.problems, t.problems_complete, t.problems_basic, t.problems_closed)

    assert figures(tally) == figures(overview.tally)
    assert [(n, figures(t)) for n, t in by_department] == [(n, figures(t)) for n, t in overview.by_department]
    assert (tally.problems_closed, tally.problems_complete, tally.problems_basic) == (1, 1, 1)
