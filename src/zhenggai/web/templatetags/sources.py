"""The 原文 panel of the problem page: where a problem stands in the document it came from."""

from __future__ import annotations

from django import template

from zhenggai.ledger import documents
from zhenggai.ledger.models import Finding, Round, SourceDocument

register = template.Library()


@register.simple_tag(takes_context=True)
def source_excerpt(context: template.Context, finding: Finding) -> documents.Excerpt | None:
    """The problem's span in its source document with the paragraphs around it (or None). The
    finding was read through a scoped selector; its document is of the same round; what the
    user is not cleared for is blanked out."""
    return documents.finding_excerpt(finding, user=context["request"].user)


@register.simple_tag
def round_documents(round: Round) -> list[SourceDocument]:
    """The documents ``round`` (read through a scoped selector) was imported from, in order."""
    return list(documents.documents_of(round=round))
