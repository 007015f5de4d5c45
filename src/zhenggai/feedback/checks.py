"""System checks of the feedback settings (run by ``zhenggai check`` and before most commands)."""

from __future__ import annotations

from typing import Any

from django.core import checks

from . import pii


@checks.register("feedback")
def pii_key_present(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """In production the personal-data key must be in place: it is never created there, since a
    fresh key would make every stored ciphertext unreadable."""
    if pii.autocreate():
        return []
    problem = pii.missing_key()
    if not problem:
        return []
    return [
        checks.Error(
            problem,
            hint="生产环境不会自动生成个人信息加密密钥：请放置 PII_KEY_FILE（64 位十六进制，0600）并另行备份",
            id="feedback.E001",
        )
    ]
