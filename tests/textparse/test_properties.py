"""Properties that hold for any input: no exception, spans inside the text and nested, determinism."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zhenggai.textparse.lint import lint
from zhenggai.textparse.model import Finding, ParseResult
from zhenggai.textparse.parse import parse_text
from zhenggai.textparse.serialize import lint_json, parse_json

# Pieces of the genre, so that random text often has structure to get wrong.
PIECES = [
    "一、",
    "二、",
    "（一）",
    "(二)",
    "1.",
    "2、",
    "１．",
    "(1)",
    "（2）",
    "3)",
    "①",
    "②",
    "一是",
    "二是",
    "三是",
    "是",
    "第一，",
    "第二，",
    "首先，",
    "其次，",
    "关于“",
    "”问题的整改",
    "针对",
    "问题",
    "整改情况：",
    "责任领导：",
    "完成时限：",
    "2022年3月15日",
    "3月30日",
    "330日",
    "元月",
    "底",
    "下旬",
    "至",
    "前",
    "4.54万元",
    "五十万元",
    "《",
    "》",
    "“",
    "”",
    "(",
    ")",
    "制定了",
    "学习",
    "；",
    "。",
    "，",
    "\n",
    "\n\n",
    "\t",
    "县委第三巡察组",
    "对",
    "开展了巡察",
    "反馈",
    "联系电话：0556-1234567",
    "提醒谈话",
    "正在推进中",
    "已完成",
    "长期坚持",
    " ",
    "\u3000",
    "\ufeff",
]
genre_text = st.lists(st.one_of(st.sampled_from(PIECES), st.text(max_size=6)), max_size=80).map("".join)
any_text = st.one_of(st.text(max_size=300), genre_text)


def _check_nesting(r: ParseResult) -> None:
    n = len(r.text)

    def visit(f: Finding, lo: int, hi: int) -> None:
        a, b = f.span
        assert lo <= a <= b <= hi
        last = a
        for m in f.measures:
            assert a <= m.span[0] <= m.span[1] <= b
            assert m.span[0] >= last
            last = m.span[1]
            assert r.text[m.span[0] : m.span[1]] == m.text
            for fact in (*m.dates, *m.amounts, *m.documents, *m.accountability):
                assert m.span[0] <= fact.span[0] <= fact.span[1] <= m.span[1]
        last = a
        for c in f.children:
            assert c.span[0] >= last
            visit(c, a, b)
            last = c.span[1]

    for f in r.findings:
        visit(f, 0, n)
    for s in r.sections:
        assert 0 <= s.span[0] <= s.span[1] <= n
    for d in r.diagnostics:
        assert 0 <= d.span[0] <= d.span[1] <= n


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(any_text)
def test_any_string_parses_with_spans_inside_the_text_and_properly_nested(text):
    r = parse_text(text)
    _check_nesting(r)
    for f in lint(r):
        assert 0 <= f.span[0] <= f.span[1] <= len(text)


@settings(max_examples=100, deadline=None)
@given(any_text)
def test_parsing_is_deterministic(text):
    a = parse_json(parse_text(text))
    b = parse_json(parse_text(text))
    assert a == b
    r = parse_text(text)
    assert lint_json(r.source, lint(r)) == lint_json(r.source, lint(r))
