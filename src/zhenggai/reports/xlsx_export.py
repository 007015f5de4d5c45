"""Writing the 整改台账 workbook of a round (sheet 整改台账, sheet 统计, hidden sheet _meta).

A fixed number of queries whatever the size of the round, and memory that does not
grow with the number of measures: the findings' titles (one narrow query), the
statistics (two grouped queries), the members (to spell people unambiguously) and
one streamed query over the measures with their owners' names, latest progress
text and evidence count joined or subqueried in.

安全标记 (REQ-1.10): the rows are the measures the user is cleared for; the statistics
count the whole round, as the overview does, and say how many rows were left out.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from django.db.models import Count, IntegerField, OuterRef, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation

from zhenggai.accounts.actors import Viewer
from zhenggai.ledger import selectors
from zhenggai.ledger.models import (
    Evidence,
    Finding,
    Measure,
    Progress,
    Round,
)
from zhenggai.ledger.policy import is_overdue, overdue_q
from zhenggai.units.selectors import members_of

from .exporters import Exporter, Row, SheetLayout, cell_text, data_cell, write_table
from .xlsx import (
    COLUMNS,
    INDEX,
    KIND_LABEL,
    MAIN_SHEET,
    META_SHEET,
    SCHEMA,
    STATS_SHEET,
    STATUS_LABEL,
    person_label,
    round_key,
)

CHUNK = 2000
_BAD_FILENAME = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')


def _list_validation(labels: list[str], column: str, first_row: int, title: str) -> DataValidation:
    dv = DataValidation(
        type="list",
        formula1='"' + ",".join(labels) + '"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle=title,
        error=f"请从下拉列表中选择{title}",
    )
    dv.add(f"{column}{first_row}:{column}1048576")
    return dv


def finding_titles(round: Round) -> dict[int, tuple[str, str]]:
    """finding id → (the title of its top-level ancestor, its own title); one narrow query."""
    nodes = {
        pk: (parent, title)
        for pk, parent, title in Finding.objects.filter(round=round).values_list("pk", "parent_id", "title")
    }
    top: dict[int, str] = {}

    def root_title(pk: int) -> str:
        chain = []
        while pk not in top:
            parent = nodes[pk][0]
            if parent is None or parent not in nodes:
                top[pk] = nodes[pk][1]
                break
            chain.append(pk)
            pk = parent
        for c in chain:
            top[c] = top[pk]
        return top[pk]

    return {pk: (root_title(pk), title) for pk, (_, title) in nodes.items()}


def round_tally(round: Round, today: dt.date) -> tuple[selectors.Tally, list[tuple[str, selectors.Tally]]]:
    """The figures of ``selectors.round_overview`` (its ``Tally``), counted by the database.

    Two grouped queries, so memory does not grow with the round (the overview holds
    every measure's projection, which a 100,000-measure export should not). The
    problem states are ``selectors.round_problem_tally``'s; a test keeps the two equal.
    """
    total = selectors.Tally()
    by_department: dict[str, selectors.Tally] = defaultdict(selectors.Tally)
    grouped = (
        Measure.objects.filter(round=round)
        .order_by()
        .values_list("department__name", "status")
        .annotate(n=Count("pk"), late=Count("pk", filter=overdue_q(today)))
    )
    for name, status, n, late in grouped:
        for t in (total, by_department[name or "（未分配部门）"]):
            t.measures[status] += n
            t.overdue += late
    total.add(selectors.round_problem_tally(round=round, chunk_size=CHUNK))
    return total, sorted(by_department.items())


class LedgerExporter(Exporter):
    """The 整改台账 of one round: one row per measure, grouped under its problem."""

    sheet_title = MAIN_SHEET
    columns = COLUMNS

    def __init__(self, *, user: Viewer, round: Round, today: dt.date | None = None) -> None:
        self.user = user
        self.round = round
        self.today = today or selectors.today()
        self.problems: dict[int, tuple[str, str]] = {}
        self.ambiguous: frozenset[str] = frozenset()
        first = len(self.title_lines()) + 2
        letter = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
        self.layout = SheetLayout(
            validations=[
                _list_validation(list(STATUS_LABEL.values()), letter[INDEX["status"]], first, "整改状态"),
                _list_validation(list(KIND_LABEL.values()), letter[INDEX["kind"]], first, "整改类型"),
            ]
        )

    def title_lines(self) -> list[str]:
        r = self.round
        return [
            f"{r.title}　整改台账",
            f"被巡察单位：{r.unit.name}　导出日期：{self.today:%Y年%m月%d日}"
            "　（红色底纹：逾期未完成。请勿修改表头、合并单元格或改动隐藏的系统编号列）",
        ]

    # --- before the rows: the statistics, and what the rows look up -----------------------------

    def before_rows(self, wb: Workbook) -> None:
        self.problems = finding_titles(self.round)
        tally, by_department = round_tally(self.round, self.today)
        self._write_stats(wb, tally, by_department, self._left_out())
        names = Counter(
            (name or username)
            for name, username in members_of(self.round.unit).values_list("display_name", "username")
        )
        self.ambiguous = frozenset(n for n, k in names.items() if k > 1)

    def _cleared(self) -> Q:
        return selectors.measure_cleared_q(self.user)

    def _left_out(self) -> int:
        """Measures of the round above the user's clearance (one count; none when cleared for all)."""
        cleared = self._cleared()
        if not cleared:
            return 0
        return Measure.objects.filter(round=self.round).exclude(cleared).count()

    def _write_stats(
        self,
        wb: Workbook,
        t: selectors.Tally,
        by_department: list[tuple[str, selectors.Tally]],
        left_out: int = 0,
    ) -> None:
        r = self.round
        rate = t.completion_rate
        info = [
            ("巡察轮次", r.title),
            ("被巡察单位", r.unit.name),
            ("巡察组", r.inspecting_group or "—"),
            ("反馈日期", r.feedback_date or "—"),
            ("导出日期", self.today),
        ]
        totals = [
            ("具体问题（个）", t.problems),
            ("已完成（个，含已销号）", t.problems_complete),
            ("基本完成（个，不计入完成率）", t.problems_basic),
            ("已销号（个）", t.problems_closed),
            ("完成率（%）", float(rate) if rate is not None else "—"),
            ("整改措施（项）", t.measure_total),
            ("逾期未完成（项）", t.overdue),
        ]
        if left_out:
            totals.append(("安全标记高于导出人许可级别、未列入台账的措施（项）", left_out))
        statuses = [(label, t.measures.get(v, 0)) for v, label in STATUS_LABEL.items()]
        depts = [
            (name, d.measure_total, *(d.measures.get(v, 0) for v in STATUS_LABEL), d.overdue)
            for name, d in by_department
        ]
        write_table(
            wb,
            STATS_SHEET,
            [
                ("巡察轮次", ["项目", "内容"], info),
                ("整改完成情况（完成率按已完成问题数计算，基本完成不计入）", ["项目", "数量"], totals),
                ("整改措施状态", ["整改状态", "措施数"], statuses),
                ("按责任部门", ["责任部门", "措施数", *STATUS_LABEL.values(), "逾期未完成"], depts),
            ],
            widths=(30, 16, 10, 10, 10, 10, 12, 12),
            heading=f"{r.title}　整改统计",
        )

    # --- the rows ------------------------------------------------------------------------------

    def queryset(self) -> Any:
        latest = (
            Progress.objects.filter(measure=OuterRef("pk")).order_by("-created_at", "-id").values("text")[:1]
        )
        evidence = (
            Evidence.objects.filter(measure=OuterRef("pk"))
            .order_by()
            .values("measure")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            Measure.objects.filter(self._cleared(), round=self.round)
            .order_by("finding__position", "position", "id")
            .annotate(
                latest_progress=Subquery(latest),
                evidence_count=Coalesce(Subquery(evidence, output_field=IntegerField()), Value(0)),
            )
            .values_list(
                "pk",
                "version",
                "finding_id",
                "text",
                "kind",
                "leader__display_name",
                "leader__username",
                "department__name",
                "person__display_name",
                "person__username",
                "deadline",
                "status",
                "latest_progress",
                "completed_at",
                "evidence_count",
            )
        )

    def rows(self) -> Iterator[Row]:
        problems = self.problems
        ambiguous = self.ambiguous
        today = self.today
        tz = timezone.get_current_timezone()
        for seq, (
            pk,
            version,
            finding_id,
            text,
            kind,
            leader_name,
            leader_user,
            department,
            person_name,
            person_user,
            deadline,
            status,
            progress,
            completed_at,
            evidence,
        ) in enumerate(self.queryset().iterator(chunk_size=CHUNK), 1):
            category, problem = problems.get(finding_id, ("", ""))
            overdue = is_overdue(status, deadline, today)
            yield Row(
                (
                    seq,
                    category,
                    problem,
                    text,
                    KIND_LABEL.get(kind, kind),
                    person_label(leader_name, leader_user, ambiguous) if leader_user else None,
                    department,
                    person_label(person_name, person_user, ambiguous) if person_user else None,
                    deadline,
                    STATUS_LABEL.get(status, status),
                    progress,
                    completed_at.astimezone(tz).date() if completed_at else None,
                    evidence,
                    pk,
                    version,
                ),
                "overdue" if overdue else "",
            )

    # --- after the rows: the round marker ------------------------------------------------------

    def after_rows(self, wb: Workbook, count: int) -> None:
        ws = wb.create_sheet(META_SHEET)
        ws.sheet_state = "veryHidden"
        for key, value in (
            ("schema", SCHEMA),
            ("round", self.round.pk),
            ("round_key", round_key(self.round)),
            ("title", self.round.title),
            ("exported_at", timezone.now().isoformat(timespec="seconds")),
            ("measures", count),
        ):
            ws.append([data_cell(ws, key), data_cell(ws, value)])
        wb.properties.title = cell_text(f"{self.round.title} 整改台账")
        wb.properties.creator = "zhenggai"


def export_round(*, user: Viewer, round: Round, target: str | Path | IO[bytes]) -> int:
    """Write the 整改台账 workbook of ``round`` as ``user`` sees it; return the number of measures.

    Not recorded: views and commands export through ``reports.services.workbook_export``,
    which records the export (tests and benchmarks build workbooks with this).
    """
    selectors.round_get_for_user(user=user, pk=round.pk)  # scope: an outsider gets Http404
    return LedgerExporter(user=user, round=round).write(target)


def download_name(round: Round, today: dt.date | None = None) -> str:
    """The file name a browser saves the workbook under (Chinese, without path characters)."""
    title = _BAD_FILENAME.sub("", round.title).strip()[:80] or "巡察整改"
    return f"{title}-整改台账-{(today or selectors.today()):%Y%m%d}.xlsx"


__all__ = ["LedgerExporter", "download_name", "export_round"]
