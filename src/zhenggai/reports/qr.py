"""The QR code a document carries (segno): one PNG, the same in the .docx and the PDF."""

from __future__ import annotations

import functools
import io

import segno

#: Pixels a module and modules of quiet zone: 8 px modules print sharp at 25 mm for the short
#: URL of a feedback page (a version-3/4 symbol, 37–41 modules with the zone, about 330 px).
SCALE = 8
BORDER = 4


@functools.lru_cache(maxsize=16)
def qr_png(url: str) -> bytes:
    """The PNG of ``url``'s QR code (error correction M: a printed page gets scuffed)."""
    out = io.BytesIO()
    segno.make_qr(url, error="m").save(out, kind="png", scale=SCALE, border=BORDER)
    return out.getvalue()
