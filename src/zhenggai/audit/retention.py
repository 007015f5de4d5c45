"""Retention: archive and delete audit events older than the retention period, never younger.

The period is ``AUDIT_RETENTION_DAYS`` (default 365), never less than ``MIN_RETENTION_DAYS``
= 184 days — the longest six calendar months (July–December), so "at least 6 months" holds
whatever the month (等保 8.1.4.3 d; the system check ``audit.E002`` refuses a smaller setting
and the purge applies the floor anyway).

One purge, in one transaction holding the chain lock:

1. verify the whole chain (a chain that does not verify is never archived and deleted: the
   evidence of tampering would go with it);
2. find the cut: the largest ``seq`` such that every row up to it is older than the cutoff
   (so a row with a clock that went backwards never drags a young row out);
3. append a signed ``purge`` checkpoint at the cut to the checkpoint file — the anchor the
   remaining chain is verified from;
4. export those rows, as JSON lines with their MACs and that checkpoint, to
   ``AUDIT_ARCHIVE_DIR`` (fsync, then rename; the SM3 digest of the file goes into the audit
   event and the report);
5. record ``audit.purge`` in the chain (so the newest row always survives);
6. open the triggers' maintenance bypass for this transaction only and delete ``seq <= cut``.

If anything fails before the commit, nothing is deleted; an archive file or checkpoint already
written then describes rows that are still there, which is harmless.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import connections, router, transaction
from django.utils import timezone

from zhenggai import crypto

from . import appendonly, checkpoints, verify
from .canonical import utc_iso
from .chain import lock_chain, record_of
from .models import AuditEvent
from .services import audit_record

if TYPE_CHECKING:
    # accounts.actors.Actor, spelled through django-stubs: audit sits below accounts and does not
    # import it (see accounts/actors.py).
    from django.contrib.auth.models import _User as Actor

MIN_RETENTION_DAYS = 184
DEFAULT_RETENTION_DAYS = 365


class PurgeRefused(Exception):
    pass


def retention_days() -> int:
    return max(int(getattr(settings, "AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS)), MIN_RETENTION_DAYS)


def cutoff(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(days=retention_days())


def archive_dir() -> Path:
    data_dir = Path(getattr(settings, "DATA_DIR", Path.cwd() / "var"))
    return Path(getattr(settings, "AUDIT_ARCHIVE_DIR", None) or data_dir / "audit-archive")


@dataclass
class PurgeReport:
    cutoff: dt.datetime
    cut_seq: int = 0
    deleted: int = 0
    archive: Path | None = None
    archive_sm3: str = ""
    dry_run: bool = False


def cut_seq(before: dt.datetime, using: str) -> int:
    """The largest seq whose row and every row before it are older than ``before`` (0: none)."""
    qs = AuditEvent.objects.using(using)
    first_young = qs.filter(created_at__gte=before).order_by("seq").values_list("seq", flat=True).first()
    if first_young is None:
        # Everything is old: all of it goes; the purge event recorded next becomes the head.
        last = qs.order_by("-seq").values_list("seq", flat=True).first()
        return last or 0
    older = qs.filter(seq__lt=first_young).order_by("-seq").values_list("seq", flat=True).first()
    return older or 0


def _export(rows: list[AuditEvent], path: Path, anchor: dict) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    h = crypto.hasher("sm3")
    with tmp.open("wb") as f:
        for r in rows:
            doc = {"id": r.pk, "seq": r.seq, "prev_mac": r.prev_mac, "mac": r.mac, "record": record_of(r)}
            line = (
                json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"
            ).encode()
            f.write(line)
            h.update(line)
        line = (json.dumps({"checkpoint": anchor}, ensure_ascii=False, sort_keys=True) + "\n").encode()
        f.write(line)
        h.update(line)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    return h.finalize().hex()


def purge(
    *, actor: Actor | None = None, dry_run: bool = False, now: dt.datetime | None = None
) -> PurgeReport:
    """Archive and delete the events older than the retention period (see the module docstring)."""
    using = router.db_for_write(AuditEvent)
    conn = connections[using]
    report = PurgeReport(cutoff=cutoff(now), dry_run=dry_run)
    with transaction.atomic(using=using):
        lock_chain(using)
        result = verify.verify_chain(using=using)
        if not result.ok:
            raise PurgeRefused("审计记录链核验不通过，拒绝归档清理：" + verify.describe(result))
        cut = cut_seq(report.cutoff, using)
        report.cut_seq = cut
        rows = list(AuditEvent.objects.using(using).filter(seq__lte=cut).order_by("seq"))
        report.deleted = len(rows)
        if dry_run or not rows:
            return report
        last = rows[-1]
        anchor, _ = checkpoints.append(
            seq=last.seq,
            mac=last.mac,
            alg=last.alg,
            count=checkpoints.count_upto(last.seq, using),
            kind="purge",
        )
        stamp = timezone.now().strftime("%Y%m%dT%H%M%S")
        path = archive_dir() / f"audit-{rows[0].seq:09d}-{last.seq:09d}-{stamp}.jsonl"
        report.archive = path
        report.archive_sm3 = _export(rows, path, anchor)
        audit_record(
            actor=actor,
            action="audit.purge",
            after={
                "cutoff": utc_iso(report.cutoff),
                "retention_days": retention_days(),
                "first_seq": rows[0].seq,
                "cut_seq": last.seq,
                "rows": len(rows),
                "archive": path.name,
                "archive_sm3": report.archive_sm3,
            },
        )
        with appendonly.maintenance(conn, "purge"):
            AuditEvent.objects.using(using).filter(seq__lte=cut).delete()
    return report
