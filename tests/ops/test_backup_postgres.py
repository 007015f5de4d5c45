"""`zhenggai backup` / `zhenggai restore` on PostgreSQL (REQ-4.1, REQ-4.2): pg_dump -Fc of the test
database, restored with pg_restore into a second database made for the test (brand new, and
migrated but unused), then the same rows in every table, evidence and the audit chain verify;
a backup with one byte changed is refused and the target stays without tables.

Run with ``DATABASE_URL=postgres://…`` (``make test-postgres``); it asserts the vendor."""

from __future__ import annotations

import io
import json
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from django.db import connection

from tests.ops.instance import PDF, Instance, flip_one_byte
from zhenggai.ledger import services

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


def _admin() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        user=s["USER"],
        password=s.get("PASSWORD") or None,
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        autocommit=True,
    )


@pytest.fixture
def new_database() -> Iterator[Any]:
    """Make empty databases ``zg_restore_<random>``; drop them afterwards."""
    made: list[str] = []

    def make() -> str:
        name = f"zg_restore_{uuid.uuid4().hex[:12]}"
        with _admin() as admin:
            admin.execute(f'CREATE DATABASE "{name}"')
        made.append(name)
        return name

    yield make
    with _admin() as admin:
        for name in made:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _connect(dbname: str) -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname=dbname, user=s["USER"], password=s.get("PASSWORD") or None, host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
    )  # fmt: skip


def _tables(dbname: str) -> dict[str, list[tuple]]:
    """Every table's rows, sorted, read with a plain connection (UTC)."""
    with _connect(dbname) as conn:
        conn.execute("SET TIME ZONE 'UTC'")
        names = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}


def _tables_upto(
    dbname: str, manifest: dict[str, Any], recorded_after: tuple[str, ...]
) -> dict[str, list[tuple]]:
    """The tables without the audit events written after the backup's last one: those the
    backup (in the source) or the restore (in the target) recorded about itself, checked here."""
    tables = _tables(dbname)
    with _connect(dbname) as conn:
        recorded = conn.execute(
            "SELECT id, action, outcome FROM audit_auditevent WHERE seq > %s ORDER BY seq",
            [manifest["audit"]["upto_seq"]],
        ).fetchall()
    assert tuple(r[1] for r in recorded) == recorded_after, recorded
    assert {r[2] for r in recorded} <= {"ok"}, recorded
    ids = {r[0] for r in recorded}
    tables["audit_auditevent"] = [r for r in tables["audit_auditevent"] if r[0] not in ids]  # id first
    return tables


def test_backup_and_restore_round_trip_on_postgresql(
    personas: Any, assigned_measure: Any, settings: Any, tmp_path: Path, new_database: Any
) -> None:
    assert connection.vendor == "postgresql", "this test needs PostgreSQL (DATABASE_URL)"
    for i in range(2):
        services.progress_add(
            actor=personas.person,
            measure=assigned_measure,
            text=f"第{i + 1}次进展",
            files=[(io.BytesIO(PDF), "会议记录.pdf"), (io.BytesIO(f"说明{i}".encode()), f"说明{i}.txt")],
        )
    source_db = connection.settings_dict["NAME"]
    # The test's own data dir (conftest points EVIDENCE_DIR at tmp_path/data/evidence).
    source = Instance(tmp_path / "src", _url(source_db))
    source.data = Path(settings.DATA_DIR)
    source.env["ZHENGGAI_DATA_DIR"] = str(source.data)
    backup = tmp_path / "backup"
    done = source.run("backup", str(backup))
    assert done.returncode == 0, done.stderr
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == {"vendor": "postgresql", "path": "database.pgdump"}
    assert (backup / "database.pgdump").read_bytes()[:5] == b"PGDMP"  # pg_dump's custom format
    assert manifest["tables"]["ledger_evidence"]["rows"] == 4 and len(manifest["evidence"]["blobs"]) == 3

    expected = _tables_upto(source_db, manifest, ("backup.create",))
    assert {t: len(r) for t, r in expected.items()} == {t: v["rows"] for t, v in manifest["tables"].items()}

    # Into a brand-new database, and into one that `migrate` made but nobody used.
    for migrated_first in (False, True):
        target = Instance(tmp_path / f"target-{migrated_first}", _url(new_database()))
        source.copy_keys_to(target)
        if migrated_first:
            target.ok("migrate", "-v", "0")
        restored = target.run("restore", str(backup))
        assert restored.returncode == 0, restored.stdout + restored.stderr
        restored_db = target.env["DATABASE_URL"].rsplit("/", 1)[1]
        assert _tables_upto(restored_db, manifest, ("evidence.verify", "backup.restore")) == expected
        assert target.ok("evidence-verify").strip() == "佐证材料 4 条，文件 3 个：全部一致"
        if target.has_command("audit-verify"):
            target.ok("audit-verify")
        # Restoring again into the now non-empty instance is refused.
        assert target.run("restore", str(backup)).returncode == 2

    # One byte changed in the dump: refused before anything is written.
    bad = tmp_path / "bad"
    shutil.copytree(backup, bad)
    flip_one_byte(bad / "database.pgdump")
    empty_db = new_database()
    target = Instance(tmp_path / "tampered", _url(empty_db))
    source.copy_keys_to(target)  # the manifest's signature verifies: the digest is what refuses
    refused = target.run("restore", str(bad))
    assert refused.returncode == 1
    assert "database.pgdump" in refused.stderr and "拒绝恢复" in refused.stderr
    assert _tables(empty_db) == {} and target.evidence_files() == []
