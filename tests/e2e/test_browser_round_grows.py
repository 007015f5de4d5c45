"""The round grows document by document, in a real browser (issue 10).

The clerk imports a feedback letter (.docx) as a new round; imports the unit's plan, a Word
table whose problem cell repeats down its measures' rows, into the same round and gets
measures with their responsibility; imports a progress notice into it and confirms the status
proposals; corrects a problem, deletes another and restores it; and uploads the .txt of the
same letter, which is recognised as already imported. Screenshots in
``artifacts/screenshots/``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.e2e.test_browser_workflow import Session, browser  # noqa: F401  (the fixture)
from tests.ledger.test_import_grow import FEEDBACK, NOTICE
from tests.textparse.builders import make_docx

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PLAN_TITLE = "县自然资源局党组关于县委第二巡察组反馈意见的整改方案"
HEADER = ["序号", "反馈问题", "整改措施", "责任领导", "责任部门", "配合单位", "完成时限"]
# The problem cell repeats down the rows of its measures, as clerks write it.
ROWS = [
    [
        "1",
        "党组理论学习中心组学习流于形式",
        "制定党组理论学习中心组年度学习计划",
        "王建国",
        "办公室",
        "",
        "2025年12月31日",
    ],
    [
        "1",
        "党组理论学习中心组学习流于形式",
        "建立学习考勤和通报制度",
        "王建国",
        "办公室",
        "",
        "2025年12月31日",
    ],
    [
        "2",
        "违法占用耕地问题整治不彻底",
        "对2处违法占地依法拆除并复耕",
        "赵刚",
        "执法大队",
        "县农业农村局",
        "2025年10月31日",
    ],
    ["3", "违规发放津补贴", "清退违规发放的加班补贴3.6万元", "李红", "财务股", "审计股", "2025年12月31日"],
]


def _files(tmp_path: Path) -> dict[str, Path]:
    letter_docx = tmp_path / "反馈意见.docx"
    letter_docx.write_bytes(make_docx(FEEDBACK.strip("\n").split("\n")))
    letter_txt = tmp_path / "反馈意见（网站下载）.txt"
    # The same letter saved as text, re-spaced: the same document, not a new round.
    letter_txt.write_text(FEEDBACK.replace("。", "。 ").replace("\n", "\r\n"), encoding="utf-8")
    plan = tmp_path / "整改方案.docx"
    plan.write_bytes(make_docx([PLAN_TITLE, [HEADER, *ROWS]]))
    notice = tmp_path / "整改进展情况通报.txt"
    notice.write_text(NOTICE, encoding="utf-8")
    return {"letter": letter_docx, "txt": letter_txt, "plan": plan, "notice": notice}


def test_a_round_grows_from_letter_to_plan_to_notice_and_is_corrected_in_the_browser(
    browser: Any,  # noqa: F811
    live_server: Any,
    personas: Any,
    tmp_path: Path,
) -> None:
    from zhenggai.ledger.models import Finding, Measure, Round, SourceDocument

    files = _files(tmp_path)
    base = live_server.url
    clerk = Session(browser, base, personas.clerk.username)
    page = clerk.page

    # 1. The feedback letter starts the round; the problems keep the sentences that state them.
    page.goto(f"{base}/rounds/import/")
    page.set_input_files("input[name=file]", str(files["letter"]))
    page.click("button:has-text('上传并识别')")
    page.wait_for_selector("button:has-text('确认导入')")
    clerk.shot("grow-01-letter-preview")
    page.click("button:has-text('确认导入')")
    page.wait_for_selector("text=违规发放津补贴")
    rnd = Round.objects.get()
    assert Finding.objects.filter(round=rnd, kind="problem").count() == 5
    problem = Finding.objects.get(round=rnd, title__startswith="违规发放津补贴")
    assert "3.6万元" in problem.description
    assert Measure.objects.filter(round=rnd).count() == 0

    # The problem page shows its own text in its place in the letter.
    page.goto(f"{base}/problems/{problem.pk}/")
    body = page.inner_text("body")
    assert "2023年以来违规发放加班补贴共计3.6万元" in body
    assert page.locator("mark", has_text="违规发放津补贴").count() >= 1
    clerk.shot("grow-02-problem-source")

    # 2. The plan, a Word table, into the same round: measures with their responsibility.
    page.goto(f"{base}/rounds/{rnd.pk}/import/")
    page.set_input_files("input[name=file]", str(files["plan"]))
    page.click("button:has-text('上传并识别')")
    page.wait_for_selector("#matched")
    body = page.inner_text("body")
    assert "审计股" in body and "执法大队" in body
    clerk.shot("grow-03-plan-preview")
    assert Measure.objects.filter(round=rnd).count() == 0  # nothing until confirmed
    page.click("button:has-text('确认导入')")
    page.wait_for_load_state()
    measures = Measure.objects.filter(round=rnd)
    assert measures.count() == 4
    allowance = measures.get(text__startswith="清退违规发放")
    assert (allowance.leader_hint, allowance.department_hint, allowance.cooperating_hint) == (
        "李红",
        "财务股",
        "审计股",
    )
    page.goto(f"{base}/measures/{allowance.pk}/")
    assert "审计股" in page.inner_text("body")

    # 3. The progress notice into the same round: proposals, confirmed by the clerk.
    page.goto(f"{base}/rounds/{rnd.pk}/import/")
    page.set_input_files("input[name=file]", str(files["notice"]))
    page.click("button:has-text('上传并识别')")
    page.wait_for_selector(".proposals")
    clerk.shot("grow-04-notice-proposals")
    proposed = page.locator("input[name=apply]:checked").count()
    assert proposed >= 1
    page.click("button:has-text('确认导入')")
    page.wait_for_load_state()
    assert SourceDocument.objects.filter(round=rnd).count() == 3
    moved = Measure.objects.filter(round=rnd).exclude(status="not_started")
    assert moved.count() >= 1

    # 4. Corrections: a problem edited, another deleted (gone from the round) and restored.
    study = Finding.objects.get(round=rnd, title__startswith="学习成果转化不够")
    page.goto(f"{base}/problems/{study.pk}/")
    page.click("button:has-text('修改编号、标题和描述')")
    page.fill("input[name=edit-title]", "学习成果转化运用不够")
    page.fill("textarea[name=edit-description]", "调研报告质量不高，对推动工作作用不明显。")
    page.click("#edit-finding button:has-text('保存修改')")
    page.wait_for_selector("h1:has-text('学习成果转化运用不够')")
    study.refresh_from_db()
    assert study.title == "学习成果转化运用不够"
    clerk.shot("grow-05-problem-edited")

    reception = Finding.objects.get(round=rnd, title__startswith="公务接待不规范")
    page.goto(f"{base}/problems/{reception.pk}/")
    page.click("a:has-text('更正（位置、拆分、合并、删除）')")
    page.fill("[name=delete-reason]", "与另一问题重复")
    page.click("button:has-text('删除')")
    page.wait_for_load_state()
    assert not Finding.objects.filter(pk=reception.pk).exists()
    page.goto(f"{base}/rounds/{rnd.pk}/")
    overview = page.locator("main").inner_text()
    assert "已删除（1）" in page.inner_text("body")
    page.click("summary:has-text('已删除')")
    clerk.shot("grow-06-deleted-bin")
    assert "公务接待不规范" not in overview.split("已删除（1）")[0]
    page.click("form[action$='/restore/'] button:has-text('恢复')")
    page.wait_for_load_state()
    assert Finding.objects.filter(pk=reception.pk).exists()

    # 5. The letter saved as .txt is the same document: no second round.
    page.goto(f"{base}/rounds/import/")
    page.set_input_files("input[name=file]", str(files["txt"]))
    page.click("button:has-text('上传并识别')")
    page.wait_for_selector("text=已导入过")
    clerk.shot("grow-07-same-letter-as-txt")
    page.click("button:has-text('打开已导入的轮次')")
    page.wait_for_load_state()
    assert Round.objects.count() == 1
    clerk.close()
