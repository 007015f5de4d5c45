"""Messages to users: the in-app inbox (always) and the outbox of e-mail and SMS.

A transactional outbox: a business write (a measure assigned, returned, a reminder due) adds
its ``Message`` rows and their ``Outbox`` rows in its own transaction, so a message exists
exactly when the write does; ``zhenggai deliver`` sends the outbox afterwards, with retries,
and several deliverers never send one row twice (claimed with ``SKIP LOCKED`` on PostgreSQL).

This package sits under the ledger (it knows users and units, not measures): what a message
is about is its ``topic`` (``"measure:12"``), a string the callers choose and cancel by.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from zhenggai.units.models import Unit


class Level(models.TextChoices):
    """The warning colour of a message (and of a measure wherever it is listed)."""

    NONE = "", "—"
    GREEN = "green", "绿色"
    YELLOW = "yellow", "黄色"
    RED = "red", "红色"
    BLACK = "black", "黑色"


class Message(models.Model):
    """One message in one user's inbox."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    #: The unit the message is about (for scoping and the supervisor's views); None: none.
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    #: What happened: ``reminder``, ``measure.assigned``, ``measure.returned``, ``review.waiting``, …
    kind = models.CharField("类型", max_length=40)
    #: What it is about, as the caller names it (``measure:12``); pending deliveries are cancelled by it.
    topic = models.CharField("对象", max_length=100, blank=True, db_index=True)
    subject = models.CharField("标题", max_length=200)
    body = models.TextField("内容", blank=True)
    #: A path inside the staff site (``/measures/12/``), never an outside address.
    url = models.CharField("链接", max_length=300, blank=True)
    level = models.CharField("预警等级", max_length=10, choices=Level.choices, blank=True, default="")
    #: Makes a message once per recipient (``reminder:12:yellow:2026-12-01:7``); blank: no check.
    dedupe = models.CharField(max_length=200, blank=True, default="")
    #: What it is about carries a 安全标记 above 内部 (REQ-1.10): the e-mail and the SMS say only
    #: that there is a message and where, never its subject or text (they leave the system).
    confidential = models.BooleanField("内容受安全标记保护", default=False)
    created_at = models.DateTimeField("时间", auto_now_add=True)
    read_at = models.DateTimeField("已读时间", null=True, blank=True)

    class Meta:
        verbose_name = "消息"
        verbose_name_plural = "消息"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="message_recipient_unread")]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe"], condition=~models.Q(dedupe=""), name="message_dedupe_once"
            )
        ]

    def __str__(self) -> str:
        return self.subject


class Channel(models.TextChoices):
    EMAIL = "email", "电子邮件"
    SMS = "sms", "短信"


class OutboxStatus(models.TextChoices):
    QUEUED = "queued", "待发送"
    SENT = "sent", "已发送"
    #: Given up after the last attempt; kept (and listed) so nothing is lost silently.
    FAILED = "failed", "发送失败"
    #: No longer true (the owner or the deadline changed) before it was sent.
    CANCELLED = "cancelled", "已取消"


class Outbox(models.Model):
    """One delivery of a message through one channel (the inbox needs none)."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="deliveries")
    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    channel = models.CharField("渠道", max_length=10, choices=Channel.choices)
    #: The e-mail address or phone number as it was when queued.
    address = models.CharField("地址", max_length=254)
    status = models.CharField(
        "状态", max_length=12, choices=OutboxStatus.choices, default=OutboxStatus.QUEUED
    )
    #: Held for the recipient's daily digest (one e-mail a day with every held message).
    digest = models.BooleanField("汇总发送", default=False)
    attempts = models.PositiveSmallIntegerField("尝试次数", default=0)
    next_attempt_at = models.DateTimeField("下次尝试")
    last_error = models.CharField("最近错误", max_length=500, blank=True, default="")
    sent_at = models.DateTimeField("发送时间", null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "待发消息"
        verbose_name_plural = "待发消息"
        ordering = ["id"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]

    def __str__(self) -> str:
        return f"{self.get_channel_display()} → {self.address}"


class Preference(models.Model):
    """How a user wants to be told, besides the inbox."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notify_preference"
    )
    email_enabled = models.BooleanField("接收电子邮件", default=True)
    sms_enabled = models.BooleanField("接收短信", default=False)
    phone = models.CharField("手机号码", max_length=20, blank=True, default="")
    #: One e-mail a day with everything instead of one per message.
    digest = models.BooleanField("每日汇总", default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "提醒设置"
        verbose_name_plural = "提醒设置"

    def __str__(self) -> str:
        return f"提醒设置 {self.user_id}"
