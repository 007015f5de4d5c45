"""Rounds (巡察轮次): the list the token's user may see, and one round with its figures."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema

from zhenggai.ledger import selectors
from zhenggai.ledger.models import Round

from ..errors import COMMON
from ..pagination import Page, keyset, page

router = Router()


class RoundOut(Schema):
    id: int
    title: str
    kind: str
    unit_id: int
    unit_name: str
    inspecting_group: str
    feedback_date: dt.date | None
    plan_due: dt.date | None
    report_due: dt.date | None
    plan_version: int
    version: int
    created_at: dt.datetime


class RoundDetailOut(RoundOut):
    measure_count: int
    done_count: int
    overdue_count: int
    problem_count: int


def _out(r: Round) -> dict[str, object]:
    return {
        "id": r.pk,
        "title": r.title,
        "kind": r.kind,
        "unit_id": r.unit_id,
        "unit_name": r.unit.name,
        "inspecting_group": r.inspecting_group,
        "feedback_date": r.feedback_date,
        "plan_due": r.plan_due,
        "report_due": r.report_due,
        "plan_version": r.plan_version,
        "version": r.version,
        "created_at": r.created_at,
    }


@router.get("", response={200: Page[RoundOut], **COMMON}, summary="巡察轮次列表")
def round_list(
    request: HttpRequest, limit: int | None = None, cursor: str | None = None
) -> dict[str, object]:
    """The rounds of the units the token reaches, oldest first (by id), one page."""
    rows, nxt = keyset(
        selectors.round_list_for_user(user=request.user), cursor=cursor, limit=limit, scope="rounds"
    )
    return page([_out(r) for r in rows], nxt)


@router.get("/{int:round_id}", response={200: RoundDetailOut, **COMMON}, summary="巡察轮次详情")
def round_detail(request: HttpRequest, round_id: int) -> dict[str, object]:
    """One round with its counts of problems, measures, done and overdue measures."""
    r = selectors.round_rows(user=request.user, today=selectors.today()).filter(pk=round_id).first()
    if r is None:
        from django.http import Http404

        raise Http404
    out = _out(r)
    out.update(
        measure_count=r.measure_count,  # type: ignore[attr-defined]
        done_count=r.done_count,  # type: ignore[attr-defined]
        overdue_count=r.overdue_count,  # type: ignore[attr-defined]
        problem_count=r.problem_count,  # type: ignore[attr-defined]
    )
    return out
