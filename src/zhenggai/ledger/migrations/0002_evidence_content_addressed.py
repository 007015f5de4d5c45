"""Evidence becomes content-addressed: the storage name is the digest of the bytes.

Rows stored before this had a random (uuid) storage name and their SHA-256 recorded
at upload. Each becomes ``algorithm="sha256"``, ``storage_name=<that sha256>``, and its
file is copied to ``EVIDENCE_DIR/<sha256[:2]>/<sha256>`` (written to a temporary name,
fsynced, renamed); the uuid-named files are removed only once the migration has
committed, so a failed migration leaves every old name in place. Two rows with the same
bytes end up sharing one blob. The digest recorded at upload is the address, not a
re-hash of the file today, so a file changed before the migration is still reported by
``zhenggai evidence-verify``. New uploads use ``EVIDENCE_DIGEST`` (SM3 by default).

Backwards: every row gets a fresh uuid name with its own copy of the blob.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import uuid
from pathlib import Path

from django.conf import settings
from django.db import migrations, models, transaction
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

_HEX64 = re.compile(r"[0-9a-f]{64}")


def _sha256(path: Path) -> str | None:
    h = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1024 * 1024):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _copy_atomic(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.{uuid.uuid4().hex}.part")
    try:
        with open(src, "rb") as f, open(tmp, "wb") as out:
            shutil.copyfileobj(f, out, 1024 * 1024)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    finally:
        tmp.unlink(missing_ok=True)
    _fsync_dir(dst.parent)


def _path(root: Path, name: str) -> Path:
    return root / name[:2] / name


def to_content_addressed(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Evidence = apps.get_model("ledger", "Evidence")
    root = Path(settings.EVIDENCE_DIR)
    old_files: set[Path] = set()
    for ev in Evidence.objects.using(schema_editor.connection.alias).order_by("pk").iterator():
        digest = ev.sha256
        if not _HEX64.fullmatch(digest or "") or ev.storage_name == digest:
            ev.algorithm = "sha256"
            ev.save(update_fields=["algorithm"])
            continue
        old, new = _path(root, ev.storage_name), _path(root, digest)
        if old.exists():
            # Keep a copy that has the recorded bytes; replace one that does not, if this one does.
            if not new.exists() or (_sha256(new) != digest and _sha256(old) == digest):
                _copy_atomic(old, new)
            old_files.add(old)
        ev.storage_name = digest
        ev.algorithm = "sha256"
        ev.save(update_fields=["storage_name", "algorithm"])

    def remove_old() -> None:
        for p in sorted(old_files):
            p.unlink(missing_ok=True)
            _fsync_dir(p.parent)

    transaction.on_commit(remove_old, using=schema_editor.connection.alias)


def to_random_names(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Evidence = apps.get_model("ledger", "Evidence")
    root = Path(settings.EVIDENCE_DIR)
    for ev in Evidence.objects.using(schema_editor.connection.alias).order_by("pk").iterator():
        name = uuid.uuid4().hex
        blob = _path(root, ev.storage_name)
        if blob.exists():
            _copy_atomic(blob, _path(root, name))
        ev.storage_name = name
        ev.save(update_fields=["storage_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("ledger", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="evidence",
            name="storage_name",
            field=models.CharField(db_index=True, max_length=100, verbose_name="存储名（内容摘要）"),
        ),
        migrations.AddField(
            model_name="evidence",
            name="algorithm",
            field=models.CharField(
                choices=[("sm3", "SM3"), ("sha256", "SHA-256")],
                default="sha256",
                max_length=10,
                verbose_name="摘要算法",
            ),
            preserve_default=False,
        ),
        migrations.RunPython(to_content_addressed, to_random_names),
    ]
