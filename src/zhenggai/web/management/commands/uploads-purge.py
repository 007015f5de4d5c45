"""`zhenggai uploads-purge`: remove pending uploads (kept between a preview and its
confirmation) older than ``UPLOAD_PENDING_HOURS``. Idempotent; run it from cron."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from zhenggai.http import uploads


class Command(BaseCommand):
    help = "清除超过保留期限仍未确认的上传文件"

    def handle(self, *args: Any, **opts: Any) -> None:
        removed = uploads.purge_expired()
        self.stdout.write(f"已清除 {removed} 个过期的待确认上传文件")
