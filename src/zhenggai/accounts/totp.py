"""Time-based one-time passwords (RFC 6238 over RFC 4226 HOTP), with hmac and hashlib only.

The parameters are the ones every authenticator app understands: HMAC-SHA1, 6 digits,
30-second steps. A code is accepted for the current step and one step either side, and
only for a step later than the last one used (single use, REQ-1.6).

Secrets are stored sealed with SM4-GCM under a key derived from ``SECRET_KEY`` (the
fallback keys still open them while the key is being rotated).
"""

from __future__ import annotations

import base64
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

STEP = 30
DIGITS = 6
WINDOW = 1  # steps either side of now
SECRET_BYTES = 20  # 160 bits, RFC 4226's recommendation for HMAC-SHA1


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226: HMAC of the 8-byte counter, dynamic truncation, ``digits`` decimal digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), digest).digest()
    offset = mac[-1] & 0x0F
    number = int.from_bytes(mac[offset : offset + 4], "big") & 0x7FFFFFFF
    return str(number % 10**digits).zfill(digits)


def time_step(unix_time: float, *, step: int = STEP, t0: int = 0) -> int:
    """RFC 6238's T: whole steps since T0."""
    return int((unix_time - t0) // step)


def totp(
    key: bytes, unix_time: float, *, step: int = STEP, digits: int = DIGITS, digest: str = "sha1"
) -> str:
    """RFC 6238: HOTP of the time step."""
    return hotp(key, time_step(unix_time, step=step), digits=digits, digest=digest)


def match(key: bytes, code: str, unix_time: float, *, after: int = 0, window: int = WINDOW) -> int | None:
    """The step ``code`` belongs to (within ±``window`` of now and later than ``after``), or None."""
    code = "".join(code.split())
    if len(code) != DIGITS or not (code.isascii() and code.isdigit()):
        return None
    now = time_step(unix_time)
    found = None
    for candidate in range(now - window, now + window + 1):
        # Compare every candidate in constant time; take the latest that matches.
        if candidate > after and hmac.compare_digest(hotp(key, candidate), code):
            found = candidate
    return found


def new_secret() -> bytes:
    return secrets.token_bytes(SECRET_BYTES)


def b32(key: bytes) -> str:
    """The secret as authenticator apps show and accept it (base32, no padding)."""
    return base64.b32encode(key).decode("ascii").rstrip("=")


def provisioning_uri(key: bytes, *, account: str, issuer: str) -> str:
    """``otpauth://totp/…``: what the enrolment QR code holds."""
    label = quote(f"{issuer}:{account}", safe="")
    query = urlencode(
        {"secret": b32(key), "issuer": issuer, "algorithm": "SHA1", "digits": DIGITS, "period": STEP},
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"


# --- sealing the stored secret ---------------------------------------------------------------

_SEAL_VERSION = "v1"


def _seal_key(secret_key: str) -> bytes:
    from zhenggai.crypto import SM4_KEY_SIZE, hmac_digest

    return hmac_digest(secret_key.encode(), b"zhenggai.accounts.totp-secret", "sm3")[:SM4_KEY_SIZE]


def _aad(user_id: int) -> bytes:
    # Bound to its user: a sealed secret copied onto another account's row does not open.
    return f"zhenggai.totp:{user_id}".encode()


def seal(key: bytes, user_id: int) -> str:
    """Encrypt a TOTP secret for the database (SM4-GCM, random nonce, bound to the user)."""
    from django.conf import settings

    from zhenggai.crypto import sm4_gcm_encrypt

    blob = sm4_gcm_encrypt(_seal_key(settings.SECRET_KEY), key, aad=_aad(user_id))
    return f"{_SEAL_VERSION}:{base64.urlsafe_b64encode(blob).decode('ascii')}"


def unseal(value: str, user_id: int) -> bytes:
    """The secret back; tries ``SECRET_KEY`` then each fallback key. ValueError if none opens it."""
    from cryptography.exceptions import InvalidTag
    from django.conf import settings

    from zhenggai.crypto import sm4_gcm_decrypt

    version, _, encoded = value.partition(":")
    if version != _SEAL_VERSION:
        raise ValueError("unknown sealed-secret version")
    blob = base64.urlsafe_b64decode(encoded.encode("ascii"))
    for secret_key in [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]:
        try:
            return sm4_gcm_decrypt(_seal_key(secret_key), blob, aad=_aad(user_id))
        except InvalidTag:
            continue
    raise ValueError("the TOTP secret does not open with the configured keys")
