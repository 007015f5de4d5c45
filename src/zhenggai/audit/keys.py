"""The two audit keys, kept in files outside the database.

- ``AUDIT_KEY_FILE`` (default ``DATA_DIR/keys/audit.key``): the HMAC key of the chain.
- ``AUDIT_CHECKPOINT_KEY_FILE`` (default ``DATA_DIR/keys/audit-checkpoint.key``): the key that
  signs checkpoints. A second key, so that whoever holds the chain key alone cannot forge the
  external checkpoints (keep a copy with the 审计管理员, off the host).

A key file holds 32 random bytes written as 64 hexadecimal characters. In development
(``AUDIT_KEY_AUTOCREATE``, default true unless ``settings.PRODUCTION``) a missing key is
created with mode 0600 on first use; in production it never is: the system check
``audit.E001`` fails and ``require_audit_keys()`` (for the WSGI start-up of the production
profile) raises, rather than a fresh key silently starting a chain nobody can verify against
the old one.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

KEY_BYTES = 32


class AuditKeyError(Exception):
    """A key file is missing or unusable (the verifier exits 2 on it)."""


def _data_dir() -> Path:
    return Path(getattr(settings, "DATA_DIR", Path.cwd() / "var"))


def chain_key_path() -> Path:
    return Path(getattr(settings, "AUDIT_KEY_FILE", None) or _data_dir() / "keys" / "audit.key")


def checkpoint_key_path() -> Path:
    default = _data_dir() / "keys" / "audit-checkpoint.key"
    return Path(getattr(settings, "AUDIT_CHECKPOINT_KEY_FILE", None) or default)


def autocreate() -> bool:
    """Create missing keys on first use: the default, except in the production profile."""
    return bool(getattr(settings, "AUDIT_KEY_AUTOCREATE", not getattr(settings, "PRODUCTION", False)))


# path → (mtime_ns, size, key): re-read when the file changes, not on every event.
_cache: dict[str, tuple[int, int, bytes]] = {}


def _read(path: Path) -> bytes:
    try:
        st = path.stat()
    except FileNotFoundError:
        raise AuditKeyError(f"审计密钥文件不存在：{path}") from None
    except OSError as exc:
        raise AuditKeyError(f"无法读取审计密钥文件 {path}：{exc.strerror or exc}") from None
    cached = _cache.get(str(path))
    if cached and cached[:2] == (st.st_mtime_ns, st.st_size):
        return cached[2]
    try:
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError):
        raise AuditKeyError(f"审计密钥文件格式不正确（应为 64 位十六进制）：{path}") from None
    if len(key) < KEY_BYTES:
        raise AuditKeyError(f"审计密钥太短（至少 {KEY_BYTES} 字节）：{path}")
    _cache[str(path)] = (st.st_mtime_ns, st.st_size, key)
    return key


def _create(path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    # Written in full to a private temporary file, then linked into place: link() never
    # overwrites, so of two processes starting together one key wins and nobody reads half a file.
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(KEY_BYTES) + "\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def load_key(path: Path, *, create: bool | None = None) -> bytes:
    """The key in ``path``; created first when missing and ``create`` (default: the setting) allows."""
    if create is None:
        create = autocreate()
    if create and not path.exists():
        _create(path)
    return _read(path)


def chain_key(*, create: bool | None = None) -> bytes:
    return load_key(chain_key_path(), create=create)


def checkpoint_key(*, create: bool | None = None) -> bytes:
    return load_key(checkpoint_key_path(), create=create)


def missing_keys() -> list[str]:
    """One message per key that is missing or unusable (without creating anything)."""
    problems = []
    for path in (chain_key_path(), checkpoint_key_path()):
        try:
            _read(path)
        except AuditKeyError as exc:
            problems.append(str(exc))
    return problems


def require_audit_keys() -> None:
    """For the production profile's start-up: raise ``ImproperlyConfigured`` unless both keys are usable."""
    problems = missing_keys()
    if problems:
        raise ImproperlyConfigured("；".join(problems) + "。请由审计管理员放置密钥文件后再启动。")
