"""The session engine (``SESSION_ENGINE``): Django's database store, with the user on each row.

``end_sessions(user)`` deletes every session of a user on the server (disabling an account, a
password set by the system administrator, a password change on another device). An expired
session's row is deleted when its cookie comes back; ``zhenggai clearsessions`` removes the rest.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore as DBStore
from django.utils import timezone

if TYPE_CHECKING:
    from .models import User, UserSession


class SessionStore(DBStore):
    @classmethod
    def get_model_class(cls) -> type[UserSession]:
        from .models import UserSession

        return UserSession

    def _get_session_from_db(self) -> Any:
        key = self.session_key
        # django-stubs omit DBStore._get_session_from_db (django/contrib/sessions/backends/db.py).
        found = super()._get_session_from_db()  # type: ignore[misc]
        if found is None and key:
            # An expired session is deleted when it is presented, not only by clearsessions.
            self.model.objects.filter(session_key=key, expire_date__lte=timezone.now()).delete()
        return found

    def create_model_instance(self, data: dict[str, Any]) -> UserSession:
        obj = cast("UserSession", super().create_model_instance(data))  # of get_model_class()
        try:
            obj.user_id = int(data.get(SESSION_KEY))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            obj.user_id = None
        return obj


def end_sessions(user: User, *, keep: str | None = None) -> int:
    """Delete the server-side sessions of ``user`` (all but ``keep``); the number deleted."""
    from .models import UserSession

    rows = UserSession.objects.filter(user_id=user.pk)
    if keep:
        rows = rows.exclude(session_key=keep)
    deleted, _ = rows.delete()
    return deleted
