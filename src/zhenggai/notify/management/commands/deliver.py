"""`zhenggai deliver [--at ISO] [--limit N] [--loop --interval S] [--json]`: send the outbox.

Safe to run from cron every minute, from a systemd timer, or as several ``--loop`` processes at
once (on PostgreSQL they never send one row twice: ``notify.delivery``). Exit status 0 when it
ran (rows that failed are retried later, or given up and listed); 2 for unusable arguments.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import threading
from typing import Any, NoReturn

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from zhenggai.notify.delivery import DeliveryReport, deliver


class Command(BaseCommand):
    help = "发送待发的电子邮件和短信（失败的按退避间隔重试；每日汇总在设定的时刻发送）"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--at", help="以该时刻为当前时间（ISO 8601，如 2026-12-05T08:00+08:00；无时区按北京时间）"
        )
        parser.add_argument("--limit", type=int, default=200, help="每轮最多发送的条数（默认 200）")
        parser.add_argument("--loop", action="store_true", help="持续运行，每隔 --interval 秒发送一轮")
        parser.add_argument("--interval", type=float, default=30.0, help="--loop 的间隔秒数（默认 30）")
        parser.add_argument("--json", action="store_true", help="每轮输出一行 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        at = _parse_at(opts["at"]) if opts["at"] else None
        if opts["at"] and at is None:
            self._fail(f"无法识别的时刻：{opts['at']}（应为 ISO 8601，如 2026-12-05T08:00）")
        if opts["limit"] < 1:
            self._fail("--limit 须为正整数")
        if opts["interval"] <= 0:
            self._fail("--interval 须大于 0")
        if opts["loop"] and at is not None:
            self._fail("--loop 与 --at 不能同时使用")
        worker = f"{socket.gethostname()}:{os.getpid()}"
        if not opts["loop"]:
            self._show(deliver(now=at, limit=opts["limit"], worker=worker), opts["json"])
            return
        # systemd's stop (SIGTERM) or Ctrl-C ends the loop after the round being sent, so no
        # row is left claimed and unrecorded (it would wait for its lease to run out).
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        while not stop.is_set():
            report = deliver(limit=opts["limit"], worker=worker)
            if report.claimed:  # a quiet log while there is nothing to send
                self._show(report, opts["json"])
            close_old_connections()
            # A full batch: a backlog, go on at once; else wait for the interval (or the stop).
            if report.claimed < opts["limit"]:
                stop.wait(opts["interval"])

    def _show(self, report: DeliveryReport, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), ensure_ascii=False))
            return
        if not report.claimed:
            self.stdout.write("没有待发送的消息")
            return
        line = (
            f"已发送 {report.sent} 条（其中每日汇总邮件 {report.digests} 封），"
            f"稍后重试 {report.retried} 条，放弃 {report.failed} 条，取消 {report.cancelled} 条"
        )
        self.stdout.write(line)
        for error in report.errors:
            self.stderr.write(f"zhenggai: {error}")

    def _fail(self, message: str) -> NoReturn:
        self.stderr.write(f"zhenggai: {message}")
        raise SystemExit(2)


def _parse_at(value: str) -> dt.datetime | None:
    """An ISO datetime (naive = Beijing time) or a date (its midnight, Beijing time)."""
    try:
        when = parse_datetime(value.strip())
    except ValueError:
        return None
    if when is None:
        try:
            day = parse_date(value.strip())
        except ValueError:
            return None
        if day is None:
            return None
        when = dt.datetime.combine(day, dt.time())
    if timezone.is_naive(when):
        when = timezone.make_aware(when, timezone.get_default_timezone())
    return when
