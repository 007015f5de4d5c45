"""The public site in a real browser: accessibility (axe-core) on a desktop and a phone, text
zoom at 200% without horizontal scrolling, and a citizen's feedback from a 390 px phone.

axe-core comes from npm (``node_modules/axe-core``); the results of every page are kept in
``artifacts/axe/``. The page's CSP forbids inline scripts, so the contexts bypass it for the
injected axe script only (the site itself runs no script).
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.e2e.test_browser_workflow import CHROMIUM, FLAGS
from tests.public.conftest import Publisher, open_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = ROOT / "artifacts" / "axe"
SHOTS = ROOT / "artifacts" / "screenshots"
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
PHONE = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}
VIEWPORTS = {"desktop": DESKTOP, "phone": PHONE}
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # As in test_browser_workflow: Playwright's sync API runs an event loop in this thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def site(personas: Any) -> Iterator[dict[str, str]]:
    """A round with a published notice (a correction, so earlier versions are listed) and report."""
    publisher = Publisher(personas)
    round_ = publisher.round()
    publisher.publish(round_)
    v2 = publisher.publish(round_, change_note="更正了第二项措施的完成时限")
    publisher.publish(round_, "report", title="关于巡察整改情况的报告", data=open_data(done=2, open_=1))
    pid = v2.publication.public_id
    yield {
        "index": reverse("public:index"),
        "round": reverse("public:round", args=[pid]),
        "version": reverse("public:version", args=[pid, "notice", 1]),
        "feedback": reverse("public:feedback", args=[pid]),
        "track": reverse("public:track"),
    }


def _axe(page: Any, name: str) -> list[dict[str, Any]]:
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8")
    return [v for v in result["violations"] if v.get("impact") in ("serious", "critical")]


def _overflow(page: Any) -> int:
    """How far the page is wider than the window (0: no horizontal scrolling)."""
    return int(page.evaluate("document.documentElement.scrollWidth - window.innerWidth"))


def test_every_public_page_has_no_serious_accessibility_violation_on_a_desktop_and_a_phone(
    browser: Any,
    live_server: Any,
    site: dict[str, str],
) -> None:
    found: dict[str, list[str]] = {}
    for viewport, options in VIEWPORTS.items():
        ctx = browser.new_context(locale="zh-CN", bypass_csp=True, **options)
        page = ctx.new_page()
        for name, path in site.items():
            page.goto(live_server.url + path)
            bad = _axe(page, f"{name}-{viewport}")
            if bad:
                found[f"{name}-{viewport}"] = [f"{v['id']}: {v['help']}" for v in bad]
            assert _overflow(page) <= 0, (name, viewport)
        # The lookup's answer and the feedback form's refusals are pages too.
        page.goto(live_server.url + site["track"])
        page.fill("input[name=tracking]", "GK2222222222222222")
        page.fill("input[name=code]", "22222222")
        page.click("button[type=submit]")
        page.wait_for_selector(".alert")
        bad = _axe(page, f"track-not-found-{viewport}")
        if bad:
            found[f"track-not-found-{viewport}"] = [f"{v['id']}: {v['help']}" for v in bad]
        ctx.close()
    assert not found, found


def test_the_pages_reflow_with_text_zoomed_to_200_percent_without_horizontal_scrolling(
    browser: Any,
    live_server: Any,
    site: dict[str, str],
) -> None:
    for viewport, options in VIEWPORTS.items():
        ctx = browser.new_context(locale="zh-CN", **options)
        page = ctx.new_page()
        for name, path in site.items():
            page.goto(live_server.url + path)
            before = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
            # The browser's text size setting scales the root font size; the CSS sizes in rem/em.
            page.evaluate("document.documentElement.style.fontSize = '200%'")
            after = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
            assert after >= 2 * before - 0.5, (name, viewport)
            assert _overflow(page) <= 0, (name, viewport, _overflow(page))
            if viewport == "phone":
                SHOTS.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(SHOTS / f"public-zoom200-{name}.png"), full_page=True)
        ctx.close()


def test_a_citizen_on_a_phone_sends_feedback_with_a_photo_and_looks_it_up(
    browser: Any,
    live_server: Any,
    site: dict[str, str],
) -> None:
    from zhenggai.feedback.models import Feedback

    ctx = browser.new_context(locale="zh-CN", **PHONE)
    page = ctx.new_page()
    page.goto(live_server.url + site["round"])
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "public-round-phone.png"), full_page=True)
    page.click("a.button:has-text('我要反映意见建议')")
    page.wait_for_selector("textarea[name=content]")
    page.fill("textarea[name=content]", "学校门口的信号灯仍然经常不亮，整改没有落实到位。")
    page.fill("input[name=phone]", "13812345678")
    page.set_input_files(
        "input[name=attachments]", files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": PNG}]
    )
    page.check("input[name=consent_publish]")
    page.check("input[name=consent]")
    page.screenshot(path=str(SHOTS / "public-feedback-phone.png"), full_page=True)
    page.click("button:has-text('提交')")
    page.wait_for_selector("#tracking")
    tracking = page.inner_text("#tracking").strip()
    code = page.inner_text("#code").strip()
    page.screenshot(path=str(SHOTS / "public-feedback-done-phone.png"), full_page=True)
    assert Feedback.objects.get(tracking=tracking).attachments.count() == 1

    page.click("a.button:has-text('查询办理情况')")
    page.fill("input[name=tracking]", tracking)
    page.fill("input[name=code]", code)
    page.click("button:has-text('查询')")
    page.wait_for_selector(".found")
    assert "待受理" in page.inner_text("main")
    assert "13812345678" not in page.content()
    page.screenshot(path=str(SHOTS / "public-track-phone.png"), full_page=True)
    ctx.close()
