"""申请延期 on the measure page: ``{% load extensions %}{% extension_box measure %}`` shows the
first deadline of an extended measure, a waiting request (with a link to decide or see it) and
the button to ask, each only to whom it applies. One query (the waiting request)."""

from __future__ import annotations

from typing import Any

from django import template

from zhenggai.supervision.selectors.warnings import pending_extension_of
from zhenggai.supervision.services.extensions import may_decide_extension, may_request_extension

register = template.Library()


@register.inclusion_tag("web/supervision/warnings/_extension_box.html", takes_context=True)
def extension_box(context: template.Context, measure: Any) -> dict[str, Any]:
    request = context.get("request")
    user = getattr(request, "user", None)
    pending = pending_extension_of(measure=measure)
    authed = user is not None and user.is_authenticated
    return {
        "measure": measure,
        "pending": pending,
        "may_request": authed and pending is None and may_request_extension(user, measure),
        "may_decide": authed and pending is not None and may_decide_extension(user, pending),
    }
