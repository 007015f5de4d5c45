"""Feedback letters: each problem keeps the sentences that state its facts; the news of a
feedback meeting is split into its problems."""

from __future__ import annotations

import re

import pytest

from zhenggai.textparse.lint import lint
from zhenggai.textparse.model import Finding, ParseResult, iter_findings
from zhenggai.textparse.parse import parse_document, parse_text
from zhenggai.textparse.reader import read_bytes
from zhenggai.textparse.serialize import dump_result, load_result, parse_json

from .builders import make_docx, make_html, make_pdf
from .genre import FEEDBACK, NOTICE_PARAGRAPHS
from .letters import (
    LETTER_DESCRIBED,
    LETTER_DESCRIBED_PROBLEMS,
    LETTER_TWO_LEVEL,
    LETTER_TWO_LEVEL_PROBLEMS,
    NEWS_CATEGORIES,
    NEWS_CATEGORIES_TREE,
    NEWS_RUNON,
    NEWS_RUNON_PROBLEMS,
    NEWS_SHI,
    NEWS_SHI_PROBLEMS,
    PLAN_DESCRIBED,
    PLAN_DESCRIBED_PROBLEMS,
)

PLAN_WARNINGS = {"plan-no-measures", "responsibility-unattached", "levels-shifted"}


def problems(r: ParseResult) -> list[Finding]:
    return [f for f in iter_findings(r.findings) if f.kind == "problem"]


def squeeze(s: str) -> str:
    return re.sub(r"\s+", "", s)


def assert_spans_point_into_the_text(r: ParseResult) -> None:
    for f in iter_findings(r.findings):
        if f.description:
            assert f.description_span is not None
            a, b = f.description_span
            assert r.text[a:b] == f.description
            assert f.span[0] <= a <= b <= f.span[1], f.title
        else:
            assert f.description_span is None


# --------------------------------------------------------------------------- letters


def test_each_problem_of_a_letter_keeps_the_sentences_that_state_it():
    r = parse_text(LETTER_DESCRIBED)
    assert r.doc_type == "feedback"
    assert (r.counts.categories, r.counts.issues, r.counts.problems, r.counts.measures) == (2, 4, 7, 0)
    got = problems(r)
    assert [p.title for p in got] == [t for t, _, _ in LETTER_DESCRIBED_PROBLEMS]
    for p, (title, begins, ends) in zip(got, LETTER_DESCRIBED_PROBLEMS, strict=True):
        assert p.description.startswith(begins), title
        assert p.description.endswith(ends), title
        assert title not in p.description  # the heading is the title, not the facts
    assert_spans_point_into_the_text(r)


def test_a_description_on_several_lines_keeps_them_all_and_stops_at_the_next_heading():
    r = parse_text(LETTER_DESCRIBED)
    second = problems(r)[1]
    assert second.description.count("\n") == 1
    assert "（二）推动高质量发展有差距" not in second.description
    # The issues and categories state no facts of their own here.
    assert all(not f.description for f in iter_findings(r.findings) if f.kind != "problem")


def test_a_heading_that_runs_on_into_its_facts_gives_the_title_and_the_rest():
    text = LETTER_DESCRIBED.replace(
        "3.老旧小区改造推进缓慢。具体表现为：", "3.老旧小区改造推进缓慢，具体表现为："
    )
    p = problems(parse_text(text))[2]
    assert p.title == "老旧小区改造推进缓慢"
    assert p.description.startswith("具体表现为：2023年计划改造的12个小区")
    assert p.description.endswith("群众多次投诉。")


def test_problems_directly_under_their_categories_keep_their_facts():
    r = parse_text(LETTER_TWO_LEVEL)
    assert (r.counts.categories, r.counts.issues, r.counts.problems) == (2, 0, 4)
    got = problems(r)
    assert [
        (p.title, p.description[: len(begins)])
        for p, (_, begins) in zip(got, LETTER_TWO_LEVEL_PROBLEMS, strict=True)
    ] == LETTER_TWO_LEVEL_PROBLEMS
    assert_spans_point_into_the_text(r)


def test_the_genre_letter_now_carries_descriptions_and_its_outline_is_unchanged():
    r = parse_text(FEEDBACK)
    assert (r.counts.categories, r.counts.issues, r.counts.problems) == (2, 4, 6)
    by_title = {p.title: p.description for p in problems(r)}
    assert by_title["中心组学习流于形式"] == "2022年党委理论学习中心组仅开展集中学习4次，未达到规定次数。"
    assert by_title["部分工程未经招投标"] == ""  # a heading alone states nothing more


@pytest.mark.parametrize("fmt", ["docx", "html", "pdf"])
def test_descriptions_read_the_same_from_docx_html_and_pdf(fmt):
    paras = [p for p in LETTER_DESCRIBED.split("\n") if p.strip()]
    data = {
        "docx": lambda: make_docx(list(paras)),
        "pdf": lambda: make_pdf(paras),
        "html": lambda: make_html(paras[0], paras[1:]),
    }[fmt]()
    got = parse_document(read_bytes(data, f"letter.{fmt}"))
    want = parse_text(LETTER_DESCRIBED)
    assert [(p.title, squeeze(p.description)) for p in problems(got)] == [
        (p.title, squeeze(p.description)) for p in problems(want)
    ]
    assert_spans_point_into_the_text(got)


def test_the_json_contract_gains_description_and_keeps_every_field():
    r = parse_text(LETTER_DESCRIBED)
    j = parse_json(r)
    problem = j["findings"][0]["children"][0]["children"][0]
    assert set(problem) >= {"kind", "number", "title", "span", "children", "measures", "description"}
    assert problem["description"].startswith("2023年局党组理论学习中心组")
    a, b = problem["description_span"]
    assert r.text[a:b] == problem["description"]
    assert j["findings"][0]["description"] == "" and j["findings"][0]["description_span"] is None
    assert load_result(dump_result(r)) == r


# --------------------------------------------------------------------------- plans


def test_a_plan_keeps_each_problem_statement_apart_from_its_measures():
    r = parse_text(PLAN_DESCRIBED)
    assert r.doc_type == "plan"
    got = problems(r)
    assert [(p.title, p.description, len(p.measures)) for p in got] == PLAN_DESCRIBED_PROBLEMS
    for p in got:
        for m in p.measures:
            assert p.description not in m.text
            assert m.responsible is not None and m.responsible.leader
    assert_spans_point_into_the_text(r)
    assert not {f.code for f in lint(r)} & PLAN_WARNINGS


def test_a_plan_with_an_inline_enumeration_keeps_the_statement_before_it():
    text = (
        "县人社局巡察整改方案\n\n一、作风建设方面\n（一）窗口服务不规范\n"
        "群众反映办事需多次往返，2023年投诉12件。一是推行一次性告知制度；二是开展窗口服务评议。\n"
        "责任领导：孙红；责任部门：办公室；完成时限：2024年6月30日。\n"
    )
    p = problems(parse_text(text))[0]
    assert p.description == "群众反映办事需多次往返，2023年投诉12件。"
    assert [m.text[:4] for m in p.measures] == ["推行一次", "开展窗口"]


# --------------------------------------------------------------------------- notices


def test_the_progress_sentences_of_a_notice_are_not_a_description():
    r = parse_text("\n".join(NOTICE_PARAGRAPHS))
    assert r.counts.problems == 3
    assert all(not p.description for p in problems(r))


def test_a_notice_states_the_problem_apart_from_its_progress_under_a_label():
    text = "\n".join(NOTICE_PARAGRAPHS).replace(
        "1.党组主体责任压得不实\n",
        "1.党组主体责任压得不实\n问题表现：2023年党组会议研究全面从严治党工作仅1次。\n",
    )
    p = problems(parse_text(text))[0]
    assert p.description == "问题表现：2023年党组会议研究全面从严治党工作仅1次。"
    assert len(p.measures) == 3


# --------------------------------------------------------------------------- the news form


def _spans_are_the_items(r: ParseResult) -> None:
    for p in problems(r):
        a, b = p.span
        assert r.text[a:b].startswith(p.title)
        assert not r.text[a:b].startswith(("一是", "二是", "；", "：")) and r.text[b - 1] not in "；。，"


def test_the_news_of_a_feedback_meeting_is_split_into_its_problems():
    r = parse_text(NEWS_RUNON)
    assert r.doc_type == "feedback"
    assert [p.title for p in problems(r)] == NEWS_RUNON_PROBLEMS
    assert all(p.number is None and not p.children for p in problems(r))
    _spans_are_the_items(r)
    # What the inspection group asks for (巡察组建议，一是…) is no problem.
    assert not any("强化理论武装" in p.title for p in problems(r))


def test_problems_written_yi_shi_er_shi_after_a_sentence_naming_them_are_split():
    r = parse_text(NEWS_SHI)
    assert [p.title for p in problems(r)] == NEWS_SHI_PROBLEMS
    assert [p.number for p in problems(r)] == ["一", "二", "三", "四"]
    _spans_are_the_items(r)


@pytest.mark.parametrize("cue", ["主要是：", "主要表现在：", "具体为：", "突出表现在：", "主要表现为"])
def test_every_cue_that_introduces_the_problems_is_read(cue):
    text = NEWS_RUNON.replace("主要是：", cue)
    assert [p.title for p in problems(parse_text(text))] == NEWS_RUNON_PROBLEMS


def test_run_on_problems_under_category_headings_become_the_categories_problems():
    r = parse_text(NEWS_CATEGORIES)
    got = [(c.title, [p.title for p in c.children]) for c in r.findings]
    assert got == NEWS_CATEGORIES_TREE
    assert all(c.kind == "category" for c in r.findings)
    assert [s.kind for s in r.sections] == ["findings", "findings", "findings", "other"]
    _spans_are_the_items(r)
    assert not {f.code for f in lint(r)} & PLAN_WARNINGS


def test_a_run_on_item_of_several_sentences_is_a_title_with_its_facts():
    text = NEWS_SHI.replace(
        "一是贯彻落实党中央关于医疗保障的决策部署有差距，医保基金监管存在漏洞；",
        "一是医保基金监管存在漏洞。2023年有3家定点医院违规套取医保基金46.8万元；",
    )
    first = problems(parse_text(text))[0]
    assert first.title == "医保基金监管存在漏洞"
    assert first.description == "2023年有3家定点医院违规套取医保基金46.8万元"


def test_a_news_text_that_only_asks_for_things_has_no_problems():
    text = (
        "市委巡察组向某局反馈巡察情况\n\n"
        "巡察组建议，一是强化理论武装；二是压实管党治党责任；三是加强队伍建设。\n"
    )
    r = parse_text(text)
    assert r.counts.problems == 0


@pytest.mark.parametrize(
    "text", [LETTER_DESCRIBED, LETTER_TWO_LEVEL, NEWS_RUNON, NEWS_SHI, NEWS_CATEGORIES, PLAN_DESCRIBED]
)
def test_the_new_shapes_raise_none_of_the_plan_warnings(text):
    assert not {f.code for f in lint(parse_text(text))} & PLAN_WARNINGS
