"""Backup manifests signed with the audit checkpoint key (HMAC-SM3; issue 8, finding 7).

``manifest.sum``'s SM3 and SHA-256 find a damaged backup; anyone who edits a backup can
recompute them. The third line, ``HMAC-SM3 (manifest.json) = …``, needs the checkpoint key
(``AUDIT_CHECKPOINT_KEY_FILE``), which stays with the operator, off the database and out of
every backup. ``manifest.json`` names the key by an id derived from it (``signed_with``), only
so that a refusal can say "another key" rather than "edited": the HMAC alone decides.
"""

from __future__ import annotations

from typing import Any

from zhenggai import crypto

ALGORITHM = "HMAC-SM3"


class SigningKeyError(Exception):
    """The checkpoint key cannot be read (a restore exits 2 on it)."""


def signing_key(*, create: bool | None = None) -> bytes:
    """The key that signs backup manifests: the audit checkpoint key."""
    from zhenggai.audit import keys

    try:
        return keys.checkpoint_key(create=create)
    except keys.AuditKeyError as exc:
        raise SigningKeyError(
            f"无法签名或核验备份清单：{exc}（请放置与原实例相同的 AUDIT_CHECKPOINT_KEY_FILE）"
        ) from exc


def key_id(key: bytes) -> str:
    """A name for a key that reveals nothing of it."""
    return crypto.hmac_digest(key, b"zhenggai.backup-key-id", "sm3").hex()[:16]


def signature(data: bytes, key: bytes) -> str:
    return crypto.hmac_digest(key, data, "sm3").hex()


def signed_with(key: bytes) -> dict[str, str]:
    """What ``manifest.json`` says about its signature."""
    return {"key": "audit-checkpoint", "id": key_id(key), "algorithm": ALGORITHM}


def refusal(
    data: bytes, found: str | None, manifest: Any, *, manifest_name: str, sum_name: str
) -> str | None:
    """Why a manifest must be refused (unsigned, another key, edited), or None when its HMAC verifies."""
    if not found:
        return (
            f"备份清单未签名，拒绝恢复：{sum_name} 中没有 {ALGORITHM} 签名，"
            "无法确认备份未被伪造（未写入任何数据）"
        )
    key = signing_key(create=False)
    if crypto.constant_time_equal(signature(data, key), found):
        return None
    claimed = manifest.get("signed_with", {}).get("id") if isinstance(manifest, dict) else None
    why = (
        "备份由另一把检查点密钥签名（请放置原实例的 AUDIT_CHECKPOINT_KEY_FILE）"
        if isinstance(claimed, str) and claimed != key_id(key)
        else "备份内容在签名之后被改动"
    )
    return (
        f"备份清单签名不符，拒绝恢复：{manifest_name} 的 {ALGORITHM} 与本实例的检查点密钥不符，"
        f"{why}（未写入任何数据）"
    )
