"""The round grows document by document (issue 10): a feedback letter begins the round, its plan
adds measures with their responsibility and deadlines to the problems it matches, a progress
notice proposes progress item by item, never over a reviewed state; each import is one audited
event that names the document it kept."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from tests.textparse.builders import make_docx
from tests.textparse.plans_text import REPORTED_LETTER
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput
from zhenggai.ledger import services
from zhenggai.ledger.imports import import_preview, round_import
from zhenggai.ledger.matching import Candidate, match, title_similarity
from zhenggai.ledger.merge import _proposal_for, merge_preview, round_merge_document
from zhenggai.ledger.models import Amendment, Finding, Measure, MeasureKind, Progress, Round, SourceDocument

FEEDBACK = """县委第二巡察组关于巡察县自然资源局党组的反馈意见

2025年3月10日至5月20日，县委第二巡察组对县自然资源局党组开展了常规巡察，并于2025年7月8日反馈了巡察意见。
一、贯彻落实党的路线方针政策和党中央决策部署方面
（一）理论学习不够深入
1.党组理论学习中心组学习流于形式。2024年仅开展集中学习4次，未达到规定次数。
2.学习成果转化不够。调研报告质量不高，对推动工作作用不明显。
（二）耕地保护责任落实不到位
1.违法占用耕地问题整治不彻底。2处违法占地至今未拆除。
二、落实全面从严治党责任方面
（一）财务管理不规范
1.违规发放津补贴。2023年以来违规发放加班补贴共计3.6万元。
2.公务接待不规范。抽查发现3次公务接待无公函。
"""

# The plan of the same letter, reworded as plans are: a word added to one title, another in
# the 关于…的问题 frame, a 配合单位 on one measure.
PLAN = (
    REPORTED_LETTER.replace("2.学习成果转化不够。", "2.学习成果转化运用不够。")
    .replace("1.违规发放津补贴。", "1.关于违规发放津补贴的问题。")
    .replace(
        "责任领导：李红；责任部门：财务股；完成时限：2025年12月31日。\n（2）修订",
        "责任领导：李红；责任部门：财务股；配合单位：审计股；完成时限：2025年12月31日。\n（2）修订",
        1,
    )
)

NOTICE = """关于县委第二巡察组反馈意见整改进展情况的通报

2025年3月10日至5月20日，县委第二巡察组对县自然资源局党组开展了巡察，并于2025年7月8日反馈了巡察意见。
一、整改工作的组织领导
局党组高度重视巡察反馈问题整改工作，成立整改工作领导小组。
二、巡察反馈问题的整改落实情况
（一）贯彻落实党的路线方针政策和党中央决策部署方面
1.关于党组理论学习中心组学习流于形式的问题
整改情况：一是已制定党组理论学习中心组年度学习计划，每月开展集中学习，已完成整改；二是建立学习考勤和通报制度，已完成整改。
2.关于违法占用耕地问题整治不彻底的问题
整改情况：一是已对2处违法占地依法拆除并复耕，已完成整改；二是耕地保护动态巡查机制正在建立，持续推进。
三、下一步工作打算
持续巩固整改成果。
"""

# A plan of another unit's round: nothing in it is a problem of this round.
STRANGER_PLAN = """县民政局巡察整改方案

一、社会救助方面
（一）低保审核把关不严
整改措施：
（1）对全县低保对象开展一次全面核查。
责任领导：冯涛；责任部门：社会救助股；完成时限：2025年10月31日。
（二）临时救助发放不及时
整改措施：
（1）简化临时救助审批流程。
责任领导：冯涛；责任部门：社会救助股；完成时限：2025年11月30日。
"""


def _state() -> tuple[int, int, int, int, int]:
    return (
        Round.objects.count(),
        Finding.objects.count(),
        Measure.objects.count(),
        SourceDocument.objects.count(),
        Progress.objects.count(),
    )


@pytest.fixture
def letter_round(personas: Any) -> Round:
    r, created = round_import(
        actor=personas.clerk, unit=personas.unit_a, data=FEEDBACK.encode(), name="反馈意见.txt"
    )
    assert created
    return r


def _merge(personas: Any, r: Round, text: str, name: str, **kw: Any) -> tuple[Any, bool]:
    return round_merge_document(actor=personas.clerk, round=r, data=text.encode(), name=name, **kw)


def _problem(r: Round, title: str) -> Finding:
    return Finding.objects.get(round=r, kind="problem", title=title)


# --- matching ------------------------------------------------------------------------------------


def test_titles_match_through_small_changes_of_wording_and_the_about_the_problem_frame():
    assert title_similarity("学习成果转化不够", "学习成果转化运用不够") >= 0.8
    assert title_similarity("违规发放津补贴", "关于违规发放津补贴的问题") == 1.0
    assert title_similarity("公務接待不規範", "公务接待不规范") == 1.0  # traditional forms
    assert title_similarity("违规发放津补贴", "护林员管理松散") < 0.3


def test_the_same_numbers_match_a_loosely_agreeing_title_but_never_a_disagreeing_one():
    ours = [
        Candidate(("一", "（一）", "1."), "学习成果转化不够到位", "a"),
        Candidate(("二", "1."), "违规发放津补贴", "b"),
    ]
    theirs = [
        Candidate(("1", "1", "1"), "学习转化成果不到位", "x"),
        Candidate(("2", "1"), "护林员管理松散", "y"),
    ]
    result = match(ours, theirs)
    assert [(p.ours.item, p.theirs.item, p.by_number) for p in result.pairs] == [("a", "x", True)]
    assert [t.item for t in result.unmatched] == ["y"]
    assert [o.item for o in result.unmentioned] == ["b"]
    assert [(o.item, t.item) for o, t in result.number_only] == [("b", "y")]


# --- the first document keeps its text ------------------------------------------------------------


def test_the_first_import_keeps_the_document_and_each_problem_its_description_and_place(letter_round):
    doc = SourceDocument.objects.get(round=letter_round)
    assert (doc.kind, doc.name, doc.text_sha256) == (
        "feedback",
        "反馈意见.txt",
        letter_round.source_text_sha256,
    )
    p = _problem(letter_round, "党组理论学习中心组学习流于形式")
    assert p.description == "2024年仅开展集中学习4次，未达到规定次数。"
    assert p.source_id == doc.pk
    assert "党组理论学习中心组学习流于形式" in doc.text[p.span_start : p.span_end]
    event = AuditEvent.objects.get(action="round.import", object_id=str(letter_round.pk))
    assert event.after["document"] == doc.pk


# --- a plan into the round -----------------------------------------------------------------------


def test_the_plan_preview_matches_every_problem_despite_rewording_and_changes_nothing(personas, letter_round):
    before = _state()
    preview = merge_preview(actor=personas.clerk, round=letter_round, data=PLAN.encode(), name="整改方案.txt")
    assert preview.kind == "plan"
    assert [m.finding.title for m in preview.matches] == [
        "党组理论学习中心组学习流于形式",
        "学习成果转化不够",
        "违法占用耕地问题整治不彻底",
        "违规发放津补贴",
        "公务接待不规范",
    ]
    assert preview.counts["measures_added"] == 11
    assert preview.unmatched == [] and preview.unmentioned == [] and preview.conflicts == []
    assert _state() == before


def test_confirming_the_plan_adds_measures_with_responsibility_deadlines_and_their_source(
    personas, letter_round
):
    doc, imported = _merge(personas, letter_round, PLAN, "整改方案.txt")
    assert imported and doc.kind == "plan"
    added = Measure.objects.filter(round=letter_round).order_by("finding__position", "position")
    assert added.count() == 11
    first = added.first()
    assert (first.leader_hint, first.department_hint, first.department.name) == ("王建国", "办公室", "办公室")
    assert first.suggested_deadline == dt.date(2025, 12, 31)
    assert first.source_id == doc.pk
    assert "制定党组理论学习中心组年度学习计划" in doc.text[first.span_start : first.span_end]
    allowance = added.get(text__startswith="清退违规发放的加班补贴")
    assert allowance.cooperating_hint == "审计股"
    # The problems keep the letter's text and place.
    assert _problem(letter_round, "违规发放津补贴").source.kind == "feedback"
    event = AuditEvent.objects.get(action="round.import_document")
    assert event.object_id == str(doc.pk) and event.after["document"] == doc.pk
    assert len(event.after["measures"]) == 11


def test_a_second_confirmation_of_the_same_plan_imports_nothing_again(personas, letter_round):
    _merge(personas, letter_round, PLAN, "整改方案.txt")
    before = _state()
    doc, imported = _merge(personas, letter_round, PLAN.replace("\n", "\r\n"), "整改方案（另存）.txt")
    assert not imported and doc is not None
    assert _state() == before


def test_a_plan_whose_problems_match_nothing_is_refused_by_name_and_changes_nothing(personas, letter_round):
    before = _state()
    events = AuditEvent.objects.count()
    with pytest.raises(InvalidInput, match=r"民政局方案\.txt.*对不上"):
        _merge(personas, letter_round, STRANGER_PLAN, "民政局方案.txt")
    assert _state() == before and AuditEvent.objects.count() == events


def test_unmatched_problems_and_unmentioned_ones_are_shown(personas, letter_round):
    partial = PLAN.replace("2.公务接待不规范。", "2.差旅费报销审核不严。")
    preview = merge_preview(actor=personas.clerk, round=letter_round, data=partial.encode(), name="方案.txt")
    assert [t for _, t in preview.unmatched] == ["差旅费报销审核不严"]
    assert [f.title for f in preview.unmentioned] == ["公务接待不规范"]
    # The same number, a title that disagrees: shown, never matched.
    assert [(f.title, t) for f, t in preview.number_only] == [("公务接待不规范", "差旅费报销审核不严")]


def test_a_deadline_or_owner_already_set_is_a_conflict_and_stays(personas):
    r, _ = round_import(
        actor=personas.clerk, unit=personas.unit_a, data=REPORTED_LETTER.encode(), name="方案.txt"
    )
    m = Measure.objects.get(round=r, text__startswith="对2处违法占地")
    assert m.suggested_deadline == dt.date(2025, 12, 31)
    revised = REPORTED_LETTER.replace(
        "（1）对2处违法占地依法拆除并复耕。\n责任领导：赵刚；责任部门：执法大队；完成时限：2025年12月31日。",
        "（1）对2处违法占地依法拆除并复耕。\n责任领导：钱明；责任部门：执法大队；完成时限：2025年9月30日。\n"
        "（4）对违法占地责任人严肃追责。\n责任领导：赵刚；责任部门：执法大队；完成时限：2025年10月31日。",
    )
    preview = merge_preview(actor=personas.clerk, round=r, data=revised.encode(), name="方案（修订）.txt")
    messages = [c for _, c in preview.conflicts]
    assert any("完成时限已为2025年12月31日" in c and "2025年9月30日" in c for c in messages)
    assert any("责任领导已为“赵刚”" in c and "钱明" in c for c in messages)
    assert preview.counts["measures_added"] == 1
    _merge(personas, r, revised, "方案（修订）.txt")
    m.refresh_from_db()
    assert (m.suggested_deadline, m.leader_hint) == (dt.date(2025, 12, 31), "赵刚")
    assert Measure.objects.filter(round=r, text__startswith="对违法占地责任人严肃追责").exists()


def test_after_the_plan_is_signed_the_plan_s_measures_are_amendments(personas, letter_round):
    p = _problem(letter_round, "公务接待不规范")
    services.measure_create(
        actor=personas.clerk, finding=p, text="严格执行公务接待公函制度", kind=MeasureKind.LONG_TERM
    )
    services.plan_sign(actor=personas.leader, round=letter_round)
    assert Amendment.objects.count() == 0
    _merge(personas, letter_round, PLAN, "整改方案.txt")
    # The measure already there is not added twice; the ten others are amendments.
    assert Measure.objects.filter(finding=p).count() == 2
    rows = Amendment.objects.filter(round=letter_round)
    assert rows.filter(description="导入整改方案新增整改措施").count() == 10
    assert rows.filter(description="导入整改方案补充责任信息").count() == 1


# --- a progress notice into the round -------------------------------------------------------------


@pytest.fixture
def planned_round(personas: Any, letter_round: Round) -> Round:
    _merge(personas, letter_round, PLAN, "整改方案.txt")
    return letter_round


def test_notice_proposals_are_never_applied_over_a_reviewed_state(personas, planned_round):
    clerk = personas.clerk
    study = Measure.objects.filter(
        finding=_problem(planned_round, "党组理论学习中心组学习流于形式")
    ).order_by("position")
    waiting, approved = study
    for m in study:
        services.progress_add(actor=clerk, measure=m, text="正在落实")
        services.measure_submit(actor=clerk, measure=m)
    services.measure_review(actor=personas.leader, measure=approved, decision="approve")
    land = list(
        Measure.objects.filter(finding=_problem(planned_round, "违法占用耕地问题整治不彻底")).order_by(
            "position"
        )
    )

    preview = merge_preview(actor=clerk, round=planned_round, data=NOTICE.encode(), name="通报.txt")
    assert preview.kind == "notice" and preview.counts["measures_added"] == 0
    by_measure = {p.measure.pk: p for p in preview.proposals}
    assert by_measure[waiting.pk].blocked and not by_measure[waiting.pk].checked
    assert by_measure[approved.pk].blocked and not by_measure[approved.pk].checked
    assert by_measure[land[0].pk].checked and by_measure[land[0].pk].action == "submit"
    assert by_measure[land[1].pk].checked and by_measure[land[1].pk].action == "progress"

    # Ticking a blocked proposal changes nothing either.
    keys = [p.key for p in preview.proposals]
    _merge(personas, planned_round, NOTICE, "通报.txt", apply=keys)
    waiting.refresh_from_db()
    approved.refresh_from_db()
    assert (waiting.status, approved.status) == ("pending_review", "done")
    assert waiting.progress.count() == approved.progress.count() == 1
    for m in land:
        m.refresh_from_db()
    assert [m.status for m in land] == ["pending_review", "in_progress", "in_progress"]
    assert "已对2处违法占地依法拆除并复耕" in land[0].progress.get().text


def test_unticked_proposals_are_not_applied(personas, planned_round):
    before = Progress.objects.count()
    doc, imported = _merge(personas, planned_round, NOTICE, "通报.txt", apply=[])
    assert imported and doc.kind == "notice"
    assert Progress.objects.count() == before
    assert AuditEvent.objects.filter(action="round.import_document", object_id=str(doc.pk)).count() == 1


def test_a_stage_done_measure_is_proposed_unticked_and_a_closed_problem_never():
    stage = _proposal_for(
        "m1", "stage_done", "持续推进", "in_progress", closed=False, measure=None, addition=None
    )
    assert stage is not None and not stage.checked and not stage.blocked
    closed = _proposal_for("m2", "in_progress", "已完成", "done", closed=True, measure=None, addition=None)
    assert closed is not None and closed.blocked and not closed.checked


def test_a_notice_into_a_round_without_measures_adds_them_and_proposes_their_progress(personas, letter_round):
    doc, _ = _merge(personas, letter_round, NOTICE, "通报.txt")
    added = list(Measure.objects.filter(source=doc).order_by("finding__position", "position"))
    assert len(added) == 4
    assert [m.status for m in added] == ["in_progress", "pending_review", "pending_review", "in_progress"]


# --- the same document in another format ----------------------------------------------------------


def test_a_plan_imported_into_a_round_is_recognised_in_another_format(personas, letter_round):
    lines = PLAN.rstrip("\n").split("\n")
    doc, _ = round_merge_document(
        actor=personas.clerk, round=letter_round, data=make_docx(lines), name="整改方案.docx"
    )
    before = _state()
    preview = import_preview(data=PLAN.encode(), name="整改方案.txt", unit=personas.unit_a)
    assert preview.existing == letter_round and preview.existing_document == doc
    assert not preview.same_file and preview.existing_name == "整改方案.docx"
    again, created = round_import(
        actor=personas.clerk, unit=personas.unit_a, data=PLAN.encode(), name="整改方案.txt"
    )
    assert (again.pk, created) == (letter_round.pk, False)
    assert merge_preview(actor=personas.clerk, round=letter_round, data=PLAN.encode(), name="x.txt").already
    assert _state() == before
