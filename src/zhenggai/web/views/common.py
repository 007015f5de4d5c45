"""What every page view shares: the answer to a refused service call, the POST-only actions."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from zhenggai.ledger import services
from zhenggai.ledger.errors import NotAllowed, StaleEdit, TransitionRefused


class Conflict(Exception):
    """A refused transition or a stale edit, already recorded; answered with the 409 page."""

    def __init__(self, message: str, back: str = "") -> None:
        super().__init__(message)
        self.back = back


@contextmanager
def refusals_recorded(request: HttpRequest, *, action: str, obj: Any, back: str = "") -> Iterator[None]:
    """Run a service call; record a refusal after its transaction has rolled back.

    ``NotAllowed`` becomes the 403 page, ``TransitionRefused`` and ``StaleEdit`` a
    ``Conflict`` (409). ``InvalidInput`` passes through to the view, which puts the
    message next to its form field.
    """
    try:
        yield
    except NotAllowed as err:
        services.record_refusal(actor=request.user, action=action, obj=obj, reason=str(err))
        raise PermissionDenied(str(err)) from err
    except (TransitionRefused, StaleEdit) as err:
        services.record_refusal(actor=request.user, action=action, obj=obj, reason=str(err))
        raise Conflict(str(err), back) from err


def conflict_response(request: HttpRequest, err: Conflict) -> HttpResponse:
    return render(request, "409.html", {"message": str(err), "back": err.back}, status=409)


def action_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """A POST-only view of a logged-in user whose refused transitions answer 409."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Conflict as err:
            return conflict_response(request, err)

    return login_required(require_POST(wrapper))


def page_number(request: HttpRequest) -> str:
    return request.GET.get("page") or "1"
