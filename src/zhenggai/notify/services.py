"""Writes of the inbox and the outbox.

``message_send`` is called inside a business service's transaction (the event the service
audits is what the message tells): the message and its deliveries are written with it, or
not at all. It never reaches the network; ``zhenggai deliver`` does (``delivery.py``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from zhenggai.units.models import Unit

from .models import Channel, Message, Outbox, OutboxStatus, Preference


def message_send(
    *,
    recipients: Iterable[Any],
    kind: str,
    subject: str,
    body: str = "",
    url: str = "",
    topic: str = "",
    level: str = "",
    unit: Unit | None = None,
    dedupe: str = "",
) -> list[Message]:
    """Put one message in each recipient's inbox (once per recipient: duplicates and inactive
    users are skipped; with ``dedupe``, a recipient who already has that key gets nothing new)
    and queue its e-mail and SMS as each recipient's preferences say. Returns the new messages."""
    users = {u.pk: u for u in recipients if u is not None and getattr(u, "is_active", True)}
    if not users:
        return []
    with transaction.atomic():
        if dedupe:
            have = set(
                Message.objects.filter(recipient_id__in=list(users), dedupe=dedupe).values_list(
                    "recipient_id", flat=True
                )
            )
            users = {pk: u for pk, u in users.items() if pk not in have}
            if not users:
                return []
        made = Message.objects.bulk_create(
            [
                Message(
                    recipient_id=pk,
                    unit=unit,
                    kind=kind,
                    topic=topic,
                    subject=subject[:200],
                    body=body,
                    url=url[:300],
                    level=level,
                    dedupe=dedupe,
                )
                for pk in users
            ]
        )
        prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=list(users))}
        now = timezone.now()
        rows: list[Outbox] = []
        for m in made:
            user = users[m.recipient_id]
            pref = prefs.get(m.recipient_id) or Preference(user_id=m.recipient_id)
            digest = pref.digest
            if pref.email_enabled and user.email:
                rows.append(
                    Outbox(
                        message=m,
                        recipient_id=m.recipient_id,
                        channel=Channel.EMAIL,
                        address=user.email,
                        digest=digest,
                        next_attempt_at=now,
                    )
                )
            if pref.sms_enabled and pref.phone and not digest:
                rows.append(
                    Outbox(
                        message=m,
                        recipient_id=m.recipient_id,
                        channel=Channel.SMS,
                        address=pref.phone,
                        next_attempt_at=now,
                    )
                )
        Outbox.objects.bulk_create(rows)
    return made


def messages_cancel(*, topic: str, kinds: Iterable[str] | None = None, dedupe_prefix: str = "") -> int:
    """Cancel the deliveries still queued of the messages about ``topic`` (of ``kinds``, with a
    ``dedupe`` key starting ``dedupe_prefix``): what they say is no longer true (the measure has
    another owner or deadline). The inbox keeps them. Returns how many were cancelled."""
    qs = Outbox.objects.filter(status=OutboxStatus.QUEUED, message__topic=topic)
    if kinds is not None:
        qs = qs.filter(message__kind__in=list(kinds))
    if dedupe_prefix:
        qs = qs.filter(message__dedupe__startswith=dedupe_prefix)
    return qs.update(status=OutboxStatus.CANCELLED, last_error="已取消：责任人或完成时限已变更")
