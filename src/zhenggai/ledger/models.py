"""The rectification ledger: rounds, findings, measures, progress, reviews, close-outs.

Models hold data and constraints; the workflow (who may move what where, which statuses
count as finished) lives in ``policy.py``. Every scoped row carries an explicit ``unit``
(the inspected unit of its round) so that scoping is one indexed filter.
"""

from __future__ import annotations

from typing import TypeVar

from django.conf import settings
from django.db import models

from zhenggai.accounts.models import Sensitivity
from zhenggai.units.models import Unit

_M = TypeVar("_M", bound=models.Model)


class LiveManager(models.Manager[_M]):
    """Rows not soft-deleted: the default manager, so every list, count and export skips them."""

    def get_queryset(self) -> models.QuerySet[_M]:
        return super().get_queryset().filter(deleted_at__isnull=True)


class SoftDeleted(models.Model):
    """Soft delete (a correction with a reason, restorable): ``objects`` hides the row,
    ``everything`` still sees it. One deletion marks the row and what hangs under it with the
    same ``deleted_batch``, so a restore brings back exactly what that deletion hid."""

    deleted_at = models.DateTimeField("删除时间", null=True, blank=True, db_index=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deleted_reason = models.CharField("删除原因", max_length=500, blank=True)
    deleted_batch = models.CharField(max_length=32, blank=True)

    objects = LiveManager()
    everything = models.Manager()  # noqa: DJ012  (ruff reads it as a field)

    class Meta:
        abstract = True
        base_manager_name = "everything"


class RoundKind(models.TextChoices):
    REGULAR = "regular", "常规巡察"
    SPECIAL = "special", "专项巡察"
    MOBILE = "mobile", "机动巡察"
    LOOKBACK = "lookback", "巡察“回头看”"


class Round(SoftDeleted):
    """One inspection of one unit (巡察轮次) and everything that follows from it."""

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="rounds", verbose_name="被巡察单位")
    title = models.CharField("名称", max_length=200)
    kind = models.CharField("巡察类型", max_length=20, choices=RoundKind.choices, default=RoundKind.REGULAR)
    inspecting_group = models.CharField("巡察组", max_length=100, blank=True)
    period_start = models.DateField("巡察开始", null=True, blank=True)
    period_end = models.DateField("巡察结束", null=True, blank=True)
    feedback_date = models.DateField("反馈日期", null=True, blank=True)
    plan_due = models.DateField("整改方案报送期限", null=True, blank=True)
    report_due = models.DateField("整改报告报送期限", null=True, blank=True)
    source_name = models.CharField("来源文件", max_length=255, blank=True)
    source_sha256 = models.CharField("来源文件摘要", max_length=64, blank=True, db_index=True)
    #: SHA-256 of the document's text with every blank removed and the width folded: the same
    #: letter saved as .docx, .pdf or .txt, or re-saved with other spacing, has the same one.
    source_text_sha256 = models.CharField("来源文本摘要", max_length=64, blank=True, db_index=True)
    source_doc_type = models.CharField(max_length=30, blank=True)
    plan_version = models.PositiveIntegerField("方案版本", default=1)
    #: 责任领导审核: a submitted measure goes first to its responsible leader, then to the unit head.
    leader_prereview = models.BooleanField("责任领导预审", default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    version = models.PositiveIntegerField(default=1)

    class Meta(SoftDeleted.Meta):
        verbose_name = "巡察轮次"
        verbose_name_plural = "巡察轮次"
        ordering = ["-created_at", "-id"]
        constraints = [
            # The same file imported twice for the same unit is the same round (a deleted
            # round's file may be imported again).
            models.UniqueConstraint(
                fields=["unit", "source_sha256"],
                condition=~models.Q(source_sha256="") & models.Q(deleted_at__isnull=True),
                name="round_source_unique_per_unit",
            ),
        ]

    def __str__(self) -> str:
        return self.title


class DocumentKind(models.TextChoices):
    FEEDBACK = "feedback", "反馈意见"
    PLAN = "plan", "整改方案"
    NOTICE = "notice", "整改进展情况通报"
    OTHER = "other", "其他"


class SourceDocument(models.Model):
    """A document imported into a round: the round grows document by document (反馈意见,
    then 整改方案, then 通报). Its text is kept as read, so a finding's or a measure's span
    points into it and the problem page can show the problem in its place."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="documents")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(
        "文件类型", max_length=20, choices=DocumentKind.choices, default=DocumentKind.OTHER
    )
    name = models.CharField("文件名", max_length=255)
    sha256 = models.CharField("文件摘要", max_length=64, db_index=True)
    #: As ``Round.source_text_sha256``: the same document in another format has the same one.
    text_sha256 = models.CharField("文本摘要", max_length=64, db_index=True)
    doc_type = models.CharField(max_length=30, blank=True)
    text = models.TextField("文本")
    #: What the import did, for the round's history: counts matched / added / proposed.
    summary = models.JSONField(default=dict, blank=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "来源文件"
        verbose_name_plural = "来源文件"
        ordering = ["imported_at", "id"]

    def __str__(self) -> str:
        return self.name


class FindingKind(models.TextChoices):
    CATEGORY = "category", "问题类别"
    ISSUE = "issue", "问题"
    PROBLEM = "problem", "具体问题"


class ProblemStatus(models.TextChoices):
    OPEN = "open", "整改中"
    CLOSED = "closed", "已销号"


class Finding(SoftDeleted):
    """A node of the findings tree: category → issue → problem (any depth)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="findings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.CASCADE, related_name="children"
    )
    kind = models.CharField("层级", max_length=20, choices=FindingKind.choices)
    number = models.CharField("编号", max_length=20, blank=True)
    title = models.CharField("标题", max_length=500)
    #: The sentences that state the problem's facts (反馈意见's text under its heading).
    description = models.TextField("问题描述", blank=True)
    position = models.PositiveIntegerField("顺序", default=0)
    status = models.CharField(
        "销号状态", max_length=20, choices=ProblemStatus.choices, default=ProblemStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reopen_count = models.PositiveIntegerField(default=0)
    #: The rectification cycle: 1, then one more each time a look-back (回头看) finds a relapse
    #: (反弹); the earlier cycles' progress, reviews and close-outs stay as history.
    cycle = models.PositiveIntegerField("整改轮次", default=1)
    # 客体安全标记 (REQ-1.10); never below the parent's (ledger.services keeps it so).
    sensitivity = models.CharField(
        "安全标记", max_length=20, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    #: The document the span points into (None: typed in, or imported before documents were kept).
    source = models.ForeignKey(
        SourceDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    span_start = models.IntegerField(null=True, blank=True)
    span_end = models.IntegerField(null=True, blank=True)

    class Meta(SoftDeleted.Meta):
        verbose_name = "问题"
        verbose_name_plural = "问题"
        ordering = ["round_id", "position"]
        indexes = [
            models.Index(fields=["round", "kind", "position"]),
            # 搜索与筛选 walks findings in (round, position, id) order and stops at a page's end;
            # the overview reads a round's tree in that order without sorting.
            models.Index(fields=["round", "position", "id"]),
            # A unit's problems (the unit head's completion curve, the supervisor's 可销号).
            models.Index(fields=["unit", "kind", "deleted_at"]),
            # The few problems labelled above a clearance (``selectors.measure_cleared_q``).
            models.Index(fields=["sensitivity"], name="finding_sensitivity"),
        ]
        constraints = [
            # Every label is a known one, so "not labelled above the clearance" is "labelled
            # within it" (``selectors.measure_cleared_q``): no label escapes both lists.
            models.CheckConstraint(
                condition=models.Q(sensitivity__in=Sensitivity.values), name="finding_sensitivity_known"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class MeasureKind(models.TextChoices):
    IMMEDIATE = "immediate", "立行立改"
    DEADLINE = "deadline", "限期整改"
    LONG_TERM = "long_term", "长期坚持"


class MeasureStatus(models.TextChoices):
    NOT_STARTED = "not_started", "未开始"
    IN_PROGRESS = "in_progress", "整改中"
    #: Submitted, awaiting the responsible leader (责任领导审核) when the round asks for it.
    LEADER_REVIEW = "leader_review", "待领导审核"
    PENDING_REVIEW = "pending_review", "待审核"
    DONE = "done", "已完成"
    STAGE_DONE = "stage_done", "阶段性完成"


class Measure(SoftDeleted):
    """A rectification measure of one problem, with its owners and deadline."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="measures")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="measures")
    position = models.PositiveIntegerField("顺序", default=0)
    text = models.TextField("整改措施")
    kind = models.CharField(
        "整改类型", max_length=20, choices=MeasureKind.choices, default=MeasureKind.DEADLINE
    )
    leader = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_measures",
        verbose_name="责任领导",
    )
    department = models.ForeignKey(
        Unit,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="department_measures",
        verbose_name="责任部门",
    )
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="owned_measures",
        verbose_name="责任人",
    )
    deadline = models.DateField("完成时限", null=True, blank=True)
    #: The deadline before the first granted extension (None: never extended); on-time rates are
    #: reported against both.
    original_deadline = models.DateField("原完成时限", null=True, blank=True)
    #: When the responsible person was (last) assigned.
    assigned_at = models.DateTimeField("分配时间", null=True, blank=True)
    status = models.CharField(
        "整改状态", max_length=20, choices=MeasureStatus.choices, default=MeasureStatus.NOT_STARTED
    )
    completed_at = models.DateTimeField("完成时间", null=True, blank=True)
    #: The local date (Asia/Shanghai) of ``completed_at``: on-time rates compare it with the
    #: deadline in the database, without converting every timestamp row by row.
    completed_on = models.DateField("完成日期", null=True, blank=True)
    # 客体安全标记 (REQ-1.10); what counts is the higher of this and the problem's.
    sensitivity = models.CharField(
        "安全标记", max_length=20, choices=Sensitivity.choices, default=Sensitivity.INTERNAL
    )
    # What the source document said, kept as suggestions the clerk may accept.
    status_hint = models.CharField(max_length=20, blank=True)
    suggested_deadline = models.DateField("建议时限", null=True, blank=True)
    leader_hint = models.CharField(max_length=50, blank=True)
    person_hint = models.CharField(max_length=50, blank=True)
    department_hint = models.CharField(max_length=100, blank=True)
    #: 配合单位 as the plan wrote them (names, "、"-joined); shown, not yet linked to units.
    cooperating_hint = models.CharField("配合单位", max_length=300, blank=True)
    #: The document the span points into (None: typed in, or imported before documents were kept).
    source = models.ForeignKey(
        SourceDocument, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    span_start = models.IntegerField(null=True, blank=True)
    span_end = models.IntegerField(null=True, blank=True)
    version = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta(SoftDeleted.Meta):
        verbose_name = "整改措施"
        verbose_name_plural = "整改措施"
        ordering = ["finding_id", "position", "id"]
        indexes = [
            models.Index(fields=["round", "status"]),
            models.Index(fields=["person", "status"]),
            models.Index(fields=["unit", "deadline"]),
            # A finding's measures in list order (搜索与筛选's inner loop), and what a problem's
            # state and completion need of them, from the index alone.
            models.Index(fields=["finding", "position", "id", "deleted_at", "status", "completed_at"]),
            # The round overview's counts, answered from the index alone (no table row read):
            # by finding and status (the tree, labels hidden), by department and status.
            models.Index(fields=["round", "deleted_at", "finding", "status", "sensitivity", "deadline"]),
            models.Index(fields=["round", "deleted_at", "department", "status", "deadline"]),
            # 我的任务: a responsible leader's measures counted by status, round and deadline, and
            # each box's most urgent read in deadline order, from the index alone.
            models.Index(
                fields=[
                    "leader",
                    "deleted_at",
                    "deadline",
                    "status",
                    "round",
                    "sensitivity",
                    "unit",
                    "finding",
                ]
            ),
            # The round list's and the dashboard's per-round counts (all, done, overdue, on
            # time), from the index alone (key columns, not INCLUDE: SQLite has no INCLUDE).
            models.Index(
                fields=["round", "status", "deadline", "completed_on", "original_deadline"],
                condition=models.Q(deleted_at__isnull=True),
                name="measure_live_round_status",
            ),
            # A problem's live measures by status: 可销号 (every measure finished) as EXISTS /
            # NOT EXISTS probes.
            models.Index(
                fields=["finding", "status"],
                condition=models.Q(deleted_at__isnull=True),
                name="measure_live_finding_status",
            ),
            # Open measures by deadline: the overdue and warning lists, overdue search, in order.
            models.Index(
                fields=["deadline", "id"],
                condition=models.Q(
                    deleted_at__isnull=True,
                    status__in=[
                        MeasureStatus.IN_PROGRESS,
                        MeasureStatus.LEADER_REVIEW,
                        MeasureStatus.NOT_STARTED,
                        MeasureStatus.PENDING_REVIEW,
                    ],
                ),
                name="measure_open_deadline",
            ),
        ]

    def __str__(self) -> str:
        return self.text[:40]


class Progress(models.Model):
    """A progress entry (整改进展) on a measure; evidence files hang off it."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="progress")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField("进展情况")
    # The one-time token of the form that sent it (blank when not sent from a form): the same
    # form sent twice (back and resubmit) makes one entry.
    token = models.CharField("提交标识", max_length=64, blank=True, default="", editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "整改进展"
        verbose_name_plural = "整改进展"
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "token"],
                condition=~models.Q(token=""),
                name="progress_token_once_per_measure",
            ),
        ]

    def __str__(self) -> str:
        return f"整改进展 #{self.pk}"


class Evidence(models.Model):
    """A file of evidence (佐证材料), stored content-addressed and write-once.

    ``storage_name`` is the digest of the bytes under ``algorithm`` (SM3 unless
    ``EVIDENCE_DIGEST`` says SHA-256): the same bytes uploaded twice are two rows and
    one blob, so it is not unique. ``sha256`` is the SHA-256 of the bytes, whatever the
    algorithm (kept for compatibility and for checks by other tools).
    """

    progress = models.ForeignKey(Progress, on_delete=models.CASCADE, related_name="evidence")
    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="evidence")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField("原文件名", max_length=255)
    storage_name = models.CharField("存储名（内容摘要）", max_length=100, db_index=True)
    algorithm = models.CharField("摘要算法", max_length=10, choices=[("sm3", "SM3"), ("sha256", "SHA-256")])
    sha256 = models.CharField(max_length=64, db_index=True)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "佐证材料"
        verbose_name_plural = "佐证材料"
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.original_name

    @property
    def digest(self) -> str:
        """``algorithm:hex``, as the verifier and the backup manifest print it."""
        return f"{self.algorithm}:{self.storage_name}"


class ReviewDecision(models.TextChoices):
    APPROVE = "approve", "审核通过"
    APPROVE_STAGE = "approve_stage", "阶段性完成"
    RETURN = "return", "退回"


class Review(models.Model):
    """A reviewer's decision on a submitted measure."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="reviews")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField("审核意见", max_length=20, choices=ReviewDecision.choices)
    reason = models.TextField("理由", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"审核 #{self.pk}"


class ClosureAction(models.TextChoices):
    CLOSE = "close", "对账销号"
    SEND_BACK = "send_back", "退回整改"
    REOPEN = "reopen", "重新打开"


class Closure(models.Model):
    """A supervisor's close-out, send-back or reopening of a problem."""

    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="closures")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20, choices=ClosureAction.choices)
    reason = models.TextField(blank=True)
    #: The problem's cycle the action belongs to (``Finding.cycle`` at the time).
    cycle = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"销号记录 #{self.pk}"


class PlanSignature(models.Model):
    """The unit leader's sign-off (签字背书) of one version of the plan."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="signatures")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    digest = models.CharField(max_length=64)
    signed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["signed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["round", "version"], name="signature_once_per_version")
        ]

    def __str__(self) -> str:
        return f"方案签字 第{self.version}版"


class Amendment(models.Model):
    """A change to a signed plan: what changed, from what, to what, by whom."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="amendments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    measure = models.ForeignKey(Measure, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_version = models.PositiveIntegerField()
    description = models.CharField(max_length=500)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"方案变更 #{self.pk}"


class OutcomeKind(models.TextChoices):
    RULE = "rule", "建章立制"
    MONEY = "money", "资金清退/追缴"
    ACCOUNTABILITY = "accountability", "追责问责"


class Outcome(models.Model):
    """A result of the rectification (rule made, money recovered, accountability)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="outcomes")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    measure = models.ForeignKey(
        Measure, null=True, blank=True, on_delete=models.SET_NULL, related_name="outcomes"
    )
    kind = models.CharField(max_length=20, choices=OutcomeKind.choices)
    title = models.CharField(max_length=300)
    amount_yuan = models.DecimalField(max_digits=16, decimal_places=2, null=True, blank=True)
    count = models.PositiveIntegerField(null=True, blank=True)
    source_text = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"整改成效 #{self.pk}"
