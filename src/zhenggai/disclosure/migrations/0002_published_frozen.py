"""A published version never changes: a trigger refuses any UPDATE of a row published before.

Pending → published (the approval) is an update of a pending row and passes; once the stored
status is ``published``, every UPDATE fails, whatever path it takes (ORM, raw SQL, an admin
slip). A correction is a new version.
"""

from typing import Any

from django.db import migrations

TABLE = "disclosure_publicationversion"

SQLITE_UP = [
    f"""CREATE TRIGGER IF NOT EXISTS publication_version_frozen BEFORE UPDATE ON "{TABLE}"
WHEN OLD.status = 'published'
BEGIN SELECT RAISE(ABORT, 'a published version never changes (已发布的版本不能修改)'); END""",
]
SQLITE_DOWN = ["DROP TRIGGER IF EXISTS publication_version_frozen"]

PG_UP = [
    """CREATE OR REPLACE FUNCTION publication_version_frozen() RETURNS trigger AS $$
BEGIN
  RAISE EXCEPTION 'a published version never changes (已发布的版本不能修改)'
    USING ERRCODE = 'insufficient_privilege';
END $$ LANGUAGE plpgsql""",
    f"""CREATE TRIGGER publication_version_frozen BEFORE UPDATE ON "{TABLE}"
FOR EACH ROW WHEN (OLD.status = 'published') EXECUTE FUNCTION publication_version_frozen()""",
]
PG_DOWN = [
    f'DROP TRIGGER IF EXISTS publication_version_frozen ON "{TABLE}"',
    "DROP FUNCTION IF EXISTS publication_version_frozen()",
]


def _run(statements: dict[str, list[str]]) -> Any:
    def run(apps: Any, schema_editor: Any) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql)

    return run


class Migration(migrations.Migration):
    dependencies = [("disclosure", "0001_initial")]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_UP, "postgresql": PG_UP}),
            _run({"sqlite": SQLITE_DOWN, "postgresql": PG_DOWN}),
        )
    ]
