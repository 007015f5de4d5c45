"""seq unique and required; the append-only triggers (SQLite and PostgreSQL, see audit/appendonly.py).

The SQL is written out here (not imported) so this migration keeps doing what it did when the
module changes; ``appendonly.EXPECTED`` names the triggers it creates.
"""

from django.db import migrations, models

SQLITE_INSTALL = [
    'CREATE TABLE IF NOT EXISTS "audit_maintenance" ("mode" varchar(16) NOT NULL)',
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON "audit_auditevent"
WHEN NOT EXISTS (SELECT 1 FROM "audit_maintenance" WHERE "mode" = 'tamper')
BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: UPDATE refused (审计记录只能追加)'); END""",
    """CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON "audit_auditevent"
WHEN NOT EXISTS (SELECT 1 FROM "audit_maintenance" WHERE "mode" IN ('purge', 'tamper'))
BEGIN SELECT RAISE(ABORT, 'audit_auditevent is append-only: DELETE refused (审计记录只能追加)'); END""",
]
SQLITE_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_event_no_update",
    "DROP TRIGGER IF EXISTS audit_event_no_delete",
    'DROP TABLE IF EXISTS "audit_maintenance"',
]
PG_INSTALL = [
    """CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    mode text := coalesce(current_setting('zhenggai.audit_maintenance', true), '');
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
    "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent",
    """CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_auditevent
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_auditevent
FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()""",
    """CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_auditevent
FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()""",
]
PG_UNINSTALL = [
    "DROP TRIGGER IF EXISTS audit_event_no_update ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_no_delete ON audit_auditevent",
    "DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_auditevent",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for sql in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


install = _run({"sqlite": SQLITE_INSTALL, "postgresql": PG_INSTALL})
uninstall = _run({"sqlite": SQLITE_UNINSTALL, "postgresql": PG_UNINSTALL})


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_chain_backfill")]

    operations = [
        migrations.AlterField(
            model_name="auditevent",
            name="seq",
            field=models.BigIntegerField(unique=True),
        ),
        migrations.RunPython(install, uninstall),
    ]
