"""Excel workbooks (.xlsx) that units pass around: 问题清单, 任务清单, 责任清单.

Each sheet whose first rows hold a plan's header (``tables.find_header``) is written the
way a Word table is: one line per row, cells joined by tabs, a merged cell's value in
its top-left cell and empty elsewhere; hidden and empty rows are left out, and numbers
and dates are written as a clerk reads them (2024年8月31日, or 2024年8月 where the cell
shows only the month). Rows above the header (a title, 附件1, 填报单位) become lines of
text; when the sheets are named for the parts of the plan (党的建设方面), the name is a
row across the table, which the outline reads as the category of its rows. Sheets
without such a header (填表说明, 统计) are not read; a workbook with none is refused,
naming its sheets.

A hostile workbook is refused before openpyxl reads it: the package is judged by its
zip directory (``reader._zip_bomb``), then each sheet part is scanned in 1 MB pieces,
counting its row and cell tags (not trusting the dimension it states), and the shared
strings are counted, so that openpyxl, which builds every cell of a row and every
shared string in memory, only ever sees a workbook of bounded size.
"""

from __future__ import annotations

import datetime as dt
import io
import posixpath
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from lxml import etree

from . import tables
from ._base import MAX_LINES, MAX_TABLE_CELLS, LimitExceeded, Tally, _fail, too_many_cells
from .numerals import fold_width

#: Sheets of one workbook (real ones have a handful).
MAX_SHEETS = 200
#: Columns of a sheet that hold values (a plan has a dozen).
MAX_COLUMNS = 500
#: Cell tags of one sheet, empty formatted ones included.
MAX_SHEET_TAGS = 2 * MAX_TABLE_CELLS
#: Strings in the shared-string table (never more than the cells that use them).
MAX_SHARED_STRINGS = 2 * MAX_TABLE_CELLS
#: Bytes of the small XML parts read whole: the workbook, its relationships, the styles.
MAX_SMALL_PART = 8 * 1024 * 1024

_EXCEL_ROWS = 1_048_576
_BROKEN = "xlsx 文件已损坏，请用 Excel 或 WPS 打开后重新保存"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
# A sheet named by its program, not by its content.
_GENERIC_SHEET = re.compile(r"^(?:sheet|工作表|表|页|wps表格)\s*\d*$", re.IGNORECASE)


@dataclass(slots=True)
class _Part:
    """A sheet as the workbook lists it."""

    title: str
    path: str
    state: str


@dataclass(slots=True)
class _Extent:
    """What the scan of a sheet part found before openpyxl reads it."""

    last_row: int = 0  # the last row with a cell that holds something
    width: int = 0  # the last column with a cell that holds something
    hidden: set[int] = field(default_factory=set)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # r1, c1, r2, c2


def read_xlsx(data: bytes, name: str) -> str:
    """The plan sheets of an .xlsx as text (see the module docstring)."""
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        parts, shared, styles = _workbook_parts(zf, name)
        for path in styles:
            if _size(zf, path) > MAX_SMALL_PART:
                raise LimitExceeded("表格的样式部分过大，拒绝读取")
        for path in shared:
            _count_shared_strings(zf, path)
        # Hidden sheets too: openpyxl reads into every sheet when it opens the workbook.
        extents = {p.path: _scan_sheet(zf, p) for p in parts}
    wb = _open(data, name)
    try:
        return _text(wb, parts, extents, name)
    finally:
        wb.close()


# --------------------------------------------------------------------------- the package


def _xml(zf: zipfile.ZipFile, path: str) -> etree._Element | None:
    try:
        info = zf.getinfo(path)
    except KeyError:
        return None
    if info.file_size > MAX_SMALL_PART:
        raise LimitExceeded("表格的工作簿结构部分过大，拒绝读取")
    try:
        return etree.fromstring(zf.read(info), _PARSER)
    except (etree.XMLSyntaxError, zipfile.BadZipFile, OSError, ValueError, EOFError):
        return None


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id → (type, target path) of ``part``."""
    folder, base = posixpath.split(part)
    root = _xml(zf, posixpath.join(folder, "_rels", base + ".rels"))
    out: dict[str, tuple[str, str]] = {}
    if root is None:
        return out
    for rel in root:
        if _local(rel.tag) != "Relationship" or rel.get("TargetMode") == "External":
            continue
        target = rel.get("Target") or ""
        path = (
            target.lstrip("/")
            if target.startswith("/")
            else posixpath.normpath(posixpath.join(folder, target))
        )
        out[rel.get("Id") or ""] = (rel.get("Type") or "", path)
    return out


def _workbook_parts(zf: zipfile.ZipFile, name: str) -> tuple[list[_Part], list[str], list[str]]:
    """The sheets in order, and the paths of the shared strings and of the styles."""
    main = next((p for t, p in _rels(zf, "").values() if t.endswith("/officeDocument")), "xl/workbook.xml")
    root = _xml(zf, main)
    if root is None:
        raise _fail(name, _BROKEN)
    rels = _rels(zf, main)
    parts: list[_Part] = []
    for el in root.iter():
        if _local(el.tag) != "sheet":
            continue
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
        kind, path = rels.get(rid, ("", ""))
        if kind.endswith("/worksheet") and path in zf.NameToInfo:
            parts.append(_Part(el.get("name") or path, path, el.get("state") or "visible"))
        if len(parts) > MAX_SHEETS:
            raise LimitExceeded(f"工作簿超过 {MAX_SHEETS} 个工作表，拒绝读取")
    # openpyxl takes the shared strings from the content types, the styles from their usual
    # place; the relationships may name others.
    shared = {p for t, p in rels.values() if t.endswith("/sharedStrings")}
    types = _xml(zf, "[Content_Types].xml")
    for el in types.iter() if types is not None else ():
        if (el.get("ContentType") or "").endswith(".sharedStrings+xml"):
            shared.add((el.get("PartName") or "").lstrip("/"))
    styles = {p for t, p in rels.values() if t.endswith("/styles")} | {"xl/styles.xml"}
    return parts, sorted(p for p in shared if p in zf.NameToInfo), sorted(styles)


def _size(zf: zipfile.ZipFile, path: str) -> int:
    info = zf.NameToInfo.get(path)
    return info.file_size if info is not None else 0


def _chunks(zf: zipfile.ZipFile, path: str) -> Iterator[bytes]:
    """The part in pieces of about 1 MB, each ending between two tags."""
    carry = b""
    with zf.open(path) as src:
        while True:
            chunk = src.read(1 << 20)
            buf = carry + chunk
            carry = b""
            cut = buf.rfind(b"<")
            if chunk and cut > buf.rfind(b">"):  # a tag cut in two: finish it with the next piece
                buf, carry = buf[:cut], buf[cut:]
            yield buf
            if not chunk:
                return


_SI = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s>/]")


def _count_shared_strings(zf: zipfile.ZipFile, path: str) -> None:
    n = 0
    for buf in _chunks(zf, path):
        n += len(_SI.findall(buf))
        if n > MAX_SHARED_STRINGS:
            raise LimitExceeded(f"表格中的文字条目超过 {MAX_SHARED_STRINGS // 10000} 万条，拒绝读取")


# One tag of interest: a cell (self-closed: it holds nothing), a row, a merged range.
_TAG = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(?:(c)(?=[\s/>])([^<>]*?)(/?)>|(row)(?=[\s/>])([^<>]*)>|mergeCell(?=[\s/>])([^<>]*)>)"
)
_ROW_NUMBER = re.compile(rb"""\br\s*=\s*["']\s*([0-9]+)""")
_CELL_REF = re.compile(rb"""\br\s*=\s*["']\s*([A-Za-z]{1,3})([0-9]{1,7})""")
_HIDDEN = re.compile(rb"""\bhidden\s*=\s*["']\s*(?:1|true)\b""")
_REF = re.compile(rb"""\bref\s*=\s*["']\s*([A-Za-z]{1,3})([0-9]{1,7})(?::([A-Za-z]{1,3})([0-9]{1,7}))?""")


def _col(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + ch - 64
    return n


def _scan_sheet(zf: zipfile.ZipFile, part: _Part) -> _Extent:
    """Bound a sheet before openpyxl reads it, and find its hidden rows and merged ranges
    (openpyxl's read-only mode reads neither)."""
    ext = _Extent()
    where = f"工作表“{part.title}”"
    tags = rows = row = col = 0
    for buf in _chunks(zf, part.path):
        for m in _TAG.finditer(buf):
            if m.group(1):  # a cell
                tags += 1
                if tags > MAX_SHEET_TAGS:
                    raise LimitExceeded(f"{where}的单元格超过 {MAX_SHEET_TAGS // 10000} 万个，拒绝读取")
                ref = _CELL_REF.search(m.group(2))
                col = _col(ref.group(1)) if ref else col + 1
                if ref and int(ref.group(2)) != row:
                    row = int(ref.group(2))
                if not m.group(3):  # <c …>…</c>: it holds a value (or a formula)
                    if col > MAX_COLUMNS:
                        raise LimitExceeded(f"{where}的第 {row} 行超过 {MAX_COLUMNS} 列，拒绝读取")
                    ext.width = max(ext.width, col)
                    ext.last_row = max(ext.last_row, row)
            elif m.group(4):  # a row
                rows += 1
                col = 0
                number = _ROW_NUMBER.search(m.group(5))
                row = int(number.group(1)) if number else row + 1
                if rows > _EXCEL_ROWS or row > _EXCEL_ROWS:
                    raise LimitExceeded(f"{where}的行数超出 Excel 的上限，文件异常，拒绝读取")
                if _HIDDEN.search(m.group(5)):
                    ext.hidden.add(row)
            else:  # a merged range
                ref = _REF.search(m.group(6))
                if ref is None:
                    continue
                r1, c1 = int(ref.group(2)), _col(ref.group(1))
                r2, c2 = (int(ref.group(4)), _col(ref.group(3))) if ref.group(3) else (r1, c1)
                ext.merges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
                if len(ext.merges) > MAX_TABLE_CELLS:
                    raise LimitExceeded(f"{where}的合并单元格过多，拒绝读取")
    if ext.last_row * ext.width > MAX_SHEET_TAGS:  # rows x columns, every one read
        raise LimitExceeded(f"{where}：{too_many_cells()}")
    return ext


# --------------------------------------------------------------------------- the cells


def _open(data: bytes, name: str) -> Any:  # an openpyxl Workbook: openpyxl ships no types
    from openpyxl import load_workbook  # deferred: only xlsx input pays for importing openpyxl

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns of every extension it drops
            return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises anything (KeyError, TypeError …) on a broken package
        raise _fail(name, _BROKEN) from None


_LITERAL = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]')


def _date_text(value: dt.datetime | dt.date, number_format: str) -> str:
    """A date as the cell shows it: day, month or year, in the way a clerk writes it."""
    shown = _LITERAL.sub("", number_format or "").lower()
    if isinstance(value, dt.datetime) and value.time() != dt.time(0) and "h" in shown:
        return f"{value.year}年{value.month}月{value.day}日 {value.hour:02d}:{value.minute:02d}"
    if "d" in shown or "y" not in shown:
        return f"{value.year}年{value.month}月{value.day}日"
    if "m" in shown:
        return f"{value.year}年{value.month}月"
    return f"{value.year}年"


def _cell_text(value: object, number_format: str) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return " ".join(p.strip() for p in re.split(r"[\t\n\r\v\f]", value) if p.strip())
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime | dt.date):
        return _date_text(value, number_format)
    if isinstance(value, dt.time):
        return f"{value.hour:02d}:{value.minute:02d}"
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        if "%" in (number_format or ""):
            return f"{value * 100:.15g}%"
        return f"{value:.15g}"
    return str(value)


def _grid(ws: Any, ext: _Extent, where: str) -> list[list[str]]:
    """The visible rows of a sheet that hold something, merged cells emptied below and
    right of their first one."""
    width = ext.width
    covered: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in ext.merges:
        for r in range(r1, min(r2, ext.last_row) + 1):
            for c in range(c1, min(c2, width) + 1):
                if (r, c) != (r1, c1):
                    covered.add((r, c))
        if len(covered) > MAX_TABLE_CELLS:
            raise LimitExceeded(f"{where}：{too_many_cells()}")
    out: list[list[str]] = []
    if not width or not ext.last_row:
        return out
    ws.reset_dimensions()  # the stated size may lie
    rows = ws.iter_rows(min_row=1, max_row=ext.last_row, max_col=width)
    for r, cells in enumerate(rows, start=1):
        if r in ext.hidden:
            continue
        texts = [
            "" if (r, c) in covered or cell.data_type == "e" else _cell_text(cell.value, cell.number_format)
            for c, cell in enumerate(cells, start=1)
        ]
        if any(texts):
            out.append(texts + [""] * (width - len(texts)))
            if len(out) > MAX_LINES:
                raise LimitExceeded(
                    f"{where}超过 {MAX_LINES // 10000} 万行的上限，拒绝读取（请拆分后分别导入）"
                )
    return out


def _trim(rows: list[list[str]]) -> list[list[str]]:
    """Without the columns empty in every row."""
    keep = [
        c for c in range(max((len(r) for r in rows), default=0)) if any(c < len(r) and r[c] for r in rows)
    ]
    return [[r[c] if c < len(r) else "" for c in keep] for r in rows]


def _text(wb: Any, parts: list[_Part], extents: dict[str, _Extent], name: str) -> str:
    by_title = {p.title: p for p in parts}
    tally = Tally()
    sheets: list[tuple[str, list[list[str]], tuple[int, dict[int, str], int]]] = []
    unread: list[str] = []
    try:
        worksheets = list(wb.worksheets)
    except Exception:  # a broken package fails here at the latest
        raise _fail(name, _BROKEN) from None
    for ws in worksheets:
        part = by_title.get(ws.title)
        if part is None or part.state != "visible" or part.path not in extents:
            continue
        where = f"工作表“{ws.title}”"
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                rows = _trim(_grid(ws, extents[part.path], where))
        except LimitExceeded:
            raise
        except Exception:  # a damaged sheet part: openpyxl raises anything
            raise _fail(name, f"{where}已损坏，请用 Excel 或 WPS 打开后重新保存") from None
        header = tables.find_header([[fold_width(t) for t in r] for r in rows])
        if header is None:
            if rows:
                unread.append(ws.title)
            continue
        sheets.append((ws.title, rows, header))
    if not sheets:
        named = "".join(f"“{t}”" for t in unread[:3]) + (
            f"等 {len(unread)} 个工作表" if len(unread) > 3 else ""
        )
        where = f"工作表{named}" if unread else "各工作表"
        raise _fail(
            name,
            f"{where}中没有找到可识别的表头，未能读作整改清单：表头应在前几行，"
            "有“问题”列，以及“整改措施”“责任单位”“完成时限”等列",
        )
    named_parts = _sheet_categories([t for t, _, _ in sheets])
    lines: list[str] = []
    for title, rows, (start, cols, taken) in sheets:
        block: list[str] = [""]
        for row in rows[:start]:  # a title, 附件1, 填报单位: lines of text above the table
            block.append(" ".join(t for t in row if t))
        block.append("")
        block.extend("\t".join(r) for r in rows[start : start + taken])
        if title in named_parts and "category" not in cols.values():
            block.append("\t".join([title] + [""] * (len(rows[start]) - 1)))
        block.extend("\t".join(r) for r in rows[start + taken :])
        block.append("")
        for ln in block:
            tally.add(ln)
        lines.extend(block)
    return "\n".join(lines)


def _sheet_categories(titles: list[str]) -> set[str]:
    """The sheet names that are parts of the plan (党的建设方面): all the plan sheets are
    named, not numbered (Sheet1) nor named for the list (任务清单), and there are several
    of them, or the name says it is a part (…方面)."""
    named = [t for t in titles if not _GENERIC_SHEET.match(t.strip()) and not tables.is_table_title(t)]
    if len(named) == len(titles) and (len(named) >= 2 or any("方面" in t for t in named)):
        return set(named)
    return set()
