"""REQ-4.3: the system check warns when the database does not make a commit durable.

PostgreSQL: ``fsync``, ``synchronous_commit``, ``full_page_writes`` not ``on``. SQLite:
``journal_mode`` not WAL, ``synchronous`` below FULL (2), ``foreign_keys`` off, and a
``transaction_mode`` other than IMMEDIATE. Silent on the set-up the tests run on (SQLite,
or PostgreSQL with ``make test-postgres``); a bad value, simulated by replacing the
function that reads the settings, gives a warning that says what to change.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core import checks as django_checks
from django.db import connection, connections

from zhenggai.ops import checks

pytestmark = pytest.mark.django_db

ZHENGGAI = Path(sys.executable).with_name("zhenggai")


def run_database_checks(deploy: bool = False, databases: list[str] | None = None) -> list[Any]:
    return [
        m
        for m in django_checks.run_checks(
            tags=[django_checks.Tags.database],
            include_deployment_checks=deploy,
            databases=["default"] if databases is None and not deploy else databases,
        )
        if m.id.startswith("ops.")
    ]


def test_the_checks_are_registered_with_the_database_tag_and_for_deploy():
    registry = django_checks.registry.registry
    assert checks.database_durability in registry.get_checks(include_deployment_checks=False)
    assert checks.database_durability_deploy not in registry.get_checks(include_deployment_checks=False)
    assert checks.database_durability_deploy in registry.get_checks(include_deployment_checks=True)
    assert django_checks.Tags.database in checks.database_durability.tags
    assert django_checks.Tags.database in checks.database_durability_deploy.tags


# --- SQLite ---------------------------------------------------------------------------------------

sqlite_only = pytest.mark.skipif(
    os.environ.get("DATABASE_URL", "").startswith("postgres"), reason="the SQLite run covers these"
)


@sqlite_only
def test_sqlite_the_pragmas_are_durable_and_the_check_is_silent():
    assert connection.vendor == "sqlite"
    found = checks.sqlite_pragmas(connection)
    assert found["synchronous"] == "2" and found["foreign_keys"] == "1"
    # The test database is in memory (no journal file); a file database is WAL (below).
    assert found["journal_mode"] in ("wal", "memory")
    assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert run_database_checks() == []
    assert run_database_checks(deploy=True) == []  # check --deploy: the default database


@sqlite_only
@pytest.mark.parametrize(
    ("pragma", "value", "says"),
    [
        ("journal_mode", "delete", "PRAGMA journal_mode=WAL;"),
        ("synchronous", "1", "PRAGMA synchronous=FULL;"),
        ("synchronous", "0", "PRAGMA synchronous=FULL;"),
        ("foreign_keys", "0", "PRAGMA foreign_keys=ON;"),
    ],
)
def test_sqlite_a_weak_pragma_is_a_warning_saying_what_to_add(monkeypatch, pragma, value, says):
    assert connection.vendor == "sqlite"
    real = checks.sqlite_pragmas
    # As on a file database (the test database is in memory: its journal mode is not checked).
    monkeypatch.setattr(type(connections["default"]), "is_in_memory_db", lambda self: False)
    monkeypatch.setattr(
        checks, "sqlite_pragmas", lambda conn: {**real(conn), "journal_mode": "wal", pragma: value}
    )
    (warning,) = run_database_checks()
    assert warning.id == "ops.W002" and warning.level == django_checks.WARNING
    assert f"SQLite {pragma} = {value}" in warning.msg and f"SQLite {pragma} is {value}" in warning.msg
    assert "：" in warning.msg  # the Chinese half
    assert says in warning.hint and "init_command" in warning.hint


@sqlite_only
def test_sqlite_extra_synchronous_is_accepted(monkeypatch):
    real = checks.sqlite_pragmas
    monkeypatch.setattr(checks, "sqlite_pragmas", lambda conn: {**real(conn), "synchronous": "3"})
    assert run_database_checks() == []


@sqlite_only
def test_sqlite_a_deferred_transaction_mode_is_a_warning(monkeypatch):
    options = {**connection.settings_dict["OPTIONS"]}
    options.pop("transaction_mode")
    monkeypatch.setitem(connection.settings_dict, "OPTIONS", options)
    (warning,) = run_database_checks()
    assert warning.id == "ops.W003"
    assert "transaction_mode = DEFERRED，应为 IMMEDIATE" in warning.msg
    assert "'transaction_mode'] = 'IMMEDIATE'" in warning.hint


@sqlite_only
def test_sqlite_a_file_database_of_the_app_is_silent_and_a_bad_one_warns(tmp_path: Path) -> None:
    """Through the command, as an operator runs it, on file databases (the WAL mode is real)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ZHENGGAI_", "DJANGO_"))}
    env.update(ZHENGGAI_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="zhenggai.settings")
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'good.sqlite3'}"
    good = subprocess.run(
        [str(ZHENGGAI), "check", "--database", "default"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert good.returncode == 0, good.stderr
    assert "no issues" in good.stdout
    # The same command with weak values read: it fails at --fail-level WARNING, naming them.
    bad = subprocess.run(
        [
            str(ZHENGGAI),
            "shell",
            "-c",
            "from zhenggai.ops import checks\n"
            "checks.sqlite_pragmas = lambda c: {'journal_mode': 'delete', 'synchronous': '1',"
            " 'foreign_keys': '1'}\n"
            "from django.core.management import call_command\n"
            "call_command('check', databases=['default'], fail_level='WARNING')",
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode != 0
    assert "ops.W002" in bad.stderr and "journal_mode" in bad.stderr and "synchronous" in bad.stderr


# --- PostgreSQL -----------------------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_fsync_synchronous_commit_and_full_page_writes_are_on_and_the_check_is_silent():
    assert connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)"
    found = checks.postgres_settings(connection)
    assert found == {"fsync": "on", "synchronous_commit": "on", "full_page_writes": "on"}
    with connection.cursor() as cur:  # the same values as SHOW
        for name in found:
            cur.execute(f"SHOW {name}")
            assert cur.fetchone()[0] == found[name]
    assert run_database_checks() == []
    assert run_database_checks(deploy=True) == []


@pytest.mark.postgres
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("fsync", "off"),
        ("synchronous_commit", "off"),
        ("synchronous_commit", "local"),
        ("full_page_writes", "off"),
    ],
)
def test_postgres_a_setting_that_is_not_on_is_a_warning_saying_what_to_change(monkeypatch, name, value):
    assert connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)"
    real = checks.postgres_settings
    monkeypatch.setattr(checks, "postgres_settings", lambda conn: {**real(conn), name: value})
    (warning,) = run_database_checks()
    assert warning.id == "ops.W001" and warning.level == django_checks.WARNING
    assert f"PostgreSQL {name} = {value}，应为 on" in warning.msg
    assert f"PostgreSQL {name} is {value}, not on" in warning.msg
    assert f"{name} = on" in warning.hint and "pg_reload_conf()" in warning.hint
    (deploy,) = run_database_checks(deploy=True)  # check --deploy, no --database
    assert deploy.id == "ops.W001"


@pytest.mark.postgres
def test_postgres_synchronous_commit_remote_apply_is_accepted(monkeypatch):
    assert connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)"
    real = checks.postgres_settings
    monkeypatch.setattr(
        checks, "postgres_settings", lambda conn: {**real(conn), "synchronous_commit": "remote_apply"}
    )
    assert run_database_checks() == []


@pytest.mark.postgres
def test_postgres_a_session_override_is_seen_as_the_app_sees_it():
    """``ALTER ROLE … SET synchronous_commit = off`` reaches the app's sessions: the check reads them."""
    assert connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL)"
    with connection.cursor() as cur:
        cur.execute("SET LOCAL synchronous_commit = off")  # this transaction only (the test's)
    (warning,) = run_database_checks()
    assert warning.id == "ops.W001" and "synchronous_commit = off" in warning.msg


def test_an_unreadable_database_is_a_warning(monkeypatch):
    def broken(conn: Any) -> dict[str, str]:
        from django.db import OperationalError

        raise OperationalError("connection refused")

    monkeypatch.setattr(checks, "postgres_settings", broken)
    monkeypatch.setattr(checks, "sqlite_pragmas", broken)
    (warning,) = run_database_checks()
    assert warning.id == "ops.W004" and "connection refused" in warning.msg
