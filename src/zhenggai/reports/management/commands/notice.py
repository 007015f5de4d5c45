"""`zhenggai notice ROUND --docx FILE` / `--pdf FILE`: write the 整改进展情况的通报.

Exit 0 when written (warnings such as missing fonts or no feedback channels go to stderr),
2 on unusable input (unknown round, no output given, a path that cannot be written);
errors are one line on stderr. ``plan`` and ``report`` (the 整改情况报告) share this code.
Each file written is an export on the audit record (``reports.services.document_export``),
made as the system account.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser


class DocumentCommand(BaseCommand):
    kind = "notice"
    formats: tuple[str, ...] = ("docx", "pdf")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("round", help="巡察轮次编号")
        for fmt in self.formats:
            parser.add_argument(f"--{fmt}", metavar="FILE", help=f"输出 {fmt} 文件")

    def handle(self, *args: Any, **opts: Any) -> None:
        from zhenggai.ledger.models import Round
        from zhenggai.ledger.system import system_actor_for
        from zhenggai.reports.services import document_export

        try:
            round_id = int(opts["round"])
        except ValueError:
            self._fail(f"轮次编号应为数字：{opts['round']}")
        round_ = Round.objects.select_related("unit").filter(pk=round_id).first()
        if round_ is None:
            self._fail(f"未找到巡察轮次 {round_id}")
        targets = [(fmt, opts[fmt]) for fmt in self.formats if opts.get(fmt)]
        if not targets:
            self._fail("请用 " + " 或 ".join(f"--{f}" for f in self.formats) + " 指定输出文件")
        for _, path in targets:
            self._check_writable(path)
        actor = system_actor_for(round_.unit)
        warnings: list[str] = []
        for fmt, path in targets:
            # One audited export per file written (reports.services: who, which round, which format).
            export = document_export(actor=actor, round=round_, kind=self.kind, fmt=fmt, via="cli")
            warnings += [w for w in export.warnings if w not in warnings]
            self._write(path, export.data)
            self.stdout.write(f"已生成 {path}")
        for w in warnings:
            self.stderr.write(f"zhenggai: 警告：{w}")

    def _check_writable(self, path: str) -> None:
        folder = Path(path).resolve().parent
        if Path(path).is_dir():
            self._fail(f"无法写入 {path}：这是一个文件夹")
        if not folder.is_dir():
            self._fail(f"无法写入 {path}：文件夹 {folder} 不存在")
        if not os.access(folder, os.W_OK):
            self._fail(f"无法写入 {path}：没有写入权限")

    def _write(self, path: str, data: bytes) -> None:
        target = Path(path)
        try:
            fd, tmp = tempfile.mkstemp(prefix=".zhenggai-", dir=target.resolve().parent)
            with os.fdopen(fd, "wb") as out:
                out.write(data)
            os.replace(tmp, target)
        except OSError as exc:
            self._fail(f"无法写入 {path}：{exc.strerror or exc}")

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"zhenggai: {message}")
        raise SystemExit(2)


class Command(DocumentCommand):
    help = "生成整改进展情况的通报（Word 和/或 PDF）"
    kind = "notice"
    formats = ("docx", "pdf")
