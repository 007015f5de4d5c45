"""Reads for the documents: the clerk's draft of a notice and the ledger as a document shows it.

Each read of the ledger goes through a scoped ledger selector (``round_overview`` checks
that the user may see the round).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Sum

from zhenggai.accounts.actors import Viewer
from zhenggai.ledger import selectors
from zhenggai.ledger.models import (
    Measure,
    Outcome,
    OutcomeKind,
    Progress,
    Round,
)

from .models import NoticeDraft
from .official import date_cn


def draft_defaults(round: Round) -> dict[str, Any]:
    """Starting values for a round's notice, from its metadata and the unit's last notice."""
    unit = round.unit.name
    group = round.inspecting_group or "巡察组"
    fed = f"{date_cn(round.feedback_date)}，" if round.feedback_date else ""
    values: dict[str, Any] = {
        "organisation_text": (
            f"{fed}{group}向{unit}反馈巡察意见后，{unit}高度重视，把抓好巡察反馈问题整改作为一项重大政治任务，"
            "成立巡察整改工作领导小组，主要负责同志履行第一责任人职责，研究制定整改方案，"
            "逐项明确责任领导、责任部门、责任人和完成时限，层层压实整改责任，确保件件有着落、事事有回音。"
        ),
        "long_term_text": (
            f"{unit}将以此次巡察整改为契机，坚持举一反三、标本兼治，对已完成的整改事项定期开展“回头看”，"
            "对需要长期坚持的事项持续推进，及时总结整改经验，建立健全长效工作机制，不断巩固和扩大整改成果。"
        ),
        "next_steps_text": "",
        "phone": "",
        "address": "",
        "email": "",
        "signing_unit": unit,
        "signed_on": selectors.today(),
    }
    last = (
        NoticeDraft.objects.filter(unit=round.unit)
        .exclude(round=round)
        .order_by("-updated_at", "-id")
        .first()
    )
    if last is not None:
        values.update(
            phone=last.phone, address=last.address, email=last.email, signing_unit=last.signing_unit
        )
    return values


def draft_for(round: Round) -> NoticeDraft:
    """The round's saved draft, or an unsaved one with the defaults (version 0)."""
    found = NoticeDraft.objects.filter(round=round).first()
    if found is not None:
        return found
    return NoticeDraft(round=round, unit=round.unit, version=0, **draft_defaults(round))


# --- reading the ledger -------------------------------------------------------------------------


@dataclass
class MeasureRow:
    measure: Measure
    progress: str


@dataclass
class DocumentLedger:
    overview: selectors.Overview
    measures: dict[int, list[MeasureRow]]
    rules: int
    money: Decimal
    accountable: int


def document_ledger(user: Viewer, round: Round) -> DocumentLedger:
    overview = selectors.round_overview(user=user, round=round)  # scope check
    latest: dict[int, str] = {}
    for measure_id, text in (
        # A join does not go through the default manager: a deleted measure's progress is left out.
        Progress.objects.filter(measure__round=round, measure__deleted_at__isnull=True)
        .order_by("created_at", "id")
        .values_list("measure_id", "text")
    ):
        latest[measure_id] = text
    by_finding: dict[int, list[MeasureRow]] = defaultdict(list)
    for m in (
        # Only the measures the user is cleared for (安全标记, REQ-1.10); the overview's tree is pruned alike.
        Measure.objects.filter(selectors.measure_cleared_q(user), round=round)
        .select_related("leader", "person", "department")
        .order_by("finding_id", "position", "id")
    ):
        by_finding[m.finding_id].append(MeasureRow(m, latest.get(m.pk, "")))
    outcomes = Outcome.objects.filter(selectors.live_outcomes_q(), round=round)
    rules = outcomes.filter(kind=OutcomeKind.RULE).count()
    money = outcomes.filter(kind=OutcomeKind.MONEY).aggregate(s=Sum("amount_yuan"))["s"] or Decimal(0)
    accountable = sum(
        c or 1 for c in outcomes.filter(kind=OutcomeKind.ACCOUNTABILITY).values_list("count", flat=True)
    )
    return DocumentLedger(overview, by_finding, rules, money, accountable)
