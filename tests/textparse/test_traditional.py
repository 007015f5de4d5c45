"""Traditional characters (問題整改, 長效機制) read like simplified ones, offsets unchanged.

The traditional texts below are written out here: a notice as a traditional-character
site publishes it, and the same notice as a repost through a naive character-by-character
converter (開展瞭, 嚮, 全麵, 乾部), which real reposts are. Both must parse to the outline
of the simplified original, with every span pointing into the traditional text itself.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.textparse.genre import FEEDBACK, NOTICE_MIXED, NOTICE_PARAGRAPHS
from zhenggai.textparse.dates import find_dates, find_inspection, find_inspection_kind, parse_deadline
from zhenggai.textparse.facts import (
    find_accountability,
    find_breakdown,
    find_channels,
    find_documents,
    find_stats,
    status_hint,
)
from zhenggai.textparse.model import FeedbackChannels, ParseResult
from zhenggai.textparse.money import find_amounts
from zhenggai.textparse.numerals import TRADITIONAL_FOLD, cn_to_int, fold_width
from zhenggai.textparse.parse import parse_text
from zhenggai.textparse.serialize import parse_json

D = dt.date
SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_3fc582a97ef44a37.txt"

# NOTICE_PARAGRAPHS of genre.py as a traditional-character site writes it.
NOTICE_TRADITIONAL = """中共某某市衛生健康委員會黨組關於市委第三巡察組反饋意見整改進展情況的通報
按照市委統一部署，2023年8月下旬至9月底，七屆市委第十二輪巡察一組對市衛生健康委員會黨組進行了常規巡察。2023年11月10日，巡察組向市衛生健康委員會黨組反饋了巡察意見。按照黨務公開原則和巡察工作有關要求，現將巡察整改進展情況予以公佈。
一、提高政治站位，紮實推進整改工作
委黨組把巡察整改作為重大政治任務，成立整改工作領導小組，制定整改方案，逐項明確責任領導、責任科室和完成時限。
二、反饋問題整改落實情況
反饋問題一：關於“落實全面從嚴治黨主體責任不到位”的問題
1.黨組主體責任壓得不實
整改情況：一是2023年12月5日召開黨組會議專題研究；二是制定《黨組落實全面從嚴治黨主體責任清單》；三是對2名責任人進行提醒談話。
2.監督執紀偏鬆偏軟
整改情況：第一，開展警示教育2次；第二，對3名同志進行誡勉談話，給予政務處分0人。
反饋問題二：關於“醫療服務領域不正之風”的問題
1.醫療設備採購不規範
整改情況：首先，對2021年以來採購項目逐一核查；其次，清退多收費用8976元；最後，目前正在推進採購制度修訂。
三、下一步工作打算
委黨組將持續抓好整改，對已完成的問題適時開展“回頭看”。
歡迎廣大幹部群眾對巡察整改落實情況進行監督。聯繫電話：0551-62881234；通信地址：某某市人民路8號；電子郵箱：wjwzg@163.com。
中共某某市衛生健康委員會黨組
2024年2月20日"""

# The same notice through a naive converter, as spam mirrors repost it.
NOTICE_REPOST = """中共某某市衛生健康委員會黨組關於市委第三巡察組反饋意見整改進展情況的通報
按照市委統一部署，2023年8月下旬至9月底，七屆市委第十二輪巡察一組對市衛生健康委員會黨組進行瞭常規巡察。2023年11月10日，巡察組嚮市衛生健康委員會黨組反饋瞭巡察意見。按照黨務公開原則和巡察工作有關要求，現將巡察整改進展情況予以公布。
一、提高政治站位，紮實推進整改工作
委黨組把巡察整改作為重大政治任務，成立整改工作領導小組，製定整改方案，逐項明確責任領導、責任科室和完成時限。
二、反饋問題整改落實情況
反饋問題一：關於“落實全麵從嚴治黨主體責任不到位”的問題
1.黨組主體責任壓得不實
整改情況：一是2023年12月5日召開黨組會議專題研究；二是製定《黨組落實全麵從嚴治黨主體責任清單》；三是對2名責任人進行提醒談話。
2.監督執紀偏鬆偏軟
整改情況：第一，開展警示教育2次；第二，對3名同誌進行誡勉談話，給予政務處分0人。
反饋問題二：關於“醫療服務領域不正之風”的問題
1.醫療設備采購不規範
整改情況：首先，對2021年以來采購項目逐一核查；其次，清退多收費用8976元；最後，目前正在推進采購製度修訂。
三、下一步工作打算
委黨組將持續抓好整改，對已完成的問題適時開展“迴頭看”。
歡迎廣大乾部群眾對巡察整改落實情況進行監督。聯係電話：0551-62881234；通信地址：某某市人民路8號；電子郵箱：wjwzg@163.com。
中共某某市衛生健康委員會黨組
2024年2月20日"""

FEEDBACK_TRADITIONAL = """縣委第二巡察組關於對城關鎮黨委巡察情況的反饋意見

根據縣委統一部署，2023年4月10日至6月9日，縣委第二巡察組對城關鎮黨委開展了常規巡察。7月20日，縣委第二巡察組向城關鎮黨委反饋了巡察意見。現將有關情況反饋如下。

一、貫徹落實黨的路線方針政策和黨中央決策部署方面
（一）理論學習不夠深入
1.中心組學習流於形式。2022年黨委理論學習中心組僅開展集中學習4次，未達到規定次數。
2.學習成果轉化不夠。調研報告質量不高，對推動工作作用不明顯。
（二）鄉村振興工作推進不力
3.產業項目管理粗放。2個村集體經濟項目建成後長期閒置，涉及資金66.57萬元。
二、群眾身邊腐敗問題和不正之風方面
（一）財務管理不規範
4.違規發放津補貼。2021年以來違規發放加班補貼共計1369.5萬元。
5.公務接待超標準。抽查發現3次公務接待無公函。
（二）工程項目監管不嚴
6.部分工程未經招投標。
三、意見建議
一是加強理論武裝；二是壓實管黨治黨責任；三是嚴格財經紀律。

縣委第二巡察組
2023年7月20日
"""

# NOTICE_MIXED of genre.py (four levels, full-width markers, circled numbers) in traditional.
MIXED_TRADITIONAL = """關於巡察整改情況的通報

根據區委統一部署，2022年3月1日至4月30日，區委第四巡察組對區教育局開展了專項巡察。2022年6月1日反饋了巡察意見。現將整改情況通報如下。

一、整改工作開展情況
局黨組召開專題會議研究部署整改工作。
二、具體問題整改情況
（一）政治建設方面
１．學習貫徹不到位
（1）針對學習制度不健全問題
一是修訂了《局黨組理論學習中心組學習制度》；二是2022年6月10日開展專題學習。
（2）針對學習效果不明顯問題
整改措施：①建立學習台賬；②開展學習交流3次；③目前正在組織學習測試。
２．意識形態工作薄弱
（1）針對陣地管理不嚴問題
已清理違規宣傳品120份，整改措施如下：一、建立審批制度；二、開展專項檢查；三、落實值班制度。
（二）作風建設方面
１．文山會海問題突出
（1）針對會議過多問題
進一步加強會議管理，提高認識。
三、建立長效機制
堅持舉一反三，長期堅持。
"""


def test_folding_reads_traditional_as_simplified_and_keeps_every_offset():
    text = "問題整改、長效機制、責任單位、領導、時限、完成、措施"
    folded = fold_width(text)
    assert folded == "问题整改、长效机制、责任单位、领导、时限、完成、措施"
    assert len(folded) == len(text)
    assert fold_width("１２問題") == "12问题"


def test_the_fold_is_one_character_for_one_and_a_few_hundred_at_most():
    assert 300 <= len(TRADITIONAL_FOLD) <= 600
    for trad, simp in TRADITIONAL_FOLD.items():
        assert len(chr(trad)) == len(chr(simp)) == 1
        assert trad != simp
        assert simp not in TRADITIONAL_FOLD  # folding twice changes nothing more


SIMPLIFIED_WORDS = ["显著", "著力", "覆盖", "干部", "里程", "后续", "台账", "范围", "系统", "余额"]


@pytest.mark.parametrize("word", SIMPLIFIED_WORDS)
def test_the_fold_never_changes_a_simplified_word(word):
    assert fold_width(word) == word


def test_the_fold_changes_nothing_in_the_simplified_documents(genre_texts):
    for text in genre_texts:
        assert not any(ord(ch) in TRADITIONAL_FOLD for ch in text)


@pytest.fixture(scope="module")
def genre_texts() -> list[str]:
    return [SEED.read_text(encoding="utf-8"), FEEDBACK, NOTICE_MIXED, "\n".join(NOTICE_PARAGRAPHS)]


def _folded(v: Any) -> Any:
    """A JSON value with every string folded, to compare a traditional text with its twin."""
    if isinstance(v, str):
        return fold_width(v)
    if isinstance(v, list):
        return [_folded(x) for x in v]
    if isinstance(v, dict):
        return {k: _folded(x) for k, x in v.items() if k != "source"}
    return v


def _same_reading(trad: ParseResult, simp: ParseResult) -> None:
    assert _folded(parse_json(trad)) == _folded(parse_json(simp))


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        pytest.param(NOTICE_TRADITIONAL, "\n".join(NOTICE_PARAGRAPHS), id="notice"),
        pytest.param(NOTICE_REPOST, "\n".join(NOTICE_PARAGRAPHS), id="naive-repost"),
        pytest.param(FEEDBACK_TRADITIONAL, FEEDBACK, id="feedback"),
        pytest.param(MIXED_TRADITIONAL, NOTICE_MIXED, id="four-levels"),
    ],
)
def test_a_traditional_document_parses_like_its_simplified_twin(traditional, simplified):
    assert len(traditional) == len(simplified)
    trad, simp = parse_text(traditional), parse_text(simplified)
    _same_reading(trad, simp)
    assert (trad.counts, trad.doc_type) == (simp.counts, simp.doc_type)
    i, j = trad.inspection, simp.inspection
    assert (i.period_start, i.period_end, i.feedback_date) == (j.period_start, j.period_end, j.feedback_date)


def test_the_traditional_notice_keeps_its_own_text_in_titles_and_spans():
    r = parse_text(NOTICE_TRADITIONAL)
    assert r.title == NOTICE_TRADITIONAL.split("\n", 1)[0]
    assert (r.counts.categories, r.counts.issues, r.counts.problems, r.counts.measures) == (2, 0, 3, 8)
    first = r.findings[0]
    assert first.title == "落實全面從嚴治黨主體責任不到位"
    assert NOTICE_TRADITIONAL[first.span[0] : first.span[1]].startswith("反饋問題一")
    for f in r.findings:
        for c in f.children:
            for m in c.measures:
                assert NOTICE_TRADITIONAL[m.span[0] : m.span[1]] == m.text
                for d in m.dates:
                    assert NOTICE_TRADITIONAL[d.span[0] : d.span[1]] == d.text
    assert r.feedback_channels == FeedbackChannels("0551-62881234", "某某市人民路8號", "wjwzg@163.com")
    assert r.inspection.inspecting_group == "七屆市委第十二輪巡察一組"
    assert r.inspection.inspected_unit == "市衛生健康委員會黨組"


def test_the_opening_kind_figures_and_channels_read_in_traditional():
    text = (
        "根據縣委統一部署，2025年3月10日至5月20日，縣委第二巡察組對縣農業農村局開展了專項巡察，"
        "並於2025年7月8日反饋了巡察意見。\n"
        "巡察反饋5個方面15大項問題60子項問題，制定配套措施400餘條。反饋問題60個，已完成整改52個。\n"
        "監督電話：0556-5123456；郵政信箱：望江縣2001號信箱；電子郵箱：wjxc@163.com。"
    )
    inspection, diagnostics = find_inspection(text)
    assert (inspection.inspecting_group, inspection.inspected_unit) == ("縣委第二巡察組", "縣農業農村局")
    assert (inspection.period_start, inspection.period_end) == (D(2025, 3, 10), D(2025, 5, 20))
    assert inspection.feedback_date == D(2025, 7, 8)
    assert diagnostics == []
    assert find_inspection_kind(text) == "专项"
    assert find_stats(text) == {"problems": 60, "measures": 400, "completed": 52}
    assert find_breakdown(text) == {"categories": 5, "issues": 15, "problems": 60}
    assert find_channels(text) == FeedbackChannels("0556-5123456", "望江縣2001號信箱", "wjxc@163.com")


def test_look_back_in_traditional_with_corner_quotes():
    text = "2023年10月至12月，縣委巡察第三組對城關鎮黨委開展了巡察「回頭看」。"
    assert find_inspection_kind(text) == "回头看"
    assert find_inspection(text)[0].inspected_unit == "城關鎮黨委"


def test_numerals_money_dates_and_facts_in_traditional():
    assert cn_to_int("十二") == 12
    assert find_stats("反饋問題十二項，已完成整改十項") == {"problems": 12, "completed": 10}
    [amount] = find_amounts("清退違規發放津貼4.54萬元")
    assert (amount.text, amount.yuan) == ("4.54萬元", Decimal("45400.00"))
    [amount] = find_amounts("共計五十萬元")
    assert amount.yuan == Decimal("500000.00")
    [date] = find_dates("於2022年3月30日前完成")
    assert (date.value, date.qualifier) == (D(2022, 3, 30), "before")
    deadline = parse_deadline("長期堅持")
    assert deadline is not None
    assert deadline.kind == "long_term"
    [doc] = find_documents("制定了《財務管理規定》")
    assert (doc.title, doc.established) == ("財務管理規定", True)
    [act] = find_accountability("對3名責任人進行誡勉談話")
    assert (act.action, act.count) == ("诫勉谈话", 3)
    assert status_hint("目前正在推進中") == "in_progress"
    assert status_hint("已建立長效機制") == "ongoing"
