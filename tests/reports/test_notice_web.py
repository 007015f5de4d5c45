"""The document pages: downloads, the clerk's notice form, and who may do what."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any
from urllib.parse import quote

import docx
import pytest
from django.test import Client
from django.urls import reverse

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
URL_NAMES = ("plan-docx", "notice-edit", "notice-docx", "notice-pdf")


@pytest.fixture
def small_round(personas: Any) -> Any:
    """A round of unit A built by hand: one category → issue → problem with two measures."""
    from zhenggai.ledger import services

    clerk = personas.clerk
    r = services.round_create(
        actor=clerk,
        unit=personas.unit_a,
        title="县委第一巡察组反馈意见整改",
        inspecting_group="县委第一巡察组",
        period_start=dt.date(2021, 11, 1),
        period_end=dt.date(2021, 11, 30),
        feedback_date=dt.date(2022, 2, 14),
    )
    cat = services.finding_create(
        actor=clerk, round=r, parent=None, kind="category", title="政治建设方面问题"
    )
    issue = services.finding_create(actor=clerk, round=r, parent=cat, kind="issue", title="学习贯彻不深入")
    problem = services.finding_create(
        actor=clerk, round=r, parent=issue, kind="problem", title="理论学习流于形式"
    )
    for text in ("制定年度学习计划", "开展专题学习"):
        services.measure_create(actor=clerk, finding=problem, text=text, deadline=None)
    return r


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def url(name: str, round_: Any) -> str:
    return reverse(f"reports:{name}", args=[round_.pk])


def valid_post(**extra: Any) -> dict[str, Any]:
    data = {
        "organisation_text": "一是高度重视，迅速行动。\n二是细化措施，明确责任。",
        "long_term_text": "建立健全长效机制，巩固整改成果。",
        "next_steps_text": "",
        "phone": "0556-7170878",
        "address": "望江县东洲路292号",
        "email": "852887055@qq.com",
        "signing_unit": "望江县公安局交通管理大队",
        "signed_on": "2026-11-26",
        "version": "0",
        "action": "save",
    }
    data.update(extra)
    return data


@pytest.mark.parametrize(
    ("name", "content_type", "ext"),
    [("notice-docx", DOCX, "docx"), ("plan-docx", DOCX, "docx"), ("notice-pdf", "application/pdf", "pdf")],
)
def test_downloads_for_anyone_who_sees_the_round(small_round, personas, name, content_type, ext) -> None:  # type: ignore[no-untyped-def]
    response = client_for(personas.viewer).get(url(name, small_round))
    assert response.status_code == 200
    assert response["Content-Type"] == content_type
    title = "望江县公安局交通管理大队关于巡察整改进展情况的通报"
    if name == "plan-docx":
        title = "望江县公安局交通管理大队关于落实县委第一巡察组反馈意见的整改方案"
    disposition = response["Content-Disposition"]
    assert (
        disposition.startswith("attachment") and f"filename*=utf-8''{quote(f'{title}.{ext}')}" in disposition
    )
    body = b"".join(response.streaming_content)
    if ext == "pdf":
        assert body.startswith(b"%PDF")
    else:
        d = docx.Document(io.BytesIO(body))
        assert d.paragraphs[0].text.replace("\n", "") == title


@pytest.mark.parametrize("name", URL_NAMES)
def test_an_outsider_gets_404_everywhere(small_round, personas, name) -> None:  # type: ignore[no-untyped-def]
    c = client_for(personas.outsider)
    assert c.get(url(name, small_round)).status_code == 404
    if name == "notice-edit":
        assert c.post(url(name, small_round), valid_post()).status_code == 404


@pytest.mark.parametrize("name", URL_NAMES)
def test_an_anonymous_visitor_is_sent_to_login(small_round, name) -> None:  # type: ignore[no-untyped-def]
    response = Client().get(url(name, small_round))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_the_clerk_sees_a_draft_with_defaults_and_a_preview(small_round, personas) -> None:  # type: ignore[no-untyped-def]
    response = client_for(personas.clerk).get(url("notice-edit", small_round))
    assert response.status_code == 200
    page = response.content.decode()
    assert "尚未保存" in page and "高度重视" in page
    assert "（1）针对理论学习流于形式问题" in page  # the preview of section 二
    assert "一是制定年度学习计划；二是开展专题学习。" in page
    assert "尚未填写联系电话" in page  # the warning
    assert 'name="action" value="save"' in page


def test_the_clerk_saves_and_the_notice_uses_it(small_round, personas) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.audit.models import AuditEvent
    from zhenggai.reports.models import NoticeDraft

    c = client_for(personas.clerk)
    response = c.post(url("notice-edit", small_round), valid_post())
    assert response.status_code == 302 and response["Location"] == url("notice-edit", small_round)
    draft = NoticeDraft.objects.get(round=small_round)
    assert (draft.version, draft.phone, draft.signed_on) == (1, "0556-7170878", dt.date(2026, 11, 26))
    assert AuditEvent.objects.filter(action="notice.save", object_id=str(small_round.pk)).exists()
    body = b"".join(c.get(url("notice-docx", small_round)).streaming_content)
    texts = [p.text for p in docx.Document(io.BytesIO(body)).paragraphs]
    assert texts[-2:] == ["望江县公安局交通管理大队", "2026年11月26日"]
    assert any("联系电话：0556-7170878；邮寄地址：望江县东洲路292号" in t for t in texts)
    # A second save from the page loaded before the first: refused (409), nothing changed.
    stale = c.post(url("notice-edit", small_round), valid_post(phone="0556-1111111"))
    assert stale.status_code == 409
    assert NoticeDraft.objects.get(round=small_round).phone == "0556-7170878"


def test_preview_does_not_save(small_round, personas) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.reports.models import NoticeDraft

    response = client_for(personas.clerk).post(
        url("notice-edit", small_round), valid_post(action="preview", long_term_text="预览中的长效机制文字。")
    )
    assert response.status_code == 200 and "预览中的长效机制文字。" in response.content.decode()
    assert not NoticeDraft.objects.filter(round=small_round).exists()


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"organisation_text": ""}, "organisation_text", "请填写此项"),
        ({"signed_on": "2026-13-01"}, "signed_on", "请输入正确的日期"),
        ({"signed_on": "2021-01-01"}, "signed_on", "成文日期不能早于巡察反馈日期"),
        ({"email": "not-an-address"}, "email", "请输入正确的电子邮箱地址"),
        ({"phone": "电话号码"}, "phone", "请输入正确的联系电话"),
        ({"signing_unit": "交管大队，党支部"}, "signing_unit", "署名单位不能含有标点符号"),
        ({"long_term_text": "一、建立制度"}, "long_term_text", "以一级标题编号开头"),
        ({"phone": "", "address": "", "email": ""}, None, "请至少填写一种监督渠道"),
    ],
)
def test_the_form_says_what_is_wrong_in_chinese(small_round, personas, changes, field, message) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.reports.models import NoticeDraft

    response = client_for(personas.clerk).post(url("notice-edit", small_round), valid_post(**changes))
    assert response.status_code == 400
    form = response.context["form"]
    errors = form.errors.get(field or "__all__", [])
    assert any(message in e for e in errors), form.errors
    assert not NoticeDraft.objects.filter(round=small_round).exists()


@pytest.mark.parametrize("who", ["viewer", "person", "leader", "supervisor"])
def test_only_the_clerk_may_save(small_round, personas, who) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.audit.models import AuditEvent
    from zhenggai.reports.models import NoticeDraft

    c = client_for(getattr(personas, who))
    page = c.get(url("notice-edit", small_round))
    assert page.status_code == 200 and "只有整改办工作人员可以修改" in page.content.decode()
    assert c.post(url("notice-edit", small_round), valid_post()).status_code == 403
    assert not NoticeDraft.objects.filter(round=small_round).exists()
    assert AuditEvent.objects.filter(action="notice.save", outcome="denied").exists()
