"""Finding 6 of issue 8: the tail of the chain is anchored outside the database.

After every commit that appended events the head (seq and MAC, signed with the checkpoint
key) is appended to the head log beside the checkpoints; a security event and a stale
checkpoint file (the timer) also write a checkpoint. ``audit-verify`` fails when the head
recorded outside says more events existed than the table holds.
"""

from __future__ import annotations

import io
import json
import os
import time

import pytest
from django.core import checks
from django.core.management import call_command

from tests.audit.conftest import make_events, tamper, verify
from zhenggai.audit import checkpoints, headlog, keys
from zhenggai.audit.chain import compute_mac, record_of
from zhenggai.audit.models import AuditEvent
from zhenggai.audit.services import audit_security_event


def checkpoint_lines() -> list[dict]:
    path = checkpoints.checkpoint_path()
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def head_lines() -> list[dict]:
    path = headlog.head_path()
    return [json.loads(x) for x in path.read_text().splitlines()] if path.exists() else []


def audit_verify() -> tuple[int, str]:
    out = io.StringIO()
    try:
        call_command("audit-verify", stdout=out, stderr=out)
    except SystemExit as exc:
        return int(exc.code), out.getvalue()
    return 0, out.getvalue()


@pytest.fixture
def committed(django_capture_on_commit_callbacks):
    """Run a block and then its after-commit work, as a real commit would."""

    def run(fn, *args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            return fn(*args, **kwargs)

    return run


def test_finding6_deleting_the_events_after_the_last_checkpoint_fails_verification(db, settings, committed):
    settings.AUDIT_CHECKPOINT_EVERY = 100
    settings.AUDIT_CHECKPOINT_SECONDS = 3600
    committed(make_events, 100)
    committed(make_events, 50, start=100)
    assert [c["seq"] for c in checkpoint_lines()] == [100]  # the tail 101–150 has no checkpoint
    assert verify().ok
    tamper("DELETE FROM audit_auditevent WHERE seq > 100")
    result = verify()
    assert not result.ok
    assert (result.problem.code, result.problem.seq) == ("truncated", 101)
    assert "50 条事件在最后检查点之后，未锚定" in result.problem.message
    code, out = audit_verify()
    assert code == 1 and "50 条事件在最后检查点之后，未锚定" in out and "序号 150" in out


def test_the_head_is_written_once_per_commit_signed_with_the_checkpoint_key(db, settings, committed):
    settings.AUDIT_CHECKPOINT_SECONDS = 3600
    committed(make_events, 7)
    committed(make_events, 3, start=7)
    lines = head_lines()
    assert [(h["seq"], h["mac"]) for h in lines] == [
        (7, AuditEvent.objects.get(seq=7).mac),
        (10, AuditEvent.objects.get(seq=10).mac),
    ]
    assert all(len(h["sig"]) == 64 and h["schema"] == headlog.SCHEMA for h in lines)
    result = verify()
    assert result.ok and result.head_seq == 10 and result.warnings == []


def test_nothing_is_written_outside_when_the_transaction_rolls_back(db, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        make_events(3)
    assert head_lines() == [] and checkpoint_lines() == []


def test_a_security_event_writes_a_checkpoint_after_its_commit(db, settings, committed):
    settings.AUDIT_CHECKPOINT_EVERY = 100
    settings.AUDIT_CHECKPOINT_SECONDS = 3600
    committed(make_events, 2)
    checkpoints.checkpoint_path().unlink()  # forget the timer's first checkpoint
    committed(
        audit_security_event, actor=None, action="auth.login_failed", username="mallory", outcome="failed"
    )
    (cp,) = checkpoint_lines()
    assert (cp["seq"], cp["kind"], cp["mac"]) == (3, "auto", AuditEvent.objects.get(seq=3).mac)


def test_each_use_of_an_api_token_is_chained_and_its_head_recorded_not_checkpointed(db, settings, committed):
    # A token's use comes with every API request: a checkpoint each time (which counts the whole
    # chain) would make every request cost more as the trail grows.
    settings.AUDIT_CHECKPOINT_EVERY = 100
    settings.AUDIT_CHECKPOINT_SECONDS = 3600
    committed(make_events, 2)
    assert [c["seq"] for c in checkpoint_lines()] == [2]  # the timer's first; then not due for an hour
    for _ in range(3):
        committed(audit_security_event, actor=None, action="token.use", username="oa-system", outcome="ok")
    assert [c["seq"] for c in checkpoint_lines()] == [2]
    committed(audit_security_event, actor=None, action="auth.login_failed", username="x", outcome="failed")
    assert [c["seq"] for c in checkpoint_lines()] == [2, 6]
    assert head_lines()[-1]["seq"] == 6 == AuditEvent.objects.filter(action="token.use").count() + 3


def test_a_commit_after_the_timer_ran_out_writes_a_checkpoint(db, settings, committed):
    settings.AUDIT_CHECKPOINT_EVERY = 100
    settings.AUDIT_CHECKPOINT_SECONDS = 300
    committed(make_events, 2)
    assert [c["seq"] for c in checkpoint_lines()] == [2]  # no checkpoint yet: the timer is due
    committed(make_events, 2, start=2)
    assert [c["seq"] for c in checkpoint_lines()] == [2]  # written just now: not due
    old = time.time() - 301
    os.utime(checkpoints.checkpoint_path(), (old, old))
    committed(make_events, 2, start=4)
    assert [c["seq"] for c in checkpoint_lines()] == [2, 6]


def test_a_chain_rewritten_with_the_right_key_differs_from_the_head_recorded_outside(db, settings, committed):
    settings.AUDIT_CHECKPOINT_SECONDS = 3600
    committed(make_events, 4)
    checkpoints.checkpoint_path().unlink()  # no checkpoint: only the head log knows the last MAC
    tamper("UPDATE audit_auditevent SET actor_name = 'mallory' WHERE seq = 4")
    row = AuditEvent.objects.get(seq=4)
    mac = compute_mac(keys.chain_key(), row.alg, row.prev_mac, row.seq, record_of(row))
    tamper("UPDATE audit_auditevent SET mac = %s WHERE seq = 4", [mac])
    result = verify()
    assert not result.ok
    assert (result.problem.seq, result.problem.code) == (4, "head")


def test_a_forged_head_line_is_rejected(db, settings, committed):
    settings.AUDIT_CHECKPOINT_SECONDS = 3600
    committed(make_events, 2)
    forged = dict(head_lines()[-1], seq=99)
    with headlog.head_path().open("a") as f:
        f.write(json.dumps(forged) + "\n")
    result = verify()
    assert not result.ok and result.problem.code == "head-invalid"
    assert "第 2 行" in result.problem.message


def test_an_unanchored_tail_is_reported_as_a_warning(db, settings):
    settings.AUDIT_CHECKPOINT_SECONDS = 3600
    make_events(3)  # never committed: no head, no checkpoint
    result = verify()
    assert result.ok
    assert "3 条事件在最后检查点之后，未锚定" in " ".join(result.warnings)


@pytest.mark.parametrize(
    ("name", "value"),
    [("AUDIT_CHECKPOINT_EVERY", 0), ("AUDIT_CHECKPOINT_SECONDS", 0), ("AUDIT_CHECKPOINT_SECONDS", 86400)],
)
def test_finding6_turning_the_automatic_checkpoints_off_fails_the_deploy_check(settings, name, value):
    setattr(settings, name, value)
    found = [
        m for m in checks.run_checks(include_deployment_checks=True, tags=["audit"]) if m.id == "audit.E005"
    ]
    assert len(found) == 1 and found[0].is_serious() and name in found[0].msg
    setattr(settings, name, {"AUDIT_CHECKPOINT_EVERY": 100, "AUDIT_CHECKPOINT_SECONDS": 300}[name])
    ids = {m.id for m in checks.run_checks(include_deployment_checks=True, tags=["audit"])}
    assert "audit.E005" not in ids
