"""Writes of the inbox and the outbox.

``message_send`` is called inside a business service's transaction (the event the service
audits is what the message tells): the message and its deliveries are written with it, or
not at all. It never reaches the network; ``zhenggai deliver`` does (``delivery.py``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from zhenggai.accounts.models import Sensitivity
from zhenggai.audit.services import audit_record
from zhenggai.errors import InvalidInput
from zhenggai.units.models import Unit

from .models import Channel, Message, Outbox, OutboxStatus, Preference
from .schedule import next_digest_at

if TYPE_CHECKING:
    from zhenggai.accounts.actors import Actor


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
    sensitivity: str = "",
) -> list[Message]:
    """Put one message in each recipient's inbox (once per recipient: duplicates and inactive
    users are skipped; with ``dedupe``, a recipient who already has that key gets nothing new)
    and queue its e-mail and SMS as each recipient's preferences say. Returns the new messages.

    ``sensitivity``: the 安全标记 of what the message tells (REQ-1.10). A recipient whose
    clearance does not admit it gets a message that says only that there is something and
    where (``REDACTED_*``); above 内部, the e-mail and SMS of everyone carry no content either
    (``Message.confidential``)."""
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
        shared: dict[str, Any] = {
            "unit": unit,
            "kind": kind,
            "topic": topic,
            "url": url[:300],
            "level": level,
            "dedupe": dedupe,
            "confidential": bool(sensitivity) and sensitivity not in _PLAIN_LABELS,
        }

        def fields_for(pk: int) -> dict[str, Any]:
            if _cleared(users[pk], sensitivity):
                return {**shared, "subject": subject[:200], "body": body}
            return {**shared, "subject": REDACTED_SUBJECT, "body": REDACTED_BODY}

        if dedupe:
            # One INSERT in a savepoint; only when a concurrent transaction (another ``remind``
            # run) committed the same key meanwhile, one message at a time, skipping those.
            try:
                with transaction.atomic():
                    made = Message.objects.bulk_create(
                        [Message(recipient_id=pk, **fields_for(pk)) for pk in users]
                    )
            except IntegrityError:
                made = [
                    m
                    for pk in users
                    if (m := _create_once(recipient_id=pk, fields=fields_for(pk))) is not None
                ]
                users = {m.recipient_id: users[m.recipient_id] for m in made}
                if not made:
                    return []
        else:
            made = Message.objects.bulk_create([Message(recipient_id=pk, **fields_for(pk)) for pk in users])
        prefs = {p.user_id: p for p in Preference.objects.filter(user_id__in=list(users))}
        now = timezone.now()
        # A digest row waits for the recipient's next digest time (one e-mail then lists them all).
        digest_at = next_digest_at(now)
        sms_gateway = bool(getattr(settings, "SMS_GATEWAY_URL", ""))
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
                        next_attempt_at=digest_at if digest else now,
                    )
                )
            # No gateway, no SMS queued (the inbox has the message; the settings page says why).
            if sms_gateway and pref.sms_enabled and pref.phone and not digest:
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


#: Labels whose content may travel by e-mail and SMS (公开, 内部); above them only a notice does.
_PLAIN_LABELS = frozenset({Sensitivity.PUBLIC, Sensitivity.INTERNAL})
REDACTED_SUBJECT = "您有一条新的提醒（内容受安全标记保护）"
REDACTED_BODY = "该事项的安全标记高于您的许可级别，消息中不显示其内容。"


def _cleared(user: Any, label: str) -> bool:
    """Whether ``user``'s clearance admits ``label`` (no label: yes)."""
    return not label or label in Sensitivity.up_to(getattr(user, "clearance", "") or Sensitivity.PUBLIC)


def _create_once(*, recipient_id: int, fields: dict[str, Any]) -> Message | None:
    """The message with a ``dedupe`` key, unless a concurrent transaction (another ``remind``
    run) committed the same key for this recipient first: the unique constraint refuses it, in a
    savepoint, and the caller's transaction goes on without it."""
    try:
        with transaction.atomic():
            return Message.objects.create(recipient_id=recipient_id, **fields)
    except IntegrityError:
        if Message.objects.filter(recipient_id=recipient_id, dedupe=fields["dedupe"]).exists():
            return None
        raise  # another constraint: not ours to hide


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


def message_mark_read(*, actor: Actor, ids: Iterable[int] | None = None, all: bool = False) -> int:
    """Mark the actor's own unread messages read: those of ``ids``, or every one with ``all``.
    Another user's message is never touched (it is simply not among the actor's). Not audited:
    the read mark is the reader's own bookkeeping, like a session, not a business event.
    Returns how many were marked."""
    qs = Message.objects.filter(recipient_id=actor.pk, read_at__isnull=True)
    if not all:
        wanted = [int(i) for i in (ids or [])]
        if not wanted:
            return 0
        qs = qs.filter(pk__in=wanted)
    return qs.update(read_at=timezone.now())


_MOBILE = re.compile(r"1[3-9]\d{9}")


def normalize_phone(value: str) -> str:
    """A mainland mobile number as 11 digits (spaces, dashes and a leading +86 or 0086 dropped);
    raises ``InvalidInput`` for anything else."""
    raw = (value or "").strip()
    digits = re.sub(r"[\s\-()（）]", "", raw)
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) == len(prefix) + 11:
            digits = digits[len(prefix) :]
            break
    if not _MOBILE.fullmatch(digits):
        raise InvalidInput(
            f"手机号码“{raw[:30]}”格式不正确：应为 11 位中国大陆手机号码（1 开头，如 13800138000）。",
            field="phone",
        )
    return digits


def _masked(phone: str) -> str:
    return f"{phone[:3]}****{phone[-4:]}" if len(phone) == 11 else ("" if not phone else "***")


def preference_update(
    *, actor: Actor, email_enabled: bool, sms_enabled: bool, phone: str, digest: bool
) -> Preference:
    """Set how the actor is told besides the inbox (their own settings only).

    E-mail goes to the address of the actor's account: without one, e-mail cannot be chosen.
    SMS needs a valid mobile number and a configured gateway. The daily digest is an e-mail,
    so it needs e-mail. Audited as ``notify.preference`` (the number masked).
    """
    phone = (phone or "").strip()
    if phone:
        phone = normalize_phone(phone)
    if email_enabled and not actor.email:
        raise InvalidInput(
            "您的账号没有登记电子邮箱，无法接收邮件提醒：请联系系统管理员登记邮箱后再开启。",
            field="email_enabled",
        )
    if digest and not email_enabled:
        raise InvalidInput("每日汇总通过电子邮件发送：请同时选择“接收电子邮件”。", field="digest")
    if sms_enabled:
        if not getattr(settings, "SMS_GATEWAY_URL", ""):
            raise InvalidInput("本系统未配置短信网关，暂不能接收短信提醒。", field="sms_enabled")
        if not phone:
            raise InvalidInput("接收短信须填写手机号码。", field="phone")
    with transaction.atomic():
        pref, _ = Preference.objects.select_for_update().get_or_create(user_id=actor.pk)
        before = _pref_fields(pref)
        pref.email_enabled = email_enabled
        pref.sms_enabled = sms_enabled
        pref.phone = phone
        pref.digest = digest
        pref.full_clean()
        pref.save()
        after = _pref_fields(pref)
        if before != after:
            audit_record(actor=actor, action="notify.preference", obj=pref, before=before, after=after)
    return pref


def _pref_fields(pref: Preference) -> dict[str, Any]:
    return {
        "email_enabled": pref.email_enabled,
        "sms_enabled": pref.sms_enabled,
        "phone": _masked(pref.phone),
        "digest": pref.digest,
    }
