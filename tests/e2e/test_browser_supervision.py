"""Supervision (督办) in a real browser (issue 11).

A measure crosses into yellow: ``zhenggai remind`` tells the person at green and the person
and the responsible leader at yellow; ``deliver`` sends the e-mail to a real SMTP server
started by the test; both find it in their inbox and on their desks. The person asks for an
extension, the leader grants it (the first deadline kept). The supervisor's dashboard shows the
unit. A look-back (回头看) finds a closed problem relapsed: it reopens as cycle 2 with the first
cycle's history on its page. Screenshots in ``artifacts/screenshots/``.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from tests.e2e.test_browser_workflow import Session, browser  # noqa: F401  (the fixture)
from tests.notify.conftest import smtp_server  # noqa: F401  (the fixture)
from tests.today import days_from_today, today

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

RELAPSING = "公积金未予及时清理"  # problem 25 of the seed: one measure


def _close_problem(personas: Any, problem: Any) -> None:
    """Take every measure of ``problem`` through progress, submission and approval, and close it."""
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Measure

    ids = list(Measure.objects.filter(finding=problem).values_list("pk", flat=True))
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=problem.round,
        measure_ids=ids,
        person=personas.person2,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=days_from_today(60),
    )
    for m in Measure.objects.filter(pk__in=ids):
        services.progress_add(actor=personas.person2, measure=m, text="已清理并建立台账。")
        services.measure_submit(actor=personas.person2, measure=Measure.objects.get(pk=m.pk))
        services.measure_review(
            actor=personas.leader, measure=Measure.objects.get(pk=m.pk), decision="approve"
        )
    problem.refresh_from_db()
    services.finding_close(actor=personas.supervisor, finding=problem, opinion="资料齐全，整改到位。")


def test_a_yellow_warning_an_extension_the_dashboard_and_a_relapse_in_the_browser(
    browser: Any,  # noqa: F811
    live_server: Any,
    personas: Any,
    seed_round: Any,
    smtp_server: Any,  # noqa: F811
    settings: Any,
) -> None:
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Finding, Measure
    from zhenggai.notify.delivery import deliver
    from zhenggai.notify.models import Message
    from zhenggai.supervision.models import Extension, ExtensionStatus

    smtp_server.use(settings)
    base = live_server.url
    for user, address in (
        (personas.person, "chen@example.gov.cn"),
        (personas.responsible_leader, "zhao@example.gov.cn"),
    ):
        user.email = address
        user.save(update_fields=["email"])

    # A measure due in 10 days: ten days ago it had 20 left (green, the person alone); today it
    # is yellow (the person and the responsible leader).
    measure = Measure.objects.filter(round=seed_round).exclude(finding__title__startswith=RELAPSING).first()
    assert measure is not None
    first_deadline = days_from_today(10)
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=seed_round,
        measure_ids=[measure.pk],
        person=personas.person,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=first_deadline,
    )
    call_command("remind", "--at", str(days_from_today(-10)))
    assert set(Message.objects.filter(kind="reminder").values_list("recipient_id", "level")) == {
        (personas.person.pk, "green")
    }
    call_command("remind", "--at", str(today()))
    call_command("remind", "--at", str(today()))  # the same day again: nothing new
    yellow = Message.objects.filter(kind="reminder", level="yellow")
    assert sorted(yellow.values_list("recipient_id", flat=True)) == sorted(
        [personas.person.pk, personas.responsible_leader.pk]
    )

    # The e-mail arrives at the test's SMTP server.
    deliver()
    received = {(r.recipients[0], r.subject) for r in smtp_server.received}
    assert any(to == "chen@example.gov.cn" and "黄色预警" in subject for to, subject in received)
    assert any(to == "zhao@example.gov.cn" and "黄色预警" in subject for to, subject in received)

    # The person sees it in the inbox (an unread count in the navbar) and on the desk, yellow.
    person = Session(browser, base, personas.person.username)
    page = person.page
    page.goto(f"{base}/")
    # assigned, green, yellow
    unread = Message.objects.filter(recipient=personas.person, read_at__isnull=True).count()
    assert unread == 3
    assert page.locator("nav .badge").first.inner_text().split()[0] == str(unread)
    assert page.locator("[data-tier=yellow]").count() >= 1
    person.shot("sup-01-person-desk-yellow")
    page.goto(f"{base}/inbox/")
    assert "黄色预警" in page.inner_text("main")
    person.shot("sup-02-person-inbox")

    # The responsible leader too: his inbox and the measures he leads.
    leader = Session(browser, base, personas.responsible_leader.username)
    leader.page.goto(f"{base}/inbox/")
    assert "黄色预警" in leader.page.inner_text("main")
    leader.page.goto(f"{base}/")
    assert leader.page.locator("[data-tier=yellow]").count() >= 1
    leader.shot("sup-03-leader-desk")

    # The person asks for an extension from the measure's page.
    page.goto(f"{base}/measures/{measure.pk}/")
    page.click("a:has-text('申请延期')")
    new_deadline = days_from_today(40)
    page.fill("input[name=new_deadline]", str(new_deadline))
    page.fill("textarea[name=reason]", "需协调县住建局联合核查，原时限内无法完成。")
    page.click("button:has-text('提交申请')")
    page.wait_for_load_state()
    ext = Extension.objects.get(measure=measure)
    assert ext.status == ExtensionStatus.PENDING
    person.shot("sup-04-extension-requested")

    # The leader grants it: the deadline moves, the first one is kept.
    leader.page.goto(f"{base}/supervision/extensions/")
    leader.page.click(f"a[href='/supervision/extensions/{ext.pk}/']")
    leader.page.fill("textarea[name=opinion]", "同意，请按新时限完成。")
    leader.page.click("button:has-text('同意延期')")
    leader.page.wait_for_load_state()
    measure.refresh_from_db()
    assert (measure.deadline, measure.original_deadline) == (new_deadline, first_deadline)
    assert Message.objects.filter(kind="extension.decided", recipient=personas.person).exists()
    leader.shot("sup-05-extension-granted")

    # The supervisor's dashboard shows the unit; a problem closed earlier relapses at the look-back.
    problem = Finding.objects.get(round=seed_round, kind="problem", title__startswith=RELAPSING)
    _close_problem(personas, problem)
    supervisor = Session(browser, base, personas.supervisor.username)
    sp = supervisor.page
    sp.goto(f"{base}/supervision/dashboard/")
    assert personas.unit_a.name in sp.inner_text("main")
    # The charts are drawn by ECharts (SVG), served from our own static files (no CDN).
    sp.wait_for_selector(".zg-chart[data-chart=completion] svg")
    supervisor.shot("sup-06-dashboard")

    sp.goto(f"{base}/supervision/rounds/{seed_round.pk}/lookbacks/new/")
    sp.fill("input[name=title]", "巡察整改“回头看”")
    sp.fill("input[name=scheduled_on]", str(today()))
    sp.click("button:has-text('安排回头看')")
    sp.wait_for_selector(f"text={RELAPSING}")
    item = sp.locator(".list-group-item", has_text=RELAPSING)
    item.locator("select").select_option("relapsed")
    item.locator("textarea").fill("抽查发现2名离职人员公积金账户仍未清理，问题反弹。")
    item.locator("button:has-text('保存核查结论')").click()
    sp.wait_for_load_state()
    problem.refresh_from_db()
    assert (problem.status, problem.cycle) == ("open", 2)
    supervisor.shot("sup-07-lookback-relapse")

    # The problem page: cycle 2, with the first cycle's close-out and relapse kept as history.
    sp.goto(f"{base}/problems/{problem.pk}/")
    body = sp.inner_text("main")
    assert "第2轮整改" in body
    assert "资料齐全，整改到位。" in body  # the first cycle's close-out opinion
    assert "反弹" in body
    supervisor.shot("sup-08-problem-cycle-2")
    for s in (person, leader, supervisor):
        s.close()
