"""Append-only in the database: triggers that refuse UPDATE and DELETE on the audit table.

SQLite: ``BEFORE UPDATE`` / ``BEFORE DELETE`` triggers ``SELECT RAISE(ABORT, …)``.
PostgreSQL: a plpgsql function raising ``insufficient_privilege`` from ``BEFORE UPDATE`` and
``BEFORE DELETE`` row triggers and a ``BEFORE TRUNCATE`` statement trigger. (In production
also ``REVOKE UPDATE, DELETE, TRUNCATE ON audit_auditevent FROM <app role>`` and run
``zhenggai audit-purge`` as the owner role.)

The one controlled way past the triggers is ``maintenance(connection, mode)``, which opens a
bypass *for the current transaction only*:

- PostgreSQL: ``set_config('zhenggai.audit_maintenance', mode, true)`` — a transaction-local
  setting the trigger function reads; it ends by itself at COMMIT or ROLLBACK and is reset when
  the block exits.
- SQLite: a row in the one-column table ``audit_maintenance`` (created with the triggers), which
  the triggers' ``WHEN`` clause looks for. It is inserted and deleted inside the same
  ``BEGIN IMMEDIATE`` transaction, so no other connection ever sees it (uncommitted) and a
  crash rolls it back with everything else.

Modes: ``purge`` lets DELETE/TRUNCATE through (the retention job and Django's ``flush``, which
this app overrides so test databases can still be emptied); ``tamper`` also lets UPDATE through
and exists only for the tamper tests. Neither is a security boundary against someone with
write access to the database — the keyed chain and the external checkpoints are; the triggers
make every ordinary path (ORM ``update()``/``delete()``, raw SQL, an admin slip) fail loudly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import transaction

TABLE = "audit_auditevent"
FLAG_TABLE = "audit_maintenance"
PG_SETTING = "zhenggai.audit_maintenance"
MODES = ("purge", "tamper")

SQLITE_INSTALL = [
    f'CREATE TABLE IF NOT EXISTS "{FLAG_TABLE}" ("mode" varchar(16) NOT NULL)',
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON "{TABLE}"
WHEN NOT EXISTS (SELECT 1 FROM "{FLAG_TABLE}" WHERE "mode" = 'tamper')
BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused (审计记录只能追加)'); END""",  # noqa: S608  constant table names
    f"""CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON "{TABLE}"
WHEN NOT EXISTS (SELECT 1 FROM "{FLAG_TABLE}" WHERE "mode" IN ('purge', 'tamper'))
BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: DELETE refused (审计记录只能追加)'); END""",  # noqa: S608  constant table names
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    f'DROP TABLE IF EXISTS "{FLAG_TABLE}"',
]

PG_INSTALL = [
    f"""CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    mode text := coalesce(current_setting('{PG_SETTING}', true), '');
BEGIN
    IF TG_OP IN ('DELETE', 'TRUNCATE') AND mode IN ('purge', 'tamper') THEN
        RETURN OLD;
    END IF;
    IF TG_OP = 'UPDATE' AND mode = 'tamper' THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_auditevent is append-only: % refused (审计记录只能追加)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$""",
    f"DROP TRIGGER IF EXISTS audit_event_no_update ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_event_no_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE}",
    f"""CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    f"""CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON {TABLE}
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    f"""CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON {TABLE}
FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]
PG_UNINSTALL = [
    f"DROP TRIGGER IF EXISTS audit_event_no_update ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_event_no_delete ON {TABLE}",
    f"DROP TRIGGER IF EXISTS audit_event_no_truncate ON {TABLE}",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
]

#: PostgreSQL privileges of the application's role (run once by the owner; ``{role}`` quoted):
#: it may read and append, never rewrite. ``audit-purge`` then runs as the owner. Every append
#: of a change also replaces the change stamp (``audit.stamps``), a row the role rewrites.
PG_APP_ROLE_SQL = [
    f"REVOKE ALL ON {TABLE} FROM {{role}}",
    f"GRANT SELECT, INSERT ON {TABLE} TO {{role}}",
    "GRANT SELECT, INSERT, UPDATE ON audit_changestamp TO {role}",
]

#: The trigger names each vendor must have (checked by ``triggers_installed``).
EXPECTED = {
    "sqlite": {"audit_event_no_update", "audit_event_no_delete"},
    "postgresql": {"audit_event_no_update", "audit_event_no_delete", "audit_event_no_truncate"},
}


def install_sql(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_INSTALL, "postgresql": PG_INSTALL}.get(vendor, [])


def uninstall_sql(vendor: str) -> list[str]:
    return {"sqlite": SQLITE_UNINSTALL, "postgresql": PG_UNINSTALL}.get(vendor, [])


def installed_triggers(connection: Any) -> set[str]:
    with connection.cursor() as cur:
        if connection.vendor == "sqlite":
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [TABLE])
        elif connection.vendor == "postgresql":
            cur.execute(
                "SELECT tgname FROM pg_trigger WHERE tgrelid = to_regclass(%s) AND NOT tgisinternal"
                " AND tgenabled <> 'D'",
                [TABLE],
            )
        else:
            return set()
        return {r[0] for r in cur.fetchall()}


def missing_triggers(connection: Any) -> set[str]:
    """Triggers that should protect the audit table and do not (empty when all is well)."""
    return EXPECTED.get(connection.vendor, set()) - installed_triggers(connection)


def open_bypass(connection: Any) -> bool:
    """Whether a committed maintenance flag is lying around (SQLite): that would disarm the triggers."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cur:
        cur.execute(f'SELECT count(*) FROM "{FLAG_TABLE}"')  # noqa: S608  a constant table name
        return bool(cur.fetchone()[0])


@contextmanager
def maintenance(connection: Any, mode: str = "purge") -> Iterator[None]:
    """Let the triggers through for this transaction only (see the module docstring).

    The block runs in its own savepoint: an exception inside rolls the bypass back with the
    block's changes, and on success the bypass is closed before the savepoint is released.
    """
    if mode not in MODES:
        raise ValueError(f"unknown maintenance mode {mode!r}")
    vendor = connection.vendor
    with transaction.atomic(using=connection.alias):
        with connection.cursor() as cur:
            if vendor == "postgresql":
                cur.execute("SELECT set_config(%s, %s, true)", [PG_SETTING, mode])
            elif vendor == "sqlite":
                cur.execute(f'INSERT INTO "{FLAG_TABLE}" ("mode") VALUES (%s)', [mode])  # noqa: S608  constant table
        yield
        with connection.cursor() as cur:
            if vendor == "postgresql":
                cur.execute("SELECT set_config(%s, '', true)", [PG_SETTING])
            elif vendor == "sqlite":
                cur.execute(f'DELETE FROM "{FLAG_TABLE}"')  # noqa: S608  a constant table name
