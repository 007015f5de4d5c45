"""What a published version stores besides its files: the blocks, the figures, the open data.

The shapes are the contract with the public site (``/work/shared/docs/interfaces.md``, "The
public site"): ``blocks`` ``[{"role", "text"}]``; ``figures`` the headline counts; ``data`` the
public problems and measures, their texts masked as in the document.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from typing import Any

from zhenggai.ledger import selectors
from zhenggai.ledger.models import FindingKind, MeasureKind
from zhenggai.ledger.policy import COUNTED_COMPLETE, FINISHED, ProblemState
from zhenggai.reports.selectors import DocumentLedger

from .check import Slot


def blocks(slots: list[Slot], texts: list[str]) -> list[dict[str, str]]:
    """The document as published: each block's role and (masked) text, in order."""
    return [{"role": s.role, "text": t} for s, t in zip(slots, texts, strict=True)]


def figures(ledger: DocumentLedger) -> dict[str, Any]:
    """The headline counts: every problem and measure of the round, whatever its label."""
    t = ledger.overview.tally
    return {
        "problems": t.problems,
        "completed": t.problems_complete,
        "basic": t.problems_basic,
        "in_progress": t.problems - t.problems_complete - t.problems_basic,
        "measures": t.measure_total,
        "measures_done": sum(t.measures[s] for s in FINISHED),
        "overdue": t.overdue,
        "rules": ledger.rules,
        "money_yuan": f"{ledger.money:.2f}",
        "accountable": ledger.accountable,
        "completion_rate": round(t.problems_complete / t.problems, 4) if t.problems else 0.0,
    }


def _state(state: str) -> str:
    if state in COUNTED_COMPLETE:
        return "已完成"
    if state == ProblemState.BASIC:
        return "基本完成"
    return "正在整改"


def data(
    ledger: DocumentLedger, progress_texts: Mapping[str, str], mask: Callable[[str], str]
) -> dict[str, Any]:
    """The public problems and measures (the ledger is read through the public lens, so only
    those labelled 公开 are there), each text passed through ``mask``."""
    problems: list[dict[str, Any]] = []

    def visit(node: selectors.Node, category: str, issue: str) -> None:
        f = node.finding
        if f.kind == FindingKind.CATEGORY:
            category = f.title
        elif f.kind == FindingKind.ISSUE:
            issue = f.title
        else:
            measures = []
            for i, row in enumerate(ledger.measures.get(f.pk, []), 1):
                m = row.measure
                measures.append(
                    {
                        "seq": i,
                        "text": mask(m.text.strip()),
                        "status": m.get_status_display(),
                        "deadline": m.deadline.isoformat() if m.deadline else None,
                        "long_term": m.kind == MeasureKind.LONG_TERM,
                        "completed_on": m.completed_on.isoformat() if m.completed_on else None,
                        "progress": mask(str(progress_texts.get(str(m.pk), "")).strip()),
                    }
                )
            problems.append(
                {
                    "seq": len(problems) + 1,
                    "category": mask(category),
                    "issue": mask(issue),
                    "title": mask(f.title),
                    "state": _state(node.state),
                    "measures": measures,
                }
            )
        for child in node.children:
            visit(child, category, issue)

    for root in ledger.overview.roots:
        visit(root, "", "")
    return {"problems": problems}


def content_sha256(**parts: Any) -> str:
    """A digest of what a version publishes (the public site's ETag base)."""
    text = json.dumps(parts, ensure_ascii=False, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
