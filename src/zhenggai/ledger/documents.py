"""The documents a round was imported from (SourceDocument): reads scoped to the user's units,
and a problem's place in its document (the 原文 panel of the problem page).

The text is the document's as read; a finding's or a measure's span points into it. It is user
text: callers render it escaped, never as markup.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from zhenggai.accounts.actors import Viewer
from zhenggai.accounts.models import Sensitivity
from zhenggai.units.selectors import visible_units_q

from .models import DocumentKind, Finding, Measure, Round, SourceDocument
from .policy import clearance_of

#: How much of the document around the problem the panel shows, at most, on each side.
CONTEXT_CHARS = 400

#: The document type the parser names → the kind of document it is in a round.
KIND_OF_DOC_TYPE = {
    "feedback": DocumentKind.FEEDBACK,
    "plan": DocumentKind.PLAN,
    "progress_notice": DocumentKind.NOTICE,
}


def document_list_for_user(*, user: Viewer) -> QuerySet[SourceDocument]:
    """The documents of live rounds in the user's units."""
    return SourceDocument.objects.filter(
        visible_units_q(user), round__in=Round.objects.filter(visible_units_q(user))
    ).select_related("round", "imported_by")


def document_get_for_user(*, user: Viewer, round_pk: int, pk: int) -> SourceDocument:
    """One document of round ``round_pk`` in the user's units, or 404 (never 403)."""
    doc = document_list_for_user(user=user).filter(pk=pk, round_id=round_pk).first()
    if doc is None:
        raise Http404("未找到该来源文件")
    return doc


#: What stands in place of each character of a passage above the reader's clearance.
REDACTED = "■"


def readable_text(document: SourceDocument, *, user: Viewer) -> str | None:
    """The document's text as ``user`` may read it, the same length (spans still point into it):
    the passages of findings and measures labelled above their clearance (客体安全标记) are
    blanked out with ``REDACTED``. None when it cannot be shown at all: a finding of the round
    above their clearance came from another document (or was typed in), so its words may stand
    anywhere in this one."""
    allowed = Sensitivity.up_to(clearance_of(user))
    spans: list[tuple[int, int]] = []
    hidden_findings = Finding.everything.filter(round_id=document.round_id).exclude(sensitivity__in=allowed)
    for source_id, a, b in hidden_findings.values_list("source_id", "span_start", "span_end"):
        if source_id != document.pk or a is None or b is None:
            return None
        spans.append((a, b))
    hidden_measures = Measure.everything.filter(source_id=document.pk).exclude(
        Q(sensitivity__in=allowed) & Q(finding__sensitivity__in=allowed)
    )
    for a, b in hidden_measures.values_list("span_start", "span_end"):
        if a is None or b is None:
            return None
        spans.append((a, b))
    text = document.text
    if not spans:
        return text
    chars = list(text)
    for a, b in spans:
        for i in range(max(a, 0), min(b, len(chars))):
            if chars[i] != "\n":
                chars[i] = REDACTED
    return "".join(chars)


def documents_of(*, round: Round) -> QuerySet[SourceDocument]:
    """The documents of a round the caller has already read through a scoped selector, without
    their text (a list shows names, kinds and dates)."""
    return SourceDocument.objects.filter(round=round).defer("text").select_related("imported_by")


@dataclass(frozen=True)
class Excerpt:
    """A span of a document with the paragraphs around it: ``before`` + ``hit`` + ``after`` is
    a slice of the text; ``cut_before``/``cut_after`` say whether the text goes on."""

    document: SourceDocument
    before: str
    hit: str
    after: str
    cut_before: bool
    cut_after: bool


def _line_start(text: str, i: int) -> int:
    return text.rfind("\n", 0, i) + 1


def _line_end(text: str, i: int) -> int:
    j = text.find("\n", i)
    return len(text) if j < 0 else j


def excerpt(
    document: SourceDocument, text: str, start: int | None, end: int | None, *, paragraphs: int = 1
) -> Excerpt | None:
    """The span ``[start, end)`` of ``text`` (``document``'s, as the reader may read it) with
    ``paragraphs`` whole paragraphs on each side (at most ``CONTEXT_CHARS`` characters a side),
    or None when the span is not in it."""
    if start is None or end is None or not 0 <= start < end <= len(text):
        return None
    lo = _line_start(text, start)
    for _ in range(paragraphs):
        while lo > 0 and not text[_line_start(text, lo - 1) : lo].strip():
            lo = _line_start(text, lo - 1)  # blank lines do not count
        if lo > 0:
            lo = _line_start(text, lo - 1)
    hi = _line_end(text, end - 1)
    for _ in range(paragraphs):
        while hi < len(text) and not text[hi : _line_end(text, hi + 1)].strip():
            hi = _line_end(text, hi + 1)
        if hi < len(text):
            hi = _line_end(text, hi + 1)
    lo = max(lo, start - CONTEXT_CHARS)
    hi = min(hi, end + CONTEXT_CHARS)
    return Excerpt(
        document=document,
        before=text[lo:start],
        hit=text[start:end],
        after=text[end:hi],
        cut_before=lo > 0,
        cut_after=hi < len(text),
    )


def finding_excerpt(finding: Finding, *, user: Viewer) -> Excerpt | None:
    """Where ``finding`` (already read through a scoped selector) stands in its source document,
    with what ``user`` may not read around it blanked out (or None)."""
    if finding.source_id is None:
        return None
    doc = SourceDocument.objects.filter(pk=finding.source_id, round_id=finding.round_id).first()
    if doc is None:
        return None
    text = readable_text(doc, user=user)
    if text is None:
        return None
    return excerpt(doc, text, finding.span_start, finding.span_end)
