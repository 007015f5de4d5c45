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

from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from zhenggai.crypto import KeyFileError, create_key_file, read_key_file

KEY_BYTES = 32


class AuditKeyError(KeyFileError):
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


def _read(path: Path) -> bytes:
    return read_key_file(path, what="审计密钥", min_bytes=KEY_BYTES, error=AuditKeyError)


def load_key(path: Path, *, create: bool | None = None) -> bytes:
    """The key in ``path``; created first when missing and ``create`` (default: the setting) allows."""
    if create is None:
        create = autocreate()
    if create and not path.exists():
        create_key_file(path, nbytes=KEY_BYTES)
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
