"""REQ-3.7: events of denied or failed actions persist although the action's transaction rolls back
(really committed and rolled back here: transactional tests)."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from tests.audit.conftest import on_both, verify
from zhenggai.audit.models import AuditEvent
from zhenggai.audit.services import audit_record, audit_security_event

pytestmark = pytest.mark.django_db(transaction=True)


@on_both
def test_a_refused_action_is_recorded_after_its_transaction_rolled_back(vendor, request):
    if vendor == "postgresql":
        assert connection.vendor == "postgresql"
    with pytest.raises(PermissionError):  # noqa: SIM117 - the transaction is the point
        with transaction.atomic():
            audit_record(actor=None, action="measure.update", after={"text": "不该留下"})
            raise PermissionError("您没有权限修改整改措施")
    audit_security_event(actor=None, action="measure.update", reason="您没有权限修改整改措施")
    events = list(AuditEvent.objects.values_list("seq", "action", "outcome"))
    assert events == [(1, "measure.update", "denied")]
    assert AuditEvent.objects.get().after == {"reason": "您没有权限修改整改措施"}
    assert verify().ok


@on_both
def test_a_refused_transition_through_the_web_leaves_the_measure_and_a_denied_event(
    vendor, personas, seed_round
):
    if vendor == "postgresql":
        assert connection.vendor == "postgresql"
    from zhenggai.ledger.models import Measure

    m = Measure.objects.filter(round=seed_round).order_by("pk").first()
    client = Client()
    client.force_login(personas.leader)
    before = AuditEvent.objects.count()
    response = client.post(reverse("web:measure-review", args=[m.pk]), {"decision": "approve"})
    assert response.status_code == 409
    m.refresh_from_db()
    assert m.status == "not_started"
    assert AuditEvent.objects.count() == before + 1
    denied = AuditEvent.objects.order_by("-seq").first()
    assert (denied.action, denied.outcome, denied.actor_id) == (
        "measure.approve",
        "denied",
        personas.leader.pk,
    )
    assert denied.request_id == response["X-Request-Id"]
    assert verify().ok


@on_both
def test_a_login_style_failure_is_recorded_with_the_name_typed(vendor):
    if vendor == "postgresql":
        assert connection.vendor == "postgresql"
    audit_security_event(
        actor=None,
        action="auth.login_failed",
        outcome="failed",
        username="nobody",
        reason="用户名或密码不正确",
    )
    e = AuditEvent.objects.get()
    assert (e.actor_id, e.actor_name, e.outcome) == (None, "system", "failed")
    assert e.after == {"reason": "用户名或密码不正确", "username": "nobody"}
