"""The whole workflow in a real browser (Playwright driving Debian's chromium).

The clerk imports the seed and assigns a measure; the responsible person adds
progress with a file and submits; the unit leader approves; the supervisor
closes the problem; an outsider sees none of it. A screenshot of every page is
kept in ``artifacts/screenshots/`` (desktop, and the measure page on a phone).
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, SEED
from tests.today import days_from_today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
# Flags for a closed network: no background connections the sandbox would refuse.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
PROBLEM = "公积金未予及时清理"  # problem 25: one measure, so one approval lets it close


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls
    # in the test body are still synchronous and safe.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


class Session:
    """One person's browser tab, logged in."""

    def __init__(self, browser: Any, base: str, username: str, **context: Any) -> None:
        self.ctx = browser.new_context(locale="zh-CN", **context)
        self.page = self.ctx.new_page()
        self.page.on("dialog", lambda d: d.accept())
        self.base = base
        self.page.goto(f"{base}/login/")
        self.page.fill("input[name=username]", username)
        self.page.fill("input[name=password]", PASSWORD)
        self.page.click("button[type=submit]")
        self.page.wait_for_load_state()

    def shot(self, name: str) -> None:
        SHOTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)

    def close(self) -> None:
        self.ctx.close()


def test_from_import_to_close_out_in_the_browser_and_the_outsider_sees_nothing(
    browser: Any, live_server: Any, personas: Any, tmp_path: Path
) -> None:
    from zhenggai.ledger.models import Finding, Measure, ProblemStatus

    base = live_server.url

    # The clerk uploads the seed, checks the preview and confirms.
    clerk = Session(browser, base, personas.clerk.username)
    page = clerk.page
    clerk.shot("01-clerk-home")
    page.goto(f"{base}/rounds/import/")
    page.set_input_files("input[name=file]", str(SEED))
    page.click("button:has-text('上传并识别')")
    page.wait_for_selector("text=确认导入")
    body = page.inner_text("body")
    for figure in ("30", "100", "县委第三巡察组"):
        assert figure in body
    clerk.shot("02-import-preview")
    page.click("button:has-text('确认导入')")
    page.wait_for_selector(f"text={PROBLEM}")
    clerk.shot("03-round-overview")
    assert "望江县公安局交通管理大队" in page.inner_text("body")

    # …opens the problem and its measure, and assigns it.
    page.click(f"a:has-text('{PROBLEM}')")
    page.wait_for_selector("h1, h2")
    clerk.shot("04-problem")
    measure = Measure.objects.get(finding__title=PROBLEM)
    page.goto(f"{base}/measures/{measure.pk}/")
    page.click("button:has-text('编辑')")
    page.select_option("select[name=person]", label=str(personas.person))
    page.select_option("select[name=leader]", label=str(personas.responsible_leader))
    page.fill("input[name=deadline]", days_from_today(200).isoformat())
    page.click("button:has-text('保存修改')")
    page.wait_for_selector(f"text={personas.person}")
    clerk.shot("05-measure-assigned")
    measure.refresh_from_db()
    assert measure.person_id == personas.person.pk
    clerk.close()

    # The responsible person finds it in 我的任务, reports progress with a file and submits.
    person = Session(browser, base, personas.person.username)
    page = person.page
    assert PROBLEM in page.inner_text("body")  # the task row names its problem in full
    person.shot("06-person-tasks")
    page.goto(f"{base}/measures/{measure.pk}/")
    evidence = tmp_path / "拨付资金说明.pdf"
    evidence.write_bytes(b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n")
    page.fill("textarea[name=text]", "已与县财政部门协调，代缴公积金已全部返还，附拨付说明。")
    page.set_input_files("input[name=files]", str(evidence))
    page.click("button:has-text('填报进展')")
    page.wait_for_selector("text=拨付资金说明.pdf")
    page.click("button:has-text('提交审核')")
    page.wait_for_selector("text=待审核")
    person.shot("07-measure-submitted")
    # The measure page on a phone.
    phone = Session(
        browser,
        base,
        personas.person.username,
        viewport={"width": 390, "height": 844},
        is_mobile=True,
        has_touch=True,
        device_scale_factor=2,
    )
    phone.page.goto(f"{base}/measures/{measure.pk}/")
    phone.shot("08-measure-phone")
    phone.close()
    person.close()

    # The unit leader approves.
    leader = Session(browser, base, personas.leader.username)
    page = leader.page
    leader.shot("09-leader-tasks")
    page.goto(f"{base}/measures/{measure.pk}/")
    page.click("button:has-text('审核通过')")
    page.wait_for_selector("text=已完成")
    leader.shot("10-measure-approved")
    leader.close()

    # The supervisor closes the problem (对账销号).
    supervisor = Session(browser, base, personas.supervisor.username)
    page = supervisor.page
    supervisor.shot("11-supervisor-tasks")
    assert PROBLEM in page.inner_text("body")
    problem = Finding.objects.get(title=PROBLEM, kind="problem")
    page.goto(f"{base}/problems/{problem.pk}/")
    page.click("button:has-text('对账销号')")  # opens the form: 销号 takes an opinion
    page.fill("textarea[name=close-opinion]", "佐证材料齐全，整改到位，同意销号。")
    page.click("button:has-text('确认销号')")
    page.wait_for_selector("text=已销号")
    supervisor.shot("12-problem-closed")
    problem.refresh_from_db()
    assert problem.status == ProblemStatus.CLOSED
    supervisor.close()

    # The outsider (clerk of a sibling unit) sees nothing of it.
    outsider = Session(browser, base, personas.outsider.username)
    page = outsider.page
    text = page.inner_text("body")
    assert PROBLEM not in text and "交通管理大队" not in text
    page.goto(f"{base}/rounds/")
    assert "交通管理大队" not in page.inner_text("body")
    outsider.shot("13-outsider-rounds")
    for url in (f"/rounds/{measure.round_id}/", f"/problems/{problem.pk}/", f"/measures/{measure.pk}/"):
        response = page.goto(f"{base}{url}")
        assert response is not None and response.status == 404
        assert not re.search(PROBLEM, page.inner_text("body"))
    outsider.shot("14-outsider-404")
    evidence_id = measure.evidence.get().pk
    response = page.goto(f"{base}/evidence/{evidence_id}/")
    assert response is not None and response.status == 404
    outsider.close()
