"""Template context for every staff page: the inbox's unread count and the navbar's links that
depend on the user's roles (督办看板, 群众反馈, 公开审批)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from zhenggai.feedback.selectors import READERS as FEEDBACK_READERS
from zhenggai.ledger.policy import PUBLISH_ROLES
from zhenggai.notify.selectors import unread_count
from zhenggai.units.models import Role
from zhenggai.units.selectors import memberships_of


def inbox(request: HttpRequest) -> dict[str, Any]:
    """``inbox_unread``: the user's unread messages, one COUNT query, run only when a template
    shows it (a download or a redirect runs none); nothing for the anonymous."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "inbox_unread": SimpleLazyObject(lambda: unread_count(user=user)),
        # 督办看板 in the navbar for supervisors (the memberships are read once per request).
        "nav_supervisor": SimpleLazyObject(
            lambda: any(m.role == Role.SUPERVISOR for m in memberships_of(user))
        ),
        # 群众反馈 for those who handle or read it (supervisors read their units' from above).
        "nav_feedback": SimpleLazyObject(
            lambda: any(m.role in FEEDBACK_READERS or m.role == Role.SUPERVISOR for m in memberships_of(user))
        ),
        # 公开审批 for unit heads: the notices and reports waiting for their approval.
        "nav_publish": SimpleLazyObject(lambda: any(m.role in PUBLISH_ROLES for m in memberships_of(user))),
    }
