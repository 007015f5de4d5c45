"""The pages speak Chinese, load Bootstrap from our own /static/, and mark overdue work everywhere."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD
from tests.today import days_from_today

# Overdue, and after the round's inspection began (an earlier deadline is refused).
LATE = days_from_today(-30)

EXTERNAL = re.compile(r"""(?:src|href|action)\s*=\s*["']\s*(?:https?:)?//""", re.I)


def _pages(world: Any) -> list[tuple[str, list[str]]]:
    return [
        (reverse("web:home"), ["我的任务", "待我整改"]),
        (reverse("web:round-list"), ["巡察轮次", "导入文件", "新建轮次"]),
        (
            reverse("web:round-detail", args=[world.round.pk]),
            ["整改总体情况", "完成率", "按责任部门", "建章立制"],
        ),
        (reverse("web:round-measures", args=[world.round.pk]), ["措施清单", "批量分配"]),
        (reverse("web:problem-detail", args=[world.problem.pk]), ["整改措施（2）", "销号记录", "新增措施"]),
        (reverse("web:measure-detail", args=[world.submitted.pk]), ["整改记录", "学习计划.pdf", "待审核"]),
        (reverse("web:search"), ["搜索与筛选", "只看已逾期", "共 2 条措施"]),
        (reverse("web:import"), ["导入巡察文件", "上传并识别"]),
        (reverse("web:round-create"), ["新建巡察轮次", "反馈日期"]),
    ]


def test_every_page_is_chinese_with_local_bootstrap_and_no_other_hosts(
    world: Any, personas: Any, client_for: Any
) -> None:
    client = client_for(personas.clerk)
    for url, phrases in _pages(world):
        response = client.get(url)
        html = response.content.decode()
        assert response.status_code == 200, url
        assert '<html lang="zh-CN">' in html
        assert 'href="/static/vendor/bootstrap/css/bootstrap.min.css"' in html
        assert 'src="/static/zhenggai/app.js"' in html
        assert not EXTERNAL.search(html), (url, EXTERNAL.search(html))
        assert "<script>" not in html and " onclick=" not in html and " onsubmit=" not in html
        for phrase in phrases:
            assert phrase in html, (url, phrase)
        assert re.search(r"<title>[^<]*[\u4e00-\u9fff]", html), url


def test_the_login_page_is_chinese_and_logs_a_user_in_and_out(personas: Any, client) -> None:
    page = client.get(reverse("web:login"))
    html = page.content.decode()
    assert page.status_code == 200 and "登录" in html and "演示" in html
    wrong = client.post(reverse("web:login"), {"username": "clerk", "password": "wrong"})
    assert "请输入一个正确的" in wrong.content.decode()
    ok = client.post(reverse("web:login"), {"username": "clerk", "password": PASSWORD})
    assert ok.status_code == 302 and ok.url == reverse("web:home")
    assert "张整改" in client.get(reverse("web:home")).content.decode()
    assert client.post(reverse("web:logout")).url == reverse("web:login")
    assert client.get(reverse("web:home")).status_code == 302


def test_the_error_pages_are_chinese(world: Any, personas: Any, client_for: Any) -> None:
    outsider = client_for(personas.outsider)
    missing = outsider.get(reverse("web:measure-detail", args=[world.fresh.pk]))
    assert missing.status_code == 404 and "未找到您要访问的内容" in missing.content.decode()
    assert "未找到" in outsider.get("/no-such-page/").content.decode()
    denied = client_for(personas.viewer).post(reverse("web:round-sign", args=[world.round.pk]))
    assert denied.status_code == 403 and "您没有权限签署整改方案" in denied.content.decode()


@pytest.fixture
def overdue(world: Any, personas: Any, client_for: Any) -> Any:
    """The fresh measure's deadline moved into the past by the clerk."""
    m = world.fresh
    response = client_for(personas.clerk).post(
        reverse("web:measure-edit", args=[m.pk]),
        {
            "text": m.text,
            "kind": m.kind,
            "person": personas.person.pk,
            "deadline": LATE.isoformat(),
            "version": m.version,
        },
    )
    assert response.status_code == 302
    m.refresh_from_db()
    return m


def test_an_overdue_measure_is_marked_wherever_it_appears(
    overdue: Any, world: Any, personas: Any, client_for: Any
) -> None:
    person = client_for(personas.person)
    pages = [
        reverse("web:home"),
        reverse("web:round-list"),
        reverse("web:round-detail", args=[world.round.pk]),
        reverse("web:round-measures", args=[world.round.pk]),
        reverse("web:problem-detail", args=[world.problem.pk]),
        reverse("web:measure-detail", args=[overdue.pk]),
        reverse("web:search") + "?overdue=on",
    ]
    for url in pages:
        html = person.get(url).content.decode()
        assert "已逾期" in html, url
        assert "status-overdue" in html, url
    tasks = person.get(reverse("web:home")).content.decode()
    assert (
        f'href="/measures/{overdue.pk}/" class="list-group-item list-group-item-action is-overdue"' in tasks
    )
    assert f"{LATE.year}年{LATE.month}月{LATE.day}日" in tasks
    search = person.get(reverse("web:search"), {"overdue": "on"}).content.decode()
    assert "共 1 条措施" in search


def test_status_badges_have_a_colour_of_their_own(world: Any, personas: Any, client_for: Any) -> None:
    html = client_for(personas.clerk).get(reverse("web:round-detail", args=[world.round.pk])).content.decode()
    for css in (
        "status-not-started",
        "status-in-progress",
        "status-pending-review",
        "status-done",
        "status-stage-done",
    ):
        assert f'class="badge {css}"' in html
    css = client_for(personas.clerk).get("/static/zhenggai/app.css")
    body = b"".join(css.streaming_content).decode() if css.streaming else css.content.decode()
    colours = re.findall(r"\.badge\.status-[a-z-]+ \{ background-color: (#[0-9a-f]{6})", body)
    assert len(colours) == len(set(colours)) == 7


def test_the_suggested_deadline_can_be_taken_by_the_clerk(
    personas: Any, seed_round: Any, client_for: Any
) -> None:
    from zhenggai.ledger.models import Measure

    m = Measure.objects.filter(round=seed_round, suggested_deadline__isnull=False).first()
    clerk = client_for(personas.clerk)
    assert "采用建议时限" in clerk.get(reverse("web:measure-detail", args=[m.pk])).content.decode()
    assert (
        "采用建议时限"
        not in client_for(personas.person).get(reverse("web:measure-detail", args=[m.pk])).content.decode()
    )
    assert clerk.post(reverse("web:measure-accept-suggestion", args=[m.pk])).status_code == 302
    m.refresh_from_db()
    assert m.deadline == m.suggested_deadline


def test_the_import_preview_shows_the_departments_and_outcomes_to_be_created(
    personas: Any, client_for: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import SEED

    clerk = client_for(personas.clerk)
    response = clerk.post(reverse("web:import"), {"file": SimpleUploadedFile(SEED.name, SEED.read_bytes())})
    html = clerk.get(response.url).content.decode()
    assert "建章立制：13 项" in html
    assert "18,846.00 元" in html  # 1620 + 8250 + 8976
    assert "正在导入，请稍候…" in html  # the busy text app.js shows while the import runs
    assert "确认导入" in html


def test_the_overview_shows_the_findings_tree_with_states_counts_and_links(
    world: Any, personas: Any, client_for: Any
) -> None:
    from zhenggai.ledger.models import Finding

    Finding.objects.filter(pk=world.issue.pk).update(title="学习贯彻<b>不深入</b>")  # markup is data
    html = (
        client_for(personas.supervisor)
        .get(reverse("web:round-detail", args=[world.round.pk]))
        .content.decode()
    )
    assert f'<a href="/problems/{world.problem.pk}/">1. 理论学习流于形式</a>' in html
    assert f'<a href="/problems/{world.category.pk}/" class="text-body">一 政治建设方面</a>' in html
    assert "（1 个具体问题，完成率 0.00%）" in html
    assert '<span class="badge status-in-progress">整改中</span>' in html
    assert "学习贯彻&lt;b&gt;不深入&lt;/b&gt;" in html and "<b>不深入" not in html
    assert re.search(
        r'<tr class="tree-problem">.*?<td class="text-end">2</td><td class="text-end">0</td>', html
    )


def test_a_post_without_the_csrf_token_is_refused_in_chinese(world: Any, personas: Any) -> None:
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(personas.leader)
    page = client.get(reverse("web:measure-detail", args=[world.submitted.pk])).content.decode()
    assert 'name="csrfmiddlewaretoken"' in page
    response = client.post(reverse("web:measure-review", args=[world.submitted.pk]), {"decision": "approve"})
    assert response.status_code == 403
    assert "页面已过期" in response.content.decode()
    world.submitted.refresh_from_db()
    assert world.submitted.status == "pending_review"


def test_a_clerk_of_several_units_chooses_the_unit_of_the_import(personas: Any, client_for: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import SEED
    from zhenggai.ledger.models import Round
    from zhenggai.units.models import Role
    from zhenggai.units.services import membership_grant

    membership_grant(actor=None, user=personas.clerk, unit=personas.unit_b, role=Role.CLERK)
    clerk = client_for(personas.clerk)
    form = clerk.get(reverse("web:import")).content.decode()
    assert '<select name="unit"' in form and "望江县财政局" in form
    upload = SimpleUploadedFile(SEED.name, SEED.read_bytes())
    response = clerk.post(reverse("web:import"), {"file": upload, "unit": personas.unit_b.pk})
    assert "导入到：望江县财政局" in clerk.get(response.url).content.decode()
    clerk.post(reverse("web:import-confirm"), {"digest": response.url.rstrip("/").rsplit("/", 1)[-1]})
    assert list(Round.objects.values_list("unit", flat=True)) == [personas.unit_b.pk]


def test_the_preview_page_says_the_same_text_was_imported_from_another_file(
    personas: Any, client_for: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.ledger.test_import_same_document import LETTER
    from tests.textparse.builders import make_docx
    from zhenggai.ledger.imports import round_import

    first, _ = round_import(
        actor=personas.clerk, unit=personas.unit_a, data=make_docx(list(LETTER)), name="通报.docx"
    )
    clerk = client_for(personas.clerk)
    txt = SimpleUploadedFile("通报.txt", "\n".join(LETTER).encode("utf-8"))
    html = clerk.get(clerk.post(reverse("web:import"), {"file": txt}).url).content.decode()
    assert "内容相同的文件“通报.docx”" in html
    assert reverse("web:round-detail", args=[first.pk]) in html
    assert "打开已导入的轮次" in html


def test_the_import_preview_lists_what_zhenggai_lint_finds_not_only_the_parsers_own_problems(
    personas: Any, client_for: Any
) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from tests.conftest import SEED

    text = SEED.read_text(encoding="utf-8").replace("一是", "一是制定了《借阅办法。一是", 1)
    clerk = client_for(personas.clerk)
    upload = SimpleUploadedFile("通报（有错）.txt", text.encode("utf-8"))
    html = clerk.get(clerk.post(reverse("web:import"), {"file": upload}).url).content.decode()
    assert "书名号不配对" in html
