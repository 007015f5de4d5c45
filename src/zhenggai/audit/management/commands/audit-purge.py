"""`zhenggai audit-purge [--dry-run] [--json]`: archive and delete audit events past retention.

Never touches events younger than ``max(AUDIT_RETENTION_DAYS, 184)`` days. Before deleting,
it verifies the chain, writes a signed checkpoint at the cut and exports the rows to
``AUDIT_ARCHIVE_DIR``; the remaining chain verifies from that checkpoint. In production run
it as the database role that owns the audit table (the application role has no DELETE).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from zhenggai.audit import retention
from zhenggai.audit.canonical import utc_iso
from zhenggai.audit.checkpoints import CheckpointError
from zhenggai.audit.keys import AuditKeyError


class Command(BaseCommand):
    help = "归档并清理超过保存期限的审计记录（至少保存 6 个月）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="只报告将清理多少条，不做改动")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            report = retention.purge(dry_run=opts["dry_run"])
        except AuditKeyError as exc:
            self.stderr.write(f"zhenggai: {exc}")
            raise SystemExit(2) from None
        except (retention.PurgeRefused, CheckpointError) as exc:
            self.stderr.write(f"zhenggai: {exc}")
            raise SystemExit(1) from None
        if opts["json"]:
            doc = {
                "cutoff": utc_iso(report.cutoff),
                "cut_seq": report.cut_seq,
                "rows": report.deleted,
                "dry_run": report.dry_run,
                "archive": str(report.archive) if report.archive else None,
                "archive_sm3": report.archive_sm3 or None,
            }
            self.stdout.write(json.dumps(doc, ensure_ascii=False))
            return
        when = f"{timezone.localtime(report.cutoff):%Y-%m-%d %H:%M}"
        if report.deleted == 0:
            self.stdout.write(f"没有早于 {when} 的审计记录，无需清理")
        elif report.dry_run:
            self.stdout.write(
                f"将归档并清理 {report.deleted} 条早于 {when} 的审计记录（序号 1–{report.cut_seq} 以内）"
            )
        else:
            self.stdout.write(
                f"已归档并清理 {report.deleted} 条审计记录（至序号 {report.cut_seq}）：{report.archive}"
                f"（SM3 {report.archive_sm3}）"
            )
