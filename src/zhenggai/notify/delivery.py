"""Sending the outbox: ``deliver()``, run by ``zhenggai deliver`` (cron, a timer, or ``--loop``).

One run:

1. **Claim** the due rows (queued, ``next_attempt_at <= now``; a digest row is due at its
   recipient's digest time, set when it was queued) in a short transaction: the rows are
   locked ``FOR UPDATE SKIP LOCKED`` on PostgreSQL, so concurrent deliverers take disjoint
   rows; SQLite has no row locks, but its ``BEGIN IMMEDIATE`` serialises the claims. A claimed
   row gets ``attempts + 1`` and ``next_attempt_at = now + LEASE``, and the claim COMMITS
   before anything is sent: no deliverer can claim it again while the lease runs.
2. **Send** each row outside any transaction (e-mail through ``django.core.mail``, SMS through
   the HTTP gateway adapter below); the digest rows of one recipient as ONE e-mail.
3. **Record** each outcome at once: ``sent``; or, after a failure, queued again with
   exponential backoff (``schedule.backoff``) and the error kept in ``last_error``; after
   ``NOTIFY_MAX_ATTEMPTS`` attempts, ``failed`` (kept and listed by
   ``selectors.outbox_problems``). Nothing is deleted and nothing is dropped.

A deliverer that dies between sending and recording leaves a row that is sent again once its
lease has run out (at least once); while deliverers live, each row is sent exactly once. The SMS
request carries the outbox id, so a gateway can drop such a repeat.

Nothing here touches the network at import; a run reaches only the configured SMTP server and
SMS gateway.
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import logging
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from zhenggai.audit.services import audit_record

from .models import Channel, Level, Message, Outbox, OutboxStatus
from .schedule import LEASE, backoff, max_attempts

log = logging.getLogger("zhenggai.notify")

SUBJECT_PREFIX = "【巡察整改台账】"
FOOTER = "此邮件由巡察整改台账自动发送，请勿直接回复。提醒方式可在系统的“提醒设置”中修改。"
SMS_NOT_CONFIGURED = "未配置短信网关（ZHENGGAI_SMS_GATEWAY_URL），短信未发送"


class DeliveryError(Exception):
    """A send that did not go through; ``str(err)`` is kept in ``Outbox.last_error``."""


class NotConfigured(DeliveryError):
    """The channel is not set up at all: retrying cannot help, the row is given up at once."""


@dataclass
class DeliveryReport:
    """What one ``deliver()`` run did, counted in outbox rows (``digests``: digest e-mails)."""

    worker: str = ""
    claimed: int = 0
    sent: int = 0
    retried: int = 0
    failed: int = 0
    cancelled: int = 0
    digests: int = 0
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def note(self, error: str) -> None:
        if error not in self.errors and len(self.errors) < 5:
            self.errors.append(error)


def deliver(*, now: dt.datetime | None = None, limit: int = 200, worker: str = "") -> DeliveryReport:
    """Send up to ``limit`` due outbox rows (see the module's docstring) and return the counts.

    ``now`` is the instant the run takes as the present (the clock by default; tests and
    ``zhenggai deliver --at`` pass one). One ``notify.deliver`` audit event when anything was
    sent or given up.
    """
    now = now or timezone.now()
    report = DeliveryReport(worker=worker)
    rows = _claim(now=now, limit=max(1, limit))
    report.claimed = len(rows)
    if not rows:
        return report
    mailer = _Mailer()
    digests: dict[tuple[int, str], list[Outbox]] = {}
    try:
        for row in rows:
            if not row.recipient.is_active:
                _record_cancelled(row, "用户已停用，未发送", report)
            elif row.digest and row.channel == Channel.EMAIL:
                digests.setdefault((row.recipient_id, row.address), []).append(row)
            else:
                _send_one(row, mailer=mailer, now=now, report=report)
        for group in digests.values():
            _send_digest(group, mailer=mailer, now=now, report=report)
    finally:
        mailer.close()
    if report.sent or report.failed:
        with transaction.atomic():
            audit_record(actor=None, action="notify.deliver", after=report.as_dict())
    return report


# --- Claiming ------------------------------------------------------------------------------


def _claim(*, now: dt.datetime, limit: int) -> list[Outbox]:
    """Lock, lease and commit the due rows; return them (after the commit) with their message."""
    with transaction.atomic():
        due = Outbox.objects.filter(status=OutboxStatus.QUEUED, next_attempt_at__lte=now).order_by(
            "next_attempt_at", "id"
        )
        if connection.features.has_select_for_update_skip_locked:
            due = due.select_for_update(skip_locked=True)
        elif connection.features.has_select_for_update:
            due = due.select_for_update()
        ids = list(due.values_list("pk", flat=True)[:limit])
        if not ids:
            return []
        Outbox.objects.filter(pk__in=ids).update(attempts=F("attempts") + 1, next_attempt_at=now + LEASE)
    return list(Outbox.objects.filter(pk__in=ids).select_related("message", "recipient").order_by("id"))


# --- Recording (each in its own autocommit statement, at once) ----------------------------------


def _mine(rows: Iterable[Outbox]) -> Any:
    """The rows still as this run claimed them (a row whose lease ran out and was claimed again
    by another deliverer has more attempts: that deliverer records it)."""
    rows = list(rows)
    return Outbox.objects.filter(
        pk__in=[r.pk for r in rows], attempts__in={r.attempts for r in rows}
    ).exclude(status=OutboxStatus.SENT)


def _record_sent(rows: list[Outbox], now: dt.datetime, report: DeliveryReport) -> None:
    # A row cancelled while it was being sent was sent all the same: say so.
    done = _mine(rows).update(status=OutboxStatus.SENT, sent_at=now, last_error="")
    report.sent += done


def _record_error(rows: list[Outbox], error: DeliveryError, now: dt.datetime, report: DeliveryReport) -> None:
    message = str(error)[:500] or type(error).__name__
    report.note(message)
    attempts = max(r.attempts for r in rows)
    if isinstance(error, NotConfigured) or attempts >= max_attempts():
        report.failed += (
            _mine(rows)
            .filter(status=OutboxStatus.QUEUED)
            .update(status=OutboxStatus.FAILED, last_error=message)
        )
        log.error("outbox %s given up after %d attempts: %s", [r.pk for r in rows], attempts, message)
    else:
        report.retried += (
            _mine(rows)
            .filter(status=OutboxStatus.QUEUED)
            .update(next_attempt_at=now + backoff(attempts), last_error=message)
        )
        log.warning("outbox %s attempt %d failed, retried later: %s", [r.pk for r in rows], attempts, message)


def _record_cancelled(row: Outbox, reason: str, report: DeliveryReport) -> None:
    report.cancelled += (
        _mine([row])
        .filter(status=OutboxStatus.QUEUED)
        .update(status=OutboxStatus.CANCELLED, last_error=reason)
    )


# --- Sending ---------------------------------------------------------------------------------


def _send_one(row: Outbox, *, mailer: _Mailer, now: dt.datetime, report: DeliveryReport) -> None:
    try:
        if row.channel == Channel.EMAIL:
            mailer.send(_email(row))
        elif row.channel == Channel.SMS:
            sms_send(to=row.address, text=sms_text(row.message), ident=row.pk)
        else:
            raise NotConfigured(f"未知的发送渠道 {row.channel}")
    except DeliveryError as err:
        _record_error([row], err, now, report)
    else:
        _record_sent([row], now, report)


def _send_digest(rows: list[Outbox], *, mailer: _Mailer, now: dt.datetime, report: DeliveryReport) -> None:
    first = rows[0]
    messages = [r.message for r in rows]
    mail = EmailMessage(
        subject=f"{SUBJECT_PREFIX}每日汇总：{len(messages)} 条提醒",
        body=digest_body(first.recipient, messages),
        to=[first.address],
    )
    try:
        mailer.send(mail)
    except DeliveryError as err:
        _record_error(rows, err, now, report)
    else:
        report.digests += 1
        _record_sent(rows, now, report)


def absolute_link(url: str) -> str:
    """The message's link as the recipient can open it: ``SITE_URL`` + path when set."""
    if not url:
        return ""
    site = str(getattr(settings, "SITE_URL", "") or "").rstrip("/")
    return f"{site}{url}" if site else url


def _level_tag(message: Message) -> str:
    if message.level in Level.values and message.level:
        return f"【{Level(message.level).label}预警】"
    return ""


#: What leaves the system for a message whose subject carries a 安全标记 above 内部.
CONFIDENTIAL_SUBJECT = "您有一条新的提醒，请登录系统查看"


def _subject(message: Message) -> str:
    return CONFIDENTIAL_SUBJECT if message.confidential else message.subject


def _message_text(message: Message) -> str:
    lines = [f"{_level_tag(message)}{_subject(message)}"]
    if message.body and not message.confidential:
        lines.append(message.body)
    link = absolute_link(message.url)
    if link:
        lines.append(f"查看：{link}" if link.startswith("http") else f"查看（登录系统后打开）：{link}")
    return "\n".join(lines)


def _greeting(user: Any) -> str:
    name = getattr(user, "display_name", "") or getattr(user, "username", "")
    return f"{name}，您好：" if name else "您好："


def email_body(message: Message) -> str:
    return f"{_greeting(message.recipient)}\n\n{_message_text(message)}\n\n{FOOTER}\n"


def digest_body(user: Any, messages: list[Message]) -> str:
    parts = [_greeting(user), "", f"以下是您的 {len(messages)} 条提醒："]
    for n, m in enumerate(messages, start=1):
        stamp = timezone.localtime(m.created_at).strftime("%m-%d %H:%M")
        parts += ["", f"{n}. （{stamp}）{_message_text(m)}"]
    parts += ["", FOOTER, ""]
    return "\n".join(parts)


def sms_text(message: Message) -> str:
    link = absolute_link(message.url)
    text = f"【巡察整改】{_level_tag(message)}{_subject(message)}"
    if link.startswith("http"):
        text += f" {link}"
    return text[:300]


def _email(row: Outbox) -> EmailMessage:
    return EmailMessage(
        subject=f"{SUBJECT_PREFIX}{_level_tag(row.message)}{_subject(row.message)}"[:250],
        body=email_body(row.message),
        to=[row.address],
    )


class _Mailer:
    """One connection of the configured e-mail backend for the run, opened on first use.

    A server that cannot be reached fails the rest of the run at once (each row is retried
    later) instead of waiting for the connection timeout once per row.
    """

    def __init__(self) -> None:
        self._conn: BaseEmailBackend | None = None
        self._down: str = ""

    def send(self, mail: EmailMessage) -> None:
        if self._down:
            raise DeliveryError(self._down)
        if self._conn is None:
            conn = get_connection(fail_silently=False)
            try:
                conn.open()
            # Any backend, any failure (socket, TLS, authentication): keep the row, say why.
            except Exception as exc:
                self._down = f"无法连接邮件服务器：{_describe(exc)}"
                raise DeliveryError(self._down) from exc
            self._conn = conn
        mail.connection = self._conn
        try:
            sent = self._conn.send_messages([mail])
        except Exception as exc:
            # The connection may be broken after an error: open a fresh one for the next row.
            self.close()
            raise DeliveryError(f"邮件发送失败：{_describe(exc)}") from exc
        if sent != 1:
            raise DeliveryError("邮件服务器未接受该邮件")

    def close(self) -> None:
        if self._conn is not None:
            conn, self._conn = self._conn, None
            try:
                conn.close()
            except Exception:  # closing a broken connection: nothing left to do with it
                log.debug("closing the e-mail connection failed", exc_info=True)


def _describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# --- The SMS gateway adapter -------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A gateway answers the POST itself; a redirect (which urllib would turn into a GET) is an error."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def sms_send(*, to: str, text: str, ident: int) -> None:
    """Send one SMS through the gateway (the one documented interface, README "短信网关"):

    ``POST SMS_GATEWAY_URL`` with ``Content-Type: application/json; charset=utf-8``, the body
    ``{"to": "13800138000", "text": "…", "id": 123}`` (``id``: the outbox row, the same on a
    retry, so the gateway can drop a repeat) and, when ``SMS_GATEWAY_TOKEN`` is set,
    ``Authorization: Bearer <token>``. Any 2xx answer is success (its body is not read);
    anything else, a redirect, a timeout or no connection is a failure, retried later.
    """
    url = str(getattr(settings, "SMS_GATEWAY_URL", "") or "")
    if not url:
        raise NotConfigured(SMS_NOT_CONFIGURED)
    if urlsplit(url).scheme not in {"http", "https"}:
        raise NotConfigured("短信网关地址须以 http:// 或 https:// 开头")
    payload = json.dumps({"to": to, "text": text, "id": ident}, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(url, data=payload, method="POST")  # noqa: S310  scheme checked above
    request.add_header("Content-Type", "application/json; charset=utf-8")
    token = str(getattr(settings, "SMS_GATEWAY_TOKEN", "") or "")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    timeout = float(getattr(settings, "SMS_GATEWAY_TIMEOUT", 10))
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as response:
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"短信网关返回 HTTP {exc.code}") from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise DeliveryError(f"无法连接短信网关：{reason}") from exc
    if not 200 <= status < 300:
        raise DeliveryError(f"短信网关返回 HTTP {status}")
