"""Finding 4 of issue 8: the workbook import is bounded by the round it belongs to.

A workbook far larger than the round's own ledger (rows, columns, a part of the package
that expands to much more than the ledger could hold) is refused before its cells are
read: the proof is an operation count, the number of cells openpyxl parsed (zero). Row
errors are counted in full but only the first ones are kept ("另有 N 处错误"), and the
web preview shows changes and errors a page at a time.
"""

from __future__ import annotations

import io
import json
import os
import re
import zipfile
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from openpyxl.worksheet._reader import WorkSheetParser

from tests.reports.test_xlsx_fixtures import FIRST, HEADERS, edited, export_bytes, ledger, set_cell
from tests.web.conftest import client_for
from zhenggai.reports import xlsx_import
from zhenggai.reports.xlsx_import import WorkbookRefused, import_workbook

__all__ = ["client_for", "ledger"]  # fixtures, imported for pytest

MAIN = "xl/worksheets/sheet1.xml"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def repack(
    data: bytes, change: Callable[[str, bytes], bytes], extra: dict[str, bytes] | None = None
) -> bytes:
    """The package with each part passed through ``change`` (and ``extra`` parts added)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(info.filename, change(info.filename, src.read(info.filename)))
        for name, body in (extra or {}).items():
            dst.writestr(name, body)
    return out.getvalue()


def rows_xml(first: int, count: int, *, cells: int = len(HEADERS), numbered: bool | None = True) -> bytes:
    """``count`` rows of text cells from row ``first`` (``cells`` each); ``numbered`` False: every
    row says it is row 5; None: rows without a number."""
    out = []
    for r in range(first, first + count):
        row = f'<row r="{r if numbered else 5}">' if numbered is not None else "<row>"
        cs = "".join(f'<c t="inlineStr"><is><t>x{k}</t></is></c>' for k in range(cells))
        out.append(f"{row}{cs}</row>")
    return "".join(out).encode()


def with_rows(data: bytes, extra_rows: bytes, dimension: str | None = None) -> bytes:
    def change(name: str, body: bytes) -> bytes:
        if name != MAIN:
            return body
        body = body.replace(b"</sheetData>", extra_rows + b"</sheetData>")
        if dimension is not None:
            body = re.sub(rb"<dimension[^>]*/>", b"", body)
            body = body.replace(b"<sheetViews", f'<dimension ref="{dimension}"/><sheetViews'.encode(), 1)
        return body

    return repack(data, change)


@pytest.fixture
def cells_parsed(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many cells openpyxl parsed (an operation count, not a time)."""
    count = [0]
    real = WorkSheetParser.parse_cell

    def counting(self: Any, element: Any) -> Any:
        count[0] += 1
        return real(self, element)

    monkeypatch.setattr(WorkSheetParser, "parse_cell", counting)
    return count


def refusal(personas: Any, ledger: Any, data: bytes) -> str:
    with pytest.raises(WorkbookRefused) as exc:
        import_workbook(actor=personas.clerk, round=ledger.round, data=data, dry_run=True)
    return str(exc.value)


EXTRA_ROWS = 3000  # the seed round has 100 measures: 3,100 data rows cannot be its ledger


@pytest.mark.parametrize(
    "case",
    ["honest dimension", "dimension says small", "no dimension", "row numbers repeated", "one row far down"],
)
def test_finding4_a_workbook_with_far_more_rows_than_the_round_is_refused_before_any_cell_is_read(
    ledger: Any, personas: Any, cells_parsed: list[int], case: str
):
    data = export_bytes(personas.clerk, ledger.round)
    last = FIRST + 100 + EXTRA_ROWS
    if case == "honest dimension":
        hostile = with_rows(data, rows_xml(FIRST + 100, EXTRA_ROWS), dimension=f"A1:O{last}")
    elif case == "dimension says small":
        hostile = with_rows(data, rows_xml(FIRST + 100, EXTRA_ROWS), dimension=f"A1:O{FIRST + 99}")
    elif case == "no dimension":
        hostile = with_rows(data, rows_xml(FIRST + 100, EXTRA_ROWS))
    elif case == "row numbers repeated":
        hostile = with_rows(data, rows_xml(FIRST + 100, EXTRA_ROWS, numbered=False))
    else:
        hostile = with_rows(data, b'<row r="1048576"><c t="inlineStr"><is><t>x</t></is></c></row>')
    cells_parsed[0] = 0
    message = refusal(personas, ledger, hostile)
    assert "行" in message and "本轮次共 100 条措施" in message, message
    assert cells_parsed[0] == 0


@pytest.mark.parametrize("case", ["16384 cells in a row", "cells without references", "dimension to XFD"])
def test_finding4_a_workbook_with_thousands_of_columns_is_refused_before_any_cell_is_read(
    ledger: Any, personas: Any, cells_parsed: list[int], case: str
):
    data = export_bytes(personas.clerk, ledger.round)
    if case == "16384 cells in a row":
        wide = "".join(f'<c r="{_letter(k)}{FIRST + 100}"><v>1</v></c>' for k in range(1, 16385))
        hostile = with_rows(data, f'<row r="{FIRST + 100}">{wide}</row>'.encode())
    elif case == "cells without references":
        hostile = with_rows(data, rows_xml(FIRST + 100, 3, cells=2000, numbered=None))
    else:
        hostile = with_rows(data, b"", dimension=f"A1:XFD{FIRST + 99}")
    cells_parsed[0] = 0
    message = refusal(personas, ledger, hostile)
    assert "列" in message and f"台账只有 {len(HEADERS)} 列" in message, message
    assert cells_parsed[0] == 0


def _letter(k: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(k)


def test_finding4_remarks_in_a_few_columns_after_ours_still_import(ledger: Any, personas: Any):
    def edit(ws: Any) -> None:
        for r in range(FIRST, FIRST + 100):
            for k in range(5):
                ws.cell(r, len(HEADERS) + 2 + k).value = f"备注{k}"

    data = edited(export_bytes(personas.clerk, ledger.round), edit)
    report = import_workbook(actor=personas.clerk, round=ledger.round, data=data, dry_run=True)
    assert (report.changes, report.errors) == ([], [])


def test_finding4_a_part_that_expands_beyond_the_rounds_size_is_refused_before_it_is_read(
    ledger: Any, personas: Any, cells_parsed: list[int]
):
    data = export_bytes(personas.clerk, ledger.round)
    strings = b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    strings += (b"<si><t>" + b"y" * 2000 + b"</t></si>") * 24_000 + b"</sst>"
    shared = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"

    def change(name: str, body: bytes) -> bytes:
        if name != "[Content_Types].xml":
            return body
        override = f'<Override PartName="/xl/sharedStrings.xml" ContentType="{shared}"/></Types>'
        return body.replace(b"</Types>", override.encode())

    # Incompressible padding, so that the whole package is not refused for its ratio alone.
    hostile = repack(
        data, change, {"xl/sharedStrings.xml": strings, "xl/media/padding.bin": os.urandom(1024 * 1024)}
    )
    with zipfile.ZipFile(io.BytesIO(hostile)) as z:
        assert z.getinfo("xl/sharedStrings.xml").file_size > 45 * 2**20
    cells_parsed[0] = 0
    message = refusal(personas, ledger, hostile)
    assert "xl/sharedStrings.xml" in message and "解压后" in message, message
    assert cells_parsed[0] == 0


def _new_rows(count: int) -> Callable[[Any], None]:
    """Rows a clerk added at the end (no system id): each is a row error."""

    def edit(ws: Any) -> None:
        for r in range(FIRST + 100, FIRST + 100 + count):
            ws.cell(r, 4).value = f"新增措施{r}"

    return edit


def test_finding4_row_errors_are_counted_in_full_but_only_the_first_are_kept(ledger: Any, personas: Any):
    limit = xlsx_import.MAX_ERRORS
    data = edited(export_bytes(personas.clerk, ledger.round), _new_rows(limit + 57))
    report = import_workbook(actor=personas.clerk, round=ledger.round, data=data, dry_run=True)
    assert report.error_count == limit + 57
    assert len(report.errors) == limit
    assert [e.row for e in report.errors] == list(range(FIRST + 100, FIRST + 100 + limit))
    doc = report.as_json()
    assert (len(doc["errors"]), doc["errors_total"], doc["errors_omitted"]) == (limit, limit + 57, 57)


def test_finding4_the_command_says_how_many_more_errors_there_are(ledger: Any, personas: Any, tmp_path: Any):
    limit = xlsx_import.MAX_ERRORS
    path = tmp_path / "台账.xlsx"
    path.write_bytes(edited(export_bytes(personas.clerk, ledger.round), _new_rows(limit + 57)))
    out = io.StringIO()
    with pytest.raises(SystemExit) as exc:
        call_command(
            "import-xlsx", str(ledger.round.pk), str(path), "--dry-run", "--user", "clerk", stdout=out
        )
    assert exc.value.code == 1
    text = out.getvalue()
    assert text.count("新增的行不能通过台账导入") == limit
    assert f"另有 57 处错误未列出；共 {limit + 57} 行无法导入，未作任何修改" in text
    out = io.StringIO()
    with pytest.raises(SystemExit):
        call_command(
            "import-xlsx",
            str(ledger.round.pk),
            str(path),
            "--dry-run",
            "--json",
            "--user",
            "clerk",
            stdout=out,
        )
    doc = json.loads(out.getvalue())
    assert (len(doc["errors"]), doc["errors_total"]) == (limit, limit + 57)


def test_finding4_the_preview_shows_changes_and_errors_a_page_at_a_time(
    ledger: Any, personas: Any, client_for: Any
):
    from zhenggai.web.views import workbook as xlsx_views

    size = xlsx_views.PAGE_SIZE
    limit = xlsx_import.MAX_ERRORS
    measures = list(ledger.round.measures.order_by("pk"))

    def edit(ws: Any) -> None:
        for m in measures:
            set_cell(ws, m.pk, "text", f"{m.text}（修订）")
            set_cell(ws, m.pk, "leader", "李大队长")
        _new_rows(limit + 3)(ws)

    data = edited(export_bytes(personas.clerk, ledger.round), edit)
    c = client_for(personas.clerk)
    response = c.post(
        reverse("reports:xlsx-import", args=[ledger.round.pk]),
        {"file": SimpleUploadedFile("台账.xlsx", data, XLSX)},
    )
    assert response.status_code == 302
    first = c.get(response.url).content.decode()
    changes = len(re.findall(r'<tr class="change-row">', first))
    errors = len(re.findall(r'<tr class="error-row">', first))
    assert (changes, errors) == (size, size)
    assert f"无法导入 {limit + 3} 行" in first
    assert "另有 3 处错误" in first
    expected = len(import_workbook(actor=personas.clerk, round=ledger.round, data=data, dry_run=True).changes)
    assert expected >= 100 + size
    pages = -(-expected // size)
    shown = [
        len(re.findall(r'<tr class="change-row">', c.get(response.url, {"page": n}).content.decode()))
        for n in range(1, pages + 1)
    ]
    assert sum(shown) == expected and max(shown) == size
    last_errors = c.get(response.url, {"errors_page": limit // size}).content.decode()
    assert len(re.findall(r'<tr class="error-row">', last_errors)) == limit - size * (limit // size - 1)
