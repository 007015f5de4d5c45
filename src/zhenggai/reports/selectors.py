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

#: The documents a clerk drafts: the 整改进展情况的通报 and the 整改情况报告 (one draft of each a round).
DRAFT_KINDS = ("notice", "report")
#: How long a measure's public progress wording may be (a note of 5,000 characters once took a
#: notice from 4 pages to 12).
PROGRESS_TEXT_MAX = 500


def draft_defaults(round: Round, kind: str = "notice") -> dict[str, Any]:
    """Starting values for a round's notice or report, from its metadata and the unit's drafts.

    The channels and the signing unit come from the round's other document if it has one, else
    from the unit's last draft; a new report starts from the notice's public progress wording.
    """
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
        "progress_texts": {},
    }
    if kind == "report":
        values["next_steps_text"] = (
            f"下一步，{unit}将继续坚持目标不变、标准不降、力度不减，对尚未完成的整改事项紧盯不放、"
            "持续推进，对已完成的整改事项适时开展“回头看”，坚决防止问题反弹回潮，确保巡察整改取得实效。"
        )
    sibling = (
        NoticeDraft.objects.filter(round=round).exclude(kind=kind).order_by("-updated_at", "-id").first()
    )
    last = sibling or (
        NoticeDraft.objects.filter(unit=round.unit)
        .exclude(round=round)
        .order_by("-updated_at", "-id")
        .first()
    )
    if last is not None:
        values.update(
            phone=last.phone, address=last.address, email=last.email, signing_unit=last.signing_unit
        )
    if sibling is not None and kind == "report":
        values["progress_texts"] = dict(sibling.progress_texts or {})
    return values


def draft_for(round: Round, kind: str = "notice") -> NoticeDraft:
    """The round's saved draft of ``kind``, or an unsaved one with the defaults (version 0)."""
    found = NoticeDraft.objects.filter(round=round, kind=kind).first()
    if found is not None:
        return found
    return NoticeDraft(round=round, unit=round.unit, kind=kind, version=0, **draft_defaults(round, kind))


# --- reading the ledger -------------------------------------------------------------------------


@dataclass
class MeasureRow:
    measure: Measure
    #: The latest raw progress note (only when asked for, for the clerk's editing page). A
    #: document never prints it: a measure's progress there is the clerk's public wording.
    latest_note: str = ""


@dataclass
class DocumentLedger:
    overview: selectors.Overview
    measures: dict[int, list[MeasureRow]]
    rules: int
    money: Decimal
    accountable: int


def document_ledger(user: Viewer, round: Round, *, notes: bool = False) -> DocumentLedger:
    """The round as a document shows it to ``user``: the overview (scope-checked, pruned to the
    user's clearance), the measures by finding, and the outcomes' figures. ``notes`` adds each
    measure's latest raw progress note, for the page where the clerk words the public progress."""
    overview = selectors.round_overview(user=user, round=round)  # scope check
    latest: dict[int, str] = {}
    if notes:
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
