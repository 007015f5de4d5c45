"""Who may reach what: the outsider sees nothing of unit A, the anonymous are sent to log in,
a viewer may look but not act, the administrators' pages are theirs alone.

The access matrix names every URL of every namespace, un-namespaced ones too (the guard is
``test_finding13_every_url_of_every_namespace_is_in_the_access_matrix``): a new URL fails it
until it is added here with who may reach it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLResolver, get_resolver, reverse

from tests.conftest import PASSWORD, SEED
from tests.today import days_from_today
from tests.web.conftest import PDF, World
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger.models import Finding, Measure, Progress, Round
from zhenggai.units.models import Membership


@dataclass(frozen=True)
class Target:
    """One URL of unit A's objects, and a request that would do something if allowed."""

    name: str
    method: str
    args: Callable[[World, str], list[Any]]
    data: Callable[[World, Any, str], dict[str, Any]] | None = None
    namespace: str = "web"
    # Who of unit A's people (``Personas.all_users`` names, and "feedback_officer") may do it;
    # everyone else of unit A gets 403. None: the older sets say it (CLERK_PAGES, the viewer tests).
    allowed: frozenset[str] | None = None

    @property
    def url_name(self) -> str:
        return f"{self.namespace}:{self.name}"


def _round(w: World, _: str) -> list[Any]:
    return [w.round.pk]


def _problem(w: World, _: str) -> list[Any]:
    return [w.problem.pk]


def _submitted(w: World, _: str) -> list[Any]:
    return [w.submitted.pk]


def _fresh(w: World, _: str) -> list[Any]:
    return [w.fresh.pk]


def _none(w: World, _: str) -> list[Any]:
    return []


def _document(w: World) -> Any:
    """A document kept with unit A's round (the hand-built round has none of its own)."""
    from zhenggai.ledger.models import SourceDocument

    doc, _ = SourceDocument.objects.get_or_create(
        round=w.round,
        defaults={
            "unit": w.round.unit,
            "name": "反馈意见.txt",
            "sha256": "0" * 64,
            "text_sha256": "0" * 64,
            "text": "一、政治建设方面",
        },
    )
    return doc


def _extension(w: World, _: str) -> list[Any]:
    """A request of unit A's fresh measure, waiting (made directly: the page tests only look)."""
    from zhenggai.supervision.models import Extension

    ext, _made = Extension.objects.get_or_create(
        measure=w.fresh,
        status="pending",
        defaults={
            "round": w.round,
            "unit": w.round.unit,
            "requested_by": w.fresh.person,
            "reason": "设备未到位",
            "old_deadline": w.fresh.deadline,
            "new_deadline": w.fresh.deadline + dt.timedelta(days=30),
        },
    )
    return [ext.pk]


TARGETS = [
    Target("round-detail", "get", _round),
    Target("round-measures", "get", _round),
    Target("problem-detail", "get", _problem),
    Target("problem-detail", "get", lambda w, _: [w.category.pk]),
    Target("measure-detail", "get", _submitted),
    Target("evidence-download", "get", lambda w, _: [w.evidence.pk]),
    Target("import-preview", "get", lambda w, digest: [digest]),
    Target("round-edit", "get", _round),
    Target("round-edit", "post", _round, lambda w, p, d: {"title": "改名的轮次", "kind": "regular"}),
    Target("round-sign", "post", _round, lambda w, p, d: {}),
    Target("finding-create", "post", _round, lambda w, p, d: {"kind": "category", "title": "新类别"}),
    Target(
        "round-assign", "post", _round, lambda w, p, d: {"measures": [w.fresh.pk], "person": p.person2.pk}
    ),
    Target("problem-edit", "post", _problem, lambda w, p, d: {"edit-title": "改过的", "edit-number": "9."}),
    Target("problem-close", "post", _problem, lambda w, p, d: {}),
    Target("problem-send-back", "post", _problem, lambda w, p, d: {"send_back-reason": "材料不全"}),
    Target("problem-reopen", "post", _problem, lambda w, p, d: {"reopen-reason": "问题反弹"}),
    Target("measure-create", "post", _problem, lambda w, p, d: {"text": "新措施", "kind": "deadline"}),
    Target(
        "measure-edit",
        "post",
        _fresh,
        lambda w, p, d: {"text": "改过的措施", "kind": "deadline", "version": w.fresh.version},
    ),
    Target("measure-accept-suggestion", "post", _fresh, lambda w, p, d: {}),
    Target(
        "measure-split",
        "post",
        _fresh,
        lambda w, p, d: {"texts": "第一条\n第二条", "version": w.fresh.version},
    ),
    Target("measure-move", "post", _fresh, lambda w, p, d: {"direction": "up"}),
    Target("measure-delete", "post", _fresh, lambda w, p, d: {}),
    Target(
        "progress-add",
        "post",
        _fresh,
        lambda w, p, d: {"text": "已开展", "files": [SimpleUploadedFile("a.pdf", PDF)]},
    ),
    Target("measure-submit", "post", _fresh, lambda w, p, d: {}),
    Target("measure-review", "post", _submitted, lambda w, p, d: {"decision": "approve"}),
    Target("import-confirm", "post", _none, lambda w, p, d: {"digest": d}),
    Target("round-import", "get", _round),
    Target(
        "round-import",
        "post",
        _round,
        lambda w, p, d: {"file": SimpleUploadedFile("方案.txt", "方案".encode())},
    ),
    Target("round-import-preview", "get", lambda w, d: [w.round.pk, d]),
    Target("round-import-confirm", "post", _round, lambda w, p, d: {"digest": d}),
    Target("round-document", "get", lambda w, _: [w.round.pk, _document(w).pk]),
    Target("finding-correct", "get", _problem),
    Target("finding-move", "post", _problem, lambda w, p, d: {"direction": "up"}),
    Target("finding-reparent", "post", _problem, lambda w, p, d: {"parent-parent": w.category.pk}),
    Target(
        "finding-split",
        "post",
        _problem,
        lambda w, p, d: {"split-title": "拆出的问题", "split-measures": [w.fresh.pk]},
    ),
    Target("finding-merge", "post", _problem, lambda w, p, d: {"merge-other": w.problem.pk}),
    Target("finding-delete", "post", _problem, lambda w, p, d: {"delete-reason": "越权删除"}),
    Target("finding-restore", "post", _problem, lambda w, p, d: {}),
    Target("round-delete", "post", _round, lambda w, p, d: {"delete-reason": "越权删除"}),
    Target("round-restore", "post", _round, lambda w, p, d: {}),
    # The 整改台账 workbook, the plan and the notice of unit A's round.
    Target("xlsx-export", "get", _round, namespace="reports"),
    Target("xlsx-import", "get", _round, namespace="reports"),
    Target(
        "xlsx-import",
        "post",
        _round,
        lambda w, p, d: {"file": SimpleUploadedFile("台账.xlsx", b"PK\x03\x04")},
        namespace="reports",
    ),
    Target("xlsx-import-preview", "get", lambda w, d: [w.round.pk, "0" * 64], namespace="reports"),
    Target("xlsx-import-confirm", "post", _round, lambda w, p, d: {"digest": "0" * 64}, namespace="reports"),
    Target("plan-docx", "get", _round, namespace="reports"),
    Target("notice-edit", "get", _round, namespace="reports"),
    Target(
        "notice-edit",
        "post",
        _round,
        lambda w, p, d: {"signed_by": "冒名单位", "signed_on": "2022-03-01"},
        namespace="reports",
    ),
    Target("notice-docx", "get", _round, namespace="reports"),
    Target("notice-pdf", "get", _round, namespace="reports"),
    # Warnings, tier settings and extensions (views/supervision_warnings.py).
    Target("round-settings", "get", _round, namespace="supervision"),
    Target(
        "round-settings",
        "post",
        _round,
        lambda w, p, d: {
            "green_on": "on",
            "green_days": "30",
            "green_notify": ["person"],
            "stage_report_months": "3",
            "rush_hours": "24",
        },
        namespace="supervision",
    ),
    Target("extension-request", "get", _fresh, namespace="supervision"),
    Target(
        "extension-request",
        "post",
        _fresh,
        lambda w, p, d: {"new_deadline": str(w.fresh.deadline + dt.timedelta(days=30)), "reason": "越权申请"},
        namespace="supervision",
    ),
    Target("extension-detail", "get", _extension, namespace="supervision"),
    Target(
        "extension-decide", "post", _extension, lambda w, p, d: {"decision": "grant"}, namespace="supervision"
    ),
    Target("extension-withdraw", "post", _extension, lambda w, p, d: {}, namespace="supervision"),
]
# --- H3: verification, look-backs, evaluation, 督办单 (namespace "supervision") -----------------


def _lookback(w: World) -> Any:
    """A look-back of unit A's round with its problem as the one item (made directly: the
    hand-built round has no closed problem)."""
    from zhenggai.supervision.models import Lookback, LookbackItem

    lb, _ = Lookback.objects.get_or_create(
        round=w.round,
        defaults={
            "unit": w.round.unit,
            "title": "回头看",
            "scheduled_on": w.round.feedback_date,
            "created_by": w.round.created_by,
        },
    )
    LookbackItem.objects.get_or_create(lookback=lb, finding=w.problem, defaults={"unit": w.round.unit})
    return lb


def _lookback_item(w: World) -> Any:
    return _lookback(w).items.get()


def _indicator(w: World) -> Any:
    from zhenggai.supervision.models import Indicator

    ind, _ = Indicator.objects.get_or_create(
        round=w.round,
        defaults={"unit": w.round.unit, "dimension": "责任落实", "name": "专题研究", "max_score": 10},
    )
    return ind


def _order(w: World) -> Any:
    from tests.today import days_from_today
    from zhenggai.supervision.models import FollowUpOrder

    order, _ = FollowUpOrder.objects.get_or_create(
        unit=w.round.unit,
        number="督办〔2026〕第1号",
        defaults={
            "round": w.round,
            "subject": "学习计划落实情况",
            "body": "请报送",
            "reply_due": days_from_today(10),
            "issued_by": w.round.created_by,
        },
    )
    return order


FOLLOWUP_TARGETS = [
    Target("round-lookbacks", "get", _round, namespace="supervision"),
    Target("lookback-create", "get", _round, namespace="supervision"),
    Target(
        "lookback-create",
        "post",
        _round,
        lambda w, p, d: {"title": "越权回头看", "scheduled_on": str(days_from_today(30)), "scope": "all"},
        namespace="supervision",
    ),
    Target("lookback-detail", "get", lambda w, _: [_lookback(w).pk], namespace="supervision"),
    Target(
        "lookback-complete",
        "post",
        lambda w, _: [_lookback(w).pk],
        lambda w, p, d: {},
        namespace="supervision",
    ),
    Target(
        "lookback-check",
        "post",
        lambda w, _: [_lookback_item(w).pk],
        lambda w, p, d: {f"item{_lookback_item(w).pk}-result": "held"},
        namespace="supervision",
    ),
    Target("round-verifications", "get", _round, namespace="supervision"),
    Target("measure-verify", "get", _submitted, namespace="supervision"),
    Target(
        "measure-verify",
        "post",
        _submitted,
        lambda w, p, d: {"result": "effective", "opinion": "越权核验"},
        namespace="supervision",
    ),
    Target("evaluation-scheme", "get", _round, namespace="supervision"),
    Target("evaluation-default", "post", _round, lambda w, p, d: {}, namespace="supervision"),
    Target(
        "indicator-add",
        "post",
        _round,
        lambda w, p, d: {"add-dimension": "维度", "add-name": "指标", "add-max_score": "5"},
        namespace="supervision",
    ),
    Target("indicator-edit", "get", lambda w, _: [_indicator(w).pk], namespace="supervision"),
    Target(
        "indicator-edit",
        "post",
        lambda w, _: [_indicator(w).pk],
        lambda w, p, d: {"dimension": "改", "name": "改", "max_score": "9"},
        namespace="supervision",
    ),
    Target(
        "indicator-delete",
        "post",
        lambda w, _: [_indicator(w).pk],
        lambda w, p, d: {},
        namespace="supervision",
    ),
    Target("evaluation-score", "get", _round, namespace="supervision"),
    Target(
        "evaluation-score",
        "post",
        _round,
        lambda w, p, d: {f"score-{_indicator(w).pk}": "5"},
        namespace="supervision",
    ),
    Target("evaluation-report", "get", _round, namespace="supervision"),
    Target("order-detail", "get", lambda w, _: [_order(w).pk], namespace="supervision"),
    Target(
        "order-reply",
        "post",
        lambda w, _: [_order(w).pk],
        lambda w, p, d: {"reply": "越权回复", "version": 1},
        namespace="supervision",
    ),
    Target(
        "order-decide",
        "post",
        lambda w, _: [_order(w).pk],
        lambda w, p, d: {"decision": "close", "opinion": "越权办结"},
        namespace="supervision",
    ),
]
# Pages of unit A only a supervisor may open (403 for the viewer, like CLERK_PAGES).
SUPERVISOR_PAGES = {
    "supervision:lookback-create",
    "supervision:measure-verify",
    "supervision:indicator-edit",
    "supervision:evaluation-score",
}

TARGETS += FOLLOWUP_TARGETS
# The supervisor's 整改质量体检 of a unit (views/supervision_dashboard.py; a viewer gets 404).
TARGETS += [Target("quality", "get", lambda w, _: [w.round.unit_id], namespace="supervision")]
SUPERVISOR_PAGES.add("supervision:quality")


# --- Issue 12: the 整改情况报告, disclosure (信息公开) and citizen feedback (群众反馈) ---------------
PHONE = "13812345678"  # a citizen's phone in the notice: the one hit of the disclosure check
CLERK = frozenset({"clerk"})
HEAD = frozenset({"leader"})
HANDLERS = frozenset({"clerk", "feedback_officer"})  # FEEDBACK_ROLES at the handling unit
READERS = HANDLERS | {"leader", "supervisor"}  # feedback.selectors.may_read


def _version(w: World) -> Any:
    """The notice of unit A's round, checked (the phone masked) and submitted by the clerk: it
    waits for the unit head. Made once through the services (the tests make it before they
    look at the audit log: ``_prepare``)."""
    from zhenggai.disclosure import services
    from zhenggai.disclosure.models import PublicationVersion
    from zhenggai.reports.services import draft_save

    made = PublicationVersion.objects.filter(publication__round=w.round).order_by("pk").first()
    if made is not None:
        return made
    clerk = w.round.created_by
    draft_save(
        actor=clerk,
        round=w.round,
        expected_version=0,
        kind="notice",
        organisation_text="成立巡察整改工作领导小组。",
        long_term_text="建立健全长效机制。",
        next_steps_text=f"继续回访反映人（电话{PHONE}），巩固整改成果。",
        phone="0556-4512345",
        signing_unit="望江县公安局交通管理大队",
        signed_on=days_from_today(-1),
    )
    for item in services.publication_check(actor=clerk, round=w.round).items:
        services.decision_set(
            actor=clerk, round=w.round, kind="notice", fingerprint=item.fingerprint, action="mask"
        )
    return services.version_submit(actor=clerk, round=w.round)


def _fingerprint(w: World) -> str:
    from zhenggai.disclosure.models import CheckDecision

    _version(w)
    return CheckDecision.objects.get(publication__round=w.round).fingerprint


def _feedback(w: World) -> Any:
    """Two citizens' feedback on unit A's round: the first received with a PDF attached, the
    second accepted (replies need an accepted one; a merge goes into it)."""
    from zhenggai.feedback import services
    from zhenggai.feedback.models import Feedback

    made = list(Feedback.objects.filter(round=w.round).order_by("pk"))
    if made:
        return made[0]
    for i, files in enumerate(
        ([SimpleUploadedFile("现场照片.pdf", PDF, content_type="application/pdf")], [])
    ):
        services.feedback_submit(
            round=w.round,
            token=services.form_token(round=w.round),
            content="路口信号灯长期故障，整改后又坏了。",
            name="欧阳明华",
            phone=PHONE,
            files=files,
            consent=True,
            consent_publish=False,
            client_ip=f"10.0.0.{i + 1}",
        )
    first, second = Feedback.objects.filter(round=w.round).order_by("pk")
    services.feedback_accept(actor=w.round.created_by, feedback=second)
    return first


def _accepted(w: World) -> Any:
    from zhenggai.feedback.models import Feedback

    _feedback(w)
    return Feedback.objects.filter(round=w.round).order_by("pk").last()


def _fb(w: World, _: str) -> list[Any]:
    return [_feedback(w).pk]


def _version_pk(w: World, _: str) -> list[Any]:
    return [_version(w).pk]


NOTICE_FORM = {
    "organisation_text": "越权改写",
    "long_term_text": "越权改写",
    "phone": "0556-4512345",
    "signing_unit": "冒名单位",
    "version": "0",
}
ISSUE12_TARGETS = [
    Target("report-edit", "get", _round, namespace="reports"),
    Target(
        "report-edit",
        "post",
        _round,
        lambda w, p, d: {**NOTICE_FORM, "signed_on": str(days_from_today(-1))},
        namespace="reports",
        allowed=CLERK,
    ),
    Target("report-docx", "get", _round, namespace="reports"),
    Target("report-pdf", "get", _round, namespace="reports"),
    Target("round", "get", _round, namespace="disclosure"),
    Target("check", "get", lambda w, _: [w.round.pk, "notice"], namespace="disclosure", allowed=CLERK | HEAD),
    Target(
        "check",
        "post",
        lambda w, _: [w.round.pk, "notice"],
        lambda w, p, d: {
            "step": "decide",
            "fingerprint": _fingerprint(w),
            "action": "justify",
            "reason": "越权",
        },
        namespace="disclosure",
        allowed=CLERK,
    ),
    Target(
        "check",
        "post",
        lambda w, _: [w.round.pk, "notice"],
        lambda w, p, d: {"step": "submit", "draft_version": _version(w).draft_version, "change_note": "越权"},
        namespace="disclosure",
        allowed=CLERK,
    ),
    Target(
        "check",
        "post",
        lambda w, _: [w.round.pk, "notice"],
        lambda w, p, d: {"step": "label_public"},
        namespace="disclosure",
        allowed=CLERK | HEAD,  # LABEL_ROLES
    ),
    Target("approve", "get", _version_pk, namespace="disclosure"),
    Target("approve", "post", _version_pk, lambda w, p, d: {}, namespace="disclosure", allowed=HEAD),
    Target(
        "reject",
        "post",
        _version_pk,
        lambda w, p, d: {"reason": "越权退回"},
        namespace="disclosure",
        allowed=HEAD,
    ),
    Target("version-file", "get", lambda w, _: [_version(w).pk, "pdf"], namespace="disclosure"),
    Target("version-file", "get", lambda w, _: [_version(w).pk, "docx"], namespace="disclosure"),
    Target("detail", "get", _fb, namespace="feedback", allowed=READERS),
    Target(
        "attachment",
        "get",
        lambda w, _: [_feedback(w).pk, _feedback(w).attachments.get().pk],
        namespace="feedback",
        allowed=READERS,
    ),
    Target(
        "reveal",
        "post",
        _fb,
        lambda w, p, d: {},
        namespace="feedback",
        allowed=frozenset({"feedback_officer"}),
    ),
    Target(
        "accept",
        "post",
        _fb,
        lambda w, p, d: {"deadline": str(days_from_today(10))},
        namespace="feedback",
        allowed=HANDLERS,
    ),
    Target(
        "merge",
        "post",
        _fb,
        lambda w, p, d: {"into": _accepted(w).pk},
        namespace="feedback",
        allowed=HANDLERS,
    ),
    Target(
        "reject",
        "post",
        _fb,
        lambda w, p, d: {"reason": "越权不予受理"},
        namespace="feedback",
        allowed=HANDLERS,
    ),
    Target(
        "forward",
        "post",
        _fb,
        lambda w, p, d: {"to_unit": p.departments[0].pk},
        namespace="feedback",
        allowed=HANDLERS,
    ),
    Target(
        "link", "post", _fb, lambda w, p, d: {"finding": w.problem.pk}, namespace="feedback", allowed=HANDLERS
    ),
    # finding_create needs the clerk's role: the feedback officer may not add a problem.
    Target("clue", "post", _fb, lambda w, p, d: {"title": "越权新线索"}, namespace="feedback", allowed=CLERK),
    Target(
        "reply",
        "post",
        lambda w, _: [_accepted(w).pk],
        lambda w, p, d: {"text": "越权答复"},
        namespace="feedback",
        allowed=HANDLERS,
    ),
]
TARGETS += ISSUE12_TARGETS
ACTIONS = [t for t in TARGETS if t.method == "post"]
# Pages of unit A a viewer may not open: the clerk's upload pages, and previews of uploads.
# An account that is a clerk nowhere (an administrator) gets 403 on the document upload's
# preview and confirm: refused before any upload, of any unit, is looked up.
NOT_A_CLERK_403 = {"web:import-preview", "web:import-confirm"}
CLERK_PAGES = {
    "supervision:extension-request",
    "web:import-preview",
    "web:round-import",
    "web:round-import-preview",
    "web:finding-correct",
    "web:round-edit",
    "reports:xlsx-import",
    "reports:xlsx-import-preview",
    "reports:notice-edit",
}

# Every other URL of the site, by who may reach it. Anonymous visitors are sent to log in
# from all of them but PUBLIC (logging out is open: a session that has just timed out
# may still press 退出登录).
PUBLIC = {"web:login", "web:logout"}
# Any logged-in user, for themselves (lists and searches show only their own units).
OPEN_TO_ALL_USERS = {
    "supervision:dashboard",
    "supervision:dashboard-measures",
    "supervision:order-list",
    "supervision:order-create",
    "inbox:list",
    "inbox:read-all",
    "inbox:preferences",
    "supervision:extension-list",
    "web:home",
    "web:round-list",
    "web:round-create",
    "web:import",
    "web:round-trash",
    "web:search",
    "accounts:otp-verify",
    "accounts:otp-enrol",
    "accounts:password-change",
    "accounts:profile",
    "disclosure:pending",
    # One's own API tokens (tests/web/test_tokens_pages.py).
    "accounts:tokens",
    "accounts:token-create",
}
# The list of citizen feedback: each reader's own (the handlers, unit heads and supervisors);
# 403 for anyone who reads feedback nowhere (a viewer, a responsible person, the administrators).
FEEDBACK_LIST = {"feedback:list"}
# The public site /gk/: open to anyone, and every visitor is anonymous there (tested in
# tests/public and by PUBLIC in tests/accounts/test_totp.py); named here so that the
# inventory stays whole.
PUBLIC_SITE = {
    "public:index",
    "public:round",
    "public:version",
    "public:version-file",
    "public:feedback",
    "public:track",
    "public:rounds-json",
    "public:rounds-csv",
    "public:round-json",
    "public:feed",
    "public:qr",
}
# The 审计管理员 only.
AUDIT_ADMIN_PAGES = {"audit:list", "audit:export"}
# The 系统管理员 and 安全管理员 only (which of the two: tests/accounts/test_admin_roles.py).
ACCOUNT_ADMIN_PAGES = {
    "accounts:users",
    "accounts:user-create",
    "accounts:user-detail",
    "accounts:user-active",
    "accounts:user-unlock",
    "accounts:user-otp-reset",
    "accounts:user-password",
    "accounts:user-role",
    "accounts:user-unit-role",
    "accounts:user-recovery",
    "accounts:change-requests",
    "accounts:change-request-decide",
    # The 安全管理员 only (tests/web/test_tokens_pages.py).
    "accounts:tokens-all",
}
# How each administrators' page is asked for (a user page is the clerk's).
ADMIN_REQUESTS = {
    "audit:list": ("get", False),
    "audit:export": ("get", False),
    "accounts:users": ("get", False),
    "accounts:user-create": ("post", False),
    "accounts:user-detail": ("get", True),
    "accounts:user-active": ("post", True),
    "accounts:user-unlock": ("post", True),
    "accounts:user-otp-reset": ("post", True),
    "accounts:user-password": ("post", True),
    "accounts:user-role": ("post", True),
    "accounts:user-unit-role": ("post", True),
    "accounts:user-recovery": ("post", True),
    "accounts:change-requests": ("get", False),
    "accounts:change-request-decide": ("post", True),
    "accounts:tokens-all": ("get", False),
}


def _ids(targets: list[Target]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for t in targets:
        seen[t.url_name] = seen.get(t.url_name, 0) + 1
        out.append(t.url_name if seen[t.url_name] == 1 else f"{t.url_name}-{seen[t.url_name]}")
    return out


@pytest.fixture
def uploaded_digest(personas: Any, client_for: Any) -> str:
    """A's clerk has uploaded the seed and is looking at its preview."""
    c = client_for(personas.clerk)
    r = c.post(reverse("web:import"), {"file": SimpleUploadedFile(SEED.name, SEED.read_bytes())})
    assert r.status_code == 302
    return r.url.rstrip("/").rsplit("/", 1)[-1]


def _request(client: Any, target: Target, world: World, personas: Any, digest: str) -> Any:
    url = reverse(target.url_name, args=target.args(world, digest))
    if target.method == "get":
        return client.get(url)
    return client.post(url, target.data(world, personas, digest) if target.data else {})


def _snapshot() -> tuple[Any, ...]:
    from zhenggai.disclosure.models import CheckDecision, PublicationVersion
    from zhenggai.feedback.models import Feedback, FeedbackStep
    from zhenggai.reports.models import NoticeDraft

    return (
        AuditEvent.objects.count(),
        Round.objects.count(),
        Finding.objects.count(),
        Progress.objects.count(),
        sorted(Measure.objects.values_list("pk", "version", "status", "position", "sensitivity")),
        sorted(Finding.objects.values_list("pk", "sensitivity")),
        sorted(NoticeDraft.objects.values_list("kind", "version")),
        sorted(CheckDecision.objects.values_list("fingerprint", "action", "reason")),
        sorted(PublicationVersion.objects.values_list("pk", "status")),
        sorted(Feedback.objects.values_list("pk", "status", "unit_id", "finding_id", "reply")),
        FeedbackStep.objects.count(),
    )


def _prepare(target: Target, world: World, personas: Any, digest: str) -> None:
    """Make the objects a target names before the test looks at the database (the feedback and
    the submitted version are made through services, which write to the audit log)."""
    target.args(world, digest)
    if target.data:
        target.data(world, personas, digest)


def _url_names(patterns: list[Any], namespace: str = "") -> Iterator[str]:
    """Every URL name under ``patterns``, with its namespaces (``reports:xlsx-export``)."""
    for p in patterns:
        if isinstance(p, URLResolver):
            inner = ":".join(n for n in (namespace, p.namespace) if n)
            yield from _url_names(p.url_patterns, inner)
        else:
            assert p.name, f"a URL without a name cannot be in the access matrix: {p.pattern}"
            yield f"{namespace}:{p.name}" if namespace else p.name


# One's own messages only: another user's message is 404 (tests/web/test_inbox.py).
OWN_MESSAGES = {"inbox:open"}
# An API token: its owner and the 安全管理员 revoke it, anyone else 403, recorded
# (tests/web/test_tokens_pages.py).
OWN_TOKENS = {"accounts:token-revoke"}
# The JSON API: token, not session (401 without one; docs and schema public; a JSON 404 for any
# other /api/ path): tests/accounts/test_totp.py and tests/api/.
API_ROUTES = {n for n in _url_names(get_resolver().url_patterns) if n.startswith("api:")} | {"api-not-found"}
# The 系统管理员 only (tests/web/test_inbox.py; others 403, recorded).
SYSTEM_ADMIN_PAGES = {"inbox:outbox"}
MATRIX = [
    PUBLIC,
    OPEN_TO_ALL_USERS,
    AUDIT_ADMIN_PAGES,
    ACCOUNT_ADMIN_PAGES,
    OWN_MESSAGES,
    OWN_TOKENS,
    API_ROUTES,
    SYSTEM_ADMIN_PAGES,
    FEEDBACK_LIST,
    PUBLIC_SITE,
    {t.url_name for t in TARGETS},
]


def test_finding13_every_url_of_every_namespace_is_in_the_access_matrix() -> None:
    names = list(_url_names(get_resolver().url_patterns))
    assert len(names) == len(set(names))
    assert sorted(set().union(*MATRIX)) == sorted(names)
    assert sum(len(group) for group in MATRIX) == len(names), "each URL is in one group only"
    assert set(ADMIN_REQUESTS) == AUDIT_ADMIN_PAGES | ACCOUNT_ADMIN_PAGES


@pytest.mark.parametrize("target", TARGETS, ids=_ids(TARGETS))
def test_the_outsider_gets_404_on_every_page_file_and_action_of_unit_a_and_nothing_changes(
    target: Target, world: World, personas: Any, client_for: Any, uploaded_digest: str
) -> None:
    _prepare(target, world, personas, uploaded_digest)
    before = _snapshot()
    response = _request(client_for(personas.outsider), target, world, personas, uploaded_digest)
    assert response.status_code == 404
    assert "未找到" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("target", TARGETS, ids=_ids(TARGETS))
def test_the_anonymous_visitor_is_sent_to_the_login_page(
    target: Target, world: World, personas: Any, client
) -> None:
    _prepare(target, world, personas, "0" * 64)
    before = _snapshot()
    response = _request(client, target, world, personas, "0" * 64)
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login") + "?next=")
    assert _snapshot() == before


@pytest.mark.parametrize(
    "name", sorted(OPEN_TO_ALL_USERS | FEEDBACK_LIST | AUDIT_ADMIN_PAGES | ACCOUNT_ADMIN_PAGES)
)
def test_the_anonymous_visitor_is_sent_to_the_login_page_from_every_other_url_too(
    name: str, client, personas: Any
) -> None:
    before = _accounts_snapshot()
    response = _admin_request(client, name, personas) if name in ADMIN_REQUESTS else client.get(reverse(name))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login") + "?next=")
    assert _accounts_snapshot() == before


def _admin_request(client: Any, name: str, personas: Any) -> Any:
    method, of_user = ADMIN_REQUESTS[name]
    return getattr(client, method)(reverse(name, args=[personas.clerk.pk] if of_user else []))


def _accounts_snapshot() -> tuple[Any, ...]:
    User = get_user_model()
    return (
        sorted(User.objects.values_list("pk", "is_active", "admin_role", "password")),
        Membership.objects.count(),
    )


@pytest.fixture
def admin_users(personas: Any) -> dict[str, Any]:
    """The three administrators (三员), members of no unit."""
    User = get_user_model()
    made = {}
    for role in ("system_admin", "security_admin", "audit_admin"):
        made[role] = User(username=role.replace("_", ""), display_name=role, admin_role=role)
        made[role].set_password(PASSWORD)
        made[role].save()
    return made


@pytest.mark.parametrize("name", sorted(AUDIT_ADMIN_PAGES | ACCOUNT_ADMIN_PAGES))
def test_an_administrators_page_refuses_everyone_else_with_403_and_changes_nothing(
    name: str, personas: Any, admin_users: dict[str, Any], client_for: Any
) -> None:
    allowed = {"audit_admin"} if name in AUDIT_ADMIN_PAGES else {"system_admin", "security_admin"}
    others = {**personas.all_users(), **{r: u for r, u in admin_users.items() if r not in allowed}}
    before = _accounts_snapshot()
    for who, user in others.items():
        response = _admin_request(client_for(user), name, personas)
        assert response.status_code == 403, (who, response.status_code)
        assert "没有权限" in response.content.decode(), who
    assert _accounts_snapshot() == before


@pytest.mark.parametrize("target", TARGETS, ids=_ids(TARGETS))
def test_the_administrators_get_404_on_every_page_file_and_action_of_unit_a_and_nothing_changes(
    target: Target,
    world: World,
    personas: Any,
    admin_users: dict[str, Any],
    client_for: Any,
    uploaded_digest: str,
) -> None:
    _prepare(target, world, personas, uploaded_digest)
    before = _snapshot()[1:]
    expected = 403 if target.url_name in NOT_A_CLERK_403 else 404
    for who, admin in admin_users.items():
        response = _request(client_for(admin), target, world, personas, uploaded_digest)
        assert response.status_code == expected, (who, response.status_code)
    assert _snapshot()[1:] == before


def test_the_public_urls_are_open_to_the_anonymous_visitor(client, db) -> None:
    assert client.get(reverse("web:login")).status_code == 200
    response = client.post(reverse("web:logout"))
    assert response.status_code == 302
    assert not AuditEvent.objects.exists()  # nobody was logged in: nothing to record


@pytest.mark.parametrize("target", ACTIONS, ids=_ids(ACTIONS))
def test_a_viewer_may_not_post_any_action_and_the_refusal_is_recorded(
    target: Target, world: World, personas: Any, client_for: Any, uploaded_digest: str
) -> None:
    _prepare(target, world, personas, uploaded_digest)
    before = _snapshot()[1:]
    response = _request(client_for(personas.viewer), target, world, personas, uploaded_digest)
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()
    assert _snapshot()[1:] == before
    if target.name != "import-confirm":
        assert AuditEvent.objects.filter(actor=personas.viewer, outcome="denied").exists()


def test_a_viewer_may_look_at_every_page_of_unit_a(world: World, personas: Any, client_for: Any) -> None:
    c = client_for(personas.viewer)
    for target in TARGETS:
        if (
            target.method == "get"
            and target.url_name not in CLERK_PAGES | SUPERVISOR_PAGES
            and (target.allowed is None or "viewer" in target.allowed)
        ):
            assert c.get(reverse(target.url_name, args=target.args(world, ""))).status_code == 200, target


def test_the_outsider_sees_nothing_of_unit_a_in_lists_search_and_tasks(
    world: World, personas: Any, client_for: Any
) -> None:
    c = client_for(personas.outsider)
    searches = [{}, {"round": world.round.pk}, {"q": "学习计划"}, {"person": personas.person.pk}]
    pages = [c.get(reverse("web:home")), c.get(reverse("web:round-list"))]
    pages += [c.get(reverse("web:search"), query) for query in searches]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert world.round.title not in html
        assert "制定学习计划" not in html
        assert "陈民警" not in html
    for page in pages[2:]:
        assert "共 0 条措施" in page.content.decode()


def test_the_outsider_cannot_build_a_round_in_unit_a(world: World, personas: Any, client_for: Any) -> None:
    c = client_for(personas.outsider)
    response = c.post(
        reverse("web:round-create"), {"unit": personas.unit_a.pk, "title": "冒名轮次", "kind": "regular"}
    )
    assert response.status_code == 400
    assert "所选项不存在或不可选" in response.content.decode()
    assert not Round.objects.filter(title="冒名轮次").exists()


def test_the_outsider_cannot_import_into_unit_a(personas: Any, client_for: Any, settings: Any) -> None:
    c = client_for(personas.outsider)
    upload = SimpleUploadedFile(SEED.name, SEED.read_bytes())
    response = c.post(reverse("web:import"), {"file": upload, "unit": personas.unit_a.pk})
    assert response.status_code == 400
    assert "所选项不存在或不可选" in response.content.decode()
    assert Round.objects.count() == 0
    assert not any(p.is_file() for p in settings.UPLOAD_TMP_DIR.rglob("*"))


def test_a_responsible_person_may_not_report_on_someone_elses_measure(
    world: World, personas: Any, client_for: Any
) -> None:
    response = client_for(personas.person2).post(
        reverse("web:progress-add", args=[world.fresh.pk]), {"text": "冒名填报"}
    )
    assert response.status_code == 403
    assert not Progress.objects.filter(text="冒名填报").exists()


def test_posting_to_an_action_with_get_changes_nothing(world: World, personas: Any, client_for: Any) -> None:
    c = client_for(personas.leader)
    before = _snapshot()
    assert (
        c.get(reverse("web:measure-review", args=[world.submitted.pk]), {"decision": "approve"}).status_code
        == 405
    )
    assert c.get(reverse("web:round-sign", args=[world.round.pk])).status_code == 405
    assert _snapshot() == before


ROLE_TARGETS = [t for t in TARGETS if t.allowed is not None]
# Actions answered in place (200), not by a redirect: 查看完整信息 shows the clear values in its
# answer and writes only its pii.view event.
ANSWERED_IN_PLACE = {"feedback:reveal"}


def _people(personas: Any, feedback_officer: Any) -> dict[str, Any]:
    """Unit A's people and the supervisor above it: everyone who sees unit A (not the outsider)."""
    people = {**personas.all_users(), "feedback_officer": feedback_officer}
    del people["outsider"]
    return people


@pytest.mark.parametrize("target", ROLE_TARGETS, ids=_ids(ROLE_TARGETS))
def test_everyone_of_unit_a_without_the_role_gets_403_and_nothing_changes(
    target: Target, world: World, personas: Any, feedback_officer: Any, client_for: Any
) -> None:
    assert target.allowed is not None
    _prepare(target, world, personas, "")
    before = _snapshot()[1:]
    for who, user in _people(personas, feedback_officer).items():
        if who in target.allowed:
            continue
        response = _request(client_for(user), target, world, personas, "")
        assert response.status_code == 403, (who, response.status_code)
        assert "没有权限" in response.content.decode(), who
        if target.method == "post":
            assert AuditEvent.objects.filter(actor=user, outcome="denied").exists(), who
    assert _snapshot()[1:] == before


@pytest.mark.parametrize("target", ROLE_TARGETS, ids=_ids(ROLE_TARGETS))
def test_the_people_with_the_role_get_through(
    target: Target, world: World, personas: Any, feedback_officer: Any, client_for: Any
) -> None:
    """Every reader opens the page; the first of those who may act does it (one change each)."""
    assert target.allowed is not None
    _prepare(target, world, personas, "")
    people = _people(personas, feedback_officer)
    allowed = sorted(target.allowed) if target.method == "get" else sorted(target.allowed)[:1]
    in_place = target.method == "get" or target.url_name in ANSWERED_IN_PLACE
    for who in allowed:
        before = _snapshot()
        response = _request(client_for(people[who]), target, world, personas, "")
        assert response.status_code == (200 if in_place else 302), (who, response.status_code)
        if target.url_name in ANSWERED_IN_PLACE:
            assert _snapshot()[0] == before[0] + 1, f"{who}: not recorded"
        elif target.method == "post":
            assert _snapshot()[1:] != before[1:], f"{who}: nothing was done"


def test_the_feedback_list_is_each_readers_own_and_refused_to_the_others(
    world: World, personas: Any, feedback_officer: Any, admin_users: dict[str, Any], client_for: Any
) -> None:
    fb = _feedback(world)
    url = reverse("feedback:list")
    for who in ("clerk", "feedback_officer", "leader", "supervisor"):
        response = client_for(_people(personas, feedback_officer)[who]).get(url)
        assert response.status_code == 200, who
        assert fb.tracking in response.content.decode(), who
    outsider = client_for(personas.outsider).get(url)
    assert outsider.status_code == 200
    assert fb.tracking not in outsider.content.decode()
    refused = {
        who: personas.all_users()[who] for who in ("responsible_leader", "person", "person2", "viewer")
    }
    for who, user in {**refused, **admin_users}.items():
        response = client_for(user).get(url)
        assert response.status_code == 403, who
        assert "没有权限" in response.content.decode(), who


@pytest.mark.parametrize("name", ["public:index", "public:track", "public:rounds-json", "public:feed"])
def test_the_public_site_is_open_to_the_anonymous_visitor(name: str, client, db) -> None:
    assert client.get(reverse(name)).status_code == 200
