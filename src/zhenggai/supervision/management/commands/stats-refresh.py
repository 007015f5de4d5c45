"""`zhenggai stats-refresh [--at YYYY-MM-DD] [--json]`: count the dashboard's figures again.

The dashboard (督办看板) of a scope of more than ``ZHENGGAI_DASHBOARD_SNAPSHOT_ABOVE`` measures
(default 100,000: a province) reads the figures this command counted instead of counting them
per page view, and says when they were counted. Run it from a systemd timer or cron every few
minutes (and soon after midnight: the warning tiers and overdue figures are those of the day
counted for). Idempotent: run twice, the second run rewrites the same figures. ``--at`` counts
another day as today (for the tests). Exit 2 on a date that cannot be read.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhenggai.supervision.management.commands.remind import parse_day
from zhenggai.supervision.services.figures import round_figures_refresh


class Command(BaseCommand):
    help = "重新统计督办看板各巡察轮次的数据（问题、措施、预警、延期）；可重复运行"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--at", metavar="YYYY-MM-DD", help="按该日期统计（默认今天），用于测试")
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        at = parse_day(opts["at"]) if opts.get("at") else None
        started = time.monotonic()
        report = round_figures_refresh(at=at)
        seconds = time.monotonic() - started
        if opts["json"]:
            self.stdout.write(
                json.dumps(
                    {
                        "rounds": report.rounds,
                        "measures": report.measures,
                        "removed": report.removed,
                        "counted_on": report.counted_on.isoformat(),
                        "seconds": round(seconds, 2),
                    },
                    ensure_ascii=False,
                )
            )
            return
        on = report.counted_on
        line = (
            f"已统计 {report.rounds} 个巡察轮次（{report.measures} 条整改措施，"
            f"统计日期 {on.year}年{on.month}月{on.day}日），用时 {seconds:.1f} 秒"
        )
        if report.removed:
            line += f"；清除 {report.removed} 个已删除轮次的统计"
        self.stdout.write(line)
