"""``/api/v1/``: the API's own URLs, and a JSON 404 for any other path under ``/api/``.

The API authenticates by token, not by session: its views are exempt from the login
redirect (``LoginRequiredMiddleware``) and from CSRF (ninja's views are, with token auth).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.http.response import HttpResponseBase
from django.urls import URLPattern, URLResolver, include, path, re_path

from .errors import error_response
from .main import api


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    return error_response(404, "not_found", "没有这个接口地址。")


not_found.login_required = False  # type: ignore[attr-defined]
# A POST to a path the API does not have must get this JSON 404, not the CSRF page (HTML 403).
not_found.csrf_exempt = True  # type: ignore[attr-defined]


def _json_405(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """ninja answers a method a path does not have in plain text: give it the error shape."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allowed = response["Allow"]
            response = error_response(
                405, "method_not_allowed", f"该接口地址不支持 {request.method} 方法（支持：{allowed}）。"
            )
            response["Allow"] = allowed
        return response

    return wrapper


def _exempt(patterns: list[URLPattern | URLResolver]) -> None:
    for p in patterns:
        if isinstance(p, URLResolver):
            _exempt(p.url_patterns)
            continue
        # ninja's root view raises a bare Http404 (Django's HTML page); the name stays, ninja
        # reverses it to know where the API is mounted.
        view: Any = not_found if p.name == "api-root" else _json_405(p.callback)
        view.login_required = False
        p.callback = view


_api_patterns, _app, _ns = api.urls
_exempt(_api_patterns)

urlpatterns = [
    path("v1/", include((_api_patterns, _app), namespace=_ns)),
    # [\s\S], not ".": a path may hold an encoded newline, which "." would leave to Django's HTML 404.
    re_path(r"^(?P<rest>[\s\S]*)$", not_found, name="api-not-found"),
]
