"""Who is asking: the bearer token, checked on every request, and what it narrows.

A token acts as its user, with the user's roles and clearance, but only inside the token's unit
subtree (``units.selectors.narrow_to``): every selector and role check of the request sees the
narrowed memberships. A read token may not write (``require_write``). The use is recorded after
the answer by ``TokenUseMiddleware`` (method, path, status), refusals included.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja.security import HttpBearer

from zhenggai.accounts.models import ApiToken, TokenScope
from zhenggai.accounts.tokens import token_authenticate, token_use_record
from zhenggai.units.selectors import narrow_to

from .errors import ApiError

_ATTR = "api_token"


class TokenAuth(HttpBearer):
    """``Authorization: Bearer zg_…``; a refused token raises ``TokenRefused`` (401, recorded)."""

    def authenticate(self, request: HttpRequest, token: str) -> ApiToken:
        row = token_authenticate(raw=token.strip())
        user = row.user
        narrow_to(user, row.unit)
        request.user = user
        setattr(request, _ATTR, row)
        return row


def token_of(request: HttpRequest) -> ApiToken:
    row: ApiToken = getattr(request, _ATTR)
    return row


def require_write(request: HttpRequest) -> None:
    """Refuse a write through a read-only token (403, recorded as a denied use of the token)."""
    if token_of(request).scope != TokenScope.WRITE:
        raise ApiError(403, "read_only_token", "该接口令牌为只读令牌，不能修改数据。")


class TokenUseMiddleware:
    """Records every use of an API token once the answer is known (its status included)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        row: Any = getattr(request, _ATTR, None)
        if row is not None:
            token_use_record(
                token=row, method=request.method or "", path=request.path, status=response.status_code
            )
        return response
