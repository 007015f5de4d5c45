"""Every recorded read is a service, and each read through a page writes exactly one audit event.

The pages hand over what the services (``document_export``, ``workbook_export``,
``evidence_open``, ``audit_trail_read``, ``audit_trail_export``) return; none of them checks
scope or writes the record itself. A download of evidence whose file is damaged or missing
was not recorded at all before: it is now, once, as ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from tests.web.conftest import PDF
from zhenggai.audit.models import AuditEvent
from zhenggai.evidence import store


@pytest.fixture
def audit_admin(db: Any) -> Any:
    u = get_user_model()(username="shenji", display_name="吴审计", admin_role="audit_admin")
    u.set_password("Audit-pass-2026")
    u.save()
    return u


def _after(last: int) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(seq__gt=last).order_by("seq"))


def _last() -> int:
    return AuditEvent.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _read(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


# name → (who reads, the URL, the recorded action, the object it names)
READS: dict[str, tuple[str, Callable[[Any], str], str, Callable[[Any], tuple[str, str]]]] = {
    "workbook": (
        "viewer",
        lambda w: reverse("reports:xlsx-export", args=[w.round.pk]),
        "round.xlsx_export",
        lambda w: ("round", str(w.round.pk)),
    ),
    "plan": (
        "viewer",
        lambda w: reverse("reports:plan-docx", args=[w.round.pk]),
        "plan.export",
        lambda w: ("round", str(w.round.pk)),
    ),
    "notice": (
        "viewer",
        lambda w: reverse("reports:notice-docx", args=[w.round.pk]),
        "notice.export",
        lambda w: ("round", str(w.round.pk)),
    ),
    "evidence": (
        "person",
        lambda w: reverse("web:evidence-download", args=[w.evidence.pk]),
        "evidence.download",
        lambda w: ("evidence", str(w.evidence.pk)),
    ),
    "audit-page": ("audit_admin", lambda w: reverse("audit:list"), "audit.read", lambda w: ("", "")),
    "audit-csv": ("audit_admin", lambda w: reverse("audit:export"), "audit.export", lambda w: ("", "")),
}


@pytest.mark.parametrize("name", sorted(READS))
def test_each_recorded_read_writes_exactly_one_event_naming_who_and_what(
    name: str, world: Any, personas: Any, audit_admin: Any, client_for: Any
) -> None:
    who, url, action, obj = READS[name]
    user = audit_admin if who == "audit_admin" else getattr(personas, who)
    last = _last()
    response = client_for(user).get(url(world))
    assert response.status_code == 200
    _read(response)
    new = _after(last)
    assert [(e.action, e.outcome, e.actor_id, (e.object_type, e.object_id)) for e in new] == [
        (action, "ok", user.pk, obj(world))
    ]


@pytest.mark.parametrize("name", sorted(READS))
def test_a_refused_read_writes_no_read_event(name: str, world: Any, personas: Any, client_for: Any) -> None:
    _, url, action, _ = READS[name]
    response = client_for(personas.outsider).get(url(world))
    assert response.status_code in (403, 404)
    assert not AuditEvent.objects.filter(action=action, outcome="ok").exists()


def test_a_damaged_evidence_file_is_refused_and_its_download_recorded_once_as_failed(
    world: Any, personas: Any, client_for: Any
) -> None:
    ev = world.evidence
    store.evidence_path(ev.storage_name).write_bytes(PDF + b" ")
    last = _last()
    response = client_for(personas.person).get(reverse("web:evidence-download", args=[ev.pk]))
    assert response.status_code == 500 and "文件校验失败" in response.content.decode()
    new = _after(last)
    assert [(e.action, e.outcome, e.actor_id, e.object_id) for e in new] == [
        ("evidence.download", "failed", personas.person.pk, str(ev.pk))
    ]
    assert new[0].after["problem"] == "digest" and new[0].after["digest"] == ev.digest


def test_a_missing_evidence_file_is_404_and_its_download_recorded_once_as_failed(
    world: Any, personas: Any, client_for: Any
) -> None:
    ev = world.evidence
    store.evidence_path(ev.storage_name).unlink()
    last = _last()
    response = client_for(personas.person).get(reverse("web:evidence-download", args=[ev.pk]))
    assert response.status_code == 404
    new = _after(last)
    assert [(e.action, e.outcome, e.after["problem"]) for e in new] == [
        ("evidence.download", "failed", "missing")
    ]
