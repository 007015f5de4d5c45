"""REQ-1.13 and REQ-3.8: the purge never drops events younger than six months; it exports the
rows and the checkpoint at the cut before deleting, and the rest of the chain verifies from it."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.audit.conftest import make_events, on_both, tamper, verify
from zhenggai.audit import retention
from zhenggai.audit.checks import audit_settings
from zhenggai.audit.models import AuditEvent


def ages(aged, days: list[int]) -> None:
    """One event per age in days (oldest first)."""
    now = timezone.now()
    for i, d in enumerate(days):
        aged(now - dt.timedelta(days=d))
        make_events(1, start=i)
    aged(None)


@on_both
def test_the_purge_archives_old_rows_with_the_cut_checkpoint_and_the_rest_verifies(
    vendor, vendor_db, aged, settings
):
    settings.AUDIT_RETENTION_DAYS = 365
    ages(aged, [800, 700, 500, 400, 366, 300, 200, 100, 1, 0])
    report = retention.purge()
    assert (report.cut_seq, report.deleted) == (5, 5)
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [6, 7, 8, 9, 10, 11]
    purge_event = AuditEvent.objects.get(seq=11)
    assert purge_event.action == "audit.purge"
    assert purge_event.after["cut_seq"] == 5 and purge_event.after["archive_sm3"] == report.archive_sm3
    archived = [json.loads(x) for x in report.archive.read_text().splitlines()]
    assert [r["seq"] for r in archived[:-1]] == [1, 2, 3, 4, 5]
    cp = archived[-1]["checkpoint"]
    assert (cp["seq"], cp["kind"]) == (5, "purge")
    assert cp["mac"] == AuditEvent.objects.get(seq=6).prev_mac
    result = verify()
    assert result.ok, result.problem
    assert (result.first_seq, result.anchored_at, result.rows) == (6, 5, 6)
    make_events(2, start=20)
    assert verify().ok


@on_both
def test_a_retention_setting_below_six_months_never_drops_young_events(vendor, vendor_db, aged, settings):
    settings.AUDIT_RETENTION_DAYS = 30
    assert [m.id for m in audit_settings()] == ["audit.E002"]
    ages(aged, [400, 190, 183, 170, 60, 2])
    report = retention.purge()
    assert report.deleted == 2
    oldest_left = AuditEvent.objects.order_by("seq").first()
    assert timezone.now() - oldest_left.created_at < dt.timedelta(days=184)
    assert verify().ok


@pytest.mark.parametrize("days", [184, 185, 200, 365, 730])
def test_no_event_younger_than_the_retention_period_is_ever_purged(db, aged, settings, days):
    settings.AUDIT_RETENTION_DAYS = days
    ages(aged, [days + 30, days + 1, days - 1, days // 2, 0])
    retention.purge()
    kept = list(AuditEvent.objects.exclude(action="audit.purge").order_by("seq"))
    assert [e.seq for e in kept] == [3, 4, 5]
    assert all(timezone.now() - e.created_at < dt.timedelta(days=days) for e in kept)


def test_a_young_row_behind_an_old_one_stops_the_cut(db, aged, settings):
    settings.AUDIT_RETENTION_DAYS = 365
    ages(aged, [500, 10, 500, 500])  # the clock went back after row 2
    report = retention.purge()
    assert report.cut_seq == 1
    assert list(AuditEvent.objects.values_list("seq", flat=True)) == [2, 3, 4, 5]


def test_the_purge_refuses_a_chain_that_does_not_verify_and_deletes_nothing(db, aged):
    ages(aged, [900, 800, 1])
    tamper("UPDATE audit_auditevent SET actor_name = 'mallory' WHERE seq = 1")
    with pytest.raises(retention.PurgeRefused, match="序号 1"):
        retention.purge()
    assert AuditEvent.objects.count() == 3


def test_a_dry_run_changes_nothing(db, aged):
    ages(aged, [900, 800, 1])
    report = retention.purge(dry_run=True)
    assert (report.deleted, report.archive) == (2, None)
    assert AuditEvent.objects.count() == 3


def test_without_the_purge_checkpoint_the_remaining_chain_is_unanchored(db, aged):
    ages(aged, [900, 800, 1])
    report = retention.purge()
    report.archive.unlink()
    from zhenggai.audit import checkpoints

    checkpoints.checkpoint_path().write_text("")
    result = verify()
    assert not result.ok and result.problem.code == "unanchored" and result.problem.seq == 2


def test_the_command_reports_what_it_archived(db, aged):
    ages(aged, [900, 1])
    out = io.StringIO()
    call_command("audit-purge", "--json", stdout=out)
    doc = json.loads(out.getvalue())
    assert (doc["rows"], doc["cut_seq"], doc["dry_run"]) == (1, 1, False)
    assert doc["archive"].endswith(".jsonl") and len(doc["archive_sm3"]) == 64


def test_the_retention_floor_is_the_longest_six_calendar_months():
    july_to_december = sum((31, 31, 30, 31, 30, 31))
    assert retention.MIN_RETENTION_DAYS == july_to_december == 184
