"""``evidence_open``: the one way evidence bytes leave the store, scoped, checked and recorded once."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from tests.evidence.files import PDF
from zhenggai.audit.models import AuditEvent
from zhenggai.evidence import store
from zhenggai.ledger.services import EvidenceDamaged, evidence_open


def test_a_member_opens_the_uploaded_bytes_and_the_read_is_recorded_once(world: Any, personas: Any) -> None:
    opened = evidence_open(actor=personas.leader, evidence=world.evidence)
    with opened.file:
        assert opened.file.read() == PDF
    assert (opened.name, opened.content_type, opened.size) == ("学习计划.pdf", "application/pdf", len(PDF))
    event = AuditEvent.objects.get(action="evidence.download")
    assert (event.actor_id, event.outcome, event.object_id, event.unit_id_ref) == (
        personas.leader.pk,
        "ok",
        str(world.evidence.pk),
        world.evidence.unit_id,
    )
    assert event.after == {
        "measure": world.evidence.measure_id,
        "name": "学习计划.pdf",
        "digest": world.evidence.digest,
    }


def test_the_outsider_gets_404_and_nothing_is_recorded(world: Any, personas: Any) -> None:
    with pytest.raises(Http404):
        evidence_open(actor=personas.outsider, evidence=world.evidence.pk)
    assert not AuditEvent.objects.filter(action="evidence.download").exists()


def test_changed_bytes_are_never_handed_over_and_the_attempt_is_recorded_as_failed(
    world: Any, personas: Any
) -> None:
    store.evidence_path(world.evidence.storage_name).write_bytes(PDF + b" ")
    with pytest.raises(EvidenceDamaged, match="文件校验失败"):
        evidence_open(actor=personas.person, evidence=world.evidence)
    event = AuditEvent.objects.get(action="evidence.download")
    assert (event.outcome, event.after["problem"]) == ("failed", "digest")
    assert event.after["now"].startswith("sm3:") and event.after["now"] != world.evidence.digest
