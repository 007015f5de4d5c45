"""API tokens: created (shown once), checked on every API request, revoked.

A token is ``zg_`` and 40 URL-safe random characters. Only its SHA-256 digest is stored. Each
creation, revocation and refused token is recorded; each use is recorded by the API
(``token_use_record``) with the method, path and answer.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any, ClassVar

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from zhenggai.audit.services import audit_record, audit_security_event
from zhenggai.units.models import Unit
from zhenggai.units.selectors import memberships_of

from .models import AdminRole, ApiToken, TokenScope

PREFIX = "zg_"
#: How much of a token is kept in clear (the list shows it, refusals record it): "zg_" and 7 more.
SHOWN = len(PREFIX) + 7
MAX_DAYS = 365
MAX_ACTIVE_PER_USER = 20
#: ``last_used_at`` moves at most this often (a write per request would be one write too many).
LAST_USED_STEP = dt.timedelta(minutes=1)


class TokenError(ValueError):
    """Input a form or the API shows next to its field."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class TokenRefused(Exception):
    """A token that does not authenticate; ``code`` names why (invalid, expired, revoked, inactive)."""

    MESSAGES: ClassVar[dict[str, str]] = {
        "token_invalid": "接口令牌无效。",
        "token_expired": "接口令牌已过期，请重新创建。",
        "token_revoked": "接口令牌已被撤销。",
        "token_inactive": "该令牌所属账号已停用。",
    }

    def __init__(self, code: str) -> None:
        super().__init__(self.MESSAGES[code])
        self.code = code


def digest_of(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_units(user: Any) -> list[Unit]:
    """The units a user may scope a token to: those of the user's memberships (their subtrees
    included, chosen by picking the unit itself), ordered by the tree."""
    units = {m.unit.pk: m.unit for m in memberships_of(user)}
    return sorted(units.values(), key=lambda u: u.path)


def _may_scope(user: Any, unit: Unit) -> bool:
    return any(unit.path.startswith(m.unit.path) for m in memberships_of(user) if m.unit.path)


def token_create(
    *,
    actor: Any,
    name: str,
    scope: str,
    unit: Unit | None,
    days: int,
    otp_code: str | None = None,
) -> tuple[ApiToken, str]:
    """Create a token for ``actor``; returns the row and the secret, which is never shown again.

    ``unit`` must lie in a subtree the user holds a role in; an administrator (三员) with no
    unit role makes a token with no unit. In production the second factor is required: a fresh
    code of the user's authenticator (``otp_code``).
    """
    name = (name or "").strip()
    if not name:
        raise TokenError("请填写令牌名称。", "name")
    if len(name) > 50:
        raise TokenError("令牌名称不能超过 50 个字。", "name")
    if scope not in TokenScope.values:
        raise TokenError("权限只能是只读或读写。", "scope")
    if not 1 <= days <= MAX_DAYS:
        raise TokenError(f"有效期应为 1 至 {MAX_DAYS} 天。", "days")
    if unit is None:
        if actor.admin_role == AdminRole.NONE:
            raise TokenError("请选择令牌限定的单位。", "unit")
    elif not _may_scope(actor, unit):
        audit_security_event(
            actor=actor, action="token.create", obj=unit, reason="无权在该单位范围内创建接口令牌"
        )
        raise PermissionDenied("您在该单位没有任何角色，不能创建限定于该单位的令牌。")
    if settings.PRODUCTION:
        from .services import otp_check

        # otp_check locks the device row (select_for_update), which needs a transaction.
        with transaction.atomic():
            otp_ok = bool(otp_code) and otp_check(user=actor, code=(otp_code or "").strip())
        if not otp_ok:
            audit_security_event(
                actor=actor, action="token.create", obj=actor, reason="创建接口令牌时动态口令错误"
            )
            raise TokenError("动态口令错误或已使用，请输入验证器上的新口令。", "otp_code")
    now = timezone.now()
    active = ApiToken.objects.filter(user=actor, revoked_at__isnull=True, expires_at__gt=now).count()
    if active >= MAX_ACTIVE_PER_USER:
        raise TokenError(f"每人最多 {MAX_ACTIVE_PER_USER} 个有效令牌，请先撤销不用的令牌。", "name")
    raw = PREFIX + secrets.token_urlsafe(30)
    with transaction.atomic():
        token = ApiToken(
            user=actor,
            name=name,
            scope=scope,
            unit=unit,
            prefix=raw[:SHOWN],
            digest=digest_of(raw),
            created_at=now,
            expires_at=now + dt.timedelta(days=days),
        )
        token.full_clean()
        token.save()
        audit_record(
            actor=actor,
            action="token.create",
            obj=token,
            unit_id=unit.pk if unit else None,
            after={
                "name": name,
                "scope": scope,
                "unit": unit.name if unit else "",
                "expires_at": token.expires_at.isoformat(),
            },
        )
    return token, raw


def may_revoke(actor: Any, token: ApiToken) -> bool:
    """The owner and the security administrator (安全管理员) may revoke a token."""
    return token.user_id == actor.pk or actor.admin_role == AdminRole.SECURITY


def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke a token now; revoking one already revoked changes nothing (and records nothing)."""
    if not may_revoke(actor, token):
        audit_security_event(actor=actor, action="token.revoke", obj=token, reason="无权撤销他人的接口令牌")
        raise PermissionDenied("只有令牌的所有者和安全管理员可以撤销令牌。")
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return locked
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by"])
        audit_record(
            actor=actor,
            action="token.revoke",
            obj=locked,
            unit_id=locked.unit_id,
            after={"name": locked.name, "owner": locked.user.username},
        )
    return locked


def token_authenticate(*, raw: str) -> ApiToken:
    """The live token ``raw`` names, with its user and unit; ``TokenRefused`` (recorded) if none.

    One indexed query. A refusal is recorded as a failed ``auth.token`` with the token's prefix
    only (never the secret).
    """
    token = None
    if raw.startswith(PREFIX) and len(raw) <= 100:
        token = ApiToken.objects.select_related("user", "unit").filter(digest=digest_of(raw)).first()
    code = ""
    if token is None:
        code = "token_invalid"
    elif token.revoked_at is not None:
        code = "token_revoked"
    elif token.expires_at <= timezone.now():
        code = "token_expired"
    elif not token.user.is_active:
        code = "token_inactive"
    if code:
        audit_security_event(
            actor=token.user if token else None,
            action="auth.token",
            obj=token,
            reason=TokenRefused.MESSAGES[code],
            # Only what the token list shows; a string that is not one of ours may be some other
            # secret pasted by mistake, so none of it is kept.
            detail={"prefix": raw[:SHOWN] if raw.startswith(PREFIX) else ""},
            outcome="failed",
        )
        raise TokenRefused(code)
    return token  # type: ignore[return-value]  # code is empty only when a token was found


def token_use_record(*, token: ApiToken, method: str, path: str, status: int) -> None:
    """Record one use of a token (every API request it authenticates), and move ``last_used_at``."""
    now = timezone.now()
    audit_record(
        actor=token.user,
        action="token.use",
        obj=token,
        unit_id=token.unit_id,
        after={"method": method, "path": path[:200], "status": status},
        outcome="ok" if status < 400 else "denied",
    )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_STEP:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)


def token_get(*, pk: int) -> ApiToken | None:
    """One token with its owner and unit (whoever asks: ``token_revoke`` decides who may act)."""
    return ApiToken.objects.select_related("user", "unit").filter(pk=pk).first()


def token_state(token: ApiToken, now: dt.datetime | None = None) -> str:
    """``revoked``, ``expired`` or ``live``: what the pages show and the API checks, in that order."""
    if token.revoked_at is not None:
        return "revoked"
    if token.expires_at <= (now or timezone.now()):
        return "expired"
    return "live"


def tokens_of(*, user: Any) -> list[ApiToken]:
    """The user's own tokens, newest first (live and past)."""
    return list(ApiToken.objects.filter(user=user).select_related("unit").order_by("-created_at")[:100])


def tokens_all(*, actor: Any) -> list[ApiToken]:
    """Every live token, for the security administrator; nobody else."""
    if actor.admin_role != AdminRole.SECURITY:
        raise PermissionDenied("只有安全管理员可以查看全部接口令牌。")
    return list(
        ApiToken.objects.filter(revoked_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("user", "unit")
        .order_by("-created_at")[:500]
    )
