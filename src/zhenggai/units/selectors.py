"""Which units a user may see, and the roles the user holds over a unit."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from .models import Membership, Role, Unit, UnitKind


def _memberships(user: Any) -> list[Membership]:
    if not getattr(user, "is_authenticated", False):
        return []
    cached = getattr(user, "_zhenggai_memberships", None)
    if cached is None:
        cached = list(Membership.objects.select_related("unit").filter(user=user))
        user._zhenggai_memberships = cached
    return cached


def visible_units_q(user: Any, field: str = "unit") -> Q:
    """A filter on ``<field>`` that keeps rows of units in the subtrees of the
    user's memberships; matches nothing for a user with none."""
    key = f"{field}__path__startswith" if field else "path__startswith"
    q = Q(pk__in=[])
    for m in _memberships(user):
        if m.unit.path:  # an empty path (a unit not made by unit_create) would match every row
            q |= Q(**{key: m.unit.path})
    return q


def unit_list_for_user(*, user: Any) -> QuerySet[Unit]:
    return Unit.objects.filter(visible_units_q(user, field="")).order_by("path")


def roles_for_unit(*, user: Any, unit: Unit) -> set[str]:
    """Roles the user holds at ``unit`` or any unit above it."""
    ancestors = set(unit.ancestor_ids)
    return {m.role for m in _memberships(user) if m.unit_id in ancestors}


def members_of(unit: Unit) -> QuerySet[Any]:
    """Users who hold any role at ``unit`` or inside its subtree (assignable people)."""
    from django.contrib.auth import get_user_model

    User = get_user_model()
    return (
        User.objects.filter(is_active=True, memberships__unit__path__startswith=unit.path)
        .distinct()
        .order_by("display_name", "username")
    )


__all__ = ["Role", "members_of", "roles_for_unit", "unit_list_for_user", "visible_units_q"]


# --- choices and names for the pages ----------------------------------------------------------


def clerk_units(*, user: Any) -> list[Unit]:
    """Units where the user is clerk (整改办): where they may import or build a round."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(Unit.objects.filter(memberships__user=user, memberships__role=Role.CLERK).order_by("path"))


def departments_under(unit: Unit) -> QuerySet[Unit]:
    """The departments inside a unit's subtree (choices for 责任部门)."""
    return Unit.objects.filter(path__startswith=unit.path, kind=UnitKind.DEPARTMENT).order_by("name", "pk")


def departments_for_user(*, user: Any) -> QuerySet[Unit]:
    return unit_list_for_user(user=user).filter(kind=UnitKind.DEPARTMENT).order_by("name", "pk")


def people_for_user(*, user: Any) -> QuerySet[Any]:
    """Active users who hold a role in a unit the user may see (search filter choices)."""
    User = get_user_model()
    visible = unit_list_for_user(user=user).values("pk")
    return (
        User.objects.filter(is_active=True, memberships__unit__in=visible)
        .distinct()
        .order_by("display_name", "username")
    )


def names_of(*, user_ids: set[int], unit_ids: set[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Display names for ids found in audit records (two queries)."""
    User = get_user_model()
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    units = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
    return users, units


def roles_of(*, user: Any) -> set[str]:
    """Every role the user holds anywhere (which sections of 我的任务 apply)."""
    if not getattr(user, "is_authenticated", False):
        return set()
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))
