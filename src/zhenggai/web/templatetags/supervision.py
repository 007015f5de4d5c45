"""The warning tier's colour badge (green / yellow / red / black) of a measure, wherever it is
listed. The tier is computed before the page renders (annotated by the selector, or set on a
page's rows by ``supervision.selectors.desks.attach_tiers``): never one query per row."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from zhenggai.supervision.rules import LEVEL_CSS, LEVELS

register = template.Library()

#: Short names for the badge (the full name is its title).
SHORT: dict[str, str] = {"green": "绿", "yellow": "黄", "red": "红", "black": "黑"}


@register.simple_tag
def tier_badge(tier: Any) -> SafeString:
    """The badge of a tier key (``""`` or an unknown key: nothing)."""
    key = str(tier or "")
    if key not in LEVELS:
        return SafeString("")
    return format_html(
        '<span class="badge tier-badge {}" title="{}" data-tier="{}">{}</span>',
        LEVEL_CSS[key],
        LEVELS[key],
        key,
        SHORT[key],
    )


@register.filter
def tier_name(tier: Any) -> str:
    """The tier's name (绿色预警…), or "" for none."""
    return LEVELS.get(str(tier or ""), "")


@register.filter(is_safe=True)
def clip(value: Any, length: int) -> str:
    """``truncatechars`` for long lists: the first ``length - 1`` characters and "…" (Django's
    walks every character of the text for combining marks, which Chinese text has none of)."""
    text = "" if value is None else str(value)
    n = int(length)
    return text if len(text) <= n else text[: max(n - 1, 0)] + "…"
