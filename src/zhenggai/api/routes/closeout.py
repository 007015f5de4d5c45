"""Close-out (对账销号): a supervisor closes a problem whose measures are all complete, sends it
back to work, or reopens a closed one; each with the opinion or reason the service requires.

The routes call ``ledger.services.finding_close`` / ``finding_send_back`` / ``finding_reopen`` as
the problem page does; a refusal is recorded and answered in the error shape (a problem closed
twice is 409 ``transition_refused``).
"""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from zhenggai.ledger import selectors, services
from zhenggai.ledger.models import Finding

from ..auth import require_write
from ..errors import COMMON, ErrorOut
from ..refusals import actor_of, recorded
from ..types import Text

router = Router()


class CloseIn(Schema):
    #: 销号意见: whether the work is done and which materials were checked (required).
    opinion: Text


class ReasonIn(Schema):
    #: Why (required).
    reason: Text


class FindingStateOut(Schema):
    """The problem after the action."""

    id: int
    status: str
    status_label: str
    closed_at: dt.datetime | None
    cycle: int
    reopen_count: int


def _out(f: Finding) -> dict[str, object]:
    return {
        "id": f.pk,
        "status": f.status,
        "status_label": f.get_status_display(),
        "closed_at": f.closed_at,
        "cycle": f.cycle,
        "reopen_count": f.reopen_count,
    }


_RESPONSES = {200: FindingStateOut, 409: ErrorOut, **COMMON}


@router.post("/{int:finding_id}/close", response=_RESPONSES, summary="对账销号")
def finding_close(request: HttpRequest, finding_id: int, body: CloseIn) -> dict[str, object]:
    """A supervisor closes a problem whose measures are all complete, with the opinion the
    close-out rests on (``opinion``, required: 400 naming it when empty). Anyone else: 403
    ``not_allowed``, recorded; a problem already closed or with unfinished measures: 409."""
    require_write(request)
    finding = selectors.finding_get_for_user(user=request.user, pk=finding_id)
    with recorded(request, action="finding.close", obj=finding):
        f = services.finding_close(actor=actor_of(request), finding=finding, opinion=body.opinion)
    return _out(f)


@router.post("/{int:finding_id}/send-back", response=_RESPONSES, summary="退回整改（不予销号）")
def finding_send_back(request: HttpRequest, finding_id: int, body: ReasonIn) -> dict[str, object]:
    """A supervisor refuses the close-out: the problem's finished measures, and those awaiting
    review, go back to work with the reason (``reason``, required)."""
    require_write(request)
    finding = selectors.finding_get_for_user(user=request.user, pk=finding_id)
    with recorded(request, action="finding.send_back", obj=finding):
        f = services.finding_send_back(actor=actor_of(request), finding=finding, reason=body.reason)
    return _out(f)


@router.post("/{int:finding_id}/reopen", response=_RESPONSES, summary="重新打开已销号的问题")
def finding_reopen(request: HttpRequest, finding_id: int, body: ReasonIn) -> dict[str, object]:
    """A supervisor reopens a closed problem (``reason``, required): its finished measures go back
    to work, to be reported, reviewed and closed again."""
    require_write(request)
    finding = selectors.finding_get_for_user(user=request.user, pk=finding_id)
    with recorded(request, action="finding.reopen", obj=finding):
        f = services.finding_reopen(actor=actor_of(request), finding=finding, reason=body.reason)
    return _out(f)
