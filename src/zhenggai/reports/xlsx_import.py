"""Reading an edited 整改台账 workbook back: check it, compare it, apply it through the services.

Three steps, each with its own refusals:

1. ``open_workbook`` refuses a file that cannot be the workbook we wrote: empty or
   too large, encrypted (an OLE container), an old .xls, a corrupt zip, a zip that is
   not a workbook, no ``_meta`` sheet, a workbook of another round, a header row that
   was renamed, reordered or lost the id column, merged cells below the header.
   These raise ``WorkbookRefused`` (the CLI exits 2, the page shows the message).
2. The rows are compared with the ledger in chunks (constant memory): each editable
   cell that differs from the measure becomes a ``Change``; a cell that cannot be
   used (unknown id, a person who is not a member, a date that cannot be read, a
   formula, a status with no way there) becomes a ``RowError``.
3. The changes are applied row by row through the ledger's ``MeasureBatch``, which
   checks each as its service does (``measure_update`` with the exported version,
   ``progress_add``, ``measure_submit``, ``measure_review``) and writes them all at
   the end, inside one transaction; a refused row leaves none of its changes, and
   every refusal is reported. A dry run, or any refusal, rolls the whole transaction
   back: the dry run is the real apply, undone, so it reports exactly what the apply
   would do, role checks included.

Queries: three per ``CHUNK`` rows compared, and a fixed number for the apply, whatever
the number of rows (up to ``plan.IDS_PER_QUERY`` measures read per query).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import re
import warnings
import zipfile
from collections import defaultdict, deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import OuterRef, Subquery
from openpyxl import load_workbook
from openpyxl.utils import column_index_from_string, get_column_letter

from zhenggai.errors import InvalidInput, ServiceError
from zhenggai.ledger import selectors, services
from zhenggai.ledger.models import Measure, MeasureStatus, Progress, ReviewDecision, Round
from zhenggai.ledger.policy import FINISHED
from zhenggai.ledger.services import MeasureBatch
from zhenggai.textparse.dates import find_dates
from zhenggai.units.models import Unit
from zhenggai.units.selectors import members_of, visible_units_q

from .exporters import cell_text
from .xlsx import (
    COLUMNS,
    EDITABLE,
    HEADERS,
    ID_HEADER,
    INDEX,
    KIND_BY_LABEL,
    KIND_LABEL,
    LABELS,
    MAIN_SHEET,
    META_SHEET,
    PLAN_FIELDS,
    SCHEMA,
    STATUS_BY_LABEL,
    STATUS_LABEL,
    person_label,
    round_key,
)

#: Rows compared per query: their cells and measures are all the memory the comparison holds
#: (bench/bench_xlsx.py: 100,000 rows read in 103 MB at 1,000 a chunk, 101 MB at 500, 111 MB at
#: 2,000). A workbook of up to 1,000 rows is compared, and applied, in a fixed number of queries.
CHUNK = 1000
EXTRA_COLUMNS = 10
HEADER_SEARCH_ROWS = 30
#: Rows a sheet may have beyond the round's measures (and the title rows): remarks, blank rows.
ROW_MARGIN = 1000
#: Columns a clerk may add after ours (remarks); cells further right refuse the file.
COLUMN_MARGIN = 50
#: Row errors kept for the report (all are counted: "另有 N 处错误").
MAX_ERRORS = 200
#: Expanded size allowed for one part of the package: a base, and so much per allowed row.
PART_BASE_BYTES = 4 * 1024 * 1024
PART_BYTES_PER_ROW = 16 * 1024
#: Parts of the package (ours has 11, Excel's or LibreOffice's a few more).
MAX_PARTS = 1000
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ENCRYPTED_STREAM = "EncryptionInfo".encode("utf-16-le")
_MAX_UNZIPPED = 100  # times the upload size: more is a zip bomb, not a ledger
_MERGE = re.compile(rb'<(?:\w+:)?mergeCell\b[^>]*?\bref="([A-Za-z]+)([0-9]+)(?::([A-Za-z]+)([0-9]+))?"')
_USER_IN_LABEL = re.compile(r"^(?P<name>.*?)\s*[（(]\s*(?P<username>[^（）()]+?)\s*[)）]$")
_DATE_TAIL = re.compile(r"^[\s，。,.;；]*$")
S = MeasureStatus


class WorkbookRefused(InvalidInput):
    """The file as a whole cannot be used; nothing was compared or changed."""


@dataclass(frozen=True)
class Limits:
    """How large the workbook of a round can be: its measures plus a margin (finding 4 of issue 8).

    A 1,000,000-row or 16,384-column sheet is refused before openpyxl reads a cell, rather
    than read for minutes into gigabytes. The limits follow the round, not a fixed figure,
    so a 100,000-measure round still imports and a 100-measure one cannot be made to read
    a million rows.
    """

    measures: int
    rows: int
    columns: int
    part_bytes: int

    @classmethod
    def for_round(cls, round: Round) -> Limits:
        measures = Measure.objects.filter(round=round).count()
        rows = HEADER_SEARCH_ROWS + measures + ROW_MARGIN
        return cls(measures, rows, len(HEADERS) + COLUMN_MARGIN, PART_BASE_BYTES + rows * PART_BYTES_PER_ROW)

    def too_many_rows(self, shown: str = "") -> WorkbookRefused:
        return _refuse(
            f"台账中的工作表{shown}超过 {self.rows} 行"
            f"（本轮次共 {self.measures} 条措施，台账不会有这么多行）："
            "请从本轮次重新导出台账，在其中修改后再上传，不要粘贴其他表格的大量内容"
        )

    def too_many_columns(self, where: str) -> WorkbookRefused:
        return _refuse(
            f"台账中的工作表{where}超过 {self.columns} 列：台账只有 {len(HEADERS)} 列，"
            f"其后最多可添加 {COLUMN_MARGIN} 列备注。请删除多余的列后再上传"
        )


@dataclass(frozen=True)
class Change:
    row: int
    measure: int
    field: str
    old: Any
    new: Any

    @property
    def label(self) -> str:
        return LABELS[self.field]


@dataclass(frozen=True)
class RowError:
    row: int
    message: str
    measure: int | None = None


@dataclass
class ImportReport:
    """What an import found and did. ``applied`` is True only when the changes were committed."""

    round: Round
    sha256: str
    rows: int = 0
    changes: list[Change] = field(default_factory=list)
    #: The first ``MAX_ERRORS`` row errors; ``error_count`` counts them all.
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    dry_run: bool = True
    applied: bool = False

    @property
    def measures_changed(self) -> int:
        return len({c.measure for c in self.changes})

    @property
    def errors_omitted(self) -> int:
        return self.error_count - len(self.errors)

    def add_error(self, error: RowError) -> None:
        """Count every row error, keep the first ``MAX_ERRORS`` (a hostile file may have a million)."""
        self.error_count += 1
        if len(self.errors) < MAX_ERRORS:
            self.errors.append(error)

    def as_json(self) -> dict[str, Any]:
        """The contract of ``zhenggai import-xlsx --json`` (docs/interfaces.md), with extra fields."""
        return {
            "changes": [
                {
                    "measure": c.measure,
                    "field": c.field,
                    "old": _plain(c.old),
                    "new": _plain(c.new),
                    "row": c.row,
                    "label": c.label,
                }
                for c in self.changes
            ],
            "errors": [{"row": e.row, "message": e.message, "measure": e.measure} for e in self.errors],
            "errors_total": self.error_count,
            "errors_omitted": self.errors_omitted,
            "round": self.round.pk,
            "rows": self.rows,
            "dry_run": self.dry_run,
            "applied": self.applied,
        }


def _plain(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.date) else v


# --- 1. the workbook ----------------------------------------------------------------------------------


@dataclass
class Sheet:
    """An opened workbook that passed the checks: the data rows to come and where they start."""

    book: Any
    rows: Iterator[tuple[int, Sequence[Any]]]
    header_row: int
    limits: Limits

    def close(self) -> None:
        self.book.close()


def _refuse(message: str) -> WorkbookRefused:
    return WorkbookRefused(message)


def _container(data: bytes, limits: Limits) -> zipfile.ZipFile:
    limit = settings.IMPORT_MAX_BYTES
    if not data:
        raise _refuse("文件是空的，请上传从本系统导出并编辑后的整改台账（.xlsx）")
    if len(data) > limit:
        raise _refuse(f"文件超过 {limit // (1024 * 1024)} MB，无法导入")
    if data.startswith(_OLE_MAGIC):
        if _ENCRYPTED_STREAM in data:
            raise _refuse(
                "文件设置了打开密码（已加密），无法读取：请在 Excel/WPS 中取消密码后另存为 .xlsx 再上传"
            )
        raise _refuse("这是旧版 Excel（.xls）或其他 Office 格式文件：请在 Excel/WPS 中另存为 .xlsx 再上传")
    if not data.startswith(b"PK"):
        raise _refuse("不是 Excel 工作簿（.xlsx）文件，请上传从本系统导出的整改台账")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        names = {i.filename for i in infos}
        unzipped = sum(i.file_size for i in infos)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError) as exc:
        raise _refuse("文件已损坏，无法打开：请重新导出或在 Excel/WPS 中另存后再上传") from exc
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        raise _refuse("不是 Excel 工作簿（.xlsx）文件（可能是 Word 文档或其他压缩包），请上传整改台账")
    if len(infos) > MAX_PARTS:
        raise _refuse(f"文件内容异常：包含 {len(infos)} 个部件（台账只有十几个），无法导入")
    if unzipped > _MAX_UNZIPPED * len(data) + 10 * 1024 * 1024:
        raise _refuse("文件内容异常（解压后过大），无法导入")
    # Each part by its declared size (zipfile stops at that size and checks the CRC, so
    # a part cannot expand beyond it): openpyxl reads the shared strings and styles whole.
    for info in infos:
        if info.file_size > limits.part_bytes:
            raise _refuse(
                f"文件内容异常：其中的“{info.filename[:80]}”解压后有 {info.file_size / 2**20:.1f} MB，"
                f"超过本轮次台账可能的大小（{limits.part_bytes / 2**20:.1f} MB），无法导入"
            )
    return archive


# One tag of interest in a part: a cell, a row (its attributes) or a sheet's stated dimension.
_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:c(?=[\s/>])|(row|dimension)(?=[\s/>])([^<>]*))")
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["']\s*([0-9]+)""")
_DIMENSION_END = re.compile(rb"""\bref\s*=\s*["'][^"']*?([A-Za-z]{1,3})([0-9]{1,9})\s*["']""")


def _check_extent(archive: zipfile.ZipFile, limits: Limits) -> None:
    """Refuse a sheet larger than the round's workbook can be, before openpyxl opens the file.

    openpyxl sizes every sheet when it opens the workbook (reading a whole sheet that
    states no dimension) and parses every cell of a row, whatever columns are asked for.
    So each part is scanned first, streamed in 1 MB pieces, counting the row and cell
    tags (not trusting the stated dimension or row numbers, which may lie): a stated
    dimension, a row count or number, or a count of cells in a row beyond ``limits``
    refuses the file as soon as it is seen. Every part is scanned, whatever its name: a
    sheet may be stored under any name the package's relationships give.
    """
    for info in archive.infolist():
        if not info.is_dir():
            _scan_part(archive, info, limits)


def _scan_part(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits) -> None:
    rows = row_number = cells = 0
    carry = b""
    with archive.open(info) as src:
        while True:
            chunk = src.read(1 << 20)
            buf = carry + chunk
            carry = b""
            cut = buf.rfind(b"<")
            if chunk and cut > buf.rfind(b">"):  # a tag cut in two: finish it with the next piece
                buf, carry = buf[:cut], buf[cut:]
            for m in _TAG.finditer(buf):
                kind = m.group(1)
                if kind is None:  # a cell
                    cells += 1
                    if cells > limits.columns:
                        raise limits.too_many_columns(f"第 {row_number} 行")
                elif kind == b"row":
                    rows += 1
                    cells = 0
                    number = _ROW_NUMBER.search(m.group(2))
                    row_number = int(number.group(1)) if number else row_number + 1
                    if rows > limits.rows or row_number > limits.rows:
                        raise limits.too_many_rows()
                else:
                    _check_dimension(m.group(2), limits)
            if not chunk:
                return


def _check_dimension(attributes: bytes, limits: Limits) -> None:
    end = _DIMENSION_END.search(attributes)
    if end is None:
        return
    ref = end.group(1).decode().upper() + end.group(2).decode()
    if int(end.group(2)) > limits.rows:
        raise limits.too_many_rows(f"标明的范围（至 {ref}）")
    if column_index_from_string(end.group(1).decode().upper()) > limits.columns:
        raise limits.too_many_columns(f"标明的范围（至 {ref}）")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return cell_text(str(value)).replace("\r\n", "\n").replace("\r", "\n").strip()


def _header_key(value: Any) -> str:
    return re.sub(r"\s+", "", _text(value))


def _find_header(rows: Iterator[tuple[int, Sequence[Any]]]) -> int:
    """Consume rows up to the header row and check it; return its number."""
    wanted = {_header_key(h) for h in HEADERS}
    for number, cells in rows:
        keys = [_header_key(c.value) for c in cells]
        if "序号" in keys and len(wanted & set(keys)) >= 3:
            _check_header(keys)
            return number
        if number >= HEADER_SEARCH_ROWS:
            break
    raise _refuse(
        "找不到表头行：第一张工作表应有“序号”“整改措施”“整改状态”等列标题。"
        "请使用本系统导出的整改台账，不要删除或改写表头"
    )


def _check_header(keys: list[str]) -> None:
    expected = [_header_key(h) for h in HEADERS]
    if _header_key(ID_HEADER) not in keys:
        raise _refuse(
            f"缺少“{ID_HEADER}”列（隐藏列）：该列用于对应系统中的措施，请不要删除，重新导出后再编辑"
        )
    for i, want in enumerate(expected):
        got = keys[i] if i < len(keys) else ""
        if got == want:
            continue
        letter = get_column_letter(i + 1)
        name = HEADERS[i]
        if got and got not in expected:  # a header we never wrote
            if want in keys:
                raise _refuse(
                    f"第 {letter} 列“{got}”是新增的列：请删除该列（如需备注，可写在最后一列之后），"
                    "不要在台账的列之间插入列"
                )
            raise _refuse(f"第 {letter} 列的标题“{got}”应为“{name}”：请不要修改列标题")
        if not got or want not in keys:
            raise _refuse(f"缺少“{name}”列（应在第 {letter} 列）：请不要删除台账的列")
        raise _refuse(
            f"列的顺序已改变：第 {letter} 列应为“{name}”，现为“{got}”。"
            "请按导出时的列顺序上传（可以调整列宽、排序，但不要移动列）"
        )


def _check_merges(archive: zipfile.ZipFile, path: str, header_row: int) -> None:
    """Merged cells below the header scramble rows: refuse them (streamed; the sheet may be large)."""
    carry = b""
    with archive.open(path) as src:
        while chunk := src.read(1 << 20):
            buf = carry + chunk
            for m in _MERGE.finditer(buf):
                last = int(m.group(4) or m.group(2))
                if last > header_row:
                    ref = m.group(1).decode() + m.group(2).decode()
                    if m.group(3):
                        ref += ":" + m.group(3).decode() + m.group(4).decode()
                    raise _refuse(
                        f"台账数据区有合并单元格（{ref}，第 {max(int(m.group(2)), header_row + 1)} 行起）："
                        "请取消合并，每条措施占一行后再上传"
                    )
            carry = buf[-300:]


def open_workbook(data: bytes, *, round: Round) -> Sheet:
    """Check the file as a whole; return its data rows, ready to be read. Raises ``WorkbookRefused``."""
    limits = Limits.for_round(round)
    archive = _container(data, limits)
    try:
        _check_extent(archive, limits)
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:  # a damaged or truncated part
        raise _refuse("文件已损坏，无法打开：请重新导出或在 Excel/WPS 中另存后再上传") from exc
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds on a damaged package
        raise _refuse("文件已损坏或不是有效的 Excel 工作簿，无法打开：请重新导出后再编辑") from exc
    try:
        _check_meta(book, round)
        if MAIN_SHEET not in book.sheetnames:
            raise _refuse(f"找不到“{MAIN_SHEET}”工作表：请不要重命名或删除该工作表")
        ws = book[MAIN_SHEET]
        ws.reset_dimensions()  # a sheet saved by another program may state wrong dimensions
        # A few columns more than ours, so that an inserted column is seen for what it is.
        rows = enumerate(ws.iter_rows(min_row=1, max_col=len(HEADERS) + EXTRA_COLUMNS), 1)
        header_row = _find_header(rows)
        _check_merges(archive, ws._worksheet_path, header_row)
    except WorkbookRefused:
        book.close()
        raise
    except Exception as exc:  # a damaged part found while reading
        book.close()
        raise _refuse("文件已损坏，无法读取：请重新导出后再编辑") from exc
    return Sheet(book, rows, header_row, limits)


def _check_meta(book: Any, round: Round) -> None:
    if META_SHEET not in book.sheetnames:
        raise _refuse(
            "这不是本系统导出的整改台账（缺少隐藏的标记工作表）：请先从本轮次导出台账，在其中修改后再上传"
        )
    meta: dict[str, Any] = {}
    for cells in book[META_SHEET].iter_rows(min_row=1, max_row=20, max_col=2, values_only=True):
        if cells and cells[0]:
            meta[str(cells[0])] = cells[1] if len(cells) > 1 else None
    if meta.get("schema") != SCHEMA:
        raise _refuse("台账的格式版本不符：请从本轮次重新导出台账，在其中修改后再上传")
    if str(meta.get("round")) != str(round.pk) or meta.get("round_key") != round_key(round):
        title = meta.get("title") or "另一轮次"
        raise _refuse(f"这是“{title}”导出的台账，不属于本轮次“{round.title}”，不能导入")


# --- 2. comparing ---------------------------------------------------------------------------------------


@dataclass
class RowPlan:
    """What one row asks for: measure fields, a new progress text, a status to reach."""

    row: int
    measure: int
    version: int
    update: dict[str, Any] = field(default_factory=dict)
    progress: str = ""
    status: str | None = None
    changes: list[Change] = field(default_factory=list)


class _Lookups:
    """Members and departments of the round's unit, read once per import."""

    def __init__(self, round: Round) -> None:
        # With the clearance: the apply checks that each person may see the measure given to them.
        people = list(members_of(round.unit).only("pk", "username", "display_name", "clearance"))
        self.by_name: dict[str, list[Any]] = defaultdict(list)
        self.by_username = {u.username.lower(): u for u in people}
        for u in people:
            self.by_name[u.display_name or u.username].append(u)
        self.ambiguous = frozenset(n for n, us in self.by_name.items() if len(us) > 1)
        self.departments: dict[str, list[Unit]] = defaultdict(list)
        for d in Unit.objects.filter(path__startswith=round.unit.path).only("pk", "name", "path"):
            self.departments[d.name].append(d)

    def person(self, text: str, label: str) -> Any:
        m = _USER_IN_LABEL.match(text)
        if m and m.group("username").lower() in self.by_username:
            return self.by_username[m.group("username").lower()]
        found = self.by_name.get(text, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise _CellError(f"{label}：本单位有 {len(found)} 人名为“{text}”，请写成“姓名（用户名）”以示区分")
        if text.lower() in self.by_username:
            return self.by_username[text.lower()]
        raise _CellError(f"{label}：“{text}”不是本单位人员（须为在本单位或其下属部门任职的人员）")

    def department(self, text: str) -> Unit:
        found = self.departments.get(text, [])
        if len(found) == 1:
            return found[0]
        if len(found) > 1:
            raise _CellError(f"责任部门：本单位有 {len(found)} 个名为“{text}”的部门，请在系统中选择")
        raise _CellError(f"责任部门：“{text}”不是本单位的部门")


class _CellError(Exception):
    pass


def read_deadline(cell: Any) -> dt.date | None:
    """A 完成时限 cell as one exact date, or None when empty; ``_CellError`` when it cannot be read.

    A date cell (Excel or WPS stores dates as serial numbers formatted as dates) is a
    date. Text is read with textparse and must name one day with its year:
    ``2022-03-30``, ``2022年3月30日``, ``2022年3月底`` are read; ``2022.3.30`` (text that
    Excel and WPS cannot sort or filter as a date, the issue's own example of an
    unreadable date), ``3月底`` (no year), ``2022年6月`` (no day), ``下月``, a range and a
    bare number typed as text or into a cell not formatted as a date (``44621``) are not.
    """
    value = cell.value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    shown = _text(value)
    if isinstance(value, int | float):
        raise _CellError(
            f"完成时限：“{shown}”是数字，不是日期。请把单元格设为日期格式，或写成 2022-03-31 这样的日期"
        )
    if re.fullmatch(r"[0-9]+(\.[0-9]+)?", shown):
        raise _CellError(
            f"完成时限：“{shown}”不是日期（像是被存成文本的 Excel 日期序号），请写成 2022-03-31 这样的日期"
        )
    if re.fullmatch(r"\d{4}\s*\.\s*\d{1,2}\s*\.\s*\d{1,2}", shown):
        raise _CellError(
            f"完成时限：“{shown}”是文本，不是日期（Excel/WPS 无法按日期排序和筛选），"
            "请改为 2022-03-30 这样的日期，或把单元格设为日期格式"
        )
    mentions = find_dates(shown)
    if len(mentions) == 1:
        m = mentions[0]
        rest = shown[: m.span[0]] + shown[m.span[1] :]
        if m.malformed:
            raise _CellError(f"完成时限：“{shown}”不是有效的日期")
        if m.value is None and m.year_inferred is False and m.precision is not None:
            raise _CellError(f"完成时限：“{shown}”没有写明年份，请写成 2022-03-31 这样的完整日期")
        if (
            m.value is not None
            and m.precision == "day"
            and m.qualifier in (None, "end", "before")
            and _DATE_TAIL.match(rest)
        ):
            return m.end or m.value
        if m.value is not None and m.precision != "day":
            raise _CellError(
                f"完成时限：“{shown}”只写到{'月' if m.precision == 'month' else '年'}，请写明具体哪一天"
            )
    if len(mentions) > 1 or (mentions and mentions[0].qualifier == "range"):
        raise _CellError(f"完成时限：“{shown}”含有多个日期，请只填写一个完成日期")
    raise _CellError(f"完成时限：“{shown}”无法识别为日期，请写成 2022-03-31 这样的日期")


def _int_cell(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit():
        return int(value.strip())
    return None


_CHECKED = (*EDITABLE, "id", "version")


def _formula_error(cells: Sequence[Any]) -> str | None:
    for key in _CHECKED:
        cell = cells[INDEX[key]]
        # Only a real formula (an ``<f>`` element): a text cell that starts with "=" is text.
        if cell.data_type == "f":
            return (
                f"“{LABELS[key]}”是公式（{_text(cell.value)[:30]}）：请改为直接填写内容（复制后“粘贴为数值”）"
            )
        if cell.data_type == "e":
            return f"“{LABELS[key]}”是错误值（{_text(cell.value)}）：请改为正确的内容"
    return None


def _status_path(current: str, target: str, *, prereview: bool = False) -> list[str] | None:
    """The workbook may ask for submit, approve and approve_stage (start comes with progress).

    In a round with 责任领导预审 (``prereview``) a submission goes to the responsible leader
    (``submit_leader``, 待领导审核), who reviews it in the system, not in the workbook."""
    allowed = ("submit_leader" if prereview else "submit", "approve", "approve_stage")
    queue: deque[tuple[str, list[str]]] = deque([(current, [])])
    seen = {current}
    while queue:
        status, path = queue.popleft()
        if status == target:
            return path
        for action in allowed:
            sources, nxt = services.TRANSITIONS[action]
            if status in sources and nxt not in seen:
                seen.add(nxt)
                queue.append((nxt, [*path, action]))
    return None


#: Where a submission would lead, were it not for 责任领导预审: the unit head's review and after.
IN_REVIEW_OR_DONE = services.TRANSITIONS["approve"][0] | FINISHED


def _status_refusal(current: str, target: str, *, prereview: bool = False) -> str:
    a, b = STATUS_LABEL[current], STATUS_LABEL[target]
    if prereview and current in services.TRANSITIONS["submit_leader"][0] and target in IN_REVIEW_OR_DONE:
        return (
            f"整改状态：本轮次实行责任领导预审，提交后为“{STATUS_LABEL[S.LEADER_REVIEW]}”，"
            f"由责任领导在系统中审核通过后再由第一责任人审核，不能直接改为“{b}”"
        )
    if current == S.NOT_STARTED:
        return (
            f"整改状态：措施尚未开始，不能改为“{b}”。请在“整改进展”列填写本次进展（填报后自动变为“整改中”）"
        )
    if target == S.NOT_STARTED:
        return "整改状态：不能改回“未开始”"
    if target == S.IN_PROGRESS:
        return f"整改状态：从“{a}”退回“整改中”须写明理由，请在系统中办理审核退回或问题退回"
    return f"整改状态：不能从“{a}”改为“{b}”"


class _Comparer:
    def __init__(self, *, actor: Any, round: Round) -> None:
        self.actor = actor
        self.round = round
        self.lookups = _Lookups(round)
        self.seen: dict[int, int] = {}

    def chunk(self, rows: list[tuple[int, Sequence[Any]]]) -> tuple[list[RowPlan], list[RowError]]:
        errors: list[RowError] = []
        wanted: list[tuple[int, Sequence[Any], int, int]] = []
        for number, cells in rows:
            problem = _formula_error(cells)
            raw_id = cells[INDEX["id"]].value
            mid = _int_cell(raw_id)
            if problem:
                errors.append(RowError(number, problem, mid))
                continue
            if mid is None:
                if raw_id is None or not _text(raw_id):
                    errors.append(
                        RowError(
                            number, f"“{ID_HEADER}”为空：新增的行不能通过台账导入，请在系统中新增整改措施"
                        )
                    )
                else:
                    errors.append(
                        RowError(number, f"“{ID_HEADER}”的值“{_text(raw_id)}”无效：请不要修改系统编号")
                    )
                continue
            if mid in self.seen:
                errors.append(
                    RowError(
                        number, f"系统编号 {mid} 与第 {self.seen[mid]} 行重复：每条措施只能出现一次", mid
                    )
                )
                continue
            self.seen[mid] = number
            version = _int_cell(cells[INDEX["version"]].value)
            if version is None:
                errors.append(RowError(number, "“数据版本”被修改或清空：请不要修改隐藏的系统列", mid))
                continue
            wanted.append((number, cells, mid, version))

        latest = (
            Progress.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id").values("text")[:1]
        )
        found = {
            m.pk: m
            # Above the user's clearance a measure does not exist for them (REQ-1.10).
            for m in Measure.objects.filter(
                selectors.measure_cleared_q(self.actor), round=self.round, pk__in=[w[2] for w in wanted]
            )
            .select_related("leader", "person", "department")
            .annotate(latest_progress=Subquery(latest))
        }
        missing = [w[2] for w in wanted if w[2] not in found]
        elsewhere = dict(
            Measure.objects.filter(
                visible_units_q(self.actor), selectors.measure_cleared_q(self.actor), pk__in=missing
            ).values_list("pk", "round__title")
            if missing
            else []
        )
        plans: list[RowPlan] = []
        for number, cells, mid, version in wanted:
            m = found.get(mid)
            if m is None:
                if mid in elsewhere:
                    msg = f"系统编号 {mid} 是另一轮次“{elsewhere[mid]}”的措施，不能导入到本轮次"
                else:
                    msg = f"系统编号 {mid} 在本轮次中不存在（可能已被删除）：请重新导出台账"
                errors.append(RowError(number, msg, mid))
                continue
            try:
                plan = self._row(number, cells, m, version)
            except _CellError as err:
                errors.append(RowError(number, str(err), mid))
                continue
            if plan.changes:
                plans.append(plan)
        self._drop_known_progress(plans)
        for plan in plans:
            if plan.changes and plan.version != found[plan.measure].version and (plan.update or plan.status):
                errors.append(
                    RowError(
                        plan.row,
                        "该措施在导出后已被他人修改：为避免覆盖他人的修改，请重新导出台账后再修改这一行",
                        plan.measure,
                    )
                )
                plan.changes = []
        return [p for p in plans if p.changes], errors

    def _row(self, number: int, cells: Sequence[Any], m: Measure, version: int) -> RowPlan:
        plan = RowPlan(number, m.pk, version)
        cell = {key: cells[INDEX[key]] for key in EDITABLE}
        amb = self.lookups.ambiguous

        def add(key: str, old: Any, new: Any, value: Any = None) -> None:
            """Record a change shown as ``old`` → ``new``; ``value`` is what measure_update gets."""
            plan.changes.append(Change(number, m.pk, key, old, new))
            if key in PLAN_FIELDS:
                plan.update[key] = value

        text = _text(cell["text"].value)
        if text != _text(m.text):
            if not text:
                raise _CellError("整改措施：不能为空")
            add("text", m.text, text, text)
        kind_text = _text(cell["kind"].value)
        if kind_text != KIND_LABEL.get(m.kind, m.kind):
            if kind_text not in KIND_BY_LABEL:
                raise _CellError(f"整改类型：“{kind_text}”无效，应为{'、'.join(KIND_BY_LABEL)}之一")
            add("kind", KIND_LABEL.get(m.kind), kind_text, KIND_BY_LABEL[kind_text])
        for key in ("leader", "person"):
            current = getattr(m, key)
            shown = person_label(current.display_name, current.username, amb) if current else ""
            got = _text(cell[key].value)
            if got != shown:
                user = self.lookups.person(got, LABELS[key]) if got else None
                if user is None or current is None or user.pk != current.pk:
                    add(
                        key,
                        shown or None,
                        person_label(user.display_name, user.username, amb) if user else None,
                        user,
                    )
        dept_now = m.department.name if m.department else ""
        got = _text(cell["department"].value)
        if got != dept_now:
            dept = self.lookups.department(got) if got else None
            if dept is None or m.department is None or dept.pk != m.department.pk:
                add("department", dept_now or None, dept.name if dept else None, dept)
        deadline = read_deadline(cell["deadline"])
        kind = plan.update.get("kind", m.kind)
        if deadline != m.deadline:
            try:  # the bounds the service applies, shown in the dry run beside the cell
                services.check_deadline(round=self.round, deadline=deadline, kind=kind)
            except InvalidInput as err:
                raise _CellError(str(err)) from err
            add("deadline", m.deadline, deadline, deadline)
        elif kind != m.kind:
            try:  # a measure that becomes 限期完成 needs a deadline, as measure_update says
                services.require_deadline(deadline=deadline, kind=kind)
            except InvalidInput as err:
                raise _CellError(str(err)) from err
        progress = _text(cell["progress"].value)
        latest: str | None = getattr(m, "latest_progress", None)  # annotated by ``chunk``
        if progress != _text(latest):
            if not progress:
                raise _CellError("整改进展：不能清空（已填报的进展不会删除）；如无新进展，请保留原内容")
            plan.progress = progress
            add("progress", latest, progress)
        status_text = _text(cell["status"].value)
        if status_text != STATUS_LABEL.get(m.status):
            target = STATUS_BY_LABEL.get(status_text)
            if target is None:
                raise _CellError(f"整改状态：“{status_text}”无效，应为{'、'.join(STATUS_BY_LABEL)}之一")
            start = S.IN_PROGRESS if plan.progress and m.status == S.NOT_STARTED else m.status
            prereview = self.round.leader_prereview and m.leader_id is not None
            if start != target and _status_path(start, target, prereview=prereview) is None:
                raise _CellError(_status_refusal(start, target, prereview=prereview))
            plan.status = target
            add("status", STATUS_LABEL.get(m.status), status_text)
        return plan

    def _drop_known_progress(self, plans: list[RowPlan]) -> None:
        """A progress text the measure already has (an older entry) is not added again."""
        asked = {p.measure: p for p in plans if p.progress}
        if not asked:
            return
        known: dict[int, set[str]] = defaultdict(set)
        for mid, text in Progress.objects.filter(measure_id__in=list(asked)).values_list(
            "measure_id", "text"
        ):
            known[mid].add(_text(text))
        for mid, plan in asked.items():
            if plan.progress in known[mid]:
                plan.progress = ""
                plan.changes = [c for c in plan.changes if c.field != "progress"]


# --- 3. applying -------------------------------------------------------------------------------------------


def _apply_row(batch: MeasureBatch, plan: RowPlan) -> None:
    """The row's changes in the order the services would make them; ``_RowRefused`` names the step."""
    step = "修改措施"
    try:
        if plan.update:
            batch.update(plan.measure, expected_version=plan.version, **plan.update)
        if plan.progress:
            step = LABELS["progress"]
            batch.add_progress(plan.measure, text=plan.progress)
        if plan.status:
            step = LABELS["status"]
            m = batch.measures.get(plan.measure)  # None: gone, as ``batch.status`` says
            prereview = batch.round.leader_prereview and m is not None and m.leader_id is not None
            current = batch.status(plan.measure)
            path = _status_path(current, plan.status, prereview=prereview)
            if path is None:  # the round's 责任领导预审 switched on since the comparison
                raise _RowRefused(_status_refusal(current, plan.status, prereview=prereview))
            for action in path:
                if action in ("submit", "submit_leader"):
                    batch.submit(plan.measure)
                else:
                    decision = ReviewDecision.APPROVE if action == "approve" else ReviewDecision.APPROVE_STAGE
                    batch.review(plan.measure, decision=decision)
    except InvalidInput as err:
        label = LABELS.get(err.field or "", step) if err.field else step
        raise _RowRefused(f"{label}：{err}") from err
    except ServiceError as err:
        raise _RowRefused(f"{step}：{err}") from err


class _RowRefused(Exception):
    pass


def import_workbook(
    *, actor: Any, round: Round, data: bytes, dry_run: bool, detail: dict[str, Any] | None = None
) -> ImportReport:
    """Compare an edited workbook with the ledger and (unless ``dry_run``) apply it, all or nothing.

    Raises ``WorkbookRefused`` for a file that cannot be used at all. Row errors are in
    the report; with any of them nothing is applied. The caller has checked that
    ``actor`` may see ``round``; the services check what the actor may change. ``detail``
    goes into the audit event of an applied import (how it came: web or command line).
    Views and commands call ``reports.services.workbook_import``, which checks the scope.
    """
    report = ImportReport(round=round, sha256=hashlib.sha256(data).hexdigest(), dry_run=dry_run)
    with warnings.catch_warnings():
        # openpyxl warns about parts it drops (extensions WPS or Excel add); we read only values.
        warnings.simplefilter("ignore")
        plans = _compare(actor=actor, round=round, data=data, report=report)
    _apply_all(actor, round, plans, report, detail or {})
    return report


def _compare(*, actor: Any, round: Round, data: bytes, report: ImportReport) -> list[RowPlan]:
    """Read the rows in chunks and compare them with the ledger; row errors go to ``report``."""
    sheet = open_workbook(data, round=round)
    comparer = _Comparer(actor=actor, round=round)
    plans: list[RowPlan] = []
    try:
        batch: list[tuple[int, Sequence[Any]]] = []
        for number, cells in sheet.rows:
            if number > sheet.limits.rows:  # counted while streaming too: the scan may have missed a form
                raise sheet.limits.too_many_rows()
            if all(c.value is None or (isinstance(c.value, str) and not c.value.strip()) for c in cells):
                continue
            report.rows += 1
            batch.append((number, cells))
            if len(batch) >= CHUNK:
                p, e = comparer.chunk(batch)
                plans += p
                for err in e:
                    report.add_error(err)
                batch = []
        if batch:
            p, e = comparer.chunk(batch)
            plans += p
            for err in e:
                report.add_error(err)
    except ServiceError:
        raise
    except Exception as exc:  # a damaged part of the sheet, found while streaming
        raise _refuse("文件已损坏，无法读取全部内容：请重新导出后再编辑") from exc
    finally:
        sheet.close()
    return plans


def _apply_all(
    actor: Any, round: Round, plans: list[RowPlan], report: ImportReport, detail: dict[str, Any]
) -> None:
    """Apply every row in one transaction; roll all back on a dry run or a refusal.

    Each row is checked on its own (a refused row leaves none of its changes and every refusal
    is reported); the rows are written together, with the import's own event after theirs.
    """
    plans = sorted(plans, key=lambda p: p.row)
    with transaction.atomic():
        batch = MeasureBatch(actor=actor, round=round, measure_ids=[p.measure for p in plans])
        for plan in plans:
            try:
                with batch.row(plan.measure):
                    _apply_row(batch, plan)
            except _RowRefused as err:
                report.add_error(RowError(plan.row, str(err), plan.measure))
                plan.changes = []
        report.errors.sort(key=lambda e: e.row)
        report.changes = [c for p in plans for c in p.changes]
        if report.error_count:
            transaction.set_rollback(True)  # nothing written: it would all be undone
            return
        if not report.dry_run:
            batch.record(
                action="round.xlsx_import",
                obj=batch.round,
                unit_id=round.unit_id,
                after={
                    "sha256": report.sha256,
                    "rows": report.rows,
                    "changes": len(report.changes),
                    **detail,
                },
            )
        batch.write()
        if report.dry_run:
            transaction.set_rollback(True)
        else:
            report.applied = True


__all__ = [
    "COLUMNS",
    "Change",
    "ImportReport",
    "RowError",
    "WorkbookRefused",
    "import_workbook",
    "open_workbook",
]
