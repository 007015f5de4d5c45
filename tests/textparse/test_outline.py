"""Outlines of documents in the genre: feedback letters, plans as tables, notices in every style."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from zhenggai.textparse.model import Finding, ParseResult, iter_findings
from zhenggai.textparse.parse import parse_document, parse_text
from zhenggai.textparse.reader import read_bytes

from .builders import make_docx, make_html, make_pdf
from .genre import FEEDBACK, NOTICE_MIXED, NOTICE_PARAGRAPHS, PLAN_BLOCKS


def tree(r: ParseResult) -> list[tuple]:
    """(kind, number, title, measure count) in document order, with depth."""
    out: list[tuple] = []

    def visit(f: Finding, depth: int) -> None:
        out.append((depth, f.kind, f.number, f.title, len(f.measures)))
        for c in f.children:
            visit(c, depth + 1)

    for f in r.findings:
        visit(f, 0)
    return out


def counts(r: ParseResult) -> tuple[int, int, int, int]:
    c = r.counts
    return c.categories, c.issues, c.problems, c.measures


def test_a_feedback_letter_reads_as_categories_issues_and_problems_without_measures():
    r = parse_text(FEEDBACK)
    assert r.doc_type == "feedback"
    assert counts(r) == (2, 4, 6, 0)
    assert tree(r)[:3] == [
        (0, "category", "一", "贯彻落实党的路线方针政策和党中央决策部署方面", 0),
        (1, "issue", "一", "理论学习不够深入", 0),
        (2, "problem", "1", "中心组学习流于形式", 0),
    ]
    assert [s.kind for s in r.sections] == ["findings", "findings", "other"]
    i = r.inspection
    assert (i.inspecting_group, i.inspected_unit) == ("县委第二巡察组", "城关镇党委")
    assert (i.period_start, i.period_end, i.feedback_date) == (
        dt.date(2023, 4, 10),
        dt.date(2023, 6, 9),
        dt.date(2023, 7, 20),
    )
    assert r.signature == "县委第二巡察组"
    assert r.signed_date is not None and r.signed_date.value == dt.date(2023, 7, 20)


def test_a_plan_written_as_a_docx_table_gives_problems_measures_owners_and_deadlines():
    r = parse_document(read_bytes(make_docx(PLAN_BLOCKS), "plan.docx"))
    assert r.doc_type == "plan"
    assert r.title == "中共某某县市场监督管理局党组关于县委第一巡察组反馈意见的整改工作方案"
    assert counts(r) == (2, 0, 3, 6)
    assert [(d, k, t, n) for d, k, _, t, n in tree(r)] == [
        (0, "category", "党的领导方面", 0),
        (1, "problem", "理论学习不深入", 3),
        (1, "problem", "意识形态工作责任制落实不到位", 1),
        (0, "category", "廉洁纪律方面", 0),
        (1, "problem", "违规发放津补贴", 2),
    ]
    first = r.findings[0].children[0]
    m1, m2, m3 = first.measures
    assert m1.text.startswith("制定年度学习计划")
    assert m2.text.startswith("每月开展集中学习")
    assert m1.responsible is not None
    assert (m1.responsible.leader, m1.responsible.department, m1.responsible.person) == (
        "张明",
        "办公室",
        "李华",
    )
    assert m1.deadline is not None and m1.deadline.value == dt.date(2024, 8, 31)
    assert m3.responsible is not None and m3.responsible.person == "王芳"
    assert m3.responsible.leader == "张明"  # merged down from the row above
    assert m3.deadline is not None and m3.deadline.value == dt.date(2024, 9, 30)
    ideology = r.findings[0].children[1].measures[0]
    assert ideology.deadline is not None and ideology.deadline.kind == "long_term"
    assert ideology.documents[0].established
    refund, rule = r.findings[1].children[0].measures
    assert refund.deadline is not None and refund.deadline.kind == "immediate"
    assert refund.amounts[0].yuan == Decimal("45000.00")
    assert rule.deadline is not None and rule.deadline.value == dt.date(2024, 10, 31)
    assert r.inspection.feedback_date == dt.date(2024, 7, 15)


def test_a_notice_saved_from_a_government_site_reads_through_the_page_chrome():
    page = make_html(NOTICE_PARAGRAPHS[0], NOTICE_PARAGRAPHS[1:])
    r = parse_document(read_bytes(page, "notice.html"))
    assert r.doc_type == "progress_notice"
    assert r.title == NOTICE_PARAGRAPHS[0]
    assert counts(r) == (2, 0, 3, 8)
    assert [f.title for f in r.findings] == ["落实全面从严治党主体责任不到位", "医疗服务领域不正之风"]
    assert [s.kind for s in r.sections] == ["organisation", "findings", "next_steps"]
    i = r.inspection
    assert i.inspecting_group == "七届市委第十二轮巡察一组"
    assert (i.period_start, i.period_end) == (dt.date(2023, 8, 21), dt.date(2023, 9, 30))
    assert i.feedback_date == dt.date(2023, 11, 10)
    ch = r.feedback_channels
    assert (ch.phone, ch.address, ch.email) == ("0551-62881234", "某某市人民路8号", "wjwzg@163.com")
    second = r.findings[0].children[1].measures
    assert [m.text[:6] for m in second] == ["开展警示教育", "对3名同志进"]
    actions = [(a.action, a.count) for a in second[1].accountability]
    assert actions == [("诫勉谈话", 3), ("党纪政务处分", 0)]
    third = r.findings[1].children[0].measures
    assert [m.status_hint for m in third][2] == "in_progress"
    assert r.signature == "中共某某市卫生健康委员会党组"


def test_a_notice_as_a_pdf_with_wrapped_lines_reads_the_same_as_its_text():
    pdf = parse_document(read_bytes(make_pdf(NOTICE_PARAGRAPHS), "notice.pdf"))
    txt = parse_text("\n".join(NOTICE_PARAGRAPHS))
    assert counts(pdf) == counts(txt) == (2, 0, 3, 8)
    assert [f.title for f in pdf.findings] == [f.title for f in txt.findings]


def test_four_levels_with_full_width_markers_circled_numbers_and_inline_lists():
    r = parse_text(NOTICE_MIXED)
    assert counts(r) == (2, 3, 4, 9)
    assert [(d, k, t, n) for d, k, _, t, n in tree(r)] == [
        (0, "category", "政治建设方面", 0),
        (1, "issue", "学习贯彻不到位", 0),
        (2, "problem", "学习制度不健全", 2),
        (2, "problem", "学习效果不明显", 3),
        (1, "issue", "意识形态工作薄弱", 0),
        (2, "problem", "阵地管理不严", 3),
        (0, "category", "作风建设方面", 0),
        (1, "issue", "文山会海问题突出", 0),
        (2, "problem", "会议过多", 1),
    ]
    assert r.findings[0].children[0].number == "1"  # numbers are given in half-width digits


NUMBERING_STYLES = [
    ("一、", "（一）", "1."),
    ("一、", "(一)", "1、"),
    ("一、", "（一）", "１．"),
    ("一、", "1.", "(1)"),
    ("一、", "1.", "（1）"),
    ("一、", "1.", "1)"),
    ("(一)", "1.", "①"),
    ("一.", "（一）", "1、"),
]


def _marker(style: str, n: int) -> str:
    cn = "一二三四五六七八九十"[n - 1]
    circled = "①②③④⑤⑥⑦⑧⑨⑩"[n - 1]
    full = "０１２３４５６７８９"[n]
    return style.replace("一", cn).replace("①", circled).replace("１", full).replace("1", str(n))


@pytest.mark.parametrize(("l1", "l2", "l3"), NUMBERING_STYLES)
def test_each_numbering_style_and_mixture_builds_the_same_three_level_tree(l1, l2, l3):
    lines = ["关于巡察整改进展情况的通报", ""]
    for a in (1, 2):
        lines.append(f"{_marker(l1, a)}第{a}方面存在的不足")
        for b in (1, 2):
            lines.append(f"{_marker(l2, b)}第{a}{b}类问题")
            for c in (1, 2):
                lines.append(f"{_marker(l3, c)}针对第{a}{b}{c}个具体问题")
                lines.append("一是2022年3月1日制定了制度；二是开展了培训2次。")
    r = parse_text("\n".join(lines))
    assert counts(r) == (2, 4, 8, 16)
    leaf = r.findings[1].children[1].children[1]
    assert (leaf.kind, leaf.title) == ("problem", "第222个具体")  # 针对…问题 given as stated
    assert not [d for d in r.diagnostics if d.code.startswith("numbering")]


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("关于“干部选拔任用不规范”问题的整改情况", "干部选拔任用不规范"),
        ("关于“三重一大”制度执行不严格的问题", "“三重一大”制度执行不严格"),
        ("针对公务用车管理不规范问题", "公务用车管理不规范"),
        ("反馈问题三：关于“基层党组织建设薄弱”的问题", "基层党组织建设薄弱"),
        ("（三）关于会议费管理不规范问题的整改", "会议费管理不规范"),
    ],
)
def test_headings_of_the_genre_give_the_problem_as_stated(heading, title):
    text = (
        f"关于巡察整改情况的通报\n\n二、问题整改情况\n{heading}\n整改情况：一是已完成整改；二是建立了台账。\n"
    )
    r = parse_text(text)
    assert [p.title for p in _leaves(r)] == [title]
    assert r.counts.measures == 2


def _leaves(r: ParseResult) -> list[Finding]:
    return [f for f in iter_findings(r.findings) if not f.children]


@pytest.mark.parametrize(
    ("body", "starts"),
    [
        ("一是建立台账；二是开展培训；三是完成整改。", ["建立台账", "开展培训", "完成整改"]),
        ("第一，建立台账；第二，开展培训。", ["建立台账", "开展培训"]),
        ("首先，建立台账；其次，开展培训；最后，完成整改。", ["建立台账", "开展培训", "完成整改"]),
        ("整改措施：一、建立台账；二、开展培训；三、完成整改。", ["建立台账", "开展培训", "完成整改"]),
        ("（1）建立台账；（2）开展培训。", ["建立台账", "开展培训"]),
        ("①建立台账；②开展培训。", ["建立台账", "开展培训"]),
        ("将集中学习作为第一议题，共开展学习3次。", ["将集中学习作为第一议题"]),
        ("已建立台账。\n已开展培训。", ["已建立台账", "已开展培训"]),
    ],
)
def test_inline_enumerations_split_a_body_into_measures(body, starts):
    text = f"关于巡察整改情况的通报\n\n一、问题整改情况\n（一）针对台账管理不规范问题\n{body}\n"
    r = parse_text(text)
    ms = r.findings[0].measures
    assert [m.text[: len(s)] for m, s in zip(ms, starts, strict=False)] == starts
    assert len(ms) == len(starts)


def test_sections_that_are_not_findings_are_kept_as_sections():
    r = parse_text(NOTICE_MIXED)
    assert [(s.number, s.title, s.kind) for s in r.sections] == [
        ("一", "整改工作开展情况", "organisation"),
        ("二", "具体问题整改情况", "findings"),
        ("三", "建立长效机制", "long_term"),
    ]


def test_a_text_plan_with_responsibility_lines_attaches_them_to_the_measures():
    text = """某某局巡察整改工作方案

一、整改任务
（一）理论学习不深入的问题
整改措施：一是制定学习计划；二是开展专题学习。
责任领导：张明；责任部门：办公室；责任人：李华；完成时限：2024年6月底
（二）违规发放补贴的问题
整改措施：清退违规发放的补贴。
责任领导：刘伟  责任部门：财务科  完成时限：立行立改
"""
    r = parse_text(text)
    assert r.doc_type == "plan"
    assert counts(r) == (0, 0, 2, 3)
    a, b = r.findings[0].measures
    assert a.responsible is not None and a.responsible.person == "李华"
    assert b.deadline is not None and b.deadline.value == dt.date(2024, 6, 30)
    assert "责任领导" not in b.text
    c = r.findings[1].measures[0]
    assert c.responsible is not None and c.responsible.department == "财务科"
    assert c.deadline is not None and c.deadline.kind == "immediate"


def test_numbered_sentences_under_a_problem_are_its_measures_not_sub_problems():
    text = """关于巡察整改情况的通报

二、整改落实情况
（一）公务接待不规范的问题
1.已对2021年以来的公务接待进行全面清理，清退超标准费用3200元。
2.修订了《公务接待管理办法》，明确接待标准和审批程序。
3.组织全体干部学习中央八项规定精神，开展警示教育1次。
"""
    r = parse_text(text)
    assert counts(r) == (0, 0, 1, 3)
    assert r.findings[0].measures[1].documents[0].title == "公务接待管理办法"


def test_the_opening_year_carries_to_a_feedback_date_without_a_year():
    r = parse_text(PLAN_TEXT_OPENING)
    assert r.inspection.feedback_date == dt.date(2024, 7, 15)


PLAN_TEXT_OPENING = (
    "关于巡察整改进展情况的通报\n\n"
    "根据县委统一部署，2024年3月4日至5月8日，县委第一巡察组对县市场监督管理局开展了常规巡察，"
    "7月15日反馈了巡察意见。\n"
)


def test_traditional_characters_are_read_as_they_are():
    text = (
        "關於巡察整改進展情況的通報\n\n二、問題整改情況\n（一）針對學習不深入問題\n"
        "一是2022年3月15日制定了《學習計劃》；二是開展了集中學習。\n"
    )
    r = parse_text(text)
    assert r.counts.problems == 1
    assert r.counts.measures == 2
    assert _leaves(r)[0].measures[0].documents[0].title == "學習計劃"
