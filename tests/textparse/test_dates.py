"""Dates, deadlines and the opening paragraph's inspection facts, read as written."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.textparse.growth import LINEAR_CPU_GROWTH, LINEAR_GROWTH, cpu_growth, growth
from tests.textparse.hostile import DATES as DATES_HOSTILE
from zhenggai.textparse.dates import find_dates, find_inspection, parse_deadline
from zhenggai.textparse.model import DateMention, Inspection

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_3fc582a97ef44a37.txt"

D = dt.date


def _one(text: str, **kwargs: int) -> DateMention:
    found = find_dates(text, **kwargs)
    assert len(found) == 1, found
    m = found[0]
    assert text[m.span[0] : m.span[1]] == m.text
    return m


@pytest.fixture(scope="module")
def seed() -> str:
    return SEED.read_text(encoding="utf-8")


# --- find_dates: single forms ------------------------------------------------

# (text, mention text, value, end, precision, qualifier)
FORMS = [
    ("2022年3月15日", "2022年3月15日", D(2022, 3, 15), D(2022, 3, 15), "day", None),
    ("于2022年3月制定", "2022年3月", D(2022, 3, 1), D(2022, 3, 31), "month", None),
    ("2022年3月份", "2022年3月份", D(2022, 3, 1), D(2022, 3, 31), "month", None),
    ("2021年县公安大队", "2021年", D(2021, 1, 1), D(2021, 12, 31), "year", None),
    ("2022年度学习计划", "2022年", D(2022, 1, 1), D(2022, 12, 31), "year", None),
    ("二〇二二年三月十五日", "二〇二二年三月十五日", D(2022, 3, 15), D(2022, 3, 15), "day", None),
    ("二零二一年十二月三十一日", "二零二一年十二月三十一日", D(2021, 12, 31), D(2021, 12, 31), "day", None),
    ("２０２２年３月１５日", "２０２２年３月１５日", D(2022, 3, 15), D(2022, 3, 15), "day", None),
    ("2022年元月", "2022年元月", D(2022, 1, 1), D(2022, 1, 31), "month", None),
    ("2022年3月5号", "2022年3月5号", D(2022, 3, 5), D(2022, 3, 5), "day", None),
    ("2022年7月底", "2022年7月底", D(2022, 7, 31), D(2022, 7, 31), "day", "end"),
    ("2022年2月底", "2022年2月底", D(2022, 2, 28), D(2022, 2, 28), "day", "end"),
    ("2022年底", "2022年底", D(2022, 12, 31), D(2022, 12, 31), "day", "end"),
    ("2022年年底", "2022年年底", D(2022, 12, 31), D(2022, 12, 31), "day", "end"),
    ("2022年3月上旬", "2022年3月上旬", D(2022, 3, 1), D(2022, 3, 10), "month", "early"),
    ("2022年3月中旬", "2022年3月中旬", D(2022, 3, 11), D(2022, 3, 20), "month", "mid"),
    ("2022年2月下旬", "2022年2月下旬", D(2022, 2, 21), D(2022, 2, 28), "month", "late"),
    ("在2021年11月1日前", "2021年11月1日前", D(2021, 11, 1), D(2021, 11, 1), "day", "before"),
    ("2022年3月底前完成", "2022年3月底前", D(2022, 3, 31), D(2022, 3, 31), "day", "before"),
    ("2022年6月以前", "2022年6月以前", D(2022, 6, 1), D(2022, 6, 30), "month", "before"),
    ("2017年以来", "2017年以来", D(2017, 1, 1), D(2017, 12, 31), "year", "since"),
    ("2022年以来农村道路事故419起", "2022年以来", D(2022, 1, 1), D(2022, 12, 31), "year", "since"),
    ("2017年至今", "2017年至今", D(2017, 1, 1), D(2017, 12, 31), "year", "since"),
    ("2022.3.30", "2022.3.30", D(2022, 3, 30), D(2022, 3, 30), "day", None),
    ("2022-03-30", "2022-03-30", D(2022, 3, 30), D(2022, 3, 30), "day", None),
    ("2022/3/30", "2022/3/30", D(2022, 3, 30), D(2022, 3, 30), "day", None),
    ("于2022.03印发", "2022.03", D(2022, 3, 1), D(2022, 3, 31), "month", None),
    ("２０２２．３．３０", "２０２２．３．３０", D(2022, 3, 30), D(2022, 3, 30), "day", None),
]


@pytest.mark.parametrize(("text", "written", "value", "end", "precision", "qualifier"), FORMS)
def test_a_written_date_is_normalised_with_its_precision_and_qualifier(
    text, written, value, end, precision, qualifier
):
    m = _one(text)
    assert (m.text, m.value, m.end, m.precision, m.qualifier) == (written, value, end, precision, qualifier)
    assert not m.malformed
    assert not m.year_inferred


# (text, value, end, precision, qualifier) — all with the year 2022 in force
YEARLESS = [
    ("3月15日", D(2022, 3, 15), D(2022, 3, 15), "day", None),
    ("三月十五日", D(2022, 3, 15), D(2022, 3, 15), "day", None),
    ("3月", D(2022, 3, 1), D(2022, 3, 31), "month", None),
    ("2月份", D(2022, 2, 1), D(2022, 2, 28), "month", None),
    ("二月份起", D(2022, 2, 1), D(2022, 2, 28), "month", None),
    ("元月", D(2022, 1, 1), D(2022, 1, 31), "month", None),
    ("三月底", D(2022, 3, 31), D(2022, 3, 31), "day", "end"),
    ("7月底", D(2022, 7, 31), D(2022, 7, 31), "day", "end"),
    ("6月底前", D(2022, 6, 30), D(2022, 6, 30), "day", "before"),
    ("年底", D(2022, 12, 31), D(2022, 12, 31), "day", "end"),
    ("年底前", D(2022, 12, 31), D(2022, 12, 31), "day", "before"),
    ("9月下旬", D(2022, 9, 21), D(2022, 9, 30), "month", "late"),
    ("2月份以来", D(2022, 2, 1), D(2022, 2, 28), "month", "since"),
]


@pytest.mark.parametrize(("text", "value", "end", "precision", "qualifier"), YEARLESS)
def test_a_yearless_date_takes_the_year_in_force(text, value, end, precision, qualifier):
    m = _one(text, year=2022)
    assert (m.value, m.end, m.precision, m.qualifier) == (value, end, precision, qualifier)
    assert m.year_inferred
    assert not m.malformed


@pytest.mark.parametrize(("text", "precision"), [("3月15日", "day"), ("3月", "month")])
def test_a_yearless_date_with_no_year_in_force_is_unknown_not_malformed(text, precision):
    m = _one(text)
    assert (m.value, m.end, m.precision, m.malformed, m.year_inferred) == (
        None,
        None,
        precision,
        False,
        False,
    )


# (text, value, end, precision) — ranges are one mention with qualifier "range"
RANGES = [
    ("2021年11月1日至11月30日", D(2021, 11, 1), D(2021, 11, 30), "day"),
    ("2024年3月4日至5月8日", D(2024, 3, 4), D(2024, 5, 8), "day"),
    ("2022年3月4日至8日", D(2022, 3, 4), D(2022, 3, 8), "day"),
    ("2022年1月-6月", D(2022, 1, 1), D(2022, 6, 30), "month"),
    ("2022年1月—6月", D(2022, 1, 1), D(2022, 6, 30), "month"),
    ("2022年1月－6月", D(2022, 1, 1), D(2022, 6, 30), "month"),
    ("2022年1月~6月", D(2022, 1, 1), D(2022, 6, 30), "month"),
    ("2022年8月下旬至9月底", D(2022, 8, 21), D(2022, 9, 30), "month"),
    ("2024年3月至5月", D(2024, 3, 1), D(2024, 5, 31), "month"),
    ("2018年-2019年", D(2018, 1, 1), D(2019, 12, 31), "year"),
    ("2021年12月至2022年2月", D(2021, 12, 1), D(2022, 2, 28), "month"),
    ("2021年12月至3月", D(2021, 12, 1), D(2022, 3, 31), "month"),
    ("2022年8月至年底", D(2022, 8, 1), D(2022, 12, 31), "month"),
    ("2022.3.1-2022.3.30", D(2022, 3, 1), D(2022, 3, 30), "day"),
]


@pytest.mark.parametrize(("text", "value", "end", "precision"), RANGES)
def test_a_range_is_one_mention_from_its_start_to_the_end_of_its_end(text, value, end, precision):
    m = _one(text)
    assert (m.text, m.value, m.end, m.precision, m.qualifier) == (text, value, end, precision, "range")


def test_a_yearless_range_takes_the_year_in_force_for_both_ends():
    m = _one("3月4日至8日", year=2023)
    assert (m.value, m.end, m.qualifier, m.year_inferred) == (D(2023, 3, 4), D(2023, 3, 8), "range", True)


def test_a_day_only_end_before_its_start_is_not_a_range():
    assert [m.text for m in find_dates("3月30日至2日", year=2022)] == ["3月30日"]


MALFORMED = [
    "330日",
    "1215日",
    "2月30日",
    "13月",
    "2022年0月",
    "2022年2月29日",
    "2022年13月5日",
    "2022年330日",
    "330日至5月1日",
    "2023年330日至5月1日",
]


@pytest.mark.parametrize("text", MALFORMED)
def test_an_impossible_date_is_malformed_and_never_guessed(text):
    m = _one(text, year=2022)
    assert m.text == text
    assert (m.value, m.end, m.precision, m.malformed) == (None, None, None, True)


def test_february_the_twenty_ninth_is_a_date_in_a_leap_year():
    assert _one("2月29日", year=2024).value == D(2024, 2, 29)


NOT_DATES = [
    "今年以来共开展集中学习14次",
    "与去年同期比下降6.75%",
    "一季度共开展宣传工作30次",
    "本月完成",
    "下月完成",
    "正月十五",
    "30个工作日内",
    "45日内",
    "5日以内",
    "120日以上",
    "近120日",
    "通过交警指挥平台10分钟提示",
    "每天早中晚3个半小时播放",
    "农村道路事故419起",
    "以[13]号文件要求",
    "出具大队2018年第8号会议纪要"[6:],
    "每月25日前发放",
    "联系方式:0556-7170878",
    "电子邮箱:852887055@qq.com",
    "罚款16.4万元,共计4.54万元",
    "共计2019.5万元",
    "6.5万份",
    "12个月",
    "一二三四年",
    "三年行动",
    "5000元月均",
    "去年底",
    "每年底",
    "v2022.3.30",
    "2022-2023",
    "一二月份",
]


@pytest.mark.parametrize("text", NOT_DATES)
def test_durations_counts_and_relative_words_are_not_dates(text):
    assert find_dates(text, year=2022) == []


def test_a_number_of_a_document_is_not_a_day():
    assert [m.text for m in find_dates("大队2018年第8号会议纪要")] == ["2018年"]


def test_full_width_spans_slice_the_original_text():
    text = "一是２０２２年３月１５日制定,二是３月３０日至４月２日开展。"
    found = find_dates(text)
    assert [m.text for m in found] == ["２０２２年３月１５日", "３月３０日至４月２日"]
    for m in found:
        assert text[m.span[0] : m.span[1]] == m.text
    assert found[1].value == D(2022, 3, 30)
    assert found[1].end == D(2022, 4, 2)


# --- year carrying ------------------------------------------------------------


def test_a_written_year_comes_into_force_for_later_yearless_dates():
    found = find_dates("2021年11月1日召开会议,12月3日整改。2023年1月5日,2月6日复查。")
    assert [m.value for m in found] == [D(2021, 11, 1), D(2021, 12, 3), D(2023, 1, 5), D(2023, 2, 6)]
    assert [m.year_inferred for m in found] == [False, True, False, True]


def test_history_since_a_year_does_not_drag_later_dates_back():
    found = find_dates("2022年3月7日通报2017年以来违纪情况;4月14日召开会议", year=2022)
    assert found[-1].value == D(2022, 4, 14)


def test_a_year_below_the_floor_does_not_come_into_force():
    text = "2019年1月记账联;4月19日组织培训"
    assert find_dates(text, year=2022, floor_year=2022)[-1].value == D(2022, 4, 19)
    assert find_dates(text, year=2022)[-1].value == D(2019, 4, 19)


def test_the_end_year_of_a_range_comes_into_force():
    found = find_dates("2021年12月至2022年2月集中整改,3月5日复查")
    assert found[-1].value == D(2022, 3, 5)


def test_an_impossible_year_in_force_is_refused():
    with pytest.raises(ValueError):
        find_dates("3月", year=0)


# --- the seed -------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed_dates(seed: str) -> list[DateMention]:
    return find_dates(seed, floor_year=2022)


def _at(seed: str, dates: list[DateMention], context: str, written: str) -> DateMention:
    start = seed.index(context) + context.index(written)
    return next(m for m in dates if m.span[0] == start)


SEED_CASES = [
    # (context, mention text, value, precision, qualifier, malformed, inferred)
    ("2021年11月1日至11月30日,县委", "2021年11月1日至11月30日", D(2021, 11, 1), "day", "range", False, False),
    ("三是3月30日制定《交管事故案件研究规定》", "3月30日", D(2022, 3, 30), "day", None, False, True),
    ("二是330日制定", "330日", None, None, None, True, False),
    ("县公安大队2022年元月在城区", "2022年元月", D(2022, 1, 1), "month", None, False, False),
    ("二月份起在全县", "二月份", D(2022, 2, 1), "month", None, False, True),
    ("在2022年7月底前完成整改", "2022年7月底前", D(2022, 7, 31), "day", "before", False, False),
    ("2021年11月1日前已将9月", "2021年11月1日前", D(2021, 11, 1), "day", "before", False, False),
    ("2022年1月-6月45起", "2022年1月-6月", D(2022, 1, 1), "month", "range", False, False),
    ("通报了2017年以来大队", "2017年以来", D(2017, 1, 1), "year", "since", False, False),
    ("四是2022年以来农村道路", "2022年以来", D(2022, 1, 1), "year", "since", False, False),
    ("《安徽省2018年-2019年政府", "2018年-2019年", D(2018, 1, 1), "year", "range", False, False),
    ("财务管理规定》4月19日组织", "4月19日", D(2022, 4, 19), "day", None, False, True),
]


@pytest.mark.parametrize(
    ("context", "written", "value", "precision", "qualifier", "malformed", "inferred"),
    SEED_CASES,
)
def test_the_seed_dates_read_with_the_year_carried_from_2022(
    seed, seed_dates, context, written, value, precision, qualifier, malformed, inferred
):
    m = _at(seed, seed_dates, context, written)
    assert (m.text, m.value, m.precision, m.qualifier, m.malformed, m.year_inferred) == (
        written,
        value,
        precision,
        qualifier,
        malformed,
        inferred,
    )


def test_the_seed_reads_april_19_after_2019_in_the_same_paragraph_as_2022(seed, seed_dates):
    paragraph = seed.index("四是经核实2019年11月25日")
    later = [m for m in seed_dates if m.span[0] > paragraph and m.text == "4月19日"]
    assert later[0].value == D(2022, 4, 19)


def test_the_seed_has_exactly_one_malformed_date(seed_dates):
    assert [m.text for m in seed_dates if m.malformed] == ["330日"]


def test_the_seed_counts_no_amount_phone_or_count_as_a_date(seed_dates):
    assert all("年" in m.text or "月" in m.text or m.malformed for m in seed_dates)


# --- linear time ----------------------------------------------------------------
# Growth measured at two sizes in one run (tests/textparse/growth.py), never against a
# clock; the seconds are figures of bench/bench_textparse.py.


def _scan(text: str) -> object:
    return find_dates(text, year=2022)


@pytest.mark.parametrize("make", DATES_HOSTILE.values(), ids=list(DATES_HOSTILE))
def test_adversarial_text_is_scanned_in_linear_time(make):
    assert growth(_scan, make, 10_000) < LINEAR_GROWTH
    assert cpu_growth(_scan, make, 6_250) < LINEAR_CPU_GROWTH


# --- parse_deadline -----------------------------------------------------------

DEADLINES = [
    ("长期坚持", None, "long_term"),
    ("长期", None, "long_term"),
    ("持续整改", None, "long_term"),
    ("常态化", None, "long_term"),
    ("长期坚持并持续推进", None, "long_term"),
    ("立行立改", None, "immediate"),
    ("立即整改", None, "immediate"),
    ("即知即改", None, "immediate"),
    ("立即", None, "immediate"),
    ("2022年6月底", D(2022, 6, 30), "date"),
    ("2022年6月", D(2022, 6, 30), "date"),
    ("2022年6月15日前", D(2022, 6, 15), "date"),
    ("2022年", D(2022, 12, 31), "date"),
    ("2022年底", D(2022, 12, 31), "date"),
    ("6月底", D(2022, 6, 30), "date"),
    ("年底前", D(2022, 12, 31), "date"),
    ("2022年3月至6月", D(2022, 6, 30), "date"),
    ("２０２２年６月底前", D(2022, 6, 30), "date"),
    ("2022年3月底前初步完成,6月底前全面完成", D(2022, 6, 30), "date"),
    ("立行立改,2022年3月底前", D(2022, 3, 31), "date"),
    ("330日", None, "date"),
    ("下月", None, "date"),
]


@pytest.mark.parametrize(("text", "value", "kind"), DEADLINES)
def test_a_deadline_cell_reads_as_its_last_day_or_its_kind(text, value, kind):
    d = parse_deadline(f"  {text}\n", year=2022)
    assert d is not None
    assert (d.text, d.value, d.kind) == (text, value, kind)


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
def test_an_empty_deadline_cell_is_no_deadline(text):
    assert parse_deadline(text) is None


def test_a_yearless_deadline_without_a_year_is_an_unread_date():
    d = parse_deadline("6月底")
    assert d is not None
    assert (d.value, d.kind) == (None, "date")


# --- find_inspection ------------------------------------------------------------

OPENINGS = [
    pytest.param(
        "望江县财政局关于巡察整改进展情况的通报\n\n"
        "根据县委统一部署,2021年11月1日至11月30日,县委第三巡察组对望江县财政局开展了巡察。"
        "2022年2月14日,县委第三巡察组向望江县财政局反馈了巡察意见。",
        Inspection("县委第三巡察组", "望江县财政局", D(2021, 11, 1), D(2021, 11, 30), D(2022, 2, 14)),
        id="county",
    ),
    pytest.param(
        "根据市委统一部署,2022年8月下旬至9月底,七届市委第十二轮巡察一组对市生态环境局"
        "开展了常规巡察。2022年11月2日,市委巡察一组向市生态环境局党组反馈了巡察意见。",
        Inspection(
            "七届市委第十二轮巡察一组", "市生态环境局", D(2022, 8, 21), D(2022, 9, 30), D(2022, 11, 2)
        ),
        id="city-fuzzy-period",
    ),
    pytest.param(
        "根据省委统一安排,2024年3月4日至5月8日,省委第五巡视组对某某大学党委进行了常规巡视;"
        "7月15日,省委第五巡视组向某某大学党委反馈了巡视意见。",
        Inspection("省委第五巡视组", "某某大学党委", D(2024, 3, 4), D(2024, 5, 8), D(2024, 7, 15)),
        id="province-feedback-year-carried",
    ),
    pytest.param(
        "按照县委巡察工作统一部署,县委巡察组于2023年4月6日至5月20日对我院党组开展了巡察,"
        "并于2023年7月10日向我院党组反馈了巡察意见。",
        Inspection("县委巡察组", "我院党组", D(2023, 4, 6), D(2023, 5, 20), D(2023, 7, 10)),
        id="self-reference",
    ),
    pytest.param(
        "2024年3月至5月,十二届区委第二轮巡察第一组对区教育局开展了专项巡察。\n"
        "2024年6月18日,区委巡察第一组向区教育局反馈了巡察意见。",
        Inspection("十二届区委第二轮巡察第一组", "区教育局", D(2024, 3, 1), D(2024, 5, 31), D(2024, 6, 18)),
        id="district-feedback-in-next-paragraph",
    ),
    pytest.param(
        "根据中央统一部署,2021年10月11日至12月10日,中央第三巡视组对某某省进行了巡视。"
        "2022年1月20日,中央第三巡视组向某某省委反馈了巡视意见。",
        Inspection("中央第三巡视组", "某某省", D(2021, 10, 11), D(2021, 12, 10), D(2022, 1, 20)),
        id="central",
    ),
    pytest.param(
        "按照市委部署,市委第二巡察组对市文化旅游局开展了机动巡察。"
        "２０２３年２月２日,市委第二巡察组向市文化旅游局党组反馈了巡察意见。",
        Inspection("市委第二巡察组", "市文化旅游局", None, None, D(2023, 2, 2)),
        id="no-period-full-width-feedback",
    ),
    pytest.param(
        "2022年4月,中共望江县委第三巡察组对望江县水利局开展了巡察。",
        Inspection("中共望江县委第三巡察组", "望江县水利局", D(2022, 4, 1), D(2022, 4, 30), None),
        id="place-name-and-no-feedback",
    ),
    pytest.param(
        "根据县委统一部署县委第三巡察组对县水利局开展了巡察",
        Inspection("县委第三巡察组", "县水利局", None, None, None),
        id="no-dates-no-comma",
    ),
    pytest.param(
        "2022年5月10日,区委第四巡察组向区民政局反馈了巡察意见。",
        Inspection("区委第四巡察组", "区民政局", None, None, D(2022, 5, 10)),
        id="feedback-only",
    ),
    pytest.param("我局高度重视巡察整改工作。", Inspection(), id="nothing-stated"),
    pytest.param("", Inspection(), id="empty"),
]


@pytest.mark.parametrize(("text", "expected"), OPENINGS)
def test_the_opening_paragraph_gives_group_unit_period_and_feedback(text, expected):
    inspection, diagnostics = find_inspection(text)
    assert inspection == expected
    assert diagnostics == []


def test_the_seed_opening_gives_its_inspection(seed):
    inspection, diagnostics = find_inspection(seed)
    assert inspection == Inspection(
        "县委第三巡察组", "望江县公安局交通管理大队", D(2021, 11, 1), D(2021, 11, 30), D(2022, 2, 14)
    )
    assert diagnostics == []


def test_a_malformed_period_is_a_warning_and_no_period():
    text = "根据区委安排,2023年330日至5月1日,区委第四巡察组对我局开展了巡察。"
    inspection, diagnostics = find_inspection(text)
    assert (inspection.period_start, inspection.period_end) == (None, None)
    assert inspection.inspecting_group == "区委第四巡察组"
    [d] = diagnostics
    assert (d.code, d.severity) == ("inspection-date-malformed", "warning")
    assert text[d.span[0] : d.span[1]] == "2023年330日至5月1日"
    assert "无法识别" in d.message


def test_a_malformed_feedback_date_is_a_warning():
    text = (
        "2022年3月,县委第一巡察组对县林业局开展了巡察。2022年2月30日,县委第一巡察组向县林业局反馈了巡察意见。"
    )
    inspection, diagnostics = find_inspection(text)
    assert inspection.feedback_date is None
    assert [text[d.span[0] : d.span[1]] for d in diagnostics] == ["2022年2月30日"]


def test_the_inspection_is_only_looked_for_in_the_first_two_thousand_characters():
    text = "前言。" * 1000 + "\n2022年3月,县委第一巡察组对县林业局开展了巡察。"
    assert find_inspection(text) == (Inspection(), [])


# --- properties -----------------------------------------------------------------

DATE_ALPHABET = st.sampled_from(
    [
        *"0123456789０１２３年月日号份底末上中下旬前以来至今到-—~./元正一二三十〇度个内, 。\n",
        *("2022年", "3月", "30日", "二〇二二", "至", "巡察组", "对", "开展了巡察", "反馈"),
    ]
)
texts = st.one_of(st.text(max_size=200), st.lists(DATE_ALPHABET, max_size=60).map("".join))


@settings(max_examples=300, deadline=None)
@given(
    text=texts,
    year=st.one_of(st.none(), st.integers(1900, 2100)),
    floor=st.one_of(st.none(), st.integers(1900, 2100)),
)
def test_any_text_gives_ordered_disjoint_spans_that_slice_the_text(text, year, floor):
    found = find_dates(text, year=year, floor_year=floor)
    last = 0
    for m in found:
        assert last <= m.span[0] < m.span[1] <= len(text)
        assert text[m.span[0] : m.span[1]] == m.text
        assert (m.value is None) or (m.end is not None and m.value <= m.end)
        assert not (m.malformed and m.value is not None)
        last = m.span[1]
    assert find_dates(text, year=year, floor_year=floor) == found


@settings(max_examples=200, deadline=None)
@given(text=texts)
def test_any_text_gives_an_inspection_and_a_deadline_without_error(text):
    inspection, diagnostics = find_inspection(text)
    assert isinstance(inspection, Inspection)
    for d in diagnostics:
        assert 0 <= d.span[0] < d.span[1] <= len(text)
    assert find_inspection(text) == (inspection, diagnostics)
    deadline = parse_deadline(text, year=2022)
    assert (deadline is None) == (not text.strip())
