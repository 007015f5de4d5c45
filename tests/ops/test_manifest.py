"""The pieces of backup and restore, in-process: table checksums, the checkpoint cut, the
manifest checks that refuse a damaged or crafted backup."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import sqlite3
from pathlib import Path

import pytest

from zhenggai.ops import backup as ops


def _db(rows: list[tuple]) -> sqlite3.Connection:
    conn = sqlite3.connect(":memory:")
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT, data BLOB)")
    conn.executemany("INSERT INTO t VALUES (?, ?, ?)", rows)
    return conn


def test_a_table_checksum_does_not_depend_on_row_order_but_on_every_value():
    rows = [(1, "一", b"\x00"), (2, "二", None), (3, "三", b"x")]
    a = ops.table_checksums(_db(rows), "sqlite")["t"]
    b = ops.table_checksums(_db(list(reversed(rows))), "sqlite")["t"]
    assert a == b and a["rows"] == 3
    changed = ops.table_checksums(_db([(1, "一", b"\x01"), *rows[1:]]), "sqlite")["t"]
    assert changed["rows"] == 3 and changed["sm3"] != a["sm3"]


def test_canonical_values_keep_types_apart():
    assert ops._canon(1) != ops._canon("1") != ops._canon(1.0)
    assert ops._canon(decimal.Decimal("1.10")) == {"d": "1.10"}
    assert ops._canon(dt.datetime(2026, 3, 1, tzinfo=dt.UTC)) == {"t": "2026-03-01T00:00:00+00:00"}
    assert ops._canon({"b": [1, None]}) == {"o": {"b": {"a": [1, None]}}}


def test_checkpoints_past_the_backed_up_chain_are_left_out(tmp_path: Path, settings):
    source = tmp_path / "cp.jsonl"
    lines = [json.dumps({"seq": n, "mac": f"m{n}"}) for n in (100, 200, 300)]
    source.write_text("\n".join([*lines, "not json"]) + "\n")
    settings.AUDIT_CHECKPOINT_FILE = source
    dest = tmp_path / "b"
    dest.mkdir()
    settings.AUDIT_HEAD_FILE = tmp_path / "head.jsonl"
    (tmp_path / "head.jsonl").write_text(
        "".join(json.dumps({"seq": n, "mac": f"m{n}"}) + "\n" for n in (249, 250, 251))
    )
    audit = ops._copy_checkpoints(dest, 250)
    assert audit is not None  # the audit app is installed: its checkpoints are always copied
    kept = (dest / audit["checkpoints"]).read_text().splitlines()
    assert kept == [lines[0], lines[1], "not json"]  # a damaged line is kept for the verifier to see
    assert [json.loads(x)["seq"] for x in (dest / audit["head"]).read_text().splitlines()] == [249, 250]
    assert audit == {
        "checkpoints": "audit/checkpoints.jsonl",
        "lines": 3,
        "upto_seq": 250,
        "head": "audit/head.jsonl",
        "head_lines": 2,
    }


def _write_backup(dest: Path, manifest: dict) -> None:
    dest.mkdir(exist_ok=True)
    if not (dest / "database.sqlite3").exists():
        (dest / "database.sqlite3").write_bytes(b"SQLite format 3\0")
    manifest.setdefault("files", [ops._file_entry(dest / "database.sqlite3", "database.sqlite3")])
    ops._write_manifest(dest, manifest)


def _manifest(**extra) -> dict:
    return {
        "schema": ops.SCHEMA,
        "database": {"vendor": "sqlite", "path": "database.sqlite3"},
        "tables": {},
        "evidence": {"blobs": []},
        **extra,
    }


def test_a_well_formed_backup_reads_back(tmp_path: Path):
    _write_backup(tmp_path / "b", _manifest())
    assert ops.read_verified_manifest(tmp_path / "b")["database"]["vendor"] == "sqlite"


@pytest.mark.parametrize("path", ["../outside", "/etc/passwd", "a/../../b", "./database.sqlite3"])
def test_a_manifest_naming_a_path_outside_the_backup_is_refused(tmp_path: Path, path: str):
    dest = tmp_path / "b"
    dest.mkdir()
    (dest / "database.sqlite3").write_bytes(b"x")
    entry = ops._file_entry(dest / "database.sqlite3", "database.sqlite3")
    _write_backup(dest, _manifest(files=[entry, {**entry, "path": path}]))
    with pytest.raises(ops.OpsError, match="路径无效") as err:
        ops.read_verified_manifest(dest)
    assert err.value.exit_code == 1


def test_an_evidence_blob_whose_name_is_not_its_digest_is_refused(tmp_path: Path):
    dest = tmp_path / "b"
    (dest / "evidence" / "ab").mkdir(parents=True)
    blob = dest / "evidence" / "ab" / ("ab" * 32)
    blob.write_bytes(b"not these bytes")
    db = dest / "database.sqlite3"
    db.write_bytes(b"x")
    files = [ops._file_entry(db, "database.sqlite3"), ops._file_entry(blob, f"evidence/ab/{'ab' * 32}")]
    evidence = {"blobs": [{"path": f"evidence/ab/{'ab' * 32}", "algorithm": "sm3", "digest": "ab" * 32}]}
    _write_backup(dest, _manifest(files=files, evidence=evidence))
    with pytest.raises(ops.OpsError, match="摘要与存储名不符"):
        ops.read_verified_manifest(dest)


def test_a_manifest_of_another_schema_is_not_a_backup(tmp_path: Path):
    _write_backup(tmp_path / "b", _manifest(schema="something/9"))
    with pytest.raises(ops.OpsError, match="不是本版本可读") as err:
        ops.read_verified_manifest(tmp_path / "b")
    assert err.value.exit_code == 2


def _recompute_plain_digests(dest: Path, data: bytes, keep_signature: bool) -> None:
    """What an attacker can do without the key: rewrite the manifest and its SM3/SHA-256 lines."""
    from tests.ops.instance import sha256_hex, sm3_hex

    (dest / "manifest.json").write_bytes(data)
    lines = [f"SM3 (manifest.json) = {sm3_hex(data)}", f"SHA256 (manifest.json) = {sha256_hex(data)}"]
    old = (dest / "manifest.sum").read_text().splitlines()
    lines += [x for x in old if x.startswith("HMAC-SM3")] if keep_signature else []
    (dest / "manifest.sum").write_text("".join(x + "\n" for x in lines))


def test_finding7_a_manifest_without_its_signature_is_refused(tmp_path: Path):
    dest = tmp_path / "b"
    _write_backup(dest, _manifest())
    _recompute_plain_digests(dest, (dest / "manifest.json").read_bytes(), keep_signature=False)
    with pytest.raises(ops.OpsError, match="备份清单未签名，拒绝恢复") as err:
        ops.read_verified_manifest(dest)
    assert err.value.exit_code == 1


def test_finding7_a_manifest_edited_after_signing_is_refused(tmp_path: Path):
    dest = tmp_path / "b"
    _write_backup(dest, _manifest())
    manifest = json.loads((dest / "manifest.json").read_text())
    manifest["tables"] = {"accounts_user": {"rows": 1, "sm3": "00" * 32}}
    data = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    _recompute_plain_digests(dest, data, keep_signature=True)
    with pytest.raises(ops.OpsError, match=r"签名不符.*签名之后被改动") as err:
        ops.read_verified_manifest(dest)
    assert err.value.exit_code == 1


def test_finding7_a_backup_signed_with_another_key_is_refused_and_says_so(tmp_path: Path, settings):
    dest = tmp_path / "b"
    _write_backup(dest, _manifest())
    other = tmp_path / "other.key"
    other.write_text("cd" * 32 + "\n")
    settings.AUDIT_CHECKPOINT_KEY_FILE = other
    with pytest.raises(ops.OpsError, match="另一把检查点密钥") as err:
        ops.read_verified_manifest(dest)
    assert err.value.exit_code == 1


def test_a_restore_without_the_checkpoint_key_exits_2_and_creates_none(tmp_path: Path, settings):
    dest = tmp_path / "b"
    _write_backup(dest, _manifest())
    settings.AUDIT_CHECKPOINT_KEY_FILE = tmp_path / "missing.key"
    with pytest.raises(ops.OpsError, match="AUDIT_CHECKPOINT_KEY_FILE") as err:
        ops.read_verified_manifest(dest)
    assert err.value.exit_code == 2 and not (tmp_path / "missing.key").exists()
