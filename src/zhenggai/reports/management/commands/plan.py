"""`zhenggai plan ROUND --docx FILE`: write the 整改方案 (exit codes as ``notice``)."""

from __future__ import annotations

from zhenggai.reports.management.commands.notice import DocumentCommand


class Command(DocumentCommand):
    help = "生成整改方案（Word）"
    kind = "plan"
    formats = ("docx",)
