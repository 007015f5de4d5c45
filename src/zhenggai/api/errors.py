"""The one error shape of the API: ``{"error": {"code", "message", "field"}}``, messages in Chinese.

``code`` is a stable English name a client can branch on (``stale_edit``, ``not_found``,
``token_expired``, ``invalid``…); ``message`` is for a person; ``field`` names the input that
was wrong, when there is one (a query parameter, a body field, ``cursor``).
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from ninja import Schema


class ErrorDetail(Schema):
    code: str
    message: str
    field: str | None = None


class ErrorOut(Schema):
    error: ErrorDetail


class ApiError(Exception):
    """An answer the API gives on purpose (bad cursor, read-only token, too large)."""

    def __init__(self, status: int, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.field = field


def error_response(status: int, code: str, message: str, field: str | None = None) -> HttpResponse:
    body: dict[str, Any] = {"error": {"code": code, "message": message, "field": field}}
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


def api_error(_request: HttpRequest, exc: ApiError) -> HttpResponse:
    return error_response(exc.status, exc.code, str(exc), exc.field)


#: The responses every operation may give besides its own, for the OpenAPI document.
COMMON = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
