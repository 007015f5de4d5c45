"""`zhenggai audit-checkpoint [--json]`: seal the current head of the chain in the checkpoint file.

Run it from cron at the end of each day. It first verifies the rows written since the last
checkpoint (it never signs a chain that does not verify: exit 1), then appends a signed
checkpoint of the newest row; run twice with no new events, the second run writes nothing.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.db import router

from zhenggai.audit import checkpoints, verify
from zhenggai.audit.chain import head
from zhenggai.audit.keys import AuditKeyError
from zhenggai.audit.models import AuditEvent


class Command(BaseCommand):
    help = "为审计记录链写入检查点（签名后追加到库外的检查点文件）；可重复运行"
    # Run even when a check fails (a missing key must give exit 2, not a check report).
    requires_system_checks: tuple[str, ...] = ()

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        using = router.db_for_write(AuditEvent)
        try:
            result = verify.verify_chain(using=using)
            if not result.ok:
                self.stderr.write(verify.describe(result) + "；未写入检查点")
                raise SystemExit(1)
            h = head(using)
            if h.seq == 0:
                doc, written = None, False
            else:
                doc, written = checkpoints.append(
                    seq=h.seq, mac=h.mac, alg=h.alg, count=checkpoints.count_upto(h.seq, using), kind="manual"
                )
        except AuditKeyError as exc:
            self.stderr.write(f"zhenggai: {exc}")
            raise SystemExit(2) from None
        except checkpoints.CheckpointError as exc:
            self.stderr.write(f"zhenggai: {exc}")
            raise SystemExit(1) from None
        path = checkpoints.checkpoint_path()
        if opts["json"]:
            self.stdout.write(
                json.dumps({"written": written, "checkpoint": doc, "file": str(path)}, ensure_ascii=False)
            )
        elif doc is None:
            self.stdout.write("审计记录为空，无需写入检查点")
        elif written:
            self.stdout.write(f"已写入检查点：序号 {h.seq}，{path}")
        else:
            self.stdout.write(f"检查点已是最新（序号 {h.seq}），未重复写入")
