"""`zhenggai feedback-purge [--json]`: the retention of citizens' personal data (个人信息保护).

Wipes the name, phone, e-mail, blind indexes and attachments of feedback whose handling ended
more than ``ZHENGGAI_FEEDBACK_RETENTION_DAYS`` ago (the opinion and the handling stay), and the
expired rate-limit counters. Idempotent; run it from cron once a day.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand
from django.utils import timezone

from zhenggai.feedback.handling import feedback_purge


class Command(BaseCommand):
    help = "按保存期限清除群众反馈中的个人信息（姓名、电话、邮箱、附件）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--json", action="store_true", help="输出 JSON")

    def handle(self, *args: Any, **opts: Any) -> None:
        purged = feedback_purge(now=timezone.now())
        if opts["json"]:
            self.stdout.write(json.dumps({"purged": purged}))
        else:
            self.stdout.write(f"已清除 {purged} 件群众反馈中的个人信息")
