"""Reviews (审核): a decision on a submitted measure, and the decisions a measure has had.

As on the measure page, one route reviews both stages: a measure awaiting 责任领导审核 is
reviewed by its responsible leader (``measure_leader_review``), one awaiting review by the unit
head (``measure_review``). Who may decide, and from which status, is the services' to say.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from django.http import HttpRequest
from ninja import Router, Schema

from zhenggai.ledger import policy, selectors, services
from zhenggai.ledger.models import Measure, MeasureStatus, Review

from ..auth import require_write
from ..errors import COMMON, ErrorOut
from ..pagination import Page, keyset, page
from ..refusals import actor_of, recorded
from ..types import Text

router = Router()


class ReviewIn(Schema):
    #: ``approve``, ``approve_stage`` (阶段性完成: long-term measures, by the unit head) or ``return``.
    decision: Literal["approve", "approve_stage", "return"]
    #: Required to return (退回理由); kept with an approval when given.
    reason: Text = ""


class ReviewOut(Schema):
    id: int
    measure_id: int
    decision: str
    decision_label: str
    reason: str
    reviewer_name: str
    created_at: dt.datetime


class ReviewResultOut(Schema):
    """The measure after the decision."""

    measure_id: int
    status: str
    status_label: str
    version: int


def _out(r: Review) -> dict[str, object]:
    return {
        "id": r.pk,
        "measure_id": r.measure_id,
        "decision": r.decision,
        "decision_label": r.get_decision_display(),
        "reason": r.reason,
        "reviewer_name": str(r.reviewer.display_name or r.reviewer.username),
        "created_at": r.created_at,
    }


def _action(measure: Measure, decision: str) -> tuple[bool, str]:
    """Whether this is the responsible leader's pre-review, and the audit action a refusal is
    recorded under (the one the service would have recorded)."""
    leader = measure.status == MeasureStatus.LEADER_REVIEW
    if leader:
        # The leader has no 阶段性完成: the service refuses it as input; a refusal is an approval's.
        return True, f"measure.{policy.LEADER_REVIEW_ACTIONS.get(decision, 'leader_approve')}"
    return False, f"measure.{policy.REVIEW_ACTIONS[decision]}"


@router.post(
    "/measures/{int:measure_id}/review",
    response={200: ReviewResultOut, 409: ErrorOut, **COMMON},
    summary="审核整改措施（通过、阶段性完成或退回）",
)
def review_create(request: HttpRequest, measure_id: int, body: ReviewIn) -> dict[str, object]:
    """Decide on a submitted measure: the unit head (第一责任人) approves, marks 阶段性完成
    (long-term measures) or returns it with a reason; a measure awaiting 责任领导审核 is decided by
    its responsible leader (approve sends it on to the unit head, return back to work). Anyone
    else is refused (403 ``not_allowed``, recorded); a measure not awaiting that review is 409
    ``transition_refused``."""
    require_write(request)
    measure = selectors.measure_get_for_user(user=request.user, pk=measure_id)
    leader, action = _action(measure, body.decision)
    review = services.measure_leader_review if leader else services.measure_review
    with recorded(request, action=action, obj=measure):
        m = review(actor=actor_of(request), measure=measure, decision=body.decision, reason=body.reason)
    return {
        "measure_id": m.pk,
        "status": m.status,
        "status_label": m.get_status_display(),
        "version": m.version,
    }


@router.get(
    "/measures/{int:measure_id}/reviews",
    response={200: Page[ReviewOut], **COMMON},
    summary="整改措施的审核记录",
)
def review_list(
    request: HttpRequest, measure_id: int, limit: int | None = None, cursor: str | None = None
) -> dict[str, object]:
    """The review decisions on a measure, oldest first: approvals, 阶段性完成 and returns (by the
    unit head, the responsible leader, or a supervisor's send-back or reopening)."""
    measure = selectors.measure_get_for_user(user=request.user, pk=measure_id)
    rows, nxt = keyset(
        selectors.reviews_of_measure(measure=measure),
        cursor=cursor,
        limit=limit,
        scope=f"reviews:{measure.pk}",
    )
    return page([_out(r) for r in rows], nxt)
