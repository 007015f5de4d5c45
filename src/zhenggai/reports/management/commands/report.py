"""`zhenggai report ROUND --docx FILE` / `--pdf FILE`: write the 整改情况报告 (as ``notice`` does)."""

from __future__ import annotations

from zhenggai.reports.management.commands.notice import DocumentCommand


class Command(DocumentCommand):
    help = "生成巡察整改情况报告（Word 和/或 PDF）"
    kind = "report"
    formats = ("docx", "pdf")
