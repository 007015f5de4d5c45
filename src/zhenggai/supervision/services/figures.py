"""``zhenggai stats-refresh``: the dashboard's figures of every live round, counted and stored
(``models.RoundFigures``) for the dashboard to read above ``DASHBOARD_SNAPSHOT_ABOVE`` measures
instead of counting a province on every page view (``selectors.dashboard``).

The figures are those the dashboard counts live (``selectors.dashboard.round_figures``), for the
day of the run (tiers, overdue and on-time figures depend on it: ``counted_on``). The rounds are
counted a batch at a time (the rounds' ids in order), each batch written in its own transaction,
so memory and lock time stay flat however many rounds there are. Idempotent: a second run
rewrites the same rows (a newer ``computed_at``); rows of rounds deleted since go. One audit
event per run (``supervision.stats_refresh``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from zhenggai.audit.services import audit_record
from zhenggai.ledger.models import Round
from zhenggai.ledger.selectors import today

from ..models import RoundFigures
from ..rules import LEVELS
from ..selectors.dashboard import COUNTS, round_figures

#: Rounds counted per batch: each batch's queries aggregate their measures (a province: about
#: 170,000 measures for 50 rounds) and return one row per round (and tier).
BATCH = 50


@dataclass(frozen=True)
class RefreshReport:
    """What one run did: rounds counted, their measures, snapshot rows of deleted rounds removed,
    the day counted for."""

    rounds: int
    measures: int
    removed: int
    counted_on: dt.date


def round_figures_refresh(*, at: dt.date | None = None, batch: int = BATCH) -> RefreshReport:
    """Count the dashboard's figures of every live round for ``at`` (default today) and store
    them, replacing the previous count; remove those of rounds deleted since. Audited
    ``supervision.stats_refresh`` (actor: the system), once per run."""
    on = at or today()
    rounds = measures = 0
    last = 0
    while True:
        chunk = list(
            Round.objects.filter(pk__gt=last).order_by("pk").values_list("pk", "unit_id")[: max(batch, 1)]
        )
        if not chunk:
            break
        last = chunk[-1][0]
        figures = round_figures(Round.objects.filter(pk__in=[pk for pk, _ in chunk]), on=on)
        now = timezone.now()
        rows = []
        for pk, unit_id in chunk:
            f = figures[pk]
            counts = {name: getattr(f, name) for name in COUNTS}
            tiers = {k: f.tiers.get(k, 0) for k in LEVELS}
            rows.append(
                RoundFigures(
                    round_id=pk, unit_id=unit_id, tiers=tiers, counted_on=on, computed_at=now, **counts
                )
            )
            measures += f.measures
        with transaction.atomic():
            RoundFigures.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["round"],
                update_fields=["unit", *COUNTS, "tiers", "counted_on", "computed_at"],
            )
        rounds += len(rows)
    with transaction.atomic():
        # Soft-deleted rounds (hard-deleted ones took their row with them).
        removed, _ = RoundFigures.objects.exclude(round__in=Round.objects.all()).delete()
        report = RefreshReport(rounds=rounds, measures=measures, removed=removed, counted_on=on)
        audit_record(
            actor=None,
            action="supervision.stats_refresh",
            after={"at": on.isoformat(), "rounds": rounds, "measures": measures, "removed": removed},
        )
    return report
