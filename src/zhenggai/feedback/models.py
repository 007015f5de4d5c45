"""Citizen feedback (群众监督) on a round: the opinion, the sender's personal data encrypted, the
handling and the reply.

Personal data (name, phone, e-mail) is stored only as SM4-GCM ciphertext (``*_ct``; the key is
outside the database) and, for phone and e-mail, an HMAC-SM3 blind index (``*_index``) that
recognises a repeat sender without decrypting. Staff pages show the masked form; revealing is a
service that checks the role and records an audit event. The client address is kept only as a
blind index (for abuse review), never in clear.

The citizen holds a tracking number (random, not enumerable) and a query code (only its HMAC is
stored); with both they read the handling (``FeedbackStep`` rows marked public) and the reply.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from zhenggai.ledger.models import Finding, Round
from zhenggai.units.models import Unit


class FeedbackStatus(models.TextChoices):
    RECEIVED = "received", "待受理"
    ACCEPTED = "accepted", "已受理"
    DUPLICATE = "duplicate", "重复反映（已合并）"
    REJECTED = "rejected", "不予受理"
    FORWARDED = "forwarded", "已转办"
    REPLIED = "replied", "已答复"


class Feedback(models.Model):
    round = models.ForeignKey(Round, on_delete=models.PROTECT, related_name="feedback")
    #: The unit handling it now (the round's unit, or the unit it was forwarded to).
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    forwarded_from = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name="转办自"
    )
    tracking = models.CharField("查询编号", max_length=32, unique=True)
    code_digest = models.CharField(max_length=64)
    #: The one-time token of the form that sent it: a replayed form hits the unique constraint.
    form_nonce = models.CharField(max_length=64, unique=True)
    content = models.TextField("意见建议")
    anonymous = models.BooleanField("匿名", default=False)
    name_ct = models.BinaryField(blank=True, default=b"")
    phone_ct = models.BinaryField(blank=True, default=b"")
    email_ct = models.BinaryField(blank=True, default=b"")
    phone_index = models.CharField(max_length=64, blank=True, db_index=True)
    email_index = models.CharField(max_length=64, blank=True, db_index=True)
    ip_index = models.CharField(max_length=64, blank=True)
    consent_version = models.CharField("告知书版本", max_length=20)
    #: The citizen agrees that the reply (without their personal data) may be published.
    consent_publish = models.BooleanField("同意公开答复", default=False)
    status = models.CharField(
        "状态", max_length=10, choices=FeedbackStatus.choices, default=FeedbackStatus.RECEIVED
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    reject_reason = models.CharField("不予受理理由", max_length=300, blank=True)
    finding = models.ForeignKey(
        Finding, null=True, blank=True, on_delete=models.SET_NULL, related_name="feedback",
        verbose_name="关联问题",
    )
    #: The feedback raised a new clue (a problem created from it) rather than confirming a known one.
    is_clue = models.BooleanField("新线索", default=False)
    reply_deadline = models.DateField("答复时限", null=True, blank=True)
    reply = models.TextField("答复", blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    replied_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reply_public = models.BooleanField("公开答复", default=False)
    received_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    #: When the retention job wiped the personal data (the opinion and handling remain).
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "群众反馈"
        verbose_name_plural = "群众反馈"
        indexes = [models.Index(fields=["unit", "status", "received_at"], name="feedback_unit_status")]
        constraints = [
            models.CheckConstraint(
                condition=~Q(reply_public=True) | Q(consent_publish=True),
                name="feedback_publish_needs_consent",
            ),
            models.CheckConstraint(
                condition=~Q(status="rejected") | ~Q(reject_reason=""), name="feedback_reject_has_reason"
            ),
        ]

    def __str__(self) -> str:
        return self.tracking


class FeedbackAttachment(models.Model):
    """A photo or PDF sent with a feedback: a blob of the evidence store (checked and scanned)."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="attachments")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    storage_name = models.CharField(max_length=200)
    #: The digest ``storage_name`` is under (sm3 or sha256): backup and recovery verify by it.
    algorithm = models.CharField("摘要算法", max_length=10, default="sm3")
    sha256 = models.CharField(max_length=64)
    size = models.PositiveBigIntegerField()
    content_type = models.CharField(max_length=100)
    #: The sender's file name: only data, never a path.
    name = models.CharField(max_length=255)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "反馈附件"
        verbose_name_plural = "反馈附件"

    def __str__(self) -> str:
        return self.name


class FeedbackStep(models.Model):
    """One step of the handling; ``public`` steps are what the citizen sees with the query code."""

    feedback = models.ForeignKey(Feedback, on_delete=models.CASCADE, related_name="steps")
    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="+")
    action = models.CharField(max_length=20)
    note = models.TextField(blank=True)
    public = models.BooleanField(default=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    class Meta:
        verbose_name = "办理记录"
        verbose_name_plural = "办理记录"
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.feedback_id} {self.action}"


class Throttle(models.Model):
    """A counter per (blind key, time window) for the public forms' rate limits; shared by all
    processes through the database. Old windows are deleted by the purge job."""

    key = models.CharField(max_length=64)
    window = models.CharField(max_length=24)
    count = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        verbose_name = "频率限制"
        verbose_name_plural = "频率限制"
        constraints = [models.UniqueConstraint(fields=["key", "window"], name="throttle_key_window")]

    def __str__(self) -> str:
        return f"{self.key[:8]} {self.window} {self.count}"
