"""Link the events written before the chain existed into it, in id order (a no-op on a new install).

Needs the chain key (created on first use in development, see ``audit/keys.py``) only when
there are such rows. Runs before the append-only triggers of 0004 exist.
"""

from django.db import migrations


def backfill(apps, schema_editor):
    from zhenggai.audit import keys
    from zhenggai.audit.chain import GENESIS, SCHEMA_VERSION, compute_mac, configured_algorithm, record_of

    AuditEvent = apps.get_model("audit", "AuditEvent")
    db = schema_editor.connection.alias
    pending = AuditEvent.objects.using(db).filter(seq__isnull=True).order_by("id")
    if not pending.exists():
        return
    key = keys.chain_key()
    alg = configured_algorithm()
    last = AuditEvent.objects.using(db).filter(seq__isnull=False).order_by("-seq").first()
    seq, prev = (last.seq, last.mac) if last else (0, GENESIS)
    for e in pending.iterator(chunk_size=2000):
        seq += 1
        e.seq, e.prev_mac, e.alg, e.schema = seq, prev, alg, SCHEMA_VERSION
        e.mac = compute_mac(key, alg, prev, seq, record_of(e))
        e.save(update_fields=["seq", "prev_mac", "mac", "alg", "schema"])
        prev = e.mac


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_chain_fields")]

    operations = [migrations.RunPython(backfill, migrations.RunPython.noop)]
