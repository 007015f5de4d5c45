"""Reads of the inbox and the outbox.

A message belongs to its recipient alone: every inbox read is scoped to the acting user's own
rows (someone else's message is "not found", the 404 of the views). The outbox's problems are
for the 系统管理员 (the operator who runs ``zhenggai deliver``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.db.models import Case, IntegerField, Q, QuerySet, Value, When
from django.utils import timezone

from zhenggai.accounts.models import AdminRole
from zhenggai.errors import InvalidInput, NotAllowed

from .models import Message, Outbox, OutboxStatus, Preference

if TYPE_CHECKING:
    from zhenggai.accounts.actors import Viewer

#: A row still queued this long after it was made (a digest row: after its digest time) is late.
LATE_AFTER = dt.timedelta(hours=1)


def inbox_for_user(*, user: Viewer, unread_only: bool = False) -> QuerySet[Message]:
    """The user's messages, unread first, then newest first (nothing for the anonymous)."""
    if not user.is_authenticated:
        return Message.objects.none()
    qs = Message.objects.filter(recipient_id=user.pk)
    if unread_only:
        qs = qs.filter(read_at__isnull=True)
    unread_first = Case(
        When(read_at__isnull=True, then=Value(0)), default=Value(1), output_field=IntegerField()
    )
    return qs.order_by(unread_first, "-created_at", "-id")


def unread_count(*, user: Viewer) -> int:
    """How many of the user's messages are unread: one COUNT over the (recipient, read_at) index."""
    if not user.is_authenticated:
        return 0
    return Message.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def message_get_for_user(*, user: Viewer, pk: int) -> Message:
    """The user's own message ``pk``; anyone else's, or none, is ``Message.DoesNotExist`` (404)."""
    if not user.is_authenticated:
        raise Message.DoesNotExist("消息不存在")
    return Message.objects.get(pk=pk, recipient_id=user.pk)


def preference_for_user(*, user: Viewer) -> Preference:
    """The user's reminder settings (the defaults, unsaved, when they never changed them)."""
    if not user.is_authenticated:
        raise InvalidInput("请先登录")
    return Preference.objects.filter(user_id=user.pk).first() or Preference(user_id=user.pk)


def outbox_problems(*, user: Viewer, now: dt.datetime | None = None) -> QuerySet[Outbox]:
    """Deliveries that need the operator's eye: given up (``failed``), or still queued past
    their due time by ``LATE_AFTER`` (the SMTP server or the gateway is down, no deliverer
    runs). For the 系统管理员 only (who runs the deliverer; the page shows no message text)."""
    if getattr(user, "admin_role", "") != AdminRole.SYSTEM:
        raise NotAllowed("只有系统管理员可以查看消息发送故障")
    now = now or timezone.now()
    late = Q(status=OutboxStatus.QUEUED, next_attempt_at__lte=now - LATE_AFTER) | Q(
        status=OutboxStatus.QUEUED, attempts__gt=0
    )
    return (
        Outbox.objects.filter(Q(status=OutboxStatus.FAILED) | late)
        .select_related("message", "recipient")
        .order_by("-id")
    )
