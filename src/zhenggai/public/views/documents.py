"""The published pages: the index, a round, a version, its files and the feedback QR code.

No login and no staff session (``PublicSiteMiddleware`` makes every visitor anonymous under
``/gk/``): the pages show the same bytes to everyone, so browsers and proxies may keep them.
"""

from __future__ import annotations

from urllib.parse import quote

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from .. import pages, selectors
from ..caching import IMMUTABLE, PAGE_REVISION, content_validated, short_lived, validated
from ..links import Links, absolute
from ..qr import qr_svg


def not_found(request: HttpRequest) -> HttpResponse:
    """The public site's own 404 page (the staff one offers the staff's home)."""
    return render(request, "public/404.html", pages.common(Links()), status=404)


@login_not_required
@require_safe
def index(request: HttpRequest) -> HttpResponse:
    def build() -> HttpResponse:
        return render(
            request, "public/index.html", pages.index_context(selectors.published_rounds(), Links())
        )

    return validated(request, etag=f"i-{selectors.change_token()}", cache_control=short_lived(), build=build)


@login_not_required
@require_safe
def round_detail(request: HttpRequest, public_id: str) -> HttpResponse:
    page = selectors.round_page(public_id)
    if page is None:
        return not_found(request)
    context = pages.round_context(page, Links(), replies=pages.published_replies(page.round.round_id))
    response = render(request, "public/round.html", context)
    return content_validated(request, response, cache_control=short_lived())


@login_not_required
@require_safe
def version_detail(request: HttpRequest, public_id: str, kind: str, number: int) -> HttpResponse:
    version = selectors.version(public_id, kind, number)
    if version is None:
        return not_found(request)
    return validated(
        request,
        etag=f"{version.content_sha256}-{PAGE_REVISION}",
        cache_control=IMMUTABLE,
        build=lambda: render(request, "public/version.html", pages.version_context(version, Links())),
    )


def attachment_disposition(filename: str) -> str:
    """``attachment`` with the name in UTF-8 (RFC 6266 ``filename*``) and an ASCII fallback."""
    fallback = "".join(c if (c.isascii() and c.isalnum()) or c in "._-" else "_" for c in filename)
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


@login_not_required
@require_safe
def version_file(request: HttpRequest, public_id: str, kind: str, number: int, ext: str) -> HttpResponse:
    found = selectors.version_file(public_id, kind, number, ext)
    if found is None:
        return not_found(request)

    def build() -> HttpResponse:
        response = HttpResponse(found.data, content_type=found.content_type)
        response["Content-Disposition"] = attachment_disposition(found.filename)
        response["Content-Length"] = str(len(found.data))
        return response

    return validated(request, etag=found.sha256, cache_control=IMMUTABLE, build=build)


@login_not_required
@require_safe
def qr(request: HttpRequest, public_id: str) -> HttpResponse:
    if not selectors.publication_exists(public_id):
        return not_found(request)
    svg = qr_svg(absolute(Links().feedback(public_id)))
    response = HttpResponse(svg, content_type="image/svg+xml")
    return content_validated(request, response, cache_control=short_lived())
