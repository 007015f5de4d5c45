"""国密 (SM3, HMAC-SM3, SM4) and SHA-256 from OpenSSL through ``cryptography``, and their self-test.

One place chooses the algorithms: ``digest``/``hmac_digest`` take a name (``"sm3"`` or
``"sha256"``), so the audit chain, evidence digests and anything else can be switched by a
setting without touching the callers. ``self_test()`` checks the official vectors of GB/T
32905 (SM3) and GB/T 32907 (SM4) and the HMAC construction (RFC 2104) over SM3 and SHA-256;
the audit app runs it at start-up and the process refuses to start when it fails, because an
OpenSSL built without 国密 or with a broken provider must never produce an audit chain or
encrypted data nobody can check later.
"""

from __future__ import annotations

import contextlib
import hmac as _std_hmac
import os
import secrets
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as _hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

#: Hash names accepted everywhere in the project → the ``cryptography`` hash class.
HASHES: dict[str, type[hashes.HashAlgorithm]] = {"sm3": hashes.SM3, "sha256": hashes.SHA256}

#: Both produce 32 bytes; the audit chain relies on it (its genesis value is 32 zero bytes).
DIGEST_SIZE = 32

SM4_KEY_SIZE = 16
SM4_GCM_NONCE_SIZE = 12
SM4_GCM_TAG_SIZE = 16


class CryptoSelfTestError(RuntimeError):
    """An official test vector did not match: the cryptographic library cannot be trusted."""


class UnknownAlgorithm(ValueError):
    pass


def hash_algorithm(name: str) -> hashes.HashAlgorithm:
    try:
        return HASHES[name]()
    except KeyError:
        raise UnknownAlgorithm(f"不支持的摘要算法：{name}（可选 {', '.join(HASHES)}）") from None


def digest(data: bytes, alg: str = "sm3") -> bytes:
    h = hashes.Hash(hash_algorithm(alg))
    h.update(data)
    return h.finalize()


def hexdigest(data: bytes, alg: str = "sm3") -> str:
    return digest(data, alg).hex()


def hasher(alg: str = "sm3") -> hashes.Hash:
    """An incremental hash (``update`` / ``finalize``), for files read in chunks."""
    return hashes.Hash(hash_algorithm(alg))


def hmac_digest(key: bytes, data: bytes, alg: str = "sm3") -> bytes:
    """HMAC-SM3 or HMAC-SHA256 of ``data``."""
    m = _hmac.HMAC(key, hash_algorithm(alg))
    m.update(data)
    return m.finalize()


def constant_time_equal(a: bytes | str, b: bytes | str) -> bool:
    if isinstance(a, str):
        a = a.encode()
    if isinstance(b, str):
        b = b.encode()
    return _std_hmac.compare_digest(a, b)


# --- SM4 --------------------------------------------------------------------------------------


def sm4_ecb_encrypt_block(key: bytes, block: bytes) -> bytes:
    """One 16-byte block in ECB mode: only for the self-test vector, never for data."""
    if len(key) != SM4_KEY_SIZE or len(block) != 16:
        raise ValueError("SM4 的密钥和分组都是 16 字节")
    enc = Cipher(algorithms.SM4(key), modes.ECB()).encryptor()  # noqa: S305  one block, the self-test vector
    return enc.update(block) + enc.finalize()


def sm4_ecb_decrypt_block(key: bytes, block: bytes) -> bytes:
    if len(key) != SM4_KEY_SIZE or len(block) != 16:
        raise ValueError("SM4 的密钥和分组都是 16 字节")
    dec = Cipher(algorithms.SM4(key), modes.ECB()).decryptor()  # noqa: S305  one block, the self-test vector
    return dec.update(block) + dec.finalize()


def sm4_gcm_encrypt(key: bytes, plaintext: bytes, aad: bytes = b"", nonce: bytes | None = None) -> bytes:
    """SM4-GCM: returns ``nonce (12) || ciphertext || tag (16)``. For data at rest (PII fields)."""
    if len(key) != SM4_KEY_SIZE:
        raise ValueError("SM4 的密钥是 16 字节")
    nonce = os.urandom(SM4_GCM_NONCE_SIZE) if nonce is None else nonce
    enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
    if aad:
        enc.authenticate_additional_data(aad)
    ct = enc.update(plaintext) + enc.finalize()
    return nonce + ct + enc.tag


def sm4_gcm_decrypt(key: bytes, blob: bytes, aad: bytes = b"") -> bytes:
    """The inverse of ``sm4_gcm_encrypt``; raises ``cryptography.exceptions.InvalidTag`` when altered."""
    if len(key) != SM4_KEY_SIZE:
        raise ValueError("SM4 的密钥是 16 字节")
    if len(blob) < SM4_GCM_NONCE_SIZE + SM4_GCM_TAG_SIZE:
        raise ValueError("SM4-GCM 密文太短")
    nonce, ct, tag = (
        blob[:SM4_GCM_NONCE_SIZE],
        blob[SM4_GCM_NONCE_SIZE:-SM4_GCM_TAG_SIZE],
        blob[-SM4_GCM_TAG_SIZE:],
    )
    dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, tag)).decryptor()
    if aad:
        dec.authenticate_additional_data(aad)
    return dec.update(ct) + dec.finalize()


# --- self-test --------------------------------------------------------------------------------

#: (algorithm, input, expected hex) — GB/T 32905-2016 appendix A and FIPS 180-2.
HASH_VECTORS: tuple[tuple[str, bytes, str], ...] = (
    ("sm3", b"abc", "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"),
    ("sm3", b"abcd" * 16, "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"),
    ("sha256", b"abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
)

#: GB/T 32907-2016 appendix A, example 1: key = plaintext = 0123456789abcdeffedcba9876543210.
SM4_VECTOR = (
    "0123456789abcdeffedcba9876543210",
    "0123456789abcdeffedcba9876543210",
    "681edf34d206965e86b3e94f536e4246",
)


def _hmac_by_definition(key: bytes, data: bytes, alg: str) -> bytes:
    """RFC 2104 written out, to check the library's HMAC over the same hash."""
    block = 64  # SM3 and SHA-256 both have 64-byte blocks
    if len(key) > block:
        key = digest(key, alg)
    key = key.ljust(block, b"\0")
    inner = digest(bytes(b ^ 0x36 for b in key) + data, alg)
    return digest(bytes(b ^ 0x5C for b in key) + inner, alg)


def self_test() -> None:
    """Check SM3, SHA-256, HMAC and SM4 against fixed vectors; ``CryptoSelfTestError`` if any differs."""
    failures: list[str] = []
    try:
        for alg, data, expected in HASH_VECTORS:
            got = digest(data, alg).hex()
            if got != expected:
                failures.append(f"{alg.upper()}({data[:8]!r}…) = {got}，应为 {expected}")
        key, pt, want_ct = (bytes.fromhex(x) for x in SM4_VECTOR)
        got_ct = sm4_ecb_encrypt_block(key, pt)
        if got_ct != want_ct:
            failures.append(f"SM4-ECB = {got_ct.hex()}，应为 {want_ct.hex()}")
        elif sm4_ecb_decrypt_block(key, got_ct) != pt:
            failures.append("SM4-ECB 解密结果与明文不一致")
        for alg in HASHES:
            for k in (b"zhenggai-self-test", b"k" * 100):
                if hmac_digest(k, b"abc", alg) != _hmac_by_definition(k, b"abc", alg):
                    failures.append(f"HMAC-{alg.upper()} 与 RFC 2104 的定义不一致")
        gcm_key = bytes(range(16))
        blob = sm4_gcm_encrypt(gcm_key, b"self-test", b"aad", nonce=bytes(12))
        if sm4_gcm_decrypt(gcm_key, blob, b"aad") != b"self-test":
            failures.append("SM4-GCM 加解密往返不一致")
    except Exception as exc:  # an OpenSSL without 国密 raises UnsupportedAlgorithm here
        failures.append(f"{type(exc).__name__}: {exc}")
    if failures:
        raise CryptoSelfTestError("密码算法自检失败，拒绝启动：" + "；".join(failures))


# --- key files ----------------------------------------------------------------------------------
# The keys (the audit chain's, the checkpoints', citizens' personal data's) live in files outside
# the database: random bytes written as hexadecimal, mode 0600.


class KeyFileError(Exception):
    """A key file is missing or unusable; ``str(err)`` says which and why, for the operator."""


# path → (mtime_ns, size, key): a key file is re-read when it changes, not on every use.
_key_cache: dict[str, tuple[int, int, bytes]] = {}


def read_key_file(
    path: Path, *, what: str, min_bytes: int = 32, error: type[KeyFileError] = KeyFileError
) -> bytes:
    """The key in ``path`` (``what`` names it in messages, e.g. "审计密钥"); ``error`` when it is
    missing, unreadable, not hexadecimal or shorter than ``min_bytes``."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise error(f"{what}文件不存在：{path}") from None
    except OSError as exc:
        raise error(f"无法读取{what}文件 {path}：{exc.strerror or exc}") from None
    cached = _key_cache.get(str(path))
    if cached and cached[:2] == (st.st_mtime_ns, st.st_size):
        return cached[2]
    try:
        key = bytes.fromhex(path.read_text(encoding="ascii").strip())
    except (OSError, UnicodeDecodeError, ValueError):
        raise error(f"{what}文件格式不正确（应为 {min_bytes * 2} 位十六进制）：{path}") from None
    if len(key) < min_bytes:
        raise error(f"{what}太短（至少 {min_bytes} 字节）：{path}")
    _key_cache[str(path)] = (st.st_mtime_ns, st.st_size, key)
    return key


def create_key_file(path: Path, *, nbytes: int = 32) -> None:
    """A new random key in ``path`` (mode 0600, its folder 0700), unless one is there already.

    Written in full to a private temporary file, then linked into place: link() never
    overwrites, so of two processes starting together one key wins and nobody reads half a file.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(OSError):
        os.chmod(path.parent, 0o700)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(nbytes) + "\n")
            f.flush()
            os.fsync(f.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
