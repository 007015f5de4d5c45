"""Headline figures and feedback channels as real notices write them.

Breakdowns over several levels (5个方面15大项问题60子项问题), approximate counts (400余条,
100多项, 近百条), counts in words (十二项), the units 个/项/条/件/大项/子项, and every label
units give their channels under (邮政信箱, 来信地址, 通信地址, 监督电话, 举报电话, 电子邮箱).
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.textparse.growth import LINEAR_CPU_GROWTH, LINEAR_GROWTH, cpu_growth, growth
from zhenggai.textparse.dates import find_dates
from zhenggai.textparse.facts import find_breakdown, find_channels, find_stats
from zhenggai.textparse.model import FeedbackChannels
from zhenggai.textparse.parse import parse_text

FIGURES = [
    pytest.param(
        "巡察反馈5个方面15大项问题60子项问题，我局制定配套措施400余条。",
        {"problems": 60, "measures": 400},
        {"categories": 5, "issues": 15, "problems": 60},
        id="three-levels-and-approximate-measures",
    ),
    pytest.param(
        "共梳理出4大类、13个大项、26个具体问题，制定29项整改措施。",
        {"problems": 26, "measures": 29},
        {"categories": 4, "issues": 13, "problems": 26},
        id="categories-items-problems-measures",
    ),
    pytest.param(
        "针对巡察反馈的4个方面62个问题，制定195项具体整改措施，细化落实到19个牵头部门。",
        {"problems": 62, "measures": 195},
        {"categories": 4, "problems": 62},
        id="aspects-and-problems",
    ),
    pytest.param(
        "巡察组反馈了三个方面十二项问题，我局细化整改措施四十八条。",
        {"problems": 12, "measures": 48},
        {"categories": 3, "problems": 12},
        id="counts-in-words",
    ),
    pytest.param(
        "县委巡察组指出两个方面九个问题。",
        {"problems": 9},
        {"categories": 2, "problems": 9},
        id="two-written-liang",
    ),
    pytest.param(
        "共梳理出5大项问题、23个子项问题。",
        {"problems": 23},
        {"issues": 5, "problems": 23},
        id="items-and-sub-items",
    ),
    pytest.param(
        "反馈问题32个，已完成28个，正在整改4个。",
        {"problems": 32, "completed": 28, "in_progress": 4},
        {},
        id="feedback-n-completed-m",
    ),
    pytest.param(
        "反馈问题十二项，已完成整改十项，完成率83.3%。",
        {"problems": 12, "completed": 10, "completion_rate": Decimal("83.3")},
        {},
        id="feedback-in-words",
    ),
    pytest.param(
        "巡察反馈问题共计18件，已整改完成15件，尚未完成3件。",
        {"problems": 18, "completed": 15, "not_complete": 3},
        {},
        id="pieces",
    ),
    pytest.param(
        "反馈问题26个，完成整改24个，基本完成整改2个。",
        {"problems": 26, "completed": 24, "basically_complete": 2},
        {},
        id="completed-without-yi",
    ),
    pytest.param("共制定整改措施100余条。", {"measures": 100}, {}, id="measures-more-than"),
    pytest.param("制定了100多项整改措施。", {"measures": 100}, {}, id="measures-over-before-the-noun"),
    pytest.param("制定整改措施近百条。", {"measures": 100}, {}, id="measures-nearly-a-hundred"),
    pytest.param("制定具体整改措施一百二十余项。", {"measures": 120}, {}, id="measures-in-words-with-yu"),
    pytest.param("我们从3个方面入手推进整改。", {}, {}, id="aspects-alone-are-not-a-headline"),
    pytest.param("共发现问题18个。", {}, {}, id="a-lone-count-of-problems-is-no-breakdown"),
    pytest.param("基本完成整改3个。", {"basically_complete": 3}, {}, id="basically-is-not-completed"),
    pytest.param("尚未完成整改2个。", {"not_complete": 2}, {}, id="not-yet-is-not-completed"),
]


@pytest.mark.parametrize(("text", "stats", "breakdown"), FIGURES)
def test_the_headline_figures_are_read_as_written(text, stats, breakdown):
    assert find_stats(text) == stats
    assert find_breakdown(text) == breakdown


def test_the_first_statement_of_a_figure_wins():
    text = "反馈4个方面20个问题，制定整改措施56条。其中第一方面5个问题，制定整改措施12条。"
    assert find_stats(text) == {"problems": 20, "measures": 56}
    assert find_breakdown(text) == {"categories": 4, "problems": 20}


CHANNELS = [
    pytest.param(
        "欢迎广大干部群众监督。联系电话：0556-5123456；邮政信箱：望江县2001号信箱；电子邮箱：wjxc@163.com。",
        FeedbackChannels("0556-5123456", "望江县2001号信箱", "wjxc@163.com"),
        id="postal-box",
    ),
    pytest.param(
        "监督电话：0556—5123456\n来信地址：望江县雷池大道88号县农业农村局办公室（邮编：246200）\n"
        "电子邮箱：wjnyj@126.com",
        FeedbackChannels("0556—5123456", "望江县雷池大道88号县农业农村局办公室", "wjnyj@126.com"),
        id="letters-address-with-postcode-in-brackets",
    ),
    pytest.param(
        "举报电话：12388；通信地址：安庆市迎江区人民路1号，邮编246001；电子邮箱：aqjw@aq.gov.cn",
        FeedbackChannels("12388", "安庆市迎江区人民路1号", "aqjw@aq.gov.cn"),
        id="report-line-and-correspondence-address",
    ),
    pytest.param(
        "如有意见建议，请通过以下方式反映：1.监督电话：(0556)5123456；2.邮政信箱：安庆市A001信箱；"
        "3.电子邮箱：xcb@aq.gov.cn。",
        FeedbackChannels("(0556)5123456", "安庆市A001信箱", "xcb@aq.gov.cn"),
        id="numbered-list",
    ),
    pytest.param(
        "监督举报电话：13905561234\n邮政信箱：某某县邮政局第18号信箱（邮编246200）",
        FeedbackChannels("13905561234", "某某县邮政局第18号信箱", None),
        id="mobile-and-postal-box-on-their-own-lines",
    ),
    pytest.param(
        "来信邮寄地址：某某县人民路9号县纪委监委（邮编：246200）",
        FeedbackChannels(None, "某某县人民路9号县纪委监委", None),
        id="letters-posting-address",
    ),
]


@pytest.mark.parametrize(("text", "expected"), CHANNELS)
def test_every_channel_label_is_read(text, expected):
    assert find_channels(text) == expected


NOTICE = """中共某某县审计局党组关于巡察整改进展情况的通报

根据县委统一部署，2024年3月4日至5月8日，县委第一巡察组对县审计局开展了常规巡察。6月10日，县委第一巡察组向县审计局党组反馈了巡察意见。现将整改进展情况予以公布。

一、加强组织领导，压实整改责任
局党组成立整改工作领导小组，对巡察反馈的3个方面11大项问题35子项问题逐项建立台账，制定配套措施120余条。
截至目前，反馈问题35个，已完成32个，正在整改3个。
二、反馈问题整改落实情况
（一）落实党中央决策部署方面
1.审计监督作用发挥不够
一是修订了审计项目计划管理办法；二是7月开展专题培训。
三、下一步工作打算
持续抓好整改。
欢迎广大干部群众对巡察整改落实情况进行监督。监督电话：0556-5123456；来信地址：某某县人民路9号（邮编：246200）；电子邮箱：sjjxc@163.com。

中共某某县审计局党组
2024年9月30日
"""


def test_a_notice_with_its_figures_in_the_organisation_section():
    r = parse_text(NOTICE)
    assert r.stats == {"problems": 35, "measures": 120, "completed": 32, "in_progress": 3}
    assert find_breakdown(NOTICE) == {"categories": 3, "issues": 11, "problems": 35}
    assert r.feedback_channels == FeedbackChannels("0556-5123456", "某某县人民路9号", "sjjxc@163.com")


# Inputs made of the words the new figures and ranges are read around, repeated; the
# seconds they take belong to bench/bench_textparse.py, the tests count the work.
HOSTILE = {
    "level words": lambda n: "类" * n,
    "numbered level words": lambda n: "1类" * (n // 2),
    "breakdowns without problems": lambda n: "3个方面5大项" * (n // 7),
    "about": lambda n: "近约逾" * (n // 3),
    "more than": lambda n: "1余" * (n // 2),
    "completed": lambda n: "完成整改" * (n // 4),
    "postal box": lambda n: "邮政信箱" + " " * n,
    "traditional": lambda n: "問題整改長效機制" * (n // 8),
}


def _figures(text: str) -> None:
    find_stats(text)
    find_breakdown(text)
    find_channels(text)


@pytest.mark.parametrize("make", HOSTILE.values(), ids=list(HOSTILE))
def test_the_figures_of_any_text_are_read_in_linear_time(make):
    assert growth(_figures, make, 10_000) < LINEAR_GROWTH
    assert cpu_growth(_figures, make, 3_125) < LINEAR_CPU_GROWTH


RANGES = {
    "onwards to": lambda n: "3月1日起至" * (n // 6),
    "dotted ends": lambda n: "2025.3.10-5." * (n // 12),
    "dotted ends with days": lambda n: "2025.3.10-5.20" * (n // 14),
}


@pytest.mark.parametrize("make", RANGES.values(), ids=list(RANGES))
def test_dates_with_the_new_range_forms_are_read_in_linear_time(make):
    assert growth(find_dates, make, 10_000) < LINEAR_GROWTH
    assert cpu_growth(find_dates, make, 3_125) < LINEAR_CPU_GROWTH
