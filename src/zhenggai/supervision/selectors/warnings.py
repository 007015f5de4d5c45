"""Reads of warnings, tier settings and extensions (申请延期), each scoped to the acting user,
and the on-time rates (按期完成率) against the current and the first deadline."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.http import Http404

from zhenggai.accounts.actors import Viewer
from zhenggai.ledger.models import Measure, MeasureStatus, Round
from zhenggai.ledger.policy import finished_q
from zhenggai.ledger.selectors import measure_cleared_q, round_get_for_user
from zhenggai.units.models import Role
from zhenggai.units.selectors import memberships_of, visible_units_q

from ..models import Extension, ExtensionStatus, RoundSettings


def _extensions_for_user(user: Viewer) -> QuerySet[Extension]:
    """Extensions of live measures the user may see (unit scope and clearance)."""
    return Extension.objects.filter(
        visible_units_q(user),
        measure_cleared_q(user, "measure__"),
        measure__deleted_at__isnull=True,
        measure__round__deleted_at__isnull=True,
        measure__finding__deleted_at__isnull=True,
    ).select_related(
        "measure",
        "measure__finding",
        "measure__round",
        "measure__unit",
        "measure__leader",
        "measure__person",
        "requested_by",
        "decided_by",
    )


def extension_get_for_user(*, user: Viewer, pk: int) -> Extension:
    e = _extensions_for_user(user).filter(pk=pk).first()
    if e is None:
        raise Http404("未找到该延期申请")
    return e


def _decider_q(user: Viewer) -> Q:
    """Extensions the user decides: as the measure's responsible leader, or as unit head of its
    unit (or of a unit above it)."""
    q = Q(measure__leader_id=user.pk)
    for m in memberships_of(user):
        if m.role == Role.UNIT_LEADER and m.unit.path:
            q |= Q(unit__path__startswith=m.unit.path)
    return q


def pending_extensions_for_user(*, user: Viewer) -> QuerySet[Extension]:
    """The waiting requests the user may decide (not their own), oldest first."""
    if not user.is_authenticated:
        return Extension.objects.none()
    return (
        _extensions_for_user(user)
        .filter(_decider_q(user), status=ExtensionStatus.PENDING)
        .exclude(requested_by_id=user.pk)
        .order_by("created_at", "id")
    )


def my_extensions_for_user(*, user: Viewer) -> QuerySet[Extension]:
    """The user's own requests, latest first."""
    if not user.is_authenticated:
        return Extension.objects.none()
    return _extensions_for_user(user).filter(requested_by_id=user.pk).order_by("-created_at", "-id")


def extensions_of(*, measure: Measure) -> list[Extension]:
    """A measure's requests, latest first (the measure was fetched through a scoped selector)."""
    qs = measure.extensions.select_related("requested_by", "decided_by")
    return list(qs.order_by("-created_at", "-id"))


def pending_extension_of(*, measure: Measure) -> Extension | None:
    return measure.extensions.filter(status=ExtensionStatus.PENDING).select_related("requested_by").first()


@dataclass(frozen=True)
class RoundSupervision:
    """A round and its supervision settings (an unsaved row with the defaults when none is set)."""

    round: Round
    settings: RoundSettings


def round_settings_for_user(*, user: Viewer, round_pk: int) -> RoundSupervision:
    """The round (404 outside the user's units) and its settings."""
    r = round_get_for_user(user=user, pk=round_pk)
    row = RoundSettings.objects.filter(round=r).first() or RoundSettings(round=r, unit_id=r.unit_id)
    return RoundSupervision(round=r, settings=row)


# --- on-time rates --------------------------------------------------------------------------------


@dataclass(frozen=True)
class OnTimeRates:
    """按期完成率 against the current deadline and against the first one (before extensions).

    ``due``: measures with a deadline that are done or whose deadline has passed (a long-term
    measure 阶段性完成 is neither); ``on_time``: done on or before the deadline. Each basis has its
    own ``due``: a measure extended into the future is not yet due against the current deadline
    but already late against the first one."""

    due: int
    on_time: int
    due_original: int
    on_time_original: int

    @property
    def rate(self) -> float | None:
        return self.on_time / self.due if self.due else None

    @property
    def rate_original(self) -> float | None:
        return self.on_time_original / self.due_original if self.due_original else None

    @property
    def extended(self) -> int:
        """How many more were late against the first deadline than against the current one."""
        return (self.due_original - self.on_time_original) - (self.due - self.on_time)


def on_time_counts(today: dt.date) -> dict[str, Count]:
    """The counts behind the on-time rates, as aggregates (``aggregate`` or, per group,
    ``values(…).annotate``) of measures: ``due``, ``on_time``, ``due_original``,
    ``on_time_original``. A measure with a deadline is due when done or open past it; done on
    time when the local date of its completion (``completed_on``) is on or before the deadline
    (``deadline``; for the original basis ``original_deadline`` when it was extended)."""
    dated = Q(deadline__isnull=False)
    done = dated & Q(status=MeasureStatus.DONE, completed_on__isnull=False)
    open_ = dated & ~finished_q()
    # The first deadline (``original_deadline`` when extended, else ``deadline``) in a filter.
    first_passed = Q(original_deadline__lt=today) | Q(original_deadline__isnull=True, deadline__lt=today)
    return {
        "due": Count("pk", filter=done | (open_ & Q(deadline__lt=today))),
        "on_time": Count("pk", filter=done & Q(completed_on__lte=F("deadline"))),
        "due_original": Count("pk", filter=done | (open_ & first_passed)),
        "on_time_original": Count(
            "pk", filter=done & Q(completed_on__lte=Coalesce("original_deadline", "deadline"))
        ),
    }


def on_time_rates(measures: QuerySet[Measure], *, today: dt.date) -> OnTimeRates:
    """The on-time rates of ``measures`` (already scoped by the caller), in one query
    (``on_time_counts``)."""
    row: dict[str, Any] = measures.aggregate(**on_time_counts(today))
    return OnTimeRates(
        due=row["due"] or 0,
        on_time=row["on_time"] or 0,
        due_original=row["due_original"] or 0,
        on_time_original=row["on_time_original"] or 0,
    )
