"""`zhenggai backup DIR` / `zhenggai restore DIR` on SQLite (REQ-4.1, REQ-4.2), as an operator runs
them: a seeded instance is backed up and restored into an empty one in another data dir; the
result has the same rows in every table, evidence that verifies and an audit chain that
verifies; a backup with one byte changed anywhere is refused and writes nothing."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.ops.instance import Instance, flip_one_byte, sha256_hex, sm3_hex, sqlite_tables

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    inst = Instance(tmp_path_factory.mktemp("source"))
    inst.seed()
    if inst.has_command("audit-checkpoint"):
        inst.ok("audit-checkpoint")  # seal the tail too, so the restored chain is checked to its end
    return inst


@pytest.fixture(scope="module")
def backup_dir(source: Instance, tmp_path_factory: pytest.TempPathFactory) -> Path:
    dest = tmp_path_factory.mktemp("backups") / "2026-03-01"
    done = source.run("backup", str(dest))
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("备份完成：")
    return dest


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
    assert (backup_dir / "manifest.sum").read_text() == (
        f"SM3 (manifest.json) = {sm3_hex(text)}\nSHA256 (manifest.json) = {sha256_hex(text)}\n"
    )
    # The evidence: three blobs for four rows, the same bytes as in the instance.
    assert len(manifest["evidence"]["blobs"]) == 3 and manifest["evidence"]["problems"] == []
    for blob in manifest["evidence"]["blobs"]:
        data = (backup_dir / blob["path"]).read_bytes()
        assert blob["algorithm"] == "sm3" and sm3_hex(data) == blob["digest"]
        assert data == (source.data / "evidence" / blob["digest"][:2] / blob["digest"]).read_bytes()
    # Row counts per table, as in the instance.
    tables = sqlite_tables(source.db)
    assert {t: v["rows"] for t, v in manifest["tables"].items()} == {
        t: len(rows) for t, rows in tables.items()
    }
    assert manifest["tables"]["ledger_evidence"]["rows"] == 4
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
    assert sqlite_tables(target.db) == sqlite_tables(source.db)  # every row of every table
    assert [p.name for p in target.evidence_files()] == [p.name for p in source.evidence_files()]
    assert target.ok("evidence-verify").strip() == "佐证材料 4 条，文件 3 个：全部一致"
    if target.has_command("audit-verify"):
        target.ok("audit-verify")
        # The signed checkpoints came along (all of them: none is past the backed-up chain).
        checkpoints = Path("checkpoints/audit-checkpoints.jsonl")
        assert (target.data / checkpoints).read_bytes() == (source.data / checkpoints).read_bytes()
        assert json.loads((backup_dir / "manifest.json").read_text())["audit"]["lines"] >= 1
    # The restored instance works: it can be backed up in turn, with the same table checksums.
    again = tmp_path / "again"
    target.ok("backup", str(again))
    first = json.loads((backup_dir / "manifest.json").read_text())["tables"]
    assert json.loads((again / "manifest.json").read_text())["tables"] == first


def test_a_restore_into_a_migrated_but_unused_instance_is_allowed(
    source: Instance, backup_dir: Path, tmp_path: Path
):
    target = _fresh(tmp_path, source)
    target.ok("migrate", "-v", "0")
    target.ok("restore", str(backup_dir))
    assert sqlite_tables(target.db) == sqlite_tables(source.db)


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
    if json.loads((backup_dir / "manifest.json").read_text()).get("audit") is None:
        pytest.skip("this installation has no audit checkpoints")
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
