"""The personal-data key file and its system check."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest

from zhenggai.feedback import pii
from zhenggai.feedback.checks import pii_key_present


def test_the_key_is_created_private_in_development(settings: Any, tmp_path: Path) -> None:
    settings.PII_KEY_FILE = tmp_path / "keys" / "pii.key"
    key = pii.file_key()
    assert len(key) == pii.KEY_BYTES
    assert stat.S_IMODE(settings.PII_KEY_FILE.stat().st_mode) == 0o600
    assert pii.file_key() == key


def test_in_production_a_missing_key_is_never_created_and_the_check_fails(
    settings: Any, tmp_path: Path
) -> None:
    settings.PII_KEY_FILE = tmp_path / "absent.key"
    settings.PRODUCTION = True
    errors = pii_key_present()
    assert [e.id for e in errors] == ["feedback.E001"]
    with pytest.raises(pii.PiiKeyError):
        pii.encrypt("13812345678", field="phone", tracking="GKX")
    assert not settings.PII_KEY_FILE.exists()


def test_a_present_key_passes_the_production_check(settings: Any, tmp_path: Path) -> None:
    settings.PII_KEY_FILE = tmp_path / "pii.key"
    settings.PII_KEY_FILE.write_text("ab" * 32)
    settings.PRODUCTION = True
    assert pii_key_present() == []


def test_the_encryption_and_index_keys_differ_and_round_trip(settings: Any, tmp_path: Path) -> None:
    settings.PII_KEY_FILE = tmp_path / "pii.key"
    blob = pii.encrypt("张三", field="name", tracking="GK1")
    assert pii.decrypt(blob, field="name", tracking="GK1") == "张三"
    with pytest.raises(pii.PiiDecryptError):
        pii.decrypt(blob, field="name", tracking="GK2")
    assert pii.blind_index("phone", "+86 138-1234-5678") == pii.blind_index("phone", "13812345678")
    assert pii.blind_index("phone", "13812345678") != pii.blind_index("email", "13812345678")
