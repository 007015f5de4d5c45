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
#: And those of every write: a stale ``version`` or a refused transition (409), a body over
#: ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (413). ``document_shared`` adds both to every write anyway.
WRITE = {**COMMON, 409: ErrorOut, 413: ErrorOut}
_WRITE_METHODS = {"post", "put", "patch", "delete"}


def document_shared(schema: dict[str, Any], *, max_limit: int, default_limit: int) -> None:
    """Say in the OpenAPI document what every operation may answer, whatever its router declared.

    Any operation may be refused by the token check (401), scope (403/404) or validation
    (400/422), and any write may be stale (409) or too large (413): a client, and schemathesis,
    must find each documented. ``limit`` is bounded by ``pagination.check_limit`` (a 400 outside
    the bounds), which ninja cannot see: the bounds are written into the parameter here.
    """
    codes = {str(c) for c in COMMON}
    for item in schema.get("paths", {}).values():
        for method, op in item.items():
            responses = op.get("responses")
            if not isinstance(responses, dict) or not any(str(c) in codes for c in responses):
                continue
            shape = next(responses[c] for c in responses if str(c) in codes)
            wanted = codes | ({"409", "413"} if method in _WRITE_METHODS else set())
            present = {str(c) for c in responses}
            for code in sorted(wanted - present):
                responses[int(code)] = {**shape, "description": _DESCRIPTIONS[code]}
            for param in op.get("parameters", []):
                if param.get("in") == "query" and param.get("name") == "limit":
                    param["schema"] = {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": max_limit,
                        "default": default_limit,
                        "title": "Limit",
                        "description": f"每页条数，1 至 {max_limit}，默认 {default_limit}。",
                    }


_DESCRIPTIONS = {
    "400": "Bad Request",
    "401": "Unauthorized",
    "403": "Forbidden",
    "404": "Not Found",
    "409": "Conflict",
    "413": "Content Too Large",
    "422": "Unprocessable Entity",
}
