"""`zhenggai backup DIR`: the database, the evidence and a manifest of digests (REQ-4.1).

DIR must be missing or empty. Exit 0 when written; 1 when written but some evidence file
was missing or damaged (listed, and left out), or when pg_dump failed; 2 on unusable
input (a non-empty DIR, an in-memory database …). See ``zhenggai.ops.backup``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand

from zhenggai.ops.backup import OpsError, backup


class Command(BaseCommand):
    help = "备份数据库和佐证文件到一个新目录，附摘要清单"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("dir", help="备份目录（不存在或为空）")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            outcome = backup(Path(opts["dir"]))
        except OpsError as exc:
            self.stderr.write(f"zhenggai: {exc}")
            raise SystemExit(exc.exit_code) from exc
        for line in outcome.problems:
            self.stdout.write(line)
        self.stdout.write(outcome.summary)
        if outcome.problems:
            raise SystemExit(1)
