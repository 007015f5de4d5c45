"""Finding 9 of issue 8 (三员 gaps): no administrator can take over an ordinary account, and a
change to the three administrator roles takes a second administrator's approval.

- A single system administrator replaces one credential, never both: a temporary password only
  while the user's own phone is enrolled (the temporary password then leads to the OTP step,
  which only that phone passes, and then only to the set-your-own-password page); a new
  second factor only while the password is the user's own. Both lost: an account recovery,
  asked by one administrator and approved by another, whose one-time code has two halves, one
  shown to each of them: neither alone can log in.
- Granting, changing or removing a 三员 role, and giving a 三员 account a unit role, is a request
  one administrator makes and another approves (not the requester, not the account itself, not
  the audit administrator); until then nothing changes; both steps are recorded.
"""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import Admins, Clock, enrol, login, make_admin, phone_code
from tests.conftest import PASSWORD
from zhenggai.accounts import services, totp
from zhenggai.accounts.middleware import OTP_OK
from zhenggai.accounts.models import ChangeRequest, ChangeStatus, TOTPDevice
from zhenggai.audit.models import AuditEvent

User = get_user_model()


def admin_client(user: Any) -> Client:
    """A session of ``user`` that has given both factors."""
    c = Client()
    c.force_login(user)
    session = c.session
    session[OTP_OK] = True
    session.save()
    return c


def only_the_otp_step(c: Client, *paths: str) -> None:
    """Every page of the session leads to the second-factor step, and nowhere else."""
    for path in paths:
        response = c.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(reverse("accounts:otp-verify")), (path, response.url)


def _ledger_pages(seed_round: Any) -> list[str]:
    return [
        reverse("web:round-list"),
        reverse("web:round-detail", args=[seed_round.pk]),
        reverse("accounts:password-change"),
        reverse("accounts:profile"),
        "/",
    ]


# --- no takeover by a reset -----------------------------------------------------------------


def test_finding9_the_system_admin_cannot_reset_password_and_second_factor_and_read_the_ledger_as_the_user(
    personas: Any, admins: Admins, clock: Clock, seed_round: Any
) -> None:
    clerk = personas.clerk
    phone = enrol(clerk, clock)
    sysadmin = admin_client(admins.system)
    # A temporary password: accepted (the clerk's phone stays enrolled)…
    done = sysadmin.post(
        reverse("accounts:user-password", args=[clerk.pk]),
        {"new_password1": "Issued-by-admin-1", "new_password2": "Issued-by-admin-1"},
    )
    assert done.status_code == 302
    # …and then the second factor too: refused, recorded, the phone still enrolled.
    refused = sysadmin.post(reverse("accounts:user-otp-reset", args=[clerk.pk]), follow=True)
    assert "本人尚未修改" in refused.content.decode()
    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()
    denied = AuditEvent.objects.get(action="auth.otp_reset", outcome="denied")
    assert denied.actor == admins.system and denied.object_id == str(clerk.pk)

    # The administrator logs in with the password he set: the OTP step is all he reaches.
    admin_at_login = Client()
    assert login(admin_at_login, "clerk", "Issued-by-admin-1").status_code == 302
    only_the_otp_step(admin_at_login, *_ledger_pages(seed_round))
    wrong = admin_at_login.post(reverse("accounts:otp-verify"), {"code": "000000"})
    assert wrong.status_code == 200
    only_the_otp_step(admin_at_login, *_ledger_pages(seed_round))

    # The clerk, with his phone: told at the login, then his own password, then his work.
    c = Client()
    answer = login(c, "clerk", "Issued-by-admin-1")
    notice = c.get(answer.url, follow=True)
    assert "系统管理员重置了您的登录密码" in notice.content.decode()
    verified = c.post(reverse("accounts:otp-verify"), {"code": phone_code(phone, clock)})
    assert c.get(verified.url).url.startswith(reverse("accounts:password-change"))
    assert c.get(reverse("web:round-detail", args=[seed_round.pk])).url.startswith(
        reverse("accounts:password-change")
    )
    c.post(
        reverse("accounts:password-change"),
        {"old_password": "Issued-by-admin-1", "new_password1": "Mine-own-9x", "new_password2": "Mine-own-9x"},
    )
    assert c.get(reverse("web:round-detail", args=[seed_round.pk])).status_code == 200
    clerk.refresh_from_db()
    assert not clerk.must_change_password and clerk.security_notice == ""


def test_finding9_a_second_factor_reset_keeps_the_users_own_password_and_then_a_password_reset_is_refused(
    personas: Any, admins: Admins, clock: Clock, seed_round: Any, settings: Any
) -> None:
    settings.OTP_REQUIRED = True  # as in production: the next login enrols the new phone
    clerk = personas.clerk
    enrol(clerk, clock)
    sysadmin = admin_client(admins.system)
    assert sysadmin.post(reverse("accounts:user-otp-reset", args=[clerk.pk])).status_code == 302
    assert not TOTPDevice.objects.filter(user=clerk).exists()
    # Now the password too: refused (the form says why), recorded, the clerk's password unchanged.
    page = sysadmin.post(
        reverse("accounts:user-password", args=[clerk.pk]),
        {"new_password1": "Issued-by-admin-1", "new_password2": "Issued-by-admin-1"},
    )
    assert page.status_code == 200 and "账号恢复" in page.content.decode()
    assert User.objects.get(pk=clerk.pk).check_password(PASSWORD)
    assert AuditEvent.objects.filter(action="auth.password_reset", outcome="denied").count() == 1
    with pytest.raises(services.AccountError):
        services.user_set_password(actor=admins.system, user=clerk, password="Issued-by-admin-2")
    # The administrator does not know the password: his login goes nowhere.
    assert login(Client(), "clerk", "Issued-by-admin-1").status_code == 200
    # The clerk logs in with his own password, is told, and enrols his new phone.
    c = Client()
    answer = login(c, "clerk")
    enrol_page = c.get(answer.url, follow=True)
    assert "系统管理员重置了您的动态口令" in enrol_page.content.decode()
    secret = totp.unseal(TOTPDevice.objects.get(user=clerk).secret, clerk.pk)
    c.post(reverse("accounts:otp-enrol"), {"code": totp.totp(secret, clock.now.timestamp())})
    assert c.get(reverse("web:round-detail", args=[seed_round.pk])).status_code == 200
    assert User.objects.get(pk=clerk.pk).security_notice == ""


def _half(response: Any) -> str:
    found = re.search(r'id="recovery-half">([A-Za-z0-9]+)<', response.content.decode())
    assert found, response.content.decode()[:500]
    return found.group(1)


def test_finding9_an_account_recovery_takes_two_administrators_and_neither_alone_can_log_in(
    personas: Any, admins: Admins, clock: Clock, seed_round: Any, settings: Any
) -> None:
    settings.OTP_REQUIRED = True  # as in production: the next login enrols the new phone
    clerk = personas.clerk
    enrol(clerk, clock)
    sysadmin, secadmin = admin_client(admins.system), admin_client(admins.security)
    asked = sysadmin.post(reverse("accounts:user-recovery", args=[clerk.pk]))
    assert asked.status_code == 200
    first = _half(asked)
    change = ChangeRequest.objects.get(user=clerk, status=ChangeStatus.PENDING)
    # Nothing changed yet; the requester cannot approve his own request, nor the auditor.
    assert User.objects.get(pk=clerk.pk).check_password(PASSWORD)
    assert TOTPDevice.objects.filter(user=clerk, confirmed=True).exists()
    decide = reverse("accounts:change-request-decide", args=[change.pk])
    assert sysadmin.post(decide, {"decision": "approve"}).status_code == 403
    assert admin_client(admins.audit).post(decide, {"decision": "approve"}).status_code == 403
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.PENDING
    # The security administrator approves and gets the second half.
    approved = secadmin.post(decide, {"decision": "approve"})
    assert approved.status_code == 200
    second = _half(approved)
    assert first != second and len(first) == len(second) == services.CODE_HALF_LENGTH
    clerk.refresh_from_db()
    assert clerk.must_change_password and not TOTPDevice.objects.filter(user=clerk).exists()
    assert ChangeRequest.objects.get(pk=change.pk).secret == ""
    # Each administrator alone knows half of the code: neither half logs in.
    for half in (first, second):
        assert login(Client(), "clerk", half).status_code == 200
    # The clerk, with both halves: told, enrols his own phone, sets his own password, works.
    c = Client()
    answer = login(c, "clerk", first + second)
    assert answer.status_code == 302
    enrol_page = c.get(answer.url, follow=True)
    assert "经两名管理员批准" in enrol_page.content.decode()
    only_the_otp_step(c, reverse("web:round-detail", args=[seed_round.pk]))
    secret = totp.unseal(TOTPDevice.objects.get(user=clerk).secret, clerk.pk)
    c.post(reverse("accounts:otp-enrol"), {"code": totp.totp(secret, clock.now.timestamp())})
    assert c.get(reverse("web:round-detail", args=[seed_round.pk])).url.startswith(
        reverse("accounts:password-change")
    )
    c.post(
        reverse("accounts:password-change"),
        {"old_password": first + second, "new_password1": "Mine-own-9x", "new_password2": "Mine-own-9x"},
    )
    assert c.get(reverse("web:round-detail", args=[seed_round.pk])).status_code == 200
    # Both steps recorded, with both names.
    asked_event = AuditEvent.objects.get(action="approval.request")
    assert asked_event.actor == admins.system and asked_event.after["kind"] == "recovery"
    assert AuditEvent.objects.filter(action="approval.approve", outcome="denied").count() == 1  # sysadmin
    approval = AuditEvent.objects.get(action="approval.approve", outcome="ok")
    assert approval.actor == admins.security and approval.after["requested_by"] == "sysadmin"
    reset = AuditEvent.objects.get(action="auth.password_reset", outcome="ok")
    assert reset.actor == admins.security and reset.after["requested_by"] == "sysadmin"


# --- the three roles take two administrators --------------------------------------------------


def test_finding9_the_security_admin_cannot_demote_the_audit_admin_and_give_him_a_unit_role_alone(
    personas: Any, admins: Admins
) -> None:
    auditor = admins.audit
    secadmin = admin_client(admins.security)
    secadmin.post(reverse("accounts:user-role", args=[auditor.pk]), {"admin_role": ""})
    secadmin.post(
        reverse("accounts:user-unit-role", args=[auditor.pk]), {"unit": personas.unit_a.pk, "role": "clerk"}
    )
    auditor.refresh_from_db()
    assert auditor.admin_role == "audit_admin" and not auditor.memberships.exists()
    change = ChangeRequest.objects.get(user=auditor, status=ChangeStatus.PENDING)  # one at a time
    assert change.kind == "admin_role" and change.admin_role == "" and change.requested_by == admins.security
    asked = AuditEvent.objects.get(action="approval.request")
    assert asked.actor == admins.security and asked.after == {
        "request": change.pk,
        "kind": "admin_role",
        "admin_role": "",
    }
    # Not by the requester, not by the account itself, not by anyone but a second administrator.
    decide = reverse("accounts:change-request-decide", args=[change.pk])
    for who in (admins.security, auditor, personas.clerk):
        assert admin_client(who).post(decide, {"decision": "approve"}).status_code == 403, who
    with pytest.raises(PermissionDenied):
        services.change_request_approve(actor=admins.security, request_id=change.pk)
    assert User.objects.get(pk=auditor.pk).admin_role == "audit_admin"
    assert ChangeRequest.objects.get(pk=change.pk).status == ChangeStatus.PENDING
    refusals = AuditEvent.objects.filter(outcome="denied", action__in=["approval.approve", "access.denied"])
    assert refusals.count() == 4
    # And the direct service is the console's only.
    with pytest.raises(PermissionDenied):
        services.admin_role_set(actor=admins.security, user=auditor, role="")
    # Both pages show the pending change; only the second administrator gets the button.
    detail = secadmin.get(reverse("accounts:user-detail", args=[auditor.pk])).content.decode()
    assert "待批准的变更" in detail and "撤回" in detail and ">批准<" not in detail
    sysadmin = admin_client(admins.system)
    listing = sysadmin.get(reverse("accounts:change-requests")).content.decode()
    assert "auditor" in listing and ">批准<" in listing and "secadmin" in listing
    assert "待批准的变更：1 项" in sysadmin.get(reverse("accounts:users")).content.decode()
    # The system administrator approves: now it happens, recorded with both names.
    assert sysadmin.post(decide, {"decision": "approve"}).status_code == 302
    assert User.objects.get(pk=auditor.pk).admin_role == ""
    change_event = AuditEvent.objects.get(action="role.change", outcome="ok")
    assert change_event.actor == admins.system
    assert change_event.before == {"admin_role": "audit_admin"}
    assert change_event.after == {"admin_role": "", "request": change.pk, "requested_by": "secadmin"}
    assert AuditEvent.objects.get(action="approval.approve", outcome="ok").actor == admins.system
    # Approving twice changes nothing more.
    with pytest.raises(services.AccountError, match="已批准"):
        services.change_request_approve(actor=admins.system, request_id=change.pk)


def test_finding9_a_unit_role_for_an_administrator_is_one_approved_change_ending_the_admin_role(
    personas: Any, admins: Admins
) -> None:
    second_security = make_admin("secadmin2", "security_admin")
    change = services.unit_role_request(
        actor=admins.security, user=admins.system, unit=personas.unit_a, role="viewer"
    )
    assert User.objects.get(pk=admins.system.pk).admin_role == "system_admin"
    # The subject of the change cannot approve it.
    with pytest.raises(PermissionDenied):
        services.change_request_approve(actor=admins.system, request_id=change.pk)
    services.change_request_approve(actor=second_security, request_id=change.pk)
    target = User.objects.get(pk=admins.system.pk)
    assert target.admin_role == "" and target.memberships.get().role == "viewer"
    assert AuditEvent.objects.filter(action="membership.grant", actor=second_security).count() == 1
    assert AuditEvent.objects.get(action="role.change", actor=second_security).after["admin_role"] == ""


def test_finding9_a_rejected_or_withdrawn_request_changes_nothing(admins: Admins) -> None:
    newbie = make_admin("newbie", "")
    change = services.admin_role_request(actor=admins.security, user=newbie, role="audit_admin")
    with pytest.raises(services.AccountError, match="待批准"):
        services.admin_role_request(actor=admins.security, user=newbie, role="system_admin")
    services.change_request_reject(actor=admins.system, request_id=change.pk)
    withdrawn = services.admin_role_request(actor=admins.security, user=newbie, role="audit_admin")
    services.change_request_reject(actor=admins.security, request_id=withdrawn.pk)  # its requester
    assert User.objects.get(pk=newbie.pk).admin_role == ""
    assert [e.actor for e in AuditEvent.objects.filter(action="approval.reject").order_by("id")] == [
        admins.system,
        admins.security,
    ]


def test_finding9_the_console_fills_an_empty_seat_but_otherwise_files_a_request(admins: Admins) -> None:
    make_admin("spare", "")
    out = io.StringIO()
    call_command("admin-role", "spare", "audit_admin", stdout=out)  # the seat is taken: a request
    assert User.objects.get(username="spare").admin_role == "" and "申请" in out.getvalue()
    change = ChangeRequest.objects.get(status=ChangeStatus.PENDING)
    assert change.requested_by is None
    services.change_request_approve(actor=admins.security, request_id=change.pk)
    assert User.objects.get(username="spare").admin_role == "audit_admin"
