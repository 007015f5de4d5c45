"""Reads of the disclosure app for staff pages, each scoped to the acting user.

A round (and a version of a round) outside the user's units is ``Http404``, never 403. The
stored files (``pdf``, ``docx``) are deferred in lists: they are read only for a download.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.conf import settings
from django.db.models import Q, QuerySet
from django.http import Http404

from zhenggai.accounts.actors import Viewer
from zhenggai.accounts.roles import holds_admin_role
from zhenggai.accounts.services import otp_device
from zhenggai.ledger import selectors as ledger_selectors
from zhenggai.ledger.models import Round
from zhenggai.ledger.policy import EDIT_ROLES, PUBLISH_ROLES, can
from zhenggai.reports.models import NoticeDraft
from zhenggai.units.selectors import memberships_of

from .models import DocumentKind, Publication, PublicationVersion, VersionStatus

#: The stored files, left out of every list.
FILES = ("pdf", "docx")


@dataclass
class KindState:
    """One document of a round on its way to the public: the draft, the pending submission, the
    published versions (newest first) and the last rejection (if after the last publication)."""

    kind: str
    label: str
    draft_version: int
    pending: PublicationVersion | None = None
    published: list[PublicationVersion] = field(default_factory=list)
    rejected: PublicationVersion | None = None

    @property
    def current(self) -> PublicationVersion | None:
        return self.published[0] if self.published else None


@dataclass
class PublicationState:
    round: Round
    publication: Publication | None
    kinds: list[KindState]
    may_edit: bool
    may_publish: bool


def publication_state(*, user: Viewer, round_id: int) -> PublicationState:
    """A round's documents on their way to the public (Http404 outside the user's units).

    Three queries: the round, the drafts' versions, the versions (with the publication).
    """
    round = ledger_selectors.round_get_for_user(user=user, pk=round_id)
    drafts = dict(NoticeDraft.objects.filter(round=round).values_list("kind", "version"))
    versions = list(
        PublicationVersion.objects.filter(publication__round=round)
        .select_related("publication", "submitted_by", "decided_by")
        .defer(*FILES)
        .order_by("-submitted_at", "-pk")
    )
    publication = versions[0].publication if versions else Publication.objects.filter(round=round).first()
    kinds = []
    for kind, label in DocumentKind.choices:
        state = KindState(kind, label, drafts.get(kind, 0))
        for v in versions:
            if v.kind != kind:
                continue
            if v.status == VersionStatus.PENDING:
                state.pending = v
            elif v.status == VersionStatus.PUBLISHED:
                state.published.append(v)
            elif v.status == VersionStatus.REJECTED and state.rejected is None and not state.published:
                state.rejected = v
        state.published.sort(key=lambda v: v.number or 0, reverse=True)
        kinds.append(state)
    return PublicationState(
        round,
        publication,
        kinds,
        may_edit=can(user, round.unit, EDIT_ROLES),
        may_publish=can(user, round.unit, PUBLISH_ROLES),
    )


def version_get_for_user(*, user: Viewer, pk: int, files: bool = False) -> PublicationVersion:
    """A version of a round the user may see (Http404 otherwise); ``files`` loads the pdf/docx."""
    qs = PublicationVersion.objects.select_related(
        "publication__round__unit", "submitted_by", "decided_by"
    ).filter(pk=pk)
    if not files:
        qs = qs.defer(*FILES)
    v = qs.first()
    if v is None:
        raise Http404("未找到该公开文档版本")
    ledger_selectors.round_get_for_user(user=user, pk=v.publication.round_id)  # scope
    return v


def pending_for_head(*, user: Viewer) -> QuerySet[PublicationVersion]:
    """Submissions awaiting the user's approval: pending versions of the units where the user is
    unit head (for the desk and the inbox link)."""
    if not user.is_authenticated or holds_admin_role(user):
        return PublicationVersion.objects.none()
    # A role counts at the unit and below (``units.selectors.roles_for_unit``).
    where = Q(pk__in=[])
    for m in memberships_of(user):
        if m.role in PUBLISH_ROLES and m.unit.path:
            where |= Q(unit__path__startswith=m.unit.path)
    return (
        PublicationVersion.objects.filter(where, status=VersionStatus.PENDING)
        .filter(publication__round__deleted_at__isnull=True)
        .select_related("publication__round", "unit", "submitted_by")
        .defer(*FILES)
        .order_by("submitted_at", "pk")
    )


def second_factor_needed(user: Viewer) -> bool:
    """Whether approving a publication asks ``user`` for a code of their authenticator."""
    if not user.is_authenticated:
        return True
    return bool(settings.OTP_REQUIRED) or otp_device(user) is not None
