"""The open data (``zhenggai.open/1``) and the Atom feed of publications."""

from __future__ import annotations

import hashlib

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe

from .. import opendata, selectors
from ..caching import short_lived, validated
from .documents import not_found

JSON = "application/json; charset=utf-8"


@login_not_required
@require_safe
def rounds_json(request: HttpRequest) -> HttpResponse:
    return validated(
        request,
        etag=f"j-{selectors.change_token()}",
        cache_control=short_lived(),
        build=lambda: HttpResponse(
            opendata.to_json(opendata.rounds_document(selectors.published_rounds())), content_type=JSON
        ),
    )


@login_not_required
@require_safe
def rounds_csv(request: HttpRequest) -> HttpResponse:
    def build() -> HttpResponse:
        response = HttpResponse(
            opendata.rounds_csv(selectors.published_rounds()), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'inline; filename="rounds.csv"'
        return response

    return validated(request, etag=f"c-{selectors.change_token()}", cache_control=short_lived(), build=build)


@login_not_required
@require_safe
def round_json(request: HttpRequest, public_id: str) -> HttpResponse:
    page = selectors.round_page(public_id)
    if page is None:
        return not_found(request)
    ids = ",".join(str(v.id) for v in page.round.versions)
    etag = "r-" + hashlib.sha256(ids.encode()).hexdigest()[:32]
    return validated(
        request,
        etag=etag,
        cache_control=short_lived(),
        build=lambda: HttpResponse(opendata.to_json(opendata.round_document(page)), content_type=JSON),
    )


@login_not_required
@require_safe
def feed(request: HttpRequest) -> HttpResponse:
    return validated(
        request,
        etag=f"f-{selectors.change_token()}",
        cache_control=short_lived(),
        build=lambda: HttpResponse(
            opendata.atom_feed(selectors.feed_versions()), content_type="application/atom+xml; charset=utf-8"
        ),
    )
