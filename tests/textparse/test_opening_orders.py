"""The opening sentence in every order it is written: group, unit, period, feedback and kind.

Each sentence is written here in the genre (invented units); the orders are those real
feedback letters, plans and notices use: period first, group first, feedback first, the
feedback alone, the news form of the feedback meeting, and 进驻 instead of 对….
"""

from __future__ import annotations

import datetime as dt

import pytest

from zhenggai.textparse.dates import find_inspection, find_inspection_kind
from zhenggai.textparse.model import Inspection, iter_findings
from zhenggai.textparse.parse import parse_text

D = dt.date


def facts(i: Inspection) -> tuple[object, ...]:
    """The five facts of the contract, compared field by field (``kind`` is asked apart)."""
    return (i.inspecting_group, i.inspected_unit, i.period_start, i.period_end, i.feedback_date)


ORDERS = [
    pytest.param(
        "2025年3月10日至5月20日，县委第二巡察组对县农业农村局开展了巡察，并于2025年7月8日反馈了巡察意见。",
        ("县委第二巡察组", "县农业农村局", D(2025, 3, 10), D(2025, 5, 20), D(2025, 7, 8)),
        None,
        id="period-group-unit-then-feedback-without-addressee",
    ),
    pytest.param(
        "县委第二巡察组于2025年3月10日至5月20日对县农业农村局进行了常规巡察，"
        "并于7月8日向县农业农村局党组反馈了巡察意见。",
        ("县委第二巡察组", "县农业农村局", D(2025, 3, 10), D(2025, 5, 20), D(2025, 7, 8)),
        "常规",
        id="group-first-then-period",
    ),
    pytest.param(
        "2024年6月3日，市委第四巡察组向市统计局党组反馈巡察情况。",
        ("市委第四巡察组", "市统计局", None, None, D(2024, 6, 3)),
        None,
        id="feedback-only-to-the-party-group",
    ),
    pytest.param(
        "2024年6月3日，市委第四巡察组反馈了对市统计局的巡察意见。",
        ("市委第四巡察组", "市统计局", None, None, D(2024, 6, 3)),
        None,
        id="feedback-of-the-inspection-of-a-unit",
    ),
    pytest.param(
        "2024年6月3日上午，市委第四巡察组巡察市教育局党组情况反馈会召开。",
        ("市委第四巡察组", "市教育局", None, None, D(2024, 6, 3)),
        None,
        id="news-form-of-the-feedback-meeting",
    ),
    pytest.param(
        "2025年7月8日，县委第二巡察组向县农业农村局反馈了巡察意见。"
        "此前，县委第二巡察组于2025年3月10日至5月20日对县农业农村局开展了专项巡察。",
        ("县委第二巡察组", "县农业农村局", D(2025, 3, 10), D(2025, 5, 20), D(2025, 7, 8)),
        "专项",
        id="feedback-before-the-inspection",
    ),
    pytest.param(
        "2024年11月6日至1月5日，区委第一巡察组对区卫健委开展了提级巡察。"
        "2025年2月20日，区委第一巡察组向区卫健委党委反馈了巡察意见。",
        ("区委第一巡察组", "区卫健委", D(2024, 11, 6), D(2025, 1, 5), D(2025, 2, 20)),
        "提级",
        id="period-end-without-year-crossing-the-year",
    ),
    pytest.param(
        "2023年9月12日至28日，县委第三巡察组对县人民医院党委开展了交叉巡察。",
        ("县委第三巡察组", "县人民医院党委", D(2023, 9, 12), D(2023, 9, 28), None),
        "交叉",
        id="period-end-without-month",
    ),
    pytest.param(
        "2024年3月上旬至4月中旬，县委第一巡察组对县林业局开展了巡察。",
        ("县委第一巡察组", "县林业局", D(2024, 3, 1), D(2024, 4, 20), None),
        None,
        id="period-in-ten-day-parts",
    ),
    pytest.param(
        "自2025年3月10日起至5月20日，县委第二巡察组对县农业农村局开展了机动巡察。",
        ("县委第二巡察组", "县农业农村局", D(2025, 3, 10), D(2025, 5, 20), None),
        "机动",
        id="from-start-onwards-to-end",
    ),
    pytest.param(
        "县委第二巡察组从2025年3月10日到5月20日对县农业农村局进行了巡察。",
        ("县委第二巡察组", "县农业农村局", D(2025, 3, 10), D(2025, 5, 20), None),
        None,
        id="from-to",
    ),
    pytest.param(
        "2025.3.10—5.20，县委第二巡察组对县农业农村局开展了巡察。",
        ("县委第二巡察组", "县农业农村局", D(2025, 3, 10), D(2025, 5, 20), None),
        None,
        id="dotted-period-end-without-year",
    ),
    pytest.param(
        "3月10日至5月20日，县委第二巡察组对县农业农村局开展了巡察。"
        "2025年7月8日，县委第二巡察组向县农业农村局反馈了巡察意见。",
        ("县委第二巡察组", "县农业农村局", D(2025, 3, 10), D(2025, 5, 20), D(2025, 7, 8)),
        None,
        id="period-takes-its-year-from-the-feedback",
    ),
    pytest.param(
        "11月6日至12月20日，县委第四巡察组对县审计局开展了巡察；2025年1月15日，县委第四巡察组反馈了巡察意见。",
        ("县委第四巡察组", "县审计局", D(2024, 11, 6), D(2024, 12, 20), D(2025, 1, 15)),
        None,
        id="period-before-a-january-feedback-is-in-the-year-before",
    ),
    pytest.param(
        "2023年10月至12月，县委巡察第三组对城关镇党委开展了巡察“回头看”。",
        ("县委巡察第三组", "城关镇党委", D(2023, 10, 1), D(2023, 12, 31), None),
        "回头看",
        id="look-back-after-the-word",
    ),
    pytest.param(
        "2023年5月8日至7月7日，十四届县委第五轮巡察第二组对县水务局党组开展了“回头看”巡察。",
        ("十四届县委第五轮巡察第二组", "县水务局党组", D(2023, 5, 8), D(2023, 7, 7), None),
        "回头看",
        id="look-back-before-the-word",
    ),
    pytest.param(
        "根据省委统一部署，2024年3月4日至5月8日，省委第五巡视组对省交通投资集团党委进行了专项巡视。"
        "7月15日，省委第五巡视组向省交通投资集团党委反馈了专项巡视意见。",
        ("省委第五巡视组", "省交通投资集团党委", D(2024, 3, 4), D(2024, 5, 8), D(2024, 7, 15)),
        "专项",
        id="xunshi-by-the-province",
    ),
    pytest.param(
        "按照中央统一部署，中央第八巡视组于2023年10月至2024年1月对某某集团开展了常规巡视，"
        "2024年3月6日反馈了巡视意见。",
        ("中央第八巡视组", "某某集团", D(2023, 10, 1), D(2024, 1, 31), D(2024, 3, 6)),
        "常规",
        id="xunshi-by-the-centre",
    ),
    pytest.param(
        "根据局党组统一部署，2024年4月1日至30日，市卫生健康委党组第二巡察组对市中心医院党委开展了常规巡察，"
        "5月28日反馈了巡察意见。",
        ("市卫生健康委党组第二巡察组", "市中心医院党委", D(2024, 4, 1), D(2024, 4, 30), D(2024, 5, 28)),
        "常规",
        id="party-group-of-a-department-inspects",
    ),
    pytest.param(
        "区委第三巡察组于2024年9月2日至10月31日进驻区市场监管局开展常规巡察，"
        "12月10日向区市场监管局党组反馈了巡察意见。",
        ("区委第三巡察组", "区市场监管局", D(2024, 9, 2), D(2024, 10, 31), D(2024, 12, 10)),
        "常规",
        id="stationed-in-the-unit",
    ),
    pytest.param(
        "2024年9月2日，区委第三巡察组进驻区市场监管局，开展为期两个月的专项巡察。",
        ("区委第三巡察组", "区市场监管局", D(2024, 9, 2), None, None),
        "专项",
        id="stationed-with-a-comma-and-only-a-start",
    ),
    pytest.param(
        "2024年10月，市委第一巡察组对市科技局开展了提级巡察；11月28日，市委第一巡察组反馈巡察意见。",
        ("市委第一巡察组", "市科技局", D(2024, 10, 1), D(2024, 10, 31), D(2024, 11, 28)),
        "提级",
        id="month-period-and-yearless-feedback",
    ),
    pytest.param(
        "根据县委部署，县委第一专项巡察组于2024年5月6日至6月7日对县教育体育局开展了巡察。",
        ("县委第一专项巡察组", "县教育体育局", D(2024, 5, 6), D(2024, 6, 7), None),
        "专项",
        id="kind-in-the-group-name",
    ),
    pytest.param(
        "2024年5月，省委第三巡视组对某某市开展了机动式巡视。",
        ("省委第三巡视组", "某某市", D(2024, 5, 1), D(2024, 5, 31), None),
        "机动",
        id="mobile-style",
    ),
    pytest.param(
        "2022年8月下旬至9月底，市委第二轮巡察第三组对市林业局开展了巡察回头看。",
        ("市委第二轮巡察第三组", "市林业局", D(2022, 8, 21), D(2022, 9, 30), None),
        "回头看",
        id="look-back-unquoted",
    ),
]


@pytest.mark.parametrize(("text", "expected", "kind"), ORDERS)
def test_the_opening_reads_in_every_order(text, expected, kind):
    inspection, diagnostics = find_inspection(text)
    assert facts(inspection) == expected
    assert diagnostics == []
    assert find_inspection_kind(text) == kind


KINDS = [
    ("常规", "2024年3月，县委第一巡察组对县林业局开展了常规巡察。"),
    ("专项", "2024年3月，县委第一巡察组对县林业局开展了专项巡察。"),
    ("提级", "2024年3月，县委巡察组对城关镇某某村党支部开展了提级巡察。"),
    ("交叉", "2024年3月，县委第一巡察组对县林业局开展了交叉巡察。"),
    ("机动", "2024年3月，县委第一巡察组对县林业局开展了机动巡察。"),
    ("回头看", "2024年3月，县委第一巡察组对县林业局开展了巡察「回头看」。"),
    (None, "2024年3月，县委第一巡察组对县林业局开展了巡察。"),
    (None, "2024年3月，县委第一巡察组对县林业局开展了政治巡察。"),
    (None, "我局高度重视巡察整改工作，下一步将开展专项巡察回头看。"),
    (None, ""),
]


@pytest.mark.parametrize(("kind", "text"), KINDS)
def test_the_kind_of_inspection_is_kept(kind, text):
    assert find_inspection_kind(text) == kind


def test_a_later_sentence_about_a_look_back_is_not_the_kind():
    text = (
        "2024年3月4日至5月8日，县委第一巡察组对县林业局开展了常规巡察。"
        "6月10日反馈了巡察意见。我局将适时开展整改“回头看”。"
    )
    assert find_inspection_kind(text) == "常规"


def test_the_title_gives_the_kind_when_the_opening_does_not():
    text = (
        "关于县委第二巡察组专项巡察反馈意见整改进展情况的通报\n\n"
        "根据县委统一部署，2024年3月4日至5月8日，县委第二巡察组对县林业局开展了巡察。"
        "6月10日，县委第二巡察组向县林业局反馈了巡察意见。"
    )
    assert find_inspection_kind(text) == "专项"
    assert facts(find_inspection(text)[0]) == (
        "县委第二巡察组",
        "县林业局",
        D(2024, 3, 4),
        D(2024, 5, 8),
        D(2024, 6, 10),
    )


def test_the_parsed_notice_carries_the_opening_in_another_order():
    text = (
        "中共县农业农村局党组关于县委第二巡察组反馈意见整改进展情况的通报\n\n"
        "2025年7月8日，县委第二巡察组向县农业农村局党组反馈了巡察意见。"
        "此前，县委第二巡察组于2025年3月10日至5月20日对县农业农村局开展了常规巡察。"
        "现将整改进展情况予以公布。\n\n"
        "一、提高政治站位，加强组织领导\n"
        "局党组召开专题会议研究部署整改工作。\n"
        "二、反馈问题整改落实情况\n"
        "（一）理论学习方面\n"
        "1.学习制度执行不严\n"
        "一是修订了学习制度；二是8月开展专题学习。\n"
    )
    r = parse_text(text)
    assert facts(r.inspection) == (
        "县委第二巡察组",
        "县农业农村局",
        D(2025, 3, 10),
        D(2025, 5, 20),
        D(2025, 7, 8),
    )
    # Dates of the body take the year of the round.
    dates = [d for f in iter_findings(r.findings) for m in f.measures for d in m.dates]
    assert [(d.text, d.value) for d in dates] == [("8月", D(2025, 8, 1))]


NOT_AN_OPENING = [
    pytest.param("巡察组进驻以来，开展了专项巡察。", id="moved-in-since-is-no-unit"),
    pytest.param("2024年6月3日，县委第一巡察组巡察情况反馈会召开。", id="feedback-meeting-without-a-unit"),
]


@pytest.mark.parametrize("text", NOT_AN_OPENING)
def test_words_around_a_clause_are_not_taken_for_the_unit(text):
    assert find_inspection(text)[0].inspected_unit is None


def test_a_breadcrumb_above_the_opening_gives_no_kind():
    text = "首页 > 巡察工作 > 专项巡察\n2024年3月，县委第一巡察组对县林业局开展了巡察。"
    assert find_inspection_kind(text) is None
    assert find_inspection(text)[0].inspected_unit == "县林业局"
