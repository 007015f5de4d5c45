"""Plans as tables, in Word (.docx) and in the Excel workbooks units pass around (.xlsx).

Every shape is read from both formats and must give the same plan: the header found
by its names in any order and with their synonyms; the problem cell repeated, merged or
left empty down its measures; a header repeated on every page; a 序号 that restarts per
category; a category as a column, as a row across the table, or as a sheet's name;
several tables in one file; and a clear word when a table has no header to read.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile
from collections.abc import Callable

import pytest

from zhenggai.textparse import _xlsx
from zhenggai.textparse.lint import lint
from zhenggai.textparse.model import ParseResult
from zhenggai.textparse.parse import parse_document
from zhenggai.textparse.reader import ReadError, read_bytes

from .ole_builder import make_ole
from .table_builders import (
    PLAN,
    SHUFFLED,
    SYNONYMS,
    TREE,
    Row,
    Shape,
    Sheet,
    plan_docx,
    plan_rows,
    plan_xlsx,
)


def docx(rows: list[Row]) -> ParseResult:
    return parse_document(read_bytes(plan_docx(rows), "整改任务清单.docx"))


def xlsx(rows: list[Row]) -> ParseResult:
    return parse_document(read_bytes(plan_xlsx(Sheet("任务清单", rows)), "整改任务清单.xlsx"))


FORMATS: dict[str, Callable[[list[Row]], ParseResult]] = {"docx": docx, "xlsx": xlsx}
both_formats = pytest.mark.parametrize("read", FORMATS.values(), ids=list(FORMATS))


def tree(r: ParseResult) -> list[tuple[str, str, int]]:
    """(category, problem, measures) of a plan read as categories over problems."""
    return [(c.title, p.title, len(p.measures)) for c in r.findings for p in c.children]


def measures(r: ParseResult) -> list[tuple[str, str | None, str | None, str | None, str | None, object]]:
    out = []
    for c in r.findings:
        for p in c.children:
            for m in p.measures:
                who = m.responsible
                assert who is not None
                d = m.deadline
                assert d is not None
                out.append(
                    (m.text, who.leader, who.department, who.cooperating, who.person, d.value or d.kind)
                )
    return out


EXPECTED = [
    ("制定年度学习计划，每月开展一次集中学习", "张明", "办公室", "宣传科", "李华", dt.date(2024, 8, 31)),
    ("建立学习考勤和通报制度", "张明", "办公室", None, "王芳", "long_term"),
    ("修订意识形态工作责任制实施细则", "张明", "宣传科", "组织科", "赵强", dt.date(2024, 9, 30)),
    ("清退违规发放的津补贴", "刘伟", "财务科", None, "陈静", "immediate"),
    ("制定津补贴发放管理办法", "刘伟", "财务科", "审计科", "陈静", dt.date(2024, 10, 31)),
    ("精简会议文件，严格控制发文数量", "刘伟", "办公室", None, "李华", "long_term"),
]


def assert_the_plan(r: ParseResult, *, typed: bool = True) -> None:
    if typed:
        assert r.doc_type == "plan"
    assert (r.counts.categories, r.counts.issues, r.counts.problems, r.counts.measures) == (2, 0, 4, 6)
    assert tree(r) == TREE
    assert measures(r) == EXPECTED
    assert not {d.code for d in r.diagnostics} & {"table-unrecognised", "plan-no-measures"}


SHAPES = {
    "problem repeated, category column": Shape(problem="repeat"),
    "problem merged, category column merged": Shape(problem="merge"),
    "problem left empty": Shape(problem="empty"),
    "category row across the table": Shape(problem="merge", category="row"),
    "columns in another order": Shape(order=SHUFFLED, category="row", problem="repeat"),
    "牵头领导 责任单位 配合部门 具体责任人 整改时限": Shape(names=SYNONYMS[0], problem="merge"),
    "分管领导 牵头单位 时间节点 反馈问题": Shape(names=SYNONYMS[1], order=SHUFFLED, category="row"),
    "牵头部门 完成时间 问题表现 具体措施": Shape(names=SYNONYMS[2], problem="empty", category="row"),
    "header repeated on every page": Shape(problem="merge", category="row", repeat_header_every=2),
    "header repeated, problem left empty": Shape(
        order=SHUFFLED, category="row", problem="empty", repeat_header_every=1
    ),
    "title row across the table above its header": Shape(title="巡察反馈问题整改任务清单", problem="merge"),
    "序号 running through the categories": Shape(numbers="running", category="row"),
}


@both_formats
@pytest.mark.parametrize("shape", SHAPES.values(), ids=list(SHAPES))
def test_every_shape_of_a_plan_table_reads_as_the_same_plan(read, shape):
    assert_the_plan(read(plan_rows(shape)))


@both_formats
def test_a_table_whose_measures_column_is_named_具体措施_is_a_plan(read):
    assert read(plan_rows(Shape(names=SYNONYMS[2]))).doc_type == "plan"


@both_formats
def test_the_序号_that_restarts_per_category_numbers_the_problems_of_each(read):
    r = read(plan_rows(Shape(category="row", problem="merge")))
    assert [[p.number for p in c.children] for c in r.findings] == [["1", "2"], ["1", "2"]]
    running = read(plan_rows(Shape(category="row", numbers="running")))
    assert [[p.number for p in c.children] for c in running.findings] == [["1", "2"], ["3", "4"]]


@both_formats
def test_a_category_row_across_the_table_is_the_category_without_its_number(read):
    r = read(plan_rows(Shape(category="row")))
    assert [c.kind for c in r.findings] == ["category", "category"]
    assert [c.title for c in r.findings] == ["党的建设方面", "作风建设方面"]
    text = r.text
    a, b = r.findings[1].span
    assert text[a:b].startswith("二、作风建设方面")


@both_formats
def test_a_header_on_two_rows_under_a_group_cell_is_one_header(read):
    rows: list[Row] = [
        ["序号", "存在问题", "整改措施", ("责任分工", 3), "完成时限"],
        [None, None, None, "责任领导", "责任部门", "责任人", None],
        ["1", "理论学习中心组学习流于形式", "制定年度学习计划", "张明", "办公室", "李华", "2024年8月31日"],
        [None, None, "建立学习考勤和通报制度", None, None, "王芳", "长期坚持"],
    ]
    r = read(rows)
    (problem,) = r.findings
    assert problem.title == "理论学习中心组学习流于形式"
    got = [
        (m.text, m.responsible.leader, m.responsible.department, m.responsible.person)
        for m in problem.measures
    ]
    assert got == [
        ("制定年度学习计划", "张明", "办公室", "李华"),
        ("建立学习考勤和通报制度", "张明", "办公室", "王芳"),  # leader and department merged down
    ]


@both_formats
def test_numbered_measures_in_one_cell_are_several_measures_with_the_rows_owners(read):
    rows: list[Row] = [
        ["序号", "问题", "整改措施", "责任单位", "完成时限"],
        ["1", "违规发放津补贴", "1.全面清退违规发放的津补贴；2.制定津补贴发放管理办法", "财务科", "立行立改"],
    ]
    (problem,) = read(rows).findings
    assert [m.text.rstrip("；;") for m in problem.measures] == [
        "全面清退违规发放的津补贴",
        "制定津补贴发放管理办法",
    ]
    assert {m.responsible.department for m in problem.measures} == {"财务科"}


# --------------------------------------------------------------------------- several tables


def test_several_tables_in_one_docx_each_under_its_heading_with_its_own_columns():
    first = plan_rows(Shape(category="none"), PLAN[:1])
    second = plan_rows(Shape(category="none", order=SHUFFLED, names=SYNONYMS[1]), PLAN[1:])
    data = plan_docx(
        "某某局党组关于巡察反馈意见的整改方案",
        "一、党的建设方面",
        first,
        "二、作风建设方面",
        second,
    )
    assert_the_plan(parse_document(read_bytes(data, "方案.docx")))


def test_two_tables_one_right_after_the_other_are_read_each_by_its_own_header():
    first = plan_rows(Shape(category="none", title="表1 党的建设方面问题整改清单"), PLAN[:1])
    second = plan_rows(Shape(category="none", order=SHUFFLED, title="表2 作风建设方面问题整改清单"), PLAN[1:])
    r = parse_document(read_bytes(plan_docx(first, second), "清单.docx"))
    assert [p.title for p in r.findings] == [p for _, p, _ in TREE]
    assert r.counts.measures == 6
    assert [m[1:] for m in measures_flat(r)] == [e[1:] for e in EXPECTED]


def measures_flat(r: ParseResult) -> list[tuple]:
    return [
        (
            m.text,
            m.responsible.leader,
            m.responsible.department,
            m.responsible.cooperating,
            m.responsible.person,
            m.deadline.value or m.deadline.kind,
        )
        for p in r.findings
        for m in p.measures
    ]


def test_a_workbook_with_a_sheet_per_category_names_the_categories_by_the_sheets():
    data = plan_xlsx(
        Sheet("填表说明", [["填表说明"], ["1. 请逐项填写整改措施"], ["2. 完成时限写到日"]]),
        Sheet("党的建设方面", plan_rows(Shape(category="none", problem="merge"), PLAN[:1])),
        Sheet("作风建设方面", plan_rows(Shape(category="none", order=SHUFFLED), PLAN[1:])),
    )
    r = parse_document(read_bytes(data, "问题清单.xlsx"))
    assert_the_plan(r)
    assert "请逐项填写" not in r.text  # a sheet without a plan's header is not read


def test_a_category_column_or_row_wins_over_the_name_of_its_sheet():
    data = plan_xlsx(
        Sheet("第一批", plan_rows(Shape(category="row"), PLAN[:1])),
        Sheet("第二批", plan_rows(Shape(category="column"), PLAN[1:])),
    )
    assert [c.title for c in parse_document(read_bytes(data, "清单.xlsx")).findings] == [
        "党的建设方面",
        "作风建设方面",
    ]


def test_sheets_named_by_the_program_or_for_the_list_are_no_categories():
    rows = plan_rows(Shape(category="none"), PLAN[:1])
    for title in ("Sheet1", "任务清单", "整改台账"):
        r = parse_document(read_bytes(plan_xlsx(Sheet(title, rows)), "清单.xlsx"))
        assert [f.kind for f in r.findings] == ["problem", "problem"], title


# --------------------------------------------------------------------------- what Excel adds


def test_hidden_rows_hidden_sheets_and_empty_rows_are_left_out():
    rows = plan_rows(Shape(problem="merge"))
    stray = list(rows[2])
    stray[3] = "已删除的旧措施，不再执行"
    hidden_at = 3 + 4  # gap of 3, then the header, two body rows and this one
    rows_with_stray = [*rows[:3], stray, *rows[3:]]
    data = plan_xlsx(
        Sheet("清单", rows_with_stray, hidden_rows=[hidden_at], gap=3),
        Sheet("旧版", plan_rows(Shape()), state="hidden"),
    )
    r = parse_document(read_bytes(data, "清单.xlsx"))
    assert "已删除的旧措施" not in r.text
    assert_the_plan(r)
    assert r.text.count("理论学习中心组学习流于形式") == 1  # the hidden sheet is not read


def test_date_cells_read_as_a_clerk_reads_them_and_numbers_without_decimals():
    rows: list[Row] = [
        ["序号", "问题", "整改措施", "责任单位", "完成时限"],
        [1, "理论学习不深入", "制定学习计划", "办公室", dt.date(2024, 8, 31)],
        [2.0, "会议过多", "精简会议", "办公室", dt.date(2024, 9, 30)],
    ]
    data = plan_xlsx(Sheet("清单", rows))
    text = read_bytes(data, "清单.xlsx").text
    assert "1\t理论学习不深入" in text and "\n2\t会议过多" in text
    assert "2024年8月31日" in text  # shown as 2024年8月31日
    assert "2024年9月30日" in text  # the built-in yyyy-mm-dd format, read the same way
    r = parse_document(read_bytes(data, "清单.xlsx"))
    assert [m.deadline.value for p in r.findings for m in p.measures] == [
        dt.date(2024, 8, 31),
        dt.date(2024, 9, 30),
    ]


def test_a_date_shown_as_a_month_is_the_month():
    assert _xlsx._date_text(dt.datetime(2024, 8, 1), 'yyyy"年"m"月"') == "2024年8月"  # noqa: DTZ001
    assert _xlsx._date_text(dt.datetime(2024, 8, 1), "yyyy/m/d") == "2024年8月1日"  # noqa: DTZ001
    assert _xlsx._date_text(dt.datetime(2024, 8, 1), "[$-F800]dddd, mmmm dd, yyyy") == "2024年8月1日"  # noqa: DTZ001
    assert _xlsx._cell_text(0.25, "0%") == "25%"
    assert _xlsx._cell_text(True, "General") == "是"
    assert _xlsx._cell_text("第一行\n第二行", "General") == "第一行 第二行"


def test_a_title_row_above_the_header_is_the_documents_title():
    rows = plan_rows(Shape(title="县市场监管局巡察反馈问题整改任务清单", problem="merge"))
    r = parse_document(read_bytes(plan_xlsx(Sheet("Sheet1", rows)), "清单.xlsx"))
    assert r.title == "县市场监管局巡察反馈问题整改任务清单"
    assert_the_plan(r)


# --------------------------------------------------------------------------- bad input


NO_HEADER: list[Row] = [
    ["事项", "内容", "备注"],
    ["学习", "每月开展一次集中学习，建立考勤制度", "办公室"],
    ["会议", "精简会议文件，严格控制发文数量", "办公室"],
]


def test_a_docx_of_nothing_but_a_table_without_a_header_says_so_naming_the_table():
    r = parse_document(read_bytes(plan_docx(NO_HEADER), "清单.docx"))
    (warning,) = [d for d in r.diagnostics if d.code == "table-unrecognised"]
    assert "第 1 个表格没有可识别的表头" in warning.message
    assert "事项 | 内容 | 备注" in warning.message
    assert r.text[warning.span[0] : warning.span[1]].startswith("事项")
    assert "table-unrecognised" in {f.code for f in lint(r)}


def test_a_table_with_plan_columns_but_no_problem_column_is_named_even_among_text():
    rows: list[Row] = [
        ["序号", "整改措施", "责任单位", "完成时限"],
        ["1", "制定学习计划", "办公室", "2024年8月31日"],
    ]
    data = plan_docx(
        "关于巡察反馈意见的整改方案", "一、理论学习不深入", "整改措施如下。", plan_rows(Shape()), rows
    )
    r = parse_document(read_bytes(data, "方案.docx"))
    (warning,) = [d for d in r.diagnostics if d.code == "table-unrecognised"]
    assert warning.message.startswith("第 2 个表格")


def test_a_table_of_figures_in_a_notice_is_no_plan_and_no_warning():
    figures: list[Row] = [["单位", "2023年", "2024年"], ["县直", "12", "15"], ["乡镇", "30", "28"]]
    data = plan_docx(
        "关于巡察整改进展情况的通报",
        "一、整改工作开展情况",
        "县委高度重视巡察整改工作，成立整改工作领导小组，逐项明确责任。",
        figures,
        "二、下一步工作打算",
        "持续巩固整改成果。",
    )
    r = parse_document(read_bytes(data, "通报.docx"))
    assert "table-unrecognised" not in {d.code for d in r.diagnostics}


def test_a_workbook_without_a_plan_header_is_refused_naming_the_file_and_its_sheets():
    data = plan_xlsx(Sheet("统计", NO_HEADER), Sheet("说明", [["填表说明"]]))
    with pytest.raises(ReadError) as info:
        read_bytes(data, "问题清单.xlsx")
    message = str(info.value)
    assert message.startswith("无法读取 问题清单.xlsx：")
    assert "工作表“统计”“说明”中没有找到可识别的表头" in message
    assert "\n" not in message


# --------------------------------------------------------------------------- hostile workbooks

_CT = (
    b'<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    b'spreadsheetml.sheet.main+xml"/>'
    b'<Override PartName="/xl/worksheets/sheet1.xml" '
    b'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>'
)
_ROOT_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_WB = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
    'main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
    '<sheet name="问题清单" sheetId="1" r:id="rId1"/></sheets></workbook>'
).encode()
_WB_RELS = (
    b'<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
    b'relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>'
)


def raw_xlsx(sheet_body: bytes, *, shared: bytes | None = None) -> bytes:
    """A minimal workbook of one sheet named 问题清单 whose <sheetData> holds ``sheet_body``,
    and the shared strings ``shared`` (declared in the content types only, as openpyxl
    finds them)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        if shared is None:
            z.writestr("[Content_Types].xml", _CT)
        else:
            z.writestr(
                "[Content_Types].xml",
                _CT.replace(
                    b"</Types>",
                    b'<Override PartName="/xl/strings.xml" ContentType="application/vnd.openxmlformats-'
                    b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
                ),
            )
            z.writestr("xl/strings.xml", shared)
        z.writestr("_rels/.rels", _ROOT_RELS)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/_rels/workbook.xml.rels", _WB_RELS)
        z.writestr(
            "xl/worksheets/sheet1.xml",
            b'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="http://schemas.openxmlformats.org/'
            b'spreadsheetml/2006/main"><dimension ref="A1:B2"/><sheetData>'
            + sheet_body
            + b"</sheetData></worksheet>",
        )
    return out.getvalue()


def _inline(ref: str, text: str) -> bytes:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'.encode()


def test_a_minimal_workbook_with_inline_strings_reads():
    body = b"".join(
        [
            b'<row r="1">'
            + _inline("A1", "问题")
            + _inline("B1", "整改措施")
            + _inline("C1", "完成时限")
            + b"</row>",
            b'<row r="2">'
            + _inline("A2", "会议过多")
            + _inline("B2", "精简会议")
            + _inline("C2", "长期坚持")
            + b"</row>",
        ]
    )
    r = parse_document(read_bytes(raw_xlsx(body), "清单.xlsx"))
    assert [(p.title, [m.text for m in p.measures]) for p in r.findings] == [("会议过多", ["精简会议"])]


def _rows(count: int, per_row: int) -> bytes:
    """Rows of empty formatted cells, each with its own reference (so they do not
    compress like a bomb)."""
    letters = [chr(65 + i // 26) + chr(65 + i % 26) if i >= 26 else chr(65 + i) for i in range(per_row)]
    return b"".join(
        f'<row r="{r}">'.encode() + b"".join(f'<c r="{c}{r}" s="1"/>'.encode() for c in letters) + b"</row>"
        for r in range(1, count + 1)
    )


def _merges(count: int) -> bytes:
    return b"".join(f'<mergeCell ref="A{i}:B{i}"/>'.encode() for i in range(1, count + 1))


HOSTILE = {
    "a cell far to the right": (
        b'<row r="1">' + _inline("A1", "问题") + b'<c r="AAA1"><v>1</v></c></row>',
        f"工作表“问题清单”的第 1 行超过 {_xlsx.MAX_COLUMNS} 列",
    ),
    "more cells than any table": (
        _rows(_xlsx.MAX_SHEET_TAGS // 40 + 1, 40),
        "工作表“问题清单”的单元格超过",
    ),
    "a value a million rows down": (
        b'<row r="1">'
        + _inline("A1", "问题")
        + _inline("J1", "措施")
        + b'</row><row r="900000"><c r="J900000"><v>1</v></c></row>',
        "工作表“问题清单”：文档中的表格超过",
    ),
    "a row past Excel's last": (
        b'<row r="2000000"><c r="A2000000"><v>1</v></c></row>',
        "行数超出 Excel 的上限",
    ),
    "a merged range for every cell": (
        b'<row r="1">'
        + _inline("A1", "问题")
        + b"</row></sheetData><mergeCells>"
        + _merges(_xlsx.MAX_TABLE_CELLS + 1)
        + b"</mergeCells><sheetData>",
        "合并单元格过多",
    ),
}


@pytest.mark.parametrize(("body", "expected"), HOSTILE.values(), ids=list(HOSTILE))
def test_a_hostile_workbook_is_refused_naming_the_file_and_the_sheet(body, expected):
    with pytest.raises(ReadError) as info:
        read_bytes(raw_xlsx(body), "问题清单.xlsx")
    message = str(info.value)
    assert message.startswith("无法读取 问题清单.xlsx：") and "\n" not in message
    assert expected in message


def test_a_workbook_bomb_is_refused_by_its_zip_directory():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("xl/workbook.xml", _WB)
        z.writestr("xl/sharedStrings.xml", b" " * (40 * 1024 * 1024))
    with pytest.raises(ReadError) as info:
        read_bytes(out.getvalue(), "问题清单.xlsx")
    assert "拒绝读取" in str(info.value)


def test_too_many_shared_strings_are_refused_before_openpyxl_reads_them():
    strings = b"".join(f"<si><t>{i}</t></si>".encode() for i in range(_xlsx.MAX_SHARED_STRINGS + 1))
    body = b'<row r="1"><c r="A1" t="s"><v>0</v></c></row>'
    with pytest.raises(ReadError) as info:
        read_bytes(raw_xlsx(body, shared=b"<sst>" + strings + b"</sst>"), "问题清单.xlsx")
    assert "文字条目超过" in str(info.value)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"PK\x03\x04" + b"\x00" * 64, "xlsx 文件已损坏或不完整"),
        (b"just text, not a workbook", "不是 Excel 表格（.xlsx）格式"),
        (make_ole({"EncryptionInfo": b"", "EncryptedPackage": b""}), "表格设置了打开密码"),
    ],
    ids=["truncated zip", "not a zip", "password"],
)
def test_a_damaged_or_locked_workbook_is_refused_with_a_clear_message(data, expected):
    with pytest.raises(ReadError) as info:
        read_bytes(data, "问题清单.xlsx")
    assert expected in str(info.value) and str(info.value).startswith("无法读取 问题清单.xlsx：")


def test_a_workbook_missing_its_sheet_part_is_refused_as_damaged():
    data = plan_xlsx(Sheet("清单", plan_rows(Shape())))
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as z:
        for info in src.infolist():
            if info.filename != "xl/styles.xml":
                z.writestr(info.filename, src.read(info) if info.filename != "xl/workbook.xml" else b"<oops")
    with pytest.raises(ReadError) as info:
        read_bytes(out.getvalue(), "清单.xlsx")
    assert "xlsx 文件已损坏" in str(info.value)
