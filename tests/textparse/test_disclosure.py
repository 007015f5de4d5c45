"""Personal data in a notice: caught in the forms progress notes use, never in a normal notice."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.textparse import genre, notices
from tests.textparse.growth import LINEAR_CPU_GROWTH, LINEAR_GROWTH, cpu_growth, growth
from zhenggai.textparse.disclosure import (
    KIND_LABELS,
    Hit,
    find_personal_data,
    id_check_char,
    luhn_ok,
    mask_hit,
    mask_text,
)

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_3fc582a97ef44a37.txt"

_TO_FULL = str.maketrans({chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)})

VALID_ID = "11010519491231002X"  # the check character of 11010519491231002 is X
VALID_ID_2 = "340826199001011235"
WRONG_CHECK_ID = "340826199001011234"  # birth date valid, check digit should be 5
CARD_19 = "6222021234567890128"  # passes Luhn
CARD_16 = "6228480012345671"


def full_width(s: str) -> str:
    """The same text with its ASCII written full-width (one character for one)."""
    return s.translate(_TO_FULL)


def found(text: str) -> list[tuple[str, str]]:
    return [(h.kind, h.text) for h in find_personal_data(text)]


def kinds(text: str) -> list[str]:
    return [h.kind for h in find_personal_data(text)]


def channels_removed(text: str) -> str:
    """The text without its channels paragraph (the caller leaves it out of the check)."""
    return "\n".join(line for line in text.splitlines() if "联系" not in line and "监督电话" not in line)


# ------------------------------------------------------------------ the contract


def test_every_kind_has_a_chinese_label():
    assert set(KIND_LABELS) == {
        "id_number",
        "phone",
        "name",
        "case_number",
        "plate",
        "address",
        "email",
        "bank_card",
    }
    assert all(label and not label.isascii() for label in KIND_LABELS.values())


def test_a_hit_is_frozen_and_slices_the_text_it_was_found_in():
    text = "群众王小明反映"
    (hit,) = find_personal_data(text)
    assert hit == Hit(kind="name", start=2, end=5, text="王小明", reason=hit.reason)
    assert text[hit.start : hit.end] == hit.text
    assert "群众" in hit.reason
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.start = 0  # type: ignore[misc]


def test_check_characters_follow_gb_11643_and_luhn():
    assert id_check_char(VALID_ID[:17]) == "X"
    assert id_check_char(VALID_ID_2[:17]) == "5"
    assert luhn_ok(CARD_19)
    assert luhn_ok(CARD_16)
    assert not luhn_ok(CARD_16[:-1] + "2")


# ------------------------------------------------------------- normal notices


def test_the_seed_notice_has_no_hit_outside_its_channels_paragraph():
    text = SEED.read_text(encoding="utf-8")
    hits = find_personal_data(text)
    # The unit's own phone and mailbox, in the last paragraph, which the caller leaves out.
    assert [(h.kind, h.text) for h in hits] == [("phone", "0556-7170878"), ("email", "852887055@qq.com")]
    last_paragraph = text.rstrip().rsplit("\n", 1)[1]
    assert all(h.text in last_paragraph for h in hits)
    assert find_personal_data(channels_removed(text)) == []


@pytest.mark.parametrize(
    "text",
    [notices.NOTICE_FLAT, notices.NOTICE_PARTS, notices.NOTICE_DEEP, genre.FEEDBACK, genre.NOTICE_MIXED],
    ids=["flat", "parts", "deep", "feedback-letter", "mixed"],
)
def test_the_genre_notices_have_no_hit_outside_their_channels(text):
    assert find_personal_data(channels_removed(text)) == []


NOT_PERSONAL = [
    # leaders and staff named with their posts, de-identified people
    "党组书记、局长李明同志任组长，副局长王强同志任副组长",
    "公安局机关总支副书记杨军同志每次均参加支部各类会议",
    "由李大队长牵头，局长王某负责督办",
    "通报了2017年以来车管所考试员张某等8人违规收受学员香烟受查处情况",
    "村民李某某反映的问题已办结",
    "群众张某某、王某反映的宅基地纠纷已调解",
    "学生家长郑女士来电反映校车问题，已答复",
    "户主王×× 已签字确认",
    "接待群众王局长",
    # the people as a whole
    "欢迎广大干部群众对巡察整改落实情况进行监督",
    "切实维护群众利益，坚持群众路线，提高群众满意度",
    "为群众解决急难愁盼问题12件，群众安全感和满意度明显提升",
    "召开村民代表大会，完善村民委员会议事规则，开展村民房前屋后环境整治",
    "城乡居民医保参保率达到98%，居民收入稳步增长",
    "对违停车主进行劝告和短信通知，劝导违停车主立即驶离",
    "对驾驶人戴头盔情况进行检查，加强驾驶人安全教育",
    "印发《致全县中小学生家长的一封信》《致广大驾驶人及群众的一封信》6.5万份",
    "受理群众来信来访35件，电话回访群众120人次",
    "当事人家属表示满意，患者隐私得到保护",
    "群众于近日反映，群众向县纪委反映",
    # dates, money, document numbers, statistics, articles
    "2024年3月15日制定了《望江县交通运输局财务管理规定》",
    "印发望办发〔2024〕12号文件，县安委会望安办[22]号文件再次督办",
    "依据《中华人民共和国行政处罚法》第三十二条、第五十一条规定",
    "整改问题30个，完成28个，完成率93.33%，清退违规资金7.132万元",
    "2022年1月-6月45起，与去年同期相比下降87.05%",
    "在全县135个行政村建设宣传阵地60个",
    "皖公通〔2024〕5号、望公交管〔2023〕18号文件要求",
    "县纪委监委立案审查调查3人，共查处非法接送学生案件30件，罚款16.4万元",
    "改造老旧小区5栋120户，建成警务站3座",
    "政务服务中心3楼设立办事窗口",
    "拨打12345政务服务便民热线或110报警",
    "统一社会信用代码91340826MA2N1234X5",
    "统一社会信用代码：340826199001011235",
    "按照GB 11643—2019的要求",
    "皖H牌照车辆、沪A号段、京津冀协同",
    "2024年度综合考核，2021-2022学年，第2024001期",
    "订单号20240315123456",
    "18位数字340826199013011234（月份无效）不是身份证号",
    "一个15位的流水号340826900101123",
    "一张卡号未写明的16位编号6228480012345672",
]


@pytest.mark.parametrize("text", NOT_PERSONAL)
def test_normal_notice_wording_is_not_personal_data(text):
    assert find_personal_data(text) == []


def test_an_institutional_mailbox_is_not_a_persons():
    assert found("电子邮箱：wjxc@ah.gov.cn") == []
    assert found("电子邮箱：wjxc@gov.cn") == []


# ------------------------------------------------------------------ ID numbers


@pytest.mark.parametrize(
    "text, expected",
    [
        (f"身份证号：{VALID_ID}", VALID_ID),
        (f"身份证号码为{VALID_ID.lower()}", VALID_ID.lower()),
        (f"当事人{VALID_ID_2}已到场", VALID_ID_2),
        (f"编号{WRONG_CHECK_ID}", WRONG_CHECK_ID),
        ("身份证号340826 19900101 1235", "340826 19900101 1235"),
        ("身份证号码：340826900101123", "340826900101123"),
        (f"身份证：{full_width(VALID_ID_2)}", full_width(VALID_ID_2)),
    ],
)
def test_id_numbers_are_found(text, expected):
    assert found(text) == [("id_number", expected)]


def test_the_reason_of_an_id_number_says_whether_its_check_digit_holds():
    (good,) = find_personal_data(VALID_ID_2)
    (bad,) = find_personal_data(WRONG_CHECK_ID)
    assert "校验码正确" in good.reason
    assert "校验码不符" in bad.reason


def test_an_id_number_inside_a_longer_digit_run_is_not_one():
    assert found("1" + VALID_ID_2) == []
    assert found(VALID_ID_2 + "9") == []


def test_an_eighteen_digit_number_with_an_invalid_date_is_an_id_only_after_the_word():
    bad_month = "340826199013011234"
    assert found(bad_month) == []
    assert found(f"身份证号{bad_month}") == [("id_number", bad_month)]


def test_a_fifteen_digit_old_id_is_an_id_only_after_the_word():
    assert found("340826900101123") == []
    assert kinds("身份证340826900101123") == ["id_number"]


# ---------------------------------------------------------------------- phones


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "138-1234-5678",
        "138 1234 5678",
        "+86 138 1234 5678",
        "0556-1234567",
        "（0556）1234567",
        "(0556)7170878",
        "010-12345678",
        "0556—7170878",
        "0556 7170878",
        full_width("13812345678"),
        full_width("0556-1234567"),
    ],
)
def test_phone_numbers_are_found_in_the_forms_people_write(phone):
    assert found(f"联系人电话{phone}，请回电") == [("phone", phone)]
    assert found(f"已告知{phone}。") == [("phone", phone)]


def test_a_bare_local_number_or_an_unseparated_landline_is_a_phone_after_the_word():
    assert found("联系电话：5123456") == [("phone", "5123456")]
    assert found("手机号码为05567170878") == [("phone", "05567170878")]
    assert found("共计5123456人次") == []


@pytest.mark.parametrize("text", ["213812345678", "138123456789", "编号0138123456789", "13812345678元"])
def test_a_mobile_number_inside_a_longer_digit_run_or_an_amount_is_not_one(text):
    assert kinds(text) == []


# ----------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "text, name",
    [
        ("已退还群众王小明押金2000元", "王小明"),
        ("群众张三反映", "张三"),
        ("村民李强家的房屋已修缮", "李强"),
        ("经核实，群众李建国反映的宅基地问题属实", "李建国"),
        ("向申请人孙丽丽退还保证金5000元", "孙丽丽"),
        ("患者吴小红住院费用已报销", "吴小红"),
        ("居民欧阳娜娜的诉求已答复", "欧阳娜娜"),
        ("户主：陈大勇", "陈大勇"),
        ("姓名：刘洋", "刘洋"),
        ("村民代表赵六签字", "赵六"),
        ("当事人家属周杰表示满意", "周杰"),
        ("群众張三反映", "張三"),
    ],
)
def test_a_citizens_name_after_a_citizen_word_is_found(text, name):
    assert found(text) == [("name", name)]


def test_names_listed_together_are_each_found():
    assert found("群众张三、李四和王五联名反映") == [("name", "张三"), ("name", "李四"), ("name", "王五")]


def test_a_name_hit_says_which_word_introduced_it():
    (hit,) = find_personal_data("举报人钱多多称")
    assert hit.text == "钱多多"
    assert "举报人" in hit.reason


# ---------------------------------------------------------------- case numbers


@pytest.mark.parametrize(
    "text, number",
    [
        ("（2024）皖0826刑初123号判决已生效", "（2024）皖0826刑初123号"),
        ("依据(2023)京01民终456号判决", "(2023)京01民终456号"),
        ("（2024）最高法民申1号", "（2024）最高法民申1号"),
        ("依据皖公（交）行罚决字〔2024〕123号决定", "皖公（交）行罚决字〔2024〕123号"),
        ("行政处罚决定书（望公行罚决字[2023]0012号）", "望公行罚决字[2023]0012号"),
        ("望市监罚字〔2024〕5号", "望市监罚字〔2024〕5号"),
        ("案件编号：A3408265000002024030001", "A3408265000002024030001"),
        ("12345热线工单号2024031200123已办结", "2024031200123"),
    ],
)
def test_case_numbers_are_found(text, number):
    assert found(text) == [("case_number", number)]


# ---------------------------------------------------------------------- plates


@pytest.mark.parametrize(
    "plate", ["皖H12345", "皖H·D12345", "皖HD12345", "皖H·12345", "苏A1234挂", full_width("皖H12345")]
)
def test_licence_plates_are_found(plate):
    assert found(f"车主驾驶{plate}小型轿车") == [("plate", plate)]


# ------------------------------------------------------------------- addresses


@pytest.mark.parametrize(
    "text, address",
    [
        ("家住幸福小区3栋2单元501室", "幸福小区3栋2单元501室"),
        ("住址为锦绣花园5号楼1单元", "锦绣花园5号楼1单元"),
        ("位于阳光家园3幢501，", "阳光家园3幢501"),
        ("家住红星村3组12号", "红星村3组12号"),
        ("家住红星村村民小组8号", "红星村村民小组8号"),
        ("住在人民路18号501室", "人民路18号501室"),
        ("家住长乐路100弄5号", "长乐路100弄5号"),
        ("家住幸福小区3-2-501室", "幸福小区3-2-501室"),
    ],
)
def test_private_addresses_are_found(text, address):
    assert found(text) == [("address", address)]


def test_an_office_address_without_a_room_is_not_a_private_one():
    assert found("邮寄地址：望江县雷阳大道1号") == []
    assert found("来信请寄望江县东洲路292号") == []


def test_a_citizens_name_before_an_address_stays_a_name():
    assert found("村民王小明幸福小区3栋501室") == [("name", "王小明"), ("address", "幸福小区3栋501室")]


# ------------------------------------------------------------ cards and e-mail


def test_a_bank_card_passing_luhn_is_found_and_one_failing_it_only_after_the_word():
    assert found(f"已转入{CARD_19}") == [("bank_card", CARD_19)]
    assert found("已转入6228 4800 1234 5671") == [("bank_card", "6228 4800 1234 5671")]
    assert found("已转入6228480012345672") == []
    assert found("银行卡号6228480012345672") == [("bank_card", "6228480012345672")]


def test_a_persons_email_address_is_found():
    assert found("请发送至zhangsan@163.com。") == [("email", "zhangsan@163.com")]
    assert found(full_width("li.si@qq.com")) == [("email", full_width("li.si@qq.com"))]


# ----------------------------------------------------- progress notes as written


PROGRESS_NOTES = [
    (
        "已退还群众王小明押金2000元，联系电话13812345678",
        [("name", "王小明"), ("phone", "13812345678")],
    ),
    (
        "村民陈大勇家住红星村3组12号，电话13912345678，已上门走访",
        [("name", "陈大勇"), ("address", "红星村3组12号"), ("phone", "13912345678")],
    ),
    (
        f"当事人赵六（身份证号{VALID_ID_2}）驾驶皖H·D12345发生事故，案件编号：A34082650000",
        [
            ("name", "赵六"),
            ("id_number", VALID_ID_2),
            ("plate", "皖H·D12345"),
            ("case_number", "A34082650000"),
        ],
    ),
    (
        "对举报人刘某某的诉求进行了答复，依据（2024）皖0826民初77号判决执行到位",
        [("case_number", "（2024）皖0826民初77号")],
    ),
    (
        f"车主周杰驾驶皖H12345超速，罚款200元已通过{CARD_19}缴纳，回执发送至zj1990@126.com",
        [("name", "周杰"), ("plate", "皖H12345"), ("bank_card", CARD_19), ("email", "zj1990@126.com")],
    ),
]


@pytest.mark.parametrize("text, expected", PROGRESS_NOTES)
def test_progress_notes_yield_their_personal_data(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text, expected", PROGRESS_NOTES)
def test_a_masked_progress_note_has_nothing_left_to_find(text, expected):
    masked = mask_text(text, find_personal_data(text))
    assert len(masked) == len(text)
    assert find_personal_data(masked) == []


# --------------------------------------------------------------------- masking


@pytest.mark.parametrize(
    "kind, text, masked",
    [
        ("phone", "13812345678", "138****5678"),
        ("phone", "138-1234-5678", "138-****-5678"),
        ("phone", "+86 138 1234 5678", "+86 138 **** 5678"),
        ("phone", "0556-7170878", "0556-****878"),
        ("phone", "（0556）1234567", "（0556）****567"),
        ("phone", "010-12345678", "010-*****678"),
        ("phone", "5123456", "****456"),
        ("phone", full_width("13812345678"), "１３８＊＊＊＊５６７８"),
        ("id_number", "340826199001011235", "340826********1235"),
        ("id_number", "11010519491231002X", "110105********002X"),
        ("id_number", "340826900101123", "340826*****1123"),
        ("name", "张三", "张*"),
        ("name", "王小明", "王**"),
        ("name", "欧阳娜娜", "欧阳**"),
        ("plate", "皖H12345", "皖H****5"),
        ("plate", "皖H·12345", "皖H·****5"),
        ("plate", "皖H·D12345", "皖H·*****5"),
        ("address", "幸福小区3栋", "＊＊＊＊＊＊"),
        ("email", "a@b.cn", "＊＊＊＊＊＊"),
        ("case_number", "（2024）皖0826刑初1号", "＊" * 15),
        ("bank_card", CARD_16, "＊" * 16),
    ],
)
def test_each_kind_is_masked_in_its_own_form(kind, text, masked):
    hit = Hit(kind=kind, start=0, end=len(text), text=text, reason="")
    assert mask_hit(hit) == masked
    assert mask_text(text, [hit]) == masked


def test_masking_changes_only_the_hits_and_keeps_the_length():
    text = "已退还群众王小明押金2000元，联系电话13812345678。"
    masked = mask_text(text, find_personal_data(text))
    assert masked == "已退还群众王**押金2000元，联系电话138****5678。"


def test_masking_only_the_hits_chosen_leaves_the_others():
    text = "群众王小明，电话13812345678"
    _name, phone = find_personal_data(text)
    assert mask_text(text, [phone]) == "群众王小明，电话138****5678"
    assert mask_text(text, []) == text


def test_overlapping_hits_given_by_a_caller_mask_the_union():
    text = "ABCDEFGH"
    first = Hit(kind="email", start=0, end=4, text="ABCD", reason="")
    second = Hit(kind="email", start=2, end=6, text="CDEF", reason="")
    assert mask_text(text, [second, first]) == "＊＊＊＊＊＊GH"


def test_a_hit_from_another_text_is_refused_rather_than_masking_the_wrong_characters():
    hit = Hit(kind="phone", start=0, end=11, text="13812345678", reason="")
    with pytest.raises(ValueError):
        mask_text("电话13812345678", [hit])
    with pytest.raises(ValueError):
        mask_text("短", [hit])


# ------------------------------------------------------------------ properties

PIECES = [
    "群众",
    "村民",
    "居民",
    "当事人",
    "身份证号",
    "电话",
    "王",
    "小明",
    "某某",
    "欧阳",
    "局长",
    "同志",
    "、",
    "，",
    "：",
    "（",
    "）",
    "〔2024〕",
    "(2024)",
    "皖",
    "H",
    "·",
    "D",
    "罚决字",
    "刑初",
    "12号",
    "小区",
    "3栋",
    "2单元",
    "501室",
    "村",
    "3组",
    "-",
    " ",
    "@",
    "qq.com",
    "a",
    "0556",
    "138",
    "1234",
    "5678",
    "1",
    "9",
    "X",
    VALID_ID_2,
    CARD_16,
    "１３８",
    "年",
    "元",
    "\n",
]

texts = st.one_of(
    st.text(max_size=200),
    st.lists(st.sampled_from(PIECES), max_size=40).map("".join),
)


def assert_well_formed(text: str, hits: list[Hit]) -> None:
    last_end = 0
    for hit in hits:
        assert 0 <= hit.start < hit.end <= len(text)
        assert hit.start >= last_end  # sorted and non-overlapping
        assert text[hit.start : hit.end] == hit.text
        assert hit.kind in KIND_LABELS
        assert hit.reason and not hit.reason.isascii()
        last_end = hit.end


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(texts)
def test_any_text_gives_well_formed_hits_and_a_mask_of_the_same_length(text):
    hits = find_personal_data(text)
    assert_well_formed(text, hits)
    masked = mask_text(text, hits)
    assert len(masked) == len(text)
    inside = {i for h in hits for i in range(h.start, h.end)}
    assert all(masked[i] == text[i] for i in range(len(text)) if i not in inside)
    assert find_personal_data(text) == hits  # deterministic


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_full_width_text_gives_the_same_spans(text):
    narrow = [(h.kind, h.start, h.end) for h in find_personal_data(text)]
    wide = [(h.kind, h.start, h.end) for h in find_personal_data(full_width(text))]
    assert wide == narrow


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(PIECES), max_size=40).map("".join))
def test_masking_every_hit_leaves_none_of_them_readable(text):
    hits = find_personal_data(text)
    masked = mask_text(text, hits)
    for hit in hits:
        assert masked[hit.start : hit.end] != hit.text


# ------------------------------------------------------------------ complexity

HOSTILE = {
    "digits": lambda n: "1" * n,
    "spaced digits": lambda n: "1 " * (n // 2),
    "citizen words": lambda n: "群众" * (n // 2),
    "names": lambda n: "群众王小明、" * (n // 6),
    "joined names": lambda n: "群众" + "王明、" * (n // 3),
    "plates": lambda n: "皖H1234" * (n // 7),
    "buildings": lambda n: "小区3栋2单元" * (n // 7),
    "villages": lambda n: "村" * n + "3组12号",
    "case prefix": lambda n: "罚" * n + "〔2024〕1号",
    "court": lambda n: "(2024)皖" + "0" * n,
    "emails": lambda n: "a@" * (n // 2),
    "id words": lambda n: "身份证" * (n // 3),
    "phone words": lambda n: "电话" * (n // 2),
}


@pytest.mark.parametrize("make", list(HOSTILE.values()), ids=list(HOSTILE))
def test_hostile_inputs_are_scanned_in_linear_time(make):
    assert growth(find_personal_data, make, 1_000) < LINEAR_GROWTH
    assert cpu_growth(find_personal_data, make, 1_000) < LINEAR_CPU_GROWTH


# ---------------------------------------------------------------------- purity


def test_importing_and_running_the_detectors_does_not_import_django():
    code = (
        "import sys\n"
        "from zhenggai.textparse.disclosure import find_personal_data, mask_text\n"
        "t = '群众王小明，电话13812345678'\n"
        "mask_text(t, find_personal_data(t))\n"
        "print(','.join(sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
