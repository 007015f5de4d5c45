"""The 整改台账 survives a re-save by a second office suite: LibreOffice Calc, headless.

Many 信创 desktops edit the workbook in LibreOffice (or WPS, which reads and writes the
same way). The workbook is exported, converted by ``soffice --convert-to xlsx`` (its own
writer: shared strings, its own styles and dimensions), and imported back unchanged: no
change, no error, no formula. ``make test`` installs LibreOffice (``make office``); when
``soffice`` is missing this test fails and says so, it does not skip.
"""

from __future__ import annotations

import io
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.reports.test_xlsx_fixtures import export_bytes, ledger
from tests.reports.test_xlsx_formula_text import HOSTILE, formula_elements, hostile_round
from zhenggai.reports.xlsx_import import import_workbook

__all__ = ["ledger"]  # the fixture, imported for pytest


def resaved_by_libreoffice(data: bytes, folder: Path) -> bytes:
    """``data`` opened and saved again as .xlsx by LibreOffice Calc (a private profile)."""
    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.fail(
            "LibreOffice (soffice) is not installed: run `make office` "
            "(apt-get install libreoffice-calc-nogui); this test needs it and does not skip"
        )
    src, out, profile = folder / "in" / "台账.xlsx", folder / "out", folder / "profile"
    src.parent.mkdir(parents=True)
    out.mkdir()
    src.write_bytes(data)
    p = subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(out),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    result = out / src.name
    assert p.returncode == 0 and result.exists(), (p.returncode, p.stdout, p.stderr)
    return result.read_bytes()


def test_finding5_the_workbook_resaved_by_libreoffice_reimports_with_no_changes(
    ledger: Any, personas: Any, tmp_path: Path
):
    hostile = hostile_round(personas)
    for round_, rows in ((ledger.round, 100), (hostile, len(HOSTILE))):
        original = export_bytes(personas.clerk, round_)
        resaved = resaved_by_libreoffice(original, tmp_path / f"round{round_.pk}")
        assert resaved != original
        with zipfile.ZipFile(io.BytesIO(resaved)) as z:
            assert "xl/sharedStrings.xml" in z.namelist()  # really LibreOffice's writer, not a copy
        assert formula_elements(resaved) == {}
        wb = load_workbook(io.BytesIO(resaved), read_only=True)
        assert wb.sheetnames == ["整改台账", "统计", "_meta"]
        wb.close()
        report = import_workbook(actor=personas.clerk, round=round_, data=resaved, dry_run=True)
        assert (report.changes, report.errors, report.rows) == ([], [], rows)
