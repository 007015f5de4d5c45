"""Measures (整改措施): the search page's list, one measure, its edit, its submission and its
requests for a later deadline (申请延期).

The list takes the filters of 搜索与筛选 (``ledger.selectors.measure_search``) and pages by id.
Writes go through the services the measure page calls, after ``require_write``; a refusal is
recorded (``api.refusals.recorded``) and answered in the error shape: 403 ``not_allowed``, 409
``transition_refused`` / ``stale_edit`` / ``gone``. The edit carries the ``version`` the client
read: a measure changed since is a 409 ``stale_edit``, nothing saved.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema, Status

from zhenggai.accounts.actors import Viewer
from zhenggai.errors import InvalidInput
from zhenggai.ledger import policy, selectors, services
from zhenggai.ledger.models import Measure, MeasureKind, MeasureStatus
from zhenggai.ledger.selectors import MeasureFilters
from zhenggai.supervision.models import Extension, ExtensionStatus
from zhenggai.supervision.selectors import warnings as supervision_selectors
from zhenggai.supervision.services import extensions as ext_services
from zhenggai.units.selectors import departments_under, members_of

from ..auth import require_write
from ..errors import COMMON, ErrorOut
from ..pagination import Page, keyset, page_response
from ..refusals import actor_of, recorded
from ..types import Id, IsoDate, Text

router = Router()

#: The answers of a write: the common ones and the refused transition or stale edit.
WRITE = {**COMMON, 409: ErrorOut}




class MeasureOut(Schema):
    id: int
    round_id: int
    round_title: str
    unit_id: int
    finding_id: int
    finding_number: str
    finding_title: str
    position: int
    text: str
    kind: MeasureKind
    status: MeasureStatus
    leader_id: int | None
    leader_name: str | None
    department_id: int | None
    department_name: str | None
    person_id: int | None
    person_name: str | None
    deadline: dt.date | None
    #: The deadline before the first granted extension (null: never extended).
    original_deadline: dt.date | None
    #: Open and past its deadline today.
    overdue: bool
    #: Send it back with an edit (``PATCH``): a measure changed since is refused (409 ``stale_edit``).
    version: int
    updated_at: dt.datetime


class ExtensionOut(Schema):
    id: int
    measure_id: int
    #: ``pending`` (待审批), ``granted``, ``refused`` or ``withdrawn``.
    status: ExtensionStatus
    old_deadline: dt.date | None
    new_deadline: dt.date
    reason: str
    requested_by_id: int
    requested_by_name: str
    decided_by_id: int | None
    decided_by_name: str | None
    decided_at: dt.datetime | None
    opinion: str
    created_at: dt.datetime


class MeasureDetailOut(MeasureOut):
    unit_name: str
    #: The label that counts: the higher of the measure's own and its problem's (安全标记).
    sensitivity: str
    suggested_deadline: dt.date | None
    completed_on: dt.date | None
    assigned_at: dt.datetime | None
    created_at: dt.datetime
    #: What the token's user may do to it now (``ledger.policy.allowed_actions``).
    allowed_actions: list[str]
    #: Of its requests for a later deadline: ``request``, ``decide``, ``withdraw`` (the latter two
    #: on ``pending_extension``).
    extension_actions: list[str]
    pending_extension: ExtensionOut | None


class MeasureSearch(Schema):
    """The filters of 搜索与筛选 (``ledger.selectors.MeasureFilters``)."""

    round: Id | None = None
    status: MeasureStatus | None = None
    department: Id | None = None
    person: Id | None = None
    deadline_from: IsoDate | None = None
    deadline_to: IsoDate | None = None
    #: Only open measures past their deadline.
    overdue: bool = False
    #: Only measures without a responsible person (待分配).
    unassigned: bool = False
    #: Words (up to five) each found in the measure's text or its problem's title.
    text: Text = Field("", max_length=100)


class MeasureUpdateIn(Schema):
    """What the measure page's edit form sends; a field left out is left as it is, ``null``
    clears a responsible leader, department, person or deadline."""

    version: int = Field(..., ge=1)
    # Left out: unchanged. Neither may be emptied, so neither takes null (422): the default is
    # only the mark of a field not sent (pydantic does not validate defaults).
    text: Text = None  # type: ignore[assignment]
    kind: MeasureKind = None  # type: ignore[assignment]
    #: Ids: the leader and the person among the unit's members, the department inside the unit.
    leader: Id | None = None
    department: Id | None = None
    person: Id | None = None
    deadline: IsoDate | None = None


class ExtensionRequestIn(Schema):
    new_deadline: IsoDate
    reason: Text = Field(..., max_length=2000)


class ExtensionDecisionIn(Schema):
    grant: bool
    #: Required when refusing.
    opinion: Text = Field("", max_length=2000)


def _name(user: Any) -> str | None:
    return str(user) if user is not None else None


def _out(m: Measure, today: dt.date) -> dict[str, Any]:
    return {
        "id": m.pk,
        "round_id": m.round_id,
        "round_title": m.round.title,
        "unit_id": m.unit_id,
        "finding_id": m.finding_id,
        "finding_number": m.finding.number,
        "finding_title": m.finding.title,
        "position": m.position,
        "text": m.text,
        "kind": m.kind,
        "status": m.status,
        "leader_id": m.leader_id,
        "leader_name": _name(m.leader),
        "department_id": m.department_id,
        "department_name": m.department.name if m.department else None,
        "person_id": m.person_id,
        "person_name": _name(m.person),
        "deadline": m.deadline,
        "original_deadline": m.original_deadline,
        "overdue": policy.is_overdue(m.status, m.deadline, today),
        "version": m.version,
        "updated_at": m.updated_at,
    }


_LIST_COLUMNS = (
    "pk",
    "round_id",
    "round__title",
    "unit_id",
    "finding_id",
    "finding__number",
    "finding__title",
    "position",
    "text",
    "kind",
    "status",
    "leader_id",
    "leader__display_name",
    "leader__username",
    "department_id",
    "department__name",
    "person_id",
    "person__display_name",
    "person__username",
    "deadline",
    "original_deadline",
    "version",
    "updated_at",
)


def _user_name(row: dict[str, Any], field: str) -> str | None:
    """As ``str(user)`` (its display name, else its username) from a row of ``_LIST_COLUMNS``."""
    if row[f"{field}_id"] is None:
        return None
    return str(row[f"{field}__display_name"] or row[f"{field}__username"])


def _list_out(r: dict[str, Any], today: dt.date) -> dict[str, Any]:
    """``_out`` of a row of ``_LIST_COLUMNS``."""
    return {
        "id": r["pk"],
        "round_id": r["round_id"],
        "round_title": r["round__title"],
        "unit_id": r["unit_id"],
        "finding_id": r["finding_id"],
        "finding_number": r["finding__number"],
        "finding_title": r["finding__title"],
        "position": r["position"],
        "text": r["text"],
        "kind": r["kind"],
        "status": r["status"],
        "leader_id": r["leader_id"],
        "leader_name": _user_name(r, "leader"),
        "department_id": r["department_id"],
        "department_name": r["department__name"] if r["department_id"] is not None else None,
        "person_id": r["person_id"],
        "person_name": _user_name(r, "person"),
        "deadline": r["deadline"],
        "original_deadline": r["original_deadline"],
        "overdue": policy.is_overdue(r["status"], r["deadline"], today),
        "version": r["version"],
        "updated_at": r["updated_at"],
    }


def _extension_out(e: Extension) -> dict[str, Any]:
    return {
        "id": e.pk,
        "measure_id": e.measure_id,
        "status": e.status,
        "old_deadline": e.old_deadline,
        "new_deadline": e.new_deadline,
        "reason": e.reason,
        "requested_by_id": e.requested_by_id,
        "requested_by_name": str(e.requested_by),
        "decided_by_id": e.decided_by_id,
        "decided_by_name": _name(e.decided_by),
        "decided_at": e.decided_at,
        "opinion": e.opinion,
        "created_at": e.created_at,
    }


def _detail(user: Viewer, pk: int) -> dict[str, Any]:
    m = selectors.measure_get_for_user(user=user, pk=pk)
    pending = supervision_selectors.pending_extension_of(measure=m)
    ext: list[str] = []
    if ext_services.may_request_extension(user, m) and pending is None:
        ext.append("request")
    if pending is not None and ext_services.may_decide_extension(user, pending):
        ext.append("decide")
    if pending is not None and ext_services.may_withdraw_extension(user, pending):
        ext.append("withdraw")
    out = _out(m, selectors.today())
    out.update(
        unit_name=m.unit.name,
        sensitivity=selectors.effective_sensitivity(m),
        suggested_deadline=m.suggested_deadline,
        completed_on=m.completed_on,
        assigned_at=m.assigned_at,
        created_at=m.created_at,
        allowed_actions=sorted(policy.allowed_actions(user, m)),
        extension_actions=ext,
        pending_extension=_extension_out(pending) if pending is not None else None,
    )
    return out


@router.get("", response={200: Page[MeasureOut], **COMMON}, summary="整改措施列表（搜索与筛选）")
def measure_list(
    request: HttpRequest,
    filters: Query[MeasureSearch],
    limit: int | None = None,
    cursor: str | None = None,
) -> HttpResponse:
    """The measures the token's user may see, with the filters of the search page
    (``ledger.selectors.measure_search``), by id. One query per page whatever their number."""
    f = filters
    if f.deadline_from and f.deadline_to and f.deadline_to < f.deadline_from:
        raise InvalidInput("完成时限的结束日期早于开始日期。", field="deadline_to")
    qs = selectors.measure_search(
        user=request.user,
        filters=MeasureFilters(
            round=f.round,
            status=f.status,
            department=f.department,
            person=f.person,
            deadline_from=f.deadline_from,
            deadline_to=f.deadline_to,
            overdue=f.overdue,
            text=f.text,
        ),
        unassigned=f.unassigned,
    )
    # The columns the list returns, not whole rows of six tables turned into model objects.
    rows, nxt = keyset(qs.values(*_LIST_COLUMNS), cursor=cursor, limit=limit, scope="measures")
    today = selectors.today()
    return page_response(request, [_list_out(r, today) for r in rows], nxt, MeasureOut)


@router.get("/{int:measure_id}", response={200: MeasureDetailOut, **COMMON}, summary="整改措施详情")
def measure_detail(request: HttpRequest, measure_id: int) -> dict[str, Any]:
    """One measure with its problem, round, owners, deadline, status, version, what the token's
    user may do to it now, and its waiting request for a later deadline."""
    return _detail(request.user, measure_id)


def _values(measure: Measure, payload: MeasureUpdateIn) -> dict[str, Any]:
    """``measure_update``'s keyword arguments from the fields the client sent: ids become the
    unit's members and departments, as the edit form's choices are."""
    sent = payload.model_fields_set - {"version"}
    values: dict[str, Any] = {}
    for field in ("text", "kind"):
        if field in sent:
            values[field] = getattr(payload, field)
    for field, label in (("leader", "责任领导"), ("person", "责任人")):
        if field in sent:
            pk = getattr(payload, field)
            user = None if pk is None else members_of(measure.unit).filter(pk=pk).first()
            if pk is not None and user is None:
                raise InvalidInput(f"所选{label}不是本单位人员。", field=field)
            values[field] = user
    if "department" in sent:
        pk = payload.department
        dept = None if pk is None else departments_under(measure.unit).filter(pk=pk).first()
        if pk is not None and dept is None:
            raise InvalidInput("所选责任部门不属于本单位。", field="department")
        values["department"] = dept
    if "deadline" in sent:
        values["deadline"] = payload.deadline
    return values


@router.patch("/{int:measure_id}", response={200: MeasureDetailOut, **WRITE}, summary="修改整改措施")
def measure_update(request: HttpRequest, measure_id: int, payload: MeasureUpdateIn) -> dict[str, Any]:
    """Change the text, kind, responsible leader, department, person or deadline (the clerk,
    ``ledger.services.measure_update``). ``version`` is the one the client read: a measure changed
    since is refused with 409 ``stale_edit``."""
    require_write(request)
    m = selectors.measure_get_for_user(user=request.user, pk=measure_id)
    values = _values(m, payload)
    with recorded(request, action="measure.update", obj=m):
        services.measure_update(
            actor=actor_of(request), measure=m, expected_version=payload.version, **values
        )
    return _detail(request.user, measure_id)


@router.post("/{int:measure_id}/submit", response={200: MeasureDetailOut, **WRITE}, summary="提交审核")
def measure_submit(request: HttpRequest, measure_id: int) -> dict[str, Any]:
    """Submit the measure for review (its responsible person, or the clerk for them): to its
    responsible leader first when the round has 责任领导预审, else to the unit head
    (``ledger.services.measure_submit``). It needs a progress entry first."""
    require_write(request)
    m = selectors.measure_get_for_user(user=request.user, pk=measure_id)
    with recorded(request, action="measure.submit", obj=m):
        services.measure_submit(actor=actor_of(request), measure=m)
    return _detail(request.user, measure_id)


@router.post(
    "/{int:measure_id}/extension-requests",
    response={201: ExtensionOut, **WRITE},
    summary="申请延期",
)
def measure_extension_request(
    request: HttpRequest, measure_id: int, payload: ExtensionRequestIn
) -> Status[dict[str, Any]]:
    """Ask for a later deadline with a reason (the responsible person, or the clerk for them; an
    open measure, one waiting request at a time): ``supervision.services.extension_request``. The
    responsible leader or the unit head decides it."""
    require_write(request)
    m = selectors.measure_get_for_user(user=request.user, pk=measure_id)
    with recorded(request, action="extension.request", obj=m):
        e = ext_services.extension_request(
            actor=actor_of(request), measure=m, new_deadline=payload.new_deadline, reason=payload.reason
        )
    return Status(
        201, _extension_out(supervision_selectors.extension_get_for_user(user=request.user, pk=e.pk))
    )


def _extension(request: HttpRequest, measure_id: int, extension_id: int) -> Extension:
    e = supervision_selectors.extension_get_for_user(user=request.user, pk=extension_id)
    if e.measure_id != measure_id:
        raise Http404("未找到该延期申请")
    return e


@router.post(
    "/{int:measure_id}/extension-requests/{int:extension_id}/decision",
    response={200: ExtensionOut, **WRITE},
    summary="审批延期申请",
)
def measure_extension_decide(
    request: HttpRequest, measure_id: int, extension_id: int, payload: ExtensionDecisionIn
) -> dict[str, Any]:
    """Grant or refuse a waiting request (the measure's responsible leader or the unit head, not
    the requester; a refusal needs an ``opinion``): ``supervision.services.extension_decide``. A
    grant moves the deadline (the first one is kept as ``original_deadline``)."""
    require_write(request)
    e = _extension(request, measure_id, extension_id)
    with recorded(request, action="extension.decide", obj=e):
        ext_services.extension_decide(
            actor=actor_of(request), extension=e, grant=payload.grant, opinion=payload.opinion
        )
    return _extension_out(supervision_selectors.extension_get_for_user(user=request.user, pk=e.pk))


@router.post(
    "/{int:measure_id}/extension-requests/{int:extension_id}/withdrawal",
    response={200: ExtensionOut, **WRITE},
    summary="撤回延期申请",
)
def measure_extension_withdraw(request: HttpRequest, measure_id: int, extension_id: int) -> dict[str, Any]:
    """Take back a request that still waits (its requester): ``supervision.services.extension_withdraw``."""
    require_write(request)
    e = _extension(request, measure_id, extension_id)
    with recorded(request, action="extension.withdraw", obj=e):
        ext_services.extension_withdraw(actor=actor_of(request), extension=e)
    return _extension_out(supervision_selectors.extension_get_for_user(user=request.user, pk=e.pk))
