"""The workbook pages: download; upload → dry run → confirm; who may reach them."""

from __future__ import annotations

import io
from typing import Any
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import load_workbook

from tests.reports.test_xlsx_fixtures import edited, export_bytes, ledger, set_cell
from tests.web.conftest import client_for
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger.models import Measure, Progress

__all__ = ["client_for", "ledger"]  # fixtures, imported for pytest

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def upload(client: Any, round_id: int, data: bytes, name: str = "整改台账.xlsx") -> Any:
    return client.post(
        reverse("reports:xlsx-import", args=[round_id]), {"file": SimpleUploadedFile(name, data, XLSX)}
    )


def snapshot() -> tuple[Any, ...]:
    return (
        sorted(Measure.objects.values_list("pk", "version", "status", "person_id", "deadline")),
        Progress.objects.count(),
    )


def test_the_workbook_downloads_under_its_chinese_name(ledger: Any, personas: Any, client_for: Any):
    response = client_for(personas.viewer).get(reverse("reports:xlsx-export", args=[ledger.round.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == XLSX
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert quote(f"{ledger.round.title}-整改台账-") in disposition
    body = b"".join(response.streaming_content)
    assert int(response["Content-Length"]) == len(body)
    wb = load_workbook(io.BytesIO(body), read_only=True)
    assert wb.sheetnames == ["整改台账", "统计", "_meta"]
    wb.close()


def test_the_clerk_uploads_sees_the_dry_run_confirms_and_the_ledger_changes(
    ledger: Any, personas: Any, client_for: Any, settings: Any
):
    c = client_for(personas.clerk)
    data = edited(
        export_bytes(personas.clerk, ledger.round),
        lambda ws: (
            set_cell(ws, ledger.m[1].pk, "person", "陈民警"),
            set_cell(ws, ledger.m[4].pk, "progress", "本月开展检查2次"),
        ),
    )
    assert c.get(reverse("reports:xlsx-import", args=[ledger.round.pk])).status_code == 200
    before = snapshot()
    response = upload(c, ledger.round.pk, data)
    assert response.status_code == 302
    preview = c.get(response.url)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert "2 条措施共 2 项修改" in html
    assert "刘民警" in html and "陈民警" in html and "本月开展检查2次" in html
    assert "确认导入（2 项修改）" in html
    assert snapshot() == before  # the dry run changed nothing
    digest = response.url.rstrip("/").rsplit("/", 1)[-1]
    done = c.post(reverse("reports:xlsx-import-confirm", args=[ledger.round.pk]), {"digest": digest})
    assert done.status_code == 302
    assert done.url == reverse("web:round-detail", args=[ledger.round.pk])
    page = c.get(done.url).content.decode()
    assert "已导入台账“整改台账.xlsx”：2 条措施，共 2 项修改。" in page
    assert ledger.fresh(1).person == personas.person
    assert Progress.objects.filter(
        measure=ledger.m[4], text="本月开展检查2次", author=personas.clerk
    ).exists()
    assert not any(p.is_file() for p in (settings.UPLOAD_TMP_DIR / "xlsx").rglob("*"))  # the upload is gone
    again = c.post(reverse("reports:xlsx-import-confirm", args=[ledger.round.pk]), {"digest": digest})
    assert again.status_code == 404  # confirmed once


def test_a_dry_run_with_row_errors_cannot_be_confirmed_and_a_forced_confirm_changes_nothing(
    ledger: Any, personas: Any, client_for: Any
):
    c = client_for(personas.clerk)
    data = edited(
        export_bytes(personas.clerk, ledger.round),
        lambda ws: (
            set_cell(ws, ledger.m[1].pk, "person", "陈民警"),
            set_cell(ws, ledger.m[5].pk, "deadline", "3月底"),
        ),
    )
    response = upload(c, ledger.round.pk, data)
    html = c.get(response.url).content.decode()
    assert "有 1 行无法导入" in html
    assert "完成时限：“3月底”没有写明年份" in html
    assert reverse("reports:xlsx-import-confirm", args=[ledger.round.pk]) not in html
    before = snapshot()
    digest = response.url.rstrip("/").rsplit("/", 1)[-1]
    forced = c.post(reverse("reports:xlsx-import-confirm", args=[ledger.round.pk]), {"digest": digest})
    assert forced.status_code == 409
    assert "导入未执行" in forced.content.decode()
    assert snapshot() == before
    assert AuditEvent.objects.filter(
        action="round.xlsx_import", outcome="denied", actor=personas.clerk
    ).exists()


def test_an_unedited_workbook_shows_that_there_is_nothing_to_import(
    ledger: Any, personas: Any, client_for: Any
):
    c = client_for(personas.clerk)
    response = upload(c, ledger.round.pk, export_bytes(personas.clerk, ledger.round))
    html = c.get(response.url).content.decode()
    assert "没有需要导入的修改" in html and "确认导入（" not in html


def test_a_file_that_is_not_the_workbook_is_refused_on_the_upload_page_and_not_kept(
    ledger: Any, personas: Any, client_for: Any, settings: Any
):
    c = client_for(personas.clerk)
    response = upload(c, ledger.round.pk, b"%PDF-1.4\n%%EOF\n", name="台账.pdf")
    assert response.status_code == 400
    assert "不是 Excel 工作簿（.xlsx）文件" in response.content.decode()
    folder = settings.UPLOAD_TMP_DIR / "xlsx"
    assert not folder.exists() or not any(p.is_file() for p in folder.rglob("*"))


def test_a_workbook_of_another_round_is_refused_on_the_upload_page(
    ledger: Any, personas: Any, client_for: Any
):
    from tests.web.conftest import build_round

    other = build_round(personas).round
    response = upload(client_for(personas.clerk), ledger.round.pk, export_bytes(personas.clerk, other))
    assert response.status_code == 400
    assert "不属于本轮次" in response.content.decode()


def test_a_viewer_may_export_but_not_import_and_the_refusal_is_recorded(
    ledger: Any, personas: Any, client_for: Any
):
    c = client_for(personas.viewer)
    assert c.get(reverse("reports:xlsx-export", args=[ledger.round.pk])).status_code == 200
    assert c.get(reverse("reports:xlsx-import", args=[ledger.round.pk])).status_code == 403
    before = snapshot()
    response = upload(c, ledger.round.pk, export_bytes(personas.clerk, ledger.round))
    assert response.status_code == 403
    assert "只有整改办工作人员可以导入台账" in response.content.decode()
    assert snapshot() == before
    assert AuditEvent.objects.filter(
        actor=personas.viewer, outcome="denied", action="round.xlsx_import"
    ).exists()


def test_another_clerk_cannot_confirm_an_upload_that_is_not_theirs(
    ledger: Any, personas: Any, client_for: Any
):
    from django.contrib.auth import get_user_model

    from zhenggai.units.models import Role
    from zhenggai.units.services import membership_grant

    data = edited(
        export_bytes(personas.clerk, ledger.round),
        lambda ws: set_cell(ws, ledger.m[1].pk, "person", "陈民警"),
    )
    response = upload(client_for(personas.clerk), ledger.round.pk, data)
    digest = response.url.rstrip("/").rsplit("/", 1)[-1]
    second = get_user_model().objects.create(username="clerk2", display_name="王整改")
    membership_grant(actor=None, user=second, unit=personas.unit_a, role=Role.CLERK)
    c2 = client_for(second)
    assert c2.get(response.url).status_code == 404
    url = reverse("reports:xlsx-import-confirm", args=[ledger.round.pk])
    assert c2.post(url, {"digest": digest}).status_code == 404
    assert ledger.fresh(1).person == personas.person2


def _xlsx_urls(ledger: Any, digest: str) -> list[tuple[str, str, dict[str, Any] | None]]:
    pk = ledger.round.pk
    return [
        ("get", reverse("reports:xlsx-export", args=[pk]), None),
        ("get", reverse("reports:xlsx-import", args=[pk]), None),
        ("post", reverse("reports:xlsx-import", args=[pk]), {}),
        ("get", reverse("reports:xlsx-import-preview", args=[pk, digest]), None),
        ("post", reverse("reports:xlsx-import-confirm", args=[pk]), {"digest": digest}),
    ]


@pytest.fixture
def clerk_digest(ledger: Any, personas: Any, client_for: Any) -> str:
    data = edited(
        export_bytes(personas.clerk, ledger.round),
        lambda ws: set_cell(ws, ledger.m[1].pk, "person", "陈民警"),
    )
    response = upload(client_for(personas.clerk), ledger.round.pk, data)
    return response.url.rstrip("/").rsplit("/", 1)[-1]


def test_the_outsider_gets_404_on_every_workbook_url_and_nothing_changes(
    ledger: Any, personas: Any, client_for: Any, clerk_digest: str
):
    c = client_for(personas.outsider)
    before = snapshot()
    for method, url, data in _xlsx_urls(ledger, clerk_digest):
        response = getattr(c, method)(url, data) if data is not None else getattr(c, method)(url)
        assert response.status_code == 404, url
        assert "未找到" in response.content.decode()
    assert snapshot() == before


def test_the_anonymous_visitor_is_sent_to_log_in_from_every_workbook_url(ledger: Any, client: Any):
    for method, url, data in _xlsx_urls(ledger, "0" * 64):
        response = getattr(client, method)(url, data) if data is not None else getattr(client, method)(url)
        assert response.status_code == 302 and response.url.startswith(reverse("web:login")), url


def test_the_confirm_step_takes_only_post(ledger: Any, personas: Any, client_for: Any):
    url = reverse("reports:xlsx-import-confirm", args=[ledger.round.pk])
    assert client_for(personas.clerk).get(url).status_code == 405


def test_the_round_page_offers_export_to_all_and_import_to_the_clerk(
    ledger: Any, personas: Any, client_for: Any
):
    url = reverse("web:round-detail", args=[ledger.round.pk])
    export = reverse("reports:xlsx-export", args=[ledger.round.pk])
    upload_url = reverse("reports:xlsx-import", args=[ledger.round.pk])
    clerk = client_for(personas.clerk).get(url).content.decode()
    viewer = client_for(personas.viewer).get(url).content.decode()
    assert export in clerk and upload_url in clerk
    assert export in viewer and upload_url not in viewer


def test_finding11_a_workbook_upload_past_the_pending_quota_is_refused_with_a_message(
    ledger: Any, personas: Any, client_for: Any, settings: Any
):
    settings.UPLOAD_PENDING_MAX_FILES = 1
    c = client_for(personas.clerk)
    data = export_bytes(personas.clerk, ledger.round)
    assert upload(c, ledger.round.pk, data).status_code == 302
    other = edited(data, lambda ws: set_cell(ws, ledger.m[1].pk, "person", "陈民警"))
    response = upload(c, ledger.round.pk, other)
    assert response.status_code == 400
    assert "待确认的上传文件已达上限（每人最多 1 个" in response.content.decode()
