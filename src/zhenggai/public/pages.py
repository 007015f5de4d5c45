"""The template contexts of the published pages, shared by the live site and the static export.

A context holds only published fields and links made by a ``Links`` object; the pages show
nothing of the visitor (no session, no token), so every visitor gets the same bytes.
"""

from __future__ import annotations

from typing import Any

from zhenggai.feedback.selectors import PublicReply, public_replies
from zhenggai.ledger.models import Round

from .links import Links
from .selectors import PublicRound, PublicVersion, RoundPage, VersionRef

# A document's block roles → the HTML element, below the page's own heading level.
_HEADINGS = {"title": 0, "h1": 1, "h2": 2, "h3": 3, "h4": 4}
_CLASSES = {"sign": "doc-sign", "date": "doc-date"}


def blocks_html(blocks: list[dict[str, Any]], *, top: int, skip_title: bool = False) -> list[dict[str, str]]:
    """The document's blocks as elements: ``title`` becomes ``h<top>``, ``h1`` the level below
    and so on (at most h6); paragraphs, signature and date become ``p``. ``skip_title`` leaves
    the title out (the page shows it as its own heading). Texts stay data: the template escapes
    them."""
    out: list[dict[str, str]] = []
    for block in blocks:
        role = str(block.get("role", "body"))
        text = str(block.get("text", ""))
        if role == "blank" or not text.strip() or (skip_title and role == "title"):
            continue
        if role in _HEADINGS:
            out.append({"tag": f"h{min(6, top + _HEADINGS[role])}", "cls": "", "text": text})
        else:
            out.append({"tag": "p", "cls": _CLASSES.get(role, ""), "text": text})
    return out


def percent(rate: Any) -> str:
    try:
        return f"{float(rate) * 100:.1f}%"
    except (TypeError, ValueError):
        return "—"


def figures_view(figures: dict[str, Any]) -> dict[str, Any]:
    return {
        "problems": int(figures.get("problems") or 0),
        "completed": int(figures.get("completed") or 0),
        "basic": int(figures.get("basic") or 0),
        "in_progress": int(figures.get("in_progress") or 0),
        "measures": int(figures.get("measures") or 0),
        "measures_done": int(figures.get("measures_done") or 0),
        "overdue": int(figures.get("overdue") or 0),
        "rate": percent(figures.get("completion_rate")),
    }


def version_ref_view(v: VersionRef, links: Links) -> dict[str, Any]:
    return {
        "kind": v.kind,
        "kind_label": v.kind_label,
        "number": v.number,
        "title": v.title,
        "as_of": v.as_of,
        "published_at": v.published_at,
        "change_note": v.change_note,
        "url": links.version(v.public_id, v.kind, v.number),
        "pdf_url": links.file(v.public_id, v.kind, v.number, "pdf") if v.pdf_sha256 else "",
        "docx_url": links.file(v.public_id, v.kind, v.number, "docx") if v.docx_sha256 else "",
    }


def round_card(r: PublicRound, links: Links) -> dict[str, Any]:
    return {
        "public_id": r.public_id,
        "unit": r.unit,
        "title": r.title,
        "as_of": r.as_of,
        "updated": r.updated,
        "figures": figures_view(r.figures),
        "url": links.round(r.public_id),
    }


def common(links: Links) -> dict[str, Any]:
    """What the base template links to."""
    return {
        "links": {
            "index": links.index(),
            "track": links.track(),
            "rounds_json": links.rounds_json(),
            "rounds_csv": links.rounds_csv(),
            "feed": links.feed(),
            "css": links.css(),
        }
    }


def index_context(rounds: list[PublicRound], links: Links) -> dict[str, Any]:
    """The units and their rounds, in the order of ``published_rounds`` (by unit)."""
    units: list[dict[str, Any]] = []
    for r in rounds:
        if not units or units[-1]["name"] != r.unit:
            units.append({"name": r.unit, "rounds": []})
        units[-1]["rounds"].append(round_card(r, links))
    return {**common(links), "units": units}


def document_view(v: PublicVersion, links: Links, *, top: int, skip_title: bool = False) -> dict[str, Any]:
    return {**version_ref_view(v, links), "blocks": blocks_html(v.blocks, top=top, skip_title=skip_title)}


def open_items_view(problems: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "seq": p.get("seq"),
            "category": p.get("category", ""),
            "title": p.get("title", ""),
            "issue": p.get("issue", ""),
            "state": p.get("state", ""),
            "measures": [
                {
                    "seq": m.get("seq"),
                    "text": m.get("text", ""),
                    "status": m.get("status", ""),
                    "deadline": m.get("deadline") or "",
                    "long_term": bool(m.get("long_term")),
                    "completed_on": m.get("completed_on") or "",
                    "progress": m.get("progress", ""),
                }
                for m in p.get("measures") or []
            ],
        }
        for p in problems
    ]


def published_replies(round_id: int) -> list[PublicReply]:
    """The replies to citizens published with their consent (F's public selector: the reply and
    its dates only). ``Round`` serves only as the foreign key: no ledger row is read."""
    return public_replies(round=Round(pk=round_id))


def round_context(
    page: RoundPage, links: Links, *, replies: list[PublicReply] | None = None
) -> dict[str, Any]:
    """The round page: the current documents, the figures, the open items and the channels."""
    r = page.round
    return {
        **common(links),
        "round": round_card(r, links),
        "documents": [document_view(v, links, top=3) for v in page.current.values()],
        "earlier": [version_ref_view(v, links) for v in page.earlier()],
        "last": version_ref_view(page.last, links),
        "figures": figures_view(page.last.figures),
        "open_items": open_items_view(page.open_items()),
        "replies": replies,
        "feedback_url": links.feedback(r.public_id),
        "qr_url": links.qr(r.public_id),
        "data_url": links.round_json(r.public_id),
    }


def version_context(v: PublicVersion, links: Links) -> dict[str, Any]:
    """A published version's own page: the same bytes for as long as it exists (it links to the
    round page for the current version, and shows nothing that changes later)."""
    return {
        **common(links),
        "doc": document_view(v, links, top=1, skip_title=True),
        "figures": figures_view(v.figures),
        "unit": v.unit,
        "round_url": links.round(v.public_id),
    }
