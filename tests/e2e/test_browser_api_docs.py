"""The API's docs page (Swagger UI, served from django-ninja's own static files) in Debian's
chromium, under the site's CSP: it renders every operation, asks no other host for anything,
breaks no CSP rule, and a token entered through 授权 (Authorize) lists the rounds.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.api.conftest import token_for
from tests.e2e.test_browser_workflow import CHROMIUM, FLAGS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    # As in test_browser_workflow: Playwright's sync API runs an event loop in this thread.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        yield b
        b.close()


def test_the_docs_page_works_in_chromium_under_the_csp_with_local_assets_only(
    browser: Any, live_server: Any, personas: Any, seed_round: Any
) -> None:
    raw = token_for(personas.clerk)
    ctx = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    host = urlsplit(live_server.url).netloc
    elsewhere: list[str] = []
    problems: list[str] = []
    page.on(
        "request",
        lambda req: (
            elsewhere.append(req.url)
            if urlsplit(req.url).scheme in ("http", "https") and urlsplit(req.url).netloc != host
            else None
        ),
    )
    page.on("console", lambda msg: problems.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda err: problems.append(str(err)))
    try:
        response = page.goto(f"{live_server.url}/api/v1/docs")
        assert response is not None and response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(".swagger-ui .info .title", timeout=20_000)
        assert "整改系统接口" in page.inner_text(".swagger-ui .info .title")
        page.wait_for_selector(".opblock", timeout=20_000)
        assert page.locator(".opblock").count() >= 2

        # 授权: the token once, then 试用 (Try it out) the rounds list.
        page.click(".btn.authorize")
        page.fill(".modal-ux input[type=text], .modal-ux input[type=password]", raw)
        page.click(".modal-ux .auth-btn-wrapper .btn.modal-btn.auth.authorize")
        page.click(".modal-ux .btn-done, .modal-ux .close-modal")
        block = page.locator(".opblock-get", has=page.locator("[data-path='/api/v1/rounds']")).first
        block.locator(".opblock-summary").click()
        block.locator(".try-out__btn").click()
        block.locator(".execute").click()
        block.locator(".live-responses-table tr.response .response-col_status").first.wait_for(timeout=20_000)
        assert (
            block.locator(".live-responses-table tr.response .response-col_status").first.inner_text().strip()
            == "200"
        )
        assert seed_round.title in block.locator(".live-responses-table").inner_text()
        SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SHOTS / "api-docs.png"), full_page=False)
    finally:
        ctx.close()
    assert not elsewhere, elsewhere
    assert not [p for p in problems if "Content Security Policy" in p or "Refused to" in p], problems
    assert not problems, problems
