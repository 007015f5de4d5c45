"""Disclosure and public supervision in a real browser (issue 12).

A 责任人's raw progress note carries a citizen's phone number and ID number. The clerk copies
both into the measure's public wording on the notice draft page; the disclosure check catches
them, the clerk masks them and submits; the unit head approves with the code of his
authenticator. The notice appears on the public site /gk/ masked, with the feedback QR code. A
citizen on a 390 px phone sends feedback with a photo and gets a tracking number and a query
code; the feedback officer sees the sender's data masked, accepts the feedback, links it to the
problem and replies (published, as the citizen consented); the citizen reads the reply.

Screenshots in ``artifacts/screenshots/disclosure-*.png``; axe-core results of the staff check
and approval pages and of the public pages in ``artifacts/axe/disclosure-*.json``.
"""

from __future__ import annotations

import io
import json
import time
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.disclosure.conftest import id_number
from tests.e2e.test_browser_workflow import Session, browser  # noqa: F401  (the fixture)
from tests.today import days_from_today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
RESULTS = ROOT / "artifacts" / "axe"
SHOTS = ROOT / "artifacts" / "screenshots"
TIMEOUT_MS = 60_000  # generous: the first render of a page (and of the .pdf at submission) is slow
DESKTOP = {"viewport": {"width": 1280, "height": 800}}
#: Serious violations of the staff pages let through (none: the navbar's contrast and the check
#: page's warning colour were fixed when this test found them). Add a rule id here only with a
#: reason and an issue; every serious or critical violation fails the test.
STAFF_KNOWN: set[str] = set()
PHONE_VIEWPORT = {
    "viewport": {"width": 390, "height": 844},
    "is_mobile": True,
    "has_touch": True,
    "device_scale_factor": 2,
}

CITIZEN_PHONE = "13856781234"  # the citizen named in the 责任人's note
CITIZEN_ID = id_number("34082619850612123")
RAW_NOTE = f"已走访反映问题的群众，回访电话{CITIZEN_PHONE}，身份证号{CITIZEN_ID}，群众表示满意。"
PUBLIC_WORDING = f"已走访反映问题的群众（电话{CITIZEN_PHONE}，身份证号{CITIZEN_ID}），完成整改并回访。"
SENDER_PHONE = "13912340000"  # the phone the citizen leaves on the feedback form
OPINION = "这个问题整改后又出现了反弹，最近一个月情况和巡察前一样，希望再次核查。"
REPLY = "经核查，您反映的问题确有反弹，已责成相关中队重新整改，并纳入整改台账跟踪督办。"


def _png() -> bytes:
    """A small photo (Pillow), as a phone would attach it."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (48, 32), (200, 120, 40)).save(buffer, format="PNG")
    return buffer.getvalue()


def _shot(page: Any, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"disclosure-{name}.png"), full_page=True)


def _axe(page: Any, name: str, *, known: frozenset[str] | set[str] = frozenset()) -> list[str]:
    """Run axe-core on the page; keep the results; the serious and critical violations (but
    ``known`` rules), each as ``rule (impact): target …``."""
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"disclosure-{name}.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=1), encoding="utf-8"
    )
    return [
        f"{v['id']} ({v['impact']}): {' '.join(str(n['target']) for n in v['nodes'])}"
        for v in result["violations"]
        if v.get("impact") in ("serious", "critical") and v["id"] not in known
    ]


def _submit(page: Any, button: Any) -> None:
    """Click a form's submit button and wait for the page that answers it."""
    with page.expect_navigation():
        button.click()
    page.wait_for_load_state()


def _session(browser: Any, base: str, username: str, **context: Any) -> Session:  # noqa: F811
    s = Session(browser, base, username, **context)
    s.ctx.set_default_timeout(TIMEOUT_MS)
    return s


def _context(browser: Any, **options: Any) -> Any:  # noqa: F811
    ctx = browser.new_context(locale="zh-CN", **options)
    ctx.set_default_timeout(TIMEOUT_MS)
    return ctx


def test_a_phone_and_an_id_number_are_masked_the_head_approves_and_a_citizen_feedback_is_answered(
    browser: Any,  # noqa: F811
    live_server: Any,
    personas: Any,
    seed_round: Any,
    feedback_officer: Any,
) -> None:
    from playwright.sync_api import expect

    from zhenggai.accounts import services as accounts_services
    from zhenggai.accounts import totp
    from zhenggai.disclosure.models import PublicationVersion
    from zhenggai.feedback.models import Feedback
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Measure
    from zhenggai.reports.selectors import draft_for
    from zhenggai.textparse.disclosure import find_personal_data, mask_text

    base = live_server.url
    masked_phone = mask_text(CITIZEN_PHONE, find_personal_data(CITIZEN_PHONE))
    masked_id = mask_text(CITIZEN_ID, find_personal_data(CITIZEN_ID))
    assert masked_phone == "138****1234"
    assert masked_id == CITIZEN_ID[:6] + "*" * 8 + CITIZEN_ID[-4:]

    # --- 1. Setup: the round's 内部 items public; one measure assigned, with a raw progress note.
    services.round_label_public(actor=personas.clerk, round=seed_round)
    measure = (
        Measure.objects.filter(
            round=seed_round,
            sensitivity="public",
            finding__sensitivity="public",
            finding__parent__sensitivity="public",
        )
        .order_by("finding__position", "position")
        .first()
    )
    assert measure is not None
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=seed_round,
        measure_ids=[measure.pk],
        person=personas.person,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=days_from_today(90),
    )
    measure.refresh_from_db()
    services.progress_add(actor=personas.person, measure=measure, text=RAW_NOTE)
    problem = measure.finding

    # --- 2. The clerk words the measure's public progress on the notice draft page, carelessly.
    clerk = _session(browser, base, personas.clerk.username, bypass_csp=True, **DESKTOP)
    page = clerk.page
    page.goto(base + reverse("reports:notice-edit", args=[seed_round.pk]))
    progress = page.locator(f"textarea[name=progress_{measure.pk}]")
    row = page.locator("div.border.rounded", has=progress)
    expect(row).to_contain_text("最新进展原文（仅供参考）")
    expect(row).to_contain_text(RAW_NOTE)
    progress.fill(PUBLIC_WORDING)
    if not any(page.input_value(f"input[name={n}]") for n in ("phone", "email", "address")):
        page.fill("input[name=phone]", "0556-7170878")
    _shot(page, "01-notice-draft")
    _submit(page, page.locator("button[name=action][value=save]").first)
    expect(page.locator(".alert-success")).to_be_visible()
    assert draft_for(seed_round, "notice").progress_texts[str(measure.pk)] == PUBLIC_WORDING
    _shot(page, "02-notice-saved")

    # --- 3. The disclosure check lists the phone number and the ID number; the clerk masks them.
    page.goto(base + reverse("disclosure:check", args=[seed_round.pk, "notice"]))
    hits = page.locator("#hits-title").locator("xpath=ancestor::section[1]")
    expect(hits.locator("mark", has_text=CITIZEN_PHONE).first).to_be_visible()
    expect(hits.locator("mark", has_text=CITIZEN_ID).first).to_be_visible()
    _shot(page, "03-check-hits")
    staff_axe: dict[str, list[str]] = {"check": _axe(page, "staff-check", known=STAFF_KNOWN)}
    for text in (CITIZEN_PHONE, CITIZEN_ID):
        item = hits.locator("li.list-group-item", has=page.locator("strong", has_text=text))
        expect(item).to_have_count(1)
        _submit(page, item.locator("button[name=action][value=mask]"))
        expect(
            hits.locator("li.list-group-item", has=page.locator("strong", has_text=text)).locator(
                ".badge.text-bg-success"
            )
        ).to_have_count(1)
    # Anything else the check found in the seed's text is masked too (nothing may stay undecided).
    undecided = hits.locator("li.list-group-item", has=page.locator(".badge.text-bg-warning"))
    for _ in range(hits.locator("li.list-group-item").count()):
        if not undecided.count():
            break
        _submit(page, undecided.first.locator("button[name=action][value=mask]"))
    expect(undecided).to_have_count(0)
    preview = page.locator("section[aria-labelledby=preview-title]")
    expect(preview).to_contain_text(masked_phone)
    expect(preview).to_contain_text(masked_id)
    assert CITIZEN_PHONE not in preview.inner_text()
    assert CITIZEN_ID not in preview.inner_text()
    _shot(page, "04-check-masked")
    _submit(page, page.locator("section[aria-labelledby=submit-title] button[type=submit]"))
    expect(page.locator(".alert-success")).to_contain_text("已提交单位主要负责人审批")
    version = PublicationVersion.objects.get(publication__round=seed_round, kind="notice", status="pending")
    _shot(page, "05-submitted")

    # --- 4. The unit head approves from his pending list, with his authenticator's code.
    leader = _session(browser, base, personas.leader.username, bypass_csp=True, **DESKTOP)
    lp = leader.page
    # He enrols an authenticator (as the enrolment page does): approving now asks for its code.
    # A code is good once: the approval types the app's next one (accepted one step either side
    # of now), so the test does not wait for the clock.
    _device, secret = accounts_services.otp_enrolment(personas.leader)
    step = totp.time_step(time.time())
    assert accounts_services.otp_confirm(user=personas.leader, code=totp.hotp(secret, step))
    lp.goto(base + reverse("disclosure:pending"))
    _shot(lp, "06-pending")
    _submit(lp, lp.locator(f"a[href='{reverse('disclosure:approve', args=[version.pk])}']"))
    text = lp.locator("section[aria-labelledby=text-title]")
    expect(text).to_contain_text(masked_phone)
    expect(text).to_contain_text(masked_id)
    expect(lp.locator("section[aria-labelledby=check-title]")).to_contain_text(masked_phone)
    assert CITIZEN_PHONE not in lp.content()
    assert CITIZEN_ID not in lp.content()
    staff_axe["approve"] = _axe(lp, "staff-approve", known=STAFF_KNOWN)
    _shot(lp, "07-approve")
    lp.fill("input[name=otp_code]", totp.hotp(secret, step + 1))
    _submit(lp, lp.get_by_role("button", name="同意发布"))
    expect(lp.locator(".alert-success")).to_contain_text("已审批")
    version.refresh_from_db()
    assert (version.status, version.number) == ("published", 1)
    _shot(lp, "08-approved")

    # --- 5. An anonymous visitor finds the notice on the public site, masked, with the QR code.
    visitor = _context(browser, bypass_csp=True, **DESKTOP)
    vp = visitor.new_page()
    vp.goto(base + reverse("public:index"))
    public_axe: dict[str, list[str]] = {"index": _axe(vp, "public-index-desktop")}
    _shot(vp, "09-public-index")
    _submit(vp, vp.locator(".cards a").first)
    round_url = vp.url
    expect(vp.locator("h1")).to_contain_text(seed_round.title[:10])
    expect(vp.locator("main")).to_contain_text(masked_phone)
    expect(vp.locator("main")).to_contain_text(masked_id)
    qr = vp.locator("figure.qr img")
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    for leak in (CITIZEN_PHONE, CITIZEN_ID, RAW_NOTE):
        assert leak not in vp.content()
    public_axe["round"] = _axe(vp, "public-round-desktop")
    _shot(vp, "10-public-round")
    _submit(vp, vp.locator("a", has_text="单独查看此版本").first)
    expect(vp.locator("main")).to_contain_text(masked_phone)
    for leak in (CITIZEN_PHONE, CITIZEN_ID):
        assert leak not in vp.content()
    public_axe["notice"] = _axe(vp, "public-notice-desktop")
    _shot(vp, "11-public-notice")
    # The open data of the round holds the masked wording too.
    data = vp.request.get(base + reverse("public:round-json", args=[version.publication.public_id]))
    assert data.ok
    assert masked_phone in data.text()
    for leak in (CITIZEN_PHONE, CITIZEN_ID):
        assert leak not in data.text()
    visitor.close()

    # --- 6. A citizen on a 390 px phone sends feedback with a photo.
    phone = _context(browser, bypass_csp=True, **PHONE_VIEWPORT)
    cp = phone.new_page()
    cp.goto(round_url)
    _submit(cp, cp.locator("a.button", has_text="我要反映意见建议").first)
    public_axe["feedback-phone"] = _axe(cp, "public-feedback-phone")
    cp.fill("textarea[name=content]", OPINION)
    cp.fill("input[name=name]", "王小明")
    cp.fill("input[name=phone]", SENDER_PHONE)
    cp.set_input_files(
        "input[name=attachments]", files=[{"name": "现场照片.png", "mimeType": "image/png", "buffer": _png()}]
    )
    cp.check("input[name=consent_publish]")
    cp.check("input[name=consent]")
    _shot(cp, "12-feedback-form-phone")
    _submit(cp, cp.get_by_role("button", name="提交"))
    tracking = cp.inner_text("#tracking").strip()
    code = cp.inner_text("#code").strip()
    assert tracking and code
    fb = Feedback.objects.get(tracking=tracking)
    assert fb.round_id == seed_round.pk
    assert fb.attachments.count() == 1
    public_axe["feedback-done-phone"] = _axe(cp, "public-feedback-done-phone")
    _shot(cp, "13-feedback-done-phone")

    # --- 7. The feedback officer: the sender masked; accept, link to the problem, reply (published).
    officer = _session(browser, base, feedback_officer.username, **DESKTOP)
    op = officer.page
    op.goto(base + reverse("feedback:list"))
    listed = op.locator("tbody tr", has=op.locator("a", has_text=tracking))
    expect(listed).to_contain_text("139****0000")
    expect(listed).to_contain_text("王**")
    assert SENDER_PHONE not in op.content()
    assert "王小明" not in op.content()
    _shot(op, "14-feedback-list")
    _submit(op, listed.locator("a", has_text=tracking))
    expect(op.locator("main")).to_contain_text(OPINION)
    expect(op.locator("main")).to_contain_text("现场照片.png")
    assert SENDER_PHONE not in op.content()
    _submit(op, op.locator("form[action$='/accept/'] button[type=submit]"))
    fb.refresh_from_db()
    assert fb.status == "accepted"
    link = op.locator("form[action$='/link/']")
    link.locator("select[name=finding]").select_option(value=str(problem.pk))
    link.locator("textarea[name=note]").fill("群众反映该问题出现反弹")
    _submit(op, link.locator("button[type=submit]"))
    fb.refresh_from_db()
    assert fb.finding_id == problem.pk
    expect(op.locator("main")).to_contain_text("关联问题")
    reply = op.locator("form[action$='/reply/']")
    reply.locator("textarea[name=text]").fill(REPLY)
    reply.locator("input[name=publish]").check()
    _submit(op, reply.locator("button[type=submit]"))
    fb.refresh_from_db()
    assert (fb.reply, fb.reply_public) == (REPLY, True)
    expect(op.locator("section[aria-labelledby=h-reply]")).to_contain_text("已公开")
    _shot(op, "15-feedback-replied")

    # --- 8. The citizen looks it up with the number and the code and reads the reply.
    cp.goto(base + reverse("public:track"))
    cp.fill("input[name=tracking]", tracking)
    cp.fill("input[name=code]", code)
    _submit(cp, cp.get_by_role("button", name="查询"))
    found = cp.locator(".found")
    expect(found).to_contain_text(REPLY)
    assert SENDER_PHONE not in cp.content()
    public_axe["track-found-phone"] = _axe(cp, "public-track-found-phone")
    _shot(cp, "16-track-reply-phone")
    phone.close()
    # The reply, published with the citizen's consent, is on the round's public page (no sender
    # data) for the next visitor (this phone keeps its copy of the page for a short while: the
    # page is cached with ``max-age``).
    phone = _context(browser, bypass_csp=True, **PHONE_VIEWPORT)
    np = phone.new_page()
    np.goto(round_url)
    expect(np.locator("section[aria-labelledby=replies-h]")).to_contain_text(REPLY)
    for leak in (SENDER_PHONE, "王小明", CITIZEN_PHONE, CITIZEN_ID):
        assert leak not in np.content()
    public_axe["round-phone"] = _axe(np, "public-round-phone")
    _shot(np, "17-public-round-reply-phone")

    for s in (clerk, leader, officer):
        s.close()
    phone.close()
    assert not {k: v for k, v in public_axe.items() if v}, public_axe
    assert not {k: v for k, v in staff_axe.items() if v}, staff_axe
