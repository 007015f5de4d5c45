"""The citizen's feedback form and lookup on the public site (F's services behind them)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from .conftest import NAME, PHONE

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


def _token(body: str) -> str:
    match = re.search(r'name="token" value="([^"]+)"', body)
    assert match
    return match.group(1)


def _form(client: Client, url: str) -> tuple[Any, str]:
    response = client.get(url)
    assert response.status_code == 200
    return response, _token(response.content.decode())


def _send(client: Client, url: str, token: str, **fields: Any) -> Any:
    data = {"token": token, "content": "路口信号灯长期不亮，整改措施没有落实。", "consent": "on", **fields}
    return client.post(url, data)


@pytest.fixture
def form_url(published: Any) -> str:
    return reverse("public:feedback", args=[published.publication.public_id])


def test_the_form_shows_the_consent_notice_a_required_consent_and_a_hidden_honeypot(
    client: Client, form_url: str
) -> None:
    from zhenggai.feedback.services import CONSENT_TEXT

    response, _ = _form(client, form_url)
    body = response.content.decode()
    assert CONSENT_TEXT.splitlines()[1] in body
    assert 'name="consent"' in body and 'name="consent_publish"' in body
    assert re.search(r'<input[^>]*name="attachments"[^>]*multiple', body) or re.search(
        r'<input[^>]*multiple[^>]*name="attachments"', body
    )
    honeypot = re.search(r'<input[^>]*name="homepage"[^>]*>', body)
    assert honeypot and 'tabindex="-1"' in honeypot.group(0) and 'autocomplete="off"' in honeypot.group(0)
    assert 'class="hp" aria-hidden="true"' in body
    assert response["Cache-Control"] == "no-store"


def test_a_citizen_sends_feedback_with_a_photo_and_reads_it_back_with_the_number_and_code(
    client: Client, form_url: str
) -> None:
    from zhenggai.feedback.models import Feedback

    _, token = _form(client, form_url)
    photo = SimpleUploadedFile("现场.png", PNG, content_type="image/png")
    response = _send(
        client, form_url, token, phone=PHONE, name=NAME, attachments=[photo], consent_publish="on"
    )
    assert response.status_code == 200, response.content.decode()[:2000]
    assert response["Cache-Control"] == "no-store"
    body = response.content.decode()
    tracking = re.search(r'id="tracking">([^<]+)<', body).group(1)
    code = re.search(r'id="code">([^<]+)<', body).group(1)
    fb = Feedback.objects.get(tracking=tracking)
    assert fb.attachments.count() == 1
    assert fb.consent_publish
    found = client.post(reverse("public:track"), {"tracking": tracking, "code": code})
    assert found.status_code == 200
    assert "待受理" in found.content.decode()
    assert found["Cache-Control"] == "no-store"


def test_a_wrong_code_and_an_unknown_number_get_the_same_one_message(client: Client, form_url: str) -> None:
    _, token = _form(client, form_url)
    body = _send(client, form_url, token).content.decode()
    tracking = re.search(r'id="tracking">([^<]+)<', body).group(1)
    wrong = client.post(reverse("public:track"), {"tracking": tracking, "code": "AAAAAAAA"})
    unknown = client.post(reverse("public:track"), {"tracking": "GK" + "A" * 16, "code": "AAAAAAAA"})
    assert wrong.status_code == unknown.status_code == 404
    assert "查询编号或查询码不正确" in wrong.content.decode()

    def page(response: Any, number: str) -> str:
        text = response.content.decode().replace(number, "")
        return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)

    assert page(wrong, tracking) == page(unknown, "GK" + "A" * 16)


def test_a_refusal_re_shows_the_form_with_the_message_next_to_the_field(
    client: Client, form_url: str
) -> None:
    from zhenggai.feedback.models import Feedback

    _, token = _form(client, form_url)
    no_consent = client.post(form_url, {"token": token, "content": "意见"})
    assert no_consent.status_code == 400
    assert "请阅读个人信息告知书并勾选同意后再提交。" in no_consent.content.decode()
    bad_phone = _send(client, form_url, token, phone="12345")
    assert bad_phone.status_code == 400
    body = bad_phone.content.decode()
    assert 'class="field has-error"' in body
    assert "意见建议" in body and _token(body) != token  # a fresh form token
    assert not Feedback.objects.exists()


def test_a_replayed_form_is_a_409_and_stores_nothing_twice(client: Client, form_url: str) -> None:
    from zhenggai.feedback.models import Feedback

    _, token = _form(client, form_url)
    assert _send(client, form_url, token).status_code == 200
    again = _send(client, form_url, token)
    assert again.status_code == 409
    assert "已经提交过" in again.content.decode()
    assert Feedback.objects.count() == 1


def test_a_filled_honeypot_is_refused_like_a_throttle_with_retry_after(client: Client, form_url: str) -> None:
    from zhenggai.feedback.models import Feedback

    _, token = _form(client, form_url)
    response = _send(client, form_url, token, homepage="http://spam.example")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert response["Cache-Control"] == "no-store"
    assert not Feedback.objects.exists()


def test_too_many_submissions_from_one_address_get_the_429_page(
    client: Client, form_url: str, settings: Any
) -> None:
    settings.FEEDBACK_RATE_PER_MINUTE = 1
    _, token = _form(client, form_url)
    assert _send(client, form_url, token).status_code == 200
    _, token = _form(client, form_url)
    response = _send(client, form_url, token)
    assert response.status_code == 429
    assert "Retry-After" in response


def test_a_logged_in_clerk_sends_feedback_as_an_anonymous_citizen(
    logged_in_clerk: Client, form_url: str
) -> None:
    from zhenggai.audit.models import AuditEvent
    from zhenggai.feedback.models import Feedback

    _, token = _form(logged_in_clerk, form_url)
    assert _send(logged_in_clerk, form_url, token).status_code == 200
    fb = Feedback.objects.get()
    assert fb.anonymous
    event = AuditEvent.objects.filter(action__startswith="feedback.").order_by("-seq").first()
    assert event is None or not event.actor_name or "张整改" not in event.actor_name


def test_personal_data_of_a_feedback_appears_on_no_public_page_REQ_1_15(
    client: Client, form_url: str, published: Any, personas: Any, feedback_officer: Any
) -> None:
    from zhenggai.feedback.models import Feedback
    from zhenggai.feedback.services import feedback_accept, feedback_reply

    _, token = _form(client, form_url)
    done = _send(
        client, form_url, token, phone=PHONE, name=NAME, email="wxm@example.com", consent_publish="on"
    )
    body = done.content.decode()
    assert PHONE not in body and NAME not in body
    tracking = re.search(r'id="tracking">([^<]+)<', body).group(1)
    code = re.search(r'id="code">([^<]+)<', body).group(1)
    fb = Feedback.objects.get(tracking=tracking)
    fb = feedback_accept(actor=personas.clerk, feedback=fb)
    feedback_reply(actor=personas.clerk, feedback=fb, text="经核查，信号灯已修复。", publish=True)
    pid = published.publication.public_id
    pages = [
        reverse("public:index"),
        reverse("public:round", args=[pid]),
        reverse("public:version", args=[pid, "notice", 1]),
        reverse("public:rounds-json"),
        reverse("public:rounds-csv"),
        reverse("public:round-json", args=[pid]),
        reverse("public:feed"),
        reverse("public:track"),
        form_url,
    ]
    round_page = client.get(reverse("public:round", args=[pid])).content.decode()
    assert "经核查，信号灯已修复。" in round_page  # the published reply
    for url in pages:
        text = client.get(url).content.decode("utf-8-sig")
        assert PHONE not in text and NAME not in text and "wxm@example.com" not in text, url
    lookup = client.post(reverse("public:track"), {"tracking": tracking, "code": code}).content.decode()
    assert "经核查，信号灯已修复。" in lookup
    assert PHONE not in lookup and NAME not in lookup


def test_too_many_attachments_are_refused_next_to_the_file_field(
    client: Client, form_url: str, settings: Any
) -> None:
    from zhenggai.feedback.models import Feedback

    settings.FEEDBACK_MAX_FILES = 2
    _, token = _form(client, form_url)
    photos = [SimpleUploadedFile(f"{i}.png", PNG, content_type="image/png") for i in range(3)]
    response = _send(client, form_url, token, attachments=photos)
    assert response.status_code == 400
    body = response.content.decode()
    field = body[body.index('for="id_attachments"') - 200 : body.index('name="attachments"')]
    assert 'class="errors"' in field
    assert not Feedback.objects.exists()
