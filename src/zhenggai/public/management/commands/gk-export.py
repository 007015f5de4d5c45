"""`zhenggai gk-export DIR`: write the public site as a static folder (see ``public.export``).

Exit 0 when written, 2 when the folder cannot be used (a file, or a non-empty folder that is
not an earlier export); errors are one line on stderr. Idempotent: run it after each
publication (or from cron) and point nginx or the CMS at DIR.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from zhenggai.errors import InvalidInput
from zhenggai.public.export import export_site


class Command(BaseCommand):
    help = "导出公开网站（静态 HTML、PDF、Word、开放数据和订阅源），供 nginx 或政府网站系统直接发布"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("dir", help="导出到的文件夹（已有的导出会被整体替换）")

    def handle(self, *args: Any, **opts: Any) -> None:
        try:
            result = export_site(Path(opts["dir"]))
        except (InvalidInput, OSError) as err:
            self.stderr.write(f"zhenggai: {err}")
            sys.exit(2)
        self.stdout.write(
            f"已导出到 {result.path}：{result.rounds} 个轮次，{result.versions} 个版本，{result.files} 个文件"
        )
