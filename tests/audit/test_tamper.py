"""REQ-3.3 (and REQ-3.5): every kind of tampering is caught, at the row where it happened.

Ten events; row k = 6. The attacker has write access to the database (the triggers are
bypassed the controlled way) but not the keys, except in the last tests, where they
recompute the chain with the right key and only the external checkpoints catch them.
"""

from __future__ import annotations

import json
import secrets

from django.db import connection

from tests.audit.conftest import make_events, on_both, tamper, verify
from zhenggai.audit import checkpoints, keys
from zhenggai.audit.chain import GENESIS, compute_mac, record_of
from zhenggai.audit.models import AuditEvent

N, K = 10, 6


def _recompute_from(seq: int, key: bytes) -> None:
    """Rewrite prev_mac/mac of every row from ``seq`` on with ``key`` (the attacker's recomputation)."""
    prev = GENESIS if seq == 1 else AuditEvent.objects.get(seq=seq - 1).mac
    for row in AuditEvent.objects.filter(seq__gte=seq).order_by("seq"):
        mac = compute_mac(key, row.alg, prev, row.seq, record_of(row))
        tamper("UPDATE audit_auditevent SET prev_mac = %s, mac = %s WHERE id = %s", [prev, mac, row.pk])
        prev = mac


def _fails_at(seq: int, code: str) -> None:
    result = verify()
    assert not result.ok
    assert (result.problem.seq, result.problem.code) == (seq, code), result.problem


@on_both
def test_an_untouched_log_verifies(vendor, vendor_db):
    make_events(N)
    result = verify()
    assert result.ok and result.rows == N


@on_both
def test_changing_one_field_of_row_k_fails_at_k(vendor, vendor_db):
    make_events(N)
    tamper("UPDATE audit_auditevent SET actor_name = %s WHERE seq = %s", ["mallory", K])
    _fails_at(K, "mac")
    assert verify().problem.row_id == AuditEvent.objects.get(seq=K).pk


@on_both
def test_changing_the_json_of_row_k_fails_at_k(vendor, vendor_db):
    make_events(N)
    row = AuditEvent.objects.get(seq=K)
    after = dict(row.after, text="改过的文字")
    cast = "::jsonb" if connection.vendor == "postgresql" else ""
    tamper(f"UPDATE audit_auditevent SET after = %s{cast} WHERE seq = %s", [json.dumps(after), K])
    _fails_at(K, "mac")


@on_both
def test_changing_the_time_of_row_k_fails_at_k(vendor, vendor_db):
    make_events(N)
    row = AuditEvent.objects.get(seq=K)
    moved = row.created_at.replace(microsecond=(row.created_at.microsecond + 1) % 1_000_000)
    tamper(
        "UPDATE audit_auditevent SET created_at = %s WHERE seq = %s",
        [connection.ops.adapt_datetimefield_value(moved), K],
    )
    _fails_at(K, "mac")


@on_both
def test_deleting_row_k_fails_at_k(vendor, vendor_db):
    make_events(N)
    tamper("DELETE FROM audit_auditevent WHERE seq = %s", [K])
    _fails_at(K, "gap")
    assert verify().problem.row_id is None


@on_both
def test_deleting_the_first_rows_fails_at_the_first_missing_one(vendor, vendor_db):
    make_events(N)
    tamper("DELETE FROM audit_auditevent WHERE seq <= %s", [3])
    _fails_at(3, "unanchored")


@on_both
def test_inserting_a_forged_row_in_the_middle_fails_there(vendor, vendor_db):
    make_events(N)
    tamper("UPDATE audit_auditevent SET seq = seq + 1000 WHERE seq >= %s", [K])
    tamper("UPDATE audit_auditevent SET seq = seq - 999 WHERE seq >= 1000")
    before = AuditEvent.objects.get(seq=K - 1)
    forged = AuditEvent(
        created_at=before.created_at,
        actor_name="admin",
        action="measure.delete",
        seq=K,
        prev_mac=before.mac,
        alg="hmac-sm3",
    )
    forged.mac = compute_mac(secrets.token_bytes(32), "hmac-sm3", before.mac, K, record_of(forged))
    forged.save(force_insert=True)
    _fails_at(K, "mac")


@on_both
def test_appending_a_forged_row_at_the_end_fails_there(vendor, vendor_db):
    make_events(N)
    last = AuditEvent.objects.get(seq=N)
    forged = AuditEvent(created_at=last.created_at, actor_name="admin", action="auth.login", seq=N + 1)
    forged.prev_mac, forged.alg = last.mac, "hmac-sm3"
    forged.mac = compute_mac(secrets.token_bytes(32), "hmac-sm3", last.mac, N + 1, record_of(forged))
    forged.save(force_insert=True)
    _fails_at(N + 1, "mac")


@on_both
def test_reordering_two_rows_fails_at_the_first_of_them(vendor, vendor_db):
    make_events(N)
    tamper("UPDATE audit_auditevent SET seq = -1 WHERE seq = %s", [K])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = %s", [K, K + 1])
    tamper("UPDATE audit_auditevent SET seq = %s WHERE seq = -1", [K + 1])
    _fails_at(K, "prev-mac")


@on_both
def test_recomputing_the_whole_chain_with_a_wrong_key_fails_at_row_1(vendor, vendor_db):
    make_events(N)
    _recompute_from(1, secrets.token_bytes(32))
    _fails_at(1, "mac")


@on_both
def test_a_truncated_tail_is_caught_by_the_last_checkpoint(vendor, vendor_db):
    make_events(N)
    h = AuditEvent.objects.get(seq=N)
    checkpoints.append(seq=N, mac=h.mac, alg=h.alg, count=N, kind="manual")
    tamper("DELETE FROM audit_auditevent WHERE seq > %s", [7])
    _fails_at(8, "truncated")


@on_both
def test_rewriting_with_the_right_key_and_truncating_is_caught_by_the_checkpoint(vendor, vendor_db):
    make_events(N)
    h = AuditEvent.objects.get(seq=N)
    checkpoints.append(seq=N, mac=h.mac, alg=h.alg, count=N, kind="manual")
    # The attacker holds the chain key: edits row k, recomputes from there, drops the tail.
    tamper("UPDATE audit_auditevent SET outcome = 'ok' WHERE seq = %s", [K])
    tamper("DELETE FROM audit_auditevent WHERE seq > %s", [8])
    _recompute_from(K, keys.chain_key(create=False))
    _fails_at(9, "truncated")


@on_both
def test_rewriting_with_the_right_key_before_a_checkpoint_is_caught_at_the_checkpoint(vendor, vendor_db):
    make_events(N)
    for seq in (5, 8):
        row = AuditEvent.objects.get(seq=seq)
        checkpoints.append(seq=seq, mac=row.mac, alg=row.alg, count=seq, kind="auto")
    tamper("UPDATE audit_auditevent SET actor_name = 'mallory' WHERE seq = %s", [K])
    _recompute_from(K, keys.chain_key(create=False))
    _fails_at(8, "checkpoint")


@on_both
def test_a_checkpoint_with_a_changed_mac_is_rejected(vendor, vendor_db):
    make_events(N)
    row = AuditEvent.objects.get(seq=N)
    checkpoints.append(seq=N, mac=row.mac, alg=row.alg, count=N, kind="manual")
    assert verify().ok and verify().checkpoints_checked == 1
    path = checkpoints.checkpoint_path()
    doc = json.loads(path.read_text())
    doc["mac"] = "0" * 64
    path.write_text(json.dumps(doc) + "\n")
    result = verify()
    assert not result.ok and result.problem.code == "checkpoint-invalid"


@on_both
def test_a_checkpoint_signed_with_another_key_is_rejected(vendor, vendor_db, settings):
    make_events(3)
    row = AuditEvent.objects.get(seq=3)
    checkpoints.append(seq=3, mac=row.mac, alg=row.alg, count=3, kind="manual")
    settings.AUDIT_CHECKPOINT_KEY_FILE = settings.DATA_DIR / "keys" / "other.key"
    keys.checkpoint_key()  # created: a different key
    assert verify().problem.code == "checkpoint-invalid"
