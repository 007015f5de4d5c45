"""REQ-1.10 (GB/T 22239 8.1.4.2 g): an object labelled above the user's clearance is denied even
when the role allows the action — a 404 like any object out of scope, and absent from lists,
search, 我的任务, exports and documents; the overview counts it without naming it."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from tests.labels.conftest import Labelled, clear
from zhenggai.ledger import selectors
from zhenggai.ledger.selectors import MeasureFilters
from zhenggai.reports.builders import build_notice, build_plan
from zhenggai.reports.xlsx_export import export_round

PROBLEM_TITLE = "理论学习流于形式"
MEASURE_TEXT = "制定学习计划并落实"


def _pages(lab: Labelled) -> list[str]:
    return [
        reverse("web:problem-detail", args=[lab.problem.pk]),
        reverse("web:measure-detail", args=[lab.submitted.pk]),
        reverse("web:measure-detail", args=[lab.fresh.pk]),
        reverse("web:evidence-download", args=[lab.evidence.pk]),
    ]


@pytest.mark.parametrize("who", ["leader", "person", "supervisor", "clerk2"])
def test_a_user_with_the_role_but_without_the_clearance_gets_404_on_a_sensitive_problem_measure_and_evidence_REQ_1_10(  # noqa: E501
    who: str, personas: Any, labelled: Labelled, client_for: Any
) -> None:
    """REQ-1.10: the unit leader, the responsible person, the supervisor and a second clerk all hold
    a role over the problem; at 内部 clearance each gets the same 404 an outsider gets."""
    if who == "clerk2":
        from zhenggai.units.services import membership_grant

        user = personas.viewer
        membership_grant(actor=None, user=user, unit=personas.unit_a, role="clerk")
    else:
        user = getattr(personas, who)
    client = client_for(user)
    for url in _pages(labelled):
        assert client.get(url).status_code == 404, url


def test_the_cleared_clerk_still_sees_the_sensitive_problem_measures_and_evidence_REQ_1_10(
    labelled: Labelled, client_for: Any
) -> None:
    """REQ-1.10: the label denies only those without the clearance."""
    client = client_for(labelled.clerk)
    for url in _pages(labelled):
        response = client.get(url)
        assert response.status_code == 200, url
        if "evidence" not in url:
            assert "敏感" in response.content.decode()


def test_a_sensitive_problem_is_absent_from_search_round_measures_and_my_tasks_REQ_1_10(
    personas: Any, labelled: Labelled, client_for: Any
) -> None:
    """REQ-1.10: lists and search leave out what the user may not see (the leader would have the
    submitted measure to review, the person the fresh one to do)."""
    round_pk = labelled.world.round.pk
    for user in (personas.leader, personas.person, personas.supervisor):
        client = client_for(user)
        for url, query in (
            (reverse("web:search"), {"q": "学习"}),
            (reverse("web:search"), {}),
            (reverse("web:round-measures", args=[round_pk]), {}),
            (reverse("web:home"), {}),
        ):
            body = client.get(url, query).content.decode()
            assert MEASURE_TEXT not in body, (user, url)
            assert PROBLEM_TITLE not in body, (user, url)
        assert not selectors.measure_search(user=user, filters=MeasureFilters(text="学习")).exists()
        tasks = selectors.my_tasks(user=user)
        assert all(not items for items in tasks.values()), (user, tasks)
    # The cleared clerk finds both measures.
    found = selectors.measure_search(user=labelled.clerk, filters=MeasureFilters(text="学习"))
    assert {m.pk for m in found} == {labelled.submitted.pk, labelled.fresh.pk}


def test_the_overview_counts_a_sensitive_problem_without_naming_it_REQ_1_10(
    personas: Any, labelled: Labelled, client_for: Any
) -> None:
    """REQ-1.10 (decision): the round's figures are the same for everyone who may see the round; the
    tree leaves the problem out and says how many were left out."""
    round_ = labelled.world.round
    hidden = selectors.round_overview(user=personas.leader, round=round_)
    full = selectors.round_overview(user=labelled.clerk, round=round_)
    assert hidden.tally == full.tally
    assert hidden.tally.problems == 1 and hidden.tally.measure_total == 2
    assert (hidden.hidden_problems, hidden.hidden_measures) == (1, 2)
    assert (full.hidden_problems, full.hidden_measures) == (0, 0)

    def titles(nodes: list[Any]) -> list[str]:
        return [t for n in nodes for t in [n.finding.title, *titles(n.children)]]

    assert PROBLEM_TITLE in titles(full.roots)
    assert PROBLEM_TITLE not in titles(hidden.roots)
    assert "学习贯彻不深入" in titles(hidden.roots)  # the issue above it is 内部

    body = client_for(personas.leader).get(reverse("web:round-detail", args=[round_.pk])).content.decode()
    assert PROBLEM_TITLE not in body
    assert "1 个具体问题" in body and "2 项措施" in body and "高于您的许可级别" in body


def test_a_measure_labelled_sensitive_under_an_internal_problem_is_hidden_alone_REQ_1_10(
    personas: Any, world: Any, secadmin: Any, client_for: Any
) -> None:
    """REQ-1.10: a measure's label counts too (the higher of its own and its problem's)."""
    from zhenggai.ledger import services

    clerk = clear(secadmin, personas.clerk)
    services.measure_set_sensitivity(actor=clerk, measure=world.fresh, sensitivity="sensitive")
    person = client_for(personas.person)
    assert person.get(reverse("web:measure-detail", args=[world.fresh.pk])).status_code == 404
    assert person.get(reverse("web:measure-detail", args=[world.submitted.pk])).status_code == 200
    page = person.get(reverse("web:problem-detail", args=[world.problem.pk]))
    body = page.content.decode()
    assert "制定学习计划并落实第1项" in body
    assert "制定学习计划并落实第2项" not in body
    assert "另有 1 项措施" in body
    assert [m.pk for m in selectors.my_tasks(user=personas.person)["todo"]] == []  # fresh was the only todo


def test_the_xlsx_export_leaves_out_the_sensitive_rows_and_counts_them_REQ_1_10(
    personas: Any, labelled: Labelled, client_for: Any
) -> None:
    """REQ-1.10 (decision): the export of a round for a user leaves out what the user may not see;
    the statistics sheet keeps the round's figures and says how many rows were left out."""
    round_ = labelled.world.round

    def book(user: Any) -> Any:
        out = io.BytesIO()
        export_round(user=user, round=round_, target=out)
        return load_workbook(io.BytesIO(out.getvalue()))

    def cells(ws: Any) -> str:
        return " ".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if v is not None)

    leader = book(personas.leader)
    assert MEASURE_TEXT not in cells(leader["整改台账"]) and PROBLEM_TITLE not in cells(leader["整改台账"])
    assert "未列入台账" in cells(leader["统计"])
    meta = {r[0]: r[1] for r in leader["_meta"].iter_rows(values_only=True)}
    assert meta["measures"] == 0
    clerk = book(labelled.clerk)
    assert MEASURE_TEXT in cells(clerk["整改台账"])
    assert "未列入台账" not in cells(clerk["统计"])

    response = client_for(personas.leader).get(reverse("reports:xlsx-export", args=[round_.pk]))
    assert response.status_code == 200
    web = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    assert MEASURE_TEXT not in cells(web["整改台账"])


@pytest.mark.parametrize("build", [build_plan, build_notice], ids=["plan", "notice"])
def test_the_plan_and_notice_leave_out_a_sensitive_problem_and_say_so_REQ_1_10(
    build: Any, personas: Any, labelled: Labelled
) -> None:
    """REQ-1.10: documents read through the same selectors: a warning instead of the problem."""
    round_ = labelled.world.round
    doc = build(user=personas.leader, round=round_)
    text = repr(doc)
    assert PROBLEM_TITLE not in text and MEASURE_TEXT not in text
    assert any("安全标记高于您的许可级别" in w for w in doc.warnings)
    cleared = build(user=labelled.clerk, round=round_)
    assert PROBLEM_TITLE in repr(cleared)
    assert not any("安全标记" in w for w in cleared.warnings)


def test_raising_the_users_clearance_lets_them_see_and_act_REQ_1_10(
    personas: Any, labelled: Labelled, secadmin: Any, client_for: Any
) -> None:
    """REQ-1.10: once the security administrator raises the leader's clearance, the leader sees the
    problem and reviews the submitted measure."""
    client = client_for(personas.leader)
    measure_url = reverse("web:measure-detail", args=[labelled.submitted.pk])
    assert client.get(measure_url).status_code == 404
    clear(secadmin, personas.leader)
    for url in _pages(labelled):
        assert client.get(url).status_code == 200, url
    assert [m.pk for m in selectors.my_tasks(user=personas.leader)["review"]] == [labelled.submitted.pk]
    response = client.post(
        reverse("web:measure-review", args=[labelled.submitted.pk]), {"decision": "approve", "reason": ""}
    )
    assert response.status_code == 302
    labelled.submitted.refresh_from_db()
    assert labelled.submitted.status == "done"


def test_a_user_cleared_only_for_public_does_not_see_internal_records_REQ_1_10(
    personas: Any, world: Any, secadmin: Any, client_for: Any
) -> None:
    """REQ-1.10: 公开 < 内部 < 敏感; everything is 内部 unless labelled otherwise."""
    clear(secadmin, personas.viewer, "public")
    client = client_for(personas.viewer)
    assert client.get(reverse("web:problem-detail", args=[world.problem.pk])).status_code == 404
    assert client.get(reverse("web:measure-detail", args=[world.fresh.pk])).status_code == 404
    assert client.get(reverse("web:round-detail", args=[world.round.pk])).status_code == 200
