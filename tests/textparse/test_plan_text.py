"""Plans written as text: measures under their problem, each with its responsibility and deadline."""

from __future__ import annotations

import datetime as dt

import pytest

from zhenggai.textparse.lint import CODES, lint
from zhenggai.textparse.model import Finding, Measure, ParseResult, iter_findings
from zhenggai.textparse.parse import parse_document, parse_text
from zhenggai.textparse.reader import read_bytes
from zhenggai.textparse.serialize import dump_result, load_result, parse_json

from .builders import make_docx, make_html, make_pdf
from .genre import FEEDBACK, NOTICE_MIXED, NOTICE_PARAGRAPHS
from .plans_text import (
    PLAN_INHERITED,
    PLAN_LABELLED,
    PLAN_NO_LABEL,
    PLAN_SAME_NUMBERS,
    PLAN_SHARED,
    PLAN_SHIFTED,
    PLAN_STYLES,
    PLAN_UNATTACHED,
    REPORTED_LETTER,
    REPORTED_LETTER_SHI,
    REPORTED_TREE,
)

NEW_CODES = {"plan-no-measures", "responsibility-unattached", "levels-shifted"}


def tree(r: ParseResult) -> list[tuple]:
    out: list[tuple] = []

    def visit(f: Finding, depth: int) -> None:
        out.append((depth, f.kind, f.title, len(f.measures)))
        for c in f.children:
            visit(c, depth + 1)

    for f in r.findings:
        visit(f, 0)
    return out


def problems(r: ParseResult) -> list[Finding]:
    return [f for f in iter_findings(r.findings) if f.kind == "problem"]


def resp(m: Measure) -> tuple[str | None, str | None, str | None, str | None]:
    assert m.responsible is not None, m.text
    r = m.responsible
    return r.leader, r.department, r.cooperating, r.person


def deadline(m: Measure) -> tuple[str, dt.date | None]:
    assert m.deadline is not None, m.text
    return m.deadline.kind, m.deadline.value


def codes(r: ParseResult) -> set[str]:
    return {d.code for d in r.diagnostics}


def spans_point_at_their_text(r: ParseResult) -> None:
    for f in iter_findings(r.findings):
        for m in f.measures:
            assert r.text[m.span[0] : m.span[1]] == m.text
            assert f.span[0] <= m.span[0] < m.span[1] <= f.span[1]
            assert "责任" not in m.text and "时限" not in m.text, m.text


@pytest.mark.parametrize("text", [REPORTED_LETTER, REPORTED_LETTER_SHI], ids=["paren", "yishi"])
def test_the_reported_letter_gives_eleven_measures_under_their_problems(text):
    r = parse_text(text)
    assert r.doc_type == "plan"
    c = r.counts
    assert (c.categories, c.issues, c.problems, c.measures) == (2, 3, 5, 11)
    assert tree(r) == REPORTED_TREE
    first = problems(r)[0].measures
    assert [m.text for m in first] == [
        "制定党组理论学习中心组年度学习计划，每月至少开展集中学习1次。",
        "建立学习考勤和通报制度，对无故缺席的进行通报。",
    ]
    assert [m.ordinal for m in first] == [1, 2]
    spans_point_at_their_text(r)


@pytest.mark.parametrize("text", [REPORTED_LETTER, REPORTED_LETTER_SHI], ids=["paren", "yishi"])
def test_each_measure_of_the_reported_letter_carries_its_own_leader_department_and_deadline(text):
    r = parse_text(text)
    got = [(resp(m)[:2], deadline(m)) for p in problems(r) for m in p.measures]
    end = ("date", dt.date(2025, 12, 31))
    assert got == [
        (("王建国", "办公室"), end),
        (("王建国", "办公室"), end),
        (("王建国", "办公室"), end),
        (("王建国", "人事股"), end),
        (("赵刚", "执法大队"), end),
        (("赵刚", "执法大队"), end),
        (("赵刚", "耕地保护股"), end),
        (("李红", "财务股"), end),
        (("李红", "财务股"), end),
        (("李红", "办公室"), end),
        (("李红", "办公室"), end),
    ]
    assert not codes(r) & NEW_CODES


def test_the_problem_statement_before_the_label_is_not_a_measure():
    r = parse_text(REPORTED_LETTER)
    texts = [m.text for p in problems(r) for m in p.measures]
    assert len(texts) == 11
    assert not [t for t in texts if "未达到规定次数" in t or "2处违法占地至今" in t]


def test_every_measure_style_and_responsibility_synonym_is_read():
    r = parse_text(PLAN_STYLES)
    assert r.doc_type == "plan"
    assert [(t, n) for d, k, t, n in tree(r) if k == "problem"] == [
        ("意识形态工作责任制落实不到位", 2),
        ("理论学习成果转化不够", 2),
        ("项目招投标监管不严", 2),
        ("工程款拨付不规范", 2),
        ("质量监督检查流于形式", 2),
    ]
    ideology, study, bidding, payment, quality = (p.measures for p in problems(r))
    # （1）（2）, fields in two orders, 牵头领导 and 责任单位
    assert [m.text for m in ideology] == ["每半年专题研究意识形态工作1次。", "建立网络舆情研判机制。"]
    assert resp(ideology[0]) == ("陈志远", "办公室", None, "刘洋")
    assert resp(ideology[1]) == ("陈志远", "办公室", None, "刘洋")
    assert deadline(ideology[0]) == ("date", dt.date(2025, 12, 31))
    assert deadline(ideology[1]) == ("date", dt.date(2026, 3, 31))
    # 1. 2., one field a line, 分管领导, 牵头单位, 配合单位, 具体责任人, 长期坚持; 牵头部门, 时间节点
    assert [m.text for m in study] == ["每季度开展一次学习成果交流。", "将学习情况纳入干部年度考核。"]
    assert resp(study[0]) == ("周敏", "人事股", "办公室、机关党委", "孙丽")
    assert deadline(study[0]) == ("long_term", None)
    assert resp(study[1]) == (None, "人事股", None, "孙丽")
    assert deadline(study[1]) == ("date", dt.date(2025, 11, 30))
    # ①②, 完成时间
    assert [m.text for m in bidding] == [
        "对2023年以来的项目招投标资料逐一复查。",
        "修订《水利工程招投标管理办法》。",
    ]
    assert resp(bidding[0]) == ("马骏", "规划建设股", "财务股", None)
    assert deadline(bidding[0]) == ("date", dt.date(2025, 10, 31))
    assert resp(bidding[1]) == ("马骏", "规划建设股", None, None)
    assert bidding[1].documents[0].title == "水利工程招投标管理办法"
    # 一是…二是… on one line: the line after it applies to both; 立行立改
    assert [m.text[:6] for m in payment] == ["对超付的工程", "建立工程款拨"]
    assert [resp(m) for m in payment] == [("马骏", "财务股", None, "吴静")] * 2
    assert [deadline(m) for m in payment] == [("immediate", None)] * 2
    assert payment[0].amounts[0].text == "12.5万元"
    # 一是…二是… a line each, each with its own line
    assert [m.text for m in quality] == ["制定质量监督检查计划。", "对在建项目开展全覆盖检查。"]
    assert resp(quality[0]) == ("马骏", "质量监督站", None, None)
    assert resp(quality[1]) == ("马骏", "质量监督站", "规划建设股", None)
    assert [deadline(m)[1] for m in quality] == [dt.date(2025, 9, 30), dt.date(2025, 12, 31)]
    spans_point_at_their_text(r)
    assert not codes(r) & NEW_CODES


def test_responsibility_written_once_for_a_problem_applies_to_each_of_its_measures():
    r = parse_text(PLAN_SHARED)
    party, cadres = (p.measures for p in problems(r))
    assert len(party) == 3
    assert [resp(m) for m in party] == [("黄涛", "机关党委", None, "许婷")] * 3
    assert [deadline(m) for m in party] == [("date", dt.date(2025, 12, 31))] * 3
    # Lines before the measures apply to all of them; a measure's own line wins.
    assert [m.text[:5] for m in cadres] == ["严格执行干", "对2022"]
    assert [resp(m) for m in cadres] == [("黄涛", "人事股", None, None)] * 2
    assert [deadline(m) for m in cadres] == [("long_term", None), ("date", dt.date(2025, 10, 31))]
    spans_point_at_their_text(r)
    assert not codes(r) & NEW_CODES


def test_measures_numbered_like_the_problems_stay_under_their_problem():
    r = parse_text(PLAN_SAME_NUMBERS)
    assert tree(r) == [
        (0, "category", "生态保护方面", 0),
        (1, "issue", "森林资源管护不到位", 0),
        (2, "problem", "林地占用审批不严格", 1),
        (2, "problem", "护林员管理松散", 2),
        (2, "problem", "森林防火宣传不到位", 1),
    ]
    assert [p.number for p in problems(r)] == ["1", "2", "3"]
    last = problems(r)[2].measures[0]
    assert last.text == "每年开展森林防火宣传进村入户活动。"
    assert deadline(last) == ("long_term", None)
    assert not [d for d in r.diagnostics if d.code.startswith("numbering")]
    spans_point_at_their_text(r)


def test_numbered_measures_without_a_label_and_bracketed_responsibility_are_read():
    r = parse_text(PLAN_NO_LABEL)
    assert [(t, n) for d, k, t, n in tree(r) if k == "problem"] == [
        ("低保审核把关不严", 2),
        ("临时救助发放不及时", 2),
    ]
    check, review = problems(r)[0].measures
    assert check.text == "对全县低保对象开展一次全面核查"
    assert resp(check) == ("冯涛", "社会救助股", None, None)
    assert deadline(check) == ("date", dt.date(2025, 10, 31))
    assert resp(review) == ("冯涛", "社会救助股", None, "韩梅")
    simplify, report = problems(r)[1].measures
    assert simplify.text == "简化临时救助审批流程"
    assert deadline(simplify) == ("immediate", None)
    assert deadline(report) == ("long_term", None)
    assert report.responsible is None
    spans_point_at_their_text(r)


def test_the_statement_labels_around_the_measures_are_not_measures():
    r = parse_text(PLAN_LABELLED)
    meetings, members, checks = (p.measures for p in problems(r))
    assert [m.text for m in meetings] == [
        "制定支部年度组织生活计划；",
        "每季度召开党员大会1次；",
        "建立组织生活记录台账。",
    ]
    assert [resp(m) for m in meetings] == [("何平", "机关党委", None, None)] * 3
    assert [deadline(m) for m in meetings] == [("date", dt.date(2025, 12, 31))] * 3
    # A measure running on to a second line is one measure; a field name inside a
    # sentence (明确责任人：) is part of the measure.
    assert [m.text for m in members] == [
        "对2020年以来发展党员档案逐一核查，\n对发现的问题逐项整改。",
        "开展发展党员工作业务培训，明确责任人：组织员。",
    ]
    assert [resp(m)[3] for m in members] == ["林芳", "林芳"]
    assert [resp(m) for m in checks] == [("何平", "办公室", "各科室", None)] * 2
    assert [deadline(m) for m in checks] == [("long_term", None)] * 2
    assert not codes(r) & NEW_CODES


def test_responsibility_named_for_a_whole_part_applies_to_each_measure_under_it():
    r = parse_text(PLAN_INHERITED)
    assert [(t, n) for d, k, t, n in tree(r) if k == "problem"] == [
        ("阵地管理不严格", 2),
        ("网络舆情处置不及时", 2),
    ]
    ms = [m for p in problems(r) for m in p.measures]
    assert [resp(m) for m in ms] == [
        ("程浩", "宣传科", None, None),
        ("程浩", "宣传科", None, None),
        ("程浩", "宣传科", "办公室", None),
        ("程浩", "宣传科", "办公室", None),
    ]
    assert [deadline(m)[0] for m in ms] == ["date", "long_term", "date", "date"]
    assert not codes(r) & NEW_CODES


@pytest.mark.parametrize("fmt", ["docx", "pdf", "html"])
@pytest.mark.parametrize("text", [REPORTED_LETTER, PLAN_STYLES], ids=["letter", "styles"])
def test_a_plan_reads_the_same_from_docx_pdf_and_html(text, fmt):
    paras = [p for p in text.split("\n") if p.strip()]
    data = {
        "docx": lambda: make_docx(list(paras)),
        "pdf": lambda: make_pdf(paras),
        "html": lambda: make_html(paras[0], paras[1:]),
    }[fmt]()
    got = parse_document(read_bytes(data, f"plan.{fmt}"))
    want = parse_text(text)

    def reading(r: ParseResult) -> list[tuple]:
        return [
            (f.kind, f.title, [(m.text, m.responsible, m.deadline) for m in f.measures])
            for f in iter_findings(r.findings)
        ]

    assert got.counts == want.counts and want.counts.measures >= 10
    assert reading(got) == reading(want)
    assert not codes(got) & NEW_CODES


def test_the_json_contract_gains_cooperating_and_keeps_every_field():
    r = parse_text(PLAN_STYLES)
    out = parse_json(r)
    m = out["findings"][0]["children"][1]["measures"][0]
    assert m["responsible"] == {
        "leader": "周敏",
        "department": "人事股",
        "person": "孙丽",
        "cooperating": "办公室、机关党委",
    }
    assert m["deadline"] == {"text": "长期坚持", "value": None, "kind": "long_term"}
    assert load_result(dump_result(r)) == r


def test_a_plan_that_yields_no_measures_is_reported():
    text = "县档案馆巡察整改方案\n\n一、档案管理方面\n（一）档案借阅登记不全\n（二）档案库房温湿度不达标\n"
    r = parse_text(text)
    assert r.doc_type == "plan" and r.counts.measures == 0
    found = [d for d in r.diagnostics if d.code == "plan-no-measures"]
    assert len(found) == 1
    assert found[0].severity == "warning" and "没有读出整改措施" in found[0].message
    assert "plan-no-measures" in {f.code for f in lint(r)}


def test_responsibility_that_is_not_attached_to_a_measure_is_reported_where_it_stands():
    r = parse_text(PLAN_UNATTACHED)
    assert (r.counts.problems, r.counts.measures) == (2, 0)  # problems stay problems
    found = [d for d in r.diagnostics if d.code == "responsibility-unattached"]
    assert len(found) == 2
    for d in found:
        a, b = d.span
        assert r.text[a:b].startswith("责任领导：钱伟")
        assert "未对应到任何整改措施" in d.message


def test_responsibility_in_a_feedback_letter_is_reported_not_dropped_silently():
    text = FEEDBACK.replace(
        "未达到规定次数。", "未达到规定次数。\n责任领导：张三；完成时限：2023年12月31日。"
    )
    r = parse_text(text)
    assert "responsibility-unattached" in codes(r)


def test_levels_that_look_shifted_are_reported():
    r = parse_text(PLAN_SHIFTED)
    found = [d for d in r.diagnostics if d.code == "levels-shifted"]
    assert len(found) == 1
    assert "层级可能错位" in found[0].message


@pytest.mark.parametrize(
    "text",
    [FEEDBACK, NOTICE_MIXED, "\n".join(NOTICE_PARAGRAPHS)],
    ids=["feedback", "notice-mixed", "notice"],
)
def test_documents_of_the_genre_raise_none_of_the_plan_warnings(text):
    assert not codes(parse_text(text)) & NEW_CODES


def test_the_new_codes_are_stable_lint_codes():
    assert set(CODES) >= NEW_CODES
