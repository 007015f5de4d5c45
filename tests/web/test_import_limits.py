"""The document import through the pages under hostile input (issue 8, findings 2, 3 and 11):
bombs and runaway parses are refused with a clear message and keep nothing, an upload is
parsed once, and pending uploads are private, expire and count against a quota."""

from __future__ import annotations

import os
import stat
import time
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from tests.conftest import SEED
from tests.textparse import bombs
from zhenggai.ledger import imports
from zhenggai.ledger.models import Measure, Round
from zhenggai.textparse import budget
from zhenggai.textparse._base import MAX_PART_BYTES, MB


def _post(client: Any, name: str, data: bytes) -> Any:
    return client.post(reverse("web:import"), {"file": SimpleUploadedFile(name, data)})


def _kept_files(settings: Any) -> list[Path]:
    root = Path(settings.UPLOAD_TMP_DIR)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


def _digest(response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:2000]
    return response.url.rstrip("/").rsplit("/", 1)[-1]


@pytest.mark.parametrize(
    ("name", "make", "message"),
    [
        ("方案.docx", lambda: bombs.docx_bomb(MAX_PART_BYTES + MB), "文档内容解压后超过 32 MB，拒绝读取"),
        ("方案.pdf", lambda: bombs.pdf_bomb(MAX_PART_BYTES + MB), "文档内容解压后超过 32 MB，拒绝读取"),
    ],
)
def test_finding2_a_decompression_bomb_uploaded_for_import_is_refused_and_nothing_is_kept(
    personas: Any, client_for: Any, settings: Any, name: str, make: Any, message: str
) -> None:
    response = _post(client_for(personas.clerk), name, make())
    assert response.status_code == 400
    assert f"无法读取 {name}：{message}" in response.content.decode()
    assert Round.objects.count() == 0
    assert _kept_files(settings) == []


def test_finding3_a_docx_table_of_ten_million_cells_uploaded_for_import_is_refused(
    personas: Any, client_for: Any, settings: Any
) -> None:
    response = _post(client_for(personas.clerk), "方案.docx", bombs.docx_wide_table(10_000, 1_000))
    assert response.status_code == 400
    assert "文档中的表格超过 20 万个单元格的上限，拒绝读取" in response.content.decode()
    assert _kept_files(settings) == []


def test_finding3_a_web_parse_past_its_time_budget_is_refused_with_a_clear_message(
    personas: Any, client_for: Any, settings: Any, monkeypatch: Any
) -> None:
    # A parse that never ends: the child the budget runs sleeps instead of parsing.
    monkeypatch.setattr(
        budget, "CHILD_COMMAND", [budget.sys.executable, "-c", "import time; time.sleep(600)"]
    )
    settings.IMPORT_PARSE_SECONDS = 1
    response = _post(client_for(personas.clerk), SEED.name, SEED.read_bytes())
    assert response.status_code == 400
    assert "文档过于复杂，解析超时（超过 1 秒），拒绝读取" in response.content.decode()
    assert Round.objects.count() == 0
    assert _kept_files(settings) == []


def test_finding3_the_web_import_parses_an_upload_once_not_again_at_preview_and_confirm(
    personas: Any, client_for: Any, monkeypatch: Any
) -> None:
    clerk = client_for(personas.clerk)
    digest = _digest(_post(clerk, SEED.name, SEED.read_bytes()))

    def parsed_again(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("the upload was read or parsed again")

    for target, attr in [(imports, "read_bytes"), (imports, "parse_document"), (budget, "read_and_parse")]:
        monkeypatch.setattr(target, attr, parsed_again)
    preview = clerk.get(reverse("web:import-preview", args=[digest]))
    assert preview.status_code == 200
    assert "县委第三巡察组" in preview.content.decode()
    done = clerk.post(reverse("web:import-confirm"), {"digest": digest})
    assert done.status_code == 302
    assert Measure.objects.filter(round=Round.objects.get()).count() == 100


def test_a_kept_parse_that_is_missing_or_unreadable_sends_the_clerk_back_to_upload(
    personas: Any, client_for: Any, settings: Any
) -> None:
    clerk = client_for(personas.clerk)
    digest = _digest(_post(clerk, SEED.name, SEED.read_bytes()))
    extra = next(p for p in _kept_files(settings) if p.name.endswith(".extra"))
    extra.write_bytes(b"{}")
    assert clerk.get(reverse("web:import-preview", args=[digest])).status_code == 404
    assert clerk.post(reverse("web:import-confirm"), {"digest": digest}).status_code == 404
    assert Round.objects.count() == 0


# --------------------------------------------------------------------------- finding 11


def test_finding11_a_pending_upload_is_a_private_file_in_private_folders_whatever_the_umask(
    personas: Any, client_for: Any, settings: Any
) -> None:
    old = os.umask(0o022)
    try:
        _digest(_post(client_for(personas.clerk), SEED.name, SEED.read_bytes()))
    finally:
        os.umask(old)
    files = _kept_files(settings)
    assert len(files) == 2  # the upload and its parse
    assert {stat.S_IMODE(p.stat().st_mode) for p in files} == {0o600}
    root = Path(settings.UPLOAD_TMP_DIR)
    folders = [root, root / "import", files[0].parent]
    assert [stat.S_IMODE(p.stat().st_mode) for p in folders] == [0o700] * 3


def _age(paths: list[Path], hours: float) -> None:
    then = time.time() - hours * 3600
    for p in paths:
        os.utime(p, (then, then))


def test_finding11_a_pending_upload_expires_after_a_day_and_is_gone_at_its_next_use(
    personas: Any, client_for: Any, settings: Any
) -> None:
    clerk = client_for(personas.clerk)
    digest = _digest(_post(clerk, SEED.name, SEED.read_bytes()))
    _age(_kept_files(settings), 25)
    assert clerk.get(reverse("web:import-preview", args=[digest])).status_code == 404
    assert clerk.post(reverse("web:import-confirm"), {"digest": digest}).status_code == 404
    assert _kept_files(settings) == []
    assert Round.objects.count() == 0


def test_finding11_uploads_purge_removes_every_expired_pending_upload_and_keeps_the_fresh(
    personas: Any, client_for: Any, settings: Any, capsys: Any
) -> None:
    _digest(_post(client_for(personas.clerk), SEED.name, SEED.read_bytes()))
    stale = _kept_files(settings)
    _age(stale, 25)
    _digest(_post(client_for(personas.outsider), SEED.name, SEED.read_bytes() + b"\n"))
    fresh = [p for p in _kept_files(settings) if p not in stale]
    call_command("uploads-purge")
    assert "已清除 2 个过期的待确认上传文件" in capsys.readouterr().out
    assert _kept_files(settings) == fresh and len(fresh) == 2
    call_command("uploads-purge")  # idempotent
    assert "已清除 0 个" in capsys.readouterr().out


def test_finding11_a_user_past_the_pending_quota_is_refused_and_nothing_more_is_kept(
    personas: Any, client_for: Any, settings: Any
) -> None:
    settings.UPLOAD_PENDING_MAX_FILES = 2
    clerk = client_for(personas.clerk)
    for i in range(2):
        _digest(_post(clerk, SEED.name, SEED.read_bytes() + b"\n" * i))
    kept = _kept_files(settings)
    response = _post(clerk, SEED.name, SEED.read_bytes() + b"\n\n\n")
    assert response.status_code == 400
    assert "待确认的上传文件已达上限（每人最多 2 个" in response.content.decode()
    assert _kept_files(settings) == kept
    _digest(_post(clerk, SEED.name, SEED.read_bytes()))  # the same file again replaces itself
    # Another user has a quota of their own.
    _digest(_post(client_for(personas.outsider), SEED.name, SEED.read_bytes() + b"\n\n\n"))
