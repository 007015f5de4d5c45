"""Sums of money: exact yuan, the right spans, and no counts or dates taken for money."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.textparse.growth import LINEAR_CPU_GROWTH, LINEAR_GROWTH, cpu_growth, growth
from tests.textparse.hostile import MONEY as MONEY_HOSTILE
from zhenggai.textparse.money import find_amounts, parse_yuan

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_3fc582a97ef44a37.txt"

_TO_FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def full_width(s: str) -> str:
    """The same text with its ASCII written full-width (one character for one)."""
    return s.translate(_TO_FULL)


def amounts(text: str) -> list[tuple[str, Decimal]]:
    return [(a.text, a.yuan) for a in find_amounts(text)]


# (text, [(amount text, yuan), …])
MONEY_CASES = [
    ("多付税费8976元已退回国库", [("8976元", Decimal("8976.00"))]),
    ("对于多支付的4.54万元税费", [("4.54万元", Decimal("45400.00"))]),
    ("罚款9万,面包车超员12起", [("9万", Decimal("90000.00"))]),
    ("挽回经济损失66.57万元", [("66.57万元", Decimal("665700.00"))]),
    ("投入1369.5万元", [("1369.5万元", Decimal("13695000.00"))]),
    ("经核实10.26万元建设改造项目", [("10.26万元", Decimal("102600.00"))]),
    ("投入五十万元", [("五十万元", Decimal("500000.00"))]),
    ("投入资金50万元对车管所", [("50万元", Decimal("500000.00"))]),
    ("补缴1,200元", [("1,200元", Decimal("1200.00"))]),
    ("退回3千元", [("3千元", Decimal("3000.00"))]),
    ("总投资2.5亿元", [("2.5亿元", Decimal("250000000.00"))]),
    ("公共排椅230元/位共计9660元", [("230元", Decimal("230.00")), ("9660元", Decimal("9660.00"))]),
    ("罚款600元,记33分", [("600元", Decimal("600.00"))]),
    ("罚款16.4万元;超限运输", [("16.4万元", Decimal("164000.00"))]),
    ("罚款１２万元", [("１２万元", Decimal("120000.00"))]),
    ("拆除费用200余元", [("200余元", Decimal("200.00"))]),
    ("共计200多元", [("200多元", Decimal("200.00"))]),
    ("追缴资金11万余元", [("11万余元", Decimal("110000.00"))]),
    ("清退十余万元", [("十余万元", Decimal("100000.00"))]),
    ("罚款五万。", [("五万", Decimal("50000.00"))]),
    ("统一收取500元", [("500元", Decimal("500.00"))]),
    ("清退违规资金7.132万元", [("7.132万元", Decimal("71320.00"))]),
]

NOT_MONEY = [
    "印制6.5万份宣传单",
    "我县电瓶车约20余万台",
    "上牌共计11万余台",
    "联系方式:0556-7170878",
    "2022年3月23日",
    "2022年元月在城区范围内启动",
    "头盔佩戴率达到95%左右",
    "共开展集中学习14次",
    "资金到位后惠及3万人",
    "设置固定安全提示标语9万",  # 万 without 元 and no money word before it
    "上万元的设备",
    "数万元",
    "农村道路事故419起",
]


@pytest.mark.parametrize(("text", "expected"), MONEY_CASES)
def test_each_written_form_of_money_reads_as_exact_yuan(text, expected):
    assert amounts(text) == expected


@pytest.mark.parametrize(("text", "expected"), MONEY_CASES)
def test_full_width_digits_read_the_same_and_spans_slice_the_original(text, expected):
    wide = full_width(text)
    found = find_amounts(wide)
    assert [a.yuan for a in found] == [yuan for _, yuan in expected]
    for a in found:
        assert wide[a.span[0] : a.span[1]] == a.text


@pytest.mark.parametrize("text", NOT_MONEY)
def test_counts_dates_phones_and_percentages_are_not_money(text):
    assert find_amounts(text) == []


def test_a_bare_wan_needs_the_money_word_in_its_own_clause():
    assert amounts("罚款,共9万") == []
    assert amounts("共罚款9万") == [("9万", Decimal("90000.00"))]


def test_spans_point_into_the_text():
    text = "一是罚款16.4万元;二是退回8976元。"
    for a in find_amounts(text):
        assert text[a.span[0] : a.span[1]] == a.text


def test_the_seed_states_fifteen_sums_of_money():
    text = SEED.read_text(encoding="utf-8")
    found = find_amounts(text)
    assert [a.text for a in found] == [
        "16.4万元",
        "12万元",
        "9万",
        "600元",
        "50万元",
        "10.26万元",
        "4340元",
        "2880元",
        "11420元",
        "230元",
        "9660元",
        "8250元",
        "8976元",
        "4.54万元",
        "1620元",
    ]
    assert sum(a.yuan for a in found) == Decimal("1069976.00")


@pytest.mark.parametrize(
    ("s", "expected"),
    [
        ("4.54万元", Decimal("45400.00")),
        ("9万", Decimal("90000.00")),
        ("五十万元", Decimal("500000.00")),
        ("1,200元", Decimal("1200.00")),
        ("3千元", Decimal("3000.00")),
        ("2.5亿元", Decimal("250000000.00")),
        ("230元/位", Decimal("230.00")),
        ("１２万元", Decimal("120000.00")),
        (" 200余元 ", Decimal("200.00")),
        ("600", Decimal("600.00")),
        ("0.005元", Decimal("0.01")),
    ],
)
def test_parse_yuan_reads_one_amount_quantized_to_fen(s, expected):
    value = parse_yuan(s)
    assert value == expected
    assert value is not None and value.as_tuple().exponent == -2


@pytest.mark.parametrize("s", ["", "元", "万元", "95%", "0556-7170878", "二〇二二年", "罚款9万", "abc"])
def test_parse_yuan_refuses_what_is_not_one_amount(s):
    assert parse_yuan(s) is None


def test_parse_yuan_never_returns_a_float():
    assert isinstance(parse_yuan("66.57万元"), Decimal)


def test_absurdly_long_numbers_are_not_money():
    assert find_amounts("1" * 40 + "元") == []
    assert parse_yuan("1" * 5000 + "元") is None


@pytest.mark.parametrize("make", MONEY_HOSTILE.values(), ids=list(MONEY_HOSTILE))
def test_long_runs_of_digits_and_wan_are_not_money_and_are_scanned_in_linear_time(make):
    assert find_amounts(make(100_000)) == []
    # Growth measured at two sizes in one run (tests/textparse/growth.py), never against
    # a clock; the seconds are figures of bench/bench_textparse.py.
    assert growth(find_amounts, make, 10_000) < LINEAR_GROWTH
    assert cpu_growth(find_amounts, make, 6_250) < LINEAR_CPU_GROWTH


_MONEY_ALPHABET = st.sampled_from(
    [*"0123456789.,，。;；余多千万亿元十五两一份台罚款资金/位%年月-", "０", "１", "．", "\n"]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(), st.text(_MONEY_ALPHABET)))
def test_any_text_gives_ordered_in_bounds_deterministic_amounts(text):
    found = find_amounts(text)
    assert found == find_amounts(text)
    last_end = 0
    for a in found:
        start, end = a.span
        assert last_end <= start < end <= len(text)
        assert text[start:end] == a.text
        assert a.yuan == a.yuan.quantize(Decimal("0.01"))
        last_end = end


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.text(), st.text(_MONEY_ALPHABET)))
def test_parse_yuan_never_raises(text):
    value = parse_yuan(text)
    assert value is None or isinstance(value, Decimal)
