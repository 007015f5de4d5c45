"""The public site's links, for the live site (``/gk/…``) and for the static export (relative).

Pages are rendered by the same templates for both: every link a template shows comes from a
``Links`` object, so the exported folder links within itself and can be served as it is by
nginx or a government CMS from any path. The feedback form and the lookup exist only on the
live site: the export links to them at ``PUBLIC_BASE_URL``.
"""

from __future__ import annotations

from django.conf import settings
from django.templatetags.static import static
from django.urls import reverse

CSS = "public/public.css"


class Links:
    """Links of the live site (absolute paths, ``/gk/…``)."""

    def index(self) -> str:
        return reverse("public:index")

    def round(self, public_id: str) -> str:
        return reverse("public:round", args=[public_id])

    def version(self, public_id: str, kind: str, number: int) -> str:
        return reverse("public:version", args=[public_id, kind, number])

    def file(self, public_id: str, kind: str, number: int, ext: str) -> str:
        return reverse("public:version-file", args=[public_id, kind, number, ext])

    def qr(self, public_id: str) -> str:
        return reverse("public:qr", args=[public_id])

    def feedback(self, public_id: str) -> str:
        return reverse("public:feedback", args=[public_id])

    def track(self) -> str:
        return reverse("public:track")

    def rounds_json(self) -> str:
        return reverse("public:rounds-json")

    def rounds_csv(self) -> str:
        return reverse("public:rounds-csv")

    def round_json(self, public_id: str) -> str:
        return reverse("public:round-json", args=[public_id])

    def feed(self) -> str:
        return reverse("public:feed")

    def css(self) -> str:
        return static(CSS)


class ExportLinks(Links):
    """Links of the static export, relative to a page ``depth`` folders below the root."""

    def __init__(self, depth: int) -> None:
        self.up = "../" * depth

    def index(self) -> str:
        return self.up + "index.html"

    def round(self, public_id: str) -> str:
        return f"{self.up}r/{public_id}/index.html"

    def version(self, public_id: str, kind: str, number: int) -> str:
        return f"{self.up}r/{public_id}/{kind}/v{number}/index.html"

    def file(self, public_id: str, kind: str, number: int, ext: str) -> str:
        return f"{self.up}r/{public_id}/{kind}/v{number}.{ext}"

    def qr(self, public_id: str) -> str:
        return f"{self.up}r/{public_id}/qr.svg"

    def feedback(self, public_id: str) -> str:
        return absolute(super().feedback(public_id))

    def track(self) -> str:
        return absolute(super().track())

    def rounds_json(self) -> str:
        return self.up + "data/rounds.json"

    def rounds_csv(self) -> str:
        return self.up + "data/rounds.csv"

    def round_json(self, public_id: str) -> str:
        return f"{self.up}data/rounds/{public_id}.json"

    def feed(self) -> str:
        return self.up + "feed.atom"

    def css(self) -> str:
        return self.up + "static/public.css"


def absolute(path: str) -> str:
    """A path of the live site as an absolute URL (open data, the feed, the QR code, the export)."""
    return settings.PUBLIC_BASE_URL + path
