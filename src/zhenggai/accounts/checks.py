"""System checks of the production profile (``zhenggai check``; ``--deploy`` adds the database ones).

Configuration (always run under ``ZHENGGAI_PROFILE=production``, so a wrong setting stops
``migrate`` and ``check``):
- accounts.E001 DEBUG is on;
- accounts.E002 the secret key is the development one, short or Django's insecure one;
- accounts.E003 the second factor is not required (等保 身份鉴别 d, REQ-1.6);
- accounts.E004 the password, lockout or session policy is below the 等保 floor (a lockout
  that never comes: more than 10 failures per account, the address limit off or above 500);
- accounts.E005 a trusted proxy is a wide network (0.0.0.0/0…): anyone in it could claim any
  client address, to dodge the address lockout and write false addresses in the audit trail;
- accounts.E006 ``ALLOWED_HOSTS`` admits any host (``*``), or none.

Accounts (``--deploy``, they read the database):
- accounts.E010 an active superuser exists (REQ-1.8: no all-powerful account in daily use);
- accounts.E011 an active account has a default name (admin, root, test…; 访问控制 b);
- accounts.W012 the database could not be read, so the two above were not checked.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DatabaseError

DEFAULT_NAMES = ("admin", "administrator", "root", "test", "guest", "demo", "sa", "system")

# The 等保 level-3 floor (trust-and-format.md §1.4): a production policy may be stricter.
FLOOR = {
    "PASSWORD_MIN_LENGTH": (8, "ge"),
    "PASSWORD_MIN_CLASSES": (3, "ge"),
    "PASSWORD_HISTORY": (5, "ge"),
    # "le" also refuses 0 and below (a limit that is switched off).
    "LOCKOUT_FAILURES": (10, "le"),
    "LOCKOUT_ADDRESS_FAILURES": (500, "le"),
    "LOCKOUT_MINUTES": (15, "ge"),
    "SESSION_IDLE_MINUTES": (30, "le"),
    "SESSION_MAX_HOURS": (12, "le"),
}


def _production() -> bool:
    return bool(getattr(settings, "PRODUCTION", False))


@register(Tags.security)
def production_configuration(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    if not _production():
        return []
    errors = []
    if settings.DEBUG:
        errors.append(Error("DEBUG is on in the production profile.", id="accounts.E001"))
    key = settings.SECRET_KEY or ""
    if key == settings.DEVELOPMENT_SECRET_KEY or key.startswith("django-insecure") or len(set(key)) < 5:
        errors.append(
            Error(
                "The production profile uses the development secret key.",
                hint="Set ZHENGGAI_SECRET_KEY or ZHENGGAI_SECRET_KEY_FILE to a long random value.",
                id="accounts.E002",
            )
        )
    if not settings.OTP_REQUIRED:
        errors.append(
            Error(
                "The second factor (TOTP) is not required in the production profile.",
                hint="Unset ZHENGGAI_OTP_REQUIRED (it defaults to on in production).",
                id="accounts.E003",
            )
        )
    weak = []
    for name, (bound, how) in FLOOR.items():
        value = getattr(settings, name)
        if (how == "ge" and value < bound) or (how == "le" and (value > bound or value <= 0)):
            weak.append(f"{name}={value}")
    if settings.PASSWORD_MAX_AGE_DAYS <= 0:
        weak.append(f"PASSWORD_MAX_AGE_DAYS={settings.PASSWORD_MAX_AGE_DAYS}")
    if weak:
        errors.append(
            Error(
                "The account policy is below the 等保 level-3 floor: " + ", ".join(weak) + ".",
                id="accounts.E004",
            )
        )
    wide = _wide_proxies(getattr(settings, "TRUSTED_PROXIES", []))
    if wide:
        errors.append(
            Error(
                f"Trusted proxies that are wide networks or not addresses: {', '.join(wide)}.",
                hint="List the reverse proxies' own addresses in ZHENGGAI_TRUSTED_PROXIES "
                f"(networks of at most /{MIN_PREFIX[4]} for IPv4, /{MIN_PREFIX[6]} for IPv6).",
                id="accounts.E005",
            )
        )
    hosts = list(settings.ALLOWED_HOSTS)
    if not hosts or any(h.strip() in {"*", "", "."} for h in hosts):
        errors.append(
            Error(
                f"ALLOWED_HOSTS admits any host or none: {hosts!r}.",
                hint="Set ZHENGGAI_ALLOWED_HOSTS to the site's name (zhenggai.example.gov.cn).",
                id="accounts.E006",
            )
        )
    return errors


# The widest network a trusted proxy entry may be: a proxy's subnet, never "everyone".
MIN_PREFIX = {4: 24, 6: 64}


def _wide_proxies(entries: Any) -> list[str]:
    wide = []
    for entry in entries:
        try:
            network = ipaddress.ip_network(str(entry).strip(), strict=False)
        except ValueError:
            wide.append(str(entry))
            continue
        if network.prefixlen < MIN_PREFIX[network.version]:
            wide.append(str(entry))
    return wide


@register(Tags.security, deploy=True)
def production_accounts(app_configs: Any = None, **kwargs: Any) -> list[Any]:
    if not _production():
        return []
    from django.contrib.auth import get_user_model
    from django.db.models import Q

    User = get_user_model()
    try:
        superusers = list(
            User.objects.filter(is_active=True, is_superuser=True).values_list("username", flat=True)
        )
        default_q = Q()
        for name in DEFAULT_NAMES:
            default_q |= Q(username__iexact=name)
        defaults = list(User.objects.filter(default_q, is_active=True).values_list("username", flat=True))
    except DatabaseError as exc:
        return [
            Warning(
                f"Could not read the accounts ({exc.__class__.__name__}); superusers not checked.",
                hint="Run the check against the migrated production database.",
                id="accounts.W012",
            )
        ]
    errors = []
    if superusers:
        errors.append(
            Error(
                f"Active superuser accounts in production: {', '.join(superusers)}.",
                hint="Disable them (is_active=False); administrators use the three roles (三员).",
                id="accounts.E010",
            )
        )
    if defaults:
        errors.append(
            Error(
                f"Active accounts with a default name: {', '.join(defaults)}.",
                hint="Rename or disable them (等保 访问控制 b).",
                id="accounts.E011",
            )
        )
    return errors
