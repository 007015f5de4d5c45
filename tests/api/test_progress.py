"""Progress and evidence through the API (issue 13): reporting with files as the page's form does,
the list with the evidence metadata, the checked download, and every refusal in the error shape."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import api_url, error_of
from tests.evidence.files import PDF, png_bytes
from zhenggai.audit.models import AuditEvent
from zhenggai.evidence import store
from zhenggai.ledger import services
from zhenggai.ledger.models import Evidence, MeasureStatus, Progress


def _upload(name: str, data: bytes, content_type: str = "application/octet-stream") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def queries_of(call: Callable[[], Any]) -> int:
    with CaptureQueriesContext(connection) as q:
        response = call()
    assert response.status_code == 200, response.content
    return len(q)


def test_the_responsible_person_reports_progress_with_files_and_downloads_them_byte_identical(
    api_client: Any, personas: Any, assigned_measure: Any
) -> None:
    client = api_client("person", scope="write")
    png = png_bytes()
    r = client.post(
        api_url("progress_create", assigned_measure.pk),
        data={
            "text": "  已制定学习计划并组织第一次学习  ",
            "files": [_upload("学习计划.pdf", PDF), _upload("现场.png", png)],
        },
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["measure_id"], body["text"], body["author_name"]) == (
        assigned_measure.pk,
        "已制定学习计划并组织第一次学习",
        "陈民警",
    )
    got = {e["original_name"]: e for e in body["evidence"]}
    assert set(got) == {"学习计划.pdf", "现场.png"}
    pdf = got["学习计划.pdf"]
    assert (pdf["size"], pdf["content_type"], pdf["sha256"], pdf["uploader_name"]) == (
        len(PDF),
        "application/pdf",
        hashlib.sha256(PDF).hexdigest(),
        "陈民警",
    )
    row = Evidence.objects.get(pk=pdf["id"])
    assert (pdf["algorithm"], pdf["digest"]) == (row.algorithm, row.storage_name)
    assigned_measure.refresh_from_db()
    assert assigned_measure.status == MeasureStatus.IN_PROGRESS  # the first progress starts it
    assert AuditEvent.objects.filter(action="progress.add", outcome="ok", actor=personas.person).count() == 1

    # The download: the same bytes, as an attachment under the original name, digest announced.
    for e, data in ((pdf, PDF), (got["现场.png"], png)):
        d = client.get(api_url("evidence_download", e["id"]))
        assert d.status_code == 200
        received = _body(d)
        assert received == data
        assert hashlib.sha256(received).hexdigest() == e["sha256"]
        assert d["Content-Disposition"].startswith("attachment;")
        assert d["Content-Type"] == e["content_type"]
        assert d["Repr-Digest"] == f"sha-256=:{base64.b64encode(hashlib.sha256(data).digest()).decode()}:"
        assert d["X-Content-Type-Options"] == "nosniff"
    assert (
        "%E5%AD%A6%E4%B9%A0%E8%AE%A1%E5%88%92.pdf"
        in client.get(api_url("evidence_download", pdf["id"]))["Content-Disposition"]
    )
    downloads = AuditEvent.objects.filter(action="evidence.download", outcome="ok", actor=personas.person)
    assert downloads.count() == 3

    listed = client.get(api_url("progress_list", assigned_measure.pk)).json()
    assert [p["id"] for p in listed["items"]] == [body["id"]] and listed["next_cursor"] is None
    assert listed["items"][0]["evidence"] == body["evidence"]


def test_progress_without_files_and_a_retry_with_the_same_token_stores_one_entry(
    api_client: Any, assigned_measure: Any
) -> None:
    client = api_client("person", scope="write")
    url = api_url("progress_create", assigned_measure.pk)
    first = client.post(url, data={"text": "进展一", "token": "retry-token-0123456789"})
    again = client.post(url, data={"text": "进展一", "token": "retry-token-0123456789"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json() and first.json()["evidence"] == []
    assert Progress.objects.filter(measure=assigned_measure).count() == 1
    bad = client.post(url, data={"text": "进展", "token": "短"})
    assert bad.status_code == 422 and error_of(bad)["field"] == "token"


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("setup.exe", b"MZ\x90\x00" * 64, "类型不被接受"),
        ("report.pdf", b"%PDF-1.4\n" + b"x" * 2000, "超过大小限制"),
        ("note.pdf", png_bytes(), "扩展名与内容不符"),
    ],
)
def test_a_refused_file_is_a_400_naming_files_and_nothing_is_stored(
    api_client: Any, assigned_measure: Any, settings: Any, name: str, data: bytes, message: str
) -> None:
    settings.EVIDENCE_MAX_BYTES = 1024
    r = api_client("person", scope="write").post(
        api_url("progress_create", assigned_measure.pk),
        data={"text": "进展", "files": [_upload("ok.txt", "会议纪要".encode()), _upload(name, data)]},
    )
    assert r.status_code == 400, r.content
    err = error_of(r)
    assert err["field"] == "files" and message in err["message"]
    assert not Progress.objects.exists() and not Evidence.objects.exists()
    assert not AuditEvent.objects.filter(action="progress.add").exists()  # bad input, not a refusal


def test_missing_or_blank_text_is_refused_in_the_error_shape(api_client: Any, assigned_measure: Any) -> None:
    client = api_client("person", scope="write")
    url = api_url("progress_create", assigned_measure.pk)
    missing = client.post(url, data={})
    assert missing.status_code == 422 and error_of(missing)["field"] == "text"
    blank = client.post(url, data={"text": "   "})
    assert blank.status_code == 400 and error_of(blank)["field"] == "text"


def test_someone_who_may_not_report_is_refused_and_the_refusal_recorded(
    api_client: Any, personas: Any, assigned_measure: Any
) -> None:
    r = api_client("person2", scope="write").post(
        api_url("progress_create", assigned_measure.pk),
        data={"text": "代报", "files": [_upload("a.pdf", PDF)]},
    )
    assert r.status_code == 403
    assert error_of(r)["code"] == "not_allowed"
    refusal = AuditEvent.objects.get(action="progress.add")
    assert (refusal.outcome, refusal.actor_id, refusal.object_id) == (
        "denied",
        personas.person2.pk,
        str(assigned_measure.pk),
    )
    assert not Evidence.objects.exists()


def test_a_measure_awaiting_review_takes_no_progress_409(
    api_client: Any, personas: Any, assigned_measure: Any
) -> None:
    services.progress_add(actor=personas.person, measure=assigned_measure, text="完成")
    services.measure_submit(actor=personas.person, measure=assigned_measure)
    r = api_client("person", scope="write").post(
        api_url("progress_create", assigned_measure.pk), data={"text": "再报"}
    )
    assert r.status_code == 409 and error_of(r)["code"] == "transition_refused"


def test_a_read_token_may_not_report_progress(api_client: Any, assigned_measure: Any) -> None:
    r = api_client("person", scope="read").post(
        api_url("progress_create", assigned_measure.pk), data={"text": "进展"}
    )
    assert r.status_code == 403 and error_of(r)["code"] == "read_only_token"
    assert not Progress.objects.exists()


def test_the_outsider_gets_404_on_the_list_the_report_and_the_download(
    api_client: Any, personas: Any, assigned_measure: Any
) -> None:
    p = services.progress_add(
        actor=personas.person, measure=assigned_measure, text="进展", files=[(_upload("a.pdf", PDF), "a.pdf")]
    )
    ev = p.evidence.get()
    outsider = api_client("outsider", scope="write")
    for r in (
        outsider.get(api_url("progress_list", assigned_measure.pk)),
        outsider.post(api_url("progress_create", assigned_measure.pk), data={"text": "x"}),
        outsider.get(api_url("evidence_download", ev.pk)),
    ):
        assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    assert Progress.objects.count() == 1
    assert not AuditEvent.objects.filter(action="evidence.download").exists()


def test_a_file_changed_on_disk_is_never_sent_and_the_attempt_is_recorded(
    api_client: Any, personas: Any, assigned_measure: Any
) -> None:
    p = services.progress_add(
        actor=personas.person, measure=assigned_measure, text="进展", files=[(_upload("a.pdf", PDF), "a.pdf")]
    )
    ev = p.evidence.get()
    store.evidence_path(ev.storage_name).write_bytes(PDF + b" ")
    r = api_client("leader").get(api_url("evidence_download", ev.pk))
    assert r.status_code == 500
    err = error_of(r)
    assert err["code"] == "evidence_damaged" and "文件校验失败" in err["message"]
    event = AuditEvent.objects.get(action="evidence.download")
    assert (event.outcome, event.actor_id, event.after["problem"]) == ("failed", personas.leader.pk, "digest")


def test_the_progress_list_pages_by_cursor_and_refuses_a_cursor_of_another_measure(
    api_client: Any, personas: Any, assigned_measure: Any, seed_round: Any
) -> None:
    for i in range(3):
        services.progress_add(actor=personas.person, measure=assigned_measure, text=f"进展{i}")
    client = api_client("viewer")
    url = api_url("progress_list", assigned_measure.pk)
    one = client.get(url, {"limit": 2}).json()
    two = client.get(url, {"limit": 2, "cursor": one["next_cursor"]}).json()
    assert [x["text"] for x in one["items"] + two["items"]] == ["进展0", "进展1", "进展2"]
    assert two["next_cursor"] is None
    other = assigned_measure.finding.measures.exclude(pk=assigned_measure.pk).first() or (
        seed_round.measures.exclude(pk=assigned_measure.pk).first()
    )
    r = client.get(api_url("progress_list", other.pk), {"cursor": one["next_cursor"]})
    err = error_of(r)
    assert (r.status_code, err["code"], err["field"]) == (400, "bad_cursor", "cursor")


def test_the_progress_list_costs_the_same_queries_for_10_and_1000_entries(
    api_client: Any, personas: Any, assigned_measure: Any, django_assert_num_queries: Any
) -> None:
    m = assigned_measure

    def add(n: int) -> None:
        rows = Progress.objects.bulk_create(
            Progress(measure=m, unit=m.unit, author=personas.person, text=f"进展{i}") for i in range(n)
        )
        Evidence.objects.bulk_create(
            Evidence(
                progress=p,
                measure=m,
                unit=m.unit,
                original_name=f"{p.pk}.pdf",
                storage_name="0" * 64,
                algorithm="sm3",
                sha256="0" * 64,
                size=1,
                content_type="application/pdf",
                uploaded_by=personas.person if i % 2 else personas.clerk,
            )
            for i, p in enumerate(rows)
        )

    client = api_client("leader")
    url = api_url("progress_list", m.pk)
    add(10)
    client.get(url)  # warm: the first request reads what later ones have cached
    small = queries_of(lambda: client.get(url))
    add(990)
    with django_assert_num_queries(small):
        r = client.get(url, {"limit": 200})
    assert len(r.json()["items"]) == 200 and r.json()["next_cursor"]
