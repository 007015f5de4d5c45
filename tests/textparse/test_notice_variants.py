"""Progress notices whose outline is not the seed's: the parts worded in many ways, the
findings in several parts or one level deeper, categories with problems directly."""

from __future__ import annotations

import pytest

from zhenggai.textparse.lint import lint
from zhenggai.textparse.model import ParseResult, iter_findings
from zhenggai.textparse.parse import parse_document, parse_text
from zhenggai.textparse.reader import read_bytes

from .builders import make_docx
from .notices import (
    NOTICE_DEEP,
    NOTICE_DEEP_TREE,
    NOTICE_FLAT,
    NOTICE_FLAT_TREE,
    NOTICE_PARTS,
    NOTICE_PARTS_TREE,
)

PLAN_WARNINGS = {"plan-no-measures", "responsibility-unattached", "levels-shifted"}


def kinds(r: ParseResult) -> list[tuple[str | None, str]]:
    return [(s.number, s.kind) for s in r.sections]


def test_organisation_findings_and_next_steps_with_problems_directly_under_categories():
    r = parse_text(NOTICE_FLAT)
    assert r.doc_type == "progress_notice"
    assert kinds(r) == [("一", "organisation"), ("二", "findings"), ("三", "next_steps")]
    assert [(c.kind, c.title, [(p.kind, p.title) for p in c.children]) for c in r.findings] == [
        ("category", cat, [("problem", t) for t in probs]) for cat, probs in NOTICE_FLAT_TREE
    ]
    assert (r.counts.categories, r.counts.issues, r.counts.problems, r.counts.measures) == (2, 0, 4, 7)


def test_findings_in_several_top_level_parts_keep_each_part_as_a_category():
    r = parse_text(NOTICE_PARTS)
    assert kinds(r) == [("一", "organisation"), ("二", "findings"), ("三", "findings"), ("四", "next_steps")]
    got = [
        (c.title, [i.title for i in c.children], sum(len(i.children) for i in c.children)) for c in r.findings
    ]
    assert got == NOTICE_PARTS_TREE
    assert all(c.kind == "category" for c in r.findings)
    assert {i.kind for c in r.findings for i in c.children} == {"issue"}
    assert r.counts.measures == 10


def test_findings_one_level_deeper_are_found_through_the_part_that_holds_them():
    r = parse_text(NOTICE_DEEP)
    assert kinds(r) == [("一", "organisation"), ("二", "findings"), ("三", "next_steps")]
    got = [(c.title, [(i.title, [p.title for p in i.children]) for i in c.children]) for c in r.findings]
    assert got == NOTICE_DEEP_TREE
    # The part on how the work went (（一）整改工作推进情况) is not a finding.
    assert not any("推进情况" in f.title for f in iter_findings(r.findings))
    assert r.counts.problems == 5 and r.counts.measures == 8


@pytest.mark.parametrize(
    ("title", "kind"),
    [
        ("下一步工作打算", "next_steps"),
        ("下步工作安排", "next_steps"),
        ("持续深化整改，确保取得实效", "next_steps"),
        ("巩固整改成果，持续推进整改", "next_steps"),
        ("坚持久久为功，持续抓好后续整改", "next_steps"),
        ("建立长效机制，巩固整改成果", "long_term"),
    ],
)
def test_the_last_part_is_read_as_next_steps_in_its_many_wordings(title, kind):
    text = NOTICE_FLAT.replace("三、下一步工作打算", f"三、{title}")
    r = parse_text(text)
    assert kinds(r)[-1] == ("三", kind)
    assert r.counts.problems == 4


@pytest.mark.parametrize(
    "title",
    ["加强组织领导，压实整改责任", "提高政治站位，扛牢整改责任", "统一思想，精心组织", "高度重视，迅速部署"],
)
def test_the_first_part_is_read_as_organisation_in_its_many_wordings(title):
    text = NOTICE_FLAT.replace("一、加强组织领导，压实整改责任", f"一、{title}")
    r = parse_text(text)
    assert kinds(r)[0] == ("一", "organisation")
    assert [c.title for c in r.findings] == [cat for cat, _ in NOTICE_FLAT_TREE]


def test_the_seed_shape_is_kept_beside_the_variants():
    # Organisation / a single part of findings holding categories → issues → problems.
    text = NOTICE_DEEP.replace("（二）反馈问题整改情况\n", "").replace(
        "（一）整改工作推进情况\n局党组建立整改台账，实行销号管理，每月调度整改进度。\n", ""
    )
    r = parse_text(text)
    assert [c.title for c in r.findings] == [cat for cat, _ in NOTICE_DEEP_TREE]
    assert r.counts.issues == 3 and r.counts.problems == 5


@pytest.mark.parametrize("text", [NOTICE_FLAT, NOTICE_PARTS, NOTICE_DEEP], ids=["flat", "parts", "deep"])
def test_the_variants_read_the_same_from_docx(text):
    paras = [p for p in text.split("\n") if p.strip()]
    got = parse_document(read_bytes(make_docx(paras), "notice.docx"))
    want = parse_text(text)
    assert kinds(got) == kinds(want)
    assert [(f.kind, f.title, len(f.measures)) for f in iter_findings(got.findings)] == [
        (f.kind, f.title, len(f.measures)) for f in iter_findings(want.findings)
    ]


@pytest.mark.parametrize("text", [NOTICE_FLAT, NOTICE_PARTS, NOTICE_DEEP], ids=["flat", "parts", "deep"])
def test_the_variants_raise_none_of_the_plan_warnings_and_keep_progress_out_of_descriptions(text):
    r = parse_text(text)
    assert not {f.code for f in lint(r)} & PLAN_WARNINGS
    assert all(not f.description for f in iter_findings(r.findings))
