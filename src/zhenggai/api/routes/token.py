"""The token of the request itself (当前令牌): whose it is, what it may do, where and until when.

A client checks its token before a batch (is it live, may it write, when must it be renewed)
without touching the ledger. It answers from the row the authentication has just read: no
query of its own. Never the secret, only the prefix the token list shows.
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from ..auth import token_of
from ..errors import COMMON

router = Router()


class TokenOut(Schema):
    name: str
    #: The first characters of the token, as the token list (接口令牌) shows them.
    prefix: str
    #: ``read`` or ``write``.
    scope: str
    #: The unit whose subtree the token is narrowed to (null: an administrator's token, no unit data).
    unit_id: int | None
    unit_name: str | None
    user_id: int
    username: str
    user_name: str
    created_at: dt.datetime
    expires_at: dt.datetime
    #: The last use recorded before this one (moved at most once a minute).
    last_used_at: dt.datetime | None


@router.get("", response={200: TokenOut, **COMMON}, summary="当前令牌")
def token_self(request: HttpRequest) -> dict[str, object]:
    """The token this request carries: its name, scope, unit, owner and expiry."""
    t = token_of(request)
    return {
        "name": t.name,
        "prefix": t.prefix,
        "scope": t.scope,
        "unit_id": t.unit_id,
        "unit_name": t.unit.name if t.unit is not None else None,
        "user_id": t.user_id,
        "username": t.user.username,
        "user_name": str(t.user),
        "created_at": t.created_at,
        "expires_at": t.expires_at,
        "last_used_at": t.last_used_at,
    }
