"""`zhenggai import-xlsx ROUND FILE [--dry-run] [--json] [--user USERNAME]`: apply an edited workbook.

Exit 0 when applied (or, with --dry-run, when every row can be applied), 1 when
rows cannot be applied (nothing is changed), 2 when the file cannot be used.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand

from zhenggai.reports.services import workbook_import
from zhenggai.reports.xlsx import ScriptError, scripted_actor_and_round
from zhenggai.reports.xlsx_import import ImportReport, WorkbookRefused


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "（空）"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    text = text.replace("\n", " ")
    return text if len(text) <= 60 else text[:59] + "…"


class Command(BaseCommand):
    help = "导入修改后的整改台账（Excel 工作簿）；--dry-run 只列出修改，不写入"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("round", help="巡察轮次编号")
        parser.add_argument("file", help="修改后的台账文件（.xlsx）")
        parser.add_argument("--dry-run", action="store_true", help="只列出将要修改的内容和无法导入的行")
        parser.add_argument("--json", action="store_true", help="输出 JSON")
        parser.add_argument("--user", help="以该用户的身份导入（默认：命令行系统账户，整改办角色）")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            actor, round_ = scripted_actor_and_round(opts["round"], opts.get("user"))
        except ScriptError as exc:
            self._fail(str(exc))
        path = Path(opts["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._fail(f"无法读取 {path}：{exc.strerror or exc}")
        try:
            report = workbook_import(actor=actor, round=round_, data=data, dry_run=opts["dry_run"], via="cli")
        except WorkbookRefused as exc:
            self._fail(f"{path.name}：{exc}")
        if opts["json"]:
            self.stdout.write(json.dumps(report.as_json(), ensure_ascii=False))
        else:
            self._print(report)
        if report.error_count:
            raise SystemExit(1)

    def _print(self, report: ImportReport) -> None:
        w = self.stdout.write
        for c in report.changes:
            w(f"第 {c.row} 行 措施 {c.measure} {c.label}：{_shown(c.old)} → {_shown(c.new)}")
        for e in report.errors:
            w(f"第 {e.row} 行：{e.message}")
        if report.errors_omitted:
            w(f"另有 {report.errors_omitted} 处错误未列出；共 {report.error_count} 行无法导入，未作任何修改")
        summary = f"读取 {report.rows} 行，{report.measures_changed} 条措施共 {len(report.changes)} 项修改"
        if report.error_count:
            w(f"{summary}；{report.error_count} 行无法导入，未作任何修改")
        elif report.applied:
            w(f"{summary}，已全部写入")
        elif report.changes:
            w(f"{summary}（试运行，未写入）")
        else:
            w(f"{summary}：台账与系统一致，没有需要导入的修改")

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"zhenggai: {message}")
        raise SystemExit(2)
