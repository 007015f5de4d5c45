"""`zhenggai backup DIR` / `zhenggai restore DIR` on SQLite (REQ-4.1, REQ-4.2), as an operator runs
them: a seeded instance is backed up and restored into an empty one in another data dir; the
result has the same rows in every table, evidence that verifies and an audit chain that
verifies; a backup with one byte changed anywhere is refused and writes nothing."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from tests.ops.instance import Instance, flip_one_byte, hmac_sm3_hex, sha256_hex, sm3_hex, sqlite_tables

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    inst = Instance(tmp_path_factory.mktemp("source"))
    inst.seed()
    inst.ok("audit-checkpoint")  # seal the tail too, so the restored chain is checked to its end
    return inst


@pytest.fixture(scope="module")
def backup_dir(source: Instance, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("backups") / "2026-03-01"
    done = source.run("backup", str(dest))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("备份完成：")
    return dest


def restored_tables(target: Instance, backup: Path) -> dict[str, list[tuple]]:
    """The target's tables without the audit events the restore recorded (checked here)."""
    tables = sqlite_tables(target.db)
    upto = json.loads((backup / "manifest.json").read_text())["audit"]["upto_seq"]
    events = target.sqlite_rows(
        f"SELECT action, outcome, id FROM audit_auditevent WHERE seq > {upto} ORDER BY seq"
    )
    assert [e[:2] for e in events] == [("evidence.verify", "ok"), ("backup.restore", "ok")]
    ids = {e[2] for e in events}
    tables["audit_auditevent"] = [r for r in tables["audit_auditevent"] if r[0] not in ids]  # id first
    return tables


def _fresh(tmp_path: Path, source: Instance, name: str = "target") -> Instance:
    target = Instance(tmp_path / name)
    source.copy_keys_to(target)
    return target


def test_the_backup_holds_the_database_the_evidence_and_a_manifest_of_digests(
    source: Instance, backup_dir: Path
):
    manifest = json.loads((backup_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema"] == "zhenggai.backup/1"
    assert manifest["database"] == {"vendor": "sqlite", "path": "database.sqlite3"}
    assert manifest["app_version"] and manifest["django_version"] and manifest["created_at"]
    # Every file, with its size, SM3 and SHA-256, checked here independently.
    on_disk = sorted(p.relative_to(backup_dir).as_posix() for p in backup_dir.rglob("*") if p.is_file())
    listed = sorted(f["path"] for f in manifest["files"])
    assert on_disk == sorted([*listed, "manifest.json", "manifest.sum"])
    for f in manifest["files"]:
        data = (backup_dir / f["path"]).read_bytes()
        assert (f["size"], f["sm3"], f["sha256"]) == (len(data), sm3_hex(data), sha256_hex(data))
    text = (backup_dir / "manifest.json").read_bytes()
    key = bytes.fromhex((source.data / "keys" / "audit-checkpoint.key").read_text().strip())
    assert (backup_dir / "manifest.sum").read_text() == (
        f"SM3 (manifest.json) = {sm3_hex(text)}\nSHA256 (manifest.json) = {sha256_hex(text)}\n"
        f"HMAC-SM3 (manifest.json) = {hmac_sm3_hex(key, text)}\n"
    )
    assert manifest["signed_with"]["key"] == "audit-checkpoint"
    # The evidence: three blobs for four rows, and the citizen's photo (its PDF is one of them).
    assert len(manifest["evidence"]["blobs"]) == 4 and manifest["evidence"]["problems"] == []
    for blob in manifest["evidence"]["blobs"]:
        data = (backup_dir / blob["path"]).read_bytes()
        assert blob["algorithm"] == "sm3" and sm3_hex(data) == blob["digest"]
        assert data == (source.data / "evidence" / blob["digest"][:2] / blob["digest"]).read_bytes()
    # Row counts per table, as in the instance, which then recorded the backup (finding 8).
    tables = sqlite_tables(source.db)
    (event,) = source.sqlite_rows(
        "SELECT action, outcome, after FROM audit_auditevent ORDER BY seq DESC LIMIT 1"
    )
    assert event[:2] == ("backup.create", "ok") and json.loads(event[2])["manifest_sm3"] == sm3_hex(text)
    assert {t: v["rows"] for t, v in manifest["tables"].items()} == {
        t: len(rows) - (t == "audit_auditevent") for t, rows in tables.items()
    }
    assert manifest["tables"]["ledger_evidence"]["rows"] == 4
    assert manifest["tables"]["feedback_feedbackattachment"]["rows"] == 2
    assert manifest["tables"]["audit_auditevent"]["rows"] > 0
    # The database file was written by the backup API, self-contained (no -wal beside it).
    assert (backup_dir / "database.sqlite3").read_bytes()[:16] == b"SQLite format 3\0"


def test_a_restore_into_an_empty_instance_gives_identical_tables_evidence_and_audit_chain(
    source: Instance, backup_dir: Path, tmp_path: Path
):
    target = _fresh(tmp_path, source)
    done = target.run("restore", str(backup_dir))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.startswith("恢复完成：") and "行数与校验和与清单一致" in done.stdout
    # Every row of every table, and one audit event more: the restore's own.
    assert restored_tables(target, backup_dir) == sqlite_tables(backup_dir / "database.sqlite3")
    assert [p.name for p in target.evidence_files()] == [p.name for p in source.evidence_files()]
    assert target.ok("evidence-verify").strip() == "佐证材料 4 条，文件 3 个：全部一致"
    target.ok("audit-verify")
    # The signed checkpoints came along (all of them: none is past the backed-up chain), and the
    # head log up to the backed-up chain.
    checkpoints = Path("checkpoints/audit-checkpoints.jsonl")
    copied = (backup_dir / "audit" / "checkpoints.jsonl").read_bytes()
    assert copied.count(b"\n") >= 1 and (source.data / checkpoints).read_bytes().startswith(copied)
    # After them, the restored instance's own: the restore is a security event, checkpointed.
    assert (target.data / checkpoints).read_bytes().startswith(copied)
    audit = json.loads((backup_dir / "manifest.json").read_text())["audit"]
    assert audit["lines"] >= 1 and audit["head_lines"] >= 1
    # The restored instance works: it can be backed up in turn, with the same table checksums
    # but the audit table's: the restore and two evidence checks recorded themselves.
    again = tmp_path / "again"
    target.ok("backup", str(again))
    first = json.loads((backup_dir / "manifest.json").read_text())["tables"]
    second = json.loads((again / "manifest.json").read_text())["tables"]
    assert second["audit_auditevent"]["rows"] == first["audit_auditevent"]["rows"] + 3
    assert {t: v for t, v in second.items() if t != "audit_auditevent"} == {
        t: v for t, v in first.items() if t != "audit_auditevent"
    }


def test_a_restore_into_a_migrated_but_unused_instance_is_allowed(
    source: Instance, backup_dir: Path, tmp_path: Path
):
    target = _fresh(tmp_path, source)
    target.ok("migrate", "-v", "0")
    target.ok("restore", str(backup_dir))
    assert restored_tables(target, backup_dir) == sqlite_tables(backup_dir / "database.sqlite3")


def test_a_restore_into_an_instance_with_data_is_refused(source: Instance, backup_dir: Path):
    before = sqlite_tables(source.db)
    done = source.run("restore", str(backup_dir))
    assert done.returncode == 2
    assert done.stderr.strip().count("\n") == 0
    assert "目标实例已有数据" in done.stderr and "只能恢复到空实例" in done.stderr
    assert sqlite_tables(source.db) == before


def test_a_restore_over_another_instance_s_audit_checkpoints_is_refused(
    source: Instance, backup_dir: Path, tmp_path: Path
):
    assert json.loads((backup_dir / "manifest.json").read_text())["audit"]["lines"] >= 1
    target = _fresh(tmp_path, source)
    other = target.data / "checkpoints" / "audit-checkpoints.jsonl"
    other.parent.mkdir(parents=True)
    other.write_text('{"seq": 1, "mac": "another chain"}\n')
    done = target.run("restore", str(backup_dir))
    assert done.returncode == 2 and "审计检查点文件" in done.stderr
    assert target.evidence_files() == []


def test_a_backup_into_a_directory_that_is_not_empty_is_refused(source: Instance, tmp_path: Path):
    (tmp_path / "old.txt").write_text("keep me")
    done = source.run("backup", str(tmp_path))
    assert done.returncode == 2
    assert "不是空的" in done.stderr and done.stderr.strip().count("\n") == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["old.txt"]


def _evidence_file(backup: Path) -> str:
    blobs = json.loads((backup / "manifest.json").read_text())["evidence"]["blobs"]
    return blobs[0]["path"]


TAMPER = ["database.sqlite3", "evidence", "manifest.json", "manifest.sum", "added", "removed"]


@pytest.mark.parametrize("where", TAMPER)
def test_a_backup_with_one_byte_changed_anywhere_is_refused_naming_the_file_and_writes_nothing(
    source: Instance, backup_dir: Path, tmp_path: Path, where: str
):
    bad = tmp_path / "bad"
    shutil.copytree(backup_dir, bad)
    if where == "evidence":
        named = _evidence_file(bad)
        flip_one_byte(bad / named)
    elif where == "added":
        named = "evidence/00/extra"
        (bad / "evidence" / "00").mkdir()
        (bad / named).write_bytes(b"x")
    elif where == "removed":
        named = _evidence_file(bad)
        (bad / named).unlink()
    else:
        named = "manifest.json" if where == "manifest.sum" else where
        flip_one_byte(bad / where)
    target = _fresh(tmp_path, source)
    done = target.run("restore", str(bad))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.strip().count("\n") == 0  # one clear line
    assert "备份已损坏，拒绝恢复" in done.stderr and named in done.stderr and "未写入任何数据" in done.stderr
    assert target.evidence_files() == []
    assert not target.db.exists() or sqlite_tables(target.db) == {}


def test_restore_of_something_that_is_not_a_backup_exits_2(tmp_path: Path, source: Instance):
    target = _fresh(tmp_path, source)
    missing = target.run("restore", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "不存在" in missing.stderr
    (tmp_path / "empty").mkdir()
    not_backup = target.run("restore", str(tmp_path / "empty"))
    assert not_backup.returncode == 2 and "不是 zhenggai 备份" in not_backup.stderr


def _forge(backup: Path, dest: Path) -> None:
    """The attack of finding 7: edit the backed-up rows, then recompute every plain digest.

    The outsider becomes county supervisor, the county supervisor's password hash is replaced
    by one the attacker knows, and a measure is marked done; the table checksums, the file
    entry and manifest.sum's SM3 and SHA-256 are recomputed as the restore checks them.
    """
    from zhenggai.ops import backup as ops

    shutil.copytree(backup, dest)
    db = sqlite3.connect(dest / "database.sqlite3")
    with db:
        outsider = db.execute("SELECT id FROM accounts_user WHERE username = 'caizheng_clerk'").fetchone()[0]
        supervisor = db.execute("SELECT id FROM accounts_user WHERE username = 'xunchaban'").fetchone()[0]
        county = db.execute(
            "SELECT unit_id FROM units_membership WHERE user_id = ? AND role = 'supervisor'", [supervisor]
        ).fetchone()[0]
        db.execute(
            "UPDATE units_membership SET unit_id = ?, role = 'supervisor' WHERE user_id = ?",
            [county, outsider],
        )
        password = db.execute("SELECT password FROM accounts_user WHERE id = ?", [outsider]).fetchone()[0]
        db.execute("UPDATE accounts_user SET password = ? WHERE id = ?", [password, supervisor])
        assert (
            db.execute(
                "UPDATE ledger_measure SET status = 'done' WHERE id = (SELECT min(id) FROM ledger_measure)"
            ).rowcount
            == 1
        )
    db.close()
    manifest = json.loads((dest / "manifest.json").read_text(encoding="utf-8"))
    conn = sqlite3.connect(dest / "database.sqlite3")
    manifest["tables"] = ops.table_checksums(conn, "sqlite")
    conn.close()
    manifest["files"] = [
        ops._file_entry(dest / f["path"], f["path"]) if f["path"] == "database.sqlite3" else f
        for f in manifest["files"]
    ]
    data = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    (dest / "manifest.json").write_bytes(data)
    sums = (dest / "manifest.sum").read_text(encoding="ascii").splitlines()
    plain = {"SM3": sm3_hex(data), "SHA256": sha256_hex(data)}
    (dest / "manifest.sum").write_text(
        "".join(
            f"{line.split(' (')[0]} (manifest.json) = {plain[line.split(' (')[0]]}\n"
            if line.split(" (")[0] in plain
            else line + "\n"
            for line in sums
        ),
        encoding="ascii",
    )


@pytest.mark.parametrize("signature", ["kept", "removed"])
def test_finding7_a_backup_edited_with_its_plain_digests_recomputed_is_refused(
    source: Instance, backup_dir: Path, tmp_path: Path, signature: str
):
    forged = tmp_path / "forged"
    _forge(backup_dir, forged)
    if signature == "removed":
        text = (forged / "manifest.sum").read_text()
        (forged / "manifest.sum").write_text(
            "".join(x + "\n" for x in text.splitlines() if x.startswith(("SM3", "SHA256")))
        )
    target = _fresh(tmp_path, source)
    done = target.run("restore", str(forged))
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.strip().count("\n") == 0
    expected = "签名不符" if signature == "kept" else "未签名"
    assert expected in done.stderr and "拒绝恢复" in done.stderr and "未写入任何数据" in done.stderr
    assert target.evidence_files() == []
    assert not target.db.exists() or sqlite_tables(target.db) == {}
