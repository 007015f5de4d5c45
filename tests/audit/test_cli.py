"""`zhenggai audit-verify` as an operator runs it (the real console script, a throw-away SQLite
file): exit 0 after real service calls, 1 naming the row after tampering, 2 without the key."""

from __future__ import annotations

import json
import sqlite3

from tests.conftest import SEED
from tests.instance import instance_env as instance
from tests.instance import run


def test_audit_verify_passes_after_real_work_then_names_the_tampered_row(tmp_path):
    env = instance(tmp_path)
    assert run(env, "migrate", "-v", "0").returncode == 0
    make_unit = (
        "from zhenggai.units.services import unit_create; "
        "unit_create(actor=None, name='望江县公安局交通管理大队', parent=None)"
    )
    assert run(env, "shell", "-c", make_unit).returncode == 0
    imported = run(env, "import", str(SEED), "--json")
    assert imported.returncode == 0, imported.stderr
    checkpoint = run(env, "audit-checkpoint")
    assert checkpoint.returncode == 0, checkpoint.stderr

    ok = run(env, "audit-verify")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "审计记录链完整" in ok.stdout
    doc = json.loads(run(env, "audit-verify", "--json").stdout)
    assert doc["ok"] is True and doc["rows"] >= 3 and doc["checkpoints_checked"] >= 1
    # The head after the last commit is recorded outside the database, so nothing is unanchored.
    assert doc["head_seq"] == doc["last_seq"] and doc["warnings"] == []

    # An attacker with the database file: the maintenance flag opens the triggers for one transaction.
    db = sqlite3.connect(tmp_path / "db.sqlite3", isolation_level=None)
    db.execute("BEGIN IMMEDIATE")
    db.execute("INSERT INTO audit_maintenance (mode) VALUES ('tamper')")
    row_id = db.execute("SELECT id FROM audit_auditevent WHERE seq = 2").fetchone()[0]
    db.execute("UPDATE audit_auditevent SET actor_name = 'mallory' WHERE seq = 2")
    db.execute("DELETE FROM audit_maintenance")
    db.execute("COMMIT")
    db.close()

    bad = run(env, "audit-verify")
    assert bad.returncode == 1
    assert f"序号 2（id {row_id}）" in bad.stdout and "MAC 不符" in bad.stdout
    doc = json.loads(run(env, "audit-verify", "--json").stdout)
    assert doc["ok"] is False
    assert (doc["problem"]["seq"], doc["problem"]["row_id"], doc["problem"]["code"]) == (2, row_id, "mac")


def test_audit_verify_without_the_key_file_exits_2_with_one_line(tmp_path):
    env = instance(tmp_path)
    assert run(env, "migrate", "-v", "0").returncode == 0
    make_unit = (
        "from zhenggai.units.services import unit_create; unit_create(actor=None, name='县委', parent=None)"
    )
    assert run(env, "shell", "-c", make_unit).returncode == 0
    (tmp_path / "data" / "keys" / "audit.key").unlink()
    missing = run(env, "audit-verify")
    assert missing.returncode == 2
    assert "审计密钥文件不存在" in missing.stderr and "Traceback" not in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_the_raw_database_refuses_an_update_without_the_flag(tmp_path):
    env = instance(tmp_path)
    assert run(env, "migrate", "-v", "0").returncode == 0
    make_unit = (
        "from zhenggai.units.services import unit_create; unit_create(actor=None, name='县委', parent=None)"
    )
    assert run(env, "shell", "-c", make_unit).returncode == 0
    db = sqlite3.connect(tmp_path / "db.sqlite3")
    try:
        db.execute("UPDATE audit_auditevent SET actor_name = 'mallory'")
        raise AssertionError("the update went through")
    except sqlite3.IntegrityError as exc:
        assert "append-only" in str(exc)
    finally:
        db.close()
