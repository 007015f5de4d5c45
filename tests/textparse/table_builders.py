"""Plans as tables, built as .docx (python-docx, merges as raw WordprocessingML) and as
.xlsx (openpyxl, merged cells, several sheets, hidden rows, date cells).

A table is a list of rows; a cell is
- a str (or an int / a date: Word gets its text, Excel the typed value),
- None: merged with the cell above (``w:vMerge`` / an Excel merged range),
- ``(value, n)``: spanning n columns (``w:gridSpan`` / a merged range across).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass, field

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from .builders import make_docx

Value = str | int | float | dt.date | None | tuple[object, int]
Row = list[Value]

# --------------------------------------------------------------------------- the plan

# (category, [(problem, [(measure, leader, department, cooperating, person, deadline)])])
PLAN: list[tuple[str, list[tuple[str, list[tuple[str, str, str, str, str, str | dt.date]]]]]] = [
    (
        "党的建设方面",
        [
            (
                "理论学习中心组学习流于形式",
                [
                    (
                        "制定年度学习计划，每月开展一次集中学习",
                        "张明",
                        "办公室",
                        "宣传科",
                        "李华",
                        dt.date(2024, 8, 31),
                    ),
                    ("建立学习考勤和通报制度", "张明", "办公室", "", "王芳", "长期坚持"),
                ],
            ),
            (
                "意识形态工作责任制落实不到位",
                [
                    (
                        "修订意识形态工作责任制实施细则",
                        "张明",
                        "宣传科",
                        "组织科",
                        "赵强",
                        dt.date(2024, 9, 30),
                    )
                ],
            ),
        ],
    ),
    (
        "作风建设方面",
        [
            (
                "违规发放津补贴",
                [
                    ("清退违规发放的津补贴", "刘伟", "财务科", "", "陈静", "立行立改"),
                    ("制定津补贴发放管理办法", "刘伟", "财务科", "审计科", "陈静", dt.date(2024, 10, 31)),
                ],
            ),
            ("会议文件过多", [("精简会议文件，严格控制发文数量", "刘伟", "办公室", "", "李华", "长期坚持")]),
        ],
    ),
]

#: The tree of PLAN: (category, problem, measure count).
TREE = [(c, p, len(ms)) for c, problems in PLAN for p, ms in problems]

# Header names, by field; every synonym the genre uses.
STANDARD = {
    "number": "序号",
    "category": "问题类别",
    "problem": "存在问题",
    "measure": "整改措施",
    "leader": "责任领导",
    "department": "责任部门",
    "cooperating": "配合单位",
    "person": "责任人",
    "deadline": "完成时限",
}
SYNONYMS = [
    {
        "leader": "牵头领导",
        "department": "责任单位",
        "cooperating": "配合部门",
        "person": "具体责任人",
        "deadline": "整改时限",
    },
    {"leader": "分管领导", "department": "牵头单位", "deadline": "时间节点", "problem": "反馈问题"},
    {"department": "牵头部门", "deadline": "完成时间", "problem": "问题表现", "measure": "具体措施"},
]
ORDER = [
    "number",
    "category",
    "problem",
    "measure",
    "leader",
    "department",
    "cooperating",
    "person",
    "deadline",
]
SHUFFLED = ["problem", "number", "deadline", "measure", "person", "department", "leader", "cooperating"]


@dataclass
class Shape:
    """How the plan is laid out in its table."""

    order: list[str] = field(default_factory=lambda: list(ORDER))
    names: dict[str, str] = field(default_factory=dict)  # header names other than STANDARD
    problem: str = "repeat"  # repeat | merge | empty: the problem cell down its measures
    category: str = "column"  # column | row (a row across the table) | none
    numbers: str = "restart"  # restart per category | running
    repeat_header_every: int = 0  # a header row again after every n body rows (page breaks)
    title: str | None = None  # a title row across the table above its header
    dates: str = "text"  # text | typed (dates as date values: Excel date cells)


def _deadline(value: str | dt.date, dates: str) -> Value:
    if isinstance(value, dt.date):
        return value if dates == "typed" else f"{value.year}年{value.month}月{value.day}日"
    return value


def plan_rows(shape: Shape, plan: Sequence = PLAN) -> list[Row]:
    """The plan as rows of one table, header first."""
    order = [k for k in shape.order if shape.category == "column" or k != "category"]
    names = {**STANDARD, **shape.names}
    header: Row = [names[k] for k in order]
    width = len(order)
    rows: list[Row] = []
    if shape.title:
        rows.append([(shape.title, width)])
    rows.append(header)
    body: list[Row] = []
    number = 0
    for ci, (category, problems) in enumerate(plan):
        if shape.numbers == "restart":
            number = 0
        if shape.category == "row":
            body.append([(f"{_cn(ci + 1)}、{category}", width)])
        first_in_category = True
        for problem, measures in problems:
            number += 1
            for mi, (measure, leader, dept, coop, person, deadline) in enumerate(measures):
                values: dict[str, Value] = {
                    "number": str(number),
                    "category": category,
                    "problem": problem,
                    "measure": measure,
                    "leader": leader,
                    "department": dept,
                    "cooperating": coop,
                    "person": person,
                    "deadline": _deadline(deadline, shape.dates),
                }
                if mi:
                    values["number"] = None if shape.problem == "merge" else ""
                    if shape.problem == "merge":
                        values["problem"] = None
                    elif shape.problem == "empty":
                        values["problem"] = ""
                if not first_in_category:
                    values["category"] = None
                first_in_category = False
                body.append([values[k] for k in order])
    for i, row in enumerate(body):
        if shape.repeat_header_every and i and i % shape.repeat_header_every == 0:
            # A page break: the header again. A cell merged across it restarts below.
            rows.append(list(header))
            row = [(_above(body, i, j) if v is None else v) for j, v in enumerate(row)]
        rows.append(row)
    return rows


def _cn(n: int) -> str:
    """一 … 九十九."""
    digits = "零一二三四五六七八九"
    tens, ones = divmod(n, 10)
    return (("" if tens == 1 else digits[tens]) + "十" if tens else "") + (digits[ones] if ones else "")


def _above(body: list[Row], i: int, j: int) -> Value:
    """The value a merged cell shows: the nearest filled cell above it."""
    for k in range(i - 1, -1, -1):
        v = body[k][j] if j < len(body[k]) else ""
        if v is not None:
            return v[0] if isinstance(v, tuple) else v  # type: ignore[return-value]
    return ""


def big_plan(rows: int) -> list[Row]:
    """A plan table of ``rows`` measure rows: problems of three measures, 20 categories."""
    plan = []
    per_category = max(1, rows // 60)  # problems per category, 3 measures each
    made = 0
    c = 0
    while made < rows:
        c += 1
        problems = []
        for p in range(per_category):
            ms = []
            for m in range(3):
                if made >= rows:
                    break
                ms.append(
                    (
                        f"针对第{c}类第{p + 1}个问题制定第{m + 1}项整改措施，建立健全长效机制，确保整改到位",
                        "张明",
                        f"第{c % 7 + 1}科室",
                        "办公室" if m == 1 else "",
                        f"责任人{m}",
                        dt.date(2024, 1 + (m * 3 + p) % 12, 28),
                    )
                )
                made += 1
            if ms:
                problems.append((f"第{c}类第{p + 1}个问题：制度执行不到位，监督管理不严格", ms))
        plan.append((f"第{c}类方面", problems))
    return plan_rows(Shape(problem="merge", category="row", dates="typed"), plan)


# --------------------------------------------------------------------------- docx


def _as_text(v: Value) -> object:
    if isinstance(v, tuple):
        return (_as_text(v[0]), v[1])  # type: ignore[arg-type]
    if isinstance(v, dt.date):
        return f"{v.year}年{v.month}月{v.day}日"
    if isinstance(v, int | float):
        return str(v)
    return v


def plan_docx(*blocks: str | list[Row]) -> bytes:
    """A .docx of paragraphs (str) and tables (lists of rows)."""
    return make_docx([b if isinstance(b, str) else [[_as_text(v) for v in r] for r in b] for b in blocks])


# --------------------------------------------------------------------------- xlsx


@dataclass
class Sheet:
    title: str
    rows: list[Row]
    hidden_rows: Sequence[int] = ()  # 1-based row numbers of rows hidden in Excel
    state: str = "visible"  # visible | hidden | veryHidden
    gap: int = 0  # empty rows above the table


def plan_xlsx(*sheets: Sheet) -> bytes:
    """A workbook with one sheet per Sheet: None cells merged with the cell above (the
    range starts at the filled cell), ``(value, n)`` merged across n columns, dates as
    date cells shown as 2024年8月31日 (or with Excel's built-in date format)."""
    wb = Workbook()
    wb.remove(wb.active)
    for sheet in sheets:
        ws = wb.create_sheet(sheet.title)
        ws.sheet_state = sheet.state
        merges: list[tuple[int, int, int, int]] = []
        open_down: dict[int, list[int]] = {}  # column -> [first row, last row] of a vertical merge
        for r, row in enumerate(sheet.rows, start=1 + sheet.gap):
            col = 1
            for v in row:
                span = v[1] if isinstance(v, tuple) else 1
                value = v[0] if isinstance(v, tuple) else v
                if v is None:
                    run = open_down.get(col)
                    if run is not None:
                        run[1] = r
                else:
                    _close(open_down.pop(col, None), col, merges)
                    if value != "":
                        cell = ws.cell(row=r, column=col, value=value)
                        if isinstance(value, dt.date):
                            cell.number_format = 'yyyy"年"m"月"d"日"' if r % 2 else "yyyy-mm-dd"
                    open_down[col] = [r, r]
                    if span > 1:
                        merges.append((r, col, r, col + span - 1))
                col += span
        for col, run in open_down.items():
            _close(run, col, merges)
        for r1, c1, r2, c2 in merges:
            ws.merge_cells(start_row=r1, start_column=c1, end_row=r2, end_column=c2)
        for r in sheet.hidden_rows:
            ws.row_dimensions[r].hidden = True
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _close(run: list[int] | None, col: int, merges: list[tuple[int, int, int, int]]) -> None:
    if run is not None and run[1] > run[0]:
        merges.append((run[0], col, run[1], col))


def column(n: int) -> str:
    return get_column_letter(n)
