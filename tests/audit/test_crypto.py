"""REQ-1.18: the SM3 and SM4 official vectors, checked at start-up; a mismatch refuses to start."""

from __future__ import annotations

import pytest
from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from zhenggai import crypto


def test_sm3_of_abc_is_the_gb_t_32905_vector():
    assert (
        crypto.hexdigest(b"abc", "sm3") == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0"
    )


def test_sm3_of_the_64_byte_message_is_the_gb_t_32905_vector():
    assert crypto.hexdigest(b"abcd" * 16, "sm3") == (
        "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732"
    )


def test_sm4_ecb_of_the_gb_t_32907_example_is_681edf34():
    key = bytes.fromhex("0123456789abcdeffedcba9876543210")
    ct = crypto.sm4_ecb_encrypt_block(key, key)
    assert ct.hex() == "681edf34d206965e86b3e94f536e4246"
    assert crypto.sm4_ecb_decrypt_block(key, ct) == key


def test_hmac_sm3_and_hmac_sha256_follow_rfc_2104():
    for alg in ("sm3", "sha256"):
        for key in (b"k", b"x" * 64, b"y" * 200):
            assert crypto.hmac_digest(key, b"message", alg) == crypto._hmac_by_definition(
                key, b"message", alg
            )


def test_sm4_gcm_round_trips_and_detects_a_changed_byte():
    from cryptography.exceptions import InvalidTag

    key = bytes(range(16))
    blob = crypto.sm4_gcm_encrypt(key, b"13800138000", b"phone")
    assert b"13800138000" not in blob
    assert crypto.sm4_gcm_decrypt(key, blob, b"phone") == b"13800138000"
    broken = blob[:-1] + bytes([blob[-1] ^ 1])
    with pytest.raises(InvalidTag):
        crypto.sm4_gcm_decrypt(key, broken, b"phone")


def test_the_self_test_passes_on_this_openssl():
    crypto.self_test()


def test_a_wrong_sm3_vector_makes_the_self_test_fail(monkeypatch):
    monkeypatch.setattr(crypto, "HASH_VECTORS", (("sm3", b"abc", "00" * 32),))
    with pytest.raises(crypto.CryptoSelfTestError, match="SM3"):
        crypto.self_test()


def test_a_wrong_sm4_vector_makes_the_app_refuse_to_start(monkeypatch):
    monkeypatch.setattr(crypto, "SM4_VECTOR", (*crypto.SM4_VECTOR[:2], "00" * 16))
    with pytest.raises(ImproperlyConfigured, match="密码算法自检失败"):
        apps.get_app_config("audit").ready()


def test_an_openssl_without_sm3_makes_the_app_refuse_to_start(monkeypatch):
    from cryptography.exceptions import UnsupportedAlgorithm

    def no_sm3(data: bytes, alg: str = "sm3") -> bytes:
        raise UnsupportedAlgorithm("sm3 is not supported by this backend")

    monkeypatch.setattr(crypto, "digest", no_sm3)
    with pytest.raises(ImproperlyConfigured, match="拒绝启动"):
        apps.get_app_config("audit").ready()


def test_an_unknown_hash_name_is_refused():
    with pytest.raises(crypto.UnknownAlgorithm):
        crypto.digest(b"abc", "md5")
