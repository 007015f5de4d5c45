"""The open data of the public site (``zhenggai.open/1``, docs/interfaces.md "The public site").

Built from the published versions only (``public.selectors``), for the live site and the static
export alike: the same bytes for the same publications. URLs are absolute (``PUBLIC_BASE_URL``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.feedgenerator import Atom1Feed

from .links import Links, absolute
from .selectors import PublicRound, PublicVersion, RoundPage, VersionRef

SCHEMA = "zhenggai.open/1"
CSV_HEADER = [
    "id",
    "unit",
    "title",
    "published",
    "as_of",
    "url",
    "problems",
    "completed",
    "basic",
    "in_progress",
    "measures",
    "measures_done",
    "overdue",
    "completion_rate",
]
FEED_TITLE = "巡察整改信息公开"


def _when(value: dt.datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


def _round_header(r: PublicRound, links: Links) -> dict[str, Any]:
    return {
        "id": r.public_id,
        "unit": r.unit,
        "title": r.title,
        "published": _when(r.published),
        "updated": _when(r.updated),
        "as_of": r.as_of.isoformat(),
        "url": absolute(links.round(r.public_id)),
        "data": absolute(links.round_json(r.public_id)),
        "counts": r.counts(),
    }


def rounds_document(rounds: list[PublicRound]) -> dict[str, Any]:
    """``rounds.json``: every published round with its stable id and counts."""
    links = Links()
    last = max((r.updated for r in rounds), default=None)
    return {
        "schema": SCHEMA,
        "as_of": _when(last),
        "licence": settings.OPEN_DATA_LICENCE,
        "rounds": [_round_header(r, links) for r in rounds],
    }


def _version_entry(v: VersionRef, links: Links) -> dict[str, Any]:
    return {
        "kind": v.kind,
        "kind_label": v.kind_label,
        "number": v.number,
        "title": v.title,
        "as_of": v.as_of.isoformat(),
        "published": _when(v.published_at),
        "change_note": v.change_note,
        "url": absolute(links.version(v.public_id, v.kind, v.number)),
        "pdf": absolute(links.file(v.public_id, v.kind, v.number, "pdf")) if v.pdf_sha256 else None,
        "pdf_sha256": v.pdf_sha256 or None,
        "docx": absolute(links.file(v.public_id, v.kind, v.number, "docx")) if v.docx_sha256 else None,
        "docx_sha256": v.docx_sha256 or None,
    }


def _document_entry(v: PublicVersion, links: Links) -> dict[str, Any]:
    return {**_version_entry(v, links), "figures": v.figures, "data": v.data}


def round_document(page: RoundPage) -> dict[str, Any]:
    """``rounds/<id>.json``: the round's header, its problems and measures as last published,
    the current version of each document with its data, and every published version."""
    links = Links()
    return {
        "schema": SCHEMA,
        "licence": settings.OPEN_DATA_LICENCE,
        **_round_header(page.round, links),
        "problems": page.last.data.get("problems") or [],
        "documents": {kind: _document_entry(v, links) for kind, v in page.current.items()},
        "versions": [_version_entry(v, links) for v in page.round.versions],
    }


def to_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document, ensure_ascii=False, indent=1, sort_keys=False).encode("utf-8")


def _cell(value: Any) -> str:
    """Text for a spreadsheet: a leading = + - @ (or a tab, a carriage return) would be read as a
    formula (CSV injection), so such a text starts with an apostrophe."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def rounds_csv(rounds: list[PublicRound]) -> bytes:
    """``rounds.csv``: one row per round, every cell quoted, UTF-8 with the byte-order mark
    (Excel reads UTF-8 only with it)."""
    links = Links()
    out = io.StringIO()
    writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in rounds:
        head = _round_header(r, links)
        counts = head["counts"]
        writer.writerow(
            [_cell(head[k]) for k in ("id", "unit", "title", "published", "as_of", "url")]
            + [str(counts[k]) for k in CSV_HEADER[6:]]
        )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def atom_feed(versions: list[VersionRef]) -> bytes:
    """The Atom feed of publications: one entry per published version, newest first."""
    links = Links()
    feed = Atom1Feed(
        title=FEED_TITLE,
        link=absolute(links.index()),
        description="巡察整改进展情况的通报和整改情况报告的发布与更正",
        language="zh-CN",
        feed_url=absolute(links.feed()),
        feed_guid=absolute(links.index()),
    )
    for v in versions:
        url = absolute(links.version(v.public_id, v.kind, v.number))
        summary = f"{v.unit}：{v.kind_label}（第{v.number}版，数据截至{v.as_of.isoformat()}）"
        if v.change_note:
            summary += f"。更正说明：{v.change_note}"
        feed.add_item(
            title=f"{v.title}（第{v.number}版）",
            link=url,
            description=summary,
            unique_id=url,
            pubdate=v.published_at,
            updateddate=v.published_at,
            author_name=v.unit,
        )
    return feed.writeString("utf-8").encode("utf-8")
