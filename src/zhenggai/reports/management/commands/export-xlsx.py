"""`zhenggai export-xlsx ROUND FILE`: write the 整改台账 workbook of a round (recorded in the audit log)."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand
from django.http import Http404

from zhenggai.reports.services import workbook_export
from zhenggai.reports.xlsx import ScriptError, scripted_actor_and_round


class Command(BaseCommand):
    help = "导出巡察轮次的整改台账（Excel 工作簿）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("round", help="巡察轮次编号")
        parser.add_argument("file", help="输出文件路径（.xlsx）")
        parser.add_argument("--user", help="以该用户的身份导出（默认：命令行系统账户）")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            actor, round_ = scripted_actor_and_round(opts["round"], opts.get("user"))
        except ScriptError as exc:
            self._fail(str(exc))
        target = Path(opts["file"])
        folder = target.parent if str(target.parent) else Path(".")
        if not folder.is_dir():
            self._fail(f"无法写入 {target}：目录不存在")
        # Written next to the target and renamed at the end: no half-written workbook is left behind.
        try:
            fd, part = tempfile.mkstemp(prefix=".zhenggai-", suffix=".xlsx", dir=folder)
        except OSError as exc:
            self._fail(f"无法写入 {target}：{exc.strerror or exc}")
        try:
            with os.fdopen(fd, "wb") as out:
                count = workbook_export(actor=actor, round=round_, target=out, via="cli").measures
            os.replace(part, target)
        except Http404:
            Path(part).unlink(missing_ok=True)
            self._fail(f"未找到巡察轮次 {opts['round']}")
        except OSError as exc:
            Path(part).unlink(missing_ok=True)
            self._fail(f"无法写入 {target}：{exc.strerror or exc}")
        except BaseException:
            Path(part).unlink(missing_ok=True)
            raise
        self.stdout.write(f"已导出 {count} 条措施：{target}")

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"zhenggai: {message}")
        raise SystemExit(2)
