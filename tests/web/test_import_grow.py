"""The round grows document by document, on the pages (issue 10): a plan uploaded into a round is
previewed (matched, unmatched, conflicts) and confirmed into measures with their responsibility;
a notice's proposals are ticked item by item; the problem page shows the problem's own text in
its place in the source document; the document page is for the round's units only."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.ledger.test_import_grow import FEEDBACK, NOTICE, PLAN, STRANGER_PLAN
from zhenggai.ledger.imports import round_import
from zhenggai.ledger.models import Finding, Measure, Progress, Round, SourceDocument


@pytest.fixture
def letter_round(personas: Any) -> Round:
    r, _ = round_import(
        actor=personas.clerk, unit=personas.unit_a, data=FEEDBACK.encode(), name="反馈意见.txt"
    )
    return r


def _upload(client: Any, r: Round, name: str, text: str) -> Any:
    return client.post(
        reverse("web:round-import", args=[r.pk]), {"file": SimpleUploadedFile(name, text.encode())}
    )


def _digest(response: Any) -> str:
    assert response.status_code == 302, response.content.decode()[:500]
    return response["Location"].rstrip("/").rsplit("/", 1)[-1]


def _state() -> tuple[int, int, int, int]:
    return (
        Finding.objects.count(),
        Measure.objects.count(),
        SourceDocument.objects.count(),
        Progress.objects.count(),
    )


def test_a_plan_uploaded_into_the_round_is_previewed_then_confirmed_into_measures_with_owners(
    personas, letter_round, client_for
):
    client = client_for(personas.clerk)
    assert client.get(reverse("web:round-import", args=[letter_round.pk])).status_code == 200
    plan = PLAN.replace("2.公务接待不规范。", "2.差旅费报销审核不严。")
    digest = _digest(_upload(client, letter_round, "整改方案.txt", plan))
    before = _state()
    page = client.get(reverse("web:round-import-preview", args=[letter_round.pk, digest]))
    html = page.content.decode()
    assert page.status_code == 200
    assert "按编号和标题对应" in html and "学习成果转化运用不够" in html  # the document's wording shown
    unmatched = html[html.index('id="unmatched"') :]
    assert "差旅费报销审核不严" in unmatched[: unmatched.index("</div></div>")]
    unmentioned = html[html.index('id="unmentioned"') :]
    assert "公务接待不规范" in unmentioned
    assert "配合单位：审计股" in html
    assert _state() == before  # the preview writes nothing

    response = client.post(reverse("web:round-import-confirm", args=[letter_round.pk]), {"digest": digest})
    assert response.status_code == 302 and response["Location"] == reverse(
        "web:round-detail", args=[letter_round.pk]
    )
    measures = Measure.objects.filter(round=letter_round)
    assert measures.count() == 9
    m = measures.get(text__startswith="清退违规发放的加班补贴")
    assert (m.leader_hint, m.department.name, m.cooperating_hint) == ("李红", "财务股", "审计股")
    detail = client.get(reverse("web:measure-detail", args=[m.pk])).content.decode()
    assert "配合单位" in detail and "审计股" in detail


def test_the_preview_shows_conflicts_with_what_is_already_set(personas, client_for):
    from tests.textparse.plans_text import REPORTED_LETTER

    r, _ = round_import(
        actor=personas.clerk, unit=personas.unit_a, data=REPORTED_LETTER.encode(), name="方案.txt"
    )
    revised = REPORTED_LETTER.replace(
        "（1）对2处违法占地依法拆除并复耕。\n责任领导：赵刚；责任部门：执法大队；完成时限：2025年12月31日。",
        "（1）对2处违法占地依法拆除并复耕。\n责任领导：赵刚；责任部门：执法大队；完成时限：2025年9月30日。\n"
        "（4）对违法占地责任人严肃追责。\n责任领导：赵刚；责任部门：执法大队；完成时限：2025年10月31日。",
    )
    client = client_for(personas.clerk)
    digest = _digest(_upload(client, r, "方案（修订）.txt", revised))
    html = client.get(reverse("web:round-import-preview", args=[r.pk, digest])).content.decode()
    conflicts = html[html.index('id="conflicts"') : html.index('id="matched"')]
    assert "完成时限已为2025年12月31日" in conflicts and "2025年9月30日" in conflicts


def test_a_notice_s_proposals_are_ticked_item_by_item_and_a_reviewed_measure_cannot_be(
    personas, letter_round, client_for
):
    from zhenggai.ledger import services
    from zhenggai.ledger.merge import round_merge_document

    round_merge_document(actor=personas.clerk, round=letter_round, data=PLAN.encode(), name="整改方案.txt")
    study = Measure.objects.filter(finding__title="党组理论学习中心组学习流于形式").order_by("position")
    waiting = study[0]
    services.progress_add(actor=personas.clerk, measure=waiting, text="正在落实")
    services.measure_submit(actor=personas.clerk, measure=waiting)
    land = list(Measure.objects.filter(finding__title="违法占用耕地问题整治不彻底").order_by("position"))

    client = client_for(personas.clerk)
    digest = _digest(_upload(client, letter_round, "通报.txt", NOTICE))
    html = client.get(reverse("web:round-import-preview", args=[letter_round.pk, digest])).content.decode()
    box = re.search(rf'<input[^>]*value="m{waiting.pk}"[^>]*>', html)
    assert box and "disabled" in box.group(0) and "checked" not in box.group(0)
    first = re.search(rf'<input[^>]*value="m{land[0].pk}"[^>]*>', html)
    assert first and "checked" in first.group(0)

    # The clerk keeps only the first land measure's proposal (and forges the blocked one).
    client.post(
        reverse("web:round-import-confirm", args=[letter_round.pk]),
        {"digest": digest, "apply": [f"m{land[0].pk}", f"m{waiting.pk}"]},
    )
    for m in (*land, waiting):
        m.refresh_from_db()
    assert [m.status for m in land] == ["pending_review", "not_started", "not_started"]
    assert waiting.status == "pending_review" and waiting.progress.count() == 1


def test_a_plan_that_matches_nothing_is_refused_by_name_and_changes_nothing(
    personas, letter_round, client_for
):
    client = client_for(personas.clerk)
    digest = _digest(_upload(client, letter_round, "民政局方案.txt", STRANGER_PLAN))
    html = client.get(reverse("web:round-import-preview", args=[letter_round.pk, digest])).content.decode()
    assert "无法导入" in html and "民政局方案.txt" in html and "确认导入</button>" not in html
    before = _state()
    response = client.post(reverse("web:round-import-confirm", args=[letter_round.pk]), {"digest": digest})
    assert response.status_code == 400
    assert "民政局方案.txt" in response.content.decode() and "对不上" in response.content.decode()
    assert _state() == before


def test_the_problem_page_shows_its_description_and_its_place_in_the_source_escaped(personas, client_for):
    letter = FEEDBACK.replace("调研报告质量不高", "调研报告<b>质量</b>不高")
    r, _ = round_import(actor=personas.clerk, unit=personas.unit_a, data=letter.encode(), name="反馈意见.txt")
    p = Finding.objects.get(round=r, title="学习成果转化不够")
    client = client_for(personas.viewer)
    html = client.get(reverse("web:problem-detail", args=[p.pk])).content.decode()
    assert "问题原文" in html
    assert "调研报告&lt;b&gt;质量&lt;/b&gt;不高" in html and "<b>质量</b>" not in html
    marked = re.search(r"<mark>(.*?)</mark>", html, re.S)
    assert marked and "学习成果转化不够" in marked.group(1)
    # The paragraph before it is shown too.
    assert "党组理论学习中心组学习流于形式" in html[: marked.start()]
    doc = SourceDocument.objects.get(round=r)
    link = reverse("web:round-document", args=[r.pk, doc.pk])
    assert link in html
    page = client.get(link, {"start": p.span_start, "end": p.span_end})
    text = page.content.decode()
    assert page.status_code == 200 and '<mark id="hit">' in text and "公务接待无公函" in text
    assert "&lt;b&gt;" in text


def test_the_document_page_and_the_round_import_are_not_for_another_unit(personas, letter_round, client_for):
    doc = SourceDocument.objects.get(round=letter_round)
    outsider = client_for(personas.outsider)
    assert outsider.get(reverse("web:round-document", args=[letter_round.pk, doc.pk])).status_code == 404
    assert outsider.get(reverse("web:round-import", args=[letter_round.pk])).status_code == 404
    other, _ = round_import(
        actor=personas.outsider, unit=personas.unit_b, data=FEEDBACK.encode(), name="反馈意见.txt"
    )
    # A document of another round, reached through this round's address, is not found either.
    clerk = client_for(personas.clerk)
    other_doc = SourceDocument.objects.get(round=other)
    assert clerk.get(reverse("web:round-document", args=[letter_round.pk, other_doc.pk])).status_code == 404
    assert clerk.get(reverse("web:round-document", args=[other.pk, other_doc.pk])).status_code == 404
    # Unit A's viewer sees the document but may not import into the round.
    viewer = client_for(personas.viewer)
    assert viewer.get(reverse("web:round-document", args=[letter_round.pk, doc.pk])).status_code == 200
    assert viewer.get(reverse("web:round-import", args=[letter_round.pk])).status_code == 403


def test_a_problem_labelled_above_the_reader_s_clearance_is_blanked_out_of_its_source(
    personas, letter_round, client_for
):
    """REQ-1.10 holds in the source too: the document page and the 原文 panel of a neighbouring
    problem blank out a problem the reader is not cleared for; a labelled problem whose words
    cannot be placed in the document keeps the whole document from the reader."""
    secret = Finding.objects.get(round=letter_round, title="学习成果转化不够")
    neighbour = Finding.objects.get(round=letter_round, title__startswith="党组理论学习中心组学习流于形式")
    # Labelled as the labels service would (covered in tests/labels); here only its effect counts.
    Finding.objects.filter(pk=secret.pk).update(sensitivity="sensitive")
    viewer = client_for(personas.viewer)
    html = viewer.get(reverse("web:problem-detail", args=[neighbour.pk])).content.decode()
    assert "问题原文" in html and "流于形式" in html
    assert "学习成果转化不够" not in html and "调研报告质量不高" not in html
    doc = SourceDocument.objects.get(round=letter_round)
    page = viewer.get(reverse("web:round-document", args=[letter_round.pk, doc.pk]))
    text = page.content.decode()
    assert page.status_code == 200 and "■■■" in text and "流于形式" in text
    assert "学习成果转化不够" not in text and "调研报告质量不高" not in text
    # The clerk's clearance is no higher: the same. A finding typed in, labelled, and the
    # document cannot be shown at all (its words may stand anywhere in it).
    Finding.objects.filter(pk=secret.pk).update(source=None)
    assert viewer.get(reverse("web:round-document", args=[letter_round.pk, doc.pk])).status_code == 404
    html = viewer.get(reverse("web:problem-detail", args=[neighbour.pk])).content.decode()
    assert "学习成果转化不够" not in html
