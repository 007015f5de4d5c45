"""Plans as tables: one row per measure, the problem repeated or merged down.

The reader writes a table as one line per row with cells joined by tabs; a
vertically merged cell is empty below its first row. This module finds the
header, maps its columns (序号, 问题, 整改措施, 责任领导, 责任部门, 责任人, 完成时限 …)
and reads the rows into problems with measures.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .markers import Line, _clean_title
from .model import Span

# Column names, most specific first; a header cell takes the first kind that matches.
_COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"^(?:序号|编号|序)$")),
    ("measure", re.compile(r"整改(?:措施|举措|任务)|具体措施|^措施$|工作措施")),
    ("category", re.compile(r"问题(?:类别|类型|方面)|^类别$|^方面$|^领域$|所属方面")),
    ("goal", re.compile(r"整改(?:目标|标准|要求)")),
    ("cause", re.compile(r"原因")),
    ("problem", re.compile(r"问题|^反馈意见$|^问题清单$")),
    ("leader", re.compile(r"(?:责任|牵头|分管)领导|^领导$")),
    ("department", re.compile(r"(?:责任|牵头)(?:部门|单位|科室|股室|处室)|^责任单位")),
    ("person", re.compile(r"责任人|经办人|承办人")),
    ("deadline", re.compile(r"时限|完成时间|期限|时间节点|完成日期")),
    ("progress", re.compile(r"进展|完成情况|整改情况|落实情况|整改状态")),
)

_LEADING_NUMBER = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.]|\(\s*[一二三四五六七八九十\d]{1,3}\s*\)|"
    r"\d{1,3}\s*[.、)](?!\d))\s*"
)


@dataclass(slots=True)
class Cell:
    text: str
    start: int
    end: int


@dataclass(slots=True)
class TableMeasure:
    cell: Cell
    row_span: Span
    responsible: dict[str, str] = field(default_factory=dict)
    deadline_text: str | None = None
    progress: str | None = None


@dataclass(slots=True)
class TableProblem:
    title: str
    span: Span  # from its first row to its last
    number: str | None
    category: tuple[str, Span] | None
    source_text: str  # the problem cell as written, to tell repeated rows apart
    measures: list[TableMeasure] = field(default_factory=list)


def _cells(line: Line) -> list[Cell]:
    cells = []
    pos = line.start
    for part in line.text.split("\t"):
        lead = len(part) - len(part.lstrip(" \u3000"))
        stripped = part.strip(" \u3000")
        cells.append(Cell(stripped, pos + lead, pos + lead + len(stripped)))
        pos += len(part) + 1
    return cells


def header_columns(line: Line) -> dict[int, str] | None:
    """Map column index → kind when ``line`` is a ledger header row."""
    cols: dict[int, str] = {}
    for i, cell in enumerate(_cells(line)):
        name = re.sub(r"[\s()]", "", cell.text)
        if not name or len(name) > 12:
            continue
        for kind, rx in _COLUMNS:
            if rx.search(name):
                if kind not in cols.values():
                    cols[i] = kind
                break
    kinds = set(cols.values())
    if ("measure" in kinds or "progress" in kinds) and "problem" in kinds:
        return cols
    if "problem" in kinds and kinds & {"leader", "department", "person", "deadline"}:
        return cols
    return None


def read_table(rows: Sequence[Line], cols: dict[int, str]) -> list[TableProblem]:
    """Read the body rows of a ledger table (the header excluded)."""
    by_kind = {kind: i for i, kind in cols.items()}
    problems: list[TableProblem] = []
    category: tuple[str, Span] | None = None
    carried: dict[str, str] = {}
    current: TableProblem | None = None
    for row in rows:
        cells = _cells(row)

        def cell(kind: str, cells: list[Cell] = cells) -> Cell | None:
            i = by_kind.get(kind)
            if i is None or i >= len(cells) or not cells[i].text:
                return None
            return cells[i]

        filled = [c for c in cells if c.text]
        if len(filled) == 1 and len(cells) > 2 and cell("measure") is None:
            # A separator row spanning the table: a category heading.
            only = filled[0]
            category = (_clean_title(_LEADING_NUMBER.sub("", only.text)), (row.start, row.end))
            current = None
            continue
        cat = cell("category")
        if cat is not None:
            category = (_clean_title(_LEADING_NUMBER.sub("", cat.text)), (cat.start, cat.end))
        prob = cell("problem")
        if prob is not None and (current is None or prob.text != current.source_text):
            num = cell("number")
            title = _clean_title(_LEADING_NUMBER.sub("", prob.text))
            current = TableProblem(
                title, (row.start, row.end), num.text if num else None, category, prob.text
            )
            problems.append(current)
        if current is None:
            continue
        current.span = (current.span[0], row.end)
        responsible = {}
        for kind in ("leader", "department", "person", "deadline", "progress"):
            c = cell(kind)
            if c is not None:
                carried[kind] = c.text
            if kind in carried:
                responsible[kind] = carried[kind]
        m = cell("measure") or (cell("progress") if "measure" not in by_kind else None)
        if m is None:
            continue
        current.measures.append(
            TableMeasure(
                m,
                (row.start, row.end),
                {k: v for k, v in responsible.items() if k in ("leader", "department", "person")},
                responsible.get("deadline"),
                responsible.get("progress") if "measure" in by_kind else None,
            )
        )
    return problems
