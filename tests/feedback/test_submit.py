"""The public form: encryption at rest, the blind index, throttles, the honeypot, replays, limits."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from zhenggai.errors import DuplicateSubmission, InvalidInput
from zhenggai.feedback import pii, services
from zhenggai.feedback.models import Feedback, FeedbackAttachment, FeedbackStep

from .conftest import EMAIL, NAME, PHONE, feedback_of, pdf, png


def _files_in(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_the_database_holds_no_plain_phone_name_or_email(submit: Any) -> None:
    submitted = submit()
    with connection.cursor() as cur:
        cur.execute("SELECT * FROM feedback_feedback")
        row = cur.fetchone()
    raw = b"".join(bytes(v) if isinstance(v, bytes | memoryview) else str(v).encode() for v in row)
    for secret in (PHONE, "1234", "5678", NAME, "欧阳", EMAIL.lower(), "Zhang", "example"):
        assert secret.encode() not in raw, secret
    fb = feedback_of(submitted)
    assert pii.decrypt(fb.phone_ct, field="phone", tracking=fb.tracking) == PHONE
    assert pii.decrypt(fb.name_ct, field="name", tracking=fb.tracking) == NAME
    assert pii.decrypt(fb.email_ct, field="email", tracking=fb.tracking) == EMAIL.lower()
    assert fb.consent_version == services.CONSENT_VERSION
    assert fb.ip_index and "10.0.0" not in fb.ip_index


def test_a_ciphertext_moved_to_another_field_does_not_decrypt(submit: Any) -> None:
    fb = feedback_of(submit())
    with pytest.raises(pii.PiiDecryptError):
        pii.decrypt(fb.phone_ct, field="name", tracking=fb.tracking)
    assert fb.phone_ct[0] == pii.KEY_ID


def test_the_blind_index_recognises_a_repeat_sender_written_differently(submit: Any) -> None:
    first = feedback_of(submit(phone="13812345678", email="a.b@example.com"))
    second = feedback_of(submit(phone="+86 138 1234 5678", email="  A.B@EXAMPLE.COM "))
    assert first.phone_index == second.phone_index != ""
    assert first.email_index == second.email_index != ""
    assert first.phone_ct != second.phone_ct  # a fresh nonce each time


def test_an_anonymous_feedback_stores_no_personal_data(submit: Any) -> None:
    fb = feedback_of(submit(name="", phone="", email=""))
    assert fb.anonymous
    assert bytes(fb.name_ct) == bytes(fb.phone_ct) == bytes(fb.email_ct) == b""
    assert fb.phone_index == fb.email_index == ""


def test_the_sixth_submission_within_a_minute_is_throttled(submit: Any) -> None:
    for _ in range(5):
        submit(client_ip="192.0.2.7")
    with pytest.raises(services.Throttled) as caught:
        submit(client_ip="192.0.2.7")
    assert caught.value.http_status == 429
    assert 0 < caught.value.retry_after <= 60
    assert Feedback.objects.count() == 5
    submit(client_ip="192.0.2.8")  # another address is not held up


def test_invalid_submissions_count_towards_the_limit(submit: Any) -> None:
    for _ in range(5):
        with pytest.raises(InvalidInput):
            submit(client_ip="192.0.2.9", content="")
    with pytest.raises(services.Throttled):
        submit(client_ip="192.0.2.9")


def test_the_round_limit_holds_whatever_the_addresses(submit: Any, settings: Any) -> None:
    settings.FEEDBACK_ROUND_RATE_PER_HOUR = 3
    for _ in range(3):
        submit()
    with pytest.raises(services.Throttled):
        submit()


def test_the_daily_limit_per_address(submit: Any, settings: Any) -> None:
    settings.FEEDBACK_RATE_PER_MINUTE = 100
    settings.FEEDBACK_RATE_PER_DAY = 2
    submit(client_ip="192.0.2.10")
    submit(client_ip="192.0.2.10")
    with pytest.raises(services.Throttled):
        submit(client_ip="192.0.2.10")


def test_no_address_is_stored_in_clear_in_the_throttle_rows(submit: Any) -> None:
    from zhenggai.feedback.models import Throttle

    submit(client_ip="198.51.100.23")
    assert Throttle.objects.exists()
    assert not Throttle.objects.filter(key__contains="198.51").exists()


def test_a_filled_honeypot_is_refused_like_a_throttle_and_stores_nothing(submit: Any) -> None:
    with pytest.raises(services.Throttled):
        submit(honeypot="http://spam.example")
    assert not Feedback.objects.exists()


def test_a_replayed_form_is_a_duplicate_submission(submit: Any, world: Any) -> None:
    token = services.form_token(round=world.round)
    submit(token=token)
    with pytest.raises(DuplicateSubmission) as caught:
        submit(token=token)
    assert caught.value.http_status == 409
    assert Feedback.objects.count() == 1


def test_a_forged_or_foreign_token_is_refused(submit: Any, personas: Any) -> None:
    from tests.web.conftest import build_round

    other = build_round(personas, title="另一轮巡察")
    with pytest.raises(InvalidInput) as caught:
        submit(token=services.form_token(round=other.round))
    assert caught.value.field == "token"
    with pytest.raises(InvalidInput):
        submit(token="not-a-token")


def test_consent_is_required(submit: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(consent=False)
    assert caught.value.field == "consent"
    assert "个人信息告知书" in services.CONSENT_TEXT and "匿名" in services.CONSENT_TEXT


def test_a_megabyte_of_text_is_refused(submit: Any) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(content="字" * (1024 * 1024))
    assert caught.value.field == "content"
    assert not Feedback.objects.exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("phone", "12345"), ("phone", "1381234567"), ("email", "not-an-address"), ("name", "名" * 21)],
)
def test_bad_fields_are_refused_with_their_field(submit: Any, field: str, value: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        submit(**{field: value})
    assert caught.value.field == field


def test_a_landline_with_area_code_is_accepted(submit: Any) -> None:
    fb = feedback_of(submit(phone="0556-5123456"))
    assert pii.decrypt(fb.phone_ct, field="phone", tracking=fb.tracking) == "05565123456"


def test_fifty_attachments_are_refused_and_nothing_is_stored(submit: Any, settings: Any) -> None:
    before = _files_in(Path(settings.EVIDENCE_DIR))  # the round's own evidence
    with pytest.raises(InvalidInput) as caught:
        submit(files=[pdf(f"{i}.pdf") for i in range(50)])
    assert caught.value.field == "files"
    assert not Feedback.objects.exists()
    assert _files_in(Path(settings.EVIDENCE_DIR)) == before


def test_an_exe_renamed_jpg_is_refused_and_no_blob_is_left(submit: Any, settings: Any) -> None:
    exe = SimpleUploadedFile("photo.jpg", b"MZ\x90\x00" + b"\x00" * 200, content_type="image/jpeg")
    before = _files_in(Path(settings.EVIDENCE_DIR))
    with pytest.raises(InvalidInput):
        submit(files=[png(), exe])
    assert not Feedback.objects.exists()
    assert not FeedbackAttachment.objects.exists()
    assert _files_in(Path(settings.EVIDENCE_DIR)) == before


def test_an_office_file_is_refused_though_the_evidence_store_takes_it(submit: Any) -> None:
    txt = SimpleUploadedFile("note.txt", "说明".encode(), content_type="text/plain")
    with pytest.raises(InvalidInput):
        submit(files=[txt])
    assert not Feedback.objects.exists()


def test_an_oversized_attachment_is_refused(submit: Any, settings: Any) -> None:
    settings.FEEDBACK_MAX_FILE_BYTES = 10
    with pytest.raises(InvalidInput):
        submit(files=[pdf()])
    assert not Feedback.objects.exists()


def test_images_and_pdf_are_stored_as_attachments(
    submit: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        fb = feedback_of(submit(files=[pdf(), png()]))
    kinds = sorted(fb.attachments.values_list("content_type", flat=True))
    assert kinds == ["application/pdf", "image/png"]
    assert all(a.unit_id == fb.unit_id for a in fb.attachments.all())


def test_a_script_in_every_field_is_stored_as_text(submit: Any) -> None:
    script = "<script>alert(1)</script>"
    fb = feedback_of(submit(content=script, name="<b>x</b>", email="a@example.com"))
    assert fb.content == script
    assert pii.decrypt(fb.name_ct, field="name", tracking=fb.tracking) == "<b>x</b>"


def test_the_tracking_number_is_long_and_random_and_the_code_is_not_stored(submit: Any) -> None:
    submitted = submit()
    assert submitted.tracking.startswith("GK") and len(submitted.tracking) == 18
    assert len(submitted.code) == 8
    fb = feedback_of(submitted)
    assert submitted.code not in fb.code_digest
    assert FeedbackStep.objects.filter(feedback=fb, public=True).count() == 1


def test_the_lookup_answers_a_wrong_code_and_a_guessed_number_alike(submit: Any) -> None:
    submitted = submit()
    found = services.feedback_lookup(
        tracking=submitted.tracking, code=submitted.code, client_ip="203.0.113.1"
    )
    assert found is not None and found.tracking == submitted.tracking
    assert found.steps and found.reply == ""
    assert (
        services.feedback_lookup(tracking=submitted.tracking, code="AAAAAAAA", client_ip="203.0.113.1")
        is None
    )
    assert (
        services.feedback_lookup(tracking="GK" + "A" * 16, code=submitted.code, client_ip="203.0.113.1")
        is None
    )
    lower = services.feedback_lookup(
        tracking=submitted.tracking.lower(), code=submitted.code.lower(), client_ip="203.0.113.1"
    )
    assert lower is not None


def test_lookups_are_throttled(submit: Any) -> None:
    submitted = submit()
    for _ in range(5):
        services.feedback_lookup(tracking=submitted.tracking, code="WRONG", client_ip="203.0.113.2")
    with pytest.raises(services.Throttled):
        services.feedback_lookup(tracking=submitted.tracking, code=submitted.code, client_ip="203.0.113.2")


def test_the_receipt_is_audited_without_the_citizens_address(submit: Any) -> None:
    from zhenggai.audit.models import AuditEvent
    from zhenggai.audit.services import RequestContext, reset_request_context, set_request_context

    token = set_request_context(RequestContext("req-1", "203.0.113.99"))
    try:
        fb = feedback_of(submit(client_ip="203.0.113.99"))
    finally:
        reset_request_context(token)
    event = AuditEvent.objects.get(action="feedback.receive", object_id=str(fb.pk))
    assert event.address == ""
    assert PHONE not in str(event.after)
