"""The seed notice parses to its hand-checked outline, title by title, measure by measure."""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from zhenggai.textparse.model import Finding, Measure, ParseResult, iter_findings
from zhenggai.textparse.parse import parse_text

SEEDS = Path(__file__).resolve().parents[2] / "seeds"
SEED_TEXT = SEEDS / "000_3fc582a97ef44a37.txt"
SEED_OUTLINE = SEEDS / "000_3fc582a97ef44a37.outline.json"


@pytest.fixture(scope="module")
def seed() -> ParseResult:
    return parse_text(SEED_TEXT.read_text(encoding="utf-8"), name=SEED_TEXT.name)


@pytest.fixture(scope="module")
def outline() -> dict:
    return json.loads(SEED_OUTLINE.read_text(encoding="utf-8"))


def _problems(r: ParseResult) -> list[Finding]:
    return [f for f in iter_findings(r.findings) if f.kind == "problem"]


def test_the_seed_has_three_categories_eighteen_issues_thirty_problems_and_a_hundred_measures(seed):
    c = seed.counts
    assert (c.categories, c.issues, c.problems, c.measures) == (3, 18, 30, 100)


def test_every_title_and_measure_start_matches_the_hand_checked_outline(seed, outline):
    assert seed.title == outline["title"]
    assert [f.title for f in seed.findings] == [c["title"] for c in outline["categories"]]
    for cat, want_cat in zip(seed.findings, outline["categories"], strict=True):
        assert cat.kind == "category"
        assert [i.title for i in cat.children] == [i["title"] for i in want_cat["issues"]]
        for issue, want_issue in zip(cat.children, want_cat["issues"], strict=True):
            assert issue.kind == "issue"
            assert issue.number == str(want_issue["number"])
            probs = issue.children
            assert [p.title for p in probs] == [p["title"] for p in want_issue["problems"]]
            for p, want_p in zip(probs, want_issue["problems"], strict=True):
                assert p.kind == "problem"
                assert p.number == str(want_p["number"])
                assert len(p.measures) == len(want_p["measures"]), p.title
                for m, start in zip(p.measures, want_p["measures"], strict=True):
                    assert m.text.startswith(start), (p.title, m.text[:20], start)


def test_the_inspection_metadata_and_feedback_channels_are_read(seed, outline):
    i = seed.inspection
    want = outline["inspection"]
    assert i.inspecting_group == want["inspecting_group"]
    assert i.inspected_unit == want["inspected_unit"]
    assert i.period_start == dt.date.fromisoformat(want["period_start"])
    assert i.period_end == dt.date.fromisoformat(want["period_end"])
    assert i.feedback_date == dt.date.fromisoformat(want["feedback_date"])
    ch = seed.feedback_channels
    assert (ch.phone, ch.address, ch.email) == (
        outline["feedback_channels"]["phone"],
        outline["feedback_channels"]["address"],
        outline["feedback_channels"]["email"],
    )


def test_the_seed_is_a_progress_notice_with_three_sections(seed):
    assert seed.doc_type == "progress_notice"
    assert [(s.number, s.kind) for s in seed.sections] == [
        ("一", "organisation"),
        ("二", "findings"),
        ("三", "long_term"),
    ]


def _measure(seed: ParseResult, problem: int, ordinal: int) -> Measure:
    return _problems(seed)[problem - 1].measures[ordinal - 1]


def test_problem_three_third_measure_carries_march_30_2022_from_context(seed):
    m = _measure(seed, 3, 3)
    d = m.dates[0]
    assert d.text == "3月30日"
    assert d.value == dt.date(2022, 3, 30)
    assert d.precision == "day"
    assert not d.malformed


def test_problem_three_second_measure_keeps_330_as_malformed_with_a_diagnostic(seed):
    m = _measure(seed, 3, 2)
    d = m.dates[0]
    assert d.text == "330日"
    assert d.value is None and d.malformed
    diag = [x for x in seed.diagnostics if x.code == "date-malformed"]
    assert len(diag) == 1
    assert seed.text[diag[0].span[0] : diag[0].span[1]] == "330日"
    assert "3月30日" in diag[0].message


def test_yuan_yue_of_2022_is_january_at_month_precision(seed):
    m = _measure(seed, 6, 2)
    d = next(d for d in m.dates if d.text.startswith("2022年元月"))
    assert d.value == dt.date(2022, 1, 1)
    assert d.precision == "month"


def test_four_point_five_four_wan_yuan_is_exactly_45400(seed):
    m = _measure(seed, 23, 2)
    assert [a.yuan for a in m.amounts] == [Decimal("45400.00")]
    assert _measure(seed, 23, 1).amounts[0].yuan == Decimal("8976.00")


def test_the_brigade_finance_rule_is_established_and_the_branch_regulation_is_cited(seed):
    m = _measure(seed, 10, 2)
    assert [(d.title, d.established) for d in m.documents] == [("交管大队财务管理规定", True)]
    m = _measure(seed, 28, 2)
    assert ("中国共产党支部工作条例(试行)", False) in [(d.title, d.established) for d in m.documents]


def test_the_seed_establishes_thirteen_distinct_rules(seed):
    est = set()
    for p in _problems(seed):
        for m in p.measures:
            est.update(d.title for d in m.documents if d.established)
    assert len(est) == 13


def test_status_hints_follow_the_wording(seed):
    assert _measure(seed, 5, 1).status_hint == "in_progress"
    assert _measure(seed, 10, 2).status_hint == "done"


def test_accountability_actions_are_attached_to_their_measures(seed):
    actions = [a.action for a in _measure(seed, 13, 4).accountability]
    assert actions == ["提醒谈话", "诫勉谈话", "责令检查", "通报批评"]


def test_every_span_points_into_the_text_and_nests(seed):
    text = seed.text

    def check(f: Finding, lo: int, hi: int) -> None:
        a, b = f.span
        assert lo <= a < b <= hi
        prev = a
        for m in f.measures:
            assert a <= m.span[0] < m.span[1] <= b
            assert text[m.span[0] : m.span[1]] == m.text
            assert m.span[0] >= prev
            prev = m.span[1]
            for d in m.dates:
                assert m.span[0] <= d.span[0] < d.span[1] <= m.span[1]
                assert text[d.span[0] : d.span[1]] == d.text
        last = a
        for c in f.children:
            assert c.span[0] >= last
            check(c, a, b)
            last = c.span[1]

    for f in seed.findings:
        check(f, 0, len(text))
    for s in seed.sections:
        assert 0 <= s.span[0] < s.span[1] <= len(text)
