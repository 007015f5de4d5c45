"""`zhenggai export-xlsx` and `zhenggai import-xlsx`, run as an operator runs them.

The real console script in a throw-away instance: a temporary SQLite file
(DATABASE_URL) and data dir (ZHENGGAI_DATA_DIR), migrated, with the seed imported
by `zhenggai import`. Each test works on its own copy of that database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook

from tests.conftest import SEED
from tests.today import days_from_today

ZHENGGAI = Path(sys.executable).with_name("zhenggai")
SETUP = """
from zhenggai.units.models import Role, UnitKind
from zhenggai.units.services import membership_grant, unit_create
from zhenggai.accounts.models import User
county = unit_create(actor=None, name="中共望江县委员会", parent=None, kind=UnitKind.COMMITTEE)
unit = unit_create(actor=None, name="望江县公安局交通管理大队", parent=county, kind=UnitKind.BRIGADE)
people = [("leader", "李大队长", Role.UNIT_LEADER), ("person", "陈民警", Role.RESPONSIBLE_PERSON)]
for username, name, role in people:
    user = User.objects.create(username=username, display_name=name)
    membership_grant(actor=None, user=user, unit=unit, role=role)
"""


@dataclass
class Instance:
    folder: Path
    round: int

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_"))}
        env["DATABASE_URL"] = f"sqlite:///{self.folder / 'db.sqlite3'}"
        env["ZHENGGAI_DATA_DIR"] = str(self.folder)
        return env

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ZHENGGAI), *args], env=self.env(), capture_output=True, text=True, check=False, timeout=120
        )


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: Any) -> Instance:
    inst = Instance(tmp_path_factory.mktemp("zhenggai-cli"), 0)
    for args in (["migrate", "-v", "0"], ["shell", "-c", SETUP]):
        p = inst.run(*args)
        assert p.returncode == 0, p.stderr
    p = inst.run("import", str(SEED))
    assert p.returncode == 0, p.stderr
    inst.round = int(p.stdout.strip())
    p = inst.run("export-xlsx", str(inst.round), str(inst.folder / "exported.xlsx"))
    assert p.returncode == 0, p.stderr
    return inst


@pytest.fixture
def instance(pristine: Instance, tmp_path: Path) -> Instance:
    """A copy of the migrated, seeded instance for one test."""
    folder = tmp_path / "instance"
    folder.mkdir()
    for p in [*pristine.folder.glob("db.sqlite3*"), pristine.folder / "exported.xlsx"]:
        shutil.copy(p, folder / p.name)
    return Instance(folder, pristine.round)


def _edit(src: Path, dst: Path, cells: dict[tuple[int, int], Any]) -> None:
    wb = load_workbook(src)
    ws = wb["整改台账"]
    for (row, column), value in cells.items():
        ws.cell(row, column).value = value
    wb.save(dst)


def test_export_writes_the_workbook_and_a_dry_run_of_it_unedited_reports_no_changes(instance: Instance):
    out = instance.folder / "台账.xlsx"
    p = instance.run("export-xlsx", str(instance.round), str(out))
    assert p.returncode == 0, p.stderr
    assert "已导出 100 条措施" in p.stdout
    wb = load_workbook(out, read_only=True)
    assert wb.sheetnames == ["整改台账", "统计", "_meta"]
    wb.close()
    p = instance.run("import-xlsx", str(instance.round), str(out), "--dry-run", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert (doc["changes"], doc["errors"], doc["rows"], doc["applied"]) == ([], [], 100, False)


def test_a_dry_run_lists_the_changes_and_changes_nothing_then_the_apply_does(instance: Instance):
    out = instance.folder / "exported.xlsx"
    first_id = load_workbook(out)["整改台账"].cell(4, 14).value
    _edit(out, out, {(4, 9): "2022-03-30", (4, 8): "陈民警"})
    expected = [
        {"measure": first_id, "field": "person", "old": None, "new": "陈民警", "row": 4, "label": "责任人"},
        {
            "measure": first_id,
            "field": "deadline",
            "old": None,
            "new": "2022-03-30",
            "row": 4,
            "label": "完成时限",
        },
    ]
    p = instance.run("import-xlsx", str(instance.round), str(out), "--dry-run", "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["changes"] == expected and doc["errors"] == [] and doc["applied"] is False
    # The apply finds the same changes (so the dry run changed nothing) and commits them.
    p = instance.run("import-xlsx", str(instance.round), str(out), "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["changes"] == expected and doc["applied"] is True
    p = instance.run("import-xlsx", str(instance.round), str(out), "--dry-run")
    assert p.returncode == 0
    assert "台账与系统一致，没有需要导入的修改" in p.stdout


def test_row_errors_exit_1_and_the_apply_changes_nothing(instance: Instance):
    out = instance.folder / "exported.xlsx"
    # Row 5 asks for 已完成 on a measure not started; row 4 is a valid change that must wait.
    ahead = days_from_today(200).isoformat()
    _edit(out, out, {(4, 9): ahead, (5, 10): "已完成", (6, 9): "3月底"})
    p = instance.run("import-xlsx", str(instance.round), str(out), "--dry-run", "--json")
    assert p.returncode == 1, p.stderr
    doc = json.loads(p.stdout)
    assert [e["row"] for e in doc["errors"]] == [5, 6]
    assert doc["errors"][0]["message"].startswith("整改状态：措施尚未开始，不能改为“已完成”")
    assert doc["errors"][1]["message"].startswith("完成时限：“3月底”没有写明年份")
    assert [c["field"] for c in doc["changes"]] == ["deadline"]
    for _ in range(2):  # the apply refuses, and the second run shows the first changed nothing
        p = instance.run("import-xlsx", str(instance.round), str(out))
        assert p.returncode == 1
        assert "第 4 行 措施" in p.stdout and f"完成时限：（空） → {ahead}" in p.stdout
        assert "第 5 行：整改状态" in p.stdout and "2 行无法导入，未作任何修改" in p.stdout


def test_a_status_only_the_unit_leader_may_set_is_a_row_error_for_the_system_account(instance: Instance):
    out = instance.folder / "exported.xlsx"
    _edit(out, out, {(4, 11): "已制定学习计划", (4, 10): "已完成"})  # progress, submit, approve
    p = instance.run("import-xlsx", str(instance.round), str(out), "--dry-run", "--json")
    assert p.returncode == 1
    assert json.loads(p.stdout)["errors"] == [
        {
            "row": 4,
            "message": "整改状态：您没有权限审核整改措施",
            "measure": json.loads(p.stdout)["errors"][0]["measure"],
        }
    ]
    p = instance.run("import-xlsx", str(instance.round), str(out), "--dry-run", "--json", "--user", "leader")
    assert p.returncode == 1  # the leader may approve but may not report progress on it nor submit it
    assert "只有该措施的责任人（或整改办）" in p.stdout


@pytest.mark.parametrize(
    ("case", "message"),
    [
        ("not a workbook", "不是 Excel 工作簿"),
        ("missing file", "无法读取"),
        ("unknown round", "未找到巡察轮次 999"),
        ("unknown user", "未找到用户“nobody”"),
    ],
)
def test_unusable_input_exits_2_with_one_clear_line(instance: Instance, case: str, message: str):
    bad = instance.folder / "bad.xlsx"
    bad.write_text("序号,问题\n", encoding="utf-8")
    args = {
        "not a workbook": [str(instance.round), str(bad)],
        "missing file": [str(instance.round), str(instance.folder / "missing.xlsx")],
        "unknown round": ["999", str(bad)],
        "unknown user": [str(instance.round), str(bad), "--user", "nobody"],
    }[case]
    p = instance.run("import-xlsx", *args, "--dry-run")
    assert p.returncode == 2
    assert p.stdout == ""
    lines = p.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in p.stderr
    if case == "unknown round":
        p = instance.run("export-xlsx", "999", str(instance.folder / "x.xlsx"))
        assert p.returncode == 2 and message in p.stderr
        assert not (instance.folder / "x.xlsx").exists()
