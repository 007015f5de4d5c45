"""A request id and the client address for every audit event of a request."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from zhenggai.audit.services import RequestContext, reset_request_context, set_request_context


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = uuid.uuid4().hex
        request.request_id = rid  # type: ignore[attr-defined]
        # The address comes from the socket; a trusted proxy header is configured later (issue 5).
        token = set_request_context(RequestContext(rid, request.META.get("REMOTE_ADDR", "")))
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-Id"] = rid
        return response
