"""Each lint check finds its defect, says where, and stays quiet on ordinary text."""

from __future__ import annotations

import pytest

from zhenggai.textparse.lint import CODES, lint
from zhenggai.textparse.parse import parse_text

HEAD = (
    "关于巡察整改进展情况的通报\n\n"
    "根据县委统一部署，2023年4月10日至5月30日，县委第一巡察组对县档案馆开展了常规巡察。"
    "2023年6月20日反馈了巡察意见。现将整改进展情况予以公布。\n"
    "一、问题整改情况\n（一）针对档案管理不规范问题\n"
)
TAIL = "\n县档案馆\n2023年9月1日\n"


def codes_for(body: str, tail: str = TAIL) -> dict[str, list[str]]:
    text = HEAD + body + tail
    found: dict[str, list[str]] = {}
    for f in lint(parse_text(text)):
        found.setdefault(f.code, []).append(text[f.span[0] : f.span[1]])
    return found


CASES = [
    (
        "numbering-inconsistent",
        "1)针对借阅问题\n一是已完成。\n(2)针对归档问题\n一是已完成。\n3)针对经费问题\n一是已完成。",
        "(2)",
    ),
    ("numbering-sequence", "一是已建立台账。\n（三）针对借阅不规范问题\n一是已完成。", "（三）"),
    ("ordinal-missing", "一是已建立台账；是开展了培训2次。", "是"),
    # The exact excerpt: four characters before a run-on ordinal, six before a truncating
    # one, the last eight of a paragraph cut short.
    ("ordinal-run-on", "一是已建立了借阅台账二是开展了培训2次。", "借阅台账二是"),
    ("sentence-truncated", "一是已建立台账；二是目前已将过期档案全部三是开展了培训2次。", "过期档案全部三是"),
    ("sentence-truncated", "一是已建立台账；二是今年以来共开展培训14", "来共开展培训14"),
    ("date-malformed", "一是330日建立了台账。", "330日"),
    ("bracket-unbalanced", "一是修订了档案管理制度》。", "》"),
    ("bracket-unbalanced", "一是开展了档案进万家”活动。", "”"),
    ("bracket-unbalanced", "一是制定了《借阅办法。", "《"),
    ("measure-predates-inspection", "一是2023年3月1日前已将档案全部归档。", "2023年3月1日前"),
    ("measure-vague", "一是进一步加强档案管理，提高认识。", "进一步加强档案管理，提高认识。"),  # the measure
    ("deadline-passed", "一是要求各科室在2023年7月底前完成整改，目前正在推进中。", "2023年7月底前"),
]


@pytest.mark.parametrize(("code", "body", "flagged"), CASES)
def test_each_check_finds_its_defect_and_points_at_it(code, body, flagged):
    found = codes_for(body)
    assert found.get(code) == [flagged], found  # once, and exactly this excerpt
    at = len(HEAD) + body.rindex(flagged)  # the last occurrence in the body: 是 is also in 一是
    spans = [f.span for f in lint(parse_text(HEAD + body + TAIL)) if f.code == code]
    assert spans == [(at, at + len(flagged))]


def test_a_notice_without_signature_and_date_is_reported():
    found = codes_for("一是2023年7月10日制定了《借阅办法》。", tail="\n")
    assert "signature-missing" in found


def test_a_notice_with_signature_but_no_date_says_which_is_missing():
    text = HEAD + "一是2023年7月10日制定了《借阅办法》。\n县档案馆\n"
    msgs = [f.message for f in lint(parse_text(text)) if f.code == "signature-missing"]
    assert msgs == ["通报末尾缺少成文日期"]


def test_a_deadline_that_has_not_passed_is_not_reported():
    assert "deadline-passed" not in codes_for("一是要求各科室在2023年12月底前完成整改，目前正在推进中。")


def test_a_done_measure_with_a_past_deadline_is_not_reported():
    assert "deadline-passed" not in codes_for("一是已于2023年7月底前完成整改。")


CLEAN_BODIES = [
    "一是2023年7月10日制定了《档案借阅管理办法》；二是对2020年以来的借阅登记进行了核查，补登记录12条。",
    "一是将违规支出的1.2万元退回国库；二是组织财务人员开展培训2次，每月25日前完成对账。",
    "一是成立（由馆长任组长的）整改领导小组；二是开展“以案促改”专题教育3次。",
    "整改情况：第一，修订《财务管理制度》；第二，对相关责任人进行了提醒谈话。",
    "已于2023年7月5日完成全部档案的数字化，共计3500卷。",
]


@pytest.mark.parametrize("body", CLEAN_BODIES)
def test_ordinary_well_written_text_raises_no_alarm(body):
    assert codes_for(body) == {}


def test_every_code_is_stable_kebab_case():
    for code in CODES:
        assert code == code.lower() and " " not in code and "_" not in code
    found = {f.code for b, *_ in [(c[1],) for c in CASES] for f in lint(parse_text(HEAD + b + TAIL))}
    assert found <= set(CODES)
