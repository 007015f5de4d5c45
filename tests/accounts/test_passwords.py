"""Usernames and passwords (等保 身份鉴别 a; REQ-1.1, REQ-1.2): usernames unique whatever their case,
and the password policy on every path that sets a password, rule by rule."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import Admins, Clock, enrol, login, phone_code
from tests.conftest import PASSWORD
from zhenggai.accounts import services
from zhenggai.accounts.models import PasswordHistory, TOTPDevice
from zhenggai.accounts.validators import character_classes
from zhenggai.audit.models import AuditEvent

User = get_user_model()

# --- usernames (REQ-1.1) ----------------------------------------------------------------------


def test_a_username_differing_only_in_case_is_refused_on_every_path_REQ_1_1(
    personas: Any, admins: Admins, client_for: Any
) -> None:
    # The service (pages and commands) and its form: a Chinese message, no IntegrityError.
    with pytest.raises(services.AccountError, match="不区分大小写"):
        services.user_create(actor=admins.system, username="CLERK", display_name="x", password="Good-pass-77")
    page = client_for(admins.system).post(
        reverse("accounts:user-create"),
        {
            "username": "Clerk",
            "display_name": "重复",
            "password1": "Good-pass-77",
            "password2": "Good-pass-77",
        },
    )
    assert page.status_code == 200 and "该用户名已被使用（用户名不区分大小写）" in page.content.decode()
    # Model validation speaks Chinese too; the database refuses whatever gets past.
    with pytest.raises(ValidationError, match="不区分大小写"):
        User(username="Clerk", password="x").full_clean()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.create(username="cLeRk")
    with pytest.raises(CommandError, match="不区分大小写"):
        call_command("user-add", "CLERK", "--password-stdin", stdin=io.StringIO("Good-pass-77\n"))
    assert User.objects.filter(username__iexact="clerk").count() == 1


def test_a_user_logs_in_with_the_username_in_any_case(personas: Any) -> None:
    c = Client()
    response = login(c, "CLERK")
    assert response.status_code == 302 and c.get("/").status_code == 200


# --- the rules (REQ-1.2) ----------------------------------------------------------------------


def weak_passwords(username: str) -> dict[str, str]:
    """One password breaking exactly one rule each, for a user called ``username``."""
    return {
        "length": "Ab1!xyz",  # 7 characters, all four classes
        "classes": "qmzvtrwk57",  # lower case and digits only
        "common": "P@ssw0rd",  # in Django's list of common passwords
        "similar": username.capitalize() + "#12",  # the username with a suffix
    }


def test_each_weak_password_breaks_exactly_its_own_rule() -> None:
    from django.contrib.auth.password_validation import get_default_password_validators

    validators = {type(v).__name__: v for v in get_default_password_validators()}
    owner = User(username="person", display_name="陈民警")
    rules = {
        "length": "MinimumLengthValidator",
        "classes": "CharacterClassesValidator",
        "common": "CommonPasswordValidator",
        "similar": "UserAttributeSimilarityValidator",
    }
    for rule, password in weak_passwords("person").items():
        broken = set()
        for name, v in validators.items():
            try:
                v.validate(password, owner)
            except ValidationError:
                broken.add(name)
        assert broken == {rules[rule]}, (rule, broken)
    assert character_classes("Aa1!") == 4 and character_classes("abc") == 1


KNOWN = [PASSWORD, *(f"Rotation-{i}-pass" for i in range(1, 6))]


def _current(user: Any) -> str:
    stored = User.objects.get(pk=user.pk)
    return next(p for p in KNOWN if stored.check_password(p))


def _set_by_self(personas: Any, admins: Admins, password: str) -> tuple[Any, bool]:
    c = Client()
    c.force_login(personas.person)
    r = c.post(
        reverse("accounts:password-change"),
        {"old_password": _current(personas.person), "new_password1": password, "new_password2": password},
    )
    return personas.person, r.status_code == 302


def _set_by_system_admin(personas: Any, admins: Admins, password: str) -> tuple[Any, bool]:
    # A temporary password needs the user's own phone enrolled (finding 9 of issue 8).
    TOTPDevice.objects.get_or_create(user=personas.person, defaults={"secret": "v1:x", "confirmed": True})
    c = Client()
    c.force_login(admins.system)
    r = c.post(
        reverse("accounts:user-password", args=[personas.person.pk]),
        {"new_password1": password, "new_password2": password},
    )
    return personas.person, r.status_code == 302


def _create_by_system_admin(personas: Any, admins: Admins, password: str) -> tuple[Any, bool]:
    c = Client()
    c.force_login(admins.system)
    r = c.post(
        reverse("accounts:user-create"),
        {"username": "persons", "display_name": "新用户", "password1": password, "password2": password},
    )
    return User.objects.filter(username="persons").first(), r.status_code == 302


def _changepassword_command(personas: Any, admins: Admins, password: str) -> tuple[Any, bool]:
    import getpass

    original = getpass.getpass
    getpass.getpass = lambda prompt="": password  # type: ignore[assignment]
    try:
        call_command("changepassword", "person", stdout=io.StringIO(), stderr=io.StringIO())
    except CommandError:
        return personas.person, False
    finally:
        getpass.getpass = original  # type: ignore[assignment]
    return personas.person, True


def _createsuperuser_command(personas: Any, admins: Admins, password: str) -> tuple[Any, bool]:
    import os

    os.environ["DJANGO_SUPERUSER_PASSWORD"] = password
    try:
        call_command(
            "createsuperuser", "--noinput", "--username", "persons", "--email", "", stdout=io.StringIO()
        )
    except CommandError:
        return None, False
    finally:
        del os.environ["DJANGO_SUPERUSER_PASSWORD"]
    return User.objects.get(username="persons"), True


def _user_add_command(personas: Any, admins: Admins, password: str) -> tuple[Any, bool]:
    try:
        call_command(
            "user-add",
            "persons",
            "--password-stdin",
            stdin=io.StringIO(password + "\n"),
            stdout=io.StringIO(),
        )
    except CommandError:
        return None, False
    return User.objects.get(username="persons"), True


PATHS: dict[str, Callable[[Any, Admins, str], tuple[Any, bool]]] = {
    "change-password-page": _set_by_self,
    "system-admin-sets-password": _set_by_system_admin,
    "system-admin-creates-user": _create_by_system_admin,
    "changepassword-command": _changepassword_command,
    "createsuperuser-command": _createsuperuser_command,
    "user-add-command": _user_add_command,
}


@pytest.mark.parametrize("rule", ["length", "classes", "common", "similar"])
@pytest.mark.parametrize("path", list(PATHS))
def test_a_password_breaking_a_rule_is_refused_on_every_path_REQ_1_2(
    path: str, rule: str, personas: Any, admins: Admins
) -> None:
    password = weak_passwords("persons" if "create" in path or "add" in path else "person")[rule]
    before = User.objects.get(pk=personas.person.pk).password
    _, accepted = PATHS[path](personas, admins, password)
    assert not accepted, (path, rule)
    assert User.objects.get(pk=personas.person.pk).password == before
    assert not User.objects.filter(username="persons").exists()


@pytest.mark.parametrize("path", list(PATHS))
def test_a_good_password_is_accepted_on_every_path(path: str, personas: Any, admins: Admins) -> None:
    user, accepted = PATHS[path](personas, admins, "Rectify-2026-ok")
    assert accepted, path
    user.refresh_from_db()
    assert user.check_password("Rectify-2026-ok")
    assert PasswordHistory.objects.filter(user=user).exists()


@pytest.mark.parametrize(
    "path", ["change-password-page", "system-admin-sets-password", "changepassword-command"]
)
def test_the_last_five_passwords_cannot_be_reused_on_any_path_REQ_1_2(
    path: str, personas: Any, admins: Admins
) -> None:
    person = personas.person
    for i in range(1, 5):  # with the persona's own password, five in the history
        person.set_password(f"Rotation-{i}-pass")
        person.save()
    for old in [PASSWORD, "Rotation-1-pass", "Rotation-4-pass"]:
        _, accepted = PATHS[path](personas, admins, old)
        assert not accepted, (path, old)
    # A sixth password pushes the persona's first out of the last five: usable again.
    person.set_password("Rotation-5-pass")
    person.save()
    assert PasswordHistory.objects.filter(user=person).count() == 5
    _, accepted = PATHS[path](personas, admins, PASSWORD)
    assert accepted, path


# --- age and forced changes -------------------------------------------------------------------


def test_after_90_days_the_login_leads_to_the_change_password_page_and_nowhere_else(
    clock: Clock, personas: Any
) -> None:
    person = personas.person
    person.set_password("Fresh-pass-2026")
    person.save()
    clock.advance(days=89)
    c = Client()
    assert c.get(login(c, "person", "Fresh-pass-2026").url).status_code == 200
    clock.advance(days=2)
    c = Client()
    response = login(c, "person", "Fresh-pass-2026")
    page = c.get(response.url)
    assert page.status_code == 302 and page.url.startswith(reverse("accounts:password-change"))
    assert c.get(reverse("web:round-list")).url.startswith(reverse("accounts:password-change"))
    form = c.get(reverse("accounts:password-change"))
    assert "已使用超过 90 天" in form.content.decode()
    assert AuditEvent.objects.filter(action="auth.password_expired", actor=person).count() == 1
    done = c.post(
        reverse("accounts:password-change"),
        {
            "old_password": "Fresh-pass-2026",
            "new_password1": "Fresh-pass-2027",
            "new_password2": "Fresh-pass-2027",
        },
    )
    assert done.status_code == 302 and c.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.password_change", actor=person).count() == 1


def test_a_password_set_by_the_system_admin_must_be_changed_at_the_next_login(
    personas: Any, admins: Admins, clock: Clock
) -> None:
    phone = enrol(personas.person, clock)
    services.user_set_password(actor=admins.system, user=personas.person, password="Issued-by-admin-1")
    c = Client()
    login(c, "person", "Issued-by-admin-1")
    page = c.post(reverse("accounts:otp-verify"), {"code": phone_code(phone, clock)})
    page = c.get(page.url)
    assert page.url.startswith(reverse("accounts:password-change"))
    assert "由系统管理员设置" in c.get(page.url).content.decode()
    failed = c.post(
        reverse("accounts:password-change"),
        {"old_password": "wrong", "new_password1": "Mine-own-pass-1", "new_password2": "Mine-own-pass-1"},
    )
    assert failed.status_code == 200
    assert AuditEvent.objects.filter(action="auth.password_change_failed", actor=personas.person).count() == 1
    c.post(
        reverse("accounts:password-change"),
        {
            "old_password": "Issued-by-admin-1",
            "new_password1": "Mine-own-pass-1",
            "new_password2": "Mine-own-pass-1",
        },
    )
    personas.person.refresh_from_db()
    assert not personas.person.must_change_password
    assert c.get("/").status_code == 200


def test_changing_ones_password_ends_ones_other_sessions_but_not_this_one(
    personas: Any, client_for: Any
) -> None:
    elsewhere = client_for(personas.person)
    here = client_for(personas.person)
    r = here.post(
        reverse("accounts:password-change"),
        {"old_password": PASSWORD, "new_password1": "Brand-new-pass-9", "new_password2": "Brand-new-pass-9"},
    )
    assert r.status_code == 302
    assert here.get("/").status_code == 200
    assert elsewhere.get("/").url.startswith(reverse("web:login"))


def test_the_production_profile_refuses_to_create_a_superuser(db: Any, settings: Any) -> None:
    settings.PRODUCTION = True
    with pytest.raises(ValidationError, match="生产环境不使用超级用户"):
        User.objects.create_superuser("root2", "", "Strong-pass-2026")
