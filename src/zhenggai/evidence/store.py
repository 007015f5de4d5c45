"""Evidence files: checked, scanned, and stored content-addressed, write-once.

The blobs live in the storage ``STORAGES["evidence"]`` (``zhenggai.evidence.storage``): by
default the folder ``EVIDENCE_DIR``, or an S3-compatible object store (MinIO, a government
cloud's object service) shared by every app server. The names, the checks and the guarantees
are the same on both; only how a file moves differs (a rename in a folder, a server-side copy
in a bucket).

A file is streamed to a temporary file (in a folder storage: ``EVIDENCE_DIR/.incoming``; for
an object store: a local temporary file that lives as long as the request), hashed while it
streams (the configured digest, SM3 by default, and SHA-256), checked (size, sniffed type,
the structure of zip-based documents: ``zhenggai.evidence.filetypes``), passed to the scanner
(``zhenggai.evidence.scanning``) and fsynced. It becomes the blob ``<d[:2]>/<d>``, where
``d`` is its digest (in a folder by an ``os.replace`` and an fsync of the directory). The name
is the content: a blob is never overwritten, and the same bytes uploaded twice are stored once
(two Evidence rows, one blob). A refused or failed upload leaves nothing behind: only checked
bytes reach the storage.

Promotion on commit (REQ-4.6). Inside a transaction (``progress_add`` always is) the
move happens only when the transaction that records the file commits
(``transaction.on_commit``); until then the checked file waits in the storage as
``.incoming/<d>.<algorithm>.<random>.pending``. So a rolled-back upload never puts a file in
the store, and it can never take away a blob that someone else's committed row uses (the gap
of deleting "our" blob on rollback while a concurrent identical upload committed).
Django has no rollback hook; the waiting file of a rolled-back transaction is removed

- by ``discard`` when the service fails (its except path),
- by ``sweep_rolled_back``: run before every upload and after every request, it removes
  the waiting files of this thread whose on-commit callback is gone (a rolled-back
  transaction or savepoint, or a closed connection),
- by the sweep of files older than a day (a crash): a ``.pending`` file that a committed
  row names and whose blob is missing (a crash between the commit and the move) is
  promoted, after its bytes are verified, instead of being removed. It lives in the shared
  storage, so any app server's next upload recovers it.

The transaction that stored a file can read it before the commit, as it can read its row
(``open_blob`` and ``evidence_path`` find the waiting file). Promotion and ``release`` take
one lock (``store_lock``), so an upload committing while the last other row of the same
bytes is deleted always ends with the blob in place.

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
- ``STORAGES["evidence"]``: see ``zhenggai.evidence.storage`` and the settings' storage block.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import secrets
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from cryptography.hazmat.primitives import hashes
from django.conf import settings
from django.core.files import File
from django.core.files.storage import FileSystemStorage, Storage
from django.core.signals import request_finished
from django.db import DEFAULT_DB_ALIAS, connections, transaction

try:  # POSIX: the store lock is also held across processes
    import fcntl
except ImportError:  # pragma: no cover - Windows: the thread lock only
    fcntl = None  # type: ignore[assignment]

from zhenggai.errors import InvalidInput
from zhenggai.evidence import storage as blob_storage
from zhenggai.evidence.filetypes import accepted_type, check_ooxml, clean_name, sniff
from zhenggai.evidence.scanning import scan_file
from zhenggai.evidence.storage import fsync_dir, make_private_dirs

__all__ = [
    "ALGORITHMS",
    "StoredFile",
    "blob_digests",
    "blob_name",
    "check_ooxml",
    "clean_name",
    "digest_algorithm",
    "discard",
    "evidence_path",
    "evidence_root",
    "evidence_storage",
    "file_digests",
    "fsync_dir",
    "is_digest",
    "new_hash",
    "open_blob",
    "put_blob",
    "register_rows",
    "release",
    "sniff",
    "store",
    "store_lock",
    "sweep_rolled_back",
]

log = logging.getLogger(__name__)

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


# --- where the blobs are -------------------------------------------------------------------------


def evidence_storage() -> Storage:
    """The storage of the blobs: ``STORAGES["evidence"]``; the folder ``EVIDENCE_DIR`` by default."""
    return blob_storage.get("evidence", "EVIDENCE_DIR")


def blob_name(storage_name: str) -> str:
    """The blob's name in the storage, ``<d[:2]>/<d>``; ValueError for a name that is not a digest."""
    if not is_digest(storage_name):
        raise ValueError(f"not a storage name: {storage_name!r}")
    return f"{storage_name[:2]}/{storage_name}"


def _local_storage() -> FileSystemStorage:
    storage = evidence_storage()
    if not isinstance(storage, FileSystemStorage):
        raise NotImplementedError("evidence is in object storage (STORAGES['evidence']): it has no path")
    return storage


def evidence_root() -> Path:
    """The folder of the evidence storage; NotImplementedError when it is an object store."""
    return Path(_local_storage().location)


def evidence_path(storage_name: str) -> Path:
    """The file that holds a blob, as this thread's transaction sees it (a folder storage only).

    That is ``EVIDENCE_DIR/<d[:2]>/<d>``; but while the transaction that stored the bytes is
    still open and the blob is not in the store yet, it is the checked file waiting in
    ``.incoming`` for the commit: the transaction that recorded a row can read its file,
    everyone else sees both only after the commit. Raises ValueError for a name that is
    not a digest. Readers of the bytes use :func:`open_blob`, which works on every storage.
    """
    name = blob_name(storage_name)
    storage = _local_storage()
    final = Path(storage.path(name))
    if not final.exists():
        waiting = _pending_name(storage_name)
        if waiting is not None:
            return Path(storage.path(waiting))
    return final


def open_blob(storage_name: str) -> BinaryIO:
    """The blob's bytes opened for reading at their start, as this thread's transaction sees them
    (the file waiting for this transaction's commit included, as for :func:`evidence_path`).

    Raises FileNotFoundError when there is no such blob and ValueError for a name that is not
    a digest. The caller closes the file (a ``FileResponse`` does once it is sent); from an
    object store it is spooled to a temporary file, so it can be hashed and then sent.
    """
    name = blob_name(storage_name)
    storage = evidence_storage()
    try:
        return cast(BinaryIO, storage.open(name, "rb"))
    except (FileNotFoundError, NotADirectoryError):
        waiting = _pending_name(storage_name)
        if waiting is None:
            raise
        return cast(BinaryIO, storage.open(waiting, "rb"))


def blob_digests(storage_name: str, algorithms: Iterable[str] = ALGORITHMS) -> tuple[dict[str, str], int]:
    """The hex digests and the size of a stored blob's bytes, read once through the storage."""
    hashers = {a: new_hash(a) for a in algorithms}
    size = 0
    with open_blob(storage_name) as f:
        while chunk := f.read(_CHUNK):
            size += len(chunk)
            for h in hashers.values():
                h.update(chunk)
    return {a: h.hexdigest() for a, h in hashers.items()}, size


# --- durable files -----------------------------------------------------------------------------


def _mkdirs(path: Path) -> None:
    """Create ``path`` (and parents) 0700 and fsync each parent whose entry list changed."""
    make_private_dirs(path)


def _incoming() -> Path:
    """The folder where uploads are checked and wait for their commit (a folder storage)."""
    folder = evidence_root() / _INCOMING
    _mkdirs(folder)
    return folder


def _intact(storage: Storage, name: str, storage_name: str, algorithm: str) -> bool:
    """Whether ``name`` in the storage holds bytes whose digest is ``storage_name``."""
    h = new_hash(algorithm)
    try:
        with storage.open(name, "rb") as f:
            while chunk := f.read(_CHUNK):
                h.update(chunk)
    except OSError:
        return False
    return bool(h.hexdigest() == storage_name)


def _prune_incoming(storage: Storage) -> None:
    """Temporary files older than a day are left-overs of a crash: remove them.

    A ``.pending`` file whose blob is missing although a committed row names it is the
    crash between a commit and its rename: it is promoted (its bytes verified) instead.
    """
    cutoff = time.time() - _STALE_SECONDS
    for entry in blob_storage.entries(storage, _INCOMING):
        if entry.modified >= cutoff:
            continue
        name = f"{_INCOMING}/{entry.name}"
        with contextlib.suppress(OSError):
            if entry.name.endswith(_PENDING) and _recover(storage, name):
                continue
            storage.delete(name)


def _recover(storage: Storage, waiting: str) -> bool:
    """Promote a stale waiting file if a committed row needs it; True if it was promoted."""
    base = waiting.rsplit("/", 1)[-1]
    name, _, rest = base.partition(".")
    algorithm = rest.partition(".")[0]
    if not is_digest(name) or algorithm not in ALGORITHMS:
        return False
    if not _named(name, algorithm):
        return False
    with store_lock(storage):
        in_place = _intact(storage, blob_name(name), name, algorithm)
        if in_place or not _intact(storage, waiting, name, algorithm):
            return False
        _publish(storage, waiting, name, algorithm)
    log.warning("evidence blob %s was missing after its commit: promoted from %s", name, base)
    return True


def _spool(storage: Storage) -> tuple[Path, BinaryIO, str | None]:
    """A new temporary file for an upload's bytes while they are checked: (path, file, name).

    In a folder storage it is in ``.incoming`` (``name`` is its name there): the rename into
    the store is then atomic. For an object store it is a local temporary file (``name`` None),
    removed when the upload is stored or refused; only checked bytes reach the bucket.
    """
    if isinstance(storage, FileSystemStorage):
        tmp = _incoming() / f"{secrets.token_hex(16)}.part"
        name: str | None = f"{_INCOMING}/{tmp.name}"
    else:
        folder = Path(getattr(settings, "FILE_UPLOAD_TEMP_DIR", None) or tempfile.gettempdir())
        tmp = folder / f"zhenggai-evidence-{secrets.token_hex(16)}.part"
        name = None
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o600)
    return tmp, os.fdopen(fd, "wb"), name


def _upload(storage: Storage, local: Path, name: str) -> None:
    """Put a local file into the storage under ``name`` (an object store's PUT is atomic)."""
    with open(local, "rb") as f:
        storage.save(name, File(f, name=name))


def _publish(storage: Storage, src: str | Path, storage_name: str, algorithm: str) -> bool:
    """Put a complete, checked file at its content address; True if it was new.

    ``src`` is a name in the storage (moved: a rename in a folder, a copy in a bucket) or a
    local file (uploaded; the caller removes it). An existing blob is kept (the name is the
    content). Only if the existing one no longer has the bytes its name promises (damage
    found by ``evidence-verify``) is it replaced by these, which are the right ones.
    """
    final = blob_name(storage_name)
    new = True
    if storage.exists(final):
        if _intact(storage, final, storage_name, algorithm):
            if isinstance(src, str):
                storage.delete(src)
            return False
        log.error("evidence blob %s did not match its digest: replaced by a verified copy", storage_name)
        new = False
    if isinstance(src, Path):
        _upload(storage, src, final)
    else:
        blob_storage.move(storage, src, final)
    return new


_lock = threading.RLock()
_lock_depth = threading.local()
# The PostgreSQL advisory lock of the store when it is an object store ("zgev"): every app
# server of the installation shares the database, and no folder.
_PG_LOCK = 0x7A676576


@contextlib.contextmanager
def store_lock(storage: Storage | None = None) -> Iterator[None]:
    """Exclusive use of the store: promotion and ``release`` run under it.

    A thread lock, and across processes: ``flock`` on the folder of a folder storage (every
    server that mounts it waits too); for an object store, an advisory lock of the
    PostgreSQL database every app server shares (on SQLite, one machine: ``flock`` on a lock
    file in the data dir). Re-entrant within a thread.
    """
    with _lock:
        depth = getattr(_lock_depth, "n", 0)
        if depth:
            _lock_depth.n = depth + 1
            try:
                yield
            finally:
                _lock_depth.n = depth
            return
        with _process_lock(storage if storage is not None else evidence_storage()):
            _lock_depth.n = 1
            try:
                yield
            finally:
                _lock_depth.n = 0


@contextlib.contextmanager
def _process_lock(storage: Storage) -> Iterator[None]:
    if not isinstance(storage, FileSystemStorage):
        conn = connections[_evidence_db()]
        if conn.vendor == "postgresql":
            with conn.cursor() as cursor:
                if conn.in_atomic_block:  # held to the end of the transaction
                    cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_PG_LOCK])
                    yield
                    return
                cursor.execute("SELECT pg_advisory_lock(%s)", [_PG_LOCK])
                try:
                    yield
                finally:
                    cursor.execute("SELECT pg_advisory_unlock(%s)", [_PG_LOCK])
            return
        target = Path(settings.DATA_DIR)
        _mkdirs(target)
        fd = os.open(target / ".evidence.lock", os.O_RDWR | os.O_CREAT, 0o600) if fcntl else -1
    elif fcntl is None:  # pragma: no cover - Windows: the thread lock only
        fd = -1
    else:
        root = Path(storage.location)
        _mkdirs(root)
        fd = os.open(root, os.O_RDONLY)
    if fd < 0:  # pragma: no cover - Windows
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
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

    storage: Storage
    name: str  # in the storage: ``.incoming/<d>.<algorithm>.<random>.pending``
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
        """The on-commit callback: the move into the store."""
        if self.state != "waiting":
            return
        try:
            with store_lock(self.storage):
                try:
                    _publish(self.storage, self.name, self.storage_name, self.algorithm)
                except FileNotFoundError:
                    # Taken meanwhile by the crash recovery of another process: fine if in place.
                    final = blob_name(self.storage_name)
                    if not _intact(self.storage, final, self.storage_name, self.algorithm):
                        raise
            self.state = "promoted"
        except Exception as exc:  # an OSError, or an object store that did not answer
            self.state = "failed"
            # The row is committed; the checked file stays in .incoming, and the stale sweep
            # promotes it (``evidence-verify`` reports the blob missing until then).
            log.error(
                "evidence %s:%s was committed but could not be moved into the store (%s); "
                "%s is kept for recovery",
                self.algorithm,
                self.storage_name,
                exc,
                self.name,
            )
        finally:
            _forget(self)

    def drop(self) -> None:
        if self.state == "waiting":
            self.state = "dropped"
            self.storage.delete(self.name)
        _forget(self)


def _forget(entry: _Pending) -> None:
    with contextlib.suppress(ValueError):
        _registry().remove(entry)


def _pending_name(storage_name: str) -> str | None:
    for entry in _registry():
        live = entry.storage_name == storage_name and entry.state == "waiting" and entry.registered()
        if live and entry.storage.exists(entry.name):
            return entry.name
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
    storage = evidence_storage()
    if not isinstance(storage, FileSystemStorage):
        if file_digests(source, [algorithm])[algorithm] != digest:
            raise ValueError(f"{source} does not have the {algorithm} digest {digest}")
        with store_lock(storage):
            return _publish(storage, source, digest, algorithm)
    tmp, out, tmp_name = _spool(storage)
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
        with store_lock(storage):
            return _publish(storage, cast(str, tmp_name), digest, algorithm)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


# --- storing an upload -------------------------------------------------------------------------


def store(stream: BinaryIO, name: str) -> StoredFile:
    """Check, scan and store one uploaded file; raise InvalidInput (nothing written) if refused."""
    limit = settings.EVIDENCE_MAX_BYTES
    algorithm = digest_algorithm()
    original = clean_name(name)
    storage = evidence_storage()
    try:
        sweep_rolled_back()
        _prune_incoming(storage)
    except blob_storage.UNAVAILABLE as exc:
        raise _unavailable(original, exc) from exc
    tmp, out, tmp_name = _spool(storage)
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
            if tmp_name is not None:  # in the store's folder: it must survive a crash after the rename
                os.fsync(out.fileno())
        if size == 0:
            raise InvalidInput(f"文件“{original}”是空文件", field="files")
        content_type = accepted_type(tmp, head, original)
        scan_file(tmp, original, content_type)
        storage_name = digest.hexdigest()
        using = _evidence_db()
        if connections[using].in_atomic_block:
            # Promoted when the transaction that records it commits (REQ-4.6).
            random = tmp.stem if tmp_name is not None else secrets.token_hex(16)
            waiting = f"{_INCOMING}/{storage_name}.{algorithm}.{random}{_PENDING}"
            if tmp_name is not None:
                os.replace(tmp, cast(FileSystemStorage, storage).path(waiting))
                fsync_dir(tmp.parent)  # the name that says what it is survives a crash after the commit
            else:
                _upload(storage, tmp, waiting)
            pending = _Pending(storage, waiting, storage_name, algorithm, using)
            _registry().append(pending)
            transaction.on_commit(pending.promote, using=using, robust=True)
            created = not storage.exists(blob_name(storage_name))
        else:
            with store_lock(storage):
                src = tmp_name if tmp_name is not None else tmp
                created = _publish(storage, src, storage_name, algorithm)
    except BaseException as exc:
        if pending is not None:
            with contextlib.suppress(*blob_storage.UNAVAILABLE):  # else the stale sweep removes it
                pending.drop()
        tmp.unlink(missing_ok=True)
        if isinstance(exc, blob_storage.UNAVAILABLE):
            raise _unavailable(original, exc) from exc
        raise
    if tmp_name is None:
        tmp.unlink(missing_ok=True)  # the local copy of what is now in the object store
    sha = storage_name if algorithm == "sha256" else sha256.hexdigest()
    return StoredFile(storage_name, algorithm, sha, size, content_type, original, created, pending)


def _unavailable(name: str, exc: Exception) -> InvalidInput:
    """An object store that did not answer: the upload is refused, like a scanner that cannot
    answer (fail closed), with a message to try again; the cause goes to the log."""
    log.error("evidence storage unavailable while storing %r: %s", name, exc)
    return InvalidInput(f"文件“{name}”暂时无法保存（文件存储服务不可用），请稍后重试", field="files")


# --- removing ------------------------------------------------------------------------------------


def _unlink_blob(storage_name: str) -> None:
    evidence_storage().delete(blob_name(storage_name))


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
