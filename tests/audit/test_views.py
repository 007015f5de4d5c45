"""REQ-3.9 (and the audit part of REQ-1.7): only the 审计管理员 reads the trail and exports it,
everyone else is refused (and the refusal recorded), and every read and export is itself audited."""

from __future__ import annotations

import csv
import io

import pytest
from django.test import Client
from django.urls import reverse

from tests.audit.conftest import make_events, on_both, verify
from zhenggai.audit.models import AuditEvent

LIST, EXPORT = reverse("audit:list"), reverse("audit:export")


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def other_admins(db):
    from django.contrib.auth import get_user_model

    User = get_user_model()
    made = {}
    for role in ("system_admin", "security_admin"):
        u = User(username=role.replace("_", ""), admin_role=role)
        u.set_password("Other-pass-2026")
        u.save()
        made[role] = u
    return made


@on_both
def test_the_audit_admin_reads_the_trail_and_the_read_is_recorded(vendor, vendor_db, audit_admin, personas):
    make_events(3, actor=personas.clerk)
    response = client_for(audit_admin).get(LIST)
    assert response.status_code == 200
    html = response.content.decode()
    assert "审计记录" in html and "修改整改措施" in html and "clerk" in html
    read = AuditEvent.objects.filter(action="audit.read").get()
    assert (read.actor_id, read.outcome) == (audit_admin.pk, "ok")
    assert read.request_id == response["X-Request-Id"] and read.address == "127.0.0.1"
    assert verify().ok


@pytest.mark.parametrize(
    "who",
    ["clerk", "leader", "supervisor", "viewer", "outsider", "system_admin", "security_admin", "superuser"],
)
def test_everyone_else_gets_403_on_the_page_and_the_export_and_the_refusal_is_recorded(
    who, personas, other_admins
):
    from django.contrib.auth import get_user_model

    if who in other_admins:
        user = other_admins[who]
    elif who == "superuser":
        user = get_user_model().objects.create_superuser("root", password="Root-pass-2026")
    else:
        user = getattr(personas, who)
    c = client_for(user)
    before = AuditEvent.objects.count()
    for url, action in ((LIST, "audit.read"), (EXPORT, "audit.export")):
        response = c.get(url)
        assert response.status_code == 403
        assert "只有审计管理员" in response.content.decode()
        e = AuditEvent.objects.order_by("-seq").first()
        assert (e.action, e.outcome, e.actor_id) == (action, "denied", user.pk)
    assert AuditEvent.objects.count() == before + 2
    assert not AuditEvent.objects.filter(action__in=["audit.read", "audit.export"], outcome="ok").exists()


def test_anonymous_visitors_are_sent_to_the_login_page(db):
    response = Client().get(LIST)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_filters_narrow_the_list(audit_admin, personas):
    make_events(6, actor=personas.clerk)
    make_events(2, actor=personas.leader, start=6)
    c = client_for(audit_admin)
    page = c.get(LIST, {"actor": "leader"}).content.decode()
    assert "共 2 条审计记录" in page
    page = c.get(LIST, {"action": "finding.close", "outcome": "ok"}).content.decode()
    expected = AuditEvent.objects.filter(action="finding.close", outcome="ok").count()
    assert f"共 {expected} 条审计记录" in page
    page = c.get(LIST, {"start": "2000-01-01", "end": "2000-01-02"}).content.decode()
    assert "没有符合条件的审计记录" in page
    page = c.get(LIST, {"start": "2021-01-02", "end": "2021-01-01"}).content.decode()
    assert "结束日期早于开始日期" in page
    reads = AuditEvent.objects.filter(action="audit.read").order_by("seq")
    assert reads.count() == 4
    assert reads.first().after["filters"] == {"actor": "leader"}


def test_the_list_is_paginated_newest_first(audit_admin):
    make_events(120)
    c = client_for(audit_admin)
    first = c.get(LIST)
    assert first.context["page"].paginator.num_pages == 3
    assert [r["e"].seq for r in first.context["rows"]][:2] == [120, 119]
    last = c.get(LIST, {"page": 3})
    assert last.context["page"].number == 3
    assert AuditEvent.objects.filter(action="audit.read").count() == 2


def test_the_csv_export_has_every_filtered_row_and_is_recorded(audit_admin, personas):
    make_events(5, actor=personas.clerk)
    make_events(1, start=5)
    response = client_for(audit_admin).get(EXPORT, {"actor": "clerk"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert rows[0][:3] == ["序号", "时间", "操作人"]
    clerk_seqs = AuditEvent.objects.filter(actor_name="clerk").order_by("seq").values_list("seq", flat=True)
    assert [int(r[0]) for r in rows[1:]] == list(clerk_seqs)
    assert len(rows) == 1 + 5
    export = AuditEvent.objects.get(action="audit.export")
    assert export.after["rows"] == 5 and export.after["filters"] == {"actor": "clerk"}
    assert verify().ok


def test_the_csv_cannot_carry_a_spreadsheet_formula(audit_admin):
    from zhenggai.audit.services import (
        RequestContext,
        audit_record,
        reset_request_context,
        set_request_context,
    )

    token = set_request_context(RequestContext("=HYPERLINK(1)", "@evil"))
    try:
        audit_record(actor=None, action="measure.update", after={"text": "x"})
    finally:
        reset_request_context(token)
    body = b"".join(client_for(audit_admin).get(EXPORT).streaming_content).decode()
    assert "'=HYPERLINK(1)" in body and "'@evil" in body
    assert ",=HYPERLINK" not in body


def test_the_audit_admin_cannot_write_through_the_audit_urls(audit_admin):
    c = client_for(audit_admin)
    assert c.post(LIST).status_code == 405
    assert c.post(EXPORT).status_code == 405
