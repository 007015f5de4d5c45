"""The headline facts of progress notices as they come off government sites.

Inspection group, unit, period, feedback date, kind, title and headline figures, read
through the page chrome (``webtexts``), with openings in the wordings units use, figures
in the organisation section and figures of an earlier round beside this round's.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from tests.textparse.webtexts import WEB_NOTICES
from zhenggai.textparse.dates import find_inspection, find_inspection_kind
from zhenggai.textparse.facts import find_breakdown, find_channels, find_stats
from zhenggai.textparse.parse import parse_text

D = dt.date


def inspection_of(text: str) -> tuple[object, ...]:
    i, diagnostics = find_inspection(text)
    assert diagnostics == []
    return (i.inspecting_group, i.inspected_unit, i.period_start, i.period_end, i.feedback_date)


@pytest.mark.parametrize("notice", WEB_NOTICES.values(), ids=list(WEB_NOTICES))
def test_the_facts_of_a_notice_from_a_site_are_read_through_its_chrome(notice):
    assert inspection_of(notice.text) == (notice.group, notice.unit, *notice.period, notice.feedback)
    assert find_inspection_kind(notice.text) == notice.kind
    assert find_stats(notice.text) == notice.stats
    channels = find_channels(notice.text)
    assert (channels.phone, channels.address, channels.email) == (notice.phone, notice.address, notice.email)


@pytest.mark.parametrize("notice", WEB_NOTICES.values(), ids=list(WEB_NOTICES))
def test_the_parsed_notice_has_its_own_title_and_facts_never_the_pages(notice):
    r = parse_text(notice.text)
    assert r.title == notice.title
    assert r.doc_type == "progress_notice"
    i = r.inspection
    assert (i.inspecting_group, i.inspected_unit, i.period_start, i.period_end, i.feedback_date) == (
        notice.group,
        notice.unit,
        *notice.period,
        notice.feedback,
    )
    assert r.stats == notice.stats
    assert (r.feedback_channels.phone, r.feedback_channels.email) == (notice.phone, notice.email)
    assert r.text == notice.text  # the source as it came, chrome and all


HEADER = (
    "首页 > 巡察工作 > 整改公示\n发布时间：2025-09-20 09:30　来源：县委巡察办　浏览次数：88\n"
    "【字号：大 中 小】【打印本页】\n"
)
FOOTER = (
    "\n分享到：微信 微博\n上一篇：关于2025年第一季度工作情况的通报\n"
    "版权所有：某某县人民政府 皖ICP备05001234号\n"
)

OPENINGS = [
    pytest.param(
        "根据县委统一部署，2025年3月10日至5月20日，县委第二巡察组对县教育局党组开展了常规巡察，"
        "并于2025年7月8日反馈了巡察意见。",
        ("县委第二巡察组", "县教育局党组", D(2025, 3, 10), D(2025, 5, 20), D(2025, 7, 8)),
        "常规",
        id="by-decision-period-group-unit-feedback",
    ),
    pytest.param(
        "按照县委巡察工作领导小组统一安排，县委第三巡察组于2024年4月8日至6月5日对县水利局党组进行了巡察，"
        "6月28日反馈了巡察意见。",
        ("县委第三巡察组", "县水利局党组", D(2024, 4, 8), D(2024, 6, 5), D(2024, 6, 28)),
        None,
        id="as-required-group-then-period",
    ),
    pytest.param(
        "2024年6月3日，市委第四巡察组向市统计局党组反馈巡察情况。",
        ("市委第四巡察组", "市统计局", None, None, D(2024, 6, 3)),
        None,
        id="feedback-only",
    ),
    pytest.param(
        "2023年4月10日至6月9日，县委第一巡察组对我局进行了巡察，并于2023年8月16日向局党组反馈了巡察意见。",
        ("县委第一巡察组", "我局", D(2023, 4, 10), D(2023, 6, 9), D(2023, 8, 16)),
        None,
        id="our-bureau",
    ),
    pytest.param(
        "县委第一巡察组于2024年4月至6月对县民政局开展了巡察，7月12日进行了反馈。",
        ("县委第一巡察组", "县民政局", D(2024, 4, 1), D(2024, 6, 30), D(2024, 7, 12)),
        None,
        id="months-and-a-feedback-without-addressee",
    ),
    pytest.param(
        "县委第二巡察组于2023年10月16日至12月15日，对县税务局开展了巡察。"
        "2024年1月10日，县委第二巡察组向县税务局党组反馈了巡察意见。",
        ("县委第二巡察组", "县税务局", D(2023, 10, 16), D(2023, 12, 15), D(2024, 1, 10)),
        None,
        id="comma-before-the-unit-and-feedback-in-the-next-year",
    ),
    pytest.param(
        "根据市委统一部署，2024年3月6日至5月10日，市委第二巡察组对某某县开展了提级巡察，"
        "2024年6月12日召开了巡察反馈会。",
        ("市委第二巡察组", "某某县", D(2024, 3, 6), D(2024, 5, 10), D(2024, 6, 12)),
        "提级",
        id="feedback-meeting-held",
    ),
    pytest.param(
        "2024年6月12日，县委第三巡察组巡察反馈会在县交通局召开。",
        ("县委第三巡察组", "县交通局", None, None, D(2024, 6, 12)),
        None,
        id="feedback-meeting-held-at-the-unit",
    ),
    pytest.param(
        "2024年7月，县委第一巡察组对县卫健委开展了“回头看”巡察，并于9月5日反馈巡察意见。",
        ("县委第一巡察组", "县卫健委", D(2024, 7, 1), D(2024, 7, 31), D(2024, 9, 5)),
        "回头看",
        id="look-back-with-a-yearless-feedback",
    ),
    pytest.param(
        "2025年2月24日至4月25日，县委第二巡察组对县市场监管局党组开展了常规巡察，"
        "并于2025年6月16日向县市场监管局党组反馈了巡察意见，指出了4个方面18个问题。",
        ("县委第二巡察组", "县市场监管局党组", D(2025, 2, 24), D(2025, 4, 25), D(2025, 6, 16)),
        "常规",
        id="feedback-with-its-figures",
    ),
]


@pytest.mark.parametrize(("opening", "expected", "kind"), OPENINGS)
def test_the_opening_is_read_in_each_wording_through_the_chrome(opening, expected, kind):
    text = f"{HEADER}关于巡察整改进展情况的通报\n{opening}\n一、整改工作开展情况\n持续推进整改。{FOOTER}"
    assert inspection_of(text) == expected
    assert find_inspection_kind(text) == kind


def test_the_publication_date_of_the_page_is_never_the_feedback_date():
    text = "发布时间：2024-06-20 10:00\n2024年6月3日，市委第四巡察组向市统计局党组反馈巡察情况。"
    assert inspection_of(text)[-1] == D(2024, 6, 3)
    text = "发布时间：2024-06-20 10:00\n市委第四巡察组向市统计局党组反馈巡察情况。"
    assert inspection_of(text)[-1] is None


EARLIER = [
    pytest.param(
        "反馈问题12个，已完成10个。对上一轮巡察反馈的8个问题，已完成整改6个。",
        {"problems": 12, "completed": 10},
        id="earlier-round-after",
    ),
    pytest.param(
        "对上一轮巡察反馈的8个问题，已完成整改6个。本轮巡察反馈问题12个，已完成10个。",
        {"problems": 12, "completed": 10},
        id="earlier-round-first",
    ),
    pytest.param(
        "上一轮巡察反馈问题9个，本轮巡察反馈问题14个，已完成12个。",
        {"problems": 14, "completed": 12},
        id="both-rounds-in-one-sentence",
    ),
    pytest.param(
        "上轮巡察反馈的3个方面9个问题已全部整改。此次巡察反馈4个方面15个问题，制定整改措施45条。",
        {"problems": 15, "measures": 45},
        id="earlier-breakdown",
    ),
    pytest.param(
        "根据县委统一部署，2024年4月8日至6月5日，县委第三巡察组对县水利局党组进行了巡察。\n"
        "2021年县委巡察反馈的23个问题已于2022年全部完成整改，完成率100%。"
        "截至2024年9月底，巡察反馈问题60个，已完成整改54个，完成率90%。",
        {"problems": 60, "completed": 54, "completion_rate": Decimal(90)},
        id="earlier-round-by-its-year",
    ),
    pytest.param(
        "根据县委统一部署，2024年4月8日至6月5日，县委第三巡察组对县水利局党组进行了巡察。\n"
        "2024年县委巡察反馈问题60个，已完成整改54个。",
        {"problems": 60, "completed": 54},
        id="this-rounds-own-year-counts",
    ),
]


@pytest.mark.parametrize(("text", "expected"), EARLIER)
def test_figures_of_an_earlier_round_are_not_this_rounds(text, expected):
    assert find_stats(text) == expected


FIGURES = [
    pytest.param(
        "对巡察组指出的问题，我局共梳理出问题清单3大类21项，制定整改措施65条。",
        {"problems": 21, "measures": 65},
        {"categories": 3, "problems": 21},
        id="categories-and-items-without-the-noun",
    ),
    pytest.param("指出问题23个，已全部整改完成。", {"problems": 23}, {}, id="pointed-out"),
    pytest.param(
        "巡察组共反馈3个方面问题14个，制定整改措施42条。",
        {"problems": 14, "measures": 42},
        {"categories": 3, "problems": 14},
        id="aspects-before-the-noun-count-after",
    ),
    pytest.param(
        "县委第二巡察组共反馈问题15个，截至目前已整改完成13个，正在推进2个。",
        {"problems": 15, "completed": 13, "in_progress": 2},
        {},
        id="feedback-done-and-in-progress",
    ),
    pytest.param(
        "反馈意见指出的四个方面十五个问题，已整改到位十三个。",
        {"problems": 15, "completed": 13},
        {"categories": 4, "problems": 15},
        id="in-words-done-in-place",
    ),
    pytest.param("从3个方面12项工作入手推进整改。", {}, {}, id="aspects-and-tasks-are-no-problems"),
]


@pytest.mark.parametrize(("text", "stats", "breakdown"), FIGURES)
def test_more_wordings_of_the_headline_figures(text, stats, breakdown):
    assert find_stats(text) == stats
    assert find_breakdown(text) == breakdown


def test_page_counters_are_never_figures():
    text = "浏览次数：356个\n点击数：12条\n反馈问题12个，已完成10个。"
    assert find_stats(text) == {"problems": 12, "completed": 10}
