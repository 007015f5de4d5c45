"""`zhenggai evidence-verify [--json]`: re-hash every stored evidence file (REQ-1.17).

Exit 0 when every file has the digest recorded at upload; 1 with one line per bad file
(its id, name and recorded digest: missing, or changed); 2 when the database cannot be
read (not migrated, unreachable).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.db import DatabaseError

from zhenggai.ops.verify import verify_evidence


class Command(BaseCommand):
    help = "重新计算每个佐证文件的摘要，报告缺失或被改动的文件"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            report = verify_evidence()
        except DatabaseError as exc:
            first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
            self.stderr.write(
                f"zhenggai: 无法读取佐证材料（数据库不可用或尚未迁移，请先运行 zhenggai migrate）：{first}"
            )
            raise SystemExit(2) from exc
        except OSError as exc:
            self.stderr.write(f"zhenggai: 无法读取佐证文件目录：{exc}")
            raise SystemExit(2) from exc
        if opts["json"]:
            doc = {
                "schema": "zhenggai.evidence-verify/1",
                "rows": report.rows,
                "blobs": report.blobs,
                "problems": [p.as_json() for p in report.problems],
            }
            self.stdout.write(json.dumps(doc, ensure_ascii=False))
        else:
            for p in report.problems:
                self.stdout.write(p.line())
            verdict = "全部一致" if report.ok else f"{len(report.problems)} 条有问题"
            self.stdout.write(f"佐证材料 {report.rows} 条，文件 {report.blobs} 个：{verdict}")
        if not report.ok:
            raise SystemExit(1)
