"""`zhenggai audit-verify [--json]`: recompute the audit chain and compare it with the checkpoints.

Exit 0 when the chain verifies, 1 at the first bad row (named by seq and id, with the
reason), 2 when the input is unusable (a missing or malformed key file).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from zhenggai.audit import verify
from zhenggai.audit.keys import AuditKeyError


class Command(BaseCommand):
    help = "核验审计记录链和检查点：重算每条记录的 MAC，发现第一处问题即报告并以 1 退出"
    # Run even when a check fails (a missing key must give exit 2, not a check report).
    requires_system_checks: tuple[str, ...] = ()

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = verify.verify_chain()
        except AuditKeyError as exc:
            self.stderr.write(f"zhenggai: {exc}")
            raise SystemExit(2) from None
        if opts["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            for w in result.warnings:
                self.stderr.write(f"注意：{w}")
            self.stdout.write(verify.describe(result))
        if not result.ok:
            self.stdout.flush()
            raise SystemExit(1)
