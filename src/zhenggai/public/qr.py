"""The QR code of a round's feedback page (printed on the public page and in the export)."""

from __future__ import annotations

import io

import segno


def qr_svg(url: str) -> bytes:
    """The QR code of ``url`` as an SVG image (segno; medium error correction survives print)."""
    out = io.BytesIO()
    segno.make(url, error="m", micro=False).save(out, kind="svg", scale=4, border=4, title="扫码反映意见建议")
    return out.getvalue()
