"""``/api/v1/``: the API's own URLs, and a JSON 404 for any other path under ``/api/``.

The API authenticates by token, not by session: its views are exempt from the login
redirect (``LoginRequiredMiddleware``) and from CSRF (ninja's views are, with token auth).
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver, include, path, re_path

from .errors import error_response
from .main import api


def _exempt(patterns: list[URLPattern | URLResolver]) -> None:
    for p in patterns:
        if isinstance(p, URLResolver):
            _exempt(p.url_patterns)
        else:
            p.callback.login_required = False  # type: ignore[attr-defined]


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", "没有这个接口地址。")


not_found.login_required = False  # type: ignore[attr-defined]

_api_patterns, _app, _ns = api.urls
_exempt(_api_patterns)

urlpatterns = [
    path("v1/", include((_api_patterns, _app), namespace=_ns)),
    re_path(r"^(?P<rest>.*)$", not_found),
]
