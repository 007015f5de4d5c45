"""REQ-3.2 (seq, prev_mac, mac; the verifier accepts an untouched log), REQ-1.11 (the fields of
every event in the inventory) and REQ-1.12 (fail-closed: no audit row, no change)."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.db import connection

from tests.audit.conftest import make_events, on_both, verify
from zhenggai import crypto
from zhenggai.audit import keys
from zhenggai.audit.chain import GENESIS, Head, compute_mac, mac_input, record_of
from zhenggai.audit.events import EVENTS
from zhenggai.audit.models import AuditEvent
from zhenggai.audit.services import RequestContext, audit_record, reset_request_context, set_request_context


@on_both
def test_events_get_gap_free_seq_each_linked_to_the_mac_before_it(vendor, vendor_db):
    make_events(12)
    rows = list(AuditEvent.objects.order_by("seq"))
    assert [r.seq for r in rows] == list(range(1, 13))
    assert rows[0].prev_mac == GENESIS
    for before, row in itertools.pairwise(rows):
        assert row.prev_mac == before.mac
    key = keys.chain_key(create=False)
    for r in rows:
        assert r.alg == "hmac-sm3"
        expected = crypto.hmac_digest(key, mac_input(r.prev_mac, r.seq, record_of(r)), "sm3").hex()
        assert r.mac == expected
    result = verify()
    assert result.ok, result.problem
    assert (result.rows, result.first_seq, result.last_seq) == (12, 1, 12)


def test_the_mac_covers_prev_mac_then_seq_as_8_bytes_then_the_canonical_record(db):
    (e,) = make_events(1)
    data = mac_input(e.prev_mac, e.seq, record_of(e))
    assert data[:32] == bytes(32)
    assert data[32:40] == (1).to_bytes(8, "big")
    assert data[40:].startswith(b'{"action":"measure.update","actor":null,')
    assert b'"time":"' in data and b'Z"' in data and b'"v":1' in data


def test_sha256_is_selectable_and_each_row_says_which_algorithm_it_used(db, settings):
    make_events(2)
    settings.AUDIT_ALGORITHM = "sha256"
    make_events(2, start=2)
    assert list(AuditEvent.objects.order_by("seq").values_list("alg", flat=True)) == [
        "hmac-sm3",
        "hmac-sm3",
        "hmac-sha256",
        "hmac-sha256",
    ]
    last = AuditEvent.objects.get(seq=4)
    key = keys.chain_key(create=False)
    assert last.mac == compute_mac(key, "hmac-sha256", last.prev_mac, 4, record_of(last))
    assert verify().ok


def test_the_key_is_a_0600_file_outside_the_database_created_on_first_use(db, settings):
    path = keys.chain_key_path()
    assert not path.exists()
    make_events(1)
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(bytes.fromhex(path.read_text().strip())) == 32
    assert str(settings.DATA_DIR) in str(path)


def test_without_autocreate_a_missing_key_is_a_start_up_error(db, settings):
    from django.core.exceptions import ImproperlyConfigured

    from zhenggai.audit.checks import audit_settings

    settings.AUDIT_KEY_AUTOCREATE = False
    with pytest.raises(ImproperlyConfigured, match="审计密钥文件不存在"):
        keys.require_audit_keys()
    assert {m.id for m in audit_settings()} == {"audit.E001"}
    with pytest.raises(keys.AuditKeyError):
        make_events(1)


@pytest.mark.parametrize("action", sorted(EVENTS))
def test_every_event_of_the_inventory_makes_one_complete_row(action, personas):
    before = AuditEvent.objects.count()
    ctx = set_request_context(RequestContext("req-0001", "10.1.2.3"))
    try:
        audit_record(actor=personas.clerk, action=action, obj=personas.unit_a, unit_id=personas.unit_a.pk)
    finally:
        reset_request_context(ctx)
    assert AuditEvent.objects.count() == before + 1
    e = AuditEvent.objects.order_by("-seq").first()
    assert e.action == action
    assert e.created_at.tzinfo is not None
    assert abs(e.created_at - dt.datetime.now(dt.UTC)) < dt.timedelta(minutes=1)
    assert (e.actor_id, e.actor_name) == (personas.clerk.pk, "clerk")
    assert (e.address, e.request_id) == ("10.1.2.3", "req-0001")
    assert (e.object_type, e.object_id, e.unit_id_ref) == (
        "unit",
        str(personas.unit_a.pk),
        personas.unit_a.pk,
    )
    assert e.outcome == "ok"
    assert e.mac and e.seq


@on_both
def test_if_the_audit_write_fails_the_business_change_fails_with_it(vendor, vendor_db, personas, monkeypatch):
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Round

    def broken(*args, **kwargs):
        raise RuntimeError("审计写入失败")

    rounds, events = Round.objects.count(), AuditEvent.objects.count()
    monkeypatch.setattr("zhenggai.audit.chain.compute_mac", broken)
    with pytest.raises(RuntimeError, match="审计写入失败"):
        services.round_create(actor=personas.clerk, unit=personas.unit_a, title="不应留下的轮次")
    assert (Round.objects.count(), AuditEvent.objects.count()) == (rounds, events)


def test_a_missing_key_without_autocreate_makes_the_business_change_fail(personas, settings):
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Round

    settings.AUDIT_KEY_AUTOCREATE = False
    settings.AUDIT_KEY_FILE = settings.DATA_DIR / "keys" / "nowhere.key"
    with pytest.raises(keys.AuditKeyError):
        services.round_create(actor=personas.clerk, unit=personas.unit_a, title="不应留下的轮次")
    assert not Round.objects.filter(title="不应留下的轮次").exists()


def test_an_account_with_audit_events_cannot_be_deleted(personas):
    from django.db.models import ProtectedError

    make_events(1, actor=personas.clerk)
    with pytest.raises(ProtectedError):
        personas.clerk.delete()


def test_the_service_calls_of_the_ledger_leave_a_chain_that_verifies(personas, seed_round):
    assert connection.vendor in ("sqlite", "postgresql")
    assert AuditEvent.objects.count() > 5
    assert verify().ok


@on_both
def test_tricky_values_survive_the_database_and_the_chain_still_verifies(vendor, vendor_db):
    import decimal

    tricky = {
        "nfd": "e\u0301 和 \u1100\u1161",
        "nul": "a\x00b",
        "lone_surrogate": "x\ud800y",
        "emoji": "整改✅🇨🇳",
        "big": 2**62 + 1,
        "negative": -(2**40),
        "float": 0.1,
        "decimal": decimal.Decimal("4.54E+4"),
        "nested": {"z": [1, {"y": None, "x": True}], "a": []},
        "quote": '"\\\n\t',
        "when": dt.datetime(2022, 3, 30, 8, tzinfo=dt.UTC),
    }
    audit_record(actor=None, action="measure.update", before=tricky, after={"列表": list(tricky)})
    row = AuditEvent.objects.get(action="measure.update")
    assert row.before["nfd"] == "\u00e9 和 \uac00"
    assert row.before["nul"] == "a\ufffdb" and row.before["lone_surrogate"] == "x\ufffdy"
    assert row.before["big"] == 2**62 + 1 and row.before["float"] == "0.1"
    assert verify().ok


@on_both
def test_the_head_is_the_last_row_as_the_orm_reads_it(vendor, vendor_db):
    """``head`` runs the ORM's query compiled once per process, its time converted as the ORM
    converts it: the same values, the time an aware datetime equal to the row's."""
    from zhenggai.audit.chain import head

    assert head() == Head(0, GENESIS, "", None)
    make_events(3)
    last = AuditEvent.objects.order_by("-seq").values_list("seq", "mac", "alg", "created_at")[0]
    got = head()
    assert got == Head(*last)
    assert got.created_at is not None and got.created_at.tzinfo is not None
    assert isinstance(got.seq, int) and got.seq == 3
