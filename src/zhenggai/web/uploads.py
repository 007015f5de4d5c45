"""An uploaded file kept between a preview (or dry run) and its confirmation.

The bytes go to ``UPLOAD_TMP_DIR/<kind>/<user id>/<sha256>``: the name is the digest
(never anything the user typed), the folder is the uploader's, and the session
remembers which digests this user previewed, under what name and for what (the unit
of a document import, the round of a workbook import). Another user cannot confirm a
file they did not upload, even knowing its digest. ``kind`` separates the document
imports ("import") from the workbook imports ("xlsx").
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from pathlib import Path
from typing import Any

from django.conf import settings

_DIGEST = re.compile(r"[0-9a-f]{64}")
_SESSION_KEYS = {"import": "zhenggai_imports", "xlsx": "zhenggai_xlsx_imports"}
_KEEP_SECONDS = 24 * 3600
_KEEP_ENTRIES = 10


def is_digest(value: str) -> bool:
    return bool(_DIGEST.fullmatch(value or ""))


def _folder(user: Any, kind: str) -> Path:
    return Path(settings.UPLOAD_TMP_DIR) / kind / str(int(user.pk))


def keep(request: Any, data: bytes, *, name: str, kind: str = "import", **about: Any) -> str:
    """Store the bytes under their digest and remember them (with ``about``) in the session;
    return the digest."""
    digest = hashlib.sha256(data).hexdigest()
    folder = _folder(request.user, kind)
    folder.mkdir(parents=True, exist_ok=True)
    _prune(folder)
    final = folder / digest
    part = folder / f"{digest}.part"
    with open(part, "wb") as out:
        out.write(data)
    os.replace(part, final)
    key = _SESSION_KEYS[kind]
    entries = dict(request.session.get(key, {}))
    entries.pop(digest, None)
    entries[digest] = {"name": os.path.basename(name)[:200], **about}
    request.session[key] = dict(list(entries.items())[-_KEEP_ENTRIES:])
    return digest


def entry(request: Any, digest: str, *, kind: str = "import") -> dict[str, Any] | None:
    """What the session remembers of an upload of this user, or None."""
    if not is_digest(digest):
        return None
    found = request.session.get(_SESSION_KEYS[kind], {}).get(digest)
    return dict(found) if isinstance(found, dict) else None


def load(request: Any, digest: str, *, kind: str = "import") -> bytes | None:
    """The bytes of this user's upload, or None when gone (or not theirs, or altered)."""
    if entry(request, digest, kind=kind) is None:
        return None
    try:
        data = (_folder(request.user, kind) / digest).read_bytes()
    except FileNotFoundError:
        return None
    return data if hashlib.sha256(data).hexdigest() == digest else None


def forget(request: Any, digest: str, *, kind: str = "import") -> None:
    """Remove the file and the session entry once the import is done."""
    if not is_digest(digest):
        return
    (_folder(request.user, kind) / digest).unlink(missing_ok=True)
    key = _SESSION_KEYS[kind]
    entries = dict(request.session.get(key, {}))
    if entries.pop(digest, None) is not None:
        request.session[key] = entries


def _prune(folder: Path) -> None:
    """Drop uploads left unconfirmed for a day."""
    cutoff = time.time() - _KEEP_SECONDS
    for p in folder.iterdir():
        try:
            if p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
        except OSError:
            continue
