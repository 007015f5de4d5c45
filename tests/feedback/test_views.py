"""The staff's feedback pages: masked by default, the audited reveal, scope, downloads, queries."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from zhenggai.audit.models import AuditEvent
from zhenggai.feedback import services
from zhenggai.feedback.models import FeedbackStatus

from .conftest import PHONE, feedback_of, pdf


@pytest.fixture
def fb(submit: Any, django_capture_on_commit_callbacks: Any) -> Any:
    with django_capture_on_commit_callbacks(execute=True):
        return feedback_of(submit(files=[pdf()], content="<script>alert('x')</script>信号灯坏了"))


def _reveals(fb: Any) -> int:
    return AuditEvent.objects.filter(action="pii.view", object_id=str(fb.pk), outcome="ok").count()


def test_the_detail_page_shows_the_masked_phone_and_not_the_number(
    fb: Any, client_for: Any, feedback_officer: Any
) -> None:
    for user in (feedback_officer,):
        response = client_for(user).get(reverse("feedback:detail", args=[fb.pk]))
        html = response.content.decode()
        assert response.status_code == 200
        assert "138****5678" in html and PHONE not in html
        assert "欧阳**" in html and "欧阳明华" not in html
        assert "z***@example.com" in html
        assert "<script>alert" not in html and "&lt;script&gt;" in html
        assert response["Cache-Control"] == "no-store"


def test_the_officer_reveals_once_and_one_audit_row_is_written(
    fb: Any, client_for: Any, feedback_officer: Any
) -> None:
    response = client_for(feedback_officer).post(reverse("feedback:reveal", args=[fb.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert PHONE in html and "欧阳明华" in html and "zhang.san@example.com" in html
    assert "no-store" in response["Cache-Control"]
    assert _reveals(fb) == 1
    again = client_for(feedback_officer).get(reverse("feedback:detail", args=[fb.pk]))
    assert PHONE not in again.content.decode()


def test_the_reveal_is_refused_to_the_clerk_and_a_system_admin_and_hidden_from_the_outsider(
    fb: Any, client_for: Any, personas: Any
) -> None:
    from zhenggai.units.models import Membership, Role

    url = reverse("feedback:reveal", args=[fb.pk])
    assert client_for(personas.clerk).post(url).status_code == 403
    admin = get_user_model()(username="sysadmin", display_name="钱系统", admin_role="system_admin")
    admin.set_password("Test-pass-2026")
    admin.save()
    assert client_for(admin).post(url).status_code == 404  # a member of no unit
    # Even holding the officer's role at the unit (a misconfiguration), the 系统管理员 is refused.
    Membership.objects.create(user=admin, unit=personas.unit_a, role=Role.FEEDBACK)
    assert client_for(admin).post(url).status_code == 403
    assert client_for(personas.outsider).post(url).status_code == 404
    assert client_for(personas.viewer).post(url).status_code == 403
    assert _reveals(fb) == 0
    assert (
        AuditEvent.objects.filter(action="pii.view", outcome="denied").count() == 3
    )  # clerk, admin, viewer


@pytest.mark.parametrize("name", ["detail", "reveal", "accept"])
def test_the_outsider_gets_404_and_the_viewer_403(fb: Any, client_for: Any, personas: Any, name: str) -> None:
    url = reverse(f"feedback:{name}", args=[fb.pk])
    method = "get" if name == "detail" else "post"
    assert getattr(client_for(personas.outsider), method)(url).status_code == 404
    assert getattr(client_for(personas.viewer), method)(url).status_code == 403


def test_the_unit_head_and_the_supervisor_read_but_do_not_act(
    fb: Any, client_for: Any, personas: Any
) -> None:
    for user in (personas.leader, personas.supervisor):
        page = client_for(user).get(reverse("feedback:detail", args=[fb.pk]))
        assert page.status_code == 200
        assert reverse("feedback:accept", args=[fb.pk]) not in page.content.decode()
        assert client_for(user).post(reverse("feedback:accept", args=[fb.pk])).status_code == 403
    fb.refresh_from_db()
    assert fb.status == FeedbackStatus.RECEIVED


def test_the_list_masks_and_counts_its_queries(
    submit: Any, client_for: Any, feedback_officer: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        submit(phone="+86 138 1234 5678")
    client = client_for(feedback_officer)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("feedback:list"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count("138****5678") == 3 and PHONE not in html
    assert "同一反映人另有 2 条" in html
    for _ in range(5):
        submit()
    with django_assert_max_num_queries(12):
        assert client.get(reverse("feedback:list")).status_code == 200


def test_the_list_filters_by_status_and_overdue(submit: Any, client_for: Any, personas: Any) -> None:
    from zhenggai.feedback.models import Feedback

    first, second = feedback_of(submit()), feedback_of(submit())
    services.feedback_accept(actor=personas.clerk, feedback=first)
    Feedback.objects.filter(pk=first.pk).update(reply_deadline="2000-01-01")
    client = client_for(personas.clerk)
    overdue = client.get(reverse("feedback:list") + "?overdue=on").content.decode()
    assert first.tracking in overdue and second.tracking not in overdue
    received = client.get(reverse("feedback:list") + "?status=received").content.decode()
    assert second.tracking in received and first.tracking not in received


def test_the_list_is_refused_to_the_viewer_and_empty_for_the_outsider(
    fb: Any, client_for: Any, personas: Any
) -> None:
    assert client_for(personas.viewer).get(reverse("feedback:list")).status_code == 403
    outsider = client_for(personas.outsider).get(reverse("feedback:list"))
    assert outsider.status_code == 200 and fb.tracking not in outsider.content.decode()


def test_the_triage_pages_accept_link_and_reply(fb: Any, client_for: Any, personas: Any, world: Any) -> None:
    client = client_for(personas.clerk)
    assert client.post(reverse("feedback:accept", args=[fb.pk]), {"deadline": ""}).status_code == 302
    linked = client.post(reverse("feedback:link", args=[fb.pk]), {"finding": world.problem.pk})
    assert linked.status_code == 302
    bad = client.post(reverse("feedback:reply", args=[fb.pk]), {"text": ""})
    assert bad.status_code == 400
    replied = client.post(reverse("feedback:reply", args=[fb.pk]), {"text": "已修复"})
    assert replied.status_code == 302
    fb.refresh_from_db()
    assert fb.status == FeedbackStatus.REPLIED and fb.finding_id == world.problem.pk


def test_a_published_reply_without_consent_is_refused_on_the_page(
    fb: Any, client_for: Any, personas: Any
) -> None:
    services.feedback_accept(actor=personas.clerk, feedback=fb)
    response = client_for(personas.clerk).post(
        reverse("feedback:reply", args=[fb.pk]), {"text": "已修复", "publish": "on"}
    )
    assert response.status_code == 400
    assert "未同意公开" in response.content.decode()


def test_an_attachment_downloads_as_an_attachment_and_is_audited(
    fb: Any, client_for: Any, personas: Any
) -> None:
    att = fb.attachments.get()
    url = reverse("feedback:attachment", args=[fb.pk, att.pk])
    response = client_for(personas.clerk).get(url)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="feedback.attachment_download", outcome="ok").count() == 1
    assert client_for(personas.outsider).get(url).status_code == 404
    assert client_for(personas.viewer).get(url).status_code == 403


@pytest.mark.parametrize("action", ["accept", "merge", "reject", "forward", "link", "clue", "reply"])
def test_a_reader_without_the_handling_role_gets_403_recorded_even_for_an_empty_form(
    fb: Any, client_for: Any, personas: Any, feedback_officer: Any, action: str
) -> None:
    """The unit head and the supervisor may read a feedback but not handle it: refused before
    the form is read (never a form error), each refusal recorded; the officer may not add a clue
    (a new problem is the clerk's)."""
    refused = [personas.leader, personas.supervisor] + ([feedback_officer] if action == "clue" else [])
    for user in refused:
        before = AuditEvent.objects.filter(action=f"feedback.{action}", outcome="denied").count()
        response = client_for(user).post(reverse(f"feedback:{action}", args=[fb.pk]), {})
        assert response.status_code == 403, (user, action)
        after = AuditEvent.objects.filter(action=f"feedback.{action}", outcome="denied").count()
        assert after == before + 1
    fb.refresh_from_db()
    assert fb.status == FeedbackStatus.RECEIVED
