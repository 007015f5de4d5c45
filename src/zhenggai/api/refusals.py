"""Refused service calls through the API are recorded, like the pages record theirs.

A write route wraps its service call in ``recorded(request, action=..., obj=...)``: a refusal
(``NotAllowed``, ``TransitionRefused``, ``StaleEdit``, ``Gone``…) is recorded as a denied audit
event once the service's transaction has rolled back, then re-raised for the API's exception
handlers to answer in the one error shape. Bad input (``InvalidInput``) is not a refusal: it
passes through unrecorded, as it does on the pages (``http.errors.refusals_recorded``).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import cast

from django.db.models import Model
from django.http import HttpRequest

from zhenggai.accounts.actors import Actor
from zhenggai.errors import InvalidInput, ServiceError
from zhenggai.ledger import services


def actor_of(request: HttpRequest) -> Actor:
    """The token's user, as the ``Actor`` a service takes (``TokenAuth`` ran before any route)."""
    return cast("Actor", request.user)


@contextmanager
def recorded(request: HttpRequest, *, action: str, obj: Model) -> Iterator[None]:
    """Run a service call; record its refusal of ``action`` on ``obj`` after the rollback and
    re-raise it (the API's handlers give the status and the error shape)."""
    try:
        yield
    except InvalidInput:
        raise
    except ServiceError as err:
        # Outside the service's atomic block: the refusal must survive the rollback.
        services.record_refusal(actor=actor_of(request), action=action, obj=obj, reason=str(err))
        raise
