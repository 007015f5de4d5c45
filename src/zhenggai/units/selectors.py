"""Which units a user may see, and the roles the user holds over a unit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.db.models import Q, QuerySet

from .models import Membership, Role, Unit, UnitKind

if TYPE_CHECKING:
    # accounts.actors.Viewer (User | AnonymousUser), spelled through django-stubs: units sits
    # below accounts and does not import it (see accounts/actors.py).
    from django.contrib.auth.models import _AnyUser as Viewer
    from django.contrib.auth.models import _User as Actor

#: The user's memberships, kept on the user object for the rest of the request (not a field).
_CACHE = "_zhenggai_memberships"


def _memberships(user: Viewer | None) -> list[Membership]:
    if user is None or not user.is_authenticated:
        return []
    cached: list[Membership] | None = getattr(user, _CACHE, None)
    if cached is None:
        cached = list(Membership.objects.select_related("unit").filter(user=user))
        setattr(user, _CACHE, cached)
    return cached


def memberships_of(user: Viewer | None) -> list[Membership]:
    """The user's memberships with their units (read once per request and kept on the user)."""
    return _memberships(user)


def visible_units_q(user: Viewer, field: str = "unit") -> Q:
    """A filter on ``<field>`` that keeps rows of units in the subtrees of the
    user's memberships; matches nothing for a user with none.

    On another table's ``field`` it is a semi-join on the materialised path: ``unit_id IN
    (SELECT id FROM unit WHERE path LIKE '<path>%' …)``. The database reads the few units once
    and then finds the rows through their unit's index, instead of joining every row to its
    unit to test the path: a unit's rows cost the same however large the table around them."""
    under = Q(pk__in=[])
    for m in _memberships(user):
        if m.unit.path:  # an empty path (a unit not made by unit_create) would match every row
            under |= Q(path__startswith=m.unit.path)
    if not field:
        return under
    return Q(**{f"{field}__in": Unit.objects.filter(under).values("pk")})


def unit_list_for_user(*, user: Viewer) -> QuerySet[Unit]:
    return Unit.objects.filter(visible_units_q(user, field="")).order_by("path")


def roles_for_unit(*, user: Viewer | None, unit: Unit) -> set[str]:
    """Roles the user holds at ``unit`` or any unit above it (none for the console, ``None``)."""
    ancestors = set(unit.ancestor_ids)
    return {m.role for m in _memberships(user) if m.unit_id in ancestors}


def members_of(unit: Unit) -> QuerySet[Actor]:
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


def clerk_units(*, user: Viewer) -> list[Unit]:
    """Units where the user is clerk (整改办): where they may import or build a round."""
    if not user.is_authenticated:
        return []
    return list(Unit.objects.filter(memberships__user=user, memberships__role=Role.CLERK).order_by("path"))


def departments_under(unit: Unit) -> QuerySet[Unit]:
    """The departments inside a unit's subtree (choices for 责任部门)."""
    return Unit.objects.filter(path__startswith=unit.path, kind=UnitKind.DEPARTMENT).order_by("name", "pk")


def departments_for_user(*, user: Viewer) -> QuerySet[Unit]:
    return unit_list_for_user(user=user).filter(kind=UnitKind.DEPARTMENT).order_by("name", "pk")


def people_for_user(*, user: Viewer) -> QuerySet[Actor]:
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


def roles_of(*, user: Viewer) -> set[str]:
    """Every role the user holds anywhere (which sections of 我的任务 apply)."""
    if not user.is_authenticated:
        return set()
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))


# --- who holds a role (the recipients of messages) ----------------------------------------------


def holders_at(*, unit: Unit, roles: set[str]) -> QuerySet[Actor]:
    """Active users holding one of ``roles`` at ``unit`` itself (its 第一责任人, its clerks)."""
    User = get_user_model()
    return (
        User.objects.filter(is_active=True, memberships__unit=unit, memberships__role__in=sorted(roles))
        .distinct()
        .order_by("pk")
    )


def holders_above(*, unit: Unit, roles: set[str]) -> QuerySet[Actor]:
    """Active users holding one of ``roles`` at the nearest unit above ``unit`` (its ancestors,
    the unit itself excluded) where anyone holds it: the supervisor one level up, not every
    supervisor up to the province."""
    User = get_user_model()
    above = [pk for pk in unit.ancestor_ids if pk != unit.pk]
    found = (
        Membership.objects.filter(unit_id__in=above, role__in=sorted(roles), user__is_active=True)
        .values_list("unit_id", flat=True)
        .distinct()
    )
    nearest = max(found, key=above.index, default=None)
    if nearest is None:
        return User.objects.none()
    return (
        User.objects.filter(is_active=True, memberships__unit_id=nearest, memberships__role__in=sorted(roles))
        .distinct()
        .order_by("pk")
    )


def narrow_to(user: Viewer, unit: Unit | None) -> None:
    """Keep, for the rest of the request, only the user's roles inside ``unit``'s subtree.

    What an API token scoped to a unit sees: a membership inside the subtree stays as it is; one
    above it acts at ``unit`` only (an unsaved membership, the same role); others are dropped.
    ``None`` leaves no unit at all. Every scope selector and role check reads the memberships
    through ``_memberships``, so they all see the narrowed set.
    """
    kept: list[Membership] = []
    if unit is not None and unit.path:
        for m in _memberships(user):
            if m.unit.path.startswith(unit.path):
                kept.append(m)
            elif unit.path.startswith(m.unit.path):
                kept.append(Membership(user_id=m.user_id, unit=unit, role=m.role))
    setattr(user, _CACHE, kept)


# --- 责任人 / 责任部门 of a large scope: counted with a cap, matched by name -----------------------


def memberships_for_user(*, user: Viewer, under: Unit | None = None) -> QuerySet[Membership]:
    """Roles of active users in units the user may see (inside ``under``'s subtree if given).

    Whether ``people_for_user`` (or a unit's ``members_of``) is too long to list is told by a
    capped count of these rows: no DISTINCT over every person, the database stops at the cap. A
    person with several roles counts once per role, so near the cap the count errs towards "long".
    """
    qs = Membership.objects.filter(visible_units_q(user), user__is_active=True)
    if under is not None:
        qs = qs.filter(unit__in=Unit.objects.filter(path__startswith=under.path).values("pk"))
    return qs


def people_named_for_user(*, user: Viewer, name: str) -> QuerySet[Actor, Any]:
    """The ids (``values("pk")``: a subquery, never a list) of the ``people_for_user`` whose
    display name or username contains ``name``; nobody outside the user's scope matches."""
    User = get_user_model()
    in_scope = Membership.objects.filter(visible_units_q(user)).values("user_id")
    return (
        User.objects.filter(Q(display_name__icontains=name) | Q(username__icontains=name))
        .filter(is_active=True, pk__in=in_scope)
        .order_by()
        .values("pk")
    )


def departments_named_for_user(*, user: Viewer, name: str) -> QuerySet[Unit, Any]:
    """The ids (``values("pk")``: a subquery) of the ``departments_for_user`` whose name contains
    ``name``."""
    return departments_for_user(user=user).filter(name__icontains=name).order_by().values("pk")
