"""Writes of citizen feedback: the public form (``feedback_submit``), the citizen's look-up, and
the staff's handling (``handling``, re-exported here).

The public half runs for anonymous callers, so everything it takes is hostile until checked:

- rate limits per address (``FEEDBACK_RATE_PER_MINUTE``, ``FEEDBACK_RATE_PER_DAY``) and per
  round (``FEEDBACK_ROUND_RATE_PER_HOUR``), counted in ``Throttle`` rows by a conditional
  UPDATE, so they hold across processes on SQLite and PostgreSQL; counted (and committed) before
  anything else, so invalid submissions count too. The address is only ever a blind index.
- a honeypot field: a filled one is refused exactly like a throttle (no hint for the robot);
- a signed one-time form token (``form_token``): its nonce is unique on the row, so a replayed
  form is ``DuplicateSubmission``;
- bounded fields and attachments checked by the evidence store (sniffed type, scanner), only
  images and PDF; all or nothing: a refusal leaves no row and no file.

The tracking number (``GK`` + 16 characters, 80 bits) and the query code (8 characters) are
random; only an HMAC of the code is stored, and a look-up answers a wrong number exactly as a
wrong code (``None``), compared in constant time and throttled.
"""

from __future__ import annotations

import datetime as dt
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from zhenggai import crypto
from zhenggai.audit.services import (
    RequestContext,
    audit_record,
    current_request_context,
    reset_request_context,
    set_request_context,
)
from zhenggai.errors import DuplicateSubmission, InvalidInput, ServiceError
from zhenggai.evidence import store as evidence_store
from zhenggai.ledger.models import Round

from . import pii
from .handling import (
    AttachmentDamaged,
    OpenedAttachment,
    Revealed,
    feedback_accept,
    feedback_attachment_open,
    feedback_clue,
    feedback_forward,
    feedback_link,
    feedback_merge,
    feedback_purge,
    feedback_reject,
    feedback_remind,
    feedback_reply,
    feedback_reveal,
    feedback_reveal_all,
)
from .models import Feedback, FeedbackAttachment, FeedbackStep, Throttle
from .selectors import PublicFeedback, public_view

__all__ = [
    "CONSENT_TEXT",
    "CONSENT_VERSION",
    "AttachmentDamaged",
    "OpenedAttachment",
    "PublicFeedback",
    "Revealed",
    "Submitted",
    "Throttled",
    "feedback_accept",
    "feedback_attachment_open",
    "feedback_clue",
    "feedback_forward",
    "feedback_link",
    "feedback_lookup",
    "feedback_merge",
    "feedback_purge",
    "feedback_reject",
    "feedback_remind",
    "feedback_reply",
    "feedback_reveal",
    "feedback_reveal_all",
    "feedback_submit",
    "form_token",
]

#: The version of the notice below, stored with each submission; change it with every change of the text.
CONSENT_VERSION = "2026-1"


def _consent_text() -> str:
    days = int(getattr(settings, "FEEDBACK_RETENTION_DAYS", 3 * 365))
    return (
        "个人信息告知书\n"
        "一、收集的信息：仅收集您主动填写的姓名、联系电话、电子邮箱，以及您反映的意见建议和上传的附件"
        "（图片或 PDF）。姓名、电话、邮箱均可不填，可以匿名反映。\n"
        "二、使用目的：仅用于核实、办理和答复您反映的问题，必要时与您联系。\n"
        f"三、保存期限：自答复或办结之日起保存 {days} 天，期满后删除您的姓名、电话、邮箱和附件。\n"
        "四、保护措施：您的姓名、电话、邮箱加密存储，工作人员默认只能看到脱敏后的信息，"
        "查看完整信息须经授权并留有记录。\n"
        "五、公开范围：您的个人信息不会公开。只有在您勾选同意后，对您意见的答复（不含您的个人信息）"
        "才可能在公开页面发布。\n"
        "六、您的权利：您可以凭查询编号和查询码查看办理情况；提交即表示您已阅读并同意本告知书。"
    )


#: The 个人信息告知书 shown on the form; ``CONSENT_VERSION`` is stored with each submission.
CONSENT_TEXT = _consent_text()

#: An alphabet without look-alikes (no 0/O, 1/I): 32 symbols, 5 bits each.
ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
TRACKING_PREFIX = "GK"
TRACKING_CHARS = 16
CODE_CHARS = 8
#: How long a form token stays valid (a citizen may take a while to write).
TOKEN_MAX_AGE = 24 * 3600
_TOKEN_SALT = "zhenggai.feedback.form"  # noqa: S105  a signing namespace, not a secret
_NAME_MAX = 20
_EMAIL_MAX = 254
#: The types a citizen may attach: photos and PDF (the evidence store also takes office files).
ATTACHMENT_TYPES = frozenset({"image/jpeg", "image/png", "application/pdf"})
_ATTACHMENT_EXTENSIONS = (".jpg", ".jpeg", ".png", ".pdf")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Throttled(ServiceError):
    """Too many requests from one address or to one round (429); ``retry_after`` in seconds."""

    http_status = 429

    def __init__(self, message: str = "提交过于频繁，请稍后再试。", *, retry_after: int = 60) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@dataclass(frozen=True)
class Submitted:
    """What the citizen keeps: the tracking number and the query code (shown once)."""

    tracking: str
    code: str


# --- throttles ------------------------------------------------------------------------------------


def _hit(key: str, window: str, limit: int, ends: dt.datetime) -> bool:
    """Count one request in (key, window); False when the limit was already reached.

    get_or_create (its unique constraint settles a race between processes) and a conditional
    UPDATE that only increments below the limit, so two processes never both take the last slot.
    """
    with transaction.atomic():
        row, _ = Throttle.objects.get_or_create(key=key, window=window, defaults={"expires_at": ends})
        return bool(Throttle.objects.filter(pk=row.pk, count__lt=limit).update(count=F("count") + 1))


def _windows(now: dt.datetime) -> dict[str, tuple[str, dt.datetime]]:
    minute = now.replace(second=0, microsecond=0)
    hour = minute.replace(minute=0)
    day = hour.replace(hour=0)
    return {
        "m": (minute.strftime("%Y%m%d%H%M"), minute + dt.timedelta(minutes=1)),
        "h": (hour.strftime("%Y%m%d%H"), hour + dt.timedelta(hours=1)),
        "d": (day.strftime("%Y%m%d"), day + dt.timedelta(days=1)),
    }


def _throttle(*, purpose: str, client_ip: str, round: Round | None, now: dt.datetime) -> None:
    """Count the request against every limit that applies; ``Throttled`` when one is exhausted.

    Each counter is committed on its own, before the caller's work: a refused or invalid
    submission still counts."""
    win = _windows(now)
    address = pii.keyed_digest(f"throttle-{purpose}", client_ip or "-")
    limits: list[tuple[str, str, int, dt.datetime]] = [
        (address, f"{purpose}-m{win['m'][0]}", int(settings.FEEDBACK_RATE_PER_MINUTE), win["m"][1]),
        (address, f"{purpose}-d{win['d'][0]}", int(settings.FEEDBACK_RATE_PER_DAY), win["d"][1]),
    ]
    if round is not None:
        key = pii.keyed_digest(f"throttle-{purpose}-round", str(round.pk))
        limits.append(
            (key, f"{purpose}-h{win['h'][0]}", int(settings.FEEDBACK_ROUND_RATE_PER_HOUR), win["h"][1])
        )
    for key, window, limit, ends in limits:
        if not _hit(key, window, limit, ends):
            retry = max(1, int((ends - now).total_seconds()))
            raise Throttled(retry_after=retry)


# --- the form token ---------------------------------------------------------------------------------


def form_token(*, round: Round) -> str:
    """A signed one-time token for the form of ``round`` (round id, a random nonce, the time)."""
    return signing.TimestampSigner(salt=_TOKEN_SALT).sign_object(
        {"r": round.pk, "n": secrets.token_urlsafe(24)}
    )


def _nonce_of(token: str, round: Round) -> str:
    try:
        data: Any = signing.TimestampSigner(salt=_TOKEN_SALT).unsign_object(
            token or "", max_age=TOKEN_MAX_AGE
        )
    except signing.SignatureExpired:
        raise InvalidInput("表单已过期，请刷新页面后重新填写。", field="token") from None
    except signing.BadSignature:
        raise InvalidInput("表单标识不正确，请刷新页面后重新填写。", field="token") from None
    if not isinstance(data, dict) or data.get("r") != round.pk or not isinstance(data.get("n"), str):
        raise InvalidInput("表单标识不正确，请刷新页面后重新填写。", field="token")
    return str(data["n"])


# --- checking the input -----------------------------------------------------------------------------


def _clean_text(value: str) -> str:
    return _CONTROL.sub("", value or "").strip()


def _check_content(content: str) -> str:
    limit = int(settings.FEEDBACK_MAX_CHARS)
    # Measured before anything is stripped or stored: 1 MB of text is refused, not cut.
    if len(content or "") > limit * 2:
        raise InvalidInput(f"意见建议不能超过 {limit} 字。", field="content")
    text = _clean_text(content)
    if not text:
        raise InvalidInput("请填写您的意见建议。", field="content")
    if len(text) > limit:
        raise InvalidInput(f"意见建议不能超过 {limit} 字（现有 {len(text)} 字）。", field="content")
    return text


def _check_name(name: str) -> str:
    text = _clean_text(name)
    if len(text) > _NAME_MAX:
        raise InvalidInput(f"姓名不能超过 {_NAME_MAX} 个字。", field="name")
    return text


def _check_phone(phone: str) -> str:
    raw = _clean_text(phone)
    if not raw:
        return ""
    if len(raw) > 30:
        raise InvalidInput("联系电话格式不正确。", field="phone")
    digits = pii.normalize_phone(raw)
    if not digits:
        raise InvalidInput(
            "联系电话格式不正确：请填写 11 位手机号码，或带区号的固定电话（如 0556-5123456）。", field="phone"
        )
    return digits


def _check_email(email: str) -> str:
    value = pii.normalize_email(_clean_text(email))
    if not value:
        return ""
    if len(value) > _EMAIL_MAX:
        raise InvalidInput("电子邮箱格式不正确。", field="email")
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidInput("电子邮箱格式不正确。", field="email") from None
    return value


def _check_files(files: Sequence[Any]) -> None:
    """The count, sizes and names, before a byte is stored (the store checks the content)."""
    most = int(settings.FEEDBACK_MAX_FILES)
    if len(files) > most:
        raise InvalidInput(f"附件最多 {most} 个（本次 {len(files)} 个）。", field="files")
    limit = int(settings.FEEDBACK_MAX_FILE_BYTES)
    for f in files:
        name = evidence_store.clean_name(getattr(f, "name", "") or "")
        size = getattr(f, "size", None)
        if size is not None and size > limit:
            raise InvalidInput(
                f"附件“{name}”超过大小限制（最大 {limit // (1024 * 1024)} MB）。", field="files"
            )
        if not name.lower().endswith(_ATTACHMENT_EXTENSIONS):
            raise InvalidInput(
                f"附件“{name}”的类型不被接受：只接受 JPG、PNG 图片和 PDF 文件。", field="files"
            )


def _random(n: int) -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(n))


def code_digest(tracking: str, code: str) -> str:
    return pii.keyed_digest("feedback-code", f"{tracking}:{code}")


def normalize_tracking(value: str) -> str:
    return re.sub(r"[\s\-]", "", value or "").upper()[:40]


# --- the public services ------------------------------------------------------------------------------


def feedback_submit(
    *,
    round: Round,
    token: str,
    content: str,
    name: str = "",
    phone: str = "",
    email: str = "",
    files: Sequence[Any] = (),
    consent: bool,
    consent_publish: bool,
    client_ip: str,
    honeypot: str = "",
) -> Submitted:
    """A citizen's feedback on ``round``: checked, its personal data encrypted, its attachments
    stored; returns the tracking number and the query code (the code is not kept in clear).

    Refusals: ``Throttled`` (429, also for a filled honeypot), ``InvalidInput`` (field named),
    ``DuplicateSubmission`` (409, a replayed form). Nothing is stored when it fails."""
    now = timezone.now()
    _throttle(purpose="submit", client_ip=client_ip, round=round, now=now)
    if honeypot:
        raise Throttled()
    nonce = _nonce_of(token, round)
    if not consent:
        raise InvalidInput("请阅读并同意个人信息告知书后再提交。", field="consent")
    text = _check_content(content)
    clean_name = _check_name(name)
    clean_phone = _check_phone(phone)
    clean_email = _check_email(email)
    _check_files(files)
    if Feedback.objects.filter(form_nonce=nonce).exists():
        raise DuplicateSubmission("这份反映已经提交过，没有重复保存。", existing=None)
    code = _random(CODE_CHARS)
    stored: list[evidence_store.StoredFile] = []
    try:
        with transaction.atomic():
            tracking = TRACKING_PREFIX + _random(TRACKING_CHARS)
            fb = Feedback(
                round=round,
                unit=round.unit,
                tracking=tracking,
                code_digest=code_digest(tracking, code),
                form_nonce=nonce,
                content=text,
                anonymous=not (clean_name or clean_phone or clean_email),
                name_ct=pii.encrypt(clean_name, field="name", tracking=tracking),
                phone_ct=pii.encrypt(clean_phone, field="phone", tracking=tracking),
                email_ct=pii.encrypt(clean_email, field="email", tracking=tracking),
                phone_index=pii.blind_index("phone", clean_phone),
                email_index=pii.blind_index("email", clean_email),
                ip_index=pii.blind_index("ip", client_ip) if client_ip else "",
                consent_version=CONSENT_VERSION,
                consent_publish=bool(consent_publish),
            )
            fb.full_clean(exclude=["round", "unit"])
            try:
                with transaction.atomic():
                    fb.save()
            except IntegrityError:
                raise DuplicateSubmission("这份反映已经提交过，没有重复保存。", existing=None) from None
            for f in files:
                if hasattr(f, "seek"):
                    f.seek(0)
                s = evidence_store.store(f, getattr(f, "name", "") or "")
                stored.append(s)
                if s.content_type not in ATTACHMENT_TYPES:
                    raise InvalidInput(
                        f"附件“{s.original_name}”的类型不被接受：只接受 JPG、PNG 图片和 PDF 文件。",
                        field="files",
                    )
                if s.size > int(settings.FEEDBACK_MAX_FILE_BYTES):
                    raise InvalidInput(f"附件“{s.original_name}”超过大小限制。", field="files")
                FeedbackAttachment.objects.create(
                    feedback=fb,
                    unit=fb.unit,
                    storage_name=s.storage_name,
                    algorithm=s.algorithm,
                    sha256=s.sha256,
                    size=s.size,
                    content_type=s.content_type,
                    name=s.original_name,
                )
            FeedbackStep.objects.create(
                feedback=fb, unit=fb.unit, action="received", note="已收到您的反映", public=True, at=now
            )
            _audit_anonymous(fb, files=len(stored))
    except BaseException:
        evidence_store.discard(stored)
        raise
    return Submitted(tracking=tracking, code=code)


def _audit_anonymous(fb: Feedback, *, files: int) -> None:
    """``feedback.receive``, without the citizen's address: the request context's address is
    blanked for this one event (the address is kept only as the blind index on the row)."""
    ctx = current_request_context()
    token = set_request_context(RequestContext(ctx.request_id, ""))
    try:
        audit_record(
            actor=None,
            action="feedback.receive",
            obj=fb,
            unit_id=fb.unit_id,
            after={
                "round": fb.round_id,
                "tracking": fb.tracking,
                "anonymous": fb.anonymous,
                "attachments": files,
                "consent_version": fb.consent_version,
                "consent_publish": fb.consent_publish,
            },
        )
    finally:
        reset_request_context(token)


#: Compared against when the tracking number is unknown, so both answers take the same work.
_DUMMY_DIGEST = "0" * 64


def feedback_lookup(*, tracking: str, code: str, client_ip: str) -> PublicFeedback | None:
    """The handling of a feedback for whoever holds its tracking number and query code; ``None``
    for an unknown number and for a wrong code alike. Throttled per address like the form."""
    _throttle(purpose="lookup", client_ip=client_ip, round=None, now=timezone.now())
    number = normalize_tracking(tracking)
    given = normalize_tracking(code)[: CODE_CHARS * 2]
    fb = Feedback.objects.filter(tracking=number).first() if number else None
    expected = fb.code_digest if fb is not None else _DUMMY_DIGEST
    actual = code_digest(number, given)
    if not crypto.constant_time_equal(expected, actual) or fb is None:
        return None
    return public_view(fb)
