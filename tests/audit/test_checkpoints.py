"""REQ-3.5: signed checkpoints in a file outside the database — written by the command (idempotent),
automatically every N events and at a change of day, and by the purge at its cut."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.audit.conftest import make_events, on_both, tamper, verify
from zhenggai.audit import checkpoints
from zhenggai.audit.models import AuditEvent


def lines() -> list[dict]:
    path = checkpoints.checkpoint_path()
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def run(*args: str) -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command(*args, stdout=out, stderr=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


def test_the_checkpoint_file_is_outside_the_database_in_the_data_dir(db, settings):
    assert checkpoints.checkpoint_path() == settings.DATA_DIR / "checkpoints" / "audit-checkpoints.jsonl"
    settings.AUDIT_CHECKPOINT_FILE = settings.DATA_DIR / "elsewhere.jsonl"
    assert checkpoints.checkpoint_path().name == "elsewhere.jsonl"


@on_both
def test_the_command_writes_seq_mac_count_time_and_a_signature_once(vendor, vendor_db):
    make_events(7)
    code, out = run("audit-checkpoint")
    assert code == 0 and "已写入检查点：序号 7" in out
    code, out = run("audit-checkpoint")
    assert code == 0 and "未重复写入" in out
    (cp,) = lines()
    head = AuditEvent.objects.get(seq=7)
    assert (cp["seq"], cp["mac"], cp["count"], cp["algorithm"], cp["kind"]) == (
        7,
        head.mac,
        7,
        "hmac-sm3",
        "manual",
    )
    assert cp["time"].endswith("Z") and len(cp["sig"]) == 64
    make_events(2, start=7)
    assert run("audit-checkpoint")[0] == 0
    assert [c["seq"] for c in lines()] == [7, 9]
    result = verify()
    assert result.ok and result.checkpoints_checked == 2


def test_the_command_refuses_to_sign_a_chain_that_does_not_verify(db):
    make_events(4)
    tamper("UPDATE audit_auditevent SET actor_name = 'mallory' WHERE seq = 2")
    code, out = run("audit-checkpoint")
    assert code == 1 and "序号 2" in out and "未写入检查点" in out
    assert lines() == []


def test_a_different_mac_for_a_seq_already_checkpointed_is_an_error(db):
    make_events(2)
    checkpoints.append(seq=2, mac="ab" * 32, alg="hmac-sm3", count=2, kind="auto")
    with pytest.raises(checkpoints.CheckpointError, match="不同的 MAC"):
        checkpoints.append(seq=2, mac="cd" * 32, alg="hmac-sm3", count=2, kind="auto")


def test_an_empty_trail_needs_no_checkpoint(db):
    assert run("audit-checkpoint") == (0, "审计记录为空，无需写入检查点\n")


def test_every_nth_event_writes_a_checkpoint_after_its_commit(
    db, settings, django_capture_on_commit_callbacks
):
    settings.AUDIT_CHECKPOINT_EVERY = 5
    settings.AUDIT_CHECKPOINT_SECONDS = 0  # no timer: only every 5th event
    with django_capture_on_commit_callbacks(execute=True):
        make_events(12)
    assert [(c["seq"], c["kind"]) for c in lines()] == [(5, "auto"), (10, "auto")]
    assert verify().ok


def test_nothing_is_written_when_the_transaction_rolls_back(db, settings, django_capture_on_commit_callbacks):
    settings.AUDIT_CHECKPOINT_EVERY = 1
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        make_events(2)
    # Per event: the head log (with the timer) and the checkpoint.
    assert len(callbacks) == 4 and lines() == []


def test_the_first_event_of_a_day_seals_the_last_event_of_the_day_before(
    db, settings, aged, django_capture_on_commit_callbacks
):
    settings.AUDIT_CHECKPOINT_EVERY = 0
    settings.AUDIT_CHECKPOINT_SECONDS = 0
    yesterday = timezone.now() - dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        aged(yesterday)
        make_events(3)
        aged(None)
        make_events(2, start=3)
    (cp,) = lines()
    assert (cp["seq"], cp["kind"]) == (3, "auto")
    assert cp["mac"] == AuditEvent.objects.get(seq=3).mac


def test_a_failing_sink_is_logged_and_does_not_undo_the_event(
    db, settings, django_capture_on_commit_callbacks, caplog
):
    settings.AUDIT_CHECKPOINT_EVERY = 1
    settings.AUDIT_CHECKPOINT_FILE = settings.DATA_DIR / "a-file"
    settings.DATA_DIR.mkdir(parents=True, exist_ok=True)
    (settings.DATA_DIR / "a-file").mkdir()  # a directory where the file should be
    with django_capture_on_commit_callbacks(execute=True):
        make_events(1)
    assert AuditEvent.objects.count() == 1
    assert "审计检查点写入失败" in caplog.text
