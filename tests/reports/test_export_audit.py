"""Finding 8 of issue 8 (exports): every export and download is on the audit record.

Each way a document leaves the system — the 整改台账 workbook, the plan, the notice (docx
and PDF), from a page or from the command line — writes exactly one audit event: who
(the user, or the command line's system account and the operating-system account that
ran it), which round, which format and how (web or cli). The outsider's refused export
writes no export event.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import SEED
from tests.reports.test_xlsx_fixtures import ledger
from tests.web.conftest import client_for
from zhenggai.audit.models import AuditEvent

__all__ = ["client_for", "ledger"]  # fixtures, imported for pytest

EXPORTS = [
    ("reports:xlsx-export", "round.xlsx_export", "xlsx"),
    ("reports:plan-docx", "plan.export", "docx"),
    ("reports:notice-docx", "notice.export", "docx"),
    ("reports:notice-pdf", "notice.export", "pdf"),
]
EXPORT_ACTIONS = sorted({action for _, action, _ in EXPORTS})


@pytest.mark.parametrize(("url", "action", "fmt"), EXPORTS)
def test_finding8_each_web_export_writes_exactly_one_event_with_who_what_round_and_format(
    ledger: Any, personas: Any, client_for: Any, url: str, action: str, fmt: str
):
    last = AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
    response = client_for(personas.viewer).get(reverse(url, args=[ledger.round.pk]))
    assert response.status_code == 200
    b"".join(response.streaming_content)
    new = list(AuditEvent.objects.filter(seq__gt=last))
    assert [(e.action, e.actor_id, e.actor_name, e.object_type, e.object_id, e.unit_id_ref) for e in new] == [
        (action, personas.viewer.pk, "viewer", "round", str(ledger.round.pk), ledger.round.unit_id)
    ]
    assert (new[0].after["format"], new[0].after["via"], new[0].outcome) == (fmt, "web", "ok")
    assert new[0].after["file"].endswith(f".{fmt}")


@pytest.mark.parametrize(("url", "action", "fmt"), EXPORTS)
def test_finding8_the_outsiders_refused_export_writes_no_export_event(
    ledger: Any, personas: Any, client_for: Any, url: str, action: str, fmt: str
):
    response = client_for(personas.outsider).get(reverse(url, args=[ledger.round.pk]))
    assert response.status_code == 404
    assert not AuditEvent.objects.filter(action__in=EXPORT_ACTIONS).exists()


# --- the command line: a throw-away instance, as an operator runs it ---------------------------------

ZHENGGAI = Path(sys.executable).with_name("zhenggai")
UNIT = "望江县公安局交通管理大队"


def test_finding8_each_command_line_export_and_import_writes_exactly_one_event(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["ZHENGGAI_DATA_DIR"] = str(tmp_path / "data")

    def run(*args: str) -> str:
        p = subprocess.run(
            [str(ZHENGGAI), *args], env=env, capture_output=True, text=True, check=False, timeout=300
        )
        assert p.returncode == 0, (args, p.stderr)
        return p.stdout

    run("migrate", "-v", "0")
    run(
        "shell",
        "-c",
        "from zhenggai.units.services import unit_create; from zhenggai.units.models import UnitKind; "
        f"unit_create(actor=None, name='{UNIT}', parent=None, kind=UnitKind.BRIGADE)",
    )
    round_id = run("import", str(SEED), "--unit", UNIT).strip().splitlines()[-1]

    def events() -> list[tuple[Any, ...]]:
        with sqlite3.connect(tmp_path / "db.sqlite3") as db:
            rows = db.execute(
                "SELECT actor_name, action, object_type, object_id, after FROM audit_auditevent "
                "WHERE action IN ('round.xlsx_export', 'plan.export', 'notice.export', 'round.xlsx_import') "
                "ORDER BY seq"
            ).fetchall()
        return [(*r[:4], json.loads(r[4])) for r in rows]

    assert events() == []
    steps: list[tuple[tuple[str, ...], str, str]] = [
        (("export-xlsx", round_id, str(tmp_path / "台账.xlsx")), "round.xlsx_export", "xlsx"),
        (("notice", round_id, "--docx", str(tmp_path / "通报.docx")), "notice.export", "docx"),
        (("notice", round_id, "--pdf", str(tmp_path / "通报.pdf")), "notice.export", "pdf"),
        (("plan", round_id, "--docx", str(tmp_path / "方案.docx")), "plan.export", "docx"),
    ]
    for args, action, fmt in steps:
        before = len(events())
        run(*args)
        new = events()[before:]
        assert [e[:4] for e in new] == [("system-import", action, "round", round_id)], args
        assert (new[0][4]["format"], new[0][4]["via"]) == (fmt, "cli")
        assert "os_user" in new[0][4]

    before = len(events())
    run("import-xlsx", round_id, str(tmp_path / "台账.xlsx"), "--dry-run")
    assert events()[before:] == []  # a dry run changes nothing and exports nothing
    run("import-xlsx", round_id, str(tmp_path / "台账.xlsx"))
    new = events()[before:]
    assert [e[:4] for e in new] == [("system-import", "round.xlsx_import", "round", round_id)]
    assert (new[0][4]["via"], new[0][4]["changes"]) == ("cli", 0)
