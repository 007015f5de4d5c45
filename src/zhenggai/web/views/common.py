"""What the staff pages share: paging and the 安全标记 badge and form of problem and measure
pages. The answer to a refused service call is ``zhenggai.http.errors``."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property

from zhenggai.accounts.actors import Viewer
from zhenggai.accounts.models import Sensitivity
from zhenggai.ledger import policy


def page_number(request: HttpRequest) -> str:
    return request.GET.get("page") or "1"


def number_param(value: str | None, digits: int = 12) -> int | None:
    """A positive number from a query string (at most ``digits`` ASCII digits), else None.
    ``str.isdigit`` alone takes "²" or "①", which ``int()`` then refuses with a 500."""
    if value and len(value) <= digits and value.isascii() and value.isdigit():
        return int(value)
    return None


class CappedPaginator(Paginator):
    """Numbered pages over the first ``cap`` rows of a list: its count reads at most ``cap + 1``
    rows, so a list of a whole province costs what a list of a county does. ``capped`` says
    there were more (the page says "more than"; a narrower filter finds the rest)."""

    cap = 1000
    capped = False

    @cached_property
    def count(self) -> int:
        rows = cast("QuerySet[Any]", self.object_list)
        n = rows.order_by().values("pk")[: self.cap + 1].count()
        self.capped = n > self.cap
        return min(n, self.cap)


# --- 安全标记 (REQ-1.10) ------------------------------------------------------------------------

LABEL_CSS: dict[str, str] = {
    Sensitivity.PUBLIC: "text-bg-light border",
    Sensitivity.INTERNAL: "text-bg-secondary",
    Sensitivity.SENSITIVE: "text-bg-danger",
}


def label_badge(label: str) -> dict[str, str]:
    """What the page shows of a label: its name and the badge's classes."""
    name = Sensitivity(label).label if label in Sensitivity.values else label
    return {"value": label, "name": name, "css": LABEL_CSS.get(label, "text-bg-dark")}


class LabelForm(forms.Form):
    """The 安全标记 of a problem or measure. Any label is accepted here, so that one above the
    user's clearance reaches the service and is refused there (and recorded); the list offers
    only ``offered``."""

    sensitivity = forms.ChoiceField(label="安全标记", choices=Sensitivity.choices)

    def __init__(self, *args: Any, offered: list[str] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "label")
        super().__init__(*args, **kwargs)
        if offered is not None:
            widget = self.fields["sensitivity"].widget
            widget.choices = [(v, n) for v, n in Sensitivity.choices if v in offered]


def label_choices(user: Viewer, floor: str | None = None) -> list[str]:
    """Labels the user may give: up to their clearance, and not below ``floor`` (a parent's)."""
    offered = Sensitivity.up_to(policy.clearance_of(user))
    if floor in Sensitivity.values:
        offered = [v for v in offered if Sensitivity.values.index(v) >= Sensitivity.values.index(floor)]
    return offered
