"""三员分立 (GB/T 22239 8.1.5; REQ-1.7, REQ-1.8): the system, security and audit administrators, each
to their own functions, none on the ledger, at most one role per user, no superuser in production."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import Admins, login, make_admin
from tests.conftest import PASSWORD
from zhenggai.accounts import services
from zhenggai.accounts.checks import production_accounts
from zhenggai.accounts.models import AdminRole, ChangeRequest, TOTPDevice
from zhenggai.accounts.roles import holds_admin_role
from zhenggai.audit.models import AuditEvent

User = get_user_model()


@pytest.fixture
def newbie(db: Any) -> Any:
    u = User(username="newbie", display_name="新同事")
    u.set_password(PASSWORD)
    u.save()
    return u


# (url name, method, target, data): target "person" has unit roles, "newbie" none.
ACTIONS = [
    ("accounts:users", "get", None, None),
    ("accounts:user-create", "get", None, None),
    ("accounts:user-detail", "get", "person", None),
    ("accounts:user-password", "get", "person", None),
    ("accounts:user-active", "post", "person", {"active": "0"}),
    ("accounts:user-unlock", "post", "person", {}),
    ("accounts:user-otp-reset", "post", "person", {}),
    ("accounts:user-role", "post", "newbie", {"admin_role": "audit_admin"}),
    ("accounts:user-unit-role", "post", "newbie", {"role": "viewer"}),
    ("accounts:user-recovery", "post", "person", {}),
    ("accounts:change-requests", "get", None, None),
    ("audit:list", "get", None, None),
]
# Who may do what: 2xx/3xx for these, 403 (recorded) for everyone else.
ALLOWED = {
    "system": {
        "accounts:users",
        "accounts:user-create",
        "accounts:user-detail",
        "accounts:user-password",
        "accounts:user-active",
        "accounts:user-unlock",
        "accounts:user-otp-reset",
        "accounts:user-recovery",
        "accounts:change-requests",
    },
    "security": {
        "accounts:users",
        "accounts:user-detail",
        "accounts:user-role",
        "accounts:user-unit-role",
        "accounts:change-requests",
    },
    "audit": {"audit:list"},
    "clerk": set(),
}


@pytest.mark.parametrize("who", list(ALLOWED))
@pytest.mark.parametrize(("name", "method", "target", "data"), ACTIONS, ids=[a[0] for a in ACTIONS])
def test_each_administrator_may_do_only_their_own_functions_REQ_1_7(
    who: str,
    name: str,
    method: str,
    target: str | None,
    data: dict[str, str] | None,
    personas: Any,
    admins: Admins,
    newbie: Any,
    client_for: Any,
) -> None:
    actor = {"system": admins.system, "security": admins.security, "audit": admins.audit}.get(
        who, personas.clerk
    )
    args = [{"person": personas.person, "newbie": newbie}[target].pk] if target else []
    if data and "role" in data and name.endswith("unit-role"):
        data = {**data, "unit": personas.unit_a.pk}
    before_roles = (User.objects.get(pk=newbie.pk).admin_role, newbie.memberships.count())
    c = client_for(actor)
    response = getattr(c, method)(reverse(name, args=args), data or {})
    if name in ALLOWED[who]:
        assert response.status_code in (200, 302), (who, name, response.status_code)
        assert AuditEvent.objects.filter(outcome="denied", actor=actor).count() == 0
    else:
        assert response.status_code == 403, (who, name, response.status_code)
        assert AuditEvent.objects.filter(outcome="denied", actor=actor).exists(), (who, name)
        assert (User.objects.get(pk=newbie.pk).admin_role, newbie.memberships.count()) == before_roles
        assert User.objects.get(pk=personas.person.pk).is_active


def test_a_user_holds_at_most_one_administrator_role_by_construction_REQ_1_7(
    admins: Admins, newbie: Any
) -> None:
    field = User._meta.get_field("admin_role")
    assert [v for v, _ in field.choices if v] == ["system_admin", "security_admin", "audit_admin"]
    for role in (AdminRole.SYSTEM, AdminRole.AUDIT):  # each asked by one, approved by another
        change = services.admin_role_request(actor=admins.security, user=newbie, role=role)
        services.change_request_approve(actor=admins.system, request_id=change.pk)
    newbie.refresh_from_db()
    assert newbie.admin_role == AdminRole.AUDIT  # the second replaced the first
    changes = AuditEvent.objects.filter(action="role.change", actor=admins.system).order_by("id")
    assert [(e.before["admin_role"], e.after["admin_role"]) for e in changes] == [
        ("", "system_admin"),
        ("system_admin", "audit_admin"),
    ]


def test_the_security_admin_cannot_change_his_own_role(admins: Admins) -> None:
    with pytest.raises(PermissionDenied):
        services.admin_role_set(actor=admins.security, user=admins.security, role="")
    admins.security.refresh_from_db()
    assert admins.security.admin_role == AdminRole.SECURITY
    assert AuditEvent.objects.filter(action="role.change", outcome="denied").count() == 1


def test_no_administrator_holds_a_unit_role_so_none_works_on_the_ledger_REQ_1_7(
    personas: Any, admins: Admins, newbie: Any
) -> None:
    # A user with ledger work cannot become an administrator…
    with pytest.raises(services.AccountError, match="业务角色"):
        services.admin_role_request(actor=admins.security, user=personas.clerk, role=AdminRole.AUDIT)
    # …and an administrator cannot be given ledger work.
    for admin in (admins.system, admins.audit):
        with pytest.raises(services.AccountError, match="三员"):
            services.unit_role_grant(actor=admins.security, user=admin, unit=personas.unit_a, role="clerk")
    assert all(holds_admin_role(a) for a in (admins.system, admins.security, admins.audit))
    assert not holds_admin_role(personas.clerk) and not holds_admin_role(None)
    # Their ledger pages hold nothing of unit A.
    for admin in (admins.system, admins.security, admins.audit):
        c = Client()
        c.force_login(admin)
        assert personas.unit_a.name not in c.get(reverse("web:round-list")).content.decode()


def test_the_security_admin_grants_a_unit_role_recorded(personas: Any, admins: Admins, newbie: Any) -> None:
    services.unit_role_grant(actor=admins.security, user=newbie, unit=personas.unit_a, role="viewer")
    assert newbie.memberships.get().role == "viewer"
    assert AuditEvent.objects.filter(action="membership.grant", actor=admins.security).count() == 1


def test_the_system_admin_manages_ordinary_accounts_but_not_another_administrators(
    personas: Any, admins: Admins
) -> None:
    for target in (admins.security, admins.audit, admins.system):
        for call in (
            lambda t: services.user_set_active(actor=admins.system, user=t, active=False),
            lambda t: services.user_set_password(actor=admins.system, user=t, password="Taken-over-77"),
            lambda t: services.otp_reset(actor=admins.system, user=t),
        ):
            with pytest.raises(PermissionDenied):
                call(target)
    assert all(User.objects.get(pk=a.pk).is_active for a in (admins.security, admins.audit, admins.system))
    assert User.objects.get(pk=admins.audit.pk).check_password(PASSWORD)
    c = Client()
    c.force_login(admins.system)
    page = c.get(reverse("accounts:user-detail", args=[admins.audit.pk])).content.decode()
    assert "设置密码" not in page and "由运维人员在服务器上处理" in page


def test_the_system_admin_creates_an_account_that_must_change_its_password(admins: Admins) -> None:
    c = Client()
    c.force_login(admins.system)
    response = c.post(
        reverse("accounts:user-create"),
        {
            "username": "wangwu",
            "display_name": "王五",
            "password1": "First-pass-2026",
            "password2": "First-pass-2026",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(username="wangwu")
    assert user.must_change_password and not user.admin_role and not user.memberships.exists()
    event = AuditEvent.objects.get(action="user.create")
    assert event.actor == admins.system and event.after == {"username": "wangwu", "display_name": "王五"}


def test_resetting_the_second_factor_makes_the_user_enrol_again(personas: Any, admins: Admins) -> None:
    TOTPDevice.objects.create(user=personas.clerk, secret="v1:x", confirmed=True)
    services.otp_reset(actor=admins.system, user=personas.clerk)
    assert not TOTPDevice.objects.filter(user=personas.clerk).exists()
    assert AuditEvent.objects.filter(action="auth.otp_reset", actor=admins.system).count() == 1


def test_each_administrator_starts_at_their_own_page(admins: Admins) -> None:
    for user, page in (
        (admins.system, "accounts:users"),
        (admins.security, "accounts:users"),
        (admins.audit, "audit:list"),
    ):
        assert login(Client(), user.username).url == reverse(page)


def test_the_console_commands_create_the_three_administrators(db: Any) -> None:
    for name, role in (("sys1", "system_admin"), ("sec1", "security_admin"), ("aud1", "audit_admin")):
        call_command(
            "user-add",
            name,
            "--name",
            name,
            "--admin-role",
            role,
            "--password-stdin",
            stdin=io.StringIO("Console-pass-2026\n"),
            stdout=io.StringIO(),
        )
        assert User.objects.get(username=name).admin_role == role
    # Once there is a second administrator, the console's change is a request (finding 9).
    call_command("admin-role", "SYS1", "none", stdout=io.StringIO())
    assert User.objects.get(username="sys1").admin_role == "system_admin"
    change = ChangeRequest.objects.get(user__username="sys1")
    services.change_request_approve(actor=User.objects.get(username="sec1"), request_id=change.pk)
    assert User.objects.get(username="sys1").admin_role == ""
    with pytest.raises(CommandError):
        call_command("admin-role", "nobody", "audit_admin", stdout=io.StringIO())


# --- superusers (REQ-1.8) -------------------------------------------------------------------


def test_an_active_superuser_fails_the_production_check_REQ_1_8(db: Any, settings: Any) -> None:
    settings.PRODUCTION = True
    assert production_accounts() == []
    root = User.objects.create(username="breakglass", is_superuser=True, is_active=True)
    assert [e.id for e in production_accounts()] == ["accounts.E010"]
    root.is_active = False
    root.save()
    assert production_accounts() == []
    settings.PRODUCTION = False
    root.is_active = True
    root.save()
    assert production_accounts() == []  # only the production profile cares


def test_an_account_with_a_default_name_fails_the_production_check(db: Any, settings: Any) -> None:
    settings.PRODUCTION = True
    make_admin("Admin", "")
    assert [e.id for e in production_accounts()] == ["accounts.E011"]
