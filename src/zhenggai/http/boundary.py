"""The error boundary: any ``ServiceError`` a view lets through is answered by its ``http_status``.

A view handles only the refusals it can show better itself (an ``InvalidInput`` next to its
form field); everything else reaches this middleware, placed last in ``MIDDLEWARE`` so its
``process_exception`` runs first and the answer still passes through the others (probe
recording, security headers, the request id):

- a ``Conflict`` (a refusal ``refusals_recorded`` has written down) → the conflict page with
  its status;
- any other ``ServiceError``, by ``http_status`` as ``http_error`` maps it: 403 → the 403
  page and 404 → the 404 page (Django's own handlers, as for ``PermissionDenied`` and
  ``Http404``), anything else → the conflict page saying nothing was recorded;
- under ``/api/`` the answer is JSON instead, one shape for every error:
  ``{"error": {"code": "stale_edit", "message": "…", "field": null}}``.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.handlers.exception import response_for_exception
from django.http import HttpRequest, HttpResponse, JsonResponse

from zhenggai.errors import ServiceError

from .errors import Conflict, conflict_response, http_error

API_PREFIX = "/api/"


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the JSON API (answered in JSON, never with a page)."""
    return request.path_info.startswith(API_PREFIX)


def error_code(err: BaseException) -> str:
    """The API's name for an error: the class name in snake case (``StaleEdit`` → ``stale_edit``)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", type(err).__name__).lower()


def error_json(err: ServiceError | Conflict, status: int) -> JsonResponse:
    """The one error shape of the API."""
    body = {"error": {"code": error_code(err), "message": str(err), "field": getattr(err, "field", None)}}
    return JsonResponse(body, status=status)


class ErrorBoundaryMiddleware:
    """Answers an uncaught ``ServiceError`` (or ``Conflict``) by its status; see the module."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, Conflict):
            if is_api(request):
                # The service's own error names the refusal (``stale_edit``), when there is one.
                cause = exception.__cause__
                return error_json(cause if isinstance(cause, ServiceError) else exception, exception.status)
            return conflict_response(request, exception)
        if not isinstance(exception, ServiceError):
            return None  # Django's own handling (404, 403, 400, 500)
        if is_api(request):
            return error_json(exception, exception.http_status)
        answer = http_error(exception)
        if isinstance(answer, Conflict):
            answer.recorded = False  # not through refusals_recorded: nothing was written
            return conflict_response(request, answer)
        # PermissionDenied or Http404: Django's handlers render 403.html / 404.html (and log).
        return response_for_exception(request, answer)
