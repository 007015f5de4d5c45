"""The staff pages of disclosure: the round's publication page, the check with its decisions
and the submission, the head's approval (409 when the draft changed), the stored files, the
heads' pending list; who may open and post what."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.disclosure.conftest import PHONE, decide_all
from tests.labels.conftest import secadmin  # noqa: F401  (the fixture)


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def check_url(round_: Any, kind: str = "notice") -> str:
    return reverse("disclosure:check", args=[round_.pk, kind])


@pytest.fixture
def submitted(personas: Any, public_round: Any) -> Any:
    from zhenggai.disclosure import services

    decide_all(personas.clerk, public_round.round)
    return services.version_submit(actor=personas.clerk, round=public_round.round)


def test_the_check_page_lists_each_hit_with_its_context_highlighted(personas, public_round, settings):
    settings.OTP_REQUIRED = False
    r = client_for(personas.clerk).get(check_url(public_round.round))
    assert r.status_code == 200
    html = r.content.decode()
    assert f"<mark>{PHONE}</mark>" in html
    assert "遮盖" in html and "保留并说明理由" in html
    assert "138****5678" in html  # the preview shows it masked


def test_the_clerk_decides_and_submits_through_the_page(personas, public_round):
    from zhenggai.disclosure import services
    from zhenggai.disclosure.models import CheckDecision, PublicationVersion

    c = client_for(personas.clerk)
    report = services.publication_check(actor=personas.clerk, round=public_round.round)
    r = c.post(check_url(public_round.round), {"step": "submit", "draft_version": 1})
    assert r.status_code == 400 and "未处理" in r.content.decode()
    first, second = report.items
    r = c.post(
        check_url(public_round.round),
        {"step": "decide", "fingerprint": first.fingerprint, "action": "justify"},
    )
    assert r.status_code == 400 and "须说明理由" in r.content.decode()
    for item in (first, second):
        r = c.post(
            check_url(public_round.round),
            {"step": "decide", "fingerprint": item.fingerprint, "action": "mask"},
        )
        assert r.status_code == 302
    assert CheckDecision.objects.filter(action="mask").count() == 2
    r = c.post(check_url(public_round.round), {"step": "submit", "draft_version": 1})
    assert r.status_code == 302 and r["Location"] == reverse("disclosure:round", args=[public_round.round.pk])
    assert PublicationVersion.objects.get().status == "pending"


def test_the_head_approves_on_the_page_and_the_round_page_lists_the_version(
    personas, public_round, submitted, settings
):
    settings.OTP_REQUIRED = False
    c = client_for(personas.leader)
    page = c.get(reverse("disclosure:approve", args=[submitted.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "138****5678" in html and PHONE not in html
    assert "同意发布" in html and "动态口令" not in html
    r = c.post(reverse("disclosure:approve", args=[submitted.pk]), {"otp_code": ""})
    assert r.status_code == 302
    submitted.refresh_from_db()
    assert submitted.number == 1
    listing = c.get(reverse("disclosure:round", args=[public_round.round.pk])).content.decode()
    assert "第1版" in listing


def test_approval_of_a_changed_draft_answers_409(personas, public_round, submitted):
    from zhenggai.audit.models import AuditEvent
    from zhenggai.reports.services import draft_save

    draft_save(actor=personas.clerk, round=public_round.round, expected_version=1, long_term_text="又改了。")
    c = client_for(personas.leader)
    assert (
        "文稿在提交后又被修改" in c.get(reverse("disclosure:approve", args=[submitted.pk])).content.decode()
    )
    r = c.post(reverse("disclosure:approve", args=[submitted.pk]), {"otp_code": ""})
    assert r.status_code == 409
    assert "通报稿在提交后又被修改，请重新提交" in r.content.decode()
    assert AuditEvent.objects.filter(action="publication.approve", outcome="denied").exists()


def test_a_wrong_code_is_shown_next_to_its_field_and_recorded(personas, submitted, settings):
    from zhenggai.accounts.middleware import OTP_OK
    from zhenggai.audit.models import AuditEvent

    settings.OTP_REQUIRED = True
    c = client_for(personas.leader)
    session = c.session
    session[OTP_OK] = True  # this session passed the login's second factor
    session.save()
    page = c.get(reverse("disclosure:approve", args=[submitted.pk]))
    assert page.status_code == 200 and "动态口令" in page.content.decode()
    r = c.post(reverse("disclosure:approve", args=[submitted.pk]), {"otp_code": "000000"})
    assert r.status_code == 400
    assert "otp_code_errors" in r.content.decode()
    assert AuditEvent.objects.filter(action="publication.approve", outcome="denied").exists()
    submitted.refresh_from_db()
    assert submitted.status == "pending"


def test_the_head_rejects_with_a_reason(personas, submitted):
    c = client_for(personas.leader)
    r = c.post(reverse("disclosure:reject", args=[submitted.pk]), {"reason": ""})
    assert r.status_code == 400
    r = c.post(reverse("disclosure:reject", args=[submitted.pk]), {"reason": "表述不准确"})
    assert r.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == "rejected"


def test_the_stored_files_are_downloaded_as_submitted(personas, submitted):
    import hashlib

    c = client_for(personas.leader)
    for ext, digest in (("pdf", submitted.pdf_sha256), ("docx", submitted.docx_sha256)):
        r = c.get(reverse("disclosure:version-file", args=[submitted.pk, ext]))
        assert r.status_code == 200
        assert hashlib.sha256(b"".join(r.streaming_content)).hexdigest() == digest
    assert c.get(reverse("disclosure:version-file", args=[submitted.pk, "exe"])).status_code == 404


def test_the_viewer_may_look_but_not_post(personas, public_round, submitted):
    from zhenggai.audit.models import AuditEvent

    c = client_for(personas.viewer)
    assert c.get(reverse("disclosure:round", args=[public_round.round.pk])).status_code == 200
    assert c.get(check_url(public_round.round)).status_code == 403
    item_fp = "a" * 64
    assert (
        c.post(
            check_url(public_round.round), {"step": "decide", "fingerprint": item_fp, "action": "mask"}
        ).status_code
        == 403
    )
    assert c.post(check_url(public_round.round), {"step": "submit", "draft_version": 1}).status_code == 403
    assert c.post(reverse("disclosure:approve", args=[submitted.pk]), {"otp_code": ""}).status_code == 403
    assert c.post(reverse("disclosure:reject", args=[submitted.pk]), {"reason": "x"}).status_code == 403
    assert AuditEvent.objects.filter(outcome="denied", action__startswith="publication.").count() == 4


def test_the_clerk_cannot_approve_and_the_head_cannot_submit(personas, public_round, submitted):
    assert (
        client_for(personas.clerk).post(reverse("disclosure:approve", args=[submitted.pk])).status_code == 403
    )
    r = client_for(personas.leader).post(
        check_url(public_round.round), {"step": "submit", "draft_version": 1}
    )
    assert r.status_code == 403


def test_the_outsider_gets_404_everywhere(personas, public_round, submitted):
    c = client_for(personas.outsider)
    rid = public_round.round.pk
    for url in (
        reverse("disclosure:round", args=[rid]),
        check_url(public_round.round),
        reverse("disclosure:approve", args=[submitted.pk]),
        reverse("disclosure:version-file", args=[submitted.pk, "pdf"]),
    ):
        assert c.get(url).status_code == 404, url
    assert c.post(check_url(public_round.round), {"step": "submit", "draft_version": 1}).status_code == 404
    assert c.post(reverse("disclosure:approve", args=[submitted.pk]), {"otp_code": ""}).status_code == 404
    assert c.post(reverse("disclosure:reject", args=[submitted.pk]), {"reason": "x"}).status_code == 404
    assert list(c.get(reverse("disclosure:pending")).context["versions"]) == []


def test_an_unknown_document_kind_is_404(personas, public_round):
    assert client_for(personas.clerk).get(check_url(public_round.round, "plan")).status_code == 404


def test_the_heads_pending_list_and_the_round_page_have_bounded_queries(
    personas, public_round, submitted, django_assert_max_num_queries
):
    c = client_for(personas.leader)
    with django_assert_max_num_queries(15):
        r = c.get(reverse("disclosure:pending"))
    assert [v.pk for v in r.context["versions"]] == [submitted.pk]
    with django_assert_max_num_queries(15):
        assert c.get(reverse("disclosure:round", args=[public_round.round.pk])).status_code == 200
    assert client_for(personas.clerk).get(reverse("disclosure:pending")).context["versions"] == []


def test_the_check_page_says_what_is_withheld_and_the_clerk_makes_the_internal_items_public(
    personas, public_round
):
    from zhenggai.audit.models import AuditEvent
    from zhenggai.ledger.models import Finding, Measure

    c = client_for(personas.clerk)
    html = c.get(check_url(public_round.round)).content.decode()
    assert "不列入公开文本的内容" in html
    assert "标记为“内部”的具体问题 1 个、整改措施 2 项" in html
    assert "许可级别" not in html  # the builder's note speaks of the reader's clearance: not here
    before = AuditEvent.objects.filter(action="label.change").count()
    r = c.post(check_url(public_round.round), {"step": "label_public"})
    assert r.status_code == 302
    assert not Finding.objects.filter(round=public_round.round, sensitivity="internal").exists()
    assert not Measure.objects.filter(round=public_round.round, sensitivity="internal").exists()
    # One label.change per row changed: the internal problem and the two internal measures.
    assert AuditEvent.objects.filter(action="label.change").count() == before + 3
    html = c.get(check_url(public_round.round)).content.decode()
    assert "不列入公开文本的内容" not in html
    assert public_round.internal_problem.title in html  # now in the public preview


def test_a_sensitive_item_stays_sensitive_when_the_round_is_made_public(
    personas, public_round, secadmin  # noqa: F811
):
    from tests.labels.conftest import clear
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Measure

    clear(secadmin, personas.clerk)
    services.measure_set_sensitivity(
        actor=personas.clerk, measure=public_round.internal_measure, sensitivity="sensitive"
    )
    done = services.round_label_public(actor=personas.clerk, round=public_round.round)
    assert (done.findings, done.measures) == (1, 1)
    assert Measure.objects.get(pk=public_round.internal_measure.pk).sensitivity == "sensitive"


def test_the_viewer_and_the_outsider_cannot_make_a_round_public(personas, public_round):
    from zhenggai.ledger.models import Measure

    r = client_for(personas.viewer).post(check_url(public_round.round), {"step": "label_public"})
    assert r.status_code == 403
    r = client_for(personas.outsider).post(check_url(public_round.round), {"step": "label_public"})
    assert r.status_code == 404
    assert Measure.objects.filter(round=public_round.round, sensitivity="internal").count() == 2
