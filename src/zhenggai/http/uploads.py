"""An uploaded file kept between a preview (or dry run) and its confirmation.

The bytes go to the storage ``STORAGES["uploads"]`` as ``<kind>/<user id>/<sha256>``: by default
the folder ``UPLOAD_TMP_DIR``, or a prefix of the object store every app server shares, so the
confirmation may reach another server than the preview did. The name is the digest (never
anything the user typed), the folder is the uploader's, and the session (in the database)
remembers which digests this user previewed, under what name and for what (the unit of a
document import, the round of a workbook import). Another user cannot confirm a file they did
not upload, even knowing its digest. ``kind`` separates the document imports ("import") from
the workbook imports ("xlsx"). The bytes are checked against their digest when they are read.

Pending uploads are private and bounded (issue 8, finding 11):
- in a folder, files are written 0600 in folders 0700, whatever the umask, atomically; in an
  object store the bucket is private and nothing hands out its URLs;
- one expires ``UPLOAD_PENDING_HOURS`` (24) after it was kept (the storage's modification
  time): it is gone at its next use (``load`` answers None, ``keep`` clears the uploader's
  expired ones), and ``zhenggai uploads-purge`` (:func:`purge_expired`) removes every expired one;
- each user may hold ``UPLOAD_PENDING_MAX_FILES`` (20) uploads of ``UPLOAD_PENDING_MAX_MB``
  (200) MB in all, every kind together, counted by listing the user's folders; past that
  ``keep`` raises :class:`UploadRefused` (an ``InvalidInput`` on the field "file") and keeps
  nothing.
An upload may carry one companion file (``keep(..., extra=...)``, ``load_extra``): the
document import keeps there the parse of the upload, so it is parsed once.
"""

from __future__ import annotations

import hashlib
import os
import re
import time
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import Storage

from zhenggai.accounts.actors import Actor
from zhenggai.errors import InvalidInput
from zhenggai.evidence import storage as file_storage

from .authed import AuthedRequest

_DIGEST = re.compile(r"[0-9a-f]{64}")
_SESSION_KEYS = {"import": "zhenggai_imports", "xlsx": "zhenggai_xlsx_imports"}
_KEEP_ENTRIES = 10
_EXTRA = ".extra"
_PARTIAL = ".part"


class UploadRefused(InvalidInput):
    """The uploader holds too many pending uploads; nothing was kept."""

    def __init__(self, message: str) -> None:
        super().__init__(message, field="file")


def _keep_seconds() -> float:
    return float(getattr(settings, "UPLOAD_PENDING_HOURS", 24)) * 3600


def _quota() -> tuple[int, int]:
    files = int(getattr(settings, "UPLOAD_PENDING_MAX_FILES", 20))
    return files, int(getattr(settings, "UPLOAD_PENDING_MAX_MB", 200)) * 1024 * 1024


def is_digest(value: str) -> bool:
    return bool(_DIGEST.fullmatch(value or ""))


def _now() -> float:
    return time.time()


def _storage() -> Storage:
    """Where pending uploads are: ``STORAGES["uploads"]`` (the folder UPLOAD_TMP_DIR by default)."""
    return file_storage.get("uploads", "UPLOAD_TMP_DIR")


def _folder(user: Actor, kind: str) -> str:
    return f"{kind}/{int(user.pk)}"


def _remove(storage: Storage, folder: str, digest: str, names: list[str] | None = None) -> None:
    for suffix in ("", _EXTRA):
        storage.delete(f"{folder}/{digest}{suffix}")
    if names is None:
        names = [e.name for e in file_storage.entries(storage, folder)]
    for name in names:  # left by a write that never finished
        if name.startswith(digest) and name.endswith(_PARTIAL):
            storage.delete(f"{folder}/{name}")


def keep(
    request: AuthedRequest,
    data: bytes,
    *,
    name: str,
    kind: str = "import",
    extra: bytes | None = None,
    **about: Any,
) -> str:
    """Store the bytes under their digest (with ``extra``, a companion file, if given) and
    remember them (with ``about``) in the session; return the digest.

    Raises :class:`UploadRefused` when the user's pending uploads are at the quota."""
    digest = hashlib.sha256(data).hexdigest()
    storage = _storage()
    folder = _folder(request.user, kind)
    _check_quota(storage, request.user, kind, digest, len(data) + len(extra or b""))
    storage.save(f"{folder}/{digest}", ContentFile(data))
    if extra is not None:
        storage.save(f"{folder}/{digest}{_EXTRA}", ContentFile(extra))
    else:
        storage.delete(f"{folder}/{digest}{_EXTRA}")
    key = _SESSION_KEYS[kind]
    entries = dict(request.session.get(key, {}))
    entries.pop(digest, None)
    entries[digest] = {"name": os.path.basename(name)[:200], **about}
    kept = list(entries.items())
    # An upload this session no longer remembers cannot be confirmed: its file goes too.
    for dropped, _ in kept[:-_KEEP_ENTRIES]:
        if is_digest(dropped):
            _remove(storage, folder, dropped)
    request.session[key] = dict(kept[-_KEEP_ENTRIES:])
    return digest


def _check_quota(storage: Storage, user: Actor, kind: str, digest: str, size: int) -> None:
    """Clear the user's expired uploads, then refuse one more past the quota."""
    max_files, max_bytes = _quota()
    files = 0
    total = 0
    for k in _SESSION_KEYS:
        for entry in _prune(storage, _folder(user, k))[0]:
            if k == kind and entry.name.startswith(digest):
                continue  # the same upload again replaces itself
            total += entry.size
            files += is_digest(entry.name)
    if files + 1 > max_files or total + size > max_bytes:
        hours = _keep_seconds() / 3600
        raise UploadRefused(
            f"待确认的上传文件已达上限（每人最多 {max_files} 个、共 {max_bytes // 1048576} MB），"
            f"本次上传未保存：请先确认或放弃之前上传的文件，未确认的文件 {hours:g} 小时后自动清除"
        )


def entry(request: AuthedRequest, digest: str, *, kind: str = "import") -> dict[str, Any] | None:
    """What the session remembers of an upload of this user, or None."""
    if not is_digest(digest):
        return None
    found = request.session.get(_SESSION_KEYS[kind], {}).get(digest)
    return dict(found) if isinstance(found, dict) else None


def _fresh(storage: Storage, folder: str, digest: str) -> str | None:
    """The upload's name while it has not expired; an expired one is removed."""
    name = f"{folder}/{digest}"
    try:
        kept_at = storage.get_modified_time(name).timestamp()
    except (OSError, ValueError):
        return None
    if kept_at < _now() - _keep_seconds():
        _remove(storage, folder, digest)
        return None
    return name


def _read(storage: Storage, name: str) -> bytes | None:
    try:
        with storage.open(name, "rb") as f:
            return bytes(f.read())
    except OSError:
        return None


def load(request: AuthedRequest, digest: str, *, kind: str = "import") -> bytes | None:
    """The bytes of this user's upload, or None when gone (or expired, not theirs, altered)."""
    if entry(request, digest, kind=kind) is None:
        return None
    storage = _storage()
    name = _fresh(storage, _folder(request.user, kind), digest)
    data = _read(storage, name) if name else None
    return data if data is not None and hashlib.sha256(data).hexdigest() == digest else None


def load_extra(request: AuthedRequest, digest: str, *, kind: str = "import") -> bytes | None:
    """The companion file kept with this user's upload, or None (gone, expired, not theirs)."""
    if entry(request, digest, kind=kind) is None:
        return None
    storage = _storage()
    folder = _folder(request.user, kind)
    if _fresh(storage, folder, digest) is None:
        return None
    return _read(storage, f"{folder}/{digest}{_EXTRA}")


def forget(request: AuthedRequest, digest: str, *, kind: str = "import") -> None:
    """Remove the file and the session entry once the import is done."""
    if not is_digest(digest):
        return
    _remove(_storage(), _folder(request.user, kind), digest)
    key = _SESSION_KEYS[kind]
    entries = dict(request.session.get(key, {}))
    if entries.pop(digest, None) is not None:
        request.session[key] = entries


def _prune(
    storage: Storage, folder: str, cutoff: float | None = None
) -> tuple[list[file_storage.Entry], int]:
    """Drop the files of uploads left unconfirmed past their expiry: (the files left, how many went)."""
    cutoff = _now() - _keep_seconds() if cutoff is None else cutoff
    left = []
    removed = 0
    for e in file_storage.entries(storage, folder):
        if e.modified < cutoff:
            storage.delete(f"{folder}/{e.name}")
            removed += 1
        else:
            left.append(e)
    return left, removed


def purge_expired(*, now: float | None = None) -> int:
    """Remove every expired pending upload of every user and kind; return how many files
    went. Idempotent; run by ``zhenggai uploads-purge`` (e.g. hourly from cron)."""
    cutoff = (_now() if now is None else now) - _keep_seconds()
    storage = _storage()
    removed = 0
    for kind in _SESSION_KEYS:
        for user_folder in file_storage.folders(storage, kind):
            removed += _prune(storage, f"{kind}/{user_folder}", cutoff)[1]
    return removed
