"""Supervision (督办): warning tiers and reminders, extensions, verification after close-out,
look-backs (回头看), effectiveness evaluation (整改成效评估) and follow-up orders (督办单).

The rules (which tier a measure is in, who may decide what) live in ``rules.py``; the writes in
``services/``; the reads in ``selectors.py``. Every scoped row carries its ``unit``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhenggai.ledger.models import Finding, Measure, Round
from zhenggai.units.models import Unit


def default_tiers() -> list[dict[str, object]]:
    """江津's 三色预警 and a fourth, black tier: ``days`` is how many days before the deadline
    (negative: after it) the tier begins; ``notify`` who is told, each tier adding to the last."""
    return [
        {"key": "green", "days": 20, "notify": ["person"]},
        {"key": "yellow", "days": 10, "notify": ["person", "leader"]},
        {"key": "red", "days": -1, "notify": ["person", "leader", "unit_head"]},
        {"key": "black", "days": -30, "notify": ["person", "leader", "unit_head", "supervisor"]},
    ]


class RoundSettings(models.Model):
    """A round's supervision settings: the warning tiers and the sham-rectification thresholds."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="supervision_settings")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    tiers = models.JSONField("预警档次", default=default_tiers)
    #: A 长期坚持 measure with no progress for this many months is flagged (整改质量体检).
    stage_report_months = models.PositiveSmallIntegerField("长期坚持措施阶段报告间隔（月）", default=3)
    #: "Completed within hours of the deadline": how many hours count as "just before".
    rush_hours = models.PositiveSmallIntegerField("临近时限突击完成（小时）", default=24)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "督办设置"
        verbose_name_plural = "督办设置"

    def __str__(self) -> str:
        return f"督办设置 {self.round_id}"


class Reminder(models.Model):
    """A warning tier reached by one measure for one owner and one deadline: made once by
    ``zhenggai remind`` (the unique constraint makes a second run on the same day add nothing);
    a changed owner or deadline makes a new key and cancels the old one's pending deliveries."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="reminders")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    tier = models.CharField("预警档次", max_length=10)
    deadline = models.DateField("完成时限")
    person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    #: The day the run that made it counted as today (``--at``).
    due_on = models.DateField("提醒日期")
    created_at = models.DateTimeField(auto_now_add=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "预警提醒"
        verbose_name_plural = "预警提醒"
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure", "tier", "deadline", "person"], name="reminder_once_per_owner_deadline"
            )
        ]

    def __str__(self) -> str:
        return f"{self.tier} 提醒 #{self.pk}"


class ExtensionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    GRANTED = "granted", "已同意"
    REFUSED = "refused", "不同意"
    WITHDRAWN = "withdrawn", "已撤回"


class Extension(models.Model):
    """申请延期: the responsible person asks for a new deadline; the responsible leader or the
    unit head decides. The measure keeps its first deadline (``Measure.original_deadline``)."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="extensions")
    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField("延期理由")
    old_deadline = models.DateField("原完成时限", null=True, blank=True)
    new_deadline = models.DateField("申请完成时限")
    status = models.CharField(
        "状态", max_length=12, choices=ExtensionStatus.choices, default=ExtensionStatus.PENDING
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    opinion = models.TextField("审批意见", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "延期申请"
        verbose_name_plural = "延期申请"
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["measure"],
                condition=models.Q(status="pending"),
                name="extension_one_pending_per_measure",
            )
        ]

    def __str__(self) -> str:
        return f"延期申请 #{self.pk}"


class VerificationResult(models.TextChoices):
    EFFECTIVE = "effective", "核验有效"
    SENT_BACK = "sent_back", "核验退回"


class Verification(models.Model):
    """核验: after 对账销号, someone who did not implement the measure checks that it works."""

    measure = models.ForeignKey(Measure, on_delete=models.CASCADE, related_name="verifications")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    verifier = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    result = models.CharField("核验结论", max_length=12, choices=VerificationResult.choices)
    opinion = models.TextField("核验意见")
    #: The problem's cycle the verification belongs to (``Finding.cycle``).
    cycle = models.PositiveIntegerField(default=1)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "成效核验"
        verbose_name_plural = "成效核验"
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"核验 #{self.pk}"


class LookbackStatus(models.TextChoices):
    PLANNED = "planned", "已安排"
    DONE = "done", "已完成"


class Lookback(models.Model):
    """回头看: a scheduled re-check of a round's closed problems (all, or those chosen)."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="lookbacks")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    title = models.CharField("名称", max_length=200)
    scheduled_on = models.DateField("计划日期")
    status = models.CharField(
        "状态", max_length=12, choices=LookbackStatus.choices, default=LookbackStatus.PLANNED
    )
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "回头看"
        verbose_name_plural = "回头看"
        ordering = ["-scheduled_on", "-id"]

    def __str__(self) -> str:
        return self.title


class LookbackResult(models.TextChoices):
    PENDING = "pending", "待核查"
    HELD = "held", "巩固良好"
    RELAPSED = "relapsed", "反弹"


class LookbackItem(models.Model):
    """One closed problem in a look-back: held, or relapsed (which reopens it as a new cycle)."""

    lookback = models.ForeignKey(Lookback, on_delete=models.CASCADE, related_name="items")
    finding = models.ForeignKey(Finding, on_delete=models.CASCADE, related_name="+")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    result = models.CharField(
        "核查结论", max_length=12, choices=LookbackResult.choices, default=LookbackResult.PENDING
    )
    opinion = models.TextField("核查意见", blank=True)
    #: The cycle that was checked (the relapse starts the next one).
    cycle = models.PositiveIntegerField(default=1)
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    checked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "回头看核查项"
        verbose_name_plural = "回头看核查项"
        ordering = ["lookback_id", "id"]
        constraints = [
            models.UniqueConstraint(fields=["lookback", "finding"], name="lookback_item_once")
        ]

    def __str__(self) -> str:
        return f"回头看核查项 #{self.pk}"


class Indicator(models.Model):
    """One indicator of a round's effectiveness scheme (整改成效评估), under a dimension."""

    round = models.ForeignKey(Round, on_delete=models.CASCADE, related_name="indicators")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    dimension = models.CharField("评估维度", max_length=100)
    name = models.CharField("评估指标", max_length=300)
    max_score = models.DecimalField("分值", max_digits=6, decimal_places=2)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "评估指标"
        verbose_name_plural = "评估指标"
        ordering = ["round_id", "position", "id"]

    def __str__(self) -> str:
        return self.name


class Score(models.Model):
    """One evaluator's score of one indicator."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="scores")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    evaluator = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField("得分", max_digits=6, decimal_places=2)
    comment = models.TextField("评语", blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "评估得分"
        verbose_name_plural = "评估得分"
        constraints = [
            models.UniqueConstraint(fields=["indicator", "evaluator"], name="score_once_per_evaluator")
        ]

    def __str__(self) -> str:
        return f"得分 #{self.pk}"


class OrderStatus(models.TextChoices):
    ISSUED = "issued", "待回复"
    REPLIED = "replied", "已回复"
    CLOSED = "closed", "已办结"


class FollowUpOrder(models.Model):
    """督办单: a supervisor's formal follow-up order to a unit, with a reply deadline; tracked
    like a measure (warned, overdue) until the supervisor closes it."""

    #: The unit the order goes to (its clerk and head reply); scoping is on it.
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    round = models.ForeignKey(Round, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    finding = models.ForeignKey(Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    number = models.CharField("督办单编号", max_length=40)
    subject = models.CharField("督办事项", max_length=200)
    body = models.TextField("督办要求")
    reply_due = models.DateField("回复期限")
    status = models.CharField("状态", max_length=12, choices=OrderStatus.choices, default=OrderStatus.ISSUED)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    issued_at = models.DateTimeField(auto_now_add=True)
    reply = models.TextField("回复内容", blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replied_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    closed_at = models.DateTimeField(null=True, blank=True)
    close_opinion = models.TextField("办结意见", blank=True)
    version = models.PositiveIntegerField(default=1)

    class Meta:
        verbose_name = "督办单"
        verbose_name_plural = "督办单"
        ordering = ["-issued_at", "-id"]
        indexes = [models.Index(fields=["unit", "status", "reply_due"], name="order_unit_status_due")]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class RoundFigures(models.Model):
    """The dashboard's figures of one round (``selectors.dashboard.Figures``), counted by
    ``zhenggai stats-refresh`` (``services.figures``): what the dashboard reads instead of
    counting a province's measures on every page view (above ``DASHBOARD_SNAPSHOT_ABOVE``).
    The tiers, overdue and on-time figures depend on the day: ``counted_on`` is the day they
    were counted for (a row of another day is flagged, never shown as today's)."""

    round = models.OneToOneField(Round, on_delete=models.CASCADE, related_name="dashboard_figures")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    problems = models.PositiveIntegerField(default=0)
    completed = models.PositiveIntegerField(default=0)
    reopened = models.PositiveIntegerField(default=0)
    relapsed = models.PositiveIntegerField(default=0)
    measures = models.PositiveIntegerField(default=0)
    finished = models.PositiveIntegerField(default=0)
    overdue = models.PositiveIntegerField(default=0)
    awaiting_review = models.PositiveIntegerField(default=0)
    due = models.PositiveIntegerField(default=0)
    on_time = models.PositiveIntegerField(default=0)
    due_original = models.PositiveIntegerField(default=0)
    on_time_original = models.PositiveIntegerField(default=0)
    ext_requested = models.PositiveIntegerField(default=0)
    ext_granted = models.PositiveIntegerField(default=0)
    ext_pending = models.PositiveIntegerField(default=0)
    #: Open measures by warning tier (``rules.LEVELS`` key → count).
    tiers = models.JSONField(default=dict)
    counted_on = models.DateField("统计日期")
    computed_at = models.DateTimeField("统计时间")

    class Meta:
        verbose_name = "督办看板统计"
        verbose_name_plural = "督办看板统计"

    def __str__(self) -> str:
        return f"督办看板统计 {self.round_id}"
