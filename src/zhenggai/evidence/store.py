"""Evidence files: checked, scanned, and stored content-addressed, write-once.

A file is streamed to a temporary name in ``EVIDENCE_DIR/.incoming``, hashed while it
streams (the configured digest, SM3 by default, and SHA-256), checked (size, sniffed
type, the structure of zip-based documents), passed to the scanner
(``zhenggai.evidence.scanning``) and fsynced. It becomes ``EVIDENCE_DIR/<d[:2]>/<d>``, where
``d`` is its digest, by an ``os.replace`` and an fsync of the directory. The name is the
content: a blob is never overwritten, and the same bytes uploaded twice are stored once
(two Evidence rows, one blob). A refused or failed upload leaves nothing behind.

Promotion on commit (REQ-4.6). Inside a transaction (``progress_add`` always is) the
rename happens only when the transaction that records the file commits
(``transaction.on_commit``); until then the checked file waits in ``.incoming`` as
``<d>.<algorithm>.<random>.pending``. So a rolled-back upload never puts a file in the
store, and it can never take away a blob that someone else's committed row uses (the gap
of deleting "our" blob on rollback while a concurrent identical upload committed).
Django has no rollback hook; the waiting file of a rolled-back transaction is removed

- by ``discard`` when the service fails (its except path),
- by ``sweep_rolled_back``: run before every upload and after every request, it removes
  the waiting files of this thread whose on-commit callback is gone (a rolled-back
  transaction or savepoint, or a closed connection),
- by the sweep of files older than a day (a crash): a ``.pending`` file that a committed
  row names and whose blob is missing (a crash between the commit and the rename) is
  promoted, after its bytes are verified, instead of being removed.

The transaction that stored a file can read it before the commit, as it can read its row
(``evidence_path`` finds the waiting file). Promotion and ``release`` take one lock (a
thread lock and ``flock`` on ``EVIDENCE_DIR``), so an upload committing while the last
other row of the same bytes is deleted always ends with the blob in place.

Outside any transaction (a script, a test without a database) ``store`` promotes at
once, as ``on_commit`` would run its callback at once.

A blob is removed when the last Evidence row that names it is deleted (``release``,
run after the deleting transaction commits).

Settings (read with defaults, so none is required):

- ``EVIDENCE_DIGEST``: ``"sm3"`` (default) or ``"sha256"``: the content address of new files.
- ``EVIDENCE_MAX_BYTES``: the size limit of one file.
- ``EVIDENCE_ZIP_MAX_ENTRIES`` (10 000), ``EVIDENCE_ZIP_MAX_UNCOMPRESSED`` (512 MB),
  ``EVIDENCE_ZIP_MAX_RATIO`` (200): what a .docx/.xlsx may expand to before it is read.
- ``EVIDENCE_SCANNER``: see ``zhenggai.evidence.scanning``.
"""

from __future__ import annotations

import codecs
import contextlib
import hashlib
import logging
import os
import re
import secrets
import threading
import time
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, connections, transaction

try:  # POSIX: the store lock is also held across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock only
    fcntl = None  # type: ignore[assignment]

from zhenggai.errors import InvalidInput
from zhenggai.evidence.scanning import scan_file

log = logging.getLogger(__name__)

# Sniffed type → allowed extensions. What the file says about itself (name,
# browser content type) is data, not trusted.
_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "text/plain": (".txt",),
}


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The part every package of that kind has: a zip merely named .docx is not a document.
_OOXML_MAIN_PART = {_DOCX: "word/document.xml", _XLSX: "xl/workbook.xml"}
# Parts that carry executable content: a macro project or ActiveX controls (a .docm in disguise).
_ACTIVE_PART = re.compile(r"(?:^|/)(?:vbaProject\.bin|vbaData\.xml|activeX/)", re.IGNORECASE)

# Markup a browser might render if it ever second-guessed "text/plain": refused as text.
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|script|svg|\?xml|iframe|object|embed)\b", re.IGNORECASE)

ALGORITHMS = ("sm3", "sha256")
_HEX = re.compile(r"[0-9a-f]{64}")
_INCOMING = ".incoming"
_PENDING = ".pending"  # a checked file waiting for its transaction's commit
_CHUNK = 1024 * 1024
_STALE_SECONDS = 24 * 3600

#: The models whose rows name blobs by ``storage_name`` (the ledger's Evidence first, then
#: the citizens' feedback attachments), registered at start-up; until then ``release`` removes
#: nothing and the default database is used. A blob is removed only when no row of any of
#: them names it: the same bytes may be a piece of evidence and a citizen's photo.
_rows: list[Any] = []


def register_rows(model: Any) -> None:
    """Tell the store that ``model``'s rows name its blobs (a model with a ``storage_name`` field)."""
    if model not in _rows:
        _rows.append(model)


def _named(name: str, algorithm: str | None = None) -> bool:
    """Whether a committed row of any registered model names the blob ``name``."""
    for model in _rows:
        fields = {f.name for f in model._meta.get_fields()}
        q = model.objects.filter(storage_name=name)
        if algorithm is not None and "algorithm" in fields:
            q = q.filter(algorithm=algorithm)
        if q.exists():
            return True
    return False


class _Sm3:
    """SM3 (GB/T 32905-2016) from OpenSSL, with hashlib's update/hexdigest."""

    def __init__(self) -> None:
        self._h = hashes.Hash(hashes.SM3())

    def update(self, data: bytes, /) -> None:
        self._h.update(data)

    def hexdigest(self) -> str:
        return self._h.finalize().hex()


def new_hash(algorithm: str) -> Any:
    """A streaming hasher of ``algorithm`` ("sm3" or "sha256") with ``update``/``hexdigest``."""
    if algorithm == "sm3":
        return _Sm3()
    if algorithm == "sha256":
        return hashlib.sha256()
    raise ValueError(f"unknown digest algorithm {algorithm!r}")


def digest_algorithm() -> str:
    algorithm = str(getattr(settings, "EVIDENCE_DIGEST", "sm3")).lower().replace("-", "")
    if algorithm not in ALGORITHMS:
        raise ValueError(f"EVIDENCE_DIGEST must be one of {ALGORITHMS}, not {algorithm!r}")
    return algorithm


def file_digests(path: Path, algorithms: Iterable[str] = ALGORITHMS) -> dict[str, str]:
    """The hex digests of a file's bytes, read once."""
    hashers = {a: new_hash(a) for a in algorithms}
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            for h in hashers.values():
                h.update(chunk)
    return {a: h.hexdigest() for a, h in hashers.items()}


def is_digest(name: str) -> bool:
    return bool(_HEX.fullmatch(name or ""))


def _decodes(head: bytes, encoding: str) -> bool:
    # The head is cut at a fixed size, possibly inside a character: an incomplete
    # sequence at its very end is not an error.
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def sniff(head: bytes, name: str) -> str | None:
    """The content type of a file from its first bytes, or None if not accepted."""
    ext = Path(name).suffix.lower()
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"PK\x03\x04"):
        if ext == ".docx":
            return _DOCX
        if ext == ".xlsx":
            return _XLSX
        return None
    text_like = ext == ".txt" and b"\x00" not in head and not _MARKUP.search(head)
    if text_like and (_decodes(head, "utf-8") or _decodes(head, "gb18030")):
        return "text/plain"
    return None


def _zip_limits() -> tuple[int, int, int]:
    return (
        int(getattr(settings, "EVIDENCE_ZIP_MAX_ENTRIES", 10_000)),
        int(getattr(settings, "EVIDENCE_ZIP_MAX_UNCOMPRESSED", 512 * 1024 * 1024)),
        int(getattr(settings, "EVIDENCE_ZIP_MAX_RATIO", 200)),
    )


def check_ooxml(path: Path, content_type: str) -> str | None:
    """Why a stored zip may not be accepted as a package of that kind, or None.

    Only the central directory is read: the entry count, the declared sizes (their
    total, and the ratio of each entry that expands past 1 MB) are checked before any
    part is decompressed, so a zip bomb is refused unopened. (A reader that trusts the
    declared size cannot be made to expand more: zipfile stops there and checks the CRC.)
    """
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return "invalid"
    max_entries, max_total, max_ratio = _zip_limits()
    if len(infos) > max_entries:
        return "too-many-entries"
    total = 0
    for info in infos:
        total += info.file_size
        if total > max_total:
            return "too-large"
        if info.file_size > 1024 * 1024 and info.file_size > max_ratio * max(info.compress_size, 1):
            return "ratio"
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or _OOXML_MAIN_PART[content_type] not in names:
        return "invalid"
    if any(_ACTIVE_PART.search(n) for n in names):
        return "active-content"
    return None


_ZIP_REFUSALS = {
    "invalid": "类型不被接受：不是有效的 {kind} 文件",
    "too-many-entries": "不被接受：压缩包内条目过多（疑似压缩炸弹）",
    "too-large": "不被接受：解压后体积过大（疑似压缩炸弹）",
    "ratio": "不被接受：压缩比异常（疑似压缩炸弹）",
    "active-content": "不被接受：含有宏或 ActiveX 控件",
}


@dataclass(frozen=True, slots=True)
class StoredFile:
    storage_name: str  # the digest under ``algorithm``: the blob's name
    algorithm: str
    sha256: str
    size: int
    content_type: str
    original_name: str
    created: bool = True  # False when the same bytes were already stored (when it was checked)
    # The file waiting for its transaction's commit (None when stored outside a transaction).
    pending: _Pending | None = field(default=None, repr=False, compare=False)

    @property
    def digest(self) -> str:
        return self.storage_name


def clean_name(name: str) -> str:
    """The user's file name as harmless data: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    base = base.strip(" .")
    if len(base) > 200:  # shorten the stem, keep the extension the type check relies on
        stem, dot, ext = base.rpartition(".")
        base = stem[: 200 - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else base[:200]
    return base or "未命名文件"


def evidence_root() -> Path:
    return Path(settings.EVIDENCE_DIR)


def _final_path(storage_name: str) -> Path:
    if not is_digest(storage_name):
        raise ValueError(f"not a storage name: {storage_name!r}")
    return evidence_root() / storage_name[:2] / storage_name


def evidence_path(storage_name: str) -> Path:
    """The file that holds a blob, as this thread's transaction sees it.

    That is ``EVIDENCE_DIR/<d[:2]>/<d>``; but while the transaction that stored the bytes is
    still open and the blob is not in the store yet, it is the checked file waiting in
    ``.incoming`` for the commit: the transaction that recorded a row can read its file,
    everyone else sees both only after the commit. Raises ValueError for a name that is
    not a digest.
    """
    final = _final_path(storage_name)
    if not final.exists():
        waiting = _pending_path(storage_name)
        if waiting is not None:
            return waiting
    return final


# --- durable files -----------------------------------------------------------------------------


def fsync_dir(path: Path) -> None:
    """Make a rename or unlink in ``path`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _mkdirs(path: Path) -> None:
    """Create ``path`` (and parents) and fsync each parent whose entry list changed."""
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=0o700)
        fsync_dir(d.parent)


def _incoming() -> Path:
    folder = evidence_root() / _INCOMING
    _mkdirs(folder)
    return folder


def _intact(path: Path, storage_name: str, algorithm: str) -> bool:
    try:
        return file_digests(path, [algorithm])[algorithm] == storage_name
    except OSError:
        return False


def _prune_incoming(folder: Path) -> None:
    """Temporary files older than a day are left-overs of a crash: remove them.

    A ``.pending`` file whose blob is missing although a committed row names it is the
    crash between a commit and its rename: it is promoted (its bytes verified) instead.
    """
    cutoff = time.time() - _STALE_SECONDS
    with contextlib.suppress(OSError):
        for p in folder.iterdir():
            with contextlib.suppress(OSError):
                if p.stat().st_mtime >= cutoff:
                    continue
                if p.name.endswith(_PENDING) and _recover(p):
                    continue
                p.unlink()


def _recover(waiting: Path) -> bool:
    """Promote a stale waiting file if a committed row needs it; True if it was promoted."""
    name, _, rest = waiting.name.partition(".")
    algorithm = rest.partition(".")[0]
    if not is_digest(name) or algorithm not in ALGORITHMS:
        return False
    if not _named(name, algorithm):
        return False
    with store_lock():
        if _intact(_final_path(name), name, algorithm) or not _intact(waiting, name, algorithm):
            return False
        _publish(waiting, name, algorithm)
    log.warning("evidence blob %s was missing after its commit: promoted from %s", name, waiting.name)
    return True


def _open_temp(folder: Path) -> tuple[Path, BinaryIO]:
    tmp = folder / f"{secrets.token_hex(16)}.part"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    return tmp, os.fdopen(fd, "wb")


def _publish(tmp: Path, storage_name: str, algorithm: str) -> bool:
    """Move a complete, fsynced temporary file to its content address; True if it was new.

    An existing blob is kept (the name is the content). Only if the existing one no
    longer has the bytes its name promises (damage found by ``evidence-verify``) is it
    replaced by these, which are the right ones.
    """
    final = _final_path(storage_name)
    _mkdirs(final.parent)
    if final.exists():
        try:
            intact = file_digests(final, [algorithm])[algorithm] == storage_name
        except OSError:
            intact = False
        if intact:
            tmp.unlink()
            return False
        log.error("evidence blob %s did not match its digest: replaced by a verified copy", storage_name)
        os.replace(tmp, final)
        fsync_dir(final.parent)
        return False
    os.replace(tmp, final)
    fsync_dir(final.parent)
    return True


_lock = threading.RLock()
_lock_depth = threading.local()


@contextlib.contextmanager
def store_lock() -> Iterator[None]:
    """Exclusive use of the store: promotion and ``release`` run under it.

    A thread lock, and ``flock`` on ``EVIDENCE_DIR`` where there is one, so other worker
    processes of the same instance wait too. Re-entrant within a thread.
    """
    with _lock:
        depth = getattr(_lock_depth, "n", 0)
        if depth or fcntl is None:
            _lock_depth.n = depth + 1
            try:
                yield
            finally:
                _lock_depth.n = depth
            return
        root = evidence_root()
        _mkdirs(root)
        fd = os.open(root, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            _lock_depth.n = 1
            try:
                yield
            finally:
                _lock_depth.n = 0
        finally:
            os.close(fd)  # closing the descriptor releases the flock


# --- waiting for the commit ----------------------------------------------------------------------

_waiting = threading.local()


def _registry() -> list[_Pending]:
    try:
        files: list[_Pending] = _waiting.files
    except AttributeError:
        files = _waiting.files = []
    return files


@dataclass(eq=False)
class _Pending:
    """A checked file of this thread that its transaction's commit will promote."""

    path: Path
    storage_name: str
    algorithm: str
    using: str
    state: str = "waiting"  # → "promoted" | "dropped" | "failed"

    def registered(self) -> bool:
        """Whether the commit callback is still there (rolling back removes it)."""
        conn = connections[self.using]
        # Each entry is (savepoint ids, func, robust); django-stubs still lists two of the three.
        return any(entry[1] == self.promote for entry in conn.run_on_commit)

    def promote(self) -> None:
        """The on-commit callback: the rename into the store."""
        if self.state != "waiting":
            return
        try:
            with store_lock():
                try:
                    _publish(self.path, self.storage_name, self.algorithm)
                except FileNotFoundError:
                    # Taken meanwhile by the crash recovery of another process: fine if in place.
                    if not _intact(_final_path(self.storage_name), self.storage_name, self.algorithm):
                        raise
            self.state = "promoted"
        except OSError as exc:
            self.state = "failed"
            # The row is committed; the checked file stays in .incoming, and the stale sweep
            # promotes it (``evidence-verify`` reports the blob missing until then).
            log.error(
                "evidence %s:%s was committed but could not be moved into the store (%s); "
                "%s is kept for recovery",
                self.algorithm,
                self.storage_name,
                exc,
                self.path,
            )
        finally:
            _forget(self)

    def drop(self) -> None:
        if self.state == "waiting":
            self.state = "dropped"
            self.path.unlink(missing_ok=True)
        _forget(self)


def _forget(entry: _Pending) -> None:
    with contextlib.suppress(ValueError):
        _registry().remove(entry)


def _pending_path(storage_name: str) -> Path | None:
    for entry in _registry():
        live = entry.storage_name == storage_name and entry.state == "waiting" and entry.registered()
        if live and entry.path.exists():
            return entry.path
    return None


def sweep_rolled_back() -> int:
    """Remove this thread's waiting files whose transaction (or savepoint) rolled back.

    Their commit callback is gone: Django drops the callbacks of a rolled-back transaction
    or savepoint, and all of them when the connection is closed. Returns how many were
    removed. (Not to be called from inside another on-commit callback: while Django runs
    them, the ones still to run are not in the connection's list.)
    """
    gone = [e for e in list(_registry()) if e.state == "waiting" and not e.registered()]
    for entry in gone:
        entry.drop()
    return len(gone)


def _after_request(sender: Any, **kwargs: Any) -> None:
    if getattr(_waiting, "files", None):
        sweep_rolled_back()


# After each request every transaction of it has committed or rolled back.
request_finished.connect(_after_request, dispatch_uid="zhenggai.evidence.sweep")


def _evidence_db() -> str:
    from django.db import router

    return (router.db_for_write(_rows[0]) if _rows else None) or DEFAULT_DB_ALIAS


def put_blob(source: Path, *, algorithm: str, digest: str) -> bool:
    """Store a file (e.g. from a backup) under its content address, verifying it; True if new.

    Raises ValueError if its bytes do not have ``digest``; writes nothing then.
    """
    folder = _incoming()
    tmp, out = _open_temp(folder)
    try:
        h = new_hash(algorithm)
        with out, open(source, "rb") as src:
            while chunk := src.read(_CHUNK):
                h.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if h.hexdigest() != digest:
            raise ValueError(f"{source} does not have the {algorithm} digest {digest}")
        with store_lock():
            return _publish(tmp, digest, algorithm)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- storing an upload -------------------------------------------------------------------------


def store(stream: BinaryIO, name: str) -> StoredFile:
    """Check, scan and store one uploaded file; raise InvalidInput (nothing written) if refused."""
    limit = settings.EVIDENCE_MAX_BYTES
    algorithm = digest_algorithm()
    original = clean_name(name)
    folder = _incoming()
    sweep_rolled_back()
    _prune_incoming(folder)
    tmp, out = _open_temp(folder)
    digest = new_hash(algorithm)
    sha256 = hashlib.sha256()
    size = 0
    head = b""
    pending: _Pending | None = None
    try:
        with out:
            while True:
                chunk = stream.read(_CHUNK)
                if not chunk:
                    break
                if len(head) < 2048:
                    head += chunk[: 2048 - len(head)]
                size += len(chunk)
                if size > limit:
                    raise InvalidInput(
                        f"文件“{original}”超过大小限制（最大 {limit // (1024 * 1024)} MB）", field="files"
                    )
                digest.update(chunk)
                if algorithm != "sha256":
                    sha256.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise InvalidInput(f"文件“{original}”是空文件", field="files")
        content_type = sniff(head, original)
        if content_type is None:
            raise InvalidInput(
                f"文件“{original}”的类型不被接受：只接受 PDF、JPG、PNG、DOCX、XLSX、TXT 文件", field="files"
            )
        if Path(original).suffix.lower() not in _TYPES[content_type]:
            raise InvalidInput(f"文件“{original}”的扩展名与内容不符", field="files")
        if content_type in _OOXML_MAIN_PART:
            problem = check_ooxml(tmp, content_type)
            if problem is not None:
                kind = Path(original).suffix.upper()[1:]
                raise InvalidInput(
                    f"文件“{original}”的" + _ZIP_REFUSALS[problem].format(kind=kind), field="files"
                )
        scan_file(tmp, original, content_type)
        storage_name = digest.hexdigest()
        using = _evidence_db()
        if connections[using].in_atomic_block:
            # Promoted when the transaction that records it commits (REQ-4.6).
            waiting = folder / f"{storage_name}.{algorithm}.{tmp.stem}{_PENDING}"
            os.replace(tmp, waiting)
            tmp = waiting
            fsync_dir(folder)  # the name that says what it is survives a crash after the commit
            pending = _Pending(waiting, storage_name, algorithm, using)
            _registry().append(pending)
            transaction.on_commit(pending.promote, using=using, robust=True)
            created = not _final_path(storage_name).exists()
        else:
            with store_lock():
                created = _publish(tmp, storage_name, algorithm)
    except BaseException:
        if pending is not None:
            pending.drop()
        tmp.unlink(missing_ok=True)
        raise
    sha = storage_name if algorithm == "sha256" else sha256.hexdigest()
    return StoredFile(storage_name, algorithm, sha, size, content_type, original, created, pending)


# --- removing ------------------------------------------------------------------------------------


def _unlink_blob(storage_name: str) -> None:
    path = _final_path(storage_name)
    try:
        path.unlink()
    except FileNotFoundError:
        return
    fsync_dir(path.parent)


def discard(stored: list[StoredFile]) -> None:
    """Undo the storing of a failed change: remove its files still waiting for a commit.

    Called from the except path of the service whose transaction is rolling back; their
    commit callbacks go with the transaction. A blob in the store is never removed here
    (only ``release`` removes blobs, when no row names them): a file stored outside any
    transaction was promoted at once, and is released if no row names it.
    """
    for s in stored:
        if s.pending is not None:
            s.pending.drop()
        elif s.created:
            release([s.storage_name])


def release(storage_names: Iterable[str]) -> list[str]:
    """Remove the blobs no Evidence row names any more; return the names removed.

    Call it after the deleting transaction has committed (the ledger's ``delete_evidence`` and
    post-delete hook do), so a rolled-back deletion never loses a file. The check and
    the removal run under the store lock, so an upload of the same bytes committing
    meanwhile either is seen here or promotes its own copy after the removal.
    """
    removed = []
    for name in sorted(set(storage_names)):
        if not is_digest(name):
            continue
        with store_lock():
            if _rows and not _named(name):
                _unlink_blob(name)
                removed.append(name)
    return removed
