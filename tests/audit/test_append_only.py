"""REQ-3.1: the audit table is append-only in the database — ORM update()/delete(), raw UPDATE and
raw DELETE (and TRUNCATE on PostgreSQL) all fail, on SQLite and on PostgreSQL."""

from __future__ import annotations

import pytest
from django.db import DatabaseError, connection, transaction

from tests.audit.conftest import make_events, on_both, tamper, verify
from zhenggai.audit import appendonly
from zhenggai.audit.models import AuditEvent


def refused(action) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        action()
    return str(info.value)


@on_both
def test_the_triggers_are_installed(vendor, vendor_db):
    assert appendonly.missing_triggers(connection) == set()
    assert appendonly.installed_triggers(connection) >= appendonly.EXPECTED[connection.vendor]


@on_both
def test_orm_update_fails(vendor, vendor_db):
    make_events(3)
    message = refused(lambda: AuditEvent.objects.filter(seq=2).update(actor_name="mallory"))
    assert "append-only" in message
    assert AuditEvent.objects.get(seq=2).actor_name == "system"


@on_both
def test_orm_save_of_an_existing_row_fails(vendor, vendor_db):
    (e,) = make_events(1)
    e.outcome = "ok" if e.outcome != "ok" else "denied"
    refused(lambda: e.save())


@on_both
def test_orm_delete_of_a_queryset_and_of_one_row_fails(vendor, vendor_db):
    make_events(3)
    refused(lambda: AuditEvent.objects.all().delete())
    refused(lambda: AuditEvent.objects.get(seq=3).delete())
    assert AuditEvent.objects.count() == 3


@on_both
def test_raw_update_fails(vendor, vendor_db):
    make_events(2)

    def raw() -> None:
        with connection.cursor() as cur:
            cur.execute("UPDATE audit_auditevent SET outcome = 'ok' WHERE seq = 1")

    assert "append-only" in refused(raw)


@on_both
def test_raw_delete_fails(vendor, vendor_db):
    make_events(2)

    def raw() -> None:
        with connection.cursor() as cur:
            cur.execute("DELETE FROM audit_auditevent")

    assert "append-only" in refused(raw)
    assert AuditEvent.objects.count() == 2
    assert verify().ok


@pytest.mark.postgres
def test_on_postgresql_truncate_fails_too(db):
    assert connection.vendor == "postgresql"
    make_events(2)

    def raw() -> None:
        with connection.cursor() as cur:
            cur.execute("SET CONSTRAINTS ALL IMMEDIATE")  # else "pending trigger events" comes first
            cur.execute("TRUNCATE audit_auditevent")

    assert "append-only" in refused(raw)
    assert AuditEvent.objects.count() == 2


@on_both
def test_the_bypass_lasts_only_for_its_block(vendor, vendor_db):
    make_events(2)
    tamper("UPDATE audit_auditevent SET actor_name = %s WHERE seq = 1", ["mallory"])
    assert AuditEvent.objects.get(seq=1).actor_name == "mallory"
    refused(lambda: AuditEvent.objects.filter(seq=2).update(actor_name="mallory"))
    assert not appendonly.open_bypass(connection)


@on_both
def test_the_purge_mode_lets_delete_through_but_not_update(vendor, vendor_db):
    make_events(2)
    with pytest.raises(DatabaseError), transaction.atomic(), appendonly.maintenance(connection, "purge"):
        AuditEvent.objects.filter(seq=1).update(actor_name="mallory")
    with transaction.atomic(), appendonly.maintenance(connection, "purge"):
        AuditEvent.objects.filter(seq=1).delete()
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [2]


@on_both
def test_an_error_inside_the_bypass_closes_it(vendor, vendor_db):
    make_events(1)
    with pytest.raises(ZeroDivisionError), transaction.atomic(), appendonly.maintenance(connection, "tamper"):
        1 / 0  # noqa: B018
    refused(lambda: AuditEvent.objects.update(actor_name="mallory"))


def test_the_migration_creates_exactly_the_sql_of_the_module():
    import importlib

    migration = importlib.import_module("zhenggai.audit.migrations.0004_append_only")
    assert migration.SQLITE_INSTALL == appendonly.SQLITE_INSTALL
    assert migration.PG_INSTALL == appendonly.PG_INSTALL
    assert migration.SQLITE_UNINSTALL == appendonly.SQLITE_UNINSTALL
    assert migration.PG_UNINSTALL == appendonly.PG_UNINSTALL


@on_both
def test_the_verifier_warns_when_a_trigger_is_missing(vendor, vendor_db):
    make_events(1)
    with connection.cursor() as cur:
        on = " ON audit_auditevent" if connection.vendor == "postgresql" else ""
        cur.execute(f"DROP TRIGGER audit_event_no_delete{on}")  # rolled back with the test
    result = verify()
    assert result.ok
    assert any("audit_event_no_delete" in w for w in result.warnings)


@on_both
@pytest.mark.django_db(transaction=True)
def test_flush_empties_the_table_through_the_bypass_and_the_triggers_stay(vendor, request):
    from django.core.management import call_command

    if vendor == "postgresql":
        assert connection.vendor == "postgresql"
    make_events(3)
    call_command("flush", interactive=False, verbosity=0)
    assert AuditEvent.objects.count() == 0
    assert appendonly.missing_triggers(connection) == set()
    make_events(1)
    refused(lambda: AuditEvent.objects.all().delete())


@pytest.mark.postgres
def test_on_postgresql_the_app_role_may_append_but_not_rewrite_even_through_the_bypass(db):
    assert connection.vendor == "postgresql"
    make_events(1)
    with connection.cursor() as cur:  # all rolled back with the test's transaction
        cur.execute("CREATE ROLE zhenggai_app_test NOLOGIN")
        for sql in appendonly.PG_APP_ROLE_SQL:
            cur.execute(sql.format(role="zhenggai_app_test"))
        cur.execute("GRANT SELECT ON ALL TABLES IN SCHEMA public TO zhenggai_app_test")
        cur.execute("SET LOCAL ROLE zhenggai_app_test")
    make_events(1, start=1)  # INSERT is granted
    message = refused(lambda: tamper("UPDATE audit_auditevent SET actor_name = 'mallory'"))
    assert "permission denied" in message
    message = refused(lambda: tamper("DELETE FROM audit_auditevent"))
    assert "permission denied" in message
    with connection.cursor() as cur:
        cur.execute("RESET ROLE")
    assert AuditEvent.objects.count() == 2
    assert verify().ok


@on_both
def test_the_deploy_check_finds_the_triggers_and_on_postgresql_an_app_role_that_may_rewrite(
    vendor, vendor_db
):
    from zhenggai.audit.checks import audit_database

    ids = [m.id for m in audit_database(databases=["default"])]
    # The test database is used as its owner, who may rewrite: exactly what W001 warns about.
    assert ids == (["audit.W001"] if connection.vendor == "postgresql" else [])
