"""``audit_trail_read`` and ``audit_trail_export``: the trail is read through services only, each
read recorded once, everyone but the 审计管理员 refused (recorded) with ``NotAllowed``."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.audit.conftest import make_events
from zhenggai.audit.exports import AuditFilters, audit_trail_export, audit_trail_read
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import NotAllowed


@pytest.mark.parametrize("read", [audit_trail_read, audit_trail_export])
def test_anyone_but_the_audit_admin_is_refused_and_the_refusal_recorded_once(
    read: Any, personas: Any
) -> None:
    make_events(2)
    last = AuditEvent.objects.order_by("-seq").first().seq
    with pytest.raises(NotAllowed, match="只有审计管理员"):
        read(actor=personas.supervisor, filters=AuditFilters())
    new = AuditEvent.objects.filter(seq__gt=last)
    assert [(e.action, e.outcome, e.actor_id) for e in new] == [
        ("audit.read" if read is audit_trail_read else "audit.export", "denied", personas.supervisor.pk)
    ]


def test_a_read_is_one_page_newest_first_and_one_event_with_its_filters(
    audit_admin: Any, personas: Any
) -> None:
    clerks = [e.seq for e in make_events(4, actor=personas.clerk)]
    make_events(2, start=4)
    page = audit_trail_read(actor=audit_admin, filters=AuditFilters(actor="clerk"), page=1)
    assert [e.seq for e in page.object_list] == clerks[::-1]
    read = AuditEvent.objects.get(action="audit.read")
    assert read.after == {"filters": {"actor": "clerk"}, "page": 1, "rows": 4}


def test_the_export_is_recorded_before_a_row_is_read_and_holds_nothing_after_it(
    audit_admin: Any, personas: Any
) -> None:
    make_events(3, actor=personas.clerk)
    existing = [str(s) for s in AuditEvent.objects.order_by("seq").values_list("seq", flat=True)]
    export = audit_trail_export(actor=audit_admin, filters=AuditFilters(start=dt.date(2000, 1, 1)))
    event = AuditEvent.objects.get(action="audit.export")
    rows, upto = len(existing), int(existing[-1])
    assert event.after == {"filters": {"start": "2000-01-01"}, "rows": rows, "upto_seq": upto}
    make_events(1, start=3)  # after the export began: not in the file
    lines = list(export.lines)
    assert lines[0] == "\ufeff" and lines[1].startswith("序号,")
    assert [line.split(",")[0] for line in lines[2:]] == existing
    assert export.rows == rows and export.name.startswith("audit-") and export.name.endswith(".csv")
