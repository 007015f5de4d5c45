"""整改质量体检: signs of sham rectification in one unit's ledger, each with the evidence that
raised it, for a supervisor of the unit.

- ``shared-evidence``: the same evidence file (same digest) behind measures of different problems;
- ``copied-progress``: the same progress text on several measures (or rounds);
- ``early-completion``: completed before the plan was signed (立行立改 measures excepted: they are
  done before the plan by nature) or before the measure was assigned;
- ``deadline-rush``: many measures of a round completed within ``RoundSettings.rush_hours`` of
  their deadline;
- ``no-evidence``: finished with no evidence file;
- ``stale-long-term``: a 长期坚持 measure with no progress for ``stage_report_months`` months;
- ``vague``: the measure's text is vague (``textparse`` lint's ``measure-vague`` rule).

A fixed number of queries whatever the size of the ledger (each check lists at most ``LIMIT``
cases, and says how many there are). Flags are signs, not verdicts: the page says so.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import (
    BooleanField,
    Case,
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Length
from django.http import Http404
from django.utils import timezone

from zhenggai.accounts.actors import Viewer
from zhenggai.ledger.models import (
    Evidence,
    Measure,
    MeasureKind,
    MeasureStatus,
    PlanSignature,
    Progress,
)
from zhenggai.ledger.policy import FINISHED
from zhenggai.ledger.selectors import measure_cleared_q, today
from zhenggai.ledger.services import add_months
from zhenggai.textparse.dates import find_dates
from zhenggai.textparse.facts import find_documents
from zhenggai.textparse.lint import _CONCRETE, _VAGUE
from zhenggai.textparse.money import find_amounts
from zhenggai.textparse.numerals import fold_width
from zhenggai.units.models import Unit

from ..models import RoundSettings
from .dashboard import supervised_units
from .desks import under_q

S = MeasureStatus
#: Cases listed per check (the count says how many there are in all), and measures per case.
LIMIT = 30
CASE_MEASURES = 20
#: Progress texts shorter than this are not "copied" (已完成, 按计划推进 are said by everyone).
MIN_COPIED_CHARS = 15
#: A round is flagged for deadline rush when at least this many of its measures, and this share
#: of those finished with a deadline, were completed within ``rush_hours`` of the deadline.
RUSH_MIN = 3
RUSH_SHARE = 0.2


def is_vague(text: str) -> bool:
    """lint's ``measure-vague`` on a measure's text: vague words (进一步加强, 提高认识) and no
    time, number, amount, document or concrete action."""
    t = fold_width(text)
    if not _VAGUE.search(t) or _CONCRETE.search(t) or re.search(r"\d", t):
        return False
    return not (find_dates(t) or find_amounts(t) or find_documents(t))


@dataclass
class MeasureRef:
    """A measure a flag points at (its text only when the user is cleared for it)."""

    pk: int
    text: str
    round_title: str
    finding: str
    cleared: bool


@dataclass
class FlagCase:
    """One occurrence: what raised it (``summary``, ``details`` as label/value pairs, the
    ``quote`` of copied text) and the measures involved."""

    summary: str
    measure_ids: list[int]
    details: list[tuple[str, str]] = field(default_factory=list)
    quote: str = ""
    measures: list[MeasureRef] = field(default_factory=list)


@dataclass
class Flag:
    code: str
    title: str
    explanation: str
    count: int = 0
    cases: list[FlagCase] = field(default_factory=list)


@dataclass
class QualityReport:
    unit: Unit
    flags: list[Flag]

    @property
    def total(self) -> int:
        return sum(f.count for f in self.flags)


def quality_unit_for_user(*, user: Viewer, unit_id: int) -> Unit:
    """A unit under the user's supervision (404 otherwise, for everyone else too)."""
    units = supervised_units(user)
    unit = Unit.objects.filter(under_q(units, field_name=""), pk=unit_id).first() if units else None
    if unit is None:
        raise Http404("未找到该单位")
    return unit


def _when(value: dt.datetime | dt.date | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, dt.datetime):
        local = timezone.localtime(value)
        return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"
    return f"{value.year}年{value.month}月{value.day}日"


def quality_report(*, user: Viewer, unit: Unit) -> QualityReport:
    """Every flag of ``unit`` (and the units under it); ``unit`` comes from
    ``quality_unit_for_user``. Eleven queries whatever the size."""
    in_unit = Q(unit__path__startswith=unit.path)
    measures = Measure.objects.filter(
        in_unit, round__deleted_at__isnull=True, finding__deleted_at__isnull=True
    )
    flags = [
        _shared_evidence(in_unit),
        _copied_progress(in_unit),
        _early_completion(measures),
        _deadline_rush(measures),
        _no_evidence(measures),
        _stale_long_term(measures),
        _vague(measures),
    ]
    _resolve(user, flags)
    return QualityReport(unit, flags)


def _shared_evidence(in_unit: Q) -> Flag:
    flag = Flag(
        "shared-evidence",
        "同一佐证材料用于不相关的措施",
        "同一个文件（内容摘要相同）被上传为不同问题下措施的佐证材料。",
    )
    live = Evidence.objects.filter(in_unit, measure__deleted_at__isnull=True)
    digests = list(
        live.order_by()
        .values("algorithm", "storage_name")
        .annotate(problems=Count("measure__finding", distinct=True))
        .filter(problems__gt=1)
        .order_by("-problems", "storage_name")
        .values_list("storage_name", flat=True)
    )
    flag.count = len(digests)
    shown = digests[:LIMIT]
    rows = (
        live.filter(storage_name__in=shown)
        .order_by("uploaded_at", "id")
        .values_list("algorithm", "storage_name", "measure_id", "original_name", "uploaded_at")
    )
    grouped: dict[str, list[tuple[str, int, str, dt.datetime]]] = defaultdict(list)
    for algorithm, digest, mid, name, at in rows:
        grouped[digest].append((algorithm, mid, name, at))
    for digest in shown:
        files = grouped.get(digest, [])
        if not files:
            continue
        ids = list(dict.fromkeys(mid for _, mid, _, _ in files))
        names = "、".join(dict.fromkeys(name for _, _, name, _ in files))
        flag.cases.append(
            FlagCase(
                f"同一文件用于 {len(ids)} 条措施",
                ids,
                [
                    ("内容摘要", f"{files[0][0]}:{digest}"),
                    ("文件名", names),
                    ("上传时间", f"{_when(files[0][3])} 至 {_when(files[-1][3])}"),
                ],
            )
        )
    return flag


def _copied_progress(in_unit: Q) -> Flag:
    flag = Flag(
        "copied-progress",
        "进展情况雷同",
        f"相同的进展情况文字（{MIN_COPIED_CHARS}字以上）出现在多条措施或多个巡察轮次中。",
    )
    live = Progress.objects.filter(in_unit, measure__deleted_at__isnull=True)
    texts = list(
        live.annotate(n=Length("text"))
        .filter(n__gte=MIN_COPIED_CHARS)
        .order_by()
        .values("text")
        .annotate(measures=Count("measure", distinct=True))
        .filter(measures__gt=1)
        .order_by("-measures", "text")
        .values_list("text", flat=True)
    )
    flag.count = len(texts)
    shown = texts[:LIMIT]
    rows = (
        live.filter(text__in=shown)
        .order_by("created_at", "id")
        .values_list("text", "measure_id", "measure__round_id", "created_at")
    )
    grouped: dict[str, list[tuple[int, int, dt.datetime]]] = defaultdict(list)
    for text, mid, rid, at in rows:
        grouped[text].append((mid, rid, at))
    for text in shown:
        entries = grouped.get(text, [])
        if not entries:
            continue
        ids = list(dict.fromkeys(mid for mid, _, _ in entries))
        rounds = len({rid for _, rid, _ in entries})
        where = f"，跨 {rounds} 个巡察轮次" if rounds > 1 else ""
        flag.cases.append(
            FlagCase(
                f"同一段进展文字用于 {len(ids)} 条措施{where}",
                ids,
                [("填报时间", f"{_when(entries[0][2])} 至 {_when(entries[-1][2])}")],
                quote=text,
            )
        )
    return flag


def _early_completion(measures: QuerySet[Measure]) -> Flag:
    flag = Flag(
        "early-completion",
        "完成早于方案签字或任务分配",
        "措施标记完成的时间早于整改方案签字（立行立改措施除外），或早于分配责任人。",
    )
    first_signed = Subquery(
        PlanSignature.objects.filter(round=OuterRef("round_id"))
        .order_by("signed_at", "id")
        .values("signed_at")[:1]
    )
    before_assigned = Q(assigned_at__isnull=False, completed_at__lt=F("assigned_at"))
    before_signed = ~Q(kind=MeasureKind.IMMEDIATE) & (
        Q(first_signed__isnull=True) | Q(completed_at__lt=F("first_signed"))
    )
    qs = (
        measures.filter(status__in=sorted(FINISHED), completed_at__isnull=False)
        .annotate(first_signed=first_signed)
        .annotate(
            early_assigned=Case(
                When(before_assigned, then=Value(True)), default=Value(False), output_field=BooleanField()
            )
        )
        .filter(before_assigned | before_signed)
        .order_by("round_id", "completed_at", "pk")
    )
    rows = list(
        qs.values_list("pk", "completed_at", "first_signed", "assigned_at", "early_assigned")[: LIMIT + 1]
    )
    flag.count = len(rows) if len(rows) <= LIMIT else qs.count()
    for pk, completed, signed, assigned, early_assigned in rows[:LIMIT]:
        details = [("标记完成", _when(completed))]
        reasons = []
        if early_assigned:
            reasons.append("早于分配责任人")
            details.append(("分配时间", _when(assigned)))
        if signed is None or completed < signed:
            reasons.append("早于方案签字" if signed else "方案尚未签字")
            details.append(("方案签字", _when(signed) if signed else "尚未签字"))
        flag.cases.append(FlagCase("完成" + "、".join(reasons), [pk], details))
    return flag


def _deadline_rush(measures: QuerySet[Measure]) -> Flag:
    flag = Flag(
        "deadline-rush",
        "临近时限集中突击完成",
        f"同一轮次中较多措施（至少{RUSH_MIN}条，且占已完成的{int(RUSH_SHARE * 100)}%以上）"
        "在完成时限前几小时内才标记完成（小时数见该轮次的督办设置）。",
    )
    rows = list(
        measures.filter(status__in=sorted(FINISHED), completed_at__isnull=False, deadline__isnull=False)
        .order_by("round_id", "pk")
        .values_list("pk", "round_id", "round__title", "deadline", "completed_at")
    )
    round_ids = {rid for _, rid, _, _, _ in rows}
    hours = dict(RoundSettings.objects.filter(round_id__in=round_ids).values_list("round_id", "rush_hours"))
    tz = timezone.get_current_timezone()
    finished: dict[int, int] = defaultdict(int)
    rushed: dict[int, list[tuple[int, dt.datetime]]] = defaultdict(list)
    titles: dict[int, str] = {}
    for pk, rid, title, deadline, completed in rows:
        if deadline is None or completed is None:  # filtered out above; for the type checker
            continue
        titles[rid] = title
        finished[rid] += 1
        end = dt.datetime.combine(deadline + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
        if end - dt.timedelta(hours=hours.get(rid, 24)) <= completed <= end:
            rushed[rid].append((pk, completed))
    for rid, items in rushed.items():
        if len(items) >= RUSH_MIN and len(items) >= RUSH_SHARE * finished[rid]:
            flag.count += 1
            if len(flag.cases) < LIMIT:
                flag.cases.append(
                    FlagCase(
                        f"“{titles[rid]}”中 {len(items)} 条措施在时限前 {hours.get(rid, 24)} 小时内完成",
                        [pk for pk, _ in items[:LIMIT]],
                        [
                            ("已完成（有时限）", str(finished[rid])),
                            ("临近时限完成", f"{len(items)}（{100 * len(items) / finished[rid]:.0f}%）"),
                        ],
                    )
                )
    return flag


def _no_evidence(measures: QuerySet[Measure]) -> Flag:
    flag = Flag("no-evidence", "完成但无佐证材料", "措施已完成（或阶段性完成），却没有上传任何佐证材料。")
    qs = (
        measures.filter(status__in=sorted(FINISHED))
        .filter(~Exists(Evidence.objects.filter(measure=OuterRef("pk"))))
        .order_by("round_id", "finding_id", "position", "pk")
    )
    rows = list(qs.values_list("pk", "completed_at")[: LIMIT + 1])
    flag.count = len(rows) if len(rows) <= LIMIT else qs.count()
    for pk, completed in rows[:LIMIT]:
        flag.cases.append(FlagCase("已完成，无佐证材料", [pk], [("标记完成", _when(completed))]))
    return flag


def _stale_long_term(measures: QuerySet[Measure]) -> Flag:
    flag = Flag(
        "stale-long-term",
        "长期坚持措施久未报告",
        "“长期坚持”类措施超过规定月数（见该轮次的督办设置）没有填报阶段进展。",
    )
    rows = list(
        measures.filter(kind=MeasureKind.LONG_TERM)
        .exclude(status=S.DONE)
        .annotate(last_progress=Max("progress__created_at"))
        .order_by("round_id", "pk")
        .values_list("pk", "round_id", "last_progress", "assigned_at", "created_at")
    )
    months = dict(
        RoundSettings.objects.filter(round_id__in={r for _, r, _, _, _ in rows}).values_list(
            "round_id", "stage_report_months"
        )
    )
    on = today()
    for pk, rid, last, assigned, created in rows:
        n = months.get(rid, 3)
        limit = add_months(on, -n)
        since = last or assigned or created
        if since is not None and timezone.localdate(since) < limit:
            flag.count += 1
            if len(flag.cases) < LIMIT:
                flag.cases.append(
                    FlagCase(
                        f"超过 {n} 个月未填报阶段进展",
                        [pk],
                        [("最近一次进展", _when(last) if last else "从未填报"), ("规定间隔", f"{n} 个月")],
                    )
                )
    return flag


def _vague(measures: QuerySet[Measure]) -> Flag:
    flag = Flag(
        "vague",
        "措施空泛",
        "措施只写了“进一步加强”“提高认识”之类，没有时间、数量、制度文件或具体行动（与导入检查的“措施较空泛”同一规则）。",
    )
    # The vague words first (a quick search): only those texts are read for dates and numbers.
    rows = measures.order_by("round_id", "finding_id", "position", "pk").values_list("pk", "text")
    for pk, text in rows.iterator(chunk_size=2000):
        if _VAGUE.search(text) and is_vague(text):
            flag.count += 1
            if len(flag.cases) < LIMIT:
                flag.cases.append(FlagCase("措施空泛", [pk]))
    return flag


def _resolve(user: Viewer, flags: list[Flag]) -> None:
    """Give every case its measures (one query; text hidden above the user's clearance). A case
    that involves a measure above the user's clearance shows neither the copied text nor the file
    names: they are that measure's content (REQ-1.10)."""
    ids = {pk for f in flags for c in f.cases for pk in c.measure_ids}
    if not ids:
        return
    cleared = Case(
        When(measure_cleared_q(user), then=Value(True)), default=Value(False), output_field=BooleanField()
    )
    refs = {
        pk: MeasureRef(pk, text if ok else "", rtitle, f"{num} {ftitle}".strip() if ok else "", ok)
        for pk, text, rtitle, num, ftitle, ok in Measure.objects.filter(pk__in=ids)
        .annotate(ok=cleared)
        .values_list("pk", "text", "round__title", "finding__number", "finding__title", "ok")
    }
    for f in flags:
        for c in f.cases:
            c.measures = [refs[pk] for pk in c.measure_ids[:CASE_MEASURES] if pk in refs]
            if not all(refs[pk].cleared for pk in c.measure_ids if pk in refs):
                c.quote = ""
                c.details = [(k, v) for k, v in c.details if k != "文件名"]
