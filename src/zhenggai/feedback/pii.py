"""Citizens' personal data: the key, SM4-GCM encryption, the blind index and the masks.

The key lives in a file outside the database (``settings.PII_KEY_FILE``, default
``DATA_DIR/keys/pii.key``): 32 random bytes written as 64 hexadecimal characters. In
development (``PII_KEY_AUTOCREATE``, default true unless ``settings.PRODUCTION``) a missing key
is created with mode 0600 on first use; in production it never is: the system check
``feedback.E001`` fails, rather than a fresh key silently making every stored ciphertext
unreadable.

Two subkeys are derived from the file key with HMAC-SM3, one for SM4-GCM (16 bytes) and one
for the blind index, so the index key reveals nothing about the encryption key. A ciphertext
starts with one byte, the key id (``KEY_ID``): a rotated key gets the next id, and
``decrypt`` knows by the first byte which key a row was written with. The additional data of
each ciphertext binds it to its field and its feedback (``"phone:GK…"``): a ciphertext copied
into another row or field does not decrypt.
"""

from __future__ import annotations

import re
from pathlib import Path

from cryptography.exceptions import InvalidTag
from django.conf import settings

from zhenggai import crypto

KEY_BYTES = 32
#: The id of the current key, the first byte of every ciphertext written now.
KEY_ID = 1
_ENC_LABEL = b"zhenggai/feedback/pii/sm4-gcm"
_INDEX_LABEL = b"zhenggai/feedback/pii/blind-index"


class PiiKeyError(crypto.KeyFileError):
    """The key file is missing or unusable."""


class PiiDecryptError(Exception):
    """A ciphertext that does not decrypt under its key, field and feedback (altered or moved)."""


def key_path() -> Path:
    configured = getattr(settings, "PII_KEY_FILE", None)
    if configured:
        return Path(configured)
    return Path(getattr(settings, "DATA_DIR", Path.cwd() / "var")) / "keys" / "pii.key"


def autocreate() -> bool:
    """Create a missing key on first use: the default, except in the production profile."""
    return bool(getattr(settings, "PII_KEY_AUTOCREATE", not getattr(settings, "PRODUCTION", False)))


def _read(path: Path) -> bytes:
    return crypto.read_key_file(path, what="个人信息加密密钥", min_bytes=KEY_BYTES, error=PiiKeyError)


def file_key(*, create: bool | None = None) -> bytes:
    """The key in the file; created first when missing and allowed (development)."""
    path = key_path()
    if create is None:
        create = autocreate()
    if create and not path.exists():
        crypto.create_key_file(path, nbytes=KEY_BYTES)
    return _read(path)


def missing_key() -> str:
    """Why the key is unusable ("" when it is usable), without creating anything."""
    try:
        _read(key_path())
    except PiiKeyError as exc:
        return str(exc)
    return ""


def _keys(key_id: int = KEY_ID) -> tuple[bytes, bytes]:
    """(SM4 key, index key) of ``key_id``. Only the current key exists so far; a rotation
    adds the retired key file under its id here and re-encrypts the rows."""
    if key_id != KEY_ID:
        raise PiiDecryptError(f"未知的个人信息密钥编号：{key_id}")
    root = file_key()
    enc = crypto.hmac_digest(root, _ENC_LABEL, "sm3")[: crypto.SM4_KEY_SIZE]
    index = crypto.hmac_digest(root, _INDEX_LABEL, "sm3")
    return enc, index


def _aad(field: str, tracking: str) -> bytes:
    return f"{field}:{tracking}".encode()


def encrypt(value: str, *, field: str, tracking: str) -> bytes:
    """``KEY_ID || SM4-GCM(nonce || ciphertext || tag)`` of ``value``; ``b""`` for an empty value."""
    if not value:
        return b""
    enc, _ = _keys()
    return bytes([KEY_ID]) + crypto.sm4_gcm_encrypt(enc, value.encode(), _aad(field, tracking))


def decrypt(blob: bytes | memoryview | None, *, field: str, tracking: str) -> str:
    """The clear value of ``encrypt``'s output (``""`` for an empty one); ``PiiDecryptError``
    when it was altered or belongs to another field or feedback."""
    data = bytes(blob or b"")
    if not data:
        return ""
    enc, _ = _keys(data[0])
    try:
        return crypto.sm4_gcm_decrypt(enc, data[1:], _aad(field, tracking)).decode()
    except (InvalidTag, ValueError, UnicodeDecodeError) as exc:
        raise PiiDecryptError("个人信息密文校验失败") from exc


# --- normalisation and the blind index ---------------------------------------------------------

_SEPARATORS = re.compile(r"[\s\-()（）.·]")
_MOBILE = re.compile(r"1[3-9]\d{9}")
# A landline with its area code: 0 + 2–3 digits, then 7–8 digits (010-12345678, 0556-5123456).
_LANDLINE = re.compile(r"0\d{9,11}")


def normalize_phone(value: str) -> str:
    """Digits only, a leading +86/0086/86 dropped (``""`` when it is not a phone number)."""
    digits = _SEPARATORS.sub("", (value or "").strip())
    for prefix in ("+86", "0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) in (11, 10, 12):
            rest = digits[len(prefix) :]
            if _MOBILE.fullmatch(rest) or _LANDLINE.fullmatch(rest):
                digits = rest
                break
    if _MOBILE.fullmatch(digits) or _LANDLINE.fullmatch(digits):
        return digits
    return ""


def normalize_email(value: str) -> str:
    return (value or "").strip().lower()


def blind_index(kind: str, value: str) -> str:
    """HMAC-SM3 (hex) of the normalised value under the index key; ``""`` for no value.

    ``kind`` separates the spaces (a phone and an address never share an index)."""
    if not value:
        return ""
    if kind == "phone":
        value = normalize_phone(value) or value.strip()
    elif kind == "email":
        value = normalize_email(value)
    _, index = _keys()
    return crypto.hmac_digest(index, f"{kind}:{value}".encode(), "sm3").hex()


def keyed_digest(purpose: str, value: str) -> str:
    """An HMAC-SM3 (hex) of ``value`` for ``purpose`` under the index key (query codes, throttles)."""
    _, index = _keys()
    return crypto.hmac_digest(index, f"{purpose}:{value}".encode(), "sm3").hex()


# --- masks ---------------------------------------------------------------------------------------

#: Two-character surnames: the mask keeps both characters (欧阳** rather than 欧***).
_COMPOUND = (
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 长孙 宇文 司徒 夏侯 轩辕 令狐 端木 独孤 南宫 "
    "西门 百里 呼延 澹台 万俟 闻人 太史 申屠 公羊 钟离 宗政 濮阳 淳于 单于 赫连 第五"
)
COMPOUND_SURNAMES = frozenset(_COMPOUND.split(" "))


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳修明 → 欧阳**; a one-character name stays masked as *."""
    name = (name or "").strip()
    if not name:
        return ""
    keep = 2 if name[:2] in COMPOUND_SURNAMES and len(name) > 2 else 1
    if len(name) == 1:
        return "*"
    return name[:keep] + "*" * (len(name) - keep)


def mask_phone(phone: str) -> str:
    """13812345678 → 138****1234; a landline keeps its area code and last three digits
    (0556-****567)."""
    digits = normalize_phone(phone) or _SEPARATORS.sub("", phone or "")
    if not digits:
        return ""
    if _MOBILE.fullmatch(digits):
        return f"{digits[:3]}****{digits[-4:]}"
    if _LANDLINE.fullmatch(digits):
        area = 3 if digits[1] in "12" else 4
        return f"{digits[:area]}-****{digits[-3:]}"
    return "*" * min(len(digits), 11)


def mask_email(email: str) -> str:
    """zhang.san@example.com → z***@example.com."""
    email = (email or "").strip()
    if not email:
        return ""
    local, at, domain = email.rpartition("@")
    if not at or not local:
        return "***"
    return f"{local[0]}***@{domain}"


MASKS = {"name": mask_name, "phone": mask_phone, "email": mask_email}
