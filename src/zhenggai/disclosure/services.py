"""Publishing a round's notice or 整改情况报告: the check, the decisions, submission, approval.

The clerk runs the disclosure check (``publication_check``) on the document as the public
would get it (built through a *public lens*: the clerk's scope with clearance 公开, so nothing
labelled 内部/敏感 is in it), decides every hit (``decision_set``: mask it, or keep it with a
reason) and submits (``version_submit``): the masked text, the .pdf and .docx, the figures
and the open data are all made then and stored in a pending ``PublicationVersion``. The unit
head approves exactly that (``version_approve``, with the second factor) and it becomes
published version N, frozen by a database trigger; or rejects it with a reason
(``version_reject``). A correction is a new submission with a 更正说明.

A second submission while one is pending replaces it (the earlier one is 已撤回): the clerk
who fixes a slip need not ask the head to reject first, and the head cannot approve a
replaced text, because approval names the version and refuses one that is no longer pending.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone

from zhenggai.accounts.actors import Actor
from zhenggai.accounts.models import Sensitivity
from zhenggai.accounts.services import otp_check, otp_device
from zhenggai.audit.services import audit_change
from zhenggai.errors import InvalidInput, NotAllowed, StaleEdit, TransitionRefused
from zhenggai.ledger import selectors as ledger_selectors
from zhenggai.ledger.models import Finding, Measure, Round
from zhenggai.ledger.policy import EDIT_ROLES, PUBLISH_ROLES, can, require_role
from zhenggai.ledger.system import system_actor_for
from zhenggai.notify.services import message_send
from zhenggai.reports import builders
from zhenggai.reports.docx_render import render_docx
from zhenggai.reports.models import NoticeDraft
from zhenggai.reports.official import OfficialDocument
from zhenggai.reports.selectors import document_ledger, draft_for
from zhenggai.units.selectors import holders_at

from . import check, content
from .models import (
    CheckDecision,
    DecisionAction,
    DocumentKind,
    Publication,
    PublicationVersion,
    VersionStatus,
)

#: How long a 更正说明 or a rejection reason may be.
NOTE_MAX = 500
#: Fields made by the service, not typed in (an empty check result is a clean check, not a
#: missing value: ``full_clean`` would call it blank).
COMPUTED = ["blocks", "figures", "data", "check_result"]
#: What a document is called in messages.
DRAFT_WORD: dict[str, str] = {DocumentKind.NOTICE: "通报稿", DocumentKind.REPORT: "报告稿"}


# --- the public lens ----------------------------------------------------------------------------------


def _never_saved(*args: Any, **kwargs: Any) -> None:
    raise RuntimeError("the public lens is a read-only copy of a user and is never saved")


def public_lens(actor: Actor) -> Actor:
    """A copy of ``actor`` with clearance 公开 (never saved): their scope, the public's clearance.

    The builders and selectors read through it what the public may get: problems and measures
    labelled 内部/敏感 are left out; the figures still count them.
    """
    lens = copy.copy(actor)
    lens.clearance = Sensitivity.PUBLIC
    lens.save = _never_saved  # type: ignore[method-assign]
    return lens


# --- building the public document -------------------------------------------------------------------


def _kind(kind: str) -> str:
    if kind not in DocumentKind.values:
        raise InvalidInput(f"未知的文档类型：{kind}", field="kind")
    return kind


def feedback_url(publication: Publication) -> str:
    """The round's public feedback page, absolute (printed on the documents as a QR code)."""
    return settings.PUBLIC_BASE_URL + reverse("public:feedback", args=[publication.public_id])


def _internal_sentences(round: Round, lens: Actor, draft: NoticeDraft) -> set[str]:
    """Sentences of the round's problems and measures the public may not see (labelled 内部/敏感),
    and of those measures' public progress wording."""
    texts: list[str] = []
    hidden = Measure.objects.filter(round=round).exclude(ledger_selectors.measure_cleared_q(lens))
    progress = draft.progress_texts or {}
    for pk, text in hidden.values_list("pk", "text"):
        texts += [text, str(progress.get(str(pk), ""))]
    findings = Finding.objects.filter(round=round).exclude(ledger_selectors.finding_cleared_q(lens))
    for title, description in findings.values_list("title", "description"):
        texts += [title, description]
    return check.sentences(texts)


@dataclass
class Built:
    """The public document of a round as it stands, and what the check reads."""

    draft: NoticeDraft
    document: OfficialDocument
    blocks: list[check.Slot]
    internal: set[str]


def _build(lens: Actor, round: Round, kind: str, publication: Publication) -> Built:
    draft = draft_for(round, kind)
    url = feedback_url(publication)
    doc = builders.BUILDERS[kind](user=lens, round=round, draft=draft, feedback_url=url)
    blocks = check.slots(doc, channels=builders.channels_paragraph(draft, url))
    return Built(draft, doc, blocks, _internal_sentences(round, lens, draft))


@dataclass
class CheckReport:
    """The disclosure check of one document of a round: every string that must not go public as
    it is (``items``, with their occurrences and decisions) and the blocks they were found in."""

    round: Round
    kind: str
    publication: Publication
    draft: NoticeDraft
    document: OfficialDocument
    blocks: list[check.Slot]
    items: list[check.CheckItem]
    internal: set[str]

    @property
    def undecided(self) -> int:
        return sum(1 for i in self.items if i.decision is None)

    @property
    def kept(self) -> set[str]:
        """Fingerprints the clerk decided to keep (justified)."""
        return {
            i.fingerprint
            for i in self.items
            if i.decision is not None and i.decision.action == DecisionAction.JUSTIFY
        }

    def masked_texts(self) -> list[str]:
        """Each block's text as it would be published now (a hit not yet decided is masked)."""
        kept = self.kept
        return [check.mask(s.text, self.internal, kept) if s.checked else s.text for s in self.blocks]


def _publication(actor: Actor | None, round: Round) -> Publication:
    """The round's Publication, created (with a new public id, audited) at its first check."""
    found = Publication.objects.filter(round=round).first()
    if found is not None:
        return found
    with transaction.atomic():
        # 16 characters of base32: 80 random bits, not enumerable, easy to read out.
        public_id = base64.b32encode(secrets.token_bytes(10)).decode("ascii").lower()
        publication = Publication(round=round, unit=round.unit, public_id=public_id)
        publication.full_clean()
        publication.save()
        audit_change(
            actor, "publication.create", publication, after={"public_id": public_id, "round": round.pk}
        )
    return publication


def _report(actor: Actor, round: Round, kind: str) -> CheckReport:
    publication = _publication(actor, round)
    built = _build(public_lens(actor), round, kind, publication)
    decisions = {d.fingerprint: d for d in CheckDecision.objects.filter(publication=publication, kind=kind)}
    items = check.run(built.blocks, built.internal, decisions)
    return CheckReport(
        round, kind, publication, built.draft, built.document, built.blocks, items, built.internal
    )


def _scoped_round(actor: Actor, round: Round) -> Round:
    return ledger_selectors.round_get_for_user(user=actor, pk=round.pk)  # an outsider gets Http404


def publication_check(*, actor: Actor, round: Round, kind: str = "notice") -> CheckReport:
    """The disclosure check of ``kind`` for ``round`` (the clerk and the unit head of its unit).

    Creates the round's ``Publication`` the first time (its public id); otherwise reads only.
    """
    _kind(kind)
    round = _scoped_round(actor, round)
    if not can(actor, round.unit, EDIT_ROLES | PUBLISH_ROLES):
        raise NotAllowed("只有整改办工作人员和单位主要负责人可以进行公开前检查")
    return _report(actor, round, kind)


# --- decisions ---------------------------------------------------------------------------------------


def _decide(
    actor: Actor, report: CheckReport, item: check.CheckItem, action: str, reason: str
) -> CheckDecision:
    decision = CheckDecision.objects.filter(
        publication=report.publication, kind=report.kind, fingerprint=item.fingerprint
    ).first()
    before = {"action": decision.action, "reason": decision.reason} if decision else {}
    if decision is None:
        decision = CheckDecision(
            publication=report.publication,
            kind=report.kind,
            unit=report.round.unit,
            fingerprint=item.fingerprint,
        )
    decision.action, decision.reason, decision.decided_by = action, reason, actor
    decision.full_clean()
    decision.save()
    audit_change(
        actor,
        "publication.check_decide",
        decision,
        before=before,
        # The text itself stays out of the audit trail: it may be personal data.
        after={
            "kind": report.kind,
            "hit": item.kind,
            "masked": item.masked,
            "action": action,
            "reason": reason,
        },
    )
    return decision


@transaction.atomic
def decision_set(
    *, actor: Actor, round: Round, kind: str, fingerprint: str, action: str, reason: str = ""
) -> CheckDecision:
    """The clerk decides one hit of the check: ``mask`` it, or ``justify`` keeping it (a reason is
    required). The hit must be in the current check (a stale page is refused). Audited."""
    _kind(kind)
    round = _scoped_round(actor, round)
    require_role(actor, round.unit, EDIT_ROLES, "处理公开前检查结果")
    if action not in DecisionAction.values:
        raise InvalidInput("请选择遮盖或保留", field="action")
    reason = reason.strip()
    if action == DecisionAction.JUSTIFY and not reason:
        raise InvalidInput("保留此项须说明理由", field="reason")
    if len(reason) > 300:
        raise InvalidInput("理由不能超过300字", field="reason")
    if action == DecisionAction.MASK:
        reason = ""
    report = _report(actor, round, kind)
    item = next((i for i in report.items if i.fingerprint == fingerprint), None)
    if item is None:
        raise StaleEdit("该项已不在检查结果中（文稿可能已被修改），请刷新页面后重新检查")
    return _decide(actor, report, item, action, reason)


# --- submission -------------------------------------------------------------------------------------


def _render(doc: OfficialDocument) -> tuple[bytes, bytes]:
    from zhenggai.reports.pdf_render import render_pdf  # WeasyPrint is imported only where a PDF is made

    return render_pdf(doc), render_docx(doc)


def _notify_heads(version: PublicationVersion, round: Round) -> None:
    kind_label = DocumentKind(version.kind).label
    message_send(
        recipients=holders_at(unit=round.unit, roles=set(PUBLISH_ROLES)),
        kind="publication.waiting",
        subject=f"待审批：{round.unit.name}{kind_label}（公开发布）",
        body=f"整改办提交了“{version.title}”的公开版本，请审批后发布。",
        url=reverse("disclosure:approve", args=[version.pk]),
        unit=round.unit,
    )


def _submit(
    *, actor: Actor, lens_of: Actor, round: Round, kind: str, change_note: str, expected: int | None
) -> PublicationVersion:
    publication = _publication(actor, round)
    publication = Publication.objects.select_for_update().get(pk=publication.pk)
    report = _report(lens_of, round, kind)
    draft = report.draft
    word = DRAFT_WORD.get(kind, "文稿")
    if expected is not None and draft.version != expected:
        raise StaleEdit(f"{word}在检查后又被修改，请重新检查后再提交")
    note = change_note.strip()
    published = PublicationVersion.objects.filter(
        publication=publication, kind=kind, status=VersionStatus.PUBLISHED
    ).exists()
    if published and not note:
        raise InvalidInput("更正说明：说明本次更正了什么", field="change_note")
    if len(note) > NOTE_MAX:
        raise InvalidInput(f"更正说明不能超过{NOTE_MAX}字", field="change_note")
    if report.undecided:
        raise InvalidInput(
            f"公开前检查还有{report.undecided}处未处理：请逐项选择遮盖，或保留并说明理由，然后再提交"
        )
    texts = report.masked_texts()
    kept = report.kept
    doc = check.masked_document(report.document, report.blocks, texts)
    pdf, docx = _render(doc)
    ledger = document_ledger(public_lens(lens_of), round)
    figures = content.figures(ledger)
    data = content.data(ledger, draft.progress_texts or {}, lambda t: check.mask(t, report.internal, kept))
    blocks = content.blocks(report.blocks, texts)
    pdf_sha256, docx_sha256 = hashlib.sha256(pdf).hexdigest(), hashlib.sha256(docx).hexdigest()
    as_of = draft.signed_on
    replaced = list(
        PublicationVersion.objects.filter(
            publication=publication, kind=kind, status=VersionStatus.PENDING
        ).values_list("pk", flat=True)
    )
    now = timezone.now()
    if replaced:
        PublicationVersion.objects.filter(pk__in=replaced).update(
            status=VersionStatus.CANCELLED, decided_at=now, decision_note="已由新的提交替换"
        )
    version = PublicationVersion(
        publication=publication,
        kind=kind,
        unit=round.unit,
        draft_version=draft.version,
        title=doc.title[:200],
        as_of=as_of,
        blocks=blocks,
        figures=figures,
        data=data,
        check_result=[
            {
                "fingerprint": i.fingerprint,
                "kind": i.kind,
                "label": i.label,
                "masked": i.masked,
                "paragraphs": sorted({o.paragraph for o in i.occurrences}),
                "action": i.decision.action if i.decision else "",
                "reason": i.decision.reason if i.decision else "",
            }
            for i in report.items
        ],
        change_note=note if published else "",
        content_sha256=content.content_sha256(
            kind=kind,
            title=doc.title,
            as_of=as_of,
            blocks=blocks,
            figures=figures,
            data=data,
            pdf_sha256=pdf_sha256,
            docx_sha256=docx_sha256,
        ),
        pdf=pdf,
        docx=docx,
        pdf_sha256=pdf_sha256,
        docx_sha256=docx_sha256,
        submitted_by=actor,
        submitted_at=now,
    )
    version.full_clean(exclude=COMPUTED)
    version.save()
    audit_change(
        actor,
        "publication.submit",
        version,
        after={
            "kind": kind,
            "draft_version": draft.version,
            "title": version.title,
            "as_of": as_of,
            "hits": len(report.items),
            "masked": len(report.items) - len(kept),
            "kept": len(kept),
            "change_note": version.change_note,
            "pdf_sha256": pdf_sha256,
            "docx_sha256": docx_sha256,
            "content_sha256": version.content_sha256,
            "replaces": replaced,
        },
    )
    _notify_heads(version, round)
    return version


@transaction.atomic
def version_submit(
    *,
    actor: Actor,
    round: Round,
    kind: str = "notice",
    change_note: str = "",
    expected_draft_version: int | None = None,
) -> PublicationVersion:
    """The clerk submits the document as it stands for the unit head's approval.

    Refused while a hit of the check has no decision; a correction (a version of that kind was
    published before) needs a 更正说明. Builds the public document, applies the masks, renders
    the .pdf and .docx, computes the figures and the open data and stores them all in a pending
    version with the draft's version (approval refuses if the draft changes meanwhile). A
    pending submission of the same document is replaced (已撤回). Audited; the heads are told.
    """
    _kind(kind)
    round = _scoped_round(actor, round)
    require_role(actor, round.unit, EDIT_ROLES, "提交公开文档")
    return _submit(
        actor=actor,
        lens_of=actor,
        round=round,
        kind=kind,
        change_note=change_note,
        expected=expected_draft_version,
    )


# --- approval ----------------------------------------------------------------------------------------


def _locked_version(version: PublicationVersion) -> PublicationVersion:
    return (
        PublicationVersion.objects.select_for_update(of=("self",))
        .select_related("publication__round__unit")
        .get(pk=version.pk)
    )


def _pending(v: PublicationVersion, what: str) -> None:
    if v.status != VersionStatus.PENDING:
        raise TransitionRefused(f"该提交当前为“{v.get_status_display()}”，不能{what}")


def _second_factor(actor: Actor, code: str) -> None:
    """A fresh code of the head's authenticator, when the deployment or the head has one."""
    device = otp_device(actor)
    if not (settings.OTP_REQUIRED or device is not None):
        return
    if device is None:
        raise InvalidInput("发布须验证动态口令：请先在“账号安全”中绑定身份验证器", field="otp_code")
    if not code.strip():
        raise InvalidInput("请输入身份验证器上的6位动态口令", field="otp_code")
    if not otp_check(user=actor, code=code):
        raise InvalidInput("动态口令不正确或已使用过，请输入身份验证器上的最新口令", field="otp_code")


def _notify_submitter(v: PublicationVersion, subject: str, body: str) -> None:
    if v.submitted_by is None:
        return
    message_send(
        recipients=[v.submitted_by],
        kind="publication.decided",
        subject=subject,
        body=body,
        url=reverse("disclosure:round", args=[v.publication.round_id]),
        unit=v.publication.round.unit,
    )


def _approve(
    actor: Actor | None, v: PublicationVersion, *, otp_code: str, second_factor: bool
) -> PublicationVersion:
    _pending(v, "审批发布")
    round = v.publication.round
    draft = draft_for(round, v.kind)
    if draft.version != v.draft_version:
        raise StaleEdit(f"{DRAFT_WORD.get(v.kind, '文稿')}在提交后又被修改，请重新提交")
    if second_factor and actor is not None:
        _second_factor(actor, otp_code)
    Publication.objects.select_for_update().get(pk=v.publication_id)  # one numbering at a time
    last = PublicationVersion.objects.filter(
        publication_id=v.publication_id, kind=v.kind, status=VersionStatus.PUBLISHED
    ).aggregate(n=Max("number"))["n"]
    now = timezone.now()
    v.number = (last or 0) + 1
    v.status = VersionStatus.PUBLISHED
    v.published_at = v.decided_at = now
    v.decided_by = actor
    v.full_clean(exclude=COMPUTED)
    v.save(update_fields=["number", "status", "published_at", "decided_at", "decided_by"])
    audit_change(
        actor,
        "publication.approve",
        v,
        after={
            "kind": v.kind,
            "number": v.number,
            "public_id": v.publication.public_id,
            "content_sha256": v.content_sha256,
            "second_factor": bool(second_factor and actor is not None and otp_code.strip()),
        },
    )
    _notify_submitter(
        v,
        f"已发布：{v.title}（第{v.number}版）",
        f"单位主要负责人已审批，“{v.title}”第{v.number}版已在公开网站发布。",
    )
    return v


@transaction.atomic
def version_approve(*, actor: Actor, version: PublicationVersion, otp_code: str = "") -> PublicationVersion:
    """The unit head approves a pending submission: it becomes the next published version.

    ``StaleEdit`` (409) when the draft changed since submission; the second factor (a fresh code
    of the head's authenticator, used once) when ``settings.OTP_REQUIRED`` or the head has one.
    """
    v = _locked_version(version)
    _scoped_round(actor, v.publication.round)
    require_role(actor, v.unit, PUBLISH_ROLES, "审批发布公开文档")
    return _approve(actor, v, otp_code=otp_code, second_factor=True)


@transaction.atomic
def version_reject(*, actor: Actor, version: PublicationVersion, reason: str) -> PublicationVersion:
    """The unit head sends a submission back with a reason; the clerk is told."""
    v = _locked_version(version)
    _scoped_round(actor, v.publication.round)
    require_role(actor, v.unit, PUBLISH_ROLES, "退回公开文档")
    _pending(v, "退回")
    reason = reason.strip()
    if not reason:
        raise InvalidInput("请填写退回理由", field="reason")
    if len(reason) > NOTE_MAX:
        raise InvalidInput(f"退回理由不能超过{NOTE_MAX}字", field="reason")
    v.status = VersionStatus.REJECTED
    v.decision_note = reason
    v.decided_by, v.decided_at = actor, timezone.now()
    v.full_clean(exclude=COMPUTED)
    v.save(update_fields=["status", "decision_note", "decided_by", "decided_at"])
    audit_change(actor, "publication.reject", v, after={"kind": v.kind, "reason": reason})
    _notify_submitter(v, f"已退回：{v.title}", f"单位主要负责人退回了公开版本，理由：{reason}")
    return v


# --- the demo ----------------------------------------------------------------------------------------


@transaction.atomic
def publish_demo(*, round: Round, kind: str = "notice") -> PublicationVersion:
    """For ``zhenggai demo``: check ``round``'s document, mask every hit, submit and approve it.

    The clerk's steps are taken by the system account of ``ledger/system.py`` (a clerk of the
    round's unit that cannot log in); the approval by the console (``None``), without a second
    factor. Every step is audited as it would be from the pages.
    """
    _kind(kind)
    system = system_actor_for(round.unit)
    report = _report(system, round, kind)
    for item in report.items:
        if item.decision is None or item.decision.action != DecisionAction.MASK:
            _decide(system, report, item, DecisionAction.MASK, "")
    published = PublicationVersion.objects.filter(
        publication=report.publication, kind=kind, status=VersionStatus.PUBLISHED
    ).exists()
    v = _submit(
        actor=system,
        lens_of=system,
        round=round,
        kind=kind,
        change_note="演示数据重新发布" if published else "",
        expected=None,
    )
    return _approve(None, _locked_version(v), otp_code="", second_factor=False)
