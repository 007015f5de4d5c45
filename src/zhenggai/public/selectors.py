"""What the public site reads: published versions only, and only their published fields.

Every function here reads ``Publication`` and ``PublicationVersion`` (with the unit's name) and
nothing of the ledger: a published version carries its text, figures and open data frozen at
approval, so the public pages are served without touching the working tables, and nothing that
was not approved for publication can reach them. A pending, rejected or cancelled submission
never appears. There is no acting user: everything returned is public.

The number of queries of each function is constant (one or two), whatever the number of rounds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, QuerySet

from zhenggai.disclosure.models import DocumentKind, Publication, PublicationVersion, VersionStatus
from zhenggai.ledger.policy import ProblemState

KINDS = tuple(DocumentKind.values)
KIND_LABELS = dict(DocumentKind.choices)
FILE_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}
COUNT_KEYS = ("problems", "completed", "basic", "in_progress", "measures", "measures_done", "overdue")

# The light columns of a version: enough for lists, links, figures and cache validators.
_LIGHT = (
    "id",
    "kind",
    "number",
    "title",
    "as_of",
    "published_at",
    "change_note",
    "figures",
    "content_sha256",
    "pdf_sha256",
    "docx_sha256",
    "publication__id",
    "publication__public_id",
    "publication__round_id",
    "publication__unit__name",
)


@dataclass(frozen=True)
class VersionRef:
    """A published version without its text and files."""

    id: int
    public_id: str
    unit: str
    kind: str
    number: int
    title: str
    as_of: dt.date
    published_at: dt.datetime
    change_note: str
    figures: dict[str, Any]
    content_sha256: str
    pdf_sha256: str
    docx_sha256: str

    @property
    def kind_label(self) -> str:
        return KIND_LABELS.get(self.kind, self.kind)


@dataclass(frozen=True)
class PublicVersion(VersionRef):
    """A published version with its text (``blocks``) and open data (``data``)."""

    blocks: list[dict[str, Any]] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class PublicRound:
    """A round on the public site: its published versions, newest first."""

    public_id: str
    round_id: int
    unit: str
    versions: tuple[VersionRef, ...]

    @property
    def latest(self) -> VersionRef:
        """The last publication (the latest as-of date; the newest publication on a tie)."""
        return max(self.versions, key=lambda v: (v.as_of, v.published_at, v.id))

    @property
    def title(self) -> str:
        return self.latest.title

    @property
    def as_of(self) -> dt.date:
        return self.latest.as_of

    @property
    def published(self) -> dt.datetime:
        """When the round first appeared on the public site."""
        return min(v.published_at for v in self.versions)

    @property
    def updated(self) -> dt.datetime:
        return max(v.published_at for v in self.versions)

    @property
    def figures(self) -> dict[str, Any]:
        return self.latest.figures

    def counts(self) -> dict[str, Any]:
        """The headline counts of the open data (zhenggai.open/1)."""
        figures = self.figures
        counts: dict[str, Any] = {key: int(figures.get(key) or 0) for key in COUNT_KEYS}
        counts["completion_rate"] = float(figures.get("completion_rate") or 0)
        return counts

    def current(self) -> dict[str, VersionRef]:
        """The current (highest-numbered) version of each document kind."""
        found: dict[str, VersionRef] = {}
        for v in self.versions:
            if v.kind not in found or v.number > found[v.kind].number:
                found[v.kind] = v
        return {k: found[k] for k in KINDS if k in found}


@dataclass(frozen=True)
class RoundPage:
    round: PublicRound
    #: The current version of each kind, with text and data, in the order of ``KINDS``.
    current: dict[str, PublicVersion]

    @property
    def last(self) -> PublicVersion:
        """The last publication, with its data (the open items are read from it)."""
        latest = self.round.latest
        return next(v for v in self.current.values() if v.id == latest.id)

    def open_items(self) -> list[dict[str, Any]]:
        """The problems not 已完成 as of the last publication, with their measures."""
        problems = self.last.data.get("problems") or []
        return [p for p in problems if p.get("state") != ProblemState.COMPLETE]

    def earlier(self) -> list[VersionRef]:
        """Every published version except the current ones, newest first."""
        current = {v.id for v in self.current.values()}
        return [v for v in self.round.versions if v.id not in current]


@dataclass(frozen=True)
class VersionFile:
    data: bytes
    sha256: str
    content_type: str
    filename: str


def _published() -> QuerySet[PublicationVersion]:
    return PublicationVersion.objects.filter(status=VersionStatus.PUBLISHED, number__isnull=False)


def _ref(row: dict[str, Any]) -> VersionRef:
    return VersionRef(**_ref_fields(row))


def _ref_fields(row: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "public_id": row["publication__public_id"],
        "unit": row["publication__unit__name"],
        "kind": row["kind"],
        "number": row["number"],
        "title": row["title"],
        "as_of": row["as_of"],
        "published_at": row["published_at"],
        "change_note": row["change_note"],
        "figures": row["figures"] or {},
        "content_sha256": row["content_sha256"],
        "pdf_sha256": row["pdf_sha256"],
        "docx_sha256": row["docx_sha256"],
    }


def _newest_first(qs: QuerySet[PublicationVersion]) -> QuerySet[PublicationVersion]:
    return qs.order_by("-published_at", "-id")


def _group(rows: list[dict[str, Any]]) -> list[PublicRound]:
    by_pub: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        by_pub.setdefault(row["publication__id"], []).append(row)
    return [
        PublicRound(
            public_id=group[0]["publication__public_id"],
            round_id=group[0]["publication__round_id"],
            unit=group[0]["publication__unit__name"],
            versions=tuple(_ref(r) for r in group),
        )
        for group in by_pub.values()
    ]


def published_rounds() -> list[PublicRound]:
    """Every round with a published version: by unit name, then the latest publication first.
    One query."""
    rows = list(_newest_first(_published()).values(*_LIGHT))
    rounds = _group(rows)
    rounds.sort(key=lambda r: r.updated, reverse=True)
    rounds.sort(key=lambda r: r.unit)
    return rounds


def public_round(public_id: str) -> PublicRound | None:
    """One round with its published versions, or None (unknown id, nothing published). One query."""
    rows = list(_newest_first(_published().filter(publication__public_id=public_id)).values(*_LIGHT))
    return _group(rows)[0] if rows else None


def _full(ids: list[int]) -> dict[int, PublicVersion]:
    rows = _published().filter(id__in=ids).values(*_LIGHT, "blocks", "data")
    return {
        row["id"]: PublicVersion(**_ref_fields(row), blocks=row["blocks"] or [], data=row["data"] or {})
        for row in rows
    }


def round_page(public_id: str) -> RoundPage | None:
    """The round page: the versions, and the current one of each kind with text and data.
    Two queries."""
    round_ = public_round(public_id)
    if round_ is None:
        return None
    current = round_.current()
    full = _full([v.id for v in current.values()])
    return RoundPage(round=round_, current={kind: full[v.id] for kind, v in current.items()})


def version(public_id: str, kind: str, number: int) -> PublicVersion | None:
    """Published version ``number`` of a round's document, with its text. One query."""
    if kind not in KINDS:
        return None
    row = (
        _published()
        .filter(publication__public_id=public_id, kind=kind, number=number)
        .values(*_LIGHT, "blocks", "data")
        .first()
    )
    if row is None:
        return None
    return PublicVersion(**_ref_fields(row), blocks=row["blocks"] or [], data=row["data"] or {})


def version_file(public_id: str, kind: str, number: int, ext: str) -> VersionFile | None:
    """The stored .pdf or .docx of a published version (the bytes as approved). One query."""
    if kind not in KINDS or ext not in FILE_TYPES:
        return None
    row = (
        _published()
        .filter(publication__public_id=public_id, kind=kind, number=number)
        .values("title", ext, f"{ext}_sha256")
        .first()
    )
    if row is None or not row[ext]:
        return None
    return VersionFile(
        data=bytes(row[ext]),
        sha256=row[f"{ext}_sha256"],
        content_type=FILE_TYPES[ext],
        filename=f"{row['title']}（第{number}版）.{ext}",
    )


def feed_versions(limit: int = 50) -> list[VersionRef]:
    """The newest published versions (the Atom feed). One query."""
    return [_ref(row) for row in _newest_first(_published()).values(*_LIGHT)[:limit]]


def publication_exists(public_id: str) -> bool:
    """Whether the round has a published version (the feedback form is open only then)."""
    return _published().filter(publication__public_id=public_id).exists()


def round_for_feedback(public_id: str) -> Any | None:
    """The round a citizen writes about, for the feedback services (never rendered): only a
    round with a published version. One query."""
    pub = (
        Publication.objects.select_related("round", "round__unit")
        .filter(public_id=public_id, versions__status=VersionStatus.PUBLISHED)
        .first()
    )
    return pub.round if pub is not None else None


def change_token() -> str:
    """A validator for every list of publications (index, open data, feed): it changes with
    each new publication. One query."""
    agg = _published().aggregate(n=Count("id"), last=Max("id"), at=Max("published_at"))
    raw = f"{agg['n']}:{agg['last']}:{agg['at'].isoformat() if agg['at'] else ''}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]
