"""Reading an edited 整改台账 back: the dry run lists exactly the edits, the apply is all or nothing."""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from typing import Any

import pytest

from tests.reports.test_xlsx_fixtures import (
    FIRST,
    FUTURE,
    HEADER_ROW,
    col,
    date_the_plan,
    edited,
    export_bytes,
    ledger,
    open_book,
    reverse_rows,
    row_of,
    save,
    set_cell,
)
from tests.today import days_from_today
from tests.web.conftest import build_round
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger import services
from zhenggai.ledger.models import Amendment, Measure, Progress, Review, ReviewDecision
from zhenggai.reports.xlsx_import import ImportReport, WorkbookRefused, import_workbook

__all__ = ["ledger"]  # the fixture, imported for pytest


def run(user: Any, ledger: Any, data: bytes, *, dry_run: bool = True) -> ImportReport:
    return import_workbook(actor=user, round=ledger.round, data=data, dry_run=dry_run)


def state() -> list[tuple[Any, ...]]:
    """Everything an import could change, to show that nothing did."""
    return [
        *Measure.objects.order_by("pk").values_list(
            "pk", "version", "text", "kind", "leader_id", "department_id", "person_id", "deadline", "status"
        ),
        (
            Progress.objects.count(),
            Review.objects.count(),
            Amendment.objects.count(),
            AuditEvent.objects.count(),
        ),
    ]


def changes(report: ImportReport) -> set[tuple[int, str, Any, Any]]:
    return {(c.measure, c.field, c.old, c.new) for c in report.changes}


def errors(report: ImportReport) -> list[str]:
    return [e.message for e in report.errors]


# --- the round trip -------------------------------------------------------------------------------


def test_an_unedited_workbook_reports_no_changes(ledger: Any, personas: Any):
    before = state()
    report = run(personas.clerk, ledger, export_bytes(personas.clerk, ledger.round))
    assert (report.rows, report.changes, report.errors) == (100, [], [])
    applied = run(personas.clerk, ledger, export_bytes(personas.clerk, ledger.round), dry_run=False)
    assert applied.applied and applied.changes == []
    assert state()[:-1] == before[:-1]


def test_a_workbook_saved_by_excel_with_rows_resorted_and_a_column_widened_still_reports_no_changes(
    ledger: Any, personas: Any
):
    def resort(ws: Any) -> None:
        reverse_rows(ws)
        ws.column_dimensions["D"].width = 80
        ws.column_dimensions["N"].hidden = False  # even a hidden column shown again

    report = run(personas.clerk, ledger, edited(export_bytes(personas.clerk, ledger.round), resort))
    assert (report.changes, report.errors) == ([], [])


def test_the_clerks_edits_are_listed_exactly_by_the_dry_run_then_applied_through_the_services(
    ledger: Any, personas: Any
):
    m = ledger.m
    later = FUTURE + dt.timedelta(days=184)

    def clerk_edits(ws: Any) -> None:
        reverse_rows(ws)
        ws.column_dimensions["K"].width = 60
        set_cell(ws, m[1].pk, "person", "陈民警")  # another member
        set_cell(ws, m[1].pk, "deadline", later)  # a date cell, as Excel stores it
        set_cell(ws, m[5].pk, "deadline", "2022-03-30")  # typed as text: still one exact date
        set_cell(ws, m[5].pk, "department", "城区中队")
        set_cell(ws, m[0].pk, "status", "待审核")  # one step: submit
        set_cell(ws, m[4].pk, "progress", "本月开展检查2次")  # a new progress entry
        set_cell(ws, m[5].pk, "text", m[5].text + "（补充）")

    data = edited(export_bytes(personas.clerk, ledger.round), clerk_edits)
    before = state()
    report = run(personas.clerk, ledger, data)
    assert report.errors == []
    assert changes(report) == {
        (m[1].pk, "person", "刘民警", "陈民警"),
        (m[1].pk, "deadline", FUTURE, later),
        (m[5].pk, "deadline", None, dt.date(2022, 3, 30)),
        (m[5].pk, "department", None, "城区中队"),
        (m[5].pk, "text", m[5].text, m[5].text + "（补充）"),
        (m[0].pk, "status", "整改中", "待审核"),
        (m[4].pk, "progress", "长期坚持，每月检查", "本月开展检查2次"),
    }
    ws = open_book(data)["整改台账"]
    assert {c.row for c in report.changes if c.measure == m[1].pk} == {row_of(ws, m[1].pk)}
    assert state() == before  # a dry run changes nothing, audit included

    last_event = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    applied = run(personas.clerk, ledger, data, dry_run=False)
    assert applied.applied and changes(applied) == changes(report)
    m1, m5, m0 = ledger.fresh(1), ledger.fresh(5), ledger.fresh(0)
    assert (m1.person, m1.deadline) == (personas.person, later)
    assert (m5.deadline, m5.department, m5.text) == (
        dt.date(2022, 3, 30),
        personas.departments[1],
        m[5].text + "（补充）",
    )
    assert m0.status == "pending_review"
    latest = Progress.objects.filter(measure=m[4]).latest("created_at")
    assert (latest.text, latest.author) == ("本月开展检查2次", personas.clerk)
    actions = list(
        AuditEvent.objects.filter(pk__gt=last_event, actor=personas.clerk).values_list("action", flat=True)
    )
    assert sorted(actions) == sorted(
        ["measure.update", "measure.update", "measure.submit", "progress.add", "round.xlsx_import"]
    )
    assert not Amendment.objects.exists()  # the plan is not signed

    again = run(personas.clerk, ledger, data)
    assert (again.changes, again.errors) == ([], [])  # applied once: the same file has nothing left to do


def test_changes_to_a_signed_plan_are_recorded_as_amendments(ledger: Any, personas: Any):
    date_the_plan(ledger.round)
    services.plan_sign(actor=personas.leader, round=ledger.round)
    data = edited(
        export_bytes(personas.clerk, ledger.round),
        lambda ws: set_cell(ws, ledger.m[1].pk, "leader", "李大队长"),
    )
    report = run(personas.clerk, ledger, data, dry_run=False)
    assert report.applied
    amendment = Amendment.objects.get()
    assert amendment.measure_id == ledger.m[1].pk
    assert amendment.before == {"leader": personas.responsible_leader.pk}
    assert amendment.after == {"leader": personas.leader.pk}


def test_the_unit_leader_may_approve_a_submitted_measure_from_the_workbook(ledger: Any, personas: Any):
    data = edited(
        export_bytes(personas.leader, ledger.round),
        lambda ws: set_cell(ws, ledger.m[2].pk, "status", "已完成"),
    )
    report = run(personas.leader, ledger, data, dry_run=False)
    assert report.applied and report.errors == []
    assert ledger.fresh(2).status == "done"
    assert Review.objects.filter(
        measure=ledger.m[2], reviewer=personas.leader, decision=ReviewDecision.APPROVE
    ).exists()


def test_a_new_progress_text_on_a_measure_not_started_starts_it_and_may_submit_it(ledger: Any, personas: Any):
    def edit(ws: Any) -> None:
        set_cell(ws, ledger.m[5].pk, "progress", "已开始整改")
        set_cell(ws, ledger.m[5].pk, "status", "待审核")

    report = run(
        personas.clerk, ledger, edited(export_bytes(personas.clerk, ledger.round), edit), dry_run=False
    )
    assert report.applied, errors(report)
    assert ledger.fresh(5).status == "pending_review"


# --- row errors --------------------------------------------------------------------------------------


def test_each_row_that_cannot_be_applied_is_reported_and_nothing_is_applied(ledger: Any, personas: Any):
    other = build_round(personas, title="另一轮次").fresh
    m = ledger.m
    rows: dict[str, int] = {}

    def edit(ws: Any) -> None:
        def put(name: str, mid: int, key: str, value: Any) -> None:
            rows[name] = row_of(ws, mid)
            set_cell(ws, mid, key, value)

        put("valid", m[1].pk, "person", "陈民警")  # fine on its own, but not applied with errors about
        put("outsider", m[5].pk, "person", "孙整改")  # B's clerk: not a member of unit A
        spare = list(
            Measure.objects.filter(round=ledger.round).order_by("-pk").values_list("pk", flat=True)[:12]
        )
        put("month_end", spare[0], "deadline", "3月底")
        put("dotted", m[4].pk, "deadline", "2022.3.30")  # the example of an unreadable date
        put("next_month", spare[1], "deadline", "下月")
        put("serial_text", spare[2], "deadline", "44621")
        put("serial_number", spare[3], "deadline", 44621)
        ws.cell(rows["serial_number"], col("deadline")).number_format = "General"  # a number, not a date
        put("serial_date", spare[11], "deadline", 44651)  # a serial in a date cell is a date: 2022-03-31
        put("month_only", spare[4], "deadline", "2022年6月")
        put("skip", spare[5], "status", "已完成")  # 未开始 → 已完成
        put("not_by_clerk", m[2].pk, "status", "已完成")  # approving is the unit leader's
        put("back", m[3].pk, "status", "未开始")
        put("formula", spare[6], "person", "=B5")
        put("unknown_status", spare[7], "status", "已整改")
        put("unknown_id", spare[8], "id", 99999999)
        put("other_round", spare[9], "id", other.pk)
        put("duplicate", spare[10], "id", m[0].pk)
        put("cleared", m[0].pk, "progress", None)

    data = edited(export_bytes(personas.clerk, ledger.round), edit)
    spare_date = Measure.objects.filter(round=ledger.round).order_by("-pk").values_list("pk", flat=True)[11]
    before = state()
    for dry_run in (True, False):
        report = run(personas.clerk, ledger, data, dry_run=dry_run)
        assert not report.applied
        assert state() == before
    by_row = {e.row: e.message for e in report.errors}
    expect = {
        "outsider": "责任人：“孙整改”不是本单位人员",
        "month_end": "完成时限：“3月底”没有写明年份",
        "dotted": "完成时限：“2022.3.30”是文本，不是日期",
        "next_month": "完成时限：“下月”无法识别为日期",
        "serial_text": "完成时限：“44621”不是日期",
        "serial_number": "完成时限：“44621”是数字，不是日期",
        "month_only": "完成时限：“2022年6月”只写到月",
        "skip": "整改状态：措施尚未开始，不能改为“已完成”",
        "not_by_clerk": "整改状态：您没有权限审核整改措施",
        "back": "整改状态：不能改回“未开始”",
        "formula": "“责任人”是公式（=B5）",
        "unknown_status": "整改状态：“已整改”无效",
        "unknown_id": "系统编号 99999999 在本轮次中不存在",
        "other_round": f"系统编号 {other.pk} 是另一轮次“另一轮次”的措施",
        "duplicate": f"系统编号 {m[0].pk} 与第 {rows['cleared']} 行重复",
        "cleared": "整改进展：不能清空",
    }
    for name, start in expect.items():
        assert by_row.get(rows[name], "").startswith(start), (name, by_row.get(rows[name]))
    assert rows["valid"] not in by_row
    assert len(report.errors) == len(expect)
    assert changes(report) == {
        (m[1].pk, "person", "刘民警", "陈民警"),
        (spare_date, "deadline", None, dt.date(2022, 3, 31)),
    }  # listed, not applied


def test_a_new_progress_on_a_measure_waiting_for_review_is_refused_by_the_service(ledger: Any, personas: Any):
    data = edited(
        export_bytes(personas.clerk, ledger.round),
        lambda ws: set_cell(ws, ledger.m[2].pk, "progress", "补充材料"),
    )
    report = run(personas.clerk, ledger, data)
    assert errors(report) == ["整改进展：措施当前为“待审核”，不能再填报进展"]
    assert report.changes == []


def test_a_row_changed_by_someone_else_since_the_export_is_refused_not_overwritten(
    ledger: Any, personas: Any
):
    data = edited(
        export_bytes(personas.clerk, ledger.round),
        lambda ws: set_cell(ws, ledger.m[1].pk, "person", "陈民警"),
    )
    m1 = ledger.fresh(1)
    changed = FUTURE + dt.timedelta(days=185)
    services.measure_update(actor=personas.clerk, measure=m1, expected_version=m1.version, deadline=changed)
    report = run(personas.clerk, ledger, data, dry_run=False)
    assert not report.applied
    assert errors(report) == [
        "该措施在导出后已被他人修改：为避免覆盖他人的修改，请重新导出台账后再修改这一行"
    ]
    assert ledger.fresh(1).deadline == changed


def test_an_unreadable_date_and_a_readable_one(ledger: Any, personas: Any):
    from zhenggai.reports.xlsx_import import _CellError, read_deadline

    class Cell:
        def __init__(self, value: Any) -> None:
            self.value = value

    readable = {
        "2022-03-30": dt.date(2022, 3, 30),
        "2022/3/30": dt.date(2022, 3, 30),
        "2022年3月30日": dt.date(2022, 3, 30),
        "2022年3月底": dt.date(2022, 3, 31),
        "2022年6月30日前": dt.date(2022, 6, 30),
        " ": None,
        None: None,
        dt.datetime(2022, 3, 30, 0, 0): dt.date(2022, 3, 30),  # noqa: DTZ001  (what openpyxl gives)
    }
    for value, expected in readable.items():
        assert read_deadline(Cell(value)) == expected, value
    for value in (
        "2022.3.30",  # the example: text Excel/WPS cannot sort or filter as a date
        "3月底",
        "下月",
        "44621",
        44621,
        44621.0,
        "2022年6月",
        "2022年3月1日-6月30日",
        "2022年2月30日",
        "尽快",
    ):
        with pytest.raises(_CellError):
            read_deadline(Cell(value))


# --- workbooks refused as a whole ------------------------------------------------------------------------


def _refused(personas: Any, ledger: Any, data: bytes) -> str:
    before = state()
    with pytest.raises(WorkbookRefused) as err:
        run(personas.clerk, ledger, data, dry_run=False)
    assert state() == before
    return str(err.value)


def _ole(*streams: str) -> bytes:
    """The start of an OLE2 compound file, as Office writes an encrypted workbook or an old .xls."""
    body = b"".join(s.encode("utf-16-le") + b"\x00" * 32 for s in streams)
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504 + body + b"\x00" * 1024


def _docx() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("[Content_Types].xml", "<Types/>")
        z.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("empty", lambda d: b"", "文件是空的"),
        ("corrupt", lambda d: d[: len(d) // 2], "文件已损坏"),
        ("encrypted", lambda d: _ole("EncryptionInfo", "EncryptedPackage"), "文件设置了打开密码"),
        ("old xls", lambda d: _ole("Workbook"), "旧版 Excel（.xls）"),
        ("a text file", lambda d: "序号,问题\n1,x\n".encode(), "不是 Excel 工作簿"),
        ("a pdf", lambda d: b"%PDF-1.4\n%%EOF\n", "不是 Excel 工作簿"),
        ("a docx", lambda d: _docx(), "不是 Excel 工作簿（.xlsx）文件（可能是 Word 文档"),
    ],
)
def test_a_file_that_is_not_the_workbook_is_refused_with_a_clear_message(
    ledger: Any, personas: Any, name: str, make: Any, message: str
):
    assert message in _refused(personas, ledger, make(export_bytes(personas.clerk, ledger.round)))


def _swap_columns(ws: Any, a: str, b: str) -> None:
    for r in range(HEADER_ROW, ws.max_row + 1):
        x, y = ws[f"{a}{r}"], ws[f"{b}{r}"]
        x.value, y.value = y.value, x.value


def _insert_column(ws: Any) -> None:
    ws.insert_cols(col("kind"))
    ws.cell(HEADER_ROW, col("kind")).value = "备注"


def _append_columns(ws: Any) -> None:
    ws.cell(HEADER_ROW, 16).value = "备注"
    ws.cell(FIRST, 16).value = "已电话督促"


@pytest.mark.parametrize(
    ("name", "edit", "message"),
    [
        (
            "reordered",
            lambda ws: _swap_columns(ws, "F", "H"),
            "列的顺序已改变：第 F 列应为“责任领导”，现为“责任人”",
        ),
        (
            "renamed",
            lambda ws: setattr(ws["K3"], "value", "进展情况"),
            "第 K 列的标题“进展情况”应为“整改进展”",
        ),
        ("id column deleted", lambda ws: ws.delete_cols(col("id"), 2), "缺少“系统编号（勿改）”列"),
        ("a column deleted", lambda ws: ws.delete_cols(col("kind")), "缺少“整改类型”列（应在第 E 列）"),
        ("a column inserted", _insert_column, "第 E 列“备注”是新增的列"),
        ("columns added after ours", _append_columns, None),
        ("header deleted", lambda ws: ws.delete_rows(HEADER_ROW), "找不到表头行"),
        (
            "merged cells",
            lambda ws: ws.merge_cells(f"C{FIRST}:C{FIRST + 1}"),
            "台账数据区有合并单元格（C4:C5",
        ),
        ("sheet renamed", lambda ws: setattr(ws, "title", "台账"), "找不到“整改台账”工作表"),
    ],
)
def test_a_workbook_whose_layout_was_changed_is_refused_and_says_what_changed(
    ledger: Any, personas: Any, name: str, edit: Any, message: str
):
    data = edited(export_bytes(personas.clerk, ledger.round), edit)
    if message is None:  # a note in a column after ours is harmless: read as unedited
        assert run(personas.clerk, ledger, data).changes == []
    else:
        assert message in _refused(personas, ledger, data)


def test_a_workbook_of_another_round_is_refused(ledger: Any, personas: Any):
    other = build_round(personas, title="县委第一巡察组反馈意见整改").round
    message = _refused(personas, ledger, export_bytes(personas.clerk, other))
    assert (
        message == f"这是“县委第一巡察组反馈意见整改”导出的台账，不属于本轮次“{ledger.round.title}”，不能导入"
    )


def test_a_workbook_without_the_round_marker_is_refused(ledger: Any, personas: Any):
    wb = open_book(export_bytes(personas.clerk, ledger.round))
    del wb["_meta"]
    assert "不是本系统导出的整改台账" in _refused(personas, ledger, save(wb))


def test_the_same_round_id_of_another_installation_is_refused(ledger: Any, personas: Any):
    wb = open_book(export_bytes(personas.clerk, ledger.round))
    wb["_meta"]["B3"].value = "0" * 64
    assert "不属于本轮次" in _refused(personas, ledger, save(wb))


def test_a_formula_in_a_read_only_column_is_ignored_but_not_in_an_editable_one(ledger: Any, personas: Any):
    def edit(ws: Any) -> None:
        ws.cell(FIRST, col("evidence")).value = "=1+1"
        ws.cell(FIRST + 1, col("status")).value = '=IF(1,"整改中")'

    report = run(personas.clerk, ledger, edited(export_bytes(personas.clerk, ledger.round), edit))
    assert [(e.row, e.message[:12]) for e in report.errors] == [(FIRST + 1, "“整改状态”是公式（=I")]


def test_finding12_a_deadline_out_of_the_rounds_range_is_a_row_error_in_the_dry_run(
    ledger: Any, personas: Any
) -> None:
    data = edited(
        export_bytes(personas.clerk, ledger.round),
        lambda ws: (
            set_cell(ws, ledger.m[1].pk, "deadline", dt.date(1999, 1, 1)),
            set_cell(ws, ledger.m[2].pk, "deadline", days_from_today(366 * 30)),
        ),
    )
    before = state()
    report = run(personas.clerk, ledger, data)
    assert len(report.errors) == 2
    assert "完成时限（1999年1月1日）早于" in errors(report)[0]
    assert "过远" in errors(report)[1]
    assert not report.changes
    assert not run(personas.clerk, ledger, data, dry_run=False).applied
    assert state() == before
