"""System checks of the database's durability settings (REQ-4.3).

A commit is only as safe as the database's settings make it (trust-and-format.md §4.1):

- PostgreSQL: ``fsync``, ``full_page_writes`` and ``synchronous_commit`` must be ``on``
  (``synchronous_commit = remote_apply`` waits for more than ``on`` and is accepted too).
  With ``fsync`` or ``full_page_writes`` off a crash can corrupt the cluster; with
  ``synchronous_commit`` off the last commits can vanish after one.
- SQLite: ``journal_mode = wal`` (readers never block the writer), ``synchronous = FULL``
  (2; ``EXTRA``, 3, is accepted: in WAL mode ``NORMAL`` may lose the last commits on power
  loss), ``foreign_keys = ON``, and ``transaction_mode = IMMEDIATE`` in ``DATABASES``
  (writers take the lock at ``BEGIN``). An in-memory database has no journal file: its
  journal mode is not checked.

The values are read through the application's own connection, so a per-role or
per-database override (``ALTER ROLE … SET synchronous_commit``) is seen as the
application sees it.

Tag ``database``: ``zhenggai check --database default`` runs them (and ``migrate``, which
checks the database it migrates); ``zhenggai check --deploy`` runs them on the default
database. Each finding is a Warning (``--fail-level WARNING`` makes it fatal):

- ops.W001 a PostgreSQL setting is not ``on``;
- ops.W002 an SQLite pragma is not the durable value;
- ops.W003 the SQLite ``transaction_mode`` is not ``IMMEDIATE``;
- ops.W004 the settings could not be read.

Tag ``storage``, ``check --deploy`` only: ops.W005 an object store of ``STORAGES["evidence"]``
or ``STORAGES["uploads"]`` (``ZHENGGAI_STORAGE=s3``) does not answer, or its bucket is not there
or not allowed with these keys: every upload and download would fail. A folder is not probed.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core import checks
from django.core.files.storage import storages
from django.core.files.storage.handler import InvalidStorageError
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

# PostgreSQL setting → values that keep a commit durable.
PG_DURABLE: dict[str, tuple[str, ...]] = {
    "fsync": ("on",),
    "full_page_writes": ("on",),
    "synchronous_commit": ("on", "remote_apply"),
}

_PG_RISK = {
    "fsync": (
        "崩溃或断电后已提交的事务可能丢失，甚至整个数据库损坏",
        "committed transactions may be lost, or the whole cluster corrupted, after a crash",
    ),
    "full_page_writes": (
        "崩溃时写了一半的数据页无法修复，数据库可能损坏",
        "pages torn by a crash cannot be repaired and the database may be corrupted",
    ),
    "synchronous_commit": (
        "最近提交的事务在崩溃后可能丢失（已告诉用户“保存成功”的修改会消失）",
        "the last committed transactions may be lost after a crash (saves the user was told succeeded)",
    ),
}

# SQLite pragma → (what is required, reason in Chinese, reason in English, init_command to add).
_SQLITE_RULES = {
    "journal_mode": (
        "wal",
        "读写互相阻塞，并发写入时易出现“database is locked”",
        "readers and the writer block each other",
        "PRAGMA journal_mode=WAL;",
    ),
    "synchronous": (
        "2 (FULL)",
        "断电或系统崩溃后最近提交的事务可能回滚",
        "the last commits may roll back after a power loss or an OS crash",
        "PRAGMA synchronous=FULL;",
    ),
    "foreign_keys": (
        "1 (ON)",
        "外键约束不被检查，可能留下指向不存在记录的数据",
        "foreign keys are not enforced, so rows may point at nothing",
        "PRAGMA foreign_keys=ON;",
    ),
}


def postgres_settings(conn: Any) -> dict[str, str]:
    """The durability settings as the connection sees them (``SHOW``), lower-cased."""
    with conn.cursor() as cur:
        cur.execute(
            "SELECT name, setting FROM pg_settings WHERE name = ANY(%s)",
            [list(PG_DURABLE)],
        )
        return {name: str(value).lower() for name, value in cur.fetchall()}


def sqlite_pragmas(conn: Any) -> dict[str, str]:
    """``journal_mode``, ``synchronous`` and ``foreign_keys`` of the connection, as text."""
    found = {}
    with conn.cursor() as cur:
        for pragma in _SQLITE_RULES:
            cur.execute(f"PRAGMA {pragma}")
            found[pragma] = str(cur.fetchone()[0]).lower()
    return found


def _postgres(alias: str, conn: Any) -> list[checks.CheckMessage]:
    found = postgres_settings(conn)
    messages: list[checks.CheckMessage] = []
    for name, good in PG_DURABLE.items():
        value = found.get(name, "?")
        if value in good:
            continue
        zh, en = _PG_RISK[name]
        messages.append(
            checks.Warning(
                f"数据库 {alias}：PostgreSQL {name} = {value}，应为 on：{zh}。"
                f" / PostgreSQL {name} is {value}, not on: {en}.",
                hint=(
                    f"在 postgresql.conf 中设置 {name} = on 并重新加载（SELECT pg_reload_conf()）；"
                    f"若由 ALTER ROLE/ALTER DATABASE 设置，执行 ALTER ROLE … RESET {name}。"
                    f" / Set {name} = on in postgresql.conf and reload (SELECT pg_reload_conf()),"
                    f" or RESET a role or database override."
                ),
                obj=f"DATABASES[{alias!r}]",
                id="ops.W001",
            )
        )
    return messages


def _sqlite(alias: str, conn: Any) -> list[checks.CheckMessage]:
    found = sqlite_pragmas(conn)
    bad = {}
    if found["journal_mode"] != "wal" and not conn.is_in_memory_db():
        bad["journal_mode"] = found["journal_mode"]
    if not found["synchronous"].isdigit() or int(found["synchronous"]) < 2:  # 3 (EXTRA) is stronger
        bad["synchronous"] = found["synchronous"]
    if found["foreign_keys"] != "1":
        bad["foreign_keys"] = found["foreign_keys"]
    messages: list[checks.CheckMessage] = []
    for pragma, value in bad.items():
        want, zh, en, command = _SQLITE_RULES[pragma]
        messages.append(
            checks.Warning(
                f"数据库 {alias}：SQLite {pragma} = {value}，应为 {want}：{zh}。"
                f" / SQLite {pragma} is {value}, not {want}: {en}.",
                hint=(
                    f"在 DATABASES[{alias!r}]['OPTIONS']['init_command'] 中加入 {command}"
                    f" / Add {command} to DATABASES[{alias!r}]['OPTIONS']['init_command']."
                ),
                obj=f"DATABASES[{alias!r}]",
                id="ops.W002",
            )
        )
    mode = str(conn.settings_dict.get("OPTIONS", {}).get("transaction_mode") or "DEFERRED").upper()
    if mode != "IMMEDIATE":
        messages.append(
            checks.Warning(
                f"数据库 {alias}：SQLite transaction_mode = {mode}，应为 IMMEDIATE："
                "读事务升级为写事务时可能立即失败（database is locked）。"
                f" / SQLite transaction_mode is {mode}, not IMMEDIATE: a read transaction that"
                " starts writing may fail with 'database is locked'.",
                hint=(
                    f"设置 DATABASES[{alias!r}]['OPTIONS']['transaction_mode'] = 'IMMEDIATE'"
                    f" / Set DATABASES[{alias!r}]['OPTIONS']['transaction_mode'] = 'IMMEDIATE'."
                ),
                obj=f"DATABASES[{alias!r}]",
                id="ops.W003",
            )
        )
    return messages


def durability_messages(aliases: Iterable[str]) -> list[checks.CheckMessage]:
    """The warnings about the durability settings of these databases."""
    messages: list[checks.CheckMessage] = []
    for alias in aliases:
        conn = connections[alias]
        try:
            if conn.vendor == "postgresql":
                messages.extend(_postgres(alias, conn))
            elif conn.vendor == "sqlite":
                messages.extend(_sqlite(alias, conn))
        except DatabaseError as exc:
            messages.append(
                checks.Warning(
                    f"无法读取数据库 {alias} 的持久性设置：{exc} / Could not read the durability settings.",
                    hint="对已迁移的生产数据库运行 zhenggai check --database default",
                    obj=f"DATABASES[{alias!r}]",
                    id="ops.W004",
                )
            )
    return messages


@checks.register(checks.Tags.database)
def database_durability(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """With ``--database ALIAS`` (and in ``migrate``): the settings of those databases."""
    return durability_messages(databases or [])


@checks.register(checks.Tags.database, deploy=True)
def database_durability_deploy(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """``check --deploy`` without ``--database``: the default database (else the check above runs)."""
    if databases is not None:
        return []
    return durability_messages([DEFAULT_DB_ALIAS])


_PROBED_STORAGES = ("evidence", "uploads")


@checks.register("storage", deploy=True)
def storage_reachable(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy``: each object store of evidence and pending uploads answers (ops.W005)."""
    messages: list[checks.CheckMessage] = []
    for alias in _PROBED_STORAGES:
        try:
            storage = storages[alias]
        except InvalidStorageError:
            continue
        probe = getattr(storage, "probe", None)
        if probe is None:  # a folder: nothing to reach
            continue
        try:
            probe()
        except Exception as exc:  # any failure means the same: not usable
            endpoint = getattr(storage, "endpoint_url", None) or "AWS"
            where = f"{endpoint} / {getattr(storage, 'bucket_name', '?')}"
            messages.append(
                checks.Warning(
                    f"对象存储 {alias}（{where}）无法访问：{exc}。上传和下载佐证材料都会失败。"
                    f" / The object store of {alias!r} ({where}) does not answer: {exc}.",
                    hint=(
                        "检查 ZHENGGAI_S3_ENDPOINT_URL、ZHENGGAI_S3_BUCKET、访问密钥和网络；存储桶须已创建。"
                        " / Check ZHENGGAI_S3_ENDPOINT_URL, ZHENGGAI_S3_BUCKET, the keys and the network;"
                        " the bucket must exist."
                    ),
                    obj=f"STORAGES[{alias!r}]",
                    id="ops.W005",
                )
            )
    return messages
