"""The ``zhenggai`` command.

``parse`` and ``lint`` are pure textparse and start without Django. Exit status
follows docs/interfaces.md: 0 success, 1 ran and found problems, 2 unusable input.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import TextIO

from .textparse.model import Finding, ParseResult
from .textparse.reader import ReadError

_KIND_ZH = {"category": "类别", "issue": "问题", "problem": "具体问题"}
_SECTION_ZH = {
    "organisation": "组织领导",
    "findings": "问题整改",
    "long_term": "长效机制",
    "next_steps": "下一步",
    "other": "其他",
}
_DOC_ZH = {
    "progress_notice": "整改进展通报",
    "feedback": "巡察反馈意见",
    "plan": "整改方案",
    "unknown": "未识别",
}
_SEVERITY_ZH = {"error": "错误", "warning": "警告", "info": "提示"}


def _line_col(text: str, pos: int) -> tuple[int, int]:
    line = text.count("\n", 0, pos) + 1
    col = pos - (text.rfind("\n", 0, pos) + 1) + 1
    return line, col


def _print_outline(r: ParseResult, out: TextIO) -> None:
    w = out.write
    w(f"文件：{r.source.name}（{r.source.chars} 字，{_DOC_ZH[r.doc_type]}）\n")
    if r.title:
        w(f"标题：{r.title}\n")
    i = r.inspection
    w(f"巡察组：{i.inspecting_group or '—'}　被巡察单位：{i.inspected_unit or '—'}\n")
    period = f"{i.period_start or '—'} 至 {i.period_end or '—'}"
    w(f"巡察时间：{period}　反馈日期：{i.feedback_date or '—'}\n")
    for s in r.sections:
        w(f"部分 {s.number or ''}、{s.title}（{_SECTION_ZH[s.kind]}）\n")

    def show(f: Finding, depth: int) -> None:
        pad = "  " * depth
        num = f"{f.number} " if f.number else ""
        w(
            f"{pad}{_KIND_ZH[f.kind]} {num}{f.title}"
            + (f"（{len(f.measures)} 项措施）" if f.measures else "")
            + "\n"
        )
        for c in f.children:
            show(c, depth + 1)

    for f in r.findings:
        show(f, 0)
    c = r.counts
    w(f"合计：{c.categories} 个类别，{c.issues} 个问题，{c.problems} 个具体问题，{c.measures} 项措施\n")
    ch = r.feedback_channels
    if ch.phone or ch.address or ch.email:
        w(f"监督渠道：电话 {ch.phone or '—'}；地址 {ch.address or '—'}；邮箱 {ch.email or '—'}\n")
    if r.diagnostics:
        w(f"诊断 {len(r.diagnostics)} 条（详见 zhenggai lint）\n")


def _cmd_parse(args: argparse.Namespace, out: TextIO) -> int:
    from .textparse.parse import parse_document
    from .textparse.reader import read_path
    from .textparse.serialize import parse_json

    result = parse_document(read_path(args.file))
    if args.json:
        json.dump(parse_json(result), out, ensure_ascii=False)
        out.write("\n")
    else:
        _print_outline(result, out)
    return 0


def _cmd_lint(args: argparse.Namespace, out: TextIO) -> int:
    from .textparse.lint import lint
    from .textparse.parse import parse_document
    from .textparse.reader import read_path
    from .textparse.serialize import lint_json

    result = parse_document(read_path(args.file))
    findings = lint(result)
    if args.json:
        json.dump(lint_json(result.source, findings), out, ensure_ascii=False)
        out.write("\n")
    else:
        for f in findings:
            line, col = _line_col(result.text, f.span[0])
            out.write(
                f"{result.source.name}:{line}:{col}: {_SEVERITY_ZH[f.severity]} [{f.code}] "
                f"{f.message}　«{f.excerpt}»\n"
            )
        if not findings:
            out.write(f"{result.source.name}：未发现问题\n")
    return 1 if any(f.severity != "info" for f in findings) else 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="zhenggai", description="zhenggai 巡察整改")
    sub = p.add_subparsers(dest="command", required=True)
    for name, help_ in (
        ("parse", "读取整改文件（txt、doc、docx、wps、rtf、pdf、ofd、html），输出结构"),
        ("lint", "检查整改文件本身的问题（编号、序号、日期、标点等）"),
    ):
        sp = sub.add_parser(name, help=help_)
        sp.add_argument("file", help="文件路径，- 表示标准输入")
        sp.add_argument("--json", action="store_true", help="输出 JSON")
    return p


#: Commands that need no database and start without Django.
PURE_COMMANDS = ("parse", "lint")


def _django(argv: list[str]) -> int:
    """Every other command is a Django management command (migrate, import, demo …)."""
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["zhenggai", *argv])
    except SystemExit as exc:
        return int(exc.code or 0) if not isinstance(exc.code, str) else 1
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list and args_list[0] not in PURE_COMMANDS and not args_list[0].startswith("-"):
        return _django(args_list)
    parser = build_parser()
    args = parser.parse_args(args_list)
    handlers = {"parse": _cmd_parse, "lint": _cmd_lint}
    try:
        return handlers[args.command](args, sys.stdout)
    except ReadError as exc:
        print(f"zhenggai: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
