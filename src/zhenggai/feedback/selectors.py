"""Reads of citizen feedback: the staff's (scoped, personal data masked) and the public's.

Who sees a feedback (the handling unit is ``Feedback.unit``, the round's unit or the unit it was
forwarded to):

- the handling unit's own 整改办 and 群众反馈办理人员 (``FEEDBACK_ROLES``, a membership at that
  unit itself) handle it; its 第一责任人 (unit head) reads it;
- supervisors at the unit or above read it;
- nobody else. Someone of the unit's tree without one of these roles (a viewer, the old unit
  after a forward) is refused (403); anyone outside the tree gets 404, as for every other
  object of another unit. The three administrators hold no role here.

Roles are those held *at the handling unit*, not inherited from a unit above it: a forward to
another unit moves the feedback out of the old unit's hands.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from zhenggai.accounts.actors import Viewer
from zhenggai.accounts.roles import holds_admin_role
from zhenggai.ledger.models import Finding, FindingKind, Round
from zhenggai.ledger.policy import FEEDBACK_ROLES, PII_ROLES
from zhenggai.ledger.selectors import finding_cleared_q
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import memberships_of, visible_units_q

from . import pii
from .models import Feedback, FeedbackAttachment, FeedbackStatus, FeedbackStep

#: Roles at the handling unit that may read a feedback (the handlers and the unit head).
READERS: frozenset[str] = FEEDBACK_ROLES | {Role.UNIT_LEADER}
#: Statuses still awaiting a reply (an overdue reply deadline counts only here).
AWAITING_REPLY: frozenset[str] = frozenset(
    {FeedbackStatus.RECEIVED, FeedbackStatus.ACCEPTED, FeedbackStatus.FORWARDED}
)
#: Statuses where the handling has ended (the retention period runs from the last step).
CLOSED_STATUSES: frozenset[str] = frozenset(
    {FeedbackStatus.REPLIED, FeedbackStatus.REJECTED, FeedbackStatus.DUPLICATE}
)


def roles_at(user: Viewer, unit: Unit | int) -> set[str]:
    """The roles ``user`` holds at ``unit`` itself (none for the three administrators)."""
    if holds_admin_role(user):
        return set()
    unit_id = unit if isinstance(unit, int) else unit.pk
    return {m.role for m in memberships_of(user) if m.unit_id == unit_id}


def _supervised_paths(user: Viewer) -> list[str]:
    if holds_admin_role(user):
        return []
    return [m.unit.path for m in memberships_of(user) if m.role == Role.SUPERVISOR and m.unit.path]


def readable_q(user: Viewer) -> Q:
    """Feedback the user may read: handled or headed at its unit, or supervised from above."""
    if holds_admin_role(user):
        return Q(pk__in=[])
    units = [m.unit_id for m in memberships_of(user) if m.role in READERS]
    q = Q(unit_id__in=units)
    for path in _supervised_paths(user):
        q |= Q(unit__path__startswith=path)
    return q


def may_read(user: Viewer, feedback: Feedback) -> bool:
    if roles_at(user, feedback.unit_id) & READERS:
        return True
    path = feedback.unit.path
    return any(path.startswith(p) for p in _supervised_paths(user))


def may_handle(user: Viewer, feedback: Feedback) -> bool:
    return bool(roles_at(user, feedback.unit_id) & FEEDBACK_ROLES)


def may_reveal(user: Viewer, feedback: Feedback) -> bool:
    return bool(roles_at(user, feedback.unit_id) & PII_ROLES)


def may_use_list(user: Viewer) -> bool:
    """Whether the user has a feedback list at all (a role that reads feedback somewhere)."""
    if holds_admin_role(user):
        return False
    return any(m.role in READERS or m.role == Role.SUPERVISOR for m in memberships_of(user))


def feedback_get_for_user(*, user: Viewer, pk: int) -> Feedback:
    """One feedback the user may read: 404 outside the user's units, 403 inside them without a role."""
    fb = (
        Feedback.objects.filter(visible_units_q(user))
        .select_related("round", "unit", "forwarded_from", "finding", "duplicate_of")
        .filter(pk=pk)
        .first()
    )
    if fb is None:
        raise Http404("未找到该群众反馈")
    if not may_read(user, fb):
        raise PermissionDenied("您没有权限查看该群众反馈")
    return fb


# --- the staff list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class FeedbackFilters:
    status: str = ""
    overdue: bool = False
    unit_id: int | None = None


@dataclass(frozen=True)
class Masked:
    """A sender's personal data as the staff pages show it (masked, never the clear value)."""

    name: str = ""
    phone: str = ""
    email: str = ""

    @property
    def anonymous(self) -> bool:
        return not (self.name or self.phone or self.email)


def masked(fb: Feedback) -> Masked:
    """Decrypt only to mask; the clear values do not leave this function."""
    if fb.purged_at is not None:
        return Masked()
    values = {
        name: pii.MASKS[name](pii.decrypt(getattr(fb, f"{name}_ct"), field=name, tracking=fb.tracking))
        for name in ("name", "phone", "email")
    }
    return Masked(**values)


@dataclass
class FeedbackRow:
    feedback: Feedback
    sender: Masked
    overdue: bool
    attachments: int
    same_sender: int = 0
    extra: dict[str, object] = field(default_factory=dict)


def reply_overdue(fb: Feedback, today: dt.date) -> bool:
    return fb.status in AWAITING_REPLY and fb.reply_deadline is not None and fb.reply_deadline < today


def feedback_list_for_user(*, user: Viewer, filters: FeedbackFilters | None = None) -> QuerySet[Feedback]:
    """The feedback the user may read, newest first, with the filters applied (a queryset to page)."""
    filters = filters or FeedbackFilters()
    qs = (
        Feedback.objects.filter(readable_q(user))
        .select_related("round", "unit")
        .annotate(n_attachments=Count("attachments"))
        .order_by("-received_at", "-id")
    )
    if filters.status in FeedbackStatus.values:
        qs = qs.filter(status=filters.status)
    if filters.overdue:
        qs = qs.filter(status__in=sorted(AWAITING_REPLY), reply_deadline__lt=timezone.localdate())
    if filters.unit_id:
        qs = qs.filter(unit_id=filters.unit_id)
    return qs


def feedback_rows(feedback: Iterable[Feedback]) -> list[FeedbackRow]:
    """A page of the list: each row with its sender masked and how often the same sender wrote
    (by the blind index, one query for the page)."""
    items = list(feedback)
    today = timezone.localdate()
    repeats = same_sender_counts(items)
    return [
        FeedbackRow(
            feedback=fb,
            sender=masked(fb),
            overdue=reply_overdue(fb, today),
            attachments=getattr(fb, "n_attachments", 0),
            same_sender=repeats.get(fb.pk, 0),
        )
        for fb in items
    ]


def same_sender_counts(items: list[Feedback]) -> dict[int, int]:
    """Feedback id → how many other feedback of the same unit came from the same phone or e-mail
    (by the blind index, without decrypting). Two queries whatever the page size."""
    phones = {fb.phone_index for fb in items if fb.phone_index}
    emails = {fb.email_index for fb in items if fb.email_index}
    units = {fb.unit_id for fb in items}
    if not (phones or emails):
        return {}
    rows = list(
        Feedback.objects.filter(unit_id__in=units)
        .filter(Q(phone_index__in=phones) | Q(email_index__in=emails))
        .values_list("pk", "unit_id", "phone_index", "email_index")
    )
    out: dict[int, int] = {}
    for fb in items:
        n = sum(
            1
            for pk, unit_id, phone, email in rows
            if pk != fb.pk
            and unit_id == fb.unit_id
            and ((fb.phone_index and phone == fb.phone_index) or (fb.email_index and email == fb.email_index))
        )
        if n:
            out[fb.pk] = n
    return out


@dataclass(frozen=True)
class FeedbackDetail:
    feedback: Feedback
    sender: Masked
    steps: list[FeedbackStep]
    attachments: list[FeedbackAttachment]
    same_sender: int
    overdue: bool
    may_handle: bool
    may_reveal: bool


def feedback_detail(*, user: Viewer, feedback: Feedback) -> FeedbackDetail:
    """What the detail page shows (the feedback from ``feedback_get_for_user``)."""
    return FeedbackDetail(
        feedback=feedback,
        sender=masked(feedback),
        steps=list(feedback.steps.select_related("actor", "unit")),
        attachments=list(feedback.attachments.order_by("pk")),
        same_sender=same_sender_counts([feedback]).get(feedback.pk, 0),
        overdue=reply_overdue(feedback, timezone.localdate()),
        may_handle=may_handle(user, feedback),
        may_reveal=may_reveal(user, feedback) and feedback.purged_at is None,
    )


def problems_to_link(*, user: Viewer, round: Round) -> QuerySet[Finding]:
    """The problems of the round the user may see (the choices of 关联问题)."""
    return (
        Finding.objects.filter(round=round, kind=FindingKind.PROBLEM)
        .filter(visible_units_q(user), finding_cleared_q(user))
        .order_by("position", "pk")
    )


def merge_targets(*, feedback: Feedback) -> QuerySet[Feedback]:
    """Other feedback of the same unit it may be merged into (not itself a duplicate)."""
    return (
        Feedback.objects.filter(unit_id=feedback.unit_id, duplicate_of__isnull=True)
        .exclude(pk=feedback.pk)
        .exclude(status=FeedbackStatus.DUPLICATE)
        .order_by("-received_at", "-id")
    )


def attachment_get_for_user(*, user: Viewer, feedback_pk: int, pk: int) -> FeedbackAttachment:
    fb = feedback_get_for_user(user=user, pk=feedback_pk)
    att = FeedbackAttachment.objects.filter(feedback=fb, pk=pk).select_related("feedback").first()
    if att is None:
        raise Http404("未找到该附件")
    return att


# --- the public's ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class PublicFeedback:
    """What the citizen reads with the tracking number and the query code: no personal data."""

    tracking: str
    received_at: dt.datetime
    status_label: str
    steps: list[tuple[dt.datetime, str]]
    reply: str
    replied_at: dt.datetime | None


@dataclass(frozen=True)
class PublicReply:
    """A reply published with the sender's consent: the reply and its dates, nothing of the sender."""

    received_on: dt.date
    replied_at: dt.datetime
    reply: str


#: How the citizen sees a status: a merged or forwarded feedback is still being handled.
PUBLIC_STATUS: dict[str, str] = {
    FeedbackStatus.RECEIVED: "已收到，待受理",
    FeedbackStatus.ACCEPTED: "已受理，正在办理",
    FeedbackStatus.DUPLICATE: "已合并办理",
    FeedbackStatus.REJECTED: "不予受理",
    FeedbackStatus.FORWARDED: "已转办",
    FeedbackStatus.REPLIED: "已答复",
}


def public_view(fb: Feedback) -> PublicFeedback:
    steps = [(s.at, s.note) for s in fb.steps.filter(public=True).order_by("at", "id")]
    return PublicFeedback(
        tracking=fb.tracking,
        received_at=fb.received_at,
        status_label=PUBLIC_STATUS.get(fb.status, fb.get_status_display()),
        steps=steps,
        reply=fb.reply if fb.status == FeedbackStatus.REPLIED else "",
        replied_at=fb.replied_at if fb.status == FeedbackStatus.REPLIED else None,
    )


def public_replies(*, round: Round) -> list[PublicReply]:
    """Replies of the round published with the sender's consent, newest first."""
    rows = (
        Feedback.objects.filter(
            round=round,
            status=FeedbackStatus.REPLIED,
            reply_public=True,
            consent_publish=True,
            replied_at__isnull=False,
        )
        .order_by("-replied_at", "-id")
        .values_list("received_at", "replied_at", "reply")
    )
    return [
        PublicReply(received_on=timezone.localdate(received), replied_at=replied, reply=reply)
        for received, replied, reply in rows
        if replied is not None
    ]
