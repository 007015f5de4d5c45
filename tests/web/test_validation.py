"""Forms answer in Chinese next to the field; a refused upload or import leaves nothing behind."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import SEED
from tests.web.conftest import PDF
from zhenggai.ledger.models import Evidence, Progress, Round


def _files_in(folder: Path) -> list[Path]:
    return [p for p in Path(folder).rglob("*") if p.is_file()] if Path(folder).exists() else []


def _error_of(html: str, field: str) -> str:
    """The error text rendered next to a field (the element Bootstrap shows under it)."""
    match = re.search(rf'id="id_{field}_errors">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


@pytest.fixture
def report(world: Any, personas: Any, client_for: Any) -> Any:
    client = client_for(personas.person)
    url = reverse("web:progress-add", args=[world.fresh.pk])

    def post(data: dict[str, Any]) -> Any:
        return client.post(url, data)

    return post


def test_empty_progress_text_is_refused_next_to_the_field(report: Any, settings: Any) -> None:
    before = (Progress.objects.count(), _files_in(settings.EVIDENCE_DIR))
    response = report({"text": "  ", "files": [SimpleUploadedFile("a.pdf", PDF)]})
    assert response.status_code == 400
    assert "请填写整改进展" in _error_of(response.content.decode(), "text")
    assert (Progress.objects.count(), _files_in(settings.EVIDENCE_DIR)) == before


def test_a_file_over_the_size_limit_is_refused_and_leaves_no_file(report: Any, settings: Any) -> None:
    settings.EVIDENCE_MAX_BYTES = 1000
    before = (Progress.objects.count(), Evidence.objects.count(), _files_in(settings.EVIDENCE_DIR))
    big = SimpleUploadedFile("大文件.pdf", PDF + b"0" * 2000)
    response = report({"text": "已整改", "files": [SimpleUploadedFile("小.pdf", PDF), big]})
    assert response.status_code == 400
    assert "超过大小限制" in _error_of(response.content.decode(), "files")
    assert (Progress.objects.count(), Evidence.objects.count(), _files_in(settings.EVIDENCE_DIR)) == before


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("setup.exe", b"MZ\x90\x00\x03" + b"\x00" * 100),
        ("page.html", b"<html><script>alert(1)</script></html>"),
        ("fake.pdf", b"<html>not a pdf</html>"),
    ],
)
def test_a_file_of_a_refused_type_is_refused_and_leaves_no_file(
    name: str, content: bytes, report: Any, settings: Any
) -> None:
    before = (Progress.objects.count(), _files_in(settings.EVIDENCE_DIR))
    response = report({"text": "已整改", "files": [SimpleUploadedFile(name, content)]})
    assert response.status_code == 400
    assert "类型不被接受" in _error_of(response.content.decode(), "files")
    assert (Progress.objects.count(), _files_in(settings.EVIDENCE_DIR)) == before


def test_an_import_over_the_size_limit_is_refused_next_to_the_field(
    personas: Any, client_for: Any, settings: Any
) -> None:
    settings.IMPORT_MAX_BYTES = 1024
    response = client_for(personas.clerk).post(
        reverse("web:import"), {"file": SimpleUploadedFile(SEED.name, SEED.read_bytes())}
    )
    assert response.status_code == 400
    assert "文件超过大小限制" in _error_of(response.content.decode(), "file")
    assert _files_in(settings.UPLOAD_TMP_DIR) == []


def test_a_file_that_is_not_a_rectification_document_is_refused_and_nothing_is_kept(
    personas: Any, client_for: Any, settings: Any
) -> None:
    response = client_for(personas.clerk).post(
        reverse("web:import"), {"file": SimpleUploadedFile("会议通知.txt", "会议通知\n明天开会。".encode())}
    )
    assert response.status_code == 400
    assert "未能从“会议通知.txt”中识别出问题清单" in _error_of(response.content.decode(), "file")
    assert _files_in(settings.UPLOAD_TMP_DIR) == []
    assert Round.objects.count() == 0


def test_an_import_without_a_file_asks_for_one(personas: Any, client_for: Any) -> None:
    response = client_for(personas.clerk).post(reverse("web:import"), {})
    assert response.status_code == 400
    assert "请选择要导入的文件" in _error_of(response.content.decode(), "file")


@pytest.mark.parametrize("digest", ["../../etc/passwd", "A" * 64, "0" * 63, ""])
def test_a_confirmation_with_a_digest_that_is_not_64_hex_is_refused(
    digest: str, personas: Any, client_for: Any
) -> None:
    response = client_for(personas.clerk).post(reverse("web:import-confirm"), {"digest": digest})
    assert response.status_code == 400
    assert "请重新上传" in response.content.decode()
    assert Round.objects.count() == 0


def test_a_confirmation_of_a_file_never_uploaded_is_404(personas: Any, client_for: Any) -> None:
    response = client_for(personas.clerk).post(reverse("web:import-confirm"), {"digest": "a" * 64})
    assert response.status_code == 404
    assert Round.objects.count() == 0


def test_the_round_form_reports_missing_and_inconsistent_fields(personas: Any, client_for: Any) -> None:
    response = client_for(personas.clerk).post(
        reverse("web:round-create"),
        {
            "kind": "regular",
            "period_start": "2021-11-30",
            "period_end": "2021-11-01",
            "feedback_date": "2022-13-40",
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "请填写此项" in _error_of(html, "title")
    assert "巡察结束日期早于开始日期" in _error_of(html, "period_end")
    assert "请输入正确的日期" in _error_of(html, "feedback_date")
    assert Round.objects.count() == 0


def test_bulk_assignment_without_a_selection_or_a_value_says_what_is_missing(
    world: Any, personas: Any, client_for: Any
) -> None:
    url = reverse("web:round-assign", args=[world.round.pk])
    client = client_for(personas.clerk)
    html = client.post(url, {"person": personas.person2.pk}).content.decode()
    assert "请先勾选要分配的措施" in html
    response = client.post(url, {"measures": [world.fresh.pk]})
    assert response.status_code == 400
    assert "请至少选择一项要设置的内容" in response.content.decode()


def test_bulk_assignment_refuses_a_person_from_another_unit(
    world: Any, personas: Any, client_for: Any
) -> None:
    response = client_for(personas.clerk).post(
        reverse("web:round-assign", args=[world.round.pk]),
        {"measures": [world.fresh.pk], "person": personas.outsider.pk},
    )
    assert response.status_code == 400
    assert "所选项不存在或不可选" in _error_of(response.content.decode(), "person")
    world.fresh.refresh_from_db()
    assert world.fresh.person == personas.person


def test_the_search_reports_a_reversed_deadline_window(personas: Any, client_for: Any) -> None:
    response = client_for(personas.clerk).get(
        reverse("web:search"), {"deadline_from": "2021-01-01", "deadline_to": "2020-01-01"}
    )
    assert "结束日期早于开始日期" in _error_of(response.content.decode(), "deadline_to")
