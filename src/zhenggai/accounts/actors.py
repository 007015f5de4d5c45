"""Who is acting: the types that service and selector signatures take for the user.

- ``Actor``: an authenticated person acting, the concrete user model (``accounts.models.User``).
  Services take ``actor: Actor``; the ones the operator's console also calls (``zhenggai``
  commands, seeding) take ``actor: Actor | None``, where ``None`` is the console (recorded as
  such in the audit trail).
- ``Viewer``: anyone a request can carry, ``User | AnonymousUser`` (``request.user``).
  Selectors that answer anyone (nothing for the anonymous) take ``user: Viewer``; a view passes
  ``request.user`` as is, and narrows it with ``if user.is_authenticated:`` before calling a
  service (mypy narrows the union on that test).

A user who is acted upon (the account being disabled, the member being granted a role) is a
``User``, not an ``Actor``.

Only names for type checking: nothing here runs a query or imports a model at start-up, so any
package above ``accounts`` may import it (directly, or under ``TYPE_CHECKING``). ``units`` and
``audit`` sit below ``accounts`` (``accounts`` imports them) and may not import it, not even
under ``TYPE_CHECKING`` (the layer check reads every import); they spell the same two types
through django-stubs, whose mypy plugin resolves ``_User`` to ``AUTH_USER_MODEL``::

    if TYPE_CHECKING:
        from django.contrib.auth.models import _AnyUser as Viewer  # accounts.actors.Viewer
        from django.contrib.auth.models import _User as Actor  # accounts.actors.Actor
"""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from .models import User

Actor: TypeAlias = "User"
Viewer: TypeAlias = "User | AnonymousUser"

__all__ = ["Actor", "Viewer"]
