"""The scripted commands of the ledger, run as an operator runs them, on a throw-away SQLite file."""

from __future__ import annotations

import json

from tests.conftest import SEED
from tests.instance import instance_env as instance
from tests.instance import run


def test_migrate_then_import_the_seed_twice_creates_one_round(tmp_path):
    env = instance(tmp_path)
    assert run(env, "migrate", "-v", "0").returncode == 0
    make_unit = (
        "from zhenggai.units.services import unit_create; "
        "unit_create(actor=None, name='望江县公安局交通管理大队', parent=None)"
    )
    assert run(env, "shell", "-c", make_unit).returncode == 0
    first = run(env, "import", str(SEED), "--json")
    assert first.returncode == 0, first.stderr
    doc = json.loads(first.stdout)
    assert doc["created"] is True
    assert doc["counts"] == {"categories": 3, "issues": 18, "problems": 30, "measures": 100}
    second = json.loads(run(env, "import", str(SEED), "--json").stdout)
    assert second["round"] == doc["round"] and second["created"] is False
    plain = run(env, "import", str(SEED))
    assert plain.stdout.strip() == str(doc["round"])


def test_import_of_unusable_input_exits_2_with_one_line(tmp_path):
    env = instance(tmp_path)
    run(env, "migrate", "-v", "0")
    missing = run(env, "import", str(tmp_path / "nope.txt"))
    assert missing.returncode == 2 and len(missing.stderr.strip().splitlines()) == 1
    unknown_unit = run(env, "import", str(SEED), "--unit", "不存在的单位")
    assert unknown_unit.returncode == 2
    assert "不存在的单位" in unknown_unit.stderr and "Traceback" not in unknown_unit.stderr
    garbage = tmp_path / "x.txt"
    garbage.write_text("会议通知\n明天开会。", encoding="utf-8")
    bad = run(env, "import", str(garbage), "--unit", "不存在的单位")
    assert bad.returncode == 2


def test_sqlite_runs_with_wal_full_sync_foreign_keys_and_immediate_transactions(tmp_path):
    env = instance(tmp_path)
    code = (
        "from django.db import connection\n"
        "c = connection.cursor()\n"
        "print(c.execute('PRAGMA journal_mode').fetchone()[0], c.execute('PRAGMA synchronous').fetchone()[0],"
        " c.execute('PRAGMA foreign_keys').fetchone()[0], connection.transaction_mode)\n"
    )
    out = run(env, "shell", "--no-imports", "-c", code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["wal", "2", "1", "IMMEDIATE"]
