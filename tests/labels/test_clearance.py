"""REQ-1.10 with 访问控制 e) (由授权主体配置访问控制策略): only the security administrator sets a
user's clearance (主体安全标记); anyone else is refused and the refusal is recorded; every change
is recorded with the clearance before and after."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from zhenggai.accounts import services
from zhenggai.accounts.models import Sensitivity
from zhenggai.audit.events import EVENTS
from zhenggai.audit.models import AuditEvent


def test_users_are_cleared_for_internal_records_by_default_and_the_levels_are_ordered() -> None:
    from django.contrib.auth import get_user_model

    assert get_user_model()().clearance == Sensitivity.INTERNAL
    assert Sensitivity.up_to("public") == ["public"]
    assert Sensitivity.up_to("internal") == ["public", "internal"]
    assert Sensitivity.up_to("sensitive") == ["public", "internal", "sensitive"]
    assert Sensitivity.up_to("bogus") == []  # fail closed
    assert Sensitivity.highest("public", "sensitive", "internal") == "sensitive"
    assert Sensitivity.highest("internal", "bogus") == "bogus"  # an unknown label counts highest


def test_the_security_administrator_sets_a_clearance_and_it_is_recorded_with_before_and_after_REQ_1_10(
    personas: Any, secadmin: Any
) -> None:
    services.clearance_set(actor=secadmin, user=personas.leader, clearance="sensitive")
    personas.leader.refresh_from_db()
    assert personas.leader.clearance == "sensitive"
    e = AuditEvent.objects.get(action="clearance.change")
    assert (e.actor_id, e.object_type, e.object_id) == (secadmin.pk, "user", str(personas.leader.pk))
    assert (e.before, e.after, e.outcome) == ({"clearance": "internal"}, {"clearance": "sensitive"}, "ok")
    assert "clearance.change" in EVENTS
    # The same value again changes nothing and records nothing.
    services.clearance_set(actor=secadmin, user=personas.leader, clearance="sensitive")
    assert AuditEvent.objects.filter(action="clearance.change").count() == 1
    with pytest.raises(services.AccountError):
        services.clearance_set(actor=secadmin, user=personas.leader, clearance="top_secret")


@pytest.mark.parametrize("who", ["sysadmin", "auditor", "clerk", "leader", "self"])
def test_anyone_but_the_security_administrator_is_refused_and_the_refusal_is_recorded_REQ_1_10(
    who: str, personas: Any, secadmin: Any, sysadmin: Any, auditor: Any
) -> None:
    """访问控制 e): not the system or audit administrator, not a business role, not the security
    administrator for himself."""
    actor = {"sysadmin": sysadmin, "auditor": auditor, "self": secadmin}.get(who) or getattr(personas, who)
    target = secadmin if who == "self" else personas.person
    with pytest.raises(PermissionDenied):
        services.clearance_set(actor=actor, user=target, clearance="sensitive")
    target.refresh_from_db()
    assert target.clearance == "internal"
    e = AuditEvent.objects.get(action="clearance.change")
    assert (e.outcome, e.actor_id, e.object_id) == ("denied", actor.pk, str(target.pk))
    assert "只有安全管理员" in e.after["reason"]


def test_the_security_administrator_sets_the_clearance_on_the_user_page_REQ_1_10(
    personas: Any, secadmin: Any, client_for: Any
) -> None:
    client = client_for(secadmin)
    url = reverse("accounts:user-detail", args=[personas.person.pk])
    page = client.get(url).content.decode()
    assert "许可级别" in page and "保存许可级别" in page
    response = client.post(
        reverse("accounts:user-role", args=[personas.person.pk]), {"clearance": "sensitive"}
    )
    assert response.status_code == 302
    personas.person.refresh_from_db()
    assert personas.person.clearance == "sensitive"
    assert personas.person.admin_role == ""  # the administrator-role form was not touched
    assert "敏感" in client.get(url).content.decode()
    assert AuditEvent.objects.filter(action="clearance.change", outcome="ok").count() == 1


def test_the_system_administrator_posting_a_clearance_gets_403_and_the_attempt_is_recorded_REQ_1_10(
    personas: Any, sysadmin: Any, client_for: Any
) -> None:
    client = client_for(sysadmin)
    page = client.get(reverse("accounts:user-detail", args=[personas.person.pk])).content.decode()
    assert "保存许可级别" not in page
    response = client.post(
        reverse("accounts:user-role", args=[personas.person.pk]), {"clearance": "sensitive"}
    )
    assert response.status_code == 403
    personas.person.refresh_from_db()
    assert personas.person.clearance == "internal"
    assert AuditEvent.objects.filter(action="access.denied", actor_id=sysadmin.pk).exists()


def test_the_security_administrator_cannot_raise_his_own_clearance_on_the_page(
    secadmin: Any, client_for: Any
) -> None:
    response = client_for(secadmin).post(
        reverse("accounts:user-role", args=[secadmin.pk]), {"clearance": "sensitive"}
    )
    assert response.status_code == 403
    secadmin.refresh_from_db()
    assert secadmin.clearance == "internal"
    assert AuditEvent.objects.get(action="clearance.change").outcome == "denied"


def test_a_problem_label_outside_the_known_ones_is_refused_by_the_database(db: Any, seed_round: Any) -> None:
    """``measure_cleared_q`` reads "not labelled above the clearance" as "labelled within it":
    the table's check constraint keeps every problem's label one of ``Sensitivity``'s."""
    from django.db import IntegrityError, transaction

    from zhenggai.ledger.models import Finding

    problem = Finding.objects.filter(round=seed_round).first()
    assert problem is not None
    with pytest.raises(IntegrityError), transaction.atomic():
        Finding.objects.filter(pk=problem.pk).update(sensitivity="secret")
    problem.refresh_from_db()
    assert problem.sensitivity in Sensitivity.values
