"""Cache validators of the public site.

A published version never changes (a database trigger refuses it), so its page and files are
``immutable`` for a year with a strong ETag from their SHA-256; lists (the index, the open data,
the feed) may be kept ``PUBLIC_CACHE_SECONDS`` and are revalidated by an ETag that changes with
every publication. The security headers middleware sets ``no-store`` only where a view set
nothing, so these win.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags, quote_etag

IMMUTABLE = "public, max-age=31536000, immutable"
#: Bumped when the templates of an immutable page change, so its validator changes with it.
PAGE_REVISION = "p1"


def short_lived() -> str:
    return f"public, max-age={settings.PUBLIC_CACHE_SECONDS}"


def _matches(request: HttpRequest, etag: str) -> bool:
    header = request.META.get("HTTP_IF_NONE_MATCH")
    if not header:
        return False
    tags = parse_etags(header)
    # If-None-Match compares weakly (RFC 9110 13.1.2): W/"x" matches "x".
    return "*" in tags or etag.removeprefix("W/") in [t.removeprefix("W/") for t in tags]


def validated(
    request: HttpRequest, *, etag: str, cache_control: str, build: Callable[[], HttpResponse]
) -> HttpResponse:
    """304 when the visitor holds ``etag``; otherwise the response ``build`` makes. Both carry
    the validator and the cache policy."""
    tag = quote_etag(etag)
    response: HttpResponse = HttpResponseNotModified() if _matches(request, tag) else build()
    response["ETag"] = tag
    response["Cache-Control"] = cache_control
    return response


def content_validated(request: HttpRequest, response: HttpResponse, *, cache_control: str) -> HttpResponse:
    """A validator from the rendered bytes, for a page whose parts change on their own (the
    round page shows published replies too); 304 when the visitor holds the same bytes."""
    etag = hashlib.sha256(response.content).hexdigest()[:32]
    return validated(request, etag=etag, cache_control=cache_control, build=lambda: response)
