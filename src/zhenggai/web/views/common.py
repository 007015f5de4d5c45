"""What every page view shares: the answer to a refused service call, the POST-only actions,
the 安全标记 badge and form of problem and measure pages."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Any

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from zhenggai.accounts.models import Sensitivity
from zhenggai.ledger import selectors, services
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


# --- 安全标记 (REQ-1.10) ------------------------------------------------------------------------

LABEL_CSS = {
    Sensitivity.PUBLIC: "text-bg-light border",
    Sensitivity.INTERNAL: "text-bg-secondary",
    Sensitivity.SENSITIVE: "text-bg-danger",
}


def label_badge(label: str) -> dict[str, str]:
    """What the page shows of a label: its name and the badge's classes."""
    name = Sensitivity(label).label if label in Sensitivity.values else label
    return {"value": label, "name": name, "css": LABEL_CSS.get(label, "text-bg-dark")}


class LabelForm(forms.Form):
    """The 安全标记 of a problem or measure. Any label is accepted here, so that one above the
    user's clearance reaches the service and is refused there (and recorded); the list offers
    only ``offered``."""

    sensitivity = forms.ChoiceField(label="安全标记", choices=Sensitivity.choices)

    def __init__(self, *args: Any, offered: list[str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "label")
        super().__init__(*args, **kwargs)
        if offered is not None:
            widget = self.fields["sensitivity"].widget
            widget.choices = [(v, n) for v, n in Sensitivity.choices if v in offered]


def label_choices(user: Any, floor: str | None = None) -> list[str]:
    """Labels the user may give: up to their clearance, and not below ``floor`` (a parent's)."""
    offered = Sensitivity.up_to(selectors.clearance_of(user))
    if floor in Sensitivity.values:
        offered = [v for v in offered if Sensitivity.values.index(v) >= Sensitivity.values.index(floor)]
    return offered
