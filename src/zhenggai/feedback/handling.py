"""The staff's handling of citizen feedback: triage, linking to the ledger, the reply, revealing
the sender's personal data, and the periodic jobs (reply-deadline warnings, retention purge).

Who: the handling unit's own 整改办 and 群众反馈办理人员 (``FEEDBACK_ROLES``, held at that unit;
``selectors.may_handle``); revealing personal data only the 群众反馈办理人员 (``PII_ROLES``).
Every write is audited in its own transaction; every reveal is one ``pii.view`` event.
Steps marked ``public`` are what the citizen reads with the query code: they never name a
person, a problem's text or another feedback.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.conf import settings
from django.db import transaction
from django.db.models import Max, Q
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from zhenggai.accounts.actors import Actor
from zhenggai.accounts.roles import holds_admin_role
from zhenggai.audit.services import audit_change, audit_entry, audit_record_many, audit_security_event
from zhenggai.errors import InvalidInput, NotAllowed, ServiceError, TransitionRefused
from zhenggai.evidence import store as evidence_store
from zhenggai.ledger import services as ledger_services
from zhenggai.ledger.models import Finding, FindingKind, ProblemStatus
from zhenggai.ledger.policy import FEEDBACK_ROLES, SUPERVISE_ROLES, can, require_cleared
from zhenggai.notify.models import Level
from zhenggai.notify.services import message_send
from zhenggai.units.models import Role, Unit
from zhenggai.units.selectors import holders_above, holders_at, unit_list_for_user

from . import pii, selectors
from .models import Feedback, FeedbackAttachment, FeedbackStatus, FeedbackStep, Throttle

St = FeedbackStatus

#: Where each action may start from.
TRIAGE_SOURCES: dict[str, frozenset[str]] = {
    "accept": frozenset({St.RECEIVED, St.FORWARDED}),
    "merge": frozenset({St.RECEIVED, St.FORWARDED, St.ACCEPTED}),
    "reject": frozenset({St.RECEIVED, St.FORWARDED, St.ACCEPTED}),
    "forward": frozenset({St.RECEIVED, St.FORWARDED, St.ACCEPTED}),
    "link": frozenset({St.RECEIVED, St.FORWARDED, St.ACCEPTED, St.REPLIED}),
    "reply": frozenset({St.ACCEPTED, St.REPLIED}),
}
PII_FIELDS = ("name", "phone", "email")
#: Reply-deadline warnings start this many days before the deadline (then daily, and daily when overdue).
WARN_DAYS_BEFORE = 3
_REASON_MAX = 300
_REPLY_MAX = 5000


def _lock(feedback: Feedback) -> Feedback:
    return Feedback.objects.select_for_update().select_related("unit", "round").get(pk=feedback.pk)


def _require_handler(actor: Actor, fb: Feedback, what: str) -> None:
    if holds_admin_role(actor):
        raise NotAllowed(f"三员（系统、安全、审计管理员）不处理群众反馈，不能{what}")
    if not selectors.may_handle(actor, fb):
        raise NotAllowed(f"您没有权限{what}")


def _require_state(fb: Feedback, action: str, what: str) -> None:
    if fb.status not in TRIAGE_SOURCES[action]:
        raise TransitionRefused(f"该反馈当前为“{fb.get_status_display()}”，不能{what}")


def _step(
    fb: Feedback, actor: Actor | None, action: str, note: str, *, public: bool, at: dt.datetime
) -> None:
    FeedbackStep.objects.create(
        feedback=fb, unit=fb.unit, action=action, note=note, public=public, actor=actor, at=at
    )


# --- revealing personal data ----------------------------------------------------------------------


@dataclass(frozen=True)
class Revealed:
    name: str
    phone: str
    email: str


def _reveal(actor: Actor, feedback: Feedback, fields: tuple[str, ...]) -> dict[str, str]:
    fb = Feedback.objects.select_related("unit").get(pk=feedback.pk)
    if holds_admin_role(actor):
        raise NotAllowed("三员（系统、安全、审计管理员）不能查看反映人的个人信息")
    if not selectors.may_reveal(actor, fb):
        raise NotAllowed("您没有权限查看反映人的完整个人信息")
    if fb.purged_at is not None:
        raise TransitionRefused("该反馈的个人信息已按保存期限清除")
    values = {f: pii.decrypt(getattr(fb, f"{f}_ct"), field=f, tracking=fb.tracking) for f in fields}
    # The event names what was shown, never the values.
    audit_change(actor, "pii.view", fb, after={"tracking": fb.tracking, "fields": list(fields)})
    return values


@transaction.atomic
def feedback_reveal(*, actor: Actor, feedback: Feedback, field: str) -> str:
    """The clear value of one personal-data field (``name``, ``phone``, ``email``) for the
    群众反馈办理人员 of the handling unit; one ``pii.view`` audit event per call."""
    if field not in PII_FIELDS:
        raise InvalidInput("没有这项个人信息", field="field")
    return _reveal(actor, feedback, (field,))[field]


@transaction.atomic
def feedback_reveal_all(*, actor: Actor, feedback: Feedback) -> Revealed:
    """Every personal-data field at once (the 查看完整信息 button): one audit event."""
    values = _reveal(actor, feedback, PII_FIELDS)
    return Revealed(**values)


# --- triage ---------------------------------------------------------------------------------------


@transaction.atomic
def feedback_accept(
    *, actor: Actor, feedback: Feedback, deadline: dt.date | None = None, note: str = ""
) -> Feedback:
    """Accept a feedback for handling (受理) and set its reply deadline (default: today +
    ``FEEDBACK_REPLY_DAYS``). The citizen sees 已受理 with the deadline."""
    fb = _lock(feedback)
    _require_handler(actor, fb, "受理群众反馈")
    _require_state(fb, "accept", "受理")
    today = timezone.localdate()
    deadline = deadline or today + dt.timedelta(days=int(settings.FEEDBACK_REPLY_DAYS))
    if deadline < today:
        raise InvalidInput("答复时限不能早于今天", field="deadline")
    if deadline > today + dt.timedelta(days=366):
        raise InvalidInput("答复时限不能超过一年", field="deadline")
    before = {"status": fb.status, "reply_deadline": fb.reply_deadline}
    fb.status = St.ACCEPTED
    fb.reply_deadline = deadline
    fb.save(update_fields=["status", "reply_deadline", "updated_at"])
    now = timezone.now()
    _step(fb, actor, "accept", f"已受理，将于{_cn(deadline)}前答复", public=True, at=now)
    if note.strip():
        _step(fb, actor, "note", note.strip()[:1000], public=False, at=now)
    audit_change(
        actor, "feedback.accept", fb, before=before, after={"status": fb.status, "reply_deadline": deadline}
    )
    return fb


@transaction.atomic
def feedback_merge(*, actor: Actor, feedback: Feedback, into: Feedback) -> Feedback:
    """Mark a feedback as a duplicate of another of the same unit (合并办理): it is answered with
    the other one. The citizen's step does not name the other feedback."""
    fb = _lock(feedback)
    _require_handler(actor, fb, "合并群众反馈")
    _require_state(fb, "merge", "合并")
    target = Feedback.objects.filter(pk=into.pk).first()
    if target is None or target.pk == fb.pk or target.unit_id != fb.unit_id:
        raise InvalidInput("只能合并到本单位的另一条反馈", field="into")
    if target.status == St.DUPLICATE or target.duplicate_of_id is not None:
        raise InvalidInput("目标反馈本身已合并到其他反馈，请选择原始反馈", field="into")
    before = {"status": fb.status}
    fb.status = St.DUPLICATE
    fb.duplicate_of = target
    fb.save(update_fields=["status", "duplicate_of", "updated_at"])
    now = timezone.now()
    _step(fb, actor, "merge", "与同类反映合并办理", public=True, at=now)
    _step(fb, actor, "merge_into", f"合并到 {target.tracking}", public=False, at=now)
    audit_change(actor, "feedback.merge", fb, before=before, after={"status": fb.status, "into": target.pk})
    return fb


@transaction.atomic
def feedback_reject(*, actor: Actor, feedback: Feedback, reason: str) -> Feedback:
    """Refuse to handle a feedback (不予受理), with the reason the citizen reads."""
    fb = _lock(feedback)
    _require_handler(actor, fb, "作出不予受理决定")
    _require_state(fb, "reject", "作出不予受理决定")
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("请填写不予受理的理由", field="reason")
    if len(reason) > _REASON_MAX:
        raise InvalidInput(f"理由不能超过 {_REASON_MAX} 字", field="reason")
    before = {"status": fb.status}
    fb.status = St.REJECTED
    fb.reject_reason = reason
    fb.full_clean(exclude=["round", "unit", "finding", "duplicate_of", "forwarded_from", "replied_by"])
    fb.save(update_fields=["status", "reject_reason", "updated_at"])
    _step(fb, actor, "reject", f"不予受理：{reason}", public=True, at=timezone.now())
    audit_change(actor, "feedback.reject", fb, before=before, after={"status": fb.status, "reason": reason})
    return fb


def forward_targets(*, actor: Actor, feedback: Feedback) -> list[Unit]:
    """Units the feedback may be forwarded to: those in the actor's scope, except its own."""
    return [u for u in unit_list_for_user(user=actor) if u.pk != feedback.unit_id]


@transaction.atomic
def feedback_forward(*, actor: Actor, feedback: Feedback, to_unit: Unit, note: str = "") -> Feedback:
    """Forward a feedback to another unit in the actor's scope (转办): that unit handles it now,
    and the old unit no longer sees it (roles count at the handling unit itself)."""
    fb = _lock(feedback)
    _require_handler(actor, fb, "转办群众反馈")
    _require_state(fb, "forward", "转办")
    if to_unit.pk == fb.unit_id or not unit_list_for_user(user=actor).filter(pk=to_unit.pk).exists():
        raise InvalidInput("只能转给您管辖范围内的其他单位", field="to_unit")
    old = fb.unit
    fb.forwarded_from = old
    fb.unit = to_unit
    before = {"status": fb.status, "unit": old.pk}
    fb.status = St.FORWARDED
    fb.reply_deadline = None
    fb.save(update_fields=["status", "unit", "forwarded_from", "reply_deadline", "updated_at"])
    FeedbackAttachment.objects.filter(feedback=fb).update(unit=to_unit)
    now = timezone.now()
    _step(fb, actor, "forward", f"已转{to_unit.name}办理", public=True, at=now)
    if note.strip():
        _step(fb, actor, "note", note.strip()[:1000], public=False, at=now)
    audit_change(
        actor, "feedback.forward", fb, before=before, after={"status": fb.status, "unit": to_unit.pk}
    )
    return fb


# --- the ledger -----------------------------------------------------------------------------------


def _problem_of_round(actor: Actor, fb: Feedback, finding: Finding) -> Finding:
    f = selectors.problems_to_link(user=actor, round=fb.round).filter(pk=finding.pk).first()
    if f is None:
        raise InvalidInput("请选择本轮巡察中您可以查看的具体问题", field="finding")
    return f


@transaction.atomic
def feedback_link(
    *, actor: Actor, feedback: Feedback, finding: Finding, relapse: bool = False, note: str = ""
) -> Feedback:
    """Link a feedback to a problem of its round (the citizen confirms a known problem).

    ``relapse``: the problem is closed (已销号) and the feedback shows it has come back. Only a
    supervisor may reopen a closed problem (``finding_reopen``): an actor who is one reopens it
    at once (a new cycle); otherwise the supervisors above the problem's unit are told, with a
    link to the problem, and decide (the feedback keeps the mark in its steps)."""
    fb = _lock(feedback)
    _require_handler(actor, fb, "关联整改问题")
    _require_state(fb, "link", "关联整改问题")
    f = _problem_of_round(actor, fb, finding)
    if relapse and f.status != ProblemStatus.CLOSED:
        raise InvalidInput("只有已销号的问题才能标记为反弹", field="relapse")
    before = {"finding": fb.finding_id, "is_clue": fb.is_clue}
    fb.finding = f
    fb.is_clue = False
    fb.save(update_fields=["finding", "is_clue", "updated_at"])
    now = timezone.now()
    _step(fb, actor, "link", "已纳入巡察整改问题办理", public=True, at=now)
    reopened = False
    if relapse:
        detail = f"：{note.strip()[:200]}" if note.strip() else ""
        why = f"群众反馈 {fb.tracking} 反映该问题出现反弹{detail}"
        if can(actor, f.unit, SUPERVISE_ROLES):
            ledger_services.finding_reopen(actor=actor, finding=f, reason=why, relapse=True)
            reopened = True
            _step(fb, actor, "relapse", "问题已重新打开整改", public=False, at=now)
        else:
            supervisors = holders_above(unit=f.unit, roles={Role.SUPERVISOR})
            message_send(
                recipients=supervisors,
                kind="feedback.relapse",
                subject=f"群众反馈反映已销号问题反弹：{f.title[:60]}",
                body=f"{why}。请核实后决定是否重新打开该问题。",
                url=reverse("web:problem-detail", args=[f.pk]),
                topic=f"finding:{f.pk}",
                level=Level.RED,
                unit=f.unit,
                dedupe=f"feedback-relapse:{fb.pk}:{f.pk}",
                sensitivity=f.sensitivity,
            )
            _step(fb, actor, "relapse", "已报请监督部门核实问题反弹", public=False, at=now)
    audit_change(
        actor,
        "feedback.link",
        fb,
        before=before,
        after={"finding": f.pk, "relapse": relapse, "reopened": reopened},
    )
    return fb


@transaction.atomic
def feedback_clue(*, actor: Actor, feedback: Feedback, title: str, parent: Finding | None = None) -> Feedback:
    """The feedback raises a new problem (新线索): a problem is added to the round through the
    ledger's ``finding_create`` (the 整改办 edits the findings tree: the clerk's role is needed)
    and the feedback is linked to it."""
    fb = _lock(feedback)
    _require_handler(actor, fb, "将反馈作为新线索")
    _require_state(fb, "link", "将反馈作为新线索")
    title = (title or "").strip()
    if not title:
        raise InvalidInput("请填写问题标题", field="title")
    if parent is not None and (parent.round_id != fb.round_id or parent.kind == FindingKind.PROBLEM):
        raise InvalidInput("上级只能是本轮巡察的问题类别或问题", field="parent")
    if parent is not None:
        require_cleared(actor, parent.sensitivity, "将反馈作为新线索")
    f = ledger_services.finding_create(
        actor=actor, round=fb.round, parent=parent, kind=FindingKind.PROBLEM, title=title[:500]
    )
    before = {"finding": fb.finding_id, "is_clue": fb.is_clue}
    fb.finding = f
    fb.is_clue = True
    fb.save(update_fields=["finding", "is_clue", "updated_at"])
    _step(fb, actor, "clue", "已作为新的问题线索纳入整改", public=True, at=timezone.now())
    audit_change(actor, "feedback.clue", fb, before=before, after={"finding": f.pk, "is_clue": True})
    return fb


# --- the reply ------------------------------------------------------------------------------------


@transaction.atomic
def feedback_reply(*, actor: Actor, feedback: Feedback, text: str, publish: bool = False) -> Feedback:
    """Write (or correct) the reply the citizen reads; ``publish`` only with the citizen's consent
    (a database constraint holds it too)."""
    fb = _lock(feedback)
    _require_handler(actor, fb, "答复群众反馈")
    _require_state(fb, "reply", "答复（请先受理）")
    text = (text or "").strip()
    if not text:
        raise InvalidInput("请填写答复内容", field="text")
    if len(text) > _REPLY_MAX:
        raise InvalidInput(f"答复不能超过 {_REPLY_MAX} 字", field="text")
    if publish and not fb.consent_publish:
        raise InvalidInput("反映人未同意公开答复，不能公开", field="publish")
    before = {"status": fb.status, "reply": fb.reply, "reply_public": fb.reply_public}
    first = fb.status != St.REPLIED
    fb.status = St.REPLIED
    fb.reply = text
    fb.reply_public = bool(publish)
    fb.replied_at = timezone.now()
    fb.replied_by = actor
    fb.save(update_fields=["status", "reply", "reply_public", "replied_at", "replied_by", "updated_at"])
    _step(fb, actor, "reply", "已答复" if first else "答复已更新", public=True, at=fb.replied_at)
    audit_change(
        actor,
        "feedback.reply",
        fb,
        before=before,
        after={"status": fb.status, "reply": text, "reply_public": publish},
    )
    return fb


# --- periodic jobs --------------------------------------------------------------------------------


def _cn(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def feedback_remind(*, at: dt.date) -> int:
    """Warn the handling unit's 整改办 and 群众反馈办理人员 of reply deadlines: daily from
    ``WARN_DAYS_BEFORE`` days before the deadline, and daily once it has passed. Idempotent per
    day (the message's ``dedupe`` key names the feedback and the day). Returns the messages sent.
    """
    due = (
        Feedback.objects.filter(
            status__in=sorted(selectors.AWAITING_REPLY),
            reply_deadline__isnull=False,
            reply_deadline__lte=at + dt.timedelta(days=WARN_DAYS_BEFORE),
        )
        .select_related("unit")
        .order_by("unit_id", "reply_deadline", "pk")
    )
    holders: dict[int, list[Any]] = {}
    sent = 0
    for fb in due:
        deadline = fb.reply_deadline
        if deadline is None:  # excluded by the filter; for the type checker
            continue
        if fb.unit_id not in holders:
            holders[fb.unit_id] = list(holders_at(unit=fb.unit, roles=set(FEEDBACK_ROLES)))
        left = (deadline - at).days
        if left < 0:
            subject = f"群众反馈 {fb.tracking} 已超过答复时限 {-left} 天"
            level = Level.RED
        elif left == 0:
            subject = f"群众反馈 {fb.tracking} 今天到期，请及时答复"
            level = Level.YELLOW
        else:
            subject = f"群众反馈 {fb.tracking} 将于 {left} 天后到期"
            level = Level.YELLOW
        with transaction.atomic():
            made = message_send(
                recipients=holders[fb.unit_id],
                kind="feedback.reminder",
                subject=subject,
                body=f"答复时限：{_cn(deadline)}。请在时限内答复反映人。",
                url=reverse("feedback:detail", args=[fb.pk]),
                topic=f"feedback:{fb.pk}",
                level=level,
                unit=fb.unit,
                dedupe=f"feedback-reminder:{fb.pk}:{at.isoformat()}",
            )
        sent += len(made)
    return sent


def feedback_purge(*, now: dt.datetime) -> int:
    """Retention (个人信息保护): wipe the personal data of feedback whose handling ended (答复,
    不予受理, 合并) more than ``FEEDBACK_RETENTION_DAYS`` ago: the ciphertexts, the blind indexes,
    the address index and the attachments (their files go once no row names them). The opinion
    and the handling stay. Also deletes expired throttle counters. Returns the feedback purged.
    """
    cutoff = now - dt.timedelta(days=int(settings.FEEDBACK_RETENTION_DAYS))
    Throttle.objects.filter(expires_at__lt=now).delete()
    ids = list(
        Feedback.objects.filter(purged_at__isnull=True, status__in=sorted(selectors.CLOSED_STATUSES))
        .annotate(last=Max("steps__at"))
        .filter(Q(last__lte=cutoff) | Q(last__isnull=True, updated_at__lte=cutoff))
        .values_list("pk", flat=True)
    )
    if not ids:
        return 0
    names: set[str] = set()
    with transaction.atomic():
        rows = list(Feedback.objects.select_for_update().filter(pk__in=ids, purged_at__isnull=True))
        attachments = list(FeedbackAttachment.objects.filter(feedback__in=rows))
        names = {a.storage_name for a in attachments}
        per_feedback: dict[int, int] = defaultdict(int)
        for a in attachments:
            per_feedback[a.feedback_id] += 1
        FeedbackAttachment.objects.filter(pk__in=[a.pk for a in attachments]).delete()
        Feedback.objects.filter(pk__in=[fb.pk for fb in rows]).update(
            name_ct=b"",
            phone_ct=b"",
            email_ct=b"",
            phone_index="",
            email_index="",
            ip_index="",
            purged_at=now,
        )
        audit_record_many(
            entries=[
                audit_entry(
                    actor=None,
                    action="feedback.purge",
                    obj=fb,
                    unit_id=fb.unit_id,
                    after={"tracking": fb.tracking, "attachments": per_feedback.get(fb.pk, 0)},
                )
                for fb in rows
            ]
        )

        def release() -> None:
            named = FeedbackAttachment.objects.filter(storage_name__in=names)
            evidence_store.release(sorted(names - set(named.values_list("storage_name", flat=True))))

        transaction.on_commit(release)
    return len(rows)


# --- attachments ----------------------------------------------------------------------------------


class AttachmentDamaged(ServiceError):
    """The stored bytes no longer match the digest recorded when the citizen sent them (500)."""

    http_status = 500


@dataclass(frozen=True)
class OpenedAttachment:
    """An attachment checked against its SHA-256 and opened at its start; the caller closes ``file``."""

    attachment: FeedbackAttachment
    file: BinaryIO
    name: str
    content_type: str
    size: int
    sha256: str


def feedback_attachment_open(*, actor: Actor, feedback_pk: int, pk: int) -> OpenedAttachment:
    """Open an attachment for a reader of its feedback and record the download
    (``feedback.attachment_download``, written before the file is handed over). A missing file
    is 404, a changed one ``AttachmentDamaged``; both recorded as failed."""
    att = selectors.attachment_get_for_user(user=actor, feedback_pk=feedback_pk, pk=pk)
    detail = {"feedback": att.feedback_id, "name": att.name, "sha256": att.sha256}
    try:
        handle = evidence_store.open_blob(att.storage_name)  # a folder or an object store; handed over
    except (FileNotFoundError, ValueError) as exc:
        audit_security_event(
            actor=actor,
            action="feedback.attachment_download",
            obj=att,
            unit_id=att.unit_id,
            outcome="failed",
            reason="文件已不存在",
            detail=detail,
        )
        raise Http404("文件已不存在") from exc
    try:
        h = evidence_store.new_hash("sha256")
        while chunk := handle.read(1024 * 1024):
            h.update(chunk)
        handle.seek(0)
        if h.hexdigest() != att.sha256:
            audit_security_event(
                actor=actor,
                action="feedback.attachment_download",
                obj=att,
                unit_id=att.unit_id,
                outcome="failed",
                reason="文件校验失败",
                detail=detail,
            )
            raise AttachmentDamaged("文件校验失败：存储的文件与提交时的摘要不符，已记录。请联系系统管理员。")
        audit_change(actor, "feedback.attachment_download", att, after=detail)
    except BaseException:
        handle.close()
        raise
    return OpenedAttachment(att, handle, att.name, att.content_type, att.size, att.sha256)
