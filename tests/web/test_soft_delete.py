"""Deleting a problem or a round from the pages (issue 10): a reason is required, what is deleted
is gone from every page, search, export and document, the clerk finds it under 已删除 and
restores it; nobody else may, and a refused request is recorded."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import openpyxl
from django.urls import reverse

from tests.web.conftest import World
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger import services
from zhenggai.ledger.models import Finding, Measure, Round

GONE_TITLE = "会议记录不规范"
GONE_MEASURE = "规范会议记录格式"


def _extra_problem(personas: Any, w: World) -> Finding:
    p = services.finding_create(
        actor=personas.clerk, round=w.round, parent=w.issue, kind="problem", title=GONE_TITLE
    )
    services.measure_create(actor=personas.clerk, finding=p, text=GONE_MEASURE)
    return p


def _body(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _xlsx_text(response: Any) -> str:
    wb = openpyxl.load_workbook(io.BytesIO(_body(response)), read_only=True)
    return "\n".join(
        str(v) for ws in wb.worksheets for row in ws.iter_rows(values_only=True) for v in row if v is not None
    )


def _docx_text(response: Any) -> str:
    with zipfile.ZipFile(io.BytesIO(_body(response))) as z:
        return z.read("word/document.xml").decode("utf-8")


def _everywhere(c: Any, w: World) -> dict[str, str]:
    """What each page, search, export and document of the round shows."""
    r = w.round.pk
    return {
        "round": c.get(reverse("web:round-detail", args=[r])).content.decode(),
        "measures": c.get(reverse("web:round-measures", args=[r])).content.decode(),
        "search": c.get(reverse("web:search"), {"q": "会议记录"}).content.decode(),
        "issue": c.get(reverse("web:problem-detail", args=[w.issue.pk])).content.decode(),
        "xlsx": _xlsx_text(c.get(reverse("reports:xlsx-export", args=[r]))),
        "plan": _docx_text(c.get(reverse("reports:plan-docx", args=[r]))),
        "notice": _docx_text(c.get(reverse("reports:notice-docx", args=[r]))),
    }


def test_a_problem_deleted_from_its_page_is_gone_everywhere_and_restored_from_the_round_page(
    personas: Any, world: World, client_for: Any
):
    extra = _extra_problem(personas, world)
    c = client_for(personas.clerk)
    before = _everywhere(c, world)
    for name in ("round", "measures", "issue", "xlsx", "plan", "notice"):
        assert GONE_TITLE in before[name], name
    assert GONE_MEASURE in before["search"]

    r = c.post(reverse("web:finding-delete", args=[extra.pk]), {"delete-reason": "导入时重复识别"})
    assert r.status_code == 302 and r.url == reverse("web:round-detail", args=[world.round.pk])

    after = _everywhere(c, world)
    for name, text in after.items():
        assert GONE_MEASURE not in text, name
        if name != "round":
            assert GONE_TITLE not in text, name
    assert c.get(reverse("web:problem-detail", args=[extra.pk])).status_code == 404
    # The round page lists it only in the recycle bin, with the reason and who deleted it.
    bin_html = after["round"].split('id="deleted"', 1)[1]
    assert GONE_TITLE in bin_html and "导入时重复识别" in bin_html and "张整改" in bin_html
    tree = after["round"].split("问题清单</h2>", 1)[1].split('id="deleted"', 1)[0]
    assert GONE_TITLE not in tree
    # The workbook's figures no longer count it.
    assert "具体问题（个）\n1" in after["xlsx"]

    r = c.post(reverse("web:finding-restore", args=[extra.pk]))
    assert r.status_code == 302
    restored = _everywhere(c, world)
    for name in ("measures", "issue", "xlsx", "plan", "notice"):
        assert GONE_TITLE in restored[name], name
    assert 'id="deleted"' not in restored["round"]


def test_a_round_deleted_from_its_page_is_404_and_restored_from_the_deleted_rounds_page(
    personas: Any, world: World, client_for: Any
):
    c = client_for(personas.clerk)
    url = reverse("web:round-detail", args=[world.round.pk])
    assert "删除本轮次" in c.get(url).content.decode()
    r = c.post(reverse("web:round-delete", args=[world.round.pk]), {"delete-reason": "重复导入"})
    assert r.status_code == 302 and r.url == reverse("web:round-trash")

    for name, args in [
        ("web:round-detail", [world.round.pk]),
        ("web:round-measures", [world.round.pk]),
        ("web:round-edit", [world.round.pk]),
        ("web:problem-detail", [world.problem.pk]),
        ("web:measure-detail", [world.fresh.pk]),
        ("web:evidence-download", [world.evidence.pk]),
        ("reports:xlsx-export", [world.round.pk]),
        ("reports:plan-docx", [world.round.pk]),
        ("reports:notice-docx", [world.round.pk]),
    ]:
        assert c.get(reverse(name, args=args)).status_code == 404, name
    assert world.round.title not in c.get(reverse("web:round-list")).content.decode()
    assert "制定学习计划" not in c.get(reverse("web:search"), {"q": "学习计划"}).content.decode()
    assert "制定学习计划" not in c.get(reverse("web:home")).content.decode()
    trash = c.get(reverse("web:round-trash")).content.decode()
    assert world.round.title in trash and "重复导入" in trash

    r = c.post(reverse("web:round-restore", args=[world.round.pk]))
    assert r.status_code == 302 and r.url == url
    assert c.get(url).status_code == 200
    assert world.round.title in c.get(reverse("web:round-list")).content.decode()


def test_a_deletion_without_a_reason_is_refused_and_changes_nothing(
    personas: Any, world: World, client_for: Any
):
    c = client_for(personas.clerk)
    r = c.post(reverse("web:finding-delete", args=[world.problem.pk]), {"delete-reason": "  "})
    assert r.status_code == 400 and "请写明删除原因" in r.content.decode()
    r = c.post(reverse("web:round-delete", args=[world.round.pk]), {})
    assert r.status_code == 400 and "请写明删除原因" in r.content.decode()
    assert Finding.objects.filter(pk=world.problem.pk).exists()
    assert Round.objects.filter(pk=world.round.pk).exists()


def test_deleting_is_post_only(personas: Any, world: World, client_for: Any):
    c = client_for(personas.clerk)
    for name, pk in [
        ("web:finding-delete", world.problem.pk),
        ("web:round-delete", world.round.pk),
        ("web:finding-restore", world.problem.pk),
        ("web:round-restore", world.round.pk),
    ]:
        assert c.get(reverse(name, args=[pk])).status_code == 405, name


def test_others_may_not_delete_or_restore_and_the_refusal_is_recorded(
    personas: Any, world: World, client_for: Any
):
    for who in ("viewer", "leader", "supervisor"):
        c = client_for(getattr(personas, who))
        html = c.get(reverse("web:round-detail", args=[world.round.pk])).content.decode()
        assert "删除本轮次" not in html
        assert c.get(reverse("web:finding-correct", args=[world.problem.pk])).status_code == 403
        r = c.post(reverse("web:finding-delete", args=[world.problem.pk]), {"delete-reason": "越权"})
        assert r.status_code == 403
        r = c.post(reverse("web:round-delete", args=[world.round.pk]), {"delete-reason": "越权"})
        assert r.status_code == 403
        refused = AuditEvent.objects.filter(actor=getattr(personas, who), outcome="denied")
        assert set(refused.values_list("action", flat=True)) >= {"finding.delete", "round.delete"}
        assert c.get(reverse("web:round-trash")).status_code == 403
    outsider = client_for(personas.outsider)
    r = outsider.post(reverse("web:finding-delete", args=[world.problem.pk]), {"delete-reason": "越权"})
    assert r.status_code == 404
    assert (
        outsider.post(reverse("web:round-delete", args=[world.round.pk]), {"delete-reason": "x"}).status_code
        == 404
    )
    assert Finding.objects.filter(pk=world.problem.pk).exists()

    services.round_delete(actor=personas.clerk, round=world.round, reason="重复导入")
    # The deleted round is not shown to the outsider (another unit's clerk), nor restorable by them.
    assert world.round.title not in outsider.get(reverse("web:round-trash")).content.decode()
    assert outsider.post(reverse("web:round-restore", args=[world.round.pk])).status_code == 404
    r = client_for(personas.viewer).post(reverse("web:round-restore", args=[world.round.pk]))
    assert r.status_code == 403
    assert Round.everything.get(pk=world.round.pk).deleted_at is not None


def test_the_clerk_splits_merges_and_moves_from_the_corrections_page(
    personas: Any, world: World, client_for: Any
):
    c = client_for(personas.clerk)
    page = c.get(reverse("web:finding-correct", args=[world.problem.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "拆分为两个问题" in html and "合并同级问题" not in html  # no sibling to merge yet
    r = c.post(
        reverse("web:finding-split", args=[world.problem.pk]),
        {"split-title": "学习笔记缺失", "split-number": "2.", "split-measures": [world.fresh.pk]},
    )
    assert r.status_code == 302
    new = Finding.objects.get(title="学习笔记缺失")
    assert Measure.objects.get(pk=world.fresh.pk).finding_id == new.pk

    r = c.post(reverse("web:finding-move", args=[new.pk]), {"direction": "up"})
    assert r.status_code == 302
    html = c.get(reverse("web:finding-correct", args=[world.problem.pk])).content.decode()
    assert "合并同级问题" in html and "上移" in html

    r = c.post(reverse("web:finding-merge", args=[world.problem.pk]), {"merge-other": new.pk})
    assert r.status_code == 302
    assert Measure.objects.get(pk=world.fresh.pk).finding_id == world.problem.pk
    assert Finding.everything.get(pk=new.pk).deleted_reason.startswith("合并至")

    r = c.post(reverse("web:finding-reparent", args=[world.problem.pk]), {"parent-parent": ""})
    assert r.status_code == 400 and "不能作为顶层" in r.content.decode()
    r = c.post(
        reverse("web:problem-edit", args=[world.problem.pk]),
        {"edit-title": "理论学习流于形式", "edit-number": "1.", "edit-description": "学习走过场。"},
    )
    assert r.status_code == 302
    assert Finding.objects.get(pk=world.problem.pk).description == "学习走过场。"
