"""`zhenggai remind [--at YYYY-MM-DD] [--json]`: queue the warnings due (三色预警 and black).

Run it from cron once a day (after midnight, before ``zhenggai deliver``). Idempotent: run
twice the same day, the second run queues nothing. ``--at`` counts another day as today (for
the tests, and to catch up on a day the run was missed). Exit 2 on a date that cannot be read.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from zhenggai.supervision.rules import LEVELS
from zhenggai.supervision.services.reminders import EXTRA_SOURCES, remind

#: What the registered deadline sources are called in the command's output.
SOURCE_NAMES = {"feedback": "群众反馈答复时限"}


def parse_day(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CommandError(
            f"日期“{text}”无法识别，请按 YYYY-MM-DD 格式填写，例如 2026-12-01", returncode=2
        ) from None


class Command(BaseCommand):
    help = "计算到期的预警（绿、黄、红、黑）并加入待发消息；同一天重复运行不会重复提醒"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--at", metavar="YYYY-MM-DD", help="按该日期计算（默认今天），用于测试和补发")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        at = parse_day(opts["at"]) if opts.get("at") else None
        report = remind(at=at)
        # The other deadlines (the reply deadlines of citizen feedback, …), each idempotent too.
        extra = {name: fn(at=at or timezone.localdate()) for name, fn in sorted(EXTRA_SOURCES.items())}
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "queued": report.queued,
                        "by_tier": report.by_tier,
                        "cancelled": report.cancelled,
                        **extra,
                    },
                    ensure_ascii=False,
                )
            )
            return
        for name, count in extra.items():
            if count:
                self.stdout.write(f"已加入 {count} 条{SOURCE_NAMES.get(name, name)}提醒")
        if not report.queued:
            self.stdout.write("没有新的预警需要发送")
        else:
            parts = "，".join(f"{LEVELS[k]} {n} 条" for k, n in report.by_tier.items())
            self.stdout.write(f"已加入 {report.queued} 条预警：{parts}")
        if report.cancelled:
            self.stdout.write(f"已取消 {report.cancelled} 条过时的预警（责任人或完成时限已变更）")
