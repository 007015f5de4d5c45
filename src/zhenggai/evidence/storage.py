"""Where evidence blobs and pending uploads live: two aliases of Django's storage API.

``STORAGES["evidence"]`` holds the content-addressed blobs (``zhenggai.evidence.store``) and
``STORAGES["uploads"]`` the uploads kept between an import's preview and its confirmation
(``zhenggai.http.uploads``). Nothing a request needs is on one app server's disk unless the
operator chose a folder (one server, or a mount every server shares).

- :class:`DurableFileSystemStorage` (the default): a folder, by default the one a setting
  names (``EVIDENCE_DIR``, ``UPLOAD_TMP_DIR``) and read at each use, so an installation keeps
  the layout it has and a test may point the setting elsewhere. A save is atomic and durable:
  written to a temporary name beside the target, fsynced, renamed, the folder fsynced. Files
  0600, folders 0700, whatever the umask.
- :class:`S3BlobStorage`: django-storages' S3 backend (MinIO, the object services of the
  government clouds) with what the store needs beyond the storage API: a server-side
  ``move``, ``FileNotFoundError`` for a missing object everywhere, one listing with sizes and
  times, and a reachability probe for ``check --deploy``.

Both keep objects private: nothing here hands out a URL; every byte leaves through a
permission-checked view that re-hashes it.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files.storage import FileSystemStorage, Storage, storages
from django.core.files.storage.handler import InvalidStorageError

_PRIVATE_DIR = 0o700
_PRIVATE_FILE = 0o600
_PARTIAL = ".part"


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


def make_private_dirs(path: Path, *, root: Path | None = None) -> None:
    """Create ``path`` (and parents) 0700 and fsync each parent whose entry list changed.

    With ``root``, every folder from ``root`` down to ``path`` is also made 0700 if it is not
    (one made earlier, or under another umask, is made private too).
    """
    missing = []
    p = path
    while not p.exists():
        missing.append(p)
        p = p.parent
    for d in reversed(missing):
        with contextlib.suppress(FileExistsError):
            d.mkdir(mode=_PRIVATE_DIR)
        with contextlib.suppress(OSError):
            d.chmod(_PRIVATE_DIR)  # mkdir's mode is cut by the umask
        fsync_dir(d.parent)
    if root is None or not path.is_relative_to(root):
        return
    d = root
    for part in ("", *path.relative_to(root).parts):
        d = d / part if part else d
        with contextlib.suppress(OSError):
            if stat.S_IMODE(d.stat().st_mode) != _PRIVATE_DIR:
                d.chmod(_PRIVATE_DIR)


class DurableFileSystemStorage(FileSystemStorage):
    """A folder whose saves are atomic and durable and whose files are the service account's only.

    ``setting`` names the setting that gives the folder when ``location`` is not given; it is
    read at each use (not cached), so ``EVIDENCE_DIR`` stays the one place an installation or
    a test says where evidence is.
    """

    def __init__(self, location: str | Path | None = None, *, setting: str = "EVIDENCE_DIR", **kwargs: Any):
        kwargs.setdefault("file_permissions_mode", _PRIVATE_FILE)
        kwargs.setdefault("directory_permissions_mode", _PRIVATE_DIR)
        # A name is a content address or a per-user digest: the same name is the same content.
        kwargs.setdefault("allow_overwrite", True)
        super().__init__(location=location, **kwargs)
        self.folder = location
        self.setting = setting

    # Read at each use: the cached properties of FileSystemStorage would keep a folder a test
    # (or ``override_settings``) has since moved.
    @property  # type: ignore[override]
    def base_location(self) -> str:
        return str(self.folder if self.folder is not None else getattr(settings, self.setting))

    @property  # type: ignore[override]
    def location(self) -> str:
        return os.path.abspath(self.base_location)

    @property
    def root(self) -> Path:
        return Path(self.location)

    def _save(self, name: str, content: Any) -> str:
        """Write to ``<name>.<random>.part`` beside the target, fsync, rename, fsync the folder."""
        target = Path(self.path(name))
        make_private_dirs(target.parent, root=self.root)
        part = target.with_name(f"{target.name}.{secrets.token_hex(6)}{_PARTIAL}")
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
        fd = os.open(part, flags | getattr(os, "O_NOFOLLOW", 0), _PRIVATE_FILE)
        try:
            os.fchmod(fd, _PRIVATE_FILE)
            with os.fdopen(fd, "wb") as out:
                fd = -1
                for chunk in content.chunks():  # from the start (File.chunks seeks)
                    out.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                out.flush()
                os.fsync(out.fileno())
            os.replace(part, target)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        finally:
            if fd >= 0:
                os.close(fd)
        fsync_dir(target.parent)
        return name

    def delete(self, name: str) -> None:
        path = Path(self.path(name))
        try:
            path.unlink()
        except FileNotFoundError:
            return
        fsync_dir(path.parent)


def _missing(err: Exception) -> bool:
    response = getattr(err, "response", None) or {}
    return response.get("ResponseMetadata", {}).get("HTTPStatusCode") == 404 or response.get(
        "Error", {}
    ).get("Code") in {"404", "NoSuchKey", "NotFound"}


try:
    from botocore.exceptions import BotoCoreError, ClientError  # type: ignore[import-untyped]
    from storages.backends.s3 import S3Storage as _S3Base  # type: ignore[import-untyped]

    #: What an object store that does not answer (or refuses the keys) raises.
    UNAVAILABLE: tuple[type[Exception], ...] = (BotoCoreError, ClientError)
except ImportError:  # pragma: no cover - django-storages[s3] is a declared dependency
    _S3Base = object  # type: ignore[assignment,misc]
    ClientError = Exception  # type: ignore[assignment,misc]
    UNAVAILABLE = ()


class S3BlobStorage(_S3Base):  # type: ignore[misc,valid-type]
    """django-storages' S3 backend with a server-side move and ``FileNotFoundError`` for a missing key.

    Options are S3Storage's (``bucket_name``, ``endpoint_url``, ``access_key``, ``secret_key``,
    ``region_name``, ``addressing_style``, ``location`` for the prefix in the bucket …).
    """

    def move(self, src: str, dst: str) -> None:
        """Copy ``src`` to ``dst`` inside the bucket (no download), then delete ``src``.

        S3 has no rename; the copy is atomic (the object appears whole or not at all).
        """
        source = self._normalize_name(self._clean(src))
        target = self._normalize_name(self._clean(dst))
        copy_source = {"Bucket": self.bucket_name, "Key": source}
        self.bucket.Object(target).copy(copy_source, Config=self.transfer_config)
        self.delete(src)

    @staticmethod
    def _clean(name: str) -> str:
        from storages.utils import clean_name  # type: ignore[import-untyped]

        return str(clean_name(name))

    def get_modified_time(self, name: str) -> datetime:
        try:
            return super().get_modified_time(name)  # type: ignore[no-any-return]
        except ClientError as err:
            if _missing(err):
                raise FileNotFoundError(f"File does not exist: {name}") from err
            raise

    def entries(self, folder: str) -> list[Entry]:
        """The objects directly in ``folder`` (names relative to it), one listing, no HEAD each."""
        prefix = self._normalize_name(self._clean(folder))
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        found = []
        paginator = self.connection.meta.client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket_name, Prefix=prefix, Delimiter="/"):
            for obj in page.get("Contents", ()):
                rel = obj["Key"][len(prefix) :]
                if rel:
                    found.append(Entry(rel, int(obj["Size"]), obj["LastModified"].timestamp()))
        return found

    def probe(self) -> None:
        """Raise unless the bucket answers with these keys (``check --deploy``): one try, short timeouts."""
        from botocore.config import Config  # type: ignore[import-untyped]

        once = Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=10)
        config = self.client_config.merge(once)
        client = self._create_session().client(
            "s3",
            region_name=self.region_name,
            use_ssl=self.use_ssl,
            endpoint_url=self.endpoint_url,
            config=config,
            verify=self.verify,
        )
        client.head_bucket(Bucket=self.bucket_name)


@dataclass(frozen=True, slots=True)
class Entry:
    """A file directly in a folder of a storage: its name there, size and modification time."""

    name: str
    size: int
    modified: float  # seconds since the epoch


def entries(storage: Storage, folder: str) -> list[Entry]:
    """The files directly in ``folder`` of ``storage`` (none if it does not exist)."""
    own = getattr(storage, "entries", None)
    if own is not None:
        return list(own(folder))
    if isinstance(storage, FileSystemStorage):
        found = []
        where = storage.path(folder)
        with contextlib.suppress(FileNotFoundError, NotADirectoryError), os.scandir(where) as it:
            for e in it:
                with contextlib.suppress(OSError):
                    if e.is_file(follow_symlinks=False):
                        st = e.stat(follow_symlinks=False)
                        found.append(Entry(e.name, st.st_size, st.st_mtime))
        return found
    try:
        _, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    out = []
    for name in files:
        path = f"{folder}/{name}" if folder else name
        with contextlib.suppress(FileNotFoundError):
            out.append(Entry(name, storage.size(path), storage.get_modified_time(path).timestamp()))
    return out


def folders(storage: Storage, folder: str) -> list[str]:
    """The names of the folders directly in ``folder`` (none if it does not exist)."""
    if isinstance(storage, FileSystemStorage):
        base = Path(storage.path(folder))
        with contextlib.suppress(OSError):
            return [p.name for p in base.iterdir() if p.is_dir() and not p.is_symlink()]
        return []
    try:
        dirs, _ = storage.listdir(folder)
    except FileNotFoundError:
        return []
    return list(dirs)


def move(storage: Storage, src: str, dst: str) -> None:
    """Move ``src`` to ``dst`` within ``storage`` (atomically where the storage can)."""
    if isinstance(storage, FileSystemStorage):
        target = Path(storage.path(dst))
        make_private_dirs(target.parent)
        os.replace(storage.path(src), target)
        fsync_dir(target.parent)
        return
    own = getattr(storage, "move", None)
    if own is not None:
        own(src, dst)
        return
    with storage.open(src, "rb") as f:
        storage.save(dst, f)
    storage.delete(src)


def is_local(storage: Storage) -> bool:
    """Whether the storage is a folder (names have paths; renames are atomic)."""
    return isinstance(storage, FileSystemStorage)


def get(alias: str, setting: str) -> Storage:
    """``storages[alias]``; a durable folder named by ``setting`` when STORAGES has no such alias."""
    try:
        return storages[alias]
    except InvalidStorageError:
        return _fallback(setting)


_fallbacks: dict[str, DurableFileSystemStorage] = {}


def _fallback(setting: str) -> DurableFileSystemStorage:
    if setting not in _fallbacks:
        _fallbacks[setting] = DurableFileSystemStorage(setting=setting)
    return _fallbacks[setting]


@contextlib.contextmanager
def reading(storage: Storage, name: str) -> Iterator[Any]:
    """``storage.open(name, "rb")`` closed afterwards."""
    f = storage.open(name, "rb")
    try:
        yield f
    finally:
        f.close()
