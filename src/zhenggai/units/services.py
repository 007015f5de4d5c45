"""Writes to the unit tree and memberships, each with an audit event."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from zhenggai.audit.services import audit_record

from .models import Membership, Role, Unit, UnitKind

if TYPE_CHECKING:
    # accounts.actors.Actor and the user model, spelled through django-stubs: units sits below
    # accounts and does not import it (see accounts/actors.py). ``actor=None``: the console.
    from django.contrib.auth.models import _User as Actor
    from django.contrib.auth.models import _User as User


@transaction.atomic
def unit_create(*, actor: Actor | None, name: str, parent: Unit | None, kind: str = UnitKind.BUREAU) -> Unit:
    """Create a unit under ``parent`` (or a root)."""
    unit = Unit(name=name.strip(), parent=parent, kind=kind)
    unit.full_clean(exclude=["path"])
    unit.save()
    unit.path = f"{parent.path if parent else '/'}{unit.pk}/"
    Unit.objects.filter(pk=unit.pk).update(path=unit.path)
    audit_record(
        actor=actor,
        action="unit.create",
        obj=unit,
        unit_id=unit.pk,
        after={"name": unit.name, "parent": parent.pk if parent else None, "kind": kind},
    )
    return unit


def unit_get_or_create(
    *, actor: Actor | None, name: str, parent: Unit | None, kind: str = UnitKind.BUREAU
) -> Unit:
    existing = Unit.objects.filter(parent=parent, name=name.strip()).first()
    return existing or unit_create(actor=actor, name=name, parent=parent, kind=kind)


@transaction.atomic
def membership_grant(*, actor: Actor | None, user: User, unit: Unit, role: str) -> Membership:
    """Give ``user`` ``role`` at ``unit`` (idempotent)."""
    if role not in Role.values:
        raise ValueError(f"unknown role {role}")
    m, created = Membership.objects.get_or_create(user=user, unit=unit, role=role)
    if created:
        audit_record(
            actor=actor,
            action="membership.grant",
            obj=m,
            unit_id=unit.pk,
            after={"user": user.pk, "unit": unit.pk, "role": role},
        )
    return m


@transaction.atomic
def membership_revoke(*, actor: Actor | None, user: User, unit: Unit, role: str) -> bool:
    """Take ``role`` at ``unit`` away from ``user``; returns whether there was one to take."""
    m = Membership.objects.filter(user=user, unit=unit, role=role).first()
    if m is None:
        return False
    audit_record(
        actor=actor,
        action="membership.revoke",
        obj=m,
        unit_id=unit.pk,
        before={"user": user.pk, "unit": unit.pk, "role": role},
    )
    m.delete()
    return True
