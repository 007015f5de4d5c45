"""Backup and restore of a whole instance: the database, the evidence and a manifest of digests.

A backup directory holds:

- ``database.pgdump`` (PostgreSQL, ``pg_dump -Fc``) or ``database.sqlite3`` (SQLite, made
  with SQLite's online backup API, never a file copy);
- ``evidence/<d[:2]>/<d>``: every blob an Evidence row or a citizen's feedback attachment of
  that database names, read through the evidence storage (the folder ``EVIDENCE_DIR`` or the
  object store of ``STORAGES["evidence"]``; a restore writes them back through it);
- ``audit/checkpoints.jsonl``: the signed audit checkpoints (``AUDIT_CHECKPOINT_FILE``) up to
  the last audit event in the backed-up database (later lines belong to events it does not
  hold). The audit *keys* are never in a backup: they stay with the operator, who puts the
  same key files in place on the restored instance, or its chain cannot verify (so does the
  key of citizens' personal data, ``PII_KEY_FILE``, without which it cannot be decrypted);
- ``manifest.json``: each file with its size, SM3 and SHA-256; the row count and an SM3
  checksum of every table; the Evidence blobs; the applied migrations; the app and Django
  versions; the time; the database vendor;
- ``manifest.sum``: the SM3 and SHA-256 of ``manifest.json`` itself, so that one byte
  changed anywhere (a file, the manifest, this sum) or a file added is found, and its
  HMAC-SM3 with the audit checkpoint key (``AUDIT_CHECKPOINT_KEY_FILE``). The plain digests
  find damage; only the HMAC finds a *forgery*: whoever edits the rows of a backup can
  recompute every digest, but not the HMAC without the key, which never leaves the operator
  and is not in the backup. A restore refuses a manifest that is unsigned or whose HMAC does
  not verify with this instance's checkpoint key (the same key files must be in place, as for
  the audit chain).

The database is read first, evidence after (REQ §4.1): every blob the dump names then
exists. On PostgreSQL the row counts, checksums and the list of blobs are read in the
very snapshot ``pg_dump`` dumps (``pg_export_snapshot``); on SQLite they are read from
the backup file. A table's checksum is SM3 over the sorted SM3s of its rows (each row as
canonical JSON), so it does not depend on the order rows come back in.

A restore checks everything before writing anything: the manifest's signature and every digest,
no file added, the same database vendor, no migration this code does not know, and an
empty target. *Empty* means: no table of a zhenggai app (accounts, units, ledger,
audit, reports, web…) holds a row; Django's own tables (migrations, content types,
permissions, sessions) may hold what ``migrate`` put there, or the database may have no
tables at all; and there is no audit checkpoint file with other content. Then it writes
the evidence (each blob verified again as it is written, atomically), loads the database
(``pg_restore --single-transaction``, replacing the empty schema if one is there; or the
SQLite backup API into the target file), puts the checkpoint file in place, and checks
the result: row counts and checksums of every table equal the manifest, every Evidence
file verifies, and the audit chain verifies (``audit-verify``, when this installation
has that command).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import decimal
import io
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from zhenggai.evidence.store import fsync_dir, is_digest, new_hash, open_blob, put_blob

from . import signing

SCHEMA = "zhenggai.backup/1"
MANIFEST = "manifest.json"
MANIFEST_SUM = "manifest.sum"
SIGNATURE = signing.ALGORITHM
DB_FILE = {"postgresql": "database.pgdump", "sqlite": "database.sqlite3"}
EVIDENCE = "evidence"
AUDIT = "audit"
CHECKPOINTS = f"{AUDIT}/checkpoints.jsonl"
HEADS = f"{AUDIT}/head.jsonl"
_CHUNK = 1024 * 1024


class OpsError(Exception):
    """A backup or restore that cannot go on; ``exit_code`` 2 for unusable input, 1 for a bad backup."""

    def __init__(self, message: str, exit_code: int = 2) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass
class Outcome:
    """What a backup or restore did, and the problems it found (exit 1 when there are any)."""

    summary: str = ""
    problems: list[str] = field(default_factory=list)
    manifest: dict[str, Any] = field(default_factory=dict)


# --- digests and canonical rows ---------------------------------------------------------------


def _file_entry(path: Path, rel: str) -> dict[str, Any]:
    sm3, sha = new_hash("sm3"), new_hash("sha256")
    size = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            sm3.update(chunk)
            sha.update(chunk)
            size += len(chunk)
    return {"path": rel, "size": size, "sm3": sm3.hexdigest(), "sha256": sha.hexdigest()}


def _canon(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return {"f": repr(value)}
    if isinstance(value, bytes | bytearray | memoryview):
        return {"b": bytes(value).hex()}
    if isinstance(value, decimal.Decimal):
        return {"d": str(value)}
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return {"t": value.isoformat()}
    if isinstance(value, dt.timedelta):
        return {"td": value.total_seconds()}
    if isinstance(value, dict):
        return {"o": {str(k): _canon(v) for k, v in value.items()}}
    if isinstance(value, list | tuple):
        return {"a": [_canon(v) for v in value]}
    return {"s": str(value)}


def _row_digest(row: Iterable[Any]) -> bytes:
    text = json.dumps([_canon(v) for v in row], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    h = new_hash("sm3")
    h.update(text.encode())
    return bytes.fromhex(h.hexdigest())


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def table_checksums(conn: Any, vendor: str) -> dict[str, dict[str, Any]]:
    """Row count and SM3 checksum of every table (a DB-API connection, inside its transaction)."""
    cur = conn.cursor()
    if vendor == "sqlite":
        cur.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name"
        )
    else:
        cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    tables = [r[0] for r in cur.fetchall()]
    cur.close()
    out: dict[str, dict[str, Any]] = {}
    for i, table in enumerate(tables):
        # A server-side cursor on PostgreSQL, so a big table streams instead of filling memory.
        c = conn.cursor() if vendor == "sqlite" else conn.cursor(name=f"zg_checksum_{i}")
        try:
            c.execute(f"SELECT * FROM {_quote(table)}")  # noqa: S608  a name from the catalogue, quoted
            digests: list[bytes] = []
            while rows := c.fetchmany(2000):
                digests.extend(_row_digest(r) for r in rows)
            columns = [d[0] for d in c.description or ()]
        finally:
            c.close()
        digests.sort()
        h = new_hash("sm3")
        h.update(json.dumps(columns).encode())
        for d in digests:
            h.update(d)
        out[table] = {"rows": len(digests), "sm3": h.hexdigest()}
    return out


def _evidence_blobs(conn: Any) -> list[tuple[str, str]]:
    """Every blob of the store a row names: evidence, and citizens' feedback attachments."""
    from zhenggai.feedback.models import FeedbackAttachment
    from zhenggai.ledger.models import Evidence

    cur = conn.cursor()
    try:
        a, b = _quote(Evidence._meta.db_table), _quote(FeedbackAttachment._meta.db_table)
        sql = (
            f"SELECT storage_name, algorithm FROM {a} UNION SELECT storage_name, algorithm FROM {b} "  # noqa: S608  our models' tables, quoted
            "ORDER BY 1, 2"
        )
        cur.execute(sql)
        return [(r[0], r[1]) for r in cur.fetchall()]
    finally:
        cur.close()


def _migrations(conn: Any) -> list[list[str]]:
    cur = conn.cursor()
    try:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        return [[r[0], r[1]] for r in cur.fetchall()]
    finally:
        cur.close()


def _audit_last_seq(conn: Any) -> int | None:
    """The last audit ``seq`` in the snapshot (None when this audit table has no chain)."""
    try:
        from zhenggai.audit.models import AuditEvent

        AuditEvent._meta.get_field("seq")
    except Exception:
        return None
    cur = conn.cursor()
    try:
        cur.execute(f"SELECT MAX(seq) FROM {_quote(AuditEvent._meta.db_table)}")  # noqa: S608  our model's table
        value = cur.fetchone()[0]
    finally:
        cur.close()
    return int(value or 0)


def checkpoint_file() -> Path | None:
    """Where this instance keeps its signed audit checkpoints (None without the audit chain)."""
    try:
        from zhenggai.audit.checkpoints import checkpoint_path
    except ImportError:
        return None
    return Path(checkpoint_path())


def head_file() -> Path | None:
    """Where this instance records the head of its audit chain after each commit (None without it)."""
    try:
        from zhenggai.audit.headlog import head_path
    except ImportError:
        return None
    return Path(head_path())


def _lines_upto(source: Path, upto: int) -> list[bytes]:
    kept = []
    for line in source.read_bytes().splitlines(keepends=True):
        try:
            seq = json.loads(line).get("seq")
        except (ValueError, AttributeError):
            seq = None
        if not line.strip() or (isinstance(seq, int) and seq > upto):
            continue
        kept.append(line if line.endswith(b"\n") else line + b"\n")
    return kept


def _copy_lines(source: Path, target: Path, upto: int) -> int:
    kept = _lines_upto(source, upto)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(b"".join(kept))
    _fsync_file(target)
    return len(kept)


def _copy_checkpoints(dest: Path, upto: int | None) -> dict[str, Any] | None:
    """The checkpoint and head lines up to the snapshot's last event (later ones: rows not backed up)."""
    source = checkpoint_file()
    if source is None or upto is None or not source.is_file():
        return None
    audit: dict[str, Any] = {
        "checkpoints": CHECKPOINTS,
        "lines": _copy_lines(source, dest / CHECKPOINTS, upto),
        "upto_seq": upto,
    }
    heads = head_file()
    if heads is not None and heads.is_file():
        audit["head"] = HEADS
        audit["head_lines"] = _copy_lines(heads, dest / HEADS, upto)
    return audit


# --- the database, per vendor --------------------------------------------------------------------


def _vendor() -> str:
    if connection.vendor not in DB_FILE:
        raise OpsError(f"不支持的数据库：{connection.vendor}（只支持 PostgreSQL 和 SQLite）")
    return connection.vendor


def _sqlite_path() -> Path:
    name = str(connection.settings_dict["NAME"])
    if name in ("", ":memory:") or name.startswith("file::memory:") or "mode=memory" in name:
        raise OpsError("SQLite 内存数据库不能备份或恢复：请用 DATABASE_URL 指定数据库文件")
    return Path(name)


def _sqlite_readonly(path: Path) -> sqlite3.Connection:
    """A backup file, opened so that nothing (no journal, no -wal/-shm) is written next to it."""
    return sqlite3.connect(f"file:{quote(str(path))}?mode=ro&immutable=1", uri=True)


def _pg_env() -> dict[str, str]:
    """libpq's environment for pg_dump/pg_restore, from Django's connection settings (no password on argv)."""
    s = connection.settings_dict
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if s.get(key):
            env[var] = str(s[key])
    env["PGDATABASE"] = str(s["NAME"])
    options = s.get("OPTIONS") or {}
    for opt, var in (
        ("sslmode", "PGSSLMODE"),
        ("sslrootcert", "PGSSLROOTCERT"),
        ("sslcert", "PGSSLCERT"),
        ("sslkey", "PGSSLKEY"),
        ("passfile", "PGPASSFILE"),
        ("service", "PGSERVICE"),
    ):
        if options.get(opt):
            env[var] = str(options[opt])
    return env


@contextlib.contextmanager
def _pg_snapshot() -> Iterator[tuple[Any, str]]:
    """A read-only REPEATABLE READ transaction on a fresh connection, and its exported snapshot."""
    import psycopg

    conn = connection.get_new_connection(connection.get_connection_params())
    try:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        with conn.cursor() as cur:
            cur.execute("SET TIME ZONE 'UTC'")
            cur.execute("SELECT pg_export_snapshot()")
            snapshot = cur.fetchone()[0]
        yield conn, snapshot
    finally:
        with contextlib.suppress(Exception):
            conn.rollback()
        conn.close()


def _run(argv: list[str], env: dict[str, str], what: str) -> None:
    try:
        # pg_dump / pg_restore (a path from the settings) with arguments we build; no shell.
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    except FileNotFoundError as exc:
        raise OpsError(f"找不到 {argv[0]}：请安装 PostgreSQL 客户端（与服务器同一主版本）", 2) from exc
    if done.returncode != 0:
        first = next((ln for ln in done.stderr.splitlines() if ln.strip()), f"退出码 {done.returncode}")
        raise OpsError(f"{what}失败：{first.strip()}", 1)


def _fsync_file(path: Path) -> None:
    with open(path, "rb+") as f:
        os.fsync(f.fileno())


# --- backup --------------------------------------------------------------------------------------


def _database_errors() -> tuple[type[BaseException], ...]:
    import psycopg
    from django.db import DatabaseError

    return (DatabaseError, sqlite3.Error, psycopg.Error)


def _unusable_database(exc: BaseException) -> OpsError:
    first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return OpsError(f"数据库不可用或尚未迁移（请先运行 zhenggai migrate）：{first}", 2)


def backup(dest: Path) -> Outcome:
    """Write a backup of this instance into ``dest`` (which must be missing or empty)."""
    try:
        return _backup(dest)
    except _database_errors() as exc:
        raise _unusable_database(exc) from exc


def restore(src: Path) -> Outcome:
    """Restore a backup into this (empty) instance, then check the result against the manifest."""
    try:
        return _restore(src)
    except _database_errors() as exc:
        raise _unusable_database(exc) from exc


def _backup(dest: Path) -> Outcome:
    vendor = _vendor()
    dest = Path(dest)
    if dest.exists() and not dest.is_dir():
        raise OpsError(f"{dest} 不是目录")
    if dest.is_dir() and any(dest.iterdir()):
        raise OpsError(f"备份目录 {dest} 不是空的：请指定一个新的或空的目录")
    if vendor == "sqlite" and not _sqlite_path().is_file():
        raise OpsError(f"数据库文件 {_sqlite_path()} 不存在")
    key = _manifest_key()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OpsError(f"无法创建备份目录 {dest}：{exc.strerror or exc}") from exc
    db_file = dest / DB_FILE[vendor]
    try:
        if vendor == "postgresql":
            with _pg_snapshot() as (conn, snapshot):
                pg_dump = getattr(settings, "BACKUP_PG_DUMP", "pg_dump")
                argv = [pg_dump, "-Fc", "-w", f"--snapshot={snapshot}", "-f", str(db_file)]
                _run(argv, _pg_env(), "pg_dump ")
                tables = table_checksums(conn, vendor)
                blobs = _evidence_blobs(conn)
                migrations = _migrations(conn)
                audit_upto = _audit_last_seq(conn)
        else:
            source = _sqlite_path()
            src = sqlite3.connect(str(source), timeout=20)
            dst = sqlite3.connect(str(db_file))
            try:
                src.backup(dst)  # SQLite's online backup API: a consistent copy of a live database
                dst.execute("PRAGMA journal_mode=DELETE")  # self-contained: no -wal file beside it
                dst.commit()
            finally:
                dst.close()
                src.close()
            conn = _sqlite_readonly(db_file)
            try:
                tables = table_checksums(conn, vendor)
                blobs = _evidence_blobs(conn)
                migrations = _migrations(conn)
                audit_upto = _audit_last_seq(conn)
            finally:
                conn.close()
        _fsync_file(db_file)
        files = [_file_entry(db_file, db_file.name)]
        problems: list[str] = []
        copied = []
        for name, algorithm in blobs:
            entry = _copy_blob(dest, name, algorithm, problems)
            if entry is not None:
                files.append(entry)
                copied.append({"path": entry["path"], "algorithm": algorithm, "digest": name})
        audit = _copy_checkpoints(dest, audit_upto)
        if audit is not None:
            files.append(_file_entry(dest / audit["checkpoints"], audit["checkpoints"]))
            if "head" in audit:
                files.append(_file_entry(dest / audit["head"], audit["head"]))
        manifest = {
            "schema": SCHEMA,
            "app_version": _app_version(),
            "django_version": _django_version(),
            "created_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "database": {"vendor": vendor, "path": db_file.name},
            "migrations": migrations,
            "tables": tables,
            "evidence": {"blobs": copied, "problems": problems},
            "audit": audit,
            "files": files,
        }
        _write_manifest(dest, manifest, key)
    except BaseException:
        _remove_partial(dest)
        raise
    _record(
        "backup.create",
        outcome="failed" if problems else "ok",
        after={
            "to": str(dest),
            "tables": len(tables),
            "rows": sum(t["rows"] for t in tables.values()),
            "evidence": len(copied),
            "problems": len(problems),
            "manifest_sm3": _file_entry(dest / MANIFEST, MANIFEST)["sm3"],
        },
    )
    rows = sum(t["rows"] for t in tables.values())
    summary = (
        f"备份完成：{dest}（{vendor}，{len(tables)} 个表 {rows} 行，{len(copied)} 个佐证文件，"
        f"数据库文件 {files[0]['size']} 字节）"
    )
    return Outcome(summary, problems, manifest)


def _copy_blob(dest: Path, name: str, algorithm: str, problems: list[str]) -> dict[str, Any] | None:
    """Copy one evidence blob into the backup, checking its digest on the way; None if it is bad."""
    if not is_digest(name) or algorithm not in ("sm3", "sha256"):
        problems.append(f"佐证文件 {algorithm}:{name}：存储名无效，未备份")
        return None
    rel = f"{EVIDENCE}/{name[:2]}/{name}"
    target = dest / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    h = new_hash(algorithm)
    try:
        with open_blob(name) as src, open(target, "wb") as out:  # from a folder or an object store
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
    except FileNotFoundError:
        target.unlink(missing_ok=True)
        problems.append(f"佐证文件 {algorithm}:{name}：文件缺失，未备份")
        return None
    if h.hexdigest() != name:
        target.unlink()
        problems.append(f"佐证文件 {algorithm}:{name}：内容与摘要不符，未备份")
        return None
    return _file_entry(target, rel)


def _manifest_key() -> bytes:
    """The key the manifest is signed with, read before anything is dumped or copied."""
    try:
        return signing.signing_key()
    except signing.SigningKeyError as exc:
        raise OpsError(str(exc), 2) from exc


def _write_manifest(dest: Path, manifest: dict[str, Any], key: bytes | None = None) -> None:
    key = key if key is not None else _manifest_key()
    manifest = {**manifest, "signed_with": signing.signed_with(key)}
    data = (json.dumps(manifest, ensure_ascii=False, indent=1, sort_keys=True) + "\n").encode()
    sm3, sha = new_hash("sm3"), new_hash("sha256")
    sm3.update(data)
    sha.update(data)
    (dest / MANIFEST).write_bytes(data)
    (dest / MANIFEST_SUM).write_text(
        f"SM3 ({MANIFEST}) = {sm3.hexdigest()}\nSHA256 ({MANIFEST}) = {sha.hexdigest()}\n"
        f"{SIGNATURE} ({MANIFEST}) = {signing.signature(data, key)}\n",
        encoding="ascii",
    )
    for name in (MANIFEST, MANIFEST_SUM):
        _fsync_file(dest / name)
    # A backup holds everything (password hashes, PII): readable by its owner only.
    for p in dest.rglob("*"):
        with contextlib.suppress(OSError):
            p.chmod(0o700 if p.is_dir() else 0o600)
    for d in sorted({p.parent for p in dest.rglob("*") if p.is_file()}, key=lambda p: -len(p.parts)):
        fsync_dir(d)
    fsync_dir(dest)


def _remove_partial(dest: Path) -> None:
    """A failed backup leaves its (formerly empty) directory empty again."""
    for name in (*DB_FILE.values(), MANIFEST, MANIFEST_SUM):
        with contextlib.suppress(OSError):
            (dest / name).unlink(missing_ok=True)
    shutil.rmtree(dest / EVIDENCE, ignore_errors=True)
    shutil.rmtree(dest / AUDIT, ignore_errors=True)


def _app_version() -> str:
    from zhenggai import __version__

    return __version__


def _django_version() -> str:
    import django

    return django.get_version()


# --- restore -------------------------------------------------------------------------------------


def read_verified_manifest(src: Path) -> dict[str, Any]:
    """The manifest of a backup directory, after checking every byte the backup holds.

    OpsError(exit 2) when ``src`` is not a backup; OpsError(exit 1) naming the first file
    that does not match (or is not listed) when it is a damaged one.
    """
    src = Path(src)
    if not src.is_dir():
        raise OpsError(f"备份目录 {src} 不存在")
    if not (src / MANIFEST).is_file() or not (src / MANIFEST_SUM).is_file():
        raise OpsError(f"{src} 不是 zhenggai 备份：缺少 {MANIFEST} 或 {MANIFEST_SUM}")
    data = (src / MANIFEST).read_bytes()
    sums: dict[str, str] = {}
    for line in (src / MANIFEST_SUM).read_text(encoding="ascii", errors="replace").splitlines():
        algo, _, rest = line.partition(" (")
        fname, _, value = rest.partition(") = ")
        if fname == MANIFEST:
            sums[algo.strip().lower()] = value.strip()
    sm3, sha = new_hash("sm3"), new_hash("sha256")
    sm3.update(data)
    sha.update(data)
    if sums.get("sm3") != sm3.hexdigest() or sums.get("sha256") != sha.hexdigest():
        raise _damaged(MANIFEST, "摘要与 manifest.sum 不符")
    try:
        manifest = json.loads(data)
    except ValueError as exc:
        raise OpsError(f"{MANIFEST} 不是有效的 JSON：{exc}") from exc
    _check_signature(data, sums.get(SIGNATURE.lower()), manifest)
    if not isinstance(manifest, dict) or manifest.get("schema") != SCHEMA:
        raise OpsError(f"{src} 不是本版本可读的 zhenggai 备份（schema {manifest.get('schema')!r}）")
    listed: dict[str, dict[str, Any]] = {}
    for entry in manifest.get("files", []):
        rel = str(entry.get("path", ""))
        pure = PurePosixPath(rel)
        if not rel or pure.is_absolute() or ".." in pure.parts or str(pure) != rel:
            raise _damaged(rel, "清单中的路径无效")
        listed[rel] = entry
    # Every byte: each listed file has its size and both digests, and nothing else is there.
    for rel, entry in listed.items():
        path = src / rel
        if not path.is_file():
            raise _damaged(rel, "文件缺失")
        found = _file_entry(path, rel)
        if found != {k: entry.get(k) for k in ("path", "size", "sm3", "sha256")}:
            raise _damaged(rel, "大小或摘要与清单不符")
    for path in sorted(src.rglob("*")):
        rel = path.relative_to(src).as_posix()
        if path.is_file() and rel not in listed and rel not in (MANIFEST, MANIFEST_SUM):
            raise _damaged(rel, "清单中没有这个文件")
    db = manifest.get("database") or {}
    if db.get("path") not in listed or db.get("vendor") not in DB_FILE:
        raise OpsError("备份清单中没有数据库文件")
    for blob in manifest.get("evidence", {}).get("blobs", []):
        if blob.get("path") not in listed or not is_digest(blob.get("digest", "")):
            raise _damaged(str(blob.get("path")), "清单中的佐证文件无效")
        entry = listed[blob["path"]]
        if blob.get("algorithm") not in ("sm3", "sha256") or entry[blob["algorithm"]] != blob["digest"]:
            raise _damaged(blob["path"], "佐证文件的摘要与存储名不符")
    audit = manifest.get("audit")
    if audit is not None and (
        not isinstance(audit, dict)
        or audit.get("checkpoints") not in listed
        or ("head" in audit and audit["head"] not in listed)
    ):
        raise _damaged(MANIFEST, "清单中的审计检查点文件无效")
    return manifest


def _check_signature(data: bytes, found: str | None, manifest: Any) -> None:
    """Refuse a manifest that is unsigned or not signed with this instance's checkpoint key."""
    try:
        why = signing.refusal(data, found, manifest, manifest_name=MANIFEST, sum_name=MANIFEST_SUM)
    except signing.SigningKeyError as exc:
        raise OpsError(str(exc), 2) from exc
    if why:
        raise OpsError(why, 1)


def _damaged(rel: str, why: str) -> OpsError:
    return OpsError(f"备份已损坏，拒绝恢复：{rel} {why}（未写入任何数据）", 1)


def zhenggai_tables() -> list[tuple[str, Any]]:
    """(table, model) of every model of a zhenggai app: the data that makes an instance non-empty."""
    from django.apps import apps

    return [
        (m._meta.db_table, m)
        for m in apps.get_models(include_auto_created=True)
        if m._meta.app_config.name.startswith("zhenggai.") and m._meta.managed and not m._meta.proxy
    ]


def target_not_empty() -> str | None:
    """Why the target instance is not empty, or None (see the module docstring for *empty*)."""
    existing = set(connection.introspection.table_names())
    for table, model in zhenggai_tables():
        if table in existing and model._base_manager.using(connection.alias).exists():
            return f"目标实例已有数据（表 {table} 非空）：只能恢复到空实例"
    return None


def _check_migrations(manifest: dict[str, Any]) -> None:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True, load=True)
    known_apps = {app for app, _ in loader.disk_migrations}
    for app, name in manifest.get("migrations", []):
        if app in known_apps and (app, name) not in loader.disk_migrations:
            raise OpsError(f"备份来自更新的版本（迁移 {app}.{name} 在本程序中不存在）：请先升级程序")


def _restore(src: Path) -> Outcome:
    src = Path(src)
    manifest = read_verified_manifest(src)
    vendor = _vendor()
    if manifest["database"]["vendor"] != vendor:
        raise OpsError(
            f"备份来自 {manifest['database']['vendor']} 数据库，目标是 {vendor}：请恢复到同类数据库"
        )
    _check_migrations(manifest)
    if vendor == "sqlite":
        _sqlite_path()
    reason = target_not_empty()
    if reason:
        raise OpsError(reason)
    audit = manifest.get("audit") or None
    target_checkpoints = checkpoint_file()
    existing = b""
    if audit and target_checkpoints is not None and target_checkpoints.is_file():
        existing = target_checkpoints.read_bytes()
    if audit and existing.strip() and existing != (src / audit["checkpoints"]).read_bytes():
        raise OpsError(f"目标实例已有审计检查点文件 {target_checkpoints}：只能恢复到空实例（请先移走该文件）")
    target_heads = head_file()
    if audit and target_heads is not None and target_heads.is_file() and target_heads.read_bytes().strip():
        theirs = (src / audit["head"]).read_bytes() if "head" in audit else b""
        if target_heads.read_bytes() != theirs:
            raise OpsError(f"目标实例已有审计链头记录 {target_heads}：只能恢复到空实例（请先移走该文件）")

    # Evidence first: by the time a row is visible, its file is there.
    blobs = manifest.get("evidence", {}).get("blobs", [])
    for blob in blobs:
        put_blob(src / blob["path"], algorithm=blob["algorithm"], digest=blob["digest"])
    db_file = src / manifest["database"]["path"]
    if vendor == "postgresql":
        has_tables = bool(connection.introspection.table_names())
        connection.close()
        argv = [getattr(settings, "BACKUP_PG_RESTORE", "pg_restore"), "-w", "--no-owner", "--no-privileges"]
        argv += ["--exit-on-error", "--single-transaction"]
        if has_tables:  # an empty schema made by `migrate`: replaced by the backup's
            argv += ["--clean", "--if-exists"]
        _run([*argv, "-d", str(connection.settings_dict["NAME"]), str(db_file)], _pg_env(), "pg_restore ")
    else:
        target = _sqlite_path()
        connection.close()
        target.parent.mkdir(parents=True, exist_ok=True)
        source = _sqlite_readonly(db_file)
        dst = sqlite3.connect(str(target), timeout=20)
        try:
            source.backup(dst)  # the backup API again, into the target file
        finally:
            dst.close()
            source.close()
    if audit and target_checkpoints is not None:
        _install(src / audit["checkpoints"], target_checkpoints)
        if "head" in audit and target_heads is not None:
            _install(src / audit["head"], target_heads)
    problems = check_restored(manifest)
    _record(
        "backup.restore",
        outcome="failed" if problems else "ok",
        after={
            "from": str(src),
            "created_at": manifest.get("created_at"),
            "signed_with": (manifest.get("signed_with") or {}).get("id"),
            "problems": len(problems),
        },
    )
    return Outcome(_restored_summary(manifest), problems, manifest)


def _record(action: str, *, outcome: str = "ok", after: dict[str, Any]) -> None:
    """The audit event of a backup or a restore (a command: the operator, no account)."""
    from zhenggai.audit.services import audit_record

    audit_record(actor=None, action=action, outcome=outcome, after=after)


def _install(source: Path, target: Path) -> None:
    """Copy a file into place atomically (temp name, fsync, rename, fsync the directory)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.restore")
    try:
        with open(source, "rb") as f, open(tmp, "wb") as out:
            shutil.copyfileobj(f, out, _CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.chmod(tmp, 0o640)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_dir(target.parent)


def _restored_summary(manifest: dict[str, Any]) -> str:
    tables = manifest["tables"]
    rows = sum(t["rows"] for t in tables.values())
    blobs = len(manifest.get("evidence", {}).get("blobs", []))
    return f"恢复完成：{len(tables)} 个表 {rows} 行，{blobs} 个佐证文件；行数与校验和与清单一致"


def current_checksums() -> dict[str, dict[str, Any]]:
    """The table checksums of this instance, read the way the backup read them."""
    vendor = _vendor()
    if vendor == "postgresql":
        with _pg_snapshot() as (conn, _):
            return table_checksums(conn, vendor)
    conn = sqlite3.connect(f"file:{quote(str(_sqlite_path()))}?mode=ro", uri=True)
    try:
        return table_checksums(conn, vendor)
    finally:
        conn.close()


def check_restored(manifest: dict[str, Any]) -> list[str]:
    """What differs from the manifest after a restore: tables, evidence, the audit chain."""
    problems = []
    now = current_checksums()
    for table, expected in sorted(manifest["tables"].items()):
        got = now.get(table)
        if got is None:
            problems.append(f"表 {table} 未恢复")
        elif got != expected:
            problems.append(
                f"表 {table}：{got['rows']} 行（清单 {expected['rows']} 行），校验和"
                + ("一致" if got["sm3"] == expected["sm3"] else "不一致")
            )
    from .verify import verify_evidence

    problems += [p.line() for p in verify_evidence().problems]
    audit = audit_chain_check()
    if audit:
        problems.append(audit)
    return problems


def audit_chain_check() -> str | None:
    """Run ``audit-verify`` when this installation has it; its complaint, or None when it passes."""
    from django.core.management import call_command, get_commands
    from django.core.management.base import CommandError

    if "audit-verify" not in get_commands():
        return None
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("audit-verify", stdout=out, stderr=err)
    except SystemExit as exc:
        if exc.code not in (0, None):
            text = (err.getvalue() or out.getvalue()).strip().splitlines()
            first = text[0] if text else f"退出码 {exc.code}"
            hint = "审计密钥须与原实例相同：AUDIT_KEY_FILE、AUDIT_CHECKPOINT_KEY_FILE"
            return f"审计链校验失败：{first}（{hint}）"
    except CommandError as exc:
        return f"审计链校验失败：{exc}"
    return None
