"""Finding 5 of issue 8: user text that looks like a formula stays text in the 整改台账.

Measure text, progress, finding titles and the round title are written by people: a
leading ``=``, ``+``, ``-``, ``@``, a tab or a full-width ``＝`` (and an error literal
such as ``#N/A``) must reach the workbook as a text cell, never as a live formula (or
an error value), and the unchanged workbook must import back with nothing to change.
"""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from typing import Any

import pytest
from django.utils import timezone

from tests.reports.test_xlsx_fixtures import FIRST, col, edited, export_bytes, ledger, open_book, row_of
from zhenggai.ledger import services
from zhenggai.ledger.models import Measure, Round
from zhenggai.reports.xlsx_import import import_workbook

__all__ = ["ledger"]  # the fixture, imported for pytest

#: Text a spreadsheet program could take for a formula (or an error value), one per start.
HOSTILE = (
    '=HYPERLINK("http://example.invalid/x","点击查看")',
    "+1+1 整改措施",
    "-2+3 整改措施",
    "@SUM(1,1) 整改措施",
    "\t=1+1 整改措施",
    "＝1+1 整改措施",
    "#N/A",
)
_FORMULA_ELEMENT = re.compile(rb"<(?:\w+:)?f[\s>/]")


def hostile_round(personas: Any) -> Round:
    """A round whose title, findings, measure texts and progress all start like formulas."""
    clerk = personas.clerk
    r = services.round_create(
        actor=clerk, unit=personas.unit_a, title="=1+1 巡察整改", inspecting_group="-组"
    )
    cat = services.finding_create(
        actor=clerk, round=r, parent=None, kind="category", title="@类别", number="一"
    )
    issue = services.finding_create(
        actor=clerk, round=r, parent=cat, kind="issue", title="+方面", number="（一）"
    )
    problem = services.finding_create(
        actor=clerk, round=r, parent=issue, kind="problem", title="=问题", number="1."
    )
    made = [services.measure_create(actor=clerk, finding=problem, text=t) for t in HOSTILE]
    services.measure_assign_bulk(
        actor=clerk,
        round=r,
        measure_ids=[m.pk for m in made],
        person=personas.person,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=timezone.localdate() + dt.timedelta(days=30),
    )
    for m, text in zip(made, reversed(HOSTILE), strict=True):
        services.progress_add(actor=clerk, measure=m, text=text)
    return r


def formula_elements(data: bytes) -> dict[str, int]:
    """Parts of the package that hold a ``<f>`` (formula) element, with how many."""
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        found = {n: len(_FORMULA_ELEMENT.findall(z.read(n))) for n in z.namelist() if n.endswith(".xml")}
    return {n: k for n, k in found.items() if k}


def test_finding5_text_starting_like_a_formula_is_written_as_text_and_reimports_unchanged(personas: Any):
    round_ = hostile_round(personas)
    data = export_bytes(personas.clerk, round_)

    assert formula_elements(data) == {}
    wb = open_book(data)
    ws = wb["整改台账"]
    for m in Measure.objects.filter(round=round_):
        row = row_of(ws, m.pk)
        for key in ("text", "progress", "category", "problem"):
            cell = ws.cell(row, col(key))
            assert cell.data_type == "s", (key, cell.value, cell.data_type)
        assert ws.cell(row, col("text")).value.strip() == m.text.strip()
    assert {ws.cell(r, col("progress")).value.strip() for r in range(FIRST, FIRST + len(HOSTILE))} == {
        t.strip() for t in HOSTILE
    }
    assert ws["A1"].data_type == "s" and ws["A1"].value.startswith("=1+1 巡察整改")
    meta = {r[0].value: r[1] for r in wb["_meta"].iter_rows(max_col=2)}
    assert meta["title"].data_type == "s" and meta["title"].value == "=1+1 巡察整改"

    report = import_workbook(actor=personas.clerk, round=round_, data=data, dry_run=True)
    assert (report.changes, report.errors, report.rows) == ([], [], len(HOSTILE))


def test_finding5_a_text_cell_starting_with_an_equals_sign_imports_as_text(ledger: Any, personas: Any):
    m = ledger.m[1]

    def edit(ws: Any) -> None:
        cell = ws.cell(row_of(ws, m.pk), col("text"))
        cell.value = "=这是文字，不是公式"
        cell.data_type = "s"  # typed as text (Excel: a leading apostrophe or a text-formatted cell)

    data = edited(export_bytes(personas.clerk, ledger.round), edit)
    assert formula_elements(data) == {}
    report = import_workbook(actor=personas.clerk, round=ledger.round, data=data, dry_run=True)
    assert report.errors == []
    assert [(c.measure, c.field, c.new) for c in report.changes] == [(m.pk, "text", "=这是文字，不是公式")]


@pytest.mark.parametrize("key", ["text", "progress", "status"])
def test_finding5_a_real_formula_in_an_editable_column_is_still_refused(ledger: Any, personas: Any, key: str):
    m = ledger.m[0]

    def edit(ws: Any) -> None:
        ws.cell(row_of(ws, m.pk), col(key)).value = "=1+1"  # openpyxl writes this as a formula

    data = edited(export_bytes(personas.clerk, ledger.round), edit)
    assert formula_elements(data)
    report = import_workbook(actor=personas.clerk, round=ledger.round, data=data, dry_run=True)
    assert report.changes == []
    assert [e.message.split("（")[0] for e in report.errors] == [
        {"text": "“整改措施”是公式", "progress": "“整改进展”是公式", "status": "“整改状态”是公式"}[key]
    ]


def test_control_characters_pasted_from_word_export_without_them_and_reimport_unchanged(personas: Any):
    clerk = personas.clerk
    r = services.round_create(actor=clerk, unit=personas.unit_a, title="巡察\x0b整改", inspecting_group="组")
    problem = services.finding_create(
        actor=clerk, round=r, parent=None, kind="problem", title="问题\x01一", number="1."
    )
    m = services.measure_create(actor=clerk, finding=problem, text="建立\x0b台账\x1f制度")
    data = export_bytes(clerk, r)  # openpyxl refused these characters outright: a server error
    ws = open_book(data)["整改台账"]
    assert ws.cell(row_of(ws, m.pk), col("text")).value == "建立台账制度"
    report = import_workbook(actor=clerk, round=r, data=data, dry_run=True)
    assert (report.changes, report.errors) == ([], [])
