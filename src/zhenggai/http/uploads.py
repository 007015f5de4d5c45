"""An uploaded file kept between a preview (or dry run) and its confirmation.

The bytes go to ``UPLOAD_TMP_DIR/<kind>/<user id>/<sha256>``: the name is the digest
(never anything the user typed), the folder is the uploader's, and the session
remembers which digests this user previewed, under what name and for what (the unit
of a document import, the round of a workbook import). Another user cannot confirm a
file they did not upload, even knowing its digest. ``kind`` separates the document
imports ("import") from the workbook imports ("xlsx").

Pending uploads are private and bounded (issue 8, finding 11):
- files are written 0600 in folders 0700, whatever the umask;
- one expires ``UPLOAD_PENDING_HOURS`` (24) after it was kept: it is gone at its next use
  (``load`` answers None, ``keep`` clears the uploader's expired ones), and
  ``zhenggai uploads-purge`` (:func:`purge_expired`) removes every expired one;
- each user may hold ``UPLOAD_PENDING_MAX_FILES`` (20) uploads of ``UPLOAD_PENDING_MAX_MB``
  (200) MB in all, every kind together; past that ``keep`` raises :class:`UploadRefused`
  (an ``InvalidInput`` on the field "file") and keeps nothing.
An upload may carry one companion file (``keep(..., extra=...)``, ``load_extra``): the
document import keeps there the parse of the upload, so it is parsed once.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

from django.conf import settings

from zhenggai.accounts.actors import Actor
from zhenggai.errors import InvalidInput

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


def _folder(user: Actor, kind: str) -> Path:
    return Path(settings.UPLOAD_TMP_DIR) / kind / str(int(user.pk))


def _private_folder(user: Actor, kind: str) -> Path:
    """The uploader's folder, created (and kept) 0700 down from the upload root."""
    root = Path(settings.UPLOAD_TMP_DIR)
    folder = _folder(user, kind)
    for path in (root, root / kind, folder):
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        path.chmod(0o700)  # mkdir's mode is cut by the umask, and the folder may be older
    return folder


def _write_private(path: Path, data: bytes) -> None:
    """Write ``path`` as a 0600 file, atomically (never a half-written upload under its name)."""
    # A name of its own: the same file sent twice at once must not share (and truncate) one.
    part = path.with_name(f"{path.name}.{secrets.token_hex(6)}{_PARTIAL}")
    fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as out:
            fd = -1
            out.write(data)
        os.replace(part, path)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        if fd >= 0:
            os.close(fd)


def _remove(folder: Path, digest: str) -> None:
    for suffix in ("", _EXTRA):
        (folder / (digest + suffix)).unlink(missing_ok=True)
    for part in folder.glob(f"{digest}*{_PARTIAL}"):  # left by a write that never finished
        part.unlink(missing_ok=True)


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
    folder = _private_folder(request.user, kind)
    _check_quota(request.user, kind, digest, len(data) + len(extra or b""))
    _write_private(folder / digest, data)
    if extra is not None:
        _write_private(folder / (digest + _EXTRA), extra)
    else:
        (folder / (digest + _EXTRA)).unlink(missing_ok=True)
    key = _SESSION_KEYS[kind]
    entries = dict(request.session.get(key, {}))
    entries.pop(digest, None)
    entries[digest] = {"name": os.path.basename(name)[:200], **about}
    kept = list(entries.items())
    # An upload this session no longer remembers cannot be confirmed: its file goes too.
    for dropped, _ in kept[:-_KEEP_ENTRIES]:
        if is_digest(dropped):
            _remove(folder, dropped)
    request.session[key] = dict(kept[-_KEEP_ENTRIES:])
    return digest


def _check_quota(user: Actor, kind: str, digest: str, size: int) -> None:
    """Clear the user's expired uploads, then refuse one more past the quota."""
    max_files, max_bytes = _quota()
    files = 0
    total = 0
    for k in _SESSION_KEYS:
        folder = _folder(user, k)
        _prune(folder)
        if not folder.is_dir():
            continue
        for p in folder.iterdir():
            if k == kind and p.name.startswith(digest):
                continue  # the same upload again replaces itself
            try:
                total += p.stat().st_size
            except OSError:
                continue
            files += is_digest(p.name)
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


def _fresh(folder: Path, digest: str) -> Path | None:
    """The upload's path while it has not expired; an expired one is removed."""
    path = folder / digest
    try:
        kept_at = path.stat().st_mtime
    except OSError:
        return None
    if kept_at < time.time() - _keep_seconds():
        _remove(folder, digest)
        return None
    return path


def load(request: AuthedRequest, digest: str, *, kind: str = "import") -> bytes | None:
    """The bytes of this user's upload, or None when gone (or expired, not theirs, altered)."""
    if entry(request, digest, kind=kind) is None:
        return None
    path = _fresh(_folder(request.user, kind), digest)
    try:
        data = path.read_bytes() if path else None
    except OSError:
        return None
    return data if data is not None and hashlib.sha256(data).hexdigest() == digest else None


def load_extra(request: AuthedRequest, digest: str, *, kind: str = "import") -> bytes | None:
    """The companion file kept with this user's upload, or None (gone, expired, not theirs)."""
    if entry(request, digest, kind=kind) is None:
        return None
    folder = _folder(request.user, kind)
    if _fresh(folder, digest) is None:
        return None
    try:
        return (folder / (digest + _EXTRA)).read_bytes()
    except OSError:
        return None


def forget(request: AuthedRequest, digest: str, *, kind: str = "import") -> None:
    """Remove the file and the session entry once the import is done."""
    if not is_digest(digest):
        return
    _remove(_folder(request.user, kind), digest)
    key = _SESSION_KEYS[kind]
    entries = dict(request.session.get(key, {}))
    if entries.pop(digest, None) is not None:
        request.session[key] = entries


def _prune(folder: Path, cutoff: float | None = None) -> int:
    """Drop the files of uploads left unconfirmed past their expiry; how many went."""
    cutoff = time.time() - _keep_seconds() if cutoff is None else cutoff
    removed = 0
    try:
        paths = list(folder.iterdir())
    except OSError:
        return 0
    for p in paths:
        try:
            if p.is_file() and p.stat().st_mtime < cutoff:
                p.unlink(missing_ok=True)
                removed += 1
        except OSError:
            continue
    return removed


def purge_expired(*, now: float | None = None) -> int:
    """Remove every expired pending upload of every user and kind; return how many files
    went. Idempotent; run by ``zhenggai uploads-purge`` (e.g. hourly from cron)."""
    cutoff = (time.time() if now is None else now) - _keep_seconds()
    root = Path(settings.UPLOAD_TMP_DIR)
    removed = 0
    for kind in _SESSION_KEYS:
        base = root / kind
        if not base.is_dir():
            continue
        for folder in base.iterdir():
            if folder.is_dir() and not folder.is_symlink():
                removed += _prune(folder, cutoff)
    return removed
