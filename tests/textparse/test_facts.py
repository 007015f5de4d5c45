"""Facts besides structure: 《titles》, accountability, headline stats, channels, status."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.textparse.growth import LINEAR_CPU_GROWTH, LINEAR_GROWTH, cpu_growth, growth
from tests.textparse.hostile import FACTS as FACTS_HOSTILE
from zhenggai.textparse.facts import (
    CITE_VERBS,
    ESTABLISH_VERBS,
    find_accountability,
    find_channels,
    find_documents,
    find_stats,
    status_hint,
)
from zhenggai.textparse.model import FeedbackChannels

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_3fc582a97ef44a37.txt"

_TO_FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})


def full_width(s: str) -> str:
    """The same text with its ASCII written full-width (one character for one)."""
    return s.translate(_TO_FULL)


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


# ---------------------------------------------------------------- documents

DOCUMENT_CASES = [
    ("2022年3月15日制定了交管大队(支部)《2022年度学习计划》", [("2022年度学习计划", True)]),
    (
        "集中学习《中国共产党支部工作条例(试行)》和组织生活会制度",
        [("中国共产党支部工作条例(试行)", False)],
    ),
    ("组织集中观看《以案为戒 警钟长鸣》警示教育片", [("以案为戒 警钟长鸣", False)]),
    ("四是制定《党风廉政建设“一岗双责”工作规定》", [("党风廉政建设“一岗双责”工作规定", True)]),
    (
        "制定完善了《A办法》、《B执行规定》、《C制度》、民辅警管理责任捆绑机制",
        [("A办法", True), ("B执行规定", True), ("C制度", True)],
    ),
    ("结合2022年3月24日制定的《交管大队财务管理规定》", [("交管大队财务管理规定", True)]),
    ("按照已建立的《考勤制度》执行", [("考勤制度", True)]),
    (
        "学习《望江县公共资源交易方式管理暂行办法》和《交管大队财务管理规定》",
        [("望江县公共资源交易方式管理暂行办法", False), ("交管大队财务管理规定", False)],
    ),
    (
        "印制、发放《创建文明城市倡议书》《致全县中小学生家长的一封信》",
        [("创建文明城市倡议书", False), ("致全县中小学生家长的一封信", False)],
    ),
    ("在学习《A条例》基础上制定《B细则》", [("A条例", False), ("B细则", True)]),
    ("制定了方案。学习《A条例》", [("A条例", False)]),
    ("制定了方案;《A条例》印发", [("A条例", False)]),
    ("《以案为戒 警钟长鸣》", [("以案为戒 警钟长鸣", False)]),
    ("组织学《党章》", [("党章", False)]),
    ("制定学校《安全手册》", [("安全手册", True)]),  # 学 in 学校 is not a verb
    ("印发《关于印发《某办法》的通知》", [("关于印发《某办法》的通知", True)]),
    ("研究制定《X规定》", [("X规定", True)]),
    ("依据《X规定》", [("X规定", False)]),
    ("落实“三会一课”制度》和主题党日", []),  # a stray 》
    ("制定《未闭合的标题\n下一段《B》", [("B", False)]),  # 《 left open at the newline
    ("《A 和《B》", [("B", False)]),
    ("《》", []),
]


@pytest.mark.parametrize(("text", "expected"), DOCUMENT_CASES)
def test_each_title_is_found_and_marked_established_or_cited(text, expected):
    found = find_documents(text)
    assert [(d.title, d.established) for d in found] == expected
    for d in found:
        assert text[d.span[0]] == "《" and text[d.span[1] - 1] == "》"
        assert d.title in text[d.span[0] : d.span[1]]


@pytest.mark.parametrize(("text", "expected"), DOCUMENT_CASES)
def test_titles_read_the_same_in_full_width_text(text, expected):
    wide = full_width(text)
    found = find_documents(wide)
    assert [d.established for d in found] == [e for _, e in expected]
    for d in found:
        assert wide[d.span[0] : d.span[1]] == "《" + d.title + "》"


def test_a_verb_beyond_forty_characters_does_not_govern():
    text = "制定" + "甲" * 45 + "《X》"
    assert [d.established for d in find_documents(text)] == [False]


def test_the_seed_has_thirteen_distinct_established_titles(seed):
    docs = find_documents(seed)
    assert {d.title for d in docs if d.established} == {
        "2022年度学习计划",
        "交管大队政治理论学习制度",
        "交管事故案件研究规定",
        "交管大队谈心谈话制度",
        "交管大队财务管理规定",
        "交通事故案件研究制度",
        "考勤核查制度",
        "涉案财物管理保管制度",
        "交管大队车辆管理规定",
        "望江县公安局交管大队机关工作人员考勤制度",
        "望江县公安局交管大队管理制度执行奖惩办法",
        "党风廉政建设“一岗双责”工作规定",
        "党风廉政建设“一案双查”实施办法",
    }


def test_the_seed_cites_the_other_twelve_titles(seed):
    docs = find_documents(seed)
    established = {d.title for d in docs if d.established}
    assert {d.title for d in docs} - established == {
        "中国共产党巡视工作条例",
        "中国共产党党内监督条例",
        "中国共产党支部工作条例(试行)",
        "创建文明城市倡议书",
        "致全县中小学生家长的一封信",
        "致广大驾驶人及群众的一封信",
        "全县公安局机关纪律作风提升年活动方案",
        "以案为戒 警钟长鸣",
        "道路交通安全违法行为记分管理办法",
        "安徽省公安机关行政处罚裁量权基准",
        "安徽省2018年-2019年政府集中采购目录及采购限额标准",
        "望江县公共资源交易方式管理暂行办法",
    }


def test_the_seed_flags_each_mention_of_the_finance_rule_on_its_own(seed):
    flags = [d.established for d in find_documents(seed) if d.title == "交管大队财务管理规定"]
    assert set(flags) == {True, False}  # established in some mentions, cited in others
    assert len(flags) == 7


def test_every_seed_span_covers_its_brackets(seed):
    for d in find_documents(seed):
        assert seed[d.span[0] : d.span[1]] == "《" + d.title + "》"


def test_the_verb_lists_are_exported_as_tuples():
    assert isinstance(ESTABLISH_VERBS, tuple) and "制定" in ESTABLISH_VERBS
    assert isinstance(CITE_VERBS, tuple) and "学习" in CITE_VERBS
    assert not set(ESTABLISH_VERBS) & set(CITE_VERBS)


# ----------------------------------------------------------- accountability

ACCOUNTABILITY_CASES = [
    ("对3名责任人进行诫勉谈话", [("诫勉谈话", 3)]),
    ("诫勉谈话2人", [("诫勉谈话", 2)]),
    ("提醒谈话5人次", [("提醒谈话", 5)]),
    (
        "给予政务处分0人;组织处理0人;诫勉0人",
        [("党纪政务处分", 0), ("组织处理", 0), ("诫勉谈话", 0)],
    ),
    ("约谈10名单位负责人", [("约谈", 10)]),
    ("对两名同志进行批评教育", [("批评教育", 2)]),
    ("对相关责任人进行谈话提醒", [("提醒谈话", None)]),
    ("责令作出书面检查", [("责令检查", None)]),
    ("给予党纪处分", [("党纪政务处分", None)]),
    ("党纪政务处分3人", [("党纪政务处分", 3)]),
    ("追责问责12人", [("问责", 12)]),
    ("问责", [("问责", None)]),
    ("通报批评", [("通报批评", None)]),
    (
        "对3名责任人进行诫勉谈话、责令检查",
        [("诫勉谈话", 3), ("责令检查", 3)],
    ),
    ("3人被约谈", [("约谈", 3)]),
    ("进行批评与自我批评", []),
    ("及时提醒驾驶人", []),
    ("学习《中国共产党问责条例》", []),
    ("建立约谈制度", []),
    ("通报受到党纪处分的15名党员情况", []),
    ("建立了谈心谈话制度", []),
]


@pytest.mark.parametrize(("text", "expected"), ACCOUNTABILITY_CASES)
def test_each_accountability_action_is_normalised_with_its_count(text, expected):
    found = find_accountability(text)
    assert [(a.action, a.count) for a in found] == expected


@pytest.mark.parametrize(("text", "expected"), ACCOUNTABILITY_CASES)
def test_accountability_reads_the_same_in_full_width_text(text, expected):
    wide = full_width(text)
    found = find_accountability(wide)
    assert [(a.action, a.count) for a in found] == expected
    for a in found:
        assert 0 <= a.span[0] < a.span[1] <= len(wide)


def test_a_zero_count_is_a_count_not_an_absence():
    (found,) = find_accountability("给予政务处分0人")
    assert found.count == 0


def test_the_seed_has_the_accountability_of_problems_13_14_15_and_22(seed):
    found = find_accountability(seed)
    assert [a.action for a in found] == [
        "提醒谈话",
        "诫勉谈话",
        "责令检查",
        "通报批评",  # problem 13
        "约谈",
        "约谈",  # problem 14
        "提醒谈话",  # problem 15 (谈话提醒)
        "提醒谈话",  # problem 22
    ]
    assert all(a.count is None for a in found)
    assert seed[found[6].span[0] : found[6].span[1]] == "谈话提醒"


# -------------------------------------------------------------------- stats

STATS_CASES = [
    (
        "巡察反馈问题697个,已完成整改688个,基本完成4个,未完成5个,整改完成率98.71%。",
        {
            "problems": 697,
            "completed": 688,
            "basically_complete": 4,
            "not_complete": 5,
            "completion_rate": Decimal("98.71"),
        },
    ),
    ("4个方面62个问题,制定195项具体整改措施", {"problems": 62, "measures": 195}),
    ("针对巡察反馈的25个问题,正在整改6个", {"problems": 25, "in_progress": 6}),
    (
        "共反馈问题18个,正在推进3个,整改完成率达76%",
        {
            "problems": 18,
            "in_progress": 3,
            "completion_rate": Decimal("76"),
        },
    ),
    (
        "共新建和完善制度12项,清退违规资金7.132万元",
        {
            "rules": 12,
            "money_recovered": Decimal("71320.00"),
        },
    ),
    ("制定及修改完善制度589项", {"rules": 589}),
    ("建立健全制度8项", {"rules": 8}),
    ("共新建、修订、完善12项规章制度", {"rules": 12}),
    ("共制定整改措施56条,实行销号管理", {"measures": 56}),
    (
        "追缴资金1.5万元,追责问责5人",
        {"money_recovered": Decimal("15000.00"), "accountable_people": 5},
    ),
    ("挽回经济损失20万元,收回资金3000元", {"money_recovered": Decimal("200000.00")}),
    ("问责3人", {"accountable_people": 3}),
    ("已整改销号问题453个", {"completed": 453}),
    ("未完成0个", {"not_complete": 0}),
    ("共发现问题5个,整改5个", {}),
    ("多付税费8976元已退回国库", {}),
    ("", {}),
]


@pytest.mark.parametrize(("text", "expected"), STATS_CASES)
def test_headline_statistics_are_read_only_where_stated(text, expected):
    assert find_stats(text) == expected


@pytest.mark.parametrize(("text", "expected"), STATS_CASES)
def test_headline_statistics_read_the_same_in_full_width_text(text, expected):
    assert find_stats(full_width(text)) == expected


def test_the_first_statement_of_a_statistic_wins():
    assert find_stats("反馈问题30个。另:反馈问题40个")["problems"] == 30


def test_the_seed_states_no_headline_statistics(seed):
    assert find_stats(seed) == {}


# ----------------------------------------------------------------- channels

CHANNEL_CASES = [
    (
        "联系方式:0556-7170878;邮寄地址:望江县东洲路292号;电子邮箱:852887055@qq.com",
        FeedbackChannels("0556-7170878", "望江县东洲路292号", "852887055@qq.com"),
    ),
    ("联系电话:(0556)7170878", FeedbackChannels(phone="(0556)7170878")),
    ("联系电话：0556—7170878。", FeedbackChannels(phone="0556—7170878")),
    ("举报电话: 12388", FeedbackChannels(phone="12388")),
    ("联系电话为13912345678", FeedbackChannels(phone="13912345678")),
    ("通信地址:望江县东洲路1号,邮编:246200", FeedbackChannels(address="望江县东洲路1号")),
    ("邮政地址：安徽省望江县东洲路292号；", FeedbackChannels(address="安徽省望江县东洲路292号")),
    ("来信地址:某路1号\n下一段", FeedbackChannels(address="某路1号")),
    ("电子邮箱:ab.c_d@mail.example.cn", FeedbackChannels(email="ab.c_d@mail.example.cn")),
    ("本文转自 a@b.com", FeedbackChannels()),
    ("电话:0556-1111111\n\n联系电话:0556-2222222", FeedbackChannels(phone="0556-2222222")),
    ("没有任何联系方式", FeedbackChannels()),
]


@pytest.mark.parametrize(("text", "expected"), CHANNEL_CASES)
def test_feedback_channels_are_read_as_written(text, expected):
    assert find_channels(text) == expected


def test_a_full_width_phone_is_kept_as_written_and_the_email_folded():
    text = "联系电话：０５５６－７１７０８７８；电子邮箱：８５２＠ｑｑ．ｃｏｍ"
    found = find_channels(text)
    assert found.phone == "０５５６－７１７０８７８"
    assert found.email == "852@qq.com"


def test_the_seed_closing_paragraph_gives_phone_address_and_email(seed):
    assert find_channels(seed) == FeedbackChannels(
        phone="0556-7170878", address="望江县东洲路292号", email="852887055@qq.com"
    )


# ------------------------------------------------------------------- status

STATUS_CASES = [
    ("目前此项隐患整改各乡镇正在推进中", "in_progress"),
    ("已完成排查,目前正在推进中", "in_progress"),
    ("目前整改工作推进中", "in_progress"),
    ("目前该项工作仍在协调中。", "in_progress"),
    ("将于2022年底前完成", "in_progress"),
    ("拟于下月召开专题会议", "in_progress"),
    ("2019年1月县局工会慰问规定尚未执行", "in_progress"),
    ("持续推进中", "ongoing"),
    ("每月开展案件评查", "ongoing"),
    ("常态化开展联合行动", "ongoing"),
    ("定期开展“回头看”", "ongoing"),
    ("每季度评选一次辅警之星", "ongoing"),
    ("每学期开学前开展安全检查", "ongoing"),
    ("建立长效机制", "ongoing"),
    ("长期坚持", "ongoing"),
    ("已建立廉政风险点防控清单,每月更新", "ongoing"),
    ("已将僵尸车全部清理", "done"),
    ("以上路段违停已得到根本解决", "done"),
    ("制定了《交管大队谈心谈话制度》", "done"),
    ("召开了专题会议", "done"),
    ("开展了两期培训班", "done"),
    ("3月7日召开警示教育专题会议,通报了18名违纪违规人员情况", "done"),
    ("目前均落实整改", "done"),
    ("多报金额上交国库", "done"),
    ("多付税费8976元已退回国库", "done"),
    ("辅警绩效发放到位", "done"),
    ("加强业务知识学习", None),
    ("整改不到位", None),
    ("目前在城区中队值守", None),
    ("草拟《X办法》", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "expected"), STATUS_CASES)
def test_the_status_hint_follows_the_wording_with_in_progress_first(text, expected):
    assert status_hint(text) == expected


def test_problem_5_measure_1_of_the_seed_is_in_progress(seed):
    start = seed.index("一是2021年12月县联席会议办公室")
    end = seed.index(";二是制定了两站两员")
    assert status_hint(seed[start:end]) == "in_progress"


# ------------------------------------------------------ robustness and speed

_FACT_PIECES = st.sampled_from(
    list("《》“”()、,;。\n制定学习了建立按照对名人约谈诫勉谈话提醒问责反馈问题个已完成正在中目前")
    + list("0123456789:@.-电话地址邮箱")
    + ["联系电话:", "邮寄地址:", "a@b.cn", "；", "，"]
)
_TEXTS = st.one_of(st.text(), st.lists(_FACT_PIECES, max_size=60).map("".join))


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_documents_of_any_text_are_ordered_in_bounds_and_deterministic(text):
    found = find_documents(text)
    assert found == find_documents(text)
    last_end = 0
    for d in found:
        assert last_end <= d.span[0] < d.span[1] <= len(text)
        assert text[d.span[0]] == "《" and text[d.span[1] - 1] == "》"
        last_end = d.span[1]


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_accountability_of_any_text_is_ordered_in_bounds_and_deterministic(text):
    found = find_accountability(text)
    assert found == find_accountability(text)
    last_end = 0
    for a in found:
        assert last_end <= a.span[0] < a.span[1] <= len(text)
        assert a.count is None or a.count >= 0
        last_end = a.span[1]


@settings(max_examples=200, deadline=None)
@given(_TEXTS)
def test_stats_channels_and_status_of_any_text_never_raise_and_are_deterministic(text):
    assert find_stats(text) == find_stats(text)
    channels = find_channels(text)
    assert channels == find_channels(text)
    for value in (channels.phone, channels.address):
        assert value is None or value in text
    assert status_hint(text) in (None, "done", "in_progress", "ongoing")


def _scan_all(text: str) -> None:
    for fn in (find_documents, find_accountability, find_stats, find_channels, status_hint):
        fn(text)


@pytest.mark.parametrize("make", FACTS_HOSTILE.values(), ids=list(FACTS_HOSTILE))
def test_pathological_inputs_run_in_linear_time(make):
    # Growth measured at two sizes in one run (tests/textparse/growth.py), never against
    # a clock; the seconds are figures of bench/bench_textparse.py.
    assert growth(_scan_all, make, 10_000) < LINEAR_GROWTH
    assert cpu_growth(_scan_all, make, 3_125) < LINEAR_CPU_GROWTH
