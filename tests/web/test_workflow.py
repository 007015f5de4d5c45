"""The whole workflow through the pages: import, assign, report, review, close, download."""

from __future__ import annotations

import re
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.conftest import SEED
from tests.today import days_from_today
from tests.web.conftest import PDF
from zhenggai.ledger.models import Evidence, Finding, Measure, Outcome, Progress, Round


def _figures(html: str) -> list[str]:
    return re.findall(r'class="figure-value[^"]*">([^<]+)<', html)


def _upload(client: Any) -> str:
    response = client.post(reverse("web:import"), {"file": SimpleUploadedFile(SEED.name, SEED.read_bytes())})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response.url


def _snapshot() -> tuple[int, ...]:
    return (Round.objects.count(), Finding.objects.count(), Measure.objects.count(), Outcome.objects.count())


def test_clerk_imports_assigns_person_reports_leader_approves_supervisor_closes_and_files_stay_scoped(
    personas: Any, client_for: Any, settings: Any
) -> None:
    clerk, person, leader, supervisor = (
        client_for(u) for u in (personas.clerk, personas.person, personas.leader, personas.supervisor)
    )

    # 1. Upload → preview: the tree, the document's defects, what will be created.
    preview_url = _upload(clerk)
    preview = clerk.get(preview_url)
    html = preview.content.decode()
    assert preview.status_code == 200
    assert _figures(html) == ["3", "18", "30", "100"]
    assert "日期无法识别：“330日”" in html
    assert "已导入过" not in html
    assert "县委第三巡察组" in html
    assert Round.objects.count() == 0  # the preview writes nothing

    # 2. Confirm → the round, then the same file again creates nothing new.
    digest = preview_url.rstrip("/").rsplit("/", 1)[-1]
    done = clerk.post(reverse("web:import-confirm"), {"digest": digest})
    round_ = Round.objects.get()
    assert done.status_code == 302
    assert done.url == reverse("web:round-detail", args=[round_.pk])
    assert Measure.objects.filter(round=round_).count() == 100
    assert not any(p.is_file() for p in settings.UPLOAD_TMP_DIR.rglob("*"))  # the upload is gone
    before = _snapshot()
    again = clerk.get(_upload(clerk)).content.decode()
    assert "已导入过" in again
    second = clerk.post(reverse("web:import-confirm"), {"digest": digest})
    assert second.url == done.url
    assert _snapshot() == before
    overview = clerk.get(done.url).content.decode()
    assert "该文件已导入过" in overview
    assert "0.00%" in overview  # completion rate: 30 problems, none complete

    # 3. The clerk assigns the first problem's measures in bulk.
    problem = Finding.objects.filter(round=round_, kind="problem").order_by("position").first()
    measures = list(problem.measures.order_by("position"))
    response = clerk.post(
        reverse("web:round-assign", args=[round_.pk]),
        {
            "measures": [m.pk for m in measures],
            "person": personas.person.pk,
            "leader": personas.responsible_leader.pk,
            "department": personas.departments[0].pk,
            "deadline": days_from_today(200).isoformat(),
        },
    )
    assert response.status_code == 302
    assert set(Measure.objects.filter(person=personas.person).values_list("pk", flat=True)) == {
        m.pk for m in measures
    }
    tasks = person.get(reverse("web:home")).content.decode()
    assert f"待我整改（{len(measures)}）" in tasks

    # 4. The responsible person reports with a PDF and submits each measure.
    for i, m in enumerate(measures):
        data: dict[str, Any] = {"text": f"已完成整改第{i + 1}项"}
        if i == 0:
            data["files"] = [SimpleUploadedFile("整改佐证.pdf", PDF, content_type="application/pdf")]
        assert person.post(reverse("web:progress-add", args=[m.pk]), data).status_code == 302
        assert person.post(reverse("web:measure-submit", args=[m.pk])).status_code == 302
    assert set(Measure.objects.filter(finding=problem).values_list("status", flat=True)) == {"pending_review"}
    page = person.get(reverse("web:measure-detail", args=[measures[0].pk])).content.decode()
    assert "整改佐证.pdf" in page and "待审核" in page
    assert f"待我审核（{len(measures)}）" in leader.get(reverse("web:home")).content.decode()

    # 5. The unit leader approves; 6. the supervisor closes the problem.
    for m in measures:
        assert (
            leader.post(reverse("web:measure-review", args=[m.pk]), {"decision": "approve"}).status_code
            == 302
        )
    assert "可销号（1）" in supervisor.get(reverse("web:home")).content.decode()
    problem_url = reverse("web:problem-detail", args=[problem.pk])
    assert "对账销号" in supervisor.get(problem_url).content.decode()
    close = reverse("web:problem-close", args=[problem.pk])
    # 销号 takes an opinion: without one the page says so and nothing is closed.
    refused = supervisor.post(close, {"close-opinion": " "})
    assert refused.status_code == 400 and "请填写销号意见" in refused.content.decode()
    assert supervisor.post(close, {"close-opinion": "佐证材料齐全，整改到位"}).status_code == 302
    problem.refresh_from_db()
    assert problem.status == "closed"
    closed = supervisor.get(problem_url).content.decode()
    assert "已销号" in closed and "王监督" in closed
    assert "3.33%" in clerk.get(done.url).content.decode()  # 1 of 30 problems

    # 7. The evidence: A's people download the bytes, the outsider gets 404.
    evidence = Evidence.objects.get()
    url = reverse("web:evidence-download", args=[evidence.pk])
    for c in (clerk, person, leader, supervisor, client_for(personas.viewer)):
        response = c.get(url)
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == PDF
        assert response["Content-Type"] == "application/pdf"
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Disposition"].startswith("attachment; filename*=utf-8''")
        assert "%E6%95%B4%E6%94%B9" in response["Content-Disposition"]  # 整改, percent-encoded
        # No explicit response.close(): reading streaming_content already closed it with the
        # test client's guard; a second close fires request_finished, which on PostgreSQL
        # closes the connection inside the test's transaction.
    assert client_for(personas.outsider).get(url).status_code == 404
    assert Progress.objects.count() == len(measures)


def test_a_round_built_by_hand_takes_findings_and_measures(personas: Any, client_for: Any) -> None:
    clerk = client_for(personas.clerk)
    page = clerk.get(reverse("web:round-create")).content.decode()
    assert "新建巡察轮次" in page
    response = clerk.post(
        reverse("web:round-create"),
        {
            "unit": personas.unit_a.pk,
            "title": "县委第五巡察组专项巡察整改",
            "kind": "special",
            "inspecting_group": "县委第五巡察组",
            "feedback_date": "2024-01-31",
        },
    )
    round_ = Round.objects.get()
    assert response.url == reverse("web:round-detail", args=[round_.pk])
    assert str(round_.plan_due) == "2024-02-29"
    overview = clerk.get(response.url).content.decode()
    assert "2024年2月29日" in overview and "—" in overview  # plan due; no completion rate yet

    add = reverse("web:finding-create", args=[round_.pk])
    assert clerk.post(add, {"kind": "category", "title": "党的领导方面", "number": "一"}).status_code == 302
    category = Finding.objects.get(kind="category")
    assert (
        clerk.post(add, {"kind": "problem", "parent": category.pk, "title": "制度执行不严"}).status_code
        == 302
    )
    problem = Finding.objects.get(kind="problem")
    response = clerk.post(
        reverse("web:measure-create", args=[problem.pk]),
        {"text": "修订财务管理制度", "kind": "immediate", "deadline": "2024-03-31"},
    )
    measure = Measure.objects.get()
    assert response.url == reverse("web:measure-detail", args=[measure.pk])
    assert measure.kind == "immediate" and str(measure.deadline) == "2024-03-31"


def test_the_leader_signs_the_plan_and_later_changes_count_as_amendments(
    world: Any, personas: Any, client_for: Any
) -> None:
    leader, clerk = client_for(personas.leader), client_for(personas.clerk)
    url = reverse("web:round-detail", args=[world.round.pk])
    assert "签署方案" in leader.get(url).content.decode()
    assert "签署方案" not in clerk.get(url).content.decode()
    assert leader.post(reverse("web:round-sign", args=[world.round.pk])).status_code == 302
    page = leader.get(url).content.decode()
    assert "已签署第1版" in page and "李大队长" in page and "签署后未修改" in page
    m = world.fresh
    clerk.post(
        reverse("web:measure-edit", args=[m.pk]),
        {
            "text": "制定学习计划并按月检查",
            "kind": "deadline",
            "version": m.version,
            "person": personas.person.pk,
            "deadline": days_from_today(200).isoformat(),
        },
    )
    assert "签署后已修改 1 处" in leader.get(url).content.decode()


def test_the_clerk_splits_moves_and_deletes_a_measure(world: Any, personas: Any, client_for: Any) -> None:
    clerk = client_for(personas.clerk)
    m = world.fresh
    response = clerk.post(
        reverse("web:measure-split", args=[m.pk]),
        {"texts": "制定计划\r\n\r\n落实计划\n检查落实", "version": m.version},
    )
    assert response.status_code == 302
    texts = list(
        Measure.objects.filter(finding=world.problem).order_by("position").values_list("text", flat=True)
    )
    assert texts == ["制定学习计划并落实第1项", "制定计划", "落实计划", "检查落实"]
    last = Measure.objects.get(text="检查落实")
    assert clerk.post(reverse("web:measure-move", args=[last.pk]), {"direction": "up"}).status_code == 302
    texts = list(
        Measure.objects.filter(finding=world.problem).order_by("position").values_list("text", flat=True)
    )
    assert texts[-2:] == ["检查落实", "落实计划"]
    response = clerk.post(reverse("web:measure-delete", args=[last.pk]))
    assert response.url == reverse("web:problem-detail", args=[world.problem.pk])
    assert not Measure.objects.filter(pk=last.pk).exists()


def test_the_leader_returns_a_measure_with_a_reason_and_the_person_sees_it(
    world: Any, personas: Any, client_for: Any
) -> None:
    leader = client_for(personas.leader)
    url = reverse("web:measure-review", args=[world.submitted.pk])
    response = leader.post(url, {"decision": "return", "reason": ""})
    assert response.status_code == 400
    assert "退回时请写明理由" in response.content.decode()
    assert leader.post(url, {"decision": "return", "reason": "佐证材料不足"}).status_code == 302
    world.submitted.refresh_from_db()
    assert world.submitted.status == "in_progress"
    page = client_for(personas.person).get(reverse("web:measure-detail", args=[world.submitted.pk]))
    assert "佐证材料不足" in page.content.decode()


def test_a_supervisor_sends_a_problem_back_with_a_reason(world: Any, personas: Any, client_for: Any) -> None:
    sup = client_for(personas.supervisor)
    problem_url = reverse("web:problem-detail", args=[world.problem.pk])
    assert "退回整改" in sup.get(problem_url).content.decode()
    response = sup.post(reverse("web:problem-send-back", args=[world.problem.pk]), {"send_back-reason": ""})
    assert response.status_code == 400 and "请写明理由" in response.content.decode()
    assert (
        sup.post(
            reverse("web:problem-send-back", args=[world.problem.pk]), {"send_back-reason": "整改不实"}
        ).status_code
        == 302
    )
    world.submitted.refresh_from_db()
    assert world.submitted.status == "in_progress"
    assert "整改不实" in sup.get(problem_url).content.decode()


def test_a_supervisor_reopens_a_closed_problem_with_a_reason(
    world: Any, personas: Any, client_for: Any
) -> None:
    from zhenggai.ledger import services

    services.measure_review(actor=personas.leader, measure=world.submitted, decision="approve")
    services.progress_add(actor=personas.person, measure=world.fresh, text="已完成")
    services.measure_submit(actor=personas.person, measure=world.fresh)
    services.measure_review(actor=personas.leader, measure=world.fresh, decision="approve")
    services.finding_close(actor=personas.supervisor, finding=world.problem, opinion="整改到位，同意销号")
    sup = client_for(personas.supervisor)
    page = sup.get(reverse("web:problem-detail", args=[world.problem.pk])).content.decode()
    assert "重新打开" in page and "对账销号</button>" not in page
    response = sup.post(
        reverse("web:problem-reopen", args=[world.problem.pk]), {"reopen-reason": "回头看发现反弹"}
    )
    assert response.status_code == 302
    world.problem.refresh_from_db()
    assert world.problem.status == "open" and world.problem.reopen_count == 1
    page = sup.get(reverse("web:problem-detail", args=[world.problem.pk])).content.decode()
    assert "回头看发现反弹" in page and "重新打开过 1 次" in page


def test_a_returned_measure_shows_its_latest_return_reason_at_the_top_until_resubmitted(
    world: Any, personas: Any, client_for: Any
) -> None:
    from zhenggai.ledger import services

    services.measure_review(
        actor=personas.leader, measure=world.submitted, decision="return", reason="缺少会议记录"
    )
    url = reverse("web:measure-detail", args=[world.submitted.pk])
    html = client_for(personas.person).get(url).content.decode()
    banner = html[html.index('class="alert alert-danger last-return"') :][:600]
    assert "退回理由：缺少会议记录" in banner and str(personas.leader) in banner
    services.progress_add(actor=personas.person, measure=world.submitted, text="已补充会议记录")
    services.measure_submit(actor=personas.person, measure=world.submitted)
    assert "last-return" not in client_for(personas.person).get(url).content.decode()
    assert client_for(personas.outsider).get(url).status_code == 404


def test_with_leader_prereview_the_measure_page_shows_the_leaders_step_and_its_form(
    world: Any, personas: Any, client_for: Any
) -> None:
    from zhenggai.ledger import services

    services.round_update(actor=personas.clerk, round=world.round, leader_prereview=True)
    services.progress_add(actor=personas.person, measure=world.fresh, text="已开展集中学习")
    person = client_for(personas.person)
    assert person.post(reverse("web:measure-submit", args=[world.fresh.pk])).status_code == 302
    url = reverse("web:measure-detail", args=[world.fresh.pk])
    page = person.get(url).content.decode()
    assert "待领导审核" in page and "责任领导审核（赵副大队长）" in page
    # The unit head waits; the measure's own leader reviews, on the review form.
    assert "审核（第一责任人）" not in client_for(personas.leader).get(url).content.decode()
    leader = client_for(personas.responsible_leader)
    assert "责任领导审核（您是该措施的责任领导）" in leader.get(url).content.decode()
    review = reverse("web:measure-review", args=[world.fresh.pk])
    refused = leader.post(review, {"decision": "return", "reason": ""})
    assert refused.status_code == 400 and "退回时请写明理由" in refused.content.decode()
    assert leader.post(review, {"decision": "approve"}).status_code == 302
    assert Measure.objects.get(pk=world.fresh.pk).status == "pending_review"
    assert "审核（第一责任人）" in client_for(personas.leader).get(url).content.decode()
    assert client_for(personas.outsider).get(url).status_code == 404
    # An outsider posting the leader's step learns nothing: 404.
    assert client_for(personas.outsider).post(review, {"decision": "approve"}).status_code == 404


def test_the_round_form_sets_the_leader_prereview(world: Any, personas: Any, client_for: Any) -> None:
    from zhenggai.ledger.models import Round

    r = world.round
    data = {
        "title": r.title,
        "kind": r.kind,
        "inspecting_group": r.inspecting_group,
        "period_start": r.period_start.isoformat(),
        "period_end": r.period_end.isoformat(),
        "feedback_date": r.feedback_date.isoformat(),
        "leader_prereview": "on",
    }
    assert client_for(personas.clerk).post(reverse("web:round-edit", args=[r.pk]), data).status_code == 302
    assert Round.objects.get(pk=r.pk).leader_prereview is True


def test_signing_a_plan_with_undated_measures_is_refused_naming_them(
    world: Any, personas: Any, client_for: Any
) -> None:
    from zhenggai.ledger import services
    from zhenggai.ledger.models import PlanSignature

    services.measure_create(actor=personas.clerk, finding=world.problem, text="尚未定时限的措施")
    leader = client_for(personas.leader)
    response = leader.post(reverse("web:round-sign", args=[world.round.pk]), follow=True)
    html = response.content.decode()
    assert "1 项整改措施未设定完成时限" in html and "尚未定时限的措施" in html
    assert not PlanSignature.objects.exists()
    outsider = client_for(personas.outsider).post(reverse("web:round-sign", args=[world.round.pk]))
    assert outsider.status_code == 404
