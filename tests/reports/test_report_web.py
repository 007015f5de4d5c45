"""The report's pages and the per-measure public progress on the notice and report pages."""

from __future__ import annotations

import io
from typing import Any

import docx
import pytest
from django.urls import reverse

from zhenggai.ledger.models import Finding, Measure, Progress

from .test_notice_web import client_for, small_round, url, valid_post

__all__ = ["small_round"]  # the fixture, imported for pytest

pytestmark = pytest.mark.django_db

REPORT_URLS = ("report-edit", "report-docx", "report-pdf")
HOSTILE_NOTE = '<script>alert("x")</script>王某电话13800138000'


def _measures(round_: Any) -> list[Measure]:
    return list(Measure.objects.filter(round=round_).order_by("finding__position", "position"))


@pytest.mark.parametrize("name", REPORT_URLS)
def test_an_outsider_gets_404_on_the_report_pages(small_round, personas, name) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.audit.models import AuditEvent

    c = client_for(personas.outsider)
    assert c.get(url(name, small_round)).status_code == 404
    if name == "report-edit":
        assert c.post(url(name, small_round), valid_post()).status_code == 404
    assert not AuditEvent.objects.filter(action__in=["report.export", "report.save"], outcome="ok").exists()


@pytest.mark.parametrize("name", REPORT_URLS)
def test_an_anonymous_visitor_is_sent_to_login_from_the_report_pages(small_round, name) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    response = Client().get(url(name, small_round))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_report_downloads_for_anyone_who_sees_the_round_and_each_is_audited(
    small_round, personas
) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.audit.models import AuditEvent

    c = client_for(personas.viewer)
    body = b"".join(c.get(url("report-docx", small_round)).streaming_content)
    texts = [p.text for p in docx.Document(io.BytesIO(body)).paragraphs]
    assert texts[0].replace("\n", "") == "望江县公安局交通管理大队关于巡察整改情况的报告"
    assert "县委巡察办：" in texts
    pdf = c.get(url("report-pdf", small_round))
    assert pdf["Content-Type"] == "application/pdf" and b"".join(pdf.streaming_content).startswith(b"%PDF")
    events = AuditEvent.objects.filter(action="report.export", actor_id=personas.viewer.pk)
    assert sorted(e.after["format"] for e in events) == ["docx", "pdf"]


def test_the_clerk_sees_each_measure_with_its_status_and_escaped_raw_note_and_a_labelled_field(
    small_round, personas
) -> None:  # type: ignore[no-untyped-def]
    first, second = _measures(small_round)
    Progress.objects.create(measure=first, unit=first.unit, author=personas.clerk, text=HOSTILE_NOTE)
    Progress.objects.create(measure=second, unit=second.unit, author=personas.clerk, text="长" * 400 + "尾巴")
    for name in ("notice-edit", "report-edit"):
        page = client_for(personas.clerk).get(url(name, small_round)).content.decode()
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page and "<script>alert" not in page
        assert "制定年度学习计划" in page and first.get_status_display() in page
        # A long note: 300 characters and 展开 for the rest.
        assert "长" * 300 + "…" in page and "展开全文（402字）" in page and "长" * 400 + "尾巴" in page
        assert f'<label class="form-label" for="id_progress_{first.pk}">' in page
        assert 'maxlength="500"' in page
        # The preview does not print the raw note.
        assert "13800138000）" not in page


def test_the_clerk_words_the_progress_and_the_documents_print_only_that(small_round, personas) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.reports.models import NoticeDraft

    first, second = _measures(small_round)
    Progress.objects.create(measure=first, unit=first.unit, author=personas.clerk, text=HOSTILE_NOTE)
    c = client_for(personas.clerk)
    post = valid_post(**{f"progress_{first.pk}": "  已制定计划并印发。 ", f"progress_{second.pk}": ""})
    response = c.post(url("notice-edit", small_round), post)
    assert response.status_code == 302
    draft = NoticeDraft.objects.get(round=small_round, kind="notice")
    assert draft.progress_texts == {str(first.pk): "已制定计划并印发。"}
    body = b"".join(c.get(url("notice-docx", small_round)).streaming_content)
    text = "\n".join(p.text for p in docx.Document(io.BytesIO(body)).paragraphs)
    assert "制定年度学习计划（正在推进：已制定计划并印发）" in text and "13800138000" not in text
    # The page shows the saved wording in the field.
    page = c.get(url("notice-edit", small_round)).content.decode()
    assert "已制定计划并印发。</textarea>" in page


def test_a_wording_over_500_characters_is_shown_at_its_field_and_nothing_is_saved(
    small_round, personas
) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.reports.models import NoticeDraft

    first = _measures(small_round)[0]
    response = client_for(personas.clerk).post(
        url("report-edit", small_round), valid_post(**{f"progress_{first.pk}": "字" * 501})
    )
    assert response.status_code == 400
    errors = response.context["form"].errors[f"progress_{first.pk}"]
    assert any("不能超过500个字" in e for e in errors)
    assert not NoticeDraft.objects.filter(round=small_round).exists()


def test_the_report_is_saved_apart_from_the_notice_without_requiring_channels(small_round, personas) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.audit.models import AuditEvent
    from zhenggai.reports.models import NoticeDraft

    c = client_for(personas.clerk)
    post = valid_post(phone="", address="", email="", next_steps_text="继续抓好整改。")
    response = c.post(url("report-edit", small_round), post)
    assert response.status_code == 302 and response["Location"] == url("report-edit", small_round)
    assert list(NoticeDraft.objects.filter(round=small_round).values_list("kind", flat=True)) == ["report"]
    assert AuditEvent.objects.filter(action="report.save", object_id=str(small_round.pk)).exists()
    page = c.get(url("report-edit", small_round)).content.decode()
    assert "四、下一步工作打算" in page and "继续抓好整改。" in page


@pytest.mark.parametrize("who", ["viewer", "leader"])
def test_only_the_clerk_may_save_the_report(small_round, personas, who) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.audit.models import AuditEvent
    from zhenggai.reports.models import NoticeDraft

    c = client_for(getattr(personas, who))
    page = c.get(url("report-edit", small_round))
    assert page.status_code == 200 and "只有整改办工作人员可以修改整改情况报告稿" in page.content.decode()
    assert c.post(url("report-edit", small_round), valid_post()).status_code == 403
    assert not NoticeDraft.objects.exists()
    assert AuditEvent.objects.filter(action="report.save", outcome="denied").exists()


def test_a_measure_above_the_users_clearance_is_not_on_the_page(small_round, personas) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.accounts.models import Sensitivity

    first = _measures(small_round)[0]
    Progress.objects.create(measure=first, unit=first.unit, author=personas.clerk, text="敏感进展原文")
    Finding.objects.filter(pk=first.finding_id).update(sensitivity=Sensitivity.SENSITIVE)
    page = client_for(personas.viewer).get(url("notice-edit", small_round)).content.decode()
    assert "敏感进展原文" not in page and "制定年度学习计划" not in page
    assert f"progress_{first.pk}" not in page


def test_the_editing_page_of_the_seed_round_makes_a_bounded_number_of_queries(
    seed_round, personas, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    measures = _measures(seed_round)
    assert len(measures) == 100
    Progress.objects.bulk_create(
        Progress(measure=m, unit=m.unit, author=personas.clerk, text=f"第{i}项进展")
        for i, m in enumerate(measures)
    )
    c = client_for(personas.clerk)
    for name in ("notice-edit", "report-edit"):
        with django_assert_max_num_queries(20):
            response = c.get(reverse(f"reports:{name}", args=[seed_round.pk]))
        assert response.status_code == 200
        page = response.content.decode()
        assert page.count("<textarea") == 100 + 3 and "第99项进展" in page
