"""Plans as tables: one row per measure, the problem repeated, merged or left empty down.

The reader writes a table as one line per row with cells joined by tabs; a
vertically merged cell is empty below its first row. This module finds the
header by the names of its columns (序号, 问题, 整改措施, 责任领导, 责任部门, 配合单位,
责任人, 完成时限 … in any order, with their synonyms, on one row or on two when a
group such as 责任分工 spans the names below it), and reads the rows into problems
with measures. A run of rows may hold several tables and a header repeated on every
page; a row with one cell filled across the table is a category (一、党的建设方面),
or the caption of the table below it.

Works on the width-folded text (``Line.text``); spans point into the original.
"""

from __future__ import annotations

import bisect
import functools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from .markers import Line, _clean_title, iter_lines, match_heading
from .model import Diagnostic, Span

# Column names, most specific first; a header cell takes the first kind that matches.
_COLUMNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("number", re.compile(r"^(?:序号|编号|序|问题序号|问题编号)$")),
    ("measure", re.compile(r"措施|举措|整改任务|整改内容|整改办法")),
    ("category", re.compile(r"问题(?:类别|类型|方面|分类)|^类别$|^类型$|^方面$|^领域$|所属方面|所属领域")),
    ("goal", re.compile(r"整改(?:目标|标准|要求)")),
    ("cause", re.compile(r"原因")),
    ("problem", re.compile(r"问题|^反馈意见$|^意见$")),
    ("cooperating", re.compile(r"配合|协办|协助")),
    ("leader", re.compile(r"(?:责任|牵头|分管|包保|主管)领导|^领导$|领导责任人")),
    (
        "department",
        re.compile(r"(?:责任|牵头|主责|承办|主办)(?:部门|单位|科室|股室|处室|主体)|^责任单位|^部门$|^单位$"),
    ),
    ("person", re.compile(r"责任人|经办人|承办人|联系人")),
    ("deadline", re.compile(r"时限|完成时间|整改时间|期限|时间节点|完成日期|时间要求")),
    ("progress", re.compile(r"进展|完成情况|整改情况|落实情况|整改状态|整改进度")),
)
_RESPONSIBILITY = frozenset({"leader", "department", "person", "deadline", "cooperating"})

#: How far down a table its header may stand (below a title row, a unit line …).
HEADER_SEARCH_ROWS = 6

_LEADING_NUMBER = re.compile(
    r"^\s*(?:[一二三四五六七八九十]{1,3}\s*[、.]|\(\s*[一二三四五六七八九十\d]{1,3}\s*\)|"
    r"\d{1,3}\s*[.、)](?!\d))\s*"
)
_CATEGORY_LIKE = re.compile(r"方面|领域|^[一二三四五六七八九十]{1,3}\s*[、.]")
# A caption above a table that names the table, not a part of the plan.
_TABLE_TITLE = re.compile(
    r"清单|台账|方案|一览表|汇总|统计表|明细|^附件|^附表|^表\s*\d|^填报|^单位\s*:|^[\d\s]+$"
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


@dataclass(slots=True)
class TableReading:
    """The problems of a run of table rows, and where its first header stood (None: no
    header was recognised, the rows are not a plan)."""

    problems: list[TableProblem]
    header: Span | None
    unread: list[Sequence[Line]] = field(default_factory=list)  # tables without a header


def _cells(line: Line) -> list[Cell]:
    cells = []
    pos = line.start
    for part in line.text.split("\t"):
        lead = len(part) - len(part.lstrip(" \u3000"))
        stripped = part.strip(" \u3000")
        cells.append(Cell(stripped, pos + lead, pos + lead + len(stripped)))
        pos += len(part) + 1
    return cells


def _kind(text: str) -> str | None:
    """The kind of column a header cell names, or None."""
    name = re.sub(r"[\s()（）]", "", text)
    if not name or len(name) > 12:
        return None
    for kind, rx in _COLUMNS:
        if rx.search(name):
            return kind
    return None


def _complete(cols: dict[int, str]) -> bool:
    kinds = set(cols.values())
    if "problem" not in kinds:
        return False
    return bool(kinds & {"measure", "progress"} or kinds & _RESPONSIBILITY)


def columns(texts: Sequence[str]) -> dict[int, str]:
    """Column index → kind for the cells of a row that name a column; the first cell of
    a kind takes it. A task column (整改任务) before a measure column is the problem."""
    found: list[tuple[int, str]] = []
    for i, t in enumerate(texts):
        kind = _kind(t)
        if kind is not None:
            found.append((i, kind))
    measures = [i for i, k in found if k == "measure"]
    if len(measures) >= 2 and all(k != "problem" for _, k in found):
        found = [(i, "problem" if i == measures[0] else k) for i, k in found]
    cols: dict[int, str] = {}
    for i, kind in found:
        if kind not in cols.values():
            cols[i] = kind
    return cols


def _names_only(texts: Sequence[str]) -> bool:
    """A row of column names (a header row, or the lower row of one): every filled cell
    short, and most of them names this module knows (备注 and the like are not)."""
    filled = [t for t in texts if t]
    if not filled or any(len(t) > 16 for t in filled):
        return False
    return sum(1 for t in filled if _kind(t) is not None) * 2 >= len(filled)


def header_in(rows: Sequence[Sequence[str]], i: int) -> tuple[dict[int, str], int] | None:
    """The columns of a header starting at ``rows[i]`` and how many rows it takes (1 or
    2), or None. A second row of names under a group cell (责任分工 over 责任领导 / 责任单位)
    completes the first; the lower row names the columns it fills."""
    upper = columns(rows[i])
    if (
        upper
        and i + 1 < len(rows)
        and all(len(t) <= 12 for t in rows[i])
        and _names_only(rows[i + 1])
        and not _complete(lower := columns(rows[i + 1]))
    ):
        both = {k: v for k, v in upper.items() if k not in lower and v not in lower.values()}
        both.update(lower)
        if _complete(both) and len(both) > len(upper):
            return both, 2
    if _complete(upper) and _names_only(rows[i]):
        return upper, 1
    return None


def find_header(
    rows: Sequence[Sequence[str]], limit: int = HEADER_SEARCH_ROWS
) -> tuple[int, dict[int, str], int] | None:
    """(row index, columns, rows taken) of the first header among the first ``limit`` rows."""
    for i in range(min(limit, len(rows))):
        got = header_in(rows, i)
        if got is not None:
            return i, got[0], got[1]
    return None


def header_columns(line: Line) -> dict[int, str] | None:
    """Map column index → kind when ``line`` is a ledger header row."""
    cols = columns([c.text for c in _cells(line)])
    return cols if _complete(cols) else None


def is_table_title(text: str) -> bool:
    """A caption that names the table (…整改任务清单, 附件1) rather than a part of the plan."""
    return bool(_TABLE_TITLE.search(re.sub(r"\s", "", text)))


def _category_of(text: str, span: Span) -> tuple[str, Span]:
    return _clean_title(_LEADING_NUMBER.sub("", text)), span


def _blocks(rows: Sequence[Line], norm: str | None) -> list[Sequence[Line]]:
    """The tables of a run of rows: the reader leaves a blank line between two tables."""
    if norm is None:
        return [rows]
    out: list[Sequence[Line]] = []
    begin = 0
    for k in range(1, len(rows)):
        if norm.count("\n", rows[k - 1].end, rows[k].start) >= 2:
            out.append(rows[begin:k])
            begin = k
    out.append(rows[begin:])
    return out


def read_tables(rows: Sequence[Line], norm: str | None = None) -> TableReading:
    """Read a run of table rows (``norm``, the text they are in, tells the tables of the
    run apart): possibly several tables, each under its header.

    Rows above a table's header are captions (a category-like one, 一、党的建设方面, is
    the category of the rows below). A header repeated on every page is skipped; a new
    header maps the columns afresh; a table without a header of its own continues the
    table above it when it has as many columns. The problem cell repeated, merged (empty)
    or left empty down the rows of its measures is one problem; each measure takes the
    responsibility of its row, and a leader, department or deadline merged down from
    the rows above it. Tables that could not be read are listed in ``unread``.
    """
    reading = TableReading([], None)
    state: _Rows | None = None
    width = 0
    for block in _blocks(rows, norm):
        cells = [_cells(r) for r in block]
        texts = [[c.text for c in row] for row in cells]
        found = find_header(texts)
        if found is None:
            if state is not None and len(cells[0]) == width:
                state.read(block, cells, texts, 0)  # the same table, past a page or a break
            else:
                reading.unread.append(block)
                state = None
            continue
        start, cols, taken = found
        category: tuple[str, Span] | None = None
        for k in range(start):
            filled = [c for c in cells[k] if c.text]
            if len(filled) == 1 and not is_table_title(filled[0].text):
                category = _category_of(filled[0].text, (block[k].start, block[k].end))
        if reading.header is None:
            reading.header = (block[start].start, block[start + taken - 1].end)
        state = _Rows(reading.problems, cols, category)
        width = len(cells[start])
        state.read(block, cells, texts, start + taken)
    return reading


class _Rows:
    """The state of reading body rows: the columns, the category, the open problem and
    the responsibility merged down."""

    def __init__(
        self, out: list[TableProblem], cols: dict[int, str], category: tuple[str, Span] | None
    ) -> None:
        self.out = out
        self.by_kind = {kind: i for i, kind in cols.items()}
        self.category = category
        self.current: TableProblem | None = None
        self.carried: dict[str, str] = {}

    def set_category(self, category: tuple[str, Span] | None) -> None:
        self.category = category
        self.current = None
        self.carried = {}

    def read(self, rows: Sequence[Line], cells: list[list[Cell]], texts: list[list[str]], k: int) -> None:
        n = len(rows)
        while k < n:
            row_cells = cells[k]
            filled = [c for c in row_cells if c.text]
            if not filled:
                k += 1
                continue
            head = header_in(texts, k) if len(filled) >= 2 and len(filled[0].text) <= 12 else None
            if head is not None:
                cols, taken = head
                by_kind = {kind: i for i, kind in cols.items()}
                if by_kind != self.by_kind:  # another table: its own columns
                    self.by_kind = by_kind
                    self.current = None
                    self.carried = {}
                k += taken
                continue
            only = filled[0]
            if len(filled) == 1 and len(row_cells) > 2 and self._spans(row_cells, only):
                # A row with one cell across the table: the caption of the table below
                # it, or a category of the rows below.
                nxt = k + 1
                captions_next = nxt < n and header_in(texts, nxt) is not None
                if captions_next and is_table_title(only.text):
                    self.set_category(None)
                else:
                    self.set_category(_category_of(only.text, (rows[k].start, rows[k].end)))
                k += 1
                continue
            self._row(rows[k], row_cells)
            k += 1

    def _spans(self, cells: list[Cell], only: Cell) -> bool:
        """Whether a row whose one filled cell is ``only`` is a row across the table (a
        category, a caption), not a problem or a measure stated alone on its row."""
        if self._cell(cells, "measure") is not None:
            return False
        if only is cells[0] or _CATEGORY_LIKE.search(only.text):
            return True
        return only is not self._cell(cells, "problem")

    def _cell(self, cells: list[Cell], kind: str) -> Cell | None:
        i = self.by_kind.get(kind)
        if i is None or i >= len(cells) or not cells[i].text:
            return None
        return cells[i]

    def _row(self, row: Line, cells: list[Cell]) -> None:
        cat = self._cell(cells, "category")
        if cat is not None:
            category = _category_of(cat.text, (cat.start, cat.end))
            if self.category is None or category[0] != self.category[0]:
                self.set_category(category)
        prob = self._cell(cells, "problem")
        current = self.current
        if prob is not None and (current is None or prob.text != current.source_text):
            num = self._cell(cells, "number")
            lead = _LEADING_NUMBER.match(prob.text)
            number = num.text if num else (lead.group().strip(" 、.()") if lead else None)
            title = _clean_title(_LEADING_NUMBER.sub("", prob.text))
            current = TableProblem(title, (row.start, row.end), number, self.category, prob.text)
            self.current = current
            self.out.append(current)
            # A person is named for a problem's measures, never carried over from the
            # problem above.
            self.carried.pop("person", None)
        if current is None:
            return
        current.span = (current.span[0], row.end)
        stated: dict[str, str] = {}
        for kind in ("leader", "department", "cooperating", "person", "deadline", "progress"):
            c = self._cell(cells, kind)
            if c is not None:
                self.carried[kind] = c.text
            elif kind == "cooperating":
                # An empty 配合单位 is none, more often than one merged down.
                self.carried.pop(kind, None)
            if kind in self.carried:
                stated[kind] = self.carried[kind]
        m = self._cell(cells, "measure") or (
            self._cell(cells, "progress") if "measure" not in self.by_kind else None
        )
        if m is None:
            return
        current.measures.append(
            TableMeasure(
                m,
                (row.start, row.end),
                {k: v for k, v in stated.items() if k in ("leader", "department", "cooperating", "person")},
                stated.get("deadline"),
                stated.get("progress") if "measure" in self.by_kind else None,
            )
        )


# --- tables the reader could not read as plans -------------------------------------------


@functools.lru_cache(maxsize=2)
def _layout(norm: str) -> tuple[list[int], bool]:
    """Where each run of table rows starts, and whether the text is nothing but tables
    (no heading and at most a few short lines, a title, outside them)."""
    starts: list[int] = []
    in_table = False
    others = 0
    outline = False
    end = 0
    for ln in iter_lines(norm):
        if ln.is_table_row:
            if not in_table or norm.count("\n", end, ln.start) >= 2:
                starts.append(ln.start)
            in_table = True
            end = ln.end
            continue
        in_table = False
        if not outline:
            others += 1
            outline = others > 4 or len(ln.text) > 80 or match_heading(ln) is not None
    return starts, not outline


def unrecognised(norm: str, rows: Sequence[Line]) -> Diagnostic | None:
    """A warning for a table whose header names no plan columns, when it matters: the
    document is nothing but tables, or the table names some columns of a plan (问题,
    整改措施, 责任单位 …) without the ones it needs. None for other tables (a table of
    figures in a notice)."""
    if not rows:
        return None
    texts = [[c.text for c in _cells(r)] for r in rows[:HEADER_SEARCH_ROWS]]
    partial = any(len(columns(t)) >= 2 for t in texts)
    starts, only_tables = _layout(norm)
    if not (partial or only_tables):
        return None
    ordinal = bisect.bisect_right(starts, rows[0].start)
    shown = " | ".join(t for t in texts[0] if t)[:40]
    return Diagnostic(
        "table-unrecognised",
        "warning",
        f"第 {max(ordinal, 1)} 个表格没有可识别的表头（首行为“{shown}”），未从中读出问题和整改措施："
        "表头应有“问题”列，以及“整改措施”“责任单位”“完成时限”等列",
        (rows[0].start, rows[0].end),
    )
