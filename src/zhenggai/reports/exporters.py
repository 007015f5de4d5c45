"""Streaming exporters: a report yields rows, this base class renders them as xlsx.

The workbook is written with openpyxl in write-only mode: each row goes to the
sheet's temporary file as soon as it is yielded, so memory stays flat whatever
the number of rows (pretix ``base/exporter.py`` is the model). Styles are built
once per column (and per row mark, such as "overdue") and shared by every cell
of that column, so a styled cell costs little more than a bare one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

PAPERSIZE_A4 = "9"  # the OOXML paper size code of A4
FONT_NAME = "宋体"
THIN = Side(style="thin", color="808080")
GRID = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="D9E2F3")
#: Row marks a report may give a row, and the fill that shows them.
MARK_FILLS = {"overdue": PatternFill("solid", fgColor="FFD7D7")}


@dataclass(frozen=True)
class Column:
    """One column of a report: its header, width (in characters) and how its cells look."""

    key: str
    header: str
    width: float
    wrap: bool = False
    number_format: str | None = None
    align: str = "left"
    hidden: bool = False


@dataclass
class Row:
    """The values of one row, in column order, and an optional mark (a key of ``MARK_FILLS``)."""

    values: Sequence[Any]
    mark: str = ""


@dataclass
class SheetLayout:
    """Print and view settings of the main sheet."""

    landscape: bool = True
    fit_to_width: bool = True
    freeze: bool = True
    autofilter: bool = True
    validations: list[Any] = field(default_factory=list)


class Exporter:
    """Base of the xlsx reports. Subclasses give the columns, title lines and rows.

    ``write(target)`` renders the workbook: title lines (merged across the table),
    one header row, then the rows as ``rows()`` yields them. The header stays
    frozen on screen and is repeated on every printed page with the title lines;
    hidden columns carry what a round trip needs. ``after_rows`` may add sheets.
    """

    sheet_title = "Sheet1"
    columns: Sequence[Column] = ()
    layout = SheetLayout()

    # --- what a report gives ------------------------------------------------------------------

    def title_lines(self) -> list[str]:
        return []

    def rows(self) -> Iterator[Row]:
        raise NotImplementedError

    def before_rows(self, wb: Workbook) -> None:
        """Sheets written before the main rows are streamed (they may hold data that is then freed)."""

    def after_rows(self, wb: Workbook, count: int) -> None:
        """Sheets written after the main rows."""

    # --- rendering ----------------------------------------------------------------------------

    def write(self, target: str | Path | IO[bytes]) -> int:
        """Write the workbook to a path or a binary file; return the number of data rows."""
        wb = Workbook(write_only=True)
        ws = wb.create_sheet(self.sheet_title)
        self._setup_sheet(ws)
        self.before_rows(wb)
        count = self._write_main(ws)
        self.after_rows(wb, count)
        wb.save(target)
        return count

    def _setup_sheet(self, ws: WriteOnlyWorksheet) -> None:
        # Column widths and hidden columns must be set before the first row is written.
        for i, col in enumerate(self.columns, 1):
            dim = ws.column_dimensions[get_column_letter(i)]
            dim.width = col.width
            if col.hidden:
                dim.hidden = True
        header_row = len(self.title_lines()) + 1
        if self.layout.freeze:
            ws.freeze_panes = f"A{header_row + 1}"
        ws.print_title_rows = f"1:{header_row}"
        ws.page_setup.paperSize = PAPERSIZE_A4
        if self.layout.landscape:
            ws.page_setup.orientation = "landscape"
        if self.layout.fit_to_width:
            ws.sheet_properties.pageSetUpPr.fitToPage = True
            ws.page_setup.fitToWidth = 1
            ws.page_setup.fitToHeight = 0  # as many pages down as it takes
        ws.page_margins.left = ws.page_margins.right = 0.4
        ws.page_margins.top = ws.page_margins.bottom = 0.6
        ws.print_options.horizontalCentered = True
        ws.oddFooter.center.text = "第 &P 页，共 &N 页"
        for dv in self.layout.validations:
            ws.data_validations.append(dv)

    def _visible_span(self) -> str:
        last = max((i for i, c in enumerate(self.columns, 1) if not c.hidden), default=1)
        return get_column_letter(last)

    def _write_main(self, ws: WriteOnlyWorksheet) -> int:
        _take_cells_as_given(ws)
        titles = self.title_lines()
        last_visible = self._visible_span()
        title_fonts = [Font(name="黑体", size=16, bold=True), Font(name=FONT_NAME, size=10)]
        for i, text in enumerate(titles, 1):
            cell = data_cell(ws, text)
            cell.font = title_fonts[min(i - 1, 1)]
            cell.alignment = Alignment(horizontal="center" if i == 1 else "left", vertical="center")
            ws.row_dimensions[i].height = 30 if i == 1 else 20
            ws.merged_cells.add(f"A{i}:{last_visible}{i}")
            ws.append([cell])
        header_row = len(titles) + 1
        head_font = Font(name=FONT_NAME, size=10, bold=True)
        head_align = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header = []
        for col in self.columns:
            cell = data_cell(ws, col.header)
            cell.font, cell.alignment, cell.border, cell.fill = head_font, head_align, GRID, HEADER_FILL
            header.append(cell)
        ws.append(header)

        styles = self._column_styles(ws)
        count = 0
        append = ws.append
        for row in self.rows():
            column_styles = styles[row.mark]
            cells = []
            for value, style in zip(row.values, column_styles, strict=True):
                if isinstance(value, str):
                    cell = WriteOnlyCell(ws, cell_text(value))
                    cell.data_type = "s"  # text, never a formula (see ``data_cell``)
                else:
                    cell = WriteOnlyCell(ws, value)
                cell._style = style  # shared, never mutated: one style lookup per distinct look
                cells.append(cell)
            append(cells)
            count += 1
        last_row = header_row + count
        if self.layout.autofilter:
            ws.auto_filter.ref = (
                f"A{header_row}:{get_column_letter(len(self.columns))}{max(last_row, header_row)}"
            )
        return count

    def _column_styles(self, ws: WriteOnlyWorksheet) -> dict[str, list[Any]]:
        """Per row mark, the style of each column's cells (built once on template cells)."""
        font = Font(name=FONT_NAME, size=10)
        out: dict[str, list[Any]] = {}
        for mark, fill in [("", None), *MARK_FILLS.items()]:
            styles = []
            for col in self.columns:
                t = WriteOnlyCell(ws)
                t.font = font
                t.border = GRID
                t.alignment = Alignment(horizontal=col.align, vertical="top", wrap_text=col.wrap)
                if col.number_format:
                    t.number_format = col.number_format
                if fill is not None:
                    t.fill = fill
                styles.append(t._style)
            out[mark] = styles
        return out


def data_cell(ws: WriteOnlyWorksheet, value: Any = None) -> WriteOnlyCell:
    """A cell holding ``value``; text is always a string cell, never a formula or an error value.

    openpyxl types a string that starts with ``=`` as a formula and one such as ``#N/A`` as
    an error value. User text is data (docs/style.md): a measure or progress text starting
    with ``= + - @``, a tab or ``＝`` must reach Excel, WPS and LibreOffice as the text it is,
    so the type is set after the value (the writer then emits an inline string, never ``<f>``).
    """
    cell = WriteOnlyCell(ws, cell_text(value) if isinstance(value, str) else value)
    if isinstance(value, str):
        cell.data_type = "s"
    return cell


def cell_text(text: str) -> str:
    """``text`` as a spreadsheet cell can hold it: without the control characters XML 1.0
    forbids (a vertical tab or ``\x01`` pasted from Word), which openpyxl refuses outright.

    The workbook import compares through the same function, so a measure whose text holds
    one reads back unchanged.
    """
    return ILLEGAL_CHARACTERS_RE.sub("", text)


def _take_cells_as_given(ws: WriteOnlyWorksheet) -> None:
    """Let ``ws.append`` take our cells without its per-value conversion attempt.

    openpyxl's write-only ``append`` first tries to store each item as a value and,
    for a cell, catches the ``ValueError`` that attempt raises (formatting the cell's
    repr into its message): a third of the export's time at 100,000 rows. Every row
    this module appends is a list of cells, so they only need their position. Should
    a later openpyxl rename the hook, the plain path still works, only slower.
    """
    if not callable(getattr(ws, "_values_to_row", None)):
        return

    def positioned(cells: Iterable[Any], row_idx: int) -> Iterator[Any]:
        for col_idx, cell in enumerate(cells, 1):
            cell.column = col_idx
            cell.row = row_idx
            yield cell

    ws._values_to_row = positioned  # type: ignore[method-assign]


def write_table(
    wb: Workbook,
    title: str,
    blocks: Iterable[tuple[str, Sequence[str], Iterable[Sequence[Any]]]],
    *,
    widths: Sequence[float] = (),
    heading: str = "",
) -> WriteOnlyWorksheet:
    """A small sheet of labelled tables (a summary): each block is a caption, a header and rows."""
    ws = wb.create_sheet(title)
    for i, w in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(i)].width = w
    ws.page_setup.paperSize = PAPERSIZE_A4
    font = Font(name=FONT_NAME, size=10)
    bold = Font(name=FONT_NAME, size=10, bold=True)
    if heading:
        cell = data_cell(ws, heading)
        cell.font = Font(name="黑体", size=14, bold=True)
        ws.append([cell])
    for caption, header, rows in blocks:
        ws.append([])
        cap = data_cell(ws, caption)
        cap.font = bold
        ws.append([cap])
        head = []
        for h in header:
            c = data_cell(ws, h)
            c.font, c.border, c.fill = bold, GRID, HEADER_FILL
            c.alignment = Alignment(horizontal="center")
            head.append(c)
        ws.append(head)
        for values in rows:
            cells = []
            for v in values:
                c = data_cell(ws, v)
                c.font, c.border = font, GRID
                if isinstance(v, float):
                    c.number_format = "0.00"
                elif isinstance(v, dt.date):
                    c.number_format = "yyyy-mm-dd"
                cells.append(c)
            ws.append(cells)
    return ws
