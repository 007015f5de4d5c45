"""The answer every audience gives to a refused service call.

``refusals_recorded`` runs a service call and records a refusal after its transaction has
rolled back; ``http_error`` maps a ``ServiceError`` to the answer its ``http_status`` names.
A refusal a view does not handle itself is answered by the error boundary
(``zhenggai.http.boundary``), so it is a page (or JSON under ``/api/``), never a server error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Model
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from zhenggai.errors import Gone, InvalidInput, ServiceError
from zhenggai.ledger import services

from .authed import AuthedRequest


class Conflict(Exception):
    """A refused service call, already recorded; answered with the conflict page (409, or
    the ``status`` of the refusal)."""

    def __init__(self, message: str, back: str = "", *, status: int = 409, recorded: bool = True) -> None:
        super().__init__(message)
        self.back = back
        self.status = status
        self.recorded = recorded


def http_error(err: ServiceError, back: str = "") -> Exception:
    """What a page raises for a refused service call, by the error's ``http_status``.

    The one mapping of ``ServiceError.http_status`` to a page (``refusals_recorded`` and the
    error boundary use it): 403 → the 403 page, 404 → the 404 page, anything else (409 for
    a refused transition, a stale edit or an object deleted meanwhile; 400 for input no form
    field shows) → the conflict page with the service's message and a link back.
    """
    if err.http_status == 403:
        return PermissionDenied(str(err))
    if err.http_status == 404:
        return Http404(str(err))
    return Conflict(str(err), back, status=err.http_status)


@contextmanager
def refusals_recorded(
    request: AuthedRequest, *, action: str, obj: Model, back: str = "", gone_back: str = ""
) -> Iterator[None]:
    """Run a service call; record a refusal after its transaction has rolled back.

    ``InvalidInput`` passes through to the view, which puts the message next to its form
    field. Any other ``ServiceError`` is recorded and raised as ``http_error`` says;
    ``gone_back`` is where to send the user when the object itself was deleted meanwhile
    (``Gone``: its own page no longer exists).
    """
    try:
        yield
    except InvalidInput:
        raise
    except ServiceError as err:
        services.record_refusal(actor=request.user, action=action, obj=obj, reason=str(err))
        raise http_error(err, (gone_back or back) if isinstance(err, Gone) else back) from err


def conflict_response(request: HttpRequest, err: Conflict) -> HttpResponse:
    context = {"message": str(err), "back": err.back, "status": err.status, "recorded": err.recorded}
    return render(request, "409.html", context, status=err.status)


def action_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A POST-only view of a logged-in user (its refusals are answered by the error boundary)."""
    return login_required(require_POST(view))


def require_allowed(request: AuthedRequest, allowed: bool, *, action: str, obj: Model, reason: str) -> None:
    """Refuse a page the user may not use (403 with ``reason``); a refused POST is recorded as
    a refusal of ``action`` on ``obj`` (a GET only looks, and writes nothing)."""
    if allowed:
        return
    if request.method == "POST":
        services.record_refusal(actor=request.user, action=action, obj=obj, reason=reason)
    raise PermissionDenied(reason)
