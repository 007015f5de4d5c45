"""The request of a logged-in user, as the type checker sees it.

django-stubs type ``request.user`` as ``User | AnonymousUser`` (``accounts.actors.Viewer``).
Behind ``login_required`` (``action_view``, ``admin_page``) it is a ``User``: a view so wrapped
takes ``request: AuthedRequest`` and passes ``request.user`` to a service as its ``Actor``. A
view that also answers the anonymous keeps ``HttpRequest`` and narrows with
``if request.user.is_authenticated:``.

Only a name for type checking (the django-stubs recipe for an authenticated request): Django
still passes its own ``HttpRequest``; nothing checks or converts it here.
"""

from __future__ import annotations

from django.http import HttpRequest

from zhenggai.accounts.actors import Actor


class AuthedRequest(HttpRequest):
    """An ``HttpRequest`` whose user is logged in (the view is behind ``login_required``)."""

    user: Actor
