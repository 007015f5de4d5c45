"""`zhenggai import FILE [--unit NAME] [--json]`: a round from a document."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser

from zhenggai.errors import ServiceError
from zhenggai.ledger.imports import round_import
from zhenggai.ledger.system import system_actor_for
from zhenggai.units.models import Unit


class Command(BaseCommand):
    help = "从巡察反馈意见、整改方案或整改进展通报创建巡察轮次"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--unit", help="被巡察单位名称（默认取文件中的被巡察单位）")
        parser.add_argument("--json", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        path = opts["file"]
        try:
            data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
        except OSError as exc:
            self._fail(f"无法读取 {path}：{exc.strerror or exc}")
        name = "stdin.txt" if path == "-" else Path(path).name
        try:
            unit_name = opts["unit"] or _unit_from(data, name)
            unit = Unit.objects.filter(name=unit_name).order_by("path").first()
            if unit is None:
                self._fail(f"未找到单位“{unit_name}”：请先建立该单位，或用 --unit 指定已有单位")
            actor = system_actor_for(unit)
            round_, created = round_import(actor=actor, unit=unit, data=data, name=name)
        except ServiceError as exc:
            self._fail(str(exc))
        counts = {
            "categories": round_.findings.filter(kind="category").count(),
            "issues": round_.findings.filter(kind="issue").count(),
            "problems": round_.findings.filter(kind="problem").count(),
            "measures": round_.measures.count(),
        }
        if opts["json"]:
            self.stdout.write(
                json.dumps({"round": round_.pk, "created": created, "counts": counts}, ensure_ascii=False)
            )
        else:
            self.stdout.write(str(round_.pk))

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"zhenggai: {message}")
        raise SystemExit(2)


def _unit_from(data: bytes, name: str) -> str:
    from zhenggai.errors import InvalidInput
    from zhenggai.textparse.parse import parse_document
    from zhenggai.textparse.reader import ReadError, read_bytes

    try:
        r = parse_document(read_bytes(data, name))
    except ReadError as exc:
        raise InvalidInput(str(exc)) from exc
    if not r.inspection.inspected_unit:
        raise InvalidInput("文件中没有写明被巡察单位，请用 --unit 指定")
    return r.inspection.inspected_unit
