"""Disclosure (信息公开) pages: a round's documents on their way to the public site.

- ``round_page``: per document kind, the draft, the submission awaiting approval, the published
  versions with links to the public pages; anyone who can see the round.
- ``check_page``: the disclosure check of one document, each hit with its context and the
  clerk's 遮盖 / 保留并说明理由 controls, and the submission form (the clerk; the unit head
  may look).
- ``approve_page``: the head's approval of exactly the submitted text (its blocks and the
  stored .pdf/.docx), with the second factor when required; ``reject`` sends it back.
- ``pending``: the submissions awaiting the user's approval (the heads' desk).

Thin views: a selector, a form, a service, a redirect; refusals as ``documents.py`` does them.
"""

from __future__ import annotations

import io
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from zhenggai.accounts.models import Sensitivity
from zhenggai.disclosure import selectors, services
from zhenggai.disclosure.models import DocumentKind, PublicationVersion, VersionStatus
from zhenggai.errors import InvalidInput
from zhenggai.http.authed import AuthedRequest
from zhenggai.http.errors import refusals_recorded, require_allowed
from zhenggai.ledger import selectors as ledger_selectors
from zhenggai.ledger import services as ledger_services
from zhenggai.ledger.models import Round
from zhenggai.ledger.policy import EDIT_ROLES, LABEL_ROLES, PUBLISH_ROLES, can

from ..forms import add_service_error
from ..forms_disclosure import ApproveForm, DecisionForm, RejectForm, SubmitForm

CONTENT_TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}


def public_url(v: PublicationVersion) -> str:
    """The published version's page on the public site ('' for one not published)."""
    if v.status != VersionStatus.PUBLISHED or v.number is None:
        return ""
    return reverse("public:version", args=[v.publication.public_id, v.kind, v.number])


def _kind(kind: str) -> str:
    if kind not in DocumentKind.values:
        raise Http404("未知的文档类型")
    return kind


@require_GET
@login_required
def round_page(request: AuthedRequest, round_id: int) -> HttpResponse:
    state = selectors.publication_state(user=request.user, round_id=round_id)
    for k in state.kinds:
        for v in k.published:
            v.public_url = public_url(v)  # type: ignore[attr-defined]
    return render(request, "web/disclosure/round.html", {"state": state, "round": state.round})


def _preview(texts: list[str], roles: list[str]) -> list[dict[str, str]]:
    return [{"role": r, "text": t} for r, t in zip(roles, texts, strict=True)]


@require_http_methods(["GET", "POST"])
@login_required
def check_page(request: AuthedRequest, round_id: int, kind: str) -> HttpResponse:
    kind = _kind(kind)
    round_ = ledger_selectors.round_get_for_user(user=request.user, pk=round_id)
    here = reverse("disclosure:check", args=[round_.pk, kind])
    may_edit = can(request.user, round_.unit, EDIT_ROLES)
    may_look = may_edit or can(request.user, round_.unit, PUBLISH_ROLES)
    decision_form = DecisionForm()
    submit_form: SubmitForm | None = None
    failed_fingerprint = ""
    status = 200
    if request.method == "POST":
        if request.POST.get("step") == "label_public":
            return _label_public(request, round_, here)
        action = "publication.submit" if request.POST.get("step") == "submit" else "publication.check_decide"
        require_allowed(
            request,
            may_edit,
            action=action,
            obj=round_,
            reason="只有整改办工作人员可以处理公开前检查和提交发布",
        )
        if action == "publication.submit":
            submit_form = SubmitForm(request.POST)
            if submit_form.is_valid():
                try:
                    with refusals_recorded(request, action=action, obj=round_, back=here):
                        services.version_submit(
                            actor=request.user,
                            round=round_,
                            kind=kind,
                            change_note=submit_form.cleaned_data["change_note"] or "",
                            expected_draft_version=submit_form.cleaned_data["draft_version"],
                        )
                except InvalidInput as err:
                    add_service_error(submit_form, err)
                else:
                    messages.success(request, "已提交单位主要负责人审批。")
                    return redirect("disclosure:round", round_.pk)
            status = 400
        else:
            decision_form = DecisionForm(request.POST)
            failed_fingerprint = request.POST.get("fingerprint", "")
            if decision_form.is_valid():
                data = decision_form.cleaned_data
                try:
                    with refusals_recorded(request, action=action, obj=round_, back=here):
                        services.decision_set(
                            actor=request.user,
                            round=round_,
                            kind=kind,
                            fingerprint=data["fingerprint"],
                            action=data["action"],
                            reason=data["reason"] or "",
                        )
                except InvalidInput as err:
                    add_service_error(decision_form, err)
                else:
                    return redirect(f"{here}#hit-{data['fingerprint'][:12]}")
            status = 400
    else:
        require_allowed(
            request,
            may_look,
            action="publication.check_decide",
            obj=round_,
            reason="只有整改办工作人员和单位主要负责人可以查看公开前检查",
        )
    report = services.publication_check(actor=request.user, round=round_, kind=kind)
    if submit_form is None:
        submit_form = SubmitForm(initial={"draft_version": report.draft.version})
    texts = report.masked_texts()
    state = selectors.publication_state(user=request.user, round_id=round_.pk)
    labels = ledger_selectors.round_label_counts(user=request.user, round=round_)
    withheld = [
        (Sensitivity(label).label, problems, measures)
        for label, (problems, measures) in labels.items()
        if label != Sensitivity.PUBLIC and (problems or measures)
    ]
    # The builder's own note on left-out items speaks of the reader's clearance; here the
    # reader is the public, and ``withheld`` says it plainly with the way to change it.
    warnings = [w for w in report.document.warnings if "许可级别" not in w]
    kind_state = next(k for k in state.kinds if k.kind == kind)
    return render(
        request,
        "web/disclosure/check.html",
        {
            "round": round_,
            "kind": kind,
            "kind_label": DocumentKind(kind).label,
            "report": report,
            "items": report.items,
            "preview": _preview(texts, [s.role for s in report.blocks]),
            "warnings": warnings,
            "withheld": withheld,
            "internal": labels[Sensitivity.INTERNAL],
            "may_label": can(request.user, round_.unit, LABEL_ROLES),
            "may_edit": may_edit,
            "decision_form": decision_form,
            "failed_fingerprint": failed_fingerprint,
            "submit_form": submit_form,
            "kind_state": kind_state,
            "needs_note": bool(kind_state.published),
        },
        status=status,
    )


def _label_public(request: AuthedRequest, round_: Round, here: str) -> HttpResponse:
    """Turn the round's 内部 problems and measures 公开 (敏感 stays) before publication."""
    require_allowed(
        request,
        can(request.user, round_.unit, LABEL_ROLES),
        action="label.change",
        obj=round_,
        reason="只有整改办工作人员和单位主要负责人可以设置安全标记",
    )
    with refusals_recorded(request, action="label.change", obj=round_, back=here):
        done = ledger_services.round_label_public(actor=request.user, round=round_)
    messages.success(request, f"已将{done.findings}个问题、{done.measures}项措施的安全标记设为“公开”。")
    return redirect(here)


def _version_context(request: AuthedRequest, v: PublicationVersion, **extra: Any) -> dict[str, Any]:
    round_ = v.publication.round
    may_publish = can(request.user, v.unit, PUBLISH_ROLES)
    state = selectors.publication_state(user=request.user, round_id=round_.pk)
    draft_version = next(k.draft_version for k in state.kinds if k.kind == v.kind)
    return {
        "round": round_,
        "version": v,
        "kind_label": DocumentKind(v.kind).label,
        "may_publish": may_publish and v.status == VersionStatus.PENDING,
        "otp_needed": selectors.second_factor_needed(request.user),
        "draft_changed": v.status == VersionStatus.PENDING and draft_version != v.draft_version,
        "public_url": public_url(v),
        "approve_form": ApproveForm(),
        "reject_form": RejectForm(),
        **extra,
    }


@require_http_methods(["GET", "POST"])
@login_required
def approve_page(request: AuthedRequest, pk: int) -> HttpResponse:
    v = selectors.version_get_for_user(user=request.user, pk=pk)
    here = reverse("disclosure:approve", args=[v.pk])
    if request.method == "POST":
        may = can(request.user, v.unit, PUBLISH_ROLES)
        require_allowed(
            request, may, action="publication.approve", obj=v, reason="只有单位主要负责人可以审批发布"
        )
        form = ApproveForm(request.POST)
        if form.is_valid():
            try:
                with refusals_recorded(request, action="publication.approve", obj=v, back=here):
                    services.version_approve(
                        actor=request.user, version=v, otp_code=form.cleaned_data["otp_code"] or ""
                    )
            except InvalidInput as err:
                # A wrong second factor is a refusal worth keeping (recorded after the rollback).
                ledger_services.record_refusal(
                    actor=request.user, action="publication.approve", obj=v, reason=str(err)
                )
                add_service_error(form, err)
            else:
                messages.success(request, "已审批，公开网站已发布该版本。")
                return redirect("disclosure:round", v.publication.round_id)
        return render(
            request,
            "web/disclosure/approve.html",
            _version_context(request, v, approve_form=form),
            status=400,
        )
    return render(request, "web/disclosure/approve.html", _version_context(request, v))


@require_POST
@login_required
def reject(request: AuthedRequest, pk: int) -> HttpResponse:
    v = selectors.version_get_for_user(user=request.user, pk=pk)
    here = reverse("disclosure:approve", args=[v.pk])
    may = can(request.user, v.unit, PUBLISH_ROLES)
    require_allowed(request, may, action="publication.reject", obj=v, reason="只有单位主要负责人可以退回")
    form = RejectForm(request.POST)
    if form.is_valid():
        try:
            with refusals_recorded(request, action="publication.reject", obj=v, back=here):
                services.version_reject(actor=request.user, version=v, reason=form.cleaned_data["reason"])
        except InvalidInput as err:
            add_service_error(form, err)
        else:
            messages.success(request, "已退回整改办。")
            return redirect("disclosure:round", v.publication.round_id)
    return render(
        request, "web/disclosure/approve.html", _version_context(request, v, reject_form=form), status=400
    )


@require_GET
@login_required
def version_file(request: AuthedRequest, pk: int, ext: str) -> FileResponse:
    """The stored .pdf or .docx of a version, exactly as submitted (and, once approved, published)."""
    if ext not in CONTENT_TYPES:
        raise Http404("未知的文件类型")
    v = selectors.version_get_for_user(user=request.user, pk=pk, files=True)
    data = bytes(v.pdf if ext == "pdf" else v.docx)
    number = f"第{v.number}版" if v.number else "待审批"
    name = f"{v.title}（{number}）.{ext}"
    response = FileResponse(
        io.BytesIO(data), as_attachment=True, filename=name, content_type=CONTENT_TYPES[ext]
    )
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@require_GET
@login_required
def pending(request: AuthedRequest) -> HttpResponse:
    versions = list(selectors.pending_for_head(user=request.user))
    return render(request, "web/disclosure/pending.html", {"versions": versions})
