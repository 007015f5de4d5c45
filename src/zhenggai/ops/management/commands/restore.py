"""`zhenggai restore DIR`: restore a backup into an empty instance (REQ-4.1, REQ-4.2).

Every digest of the backup is checked before anything is written. Exit 0 when restored
and the result matches the manifest (row counts and checksums of every table, evidence,
the audit chain); 1 when the backup is damaged (nothing written; the first bad file is
named) or the restored instance does not match; 2 on unusable input (not a backup, a
target that is not empty, another database vendor). See ``zhenggai.ops.backup``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from zhenggai.ops.backup import OpsError, restore


class Command(BaseCommand):
    help = "把备份恢复到一个空实例，并核对行数、校验和、佐证文件和审计链"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dir", help="zhenggai backup 写出的备份目录")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            outcome = restore(Path(opts["dir"]))
        except OpsError as exc:
            self.stderr.write(f"zhenggai: {exc}")
            raise SystemExit(exc.exit_code) from exc
        if outcome.problems:
            for line in outcome.problems:
                self.stdout.write(line)
            self.stderr.write(f"zhenggai: 恢复后的实例与备份清单不符（{len(outcome.problems)} 处）")
            raise SystemExit(1)
        self.stdout.write(outcome.summary)
