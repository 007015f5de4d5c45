"""Disclosure (信息公开): a round's notice or 整改情况报告, checked, approved and published as
frozen versions.

- ``Publication``: a round on the public site: its stable public id (the id of the open data
  and of the public URLs). Created at the first disclosure check of either document.
- ``CheckDecision``: what the clerk decided for one hit of the disclosure check (mask it, or
  keep it with a justification), kept across re-checks by the hit's fingerprint.
- ``PublicationVersion``: one submission. The clerk submits the draft as it stands (the text,
  the figures, the open data, the .pdf and .docx are all rendered and stored at submission);
  the unit head approves exactly that, and it becomes published version N, or rejects it with
  a reason. A published row never changes: a database trigger refuses any UPDATE of a row
  whose status is ``published`` (migration 0002); a correction is a new version that says what
  changed.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhenggai.ledger.models import Round
from zhenggai.units.models import Unit


class DocumentKind(models.TextChoices):
    NOTICE = "notice", "整改进展情况的通报"
    REPORT = "report", "整改情况报告"


class Publication(models.Model):
    """A round on the public site; its documents (notice, 整改情况报告) are the versions."""

    round = models.OneToOneField(Round, on_delete=models.PROTECT, related_name="publication")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    #: Stable, random, never reused: the id of the open data and of the public URLs.
    public_id = models.CharField("公开编号", max_length=24, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "公开轮次"
        verbose_name_plural = "公开轮次"

    def __str__(self) -> str:
        return self.public_id


class DecisionAction(models.TextChoices):
    MASK = "mask", "遮盖"
    JUSTIFY = "justify", "保留（已说明理由）"


class CheckDecision(models.Model):
    """The clerk's decision on one hit of the disclosure check (by the hit's fingerprint)."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="decisions")
    kind = models.CharField("文档", max_length=10, choices=DocumentKind.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    fingerprint = models.CharField(max_length=64)
    action = models.CharField("处理", max_length=10, choices=DecisionAction.choices)
    reason = models.CharField("理由", max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "公开检查处理"
        verbose_name_plural = "公开检查处理"
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "kind", "fingerprint"], name="decision_unique_hit"
            ),
            models.CheckConstraint(
                condition=~Q(action="justify") | ~Q(reason=""), name="decision_justify_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.fingerprint[:8]}"


class VersionStatus(models.TextChoices):
    PENDING = "pending", "待审批"
    PUBLISHED = "published", "已发布"
    REJECTED = "rejected", "已退回"
    CANCELLED = "cancelled", "已撤回"


class PublicationVersion(models.Model):
    """A submission of one document and, once approved, its published version ``number`` (frozen)."""

    publication = models.ForeignKey(Publication, on_delete=models.PROTECT, related_name="versions")
    kind = models.CharField("文档", max_length=10, choices=DocumentKind.choices)
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        "状态", max_length=10, choices=VersionStatus.choices, default=VersionStatus.PENDING
    )
    #: 1, 2, … in order of publication of this kind; null until published.
    number = models.PositiveIntegerField("版本号", null=True, blank=True)
    #: The draft's version at submission: approval refuses (409) if the draft changed since.
    draft_version = models.PositiveIntegerField()
    title = models.CharField("标题", max_length=200)
    as_of = models.DateField("数据截止日期")
    #: The document as published: [{"role": "title"|"h1"|…|"p"|"sign"|"date", "text": …}, …].
    blocks = models.JSONField(default=list)
    #: The headline counts (problems, completed, basic, in_progress, measures, overdue, …).
    figures = models.JSONField(default=dict)
    #: The open data of this version: problems and measures as published (zhenggai.open/1).
    data = models.JSONField(default=dict)
    #: The disclosure check at submission: hits with their decisions.
    check_result = models.JSONField(default=list)
    change_note = models.TextField("更正说明", blank=True)
    content_sha256 = models.CharField(max_length=64)
    pdf = models.BinaryField()
    docx = models.BinaryField()
    pdf_sha256 = models.CharField(max_length=64)
    docx_sha256 = models.CharField(max_length=64)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_note = models.CharField("退回理由", max_length=500, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "公开文档版本"
        verbose_name_plural = "公开文档版本"
        constraints = [
            models.UniqueConstraint(
                fields=["publication", "kind", "number"],
                condition=Q(number__isnull=False),
                name="version_number_unique",
            ),
            # At most one submission waits for approval per document.
            models.UniqueConstraint(
                fields=["publication", "kind"], condition=Q(status="pending"), name="version_one_pending"
            ),
            models.CheckConstraint(
                condition=~Q(status="published") | (Q(number__isnull=False) & Q(published_at__isnull=False)),
                name="version_published_numbered",
            ),
        ]
        indexes = [models.Index(fields=["status", "published_at"], name="version_status_published")]

    def __str__(self) -> str:
        return f"{self.publication} {self.kind} v{self.number or '-'}"
