"""Reads the pages need that the ledger and units selectors do not offer (yet).

Each takes the acting user or an object already fetched through a scoped
selector, so nothing here widens what a user may see. They belong in
``ledger/selectors.py`` and ``units/selectors.py``; they live here until they move.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from zhenggai.ledger import selectors
from zhenggai.ledger.models import (
    Amendment,
    Finding,
    FindingKind,
    Measure,
    MeasureStatus,
    Outcome,
    PlanSignature,
    Round,
)
from zhenggai.units.models import Role, Unit, UnitKind
from zhenggai.units.selectors import unit_list_for_user


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


def round_rows(*, user: Any, today: dt.date) -> QuerySet[Round]:
    """Visible rounds with their measure counts, in one query whatever their size."""
    problems = (
        Finding.objects.filter(round=OuterRef("pk"), kind=FindingKind.PROBLEM)
        .order_by()
        .values("round")
        .annotate(n=Count("pk"))
        .values("n")
    )
    open_statuses = list(selectors.OPEN_STATUSES)
    return (
        selectors.round_list_for_user(user=user)
        .annotate(
            measure_count=Count("measures"),
            done_count=Count("measures", filter=Q(measures__status=MeasureStatus.DONE)),
            overdue_count=Count(
                "measures", filter=Q(measures__deadline__lt=today, measures__status__in=open_statuses)
            ),
            problem_count=Coalesce(Subquery(problems, output_field=IntegerField()), Value(0)),
        )
        .order_by("-created_at", "-id")
    )


def amendments_since(*, round: Round, signature: PlanSignature | None) -> int:
    """Changes recorded against the last signed version of the plan."""
    if signature is None:
        return 0
    return Amendment.objects.filter(round=round, signed_version=signature.version).count()


def outcomes_of(*, round: Round) -> list[Outcome]:
    """The round's outcomes (the round was fetched through a scoped selector)."""
    return list(Outcome.objects.filter(round=round).order_by("kind", "id"))


def finding_path(finding: Finding) -> list[Finding]:
    """The finding's ancestors, root first (category › issue); a few queries at most."""
    path: list[Finding] = []
    node = finding.parent
    while node is not None and len(path) < 10:
        path.append(node)
        node = node.parent
    return list(reversed(path))


def finding_parents(*, round: Round) -> QuerySet[Finding]:
    """Nodes of a round that may take children (categories and issues)."""
    return Finding.objects.filter(round=round).exclude(kind=FindingKind.PROBLEM).order_by("position")


def sibling_index(measure: Measure) -> tuple[int, int]:
    """The measure's place among its problem's measures: (index from 0, count)."""
    ids = list(
        Measure.objects.filter(finding_id=measure.finding_id)
        .order_by("position", "id")
        .values_list("pk", flat=True)
    )
    return ids.index(measure.pk) if measure.pk in ids else 0, len(ids)


def names_of(*, user_ids: set[int], unit_ids: set[int]) -> tuple[dict[int, str], dict[int, str]]:
    """Display names for ids found in audit records (two queries)."""
    User = get_user_model()
    users = {u.pk: str(u) for u in User.objects.filter(pk__in=user_ids)} if user_ids else {}
    units = dict(Unit.objects.filter(pk__in=unit_ids).values_list("pk", "name")) if unit_ids else {}
    return users, units


def roles_of(*, user: Any) -> set[str]:
    """Every role the user holds anywhere (which sections of 我的任务 apply)."""
    from zhenggai.units.models import Membership

    if not getattr(user, "is_authenticated", False):
        return set()
    return set(Membership.objects.filter(user=user).values_list("role", flat=True))


def measure_search(
    *, user: Any, filters: selectors.MeasureFilters, unassigned: bool = False
) -> QuerySet[Measure]:
    """``ledger.selectors.measure_search`` plus "no responsible person yet" (待分配)."""
    qs = selectors.measure_search(user=user, filters=filters)
    return qs.filter(person__isnull=True) if unassigned else qs


def empty_measures() -> QuerySet[Measure]:
    return Measure.objects.none()
