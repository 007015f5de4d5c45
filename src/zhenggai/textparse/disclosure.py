"""Personal data that must not go public in a published rectification notice.

:func:`find_personal_data` lists what a disclosure check shows the clerk before a
notice is approved: citizens' ID numbers, phone numbers, names given beside a
citizen word (群众张三反映…), case numbers, licence plates, private addresses, bank
cards and e-mail addresses. :func:`mask_text` hides the hits the clerk chose to
mask, keeping the length of the text.

The detectors are tuned for the genre. A normal notice names leaders with their
posts (局长王某, 杨军同志), de-identified people (村民张某某), dates, sums, document
numbers (望办发〔2024〕12号), statistics (整改问题30个) and article numbers; none of
these is a hit. The notice's own channels paragraph (the unit's phone, postal
address, e-mail) does contain phone numbers and an e-mail address: a unit's phone
cannot be told from a private one, so the caller leaves that paragraph out of the
check.

Matching runs on a width-folded copy of the text (``１３８`` reads as ``138``,
``（0556）`` as ``(0556)``, traditional surnames as simplified) with the same
offsets, and every hit slices the original. The patterns are anchored and
bounded, so the scan is linear in the text.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from .numerals import fold_width

__all__ = ["KIND_LABELS", "Hit", "find_personal_data", "id_check_char", "luhn_ok", "mask_hit", "mask_text"]


@dataclass(frozen=True, slots=True)
class Hit:
    """One piece of personal data in a text: its kind, span, text and why it is one.

    ``text`` is ``source[start:end]`` of the text given to :func:`find_personal_data`;
    ``reason`` says in Chinese why it must not go public.
    """

    kind: str
    start: int
    end: int
    text: str
    reason: str


#: The kinds of hit, with their Chinese labels (for the check page).
KIND_LABELS: dict[str, str] = {
    "id_number": "居民身份证号码",
    "phone": "电话号码",
    "name": "群众姓名",
    "case_number": "案件编号",
    "plate": "机动车号牌",
    "address": "个人住址",
    "email": "电子邮箱",
    "bank_card": "银行卡号",
}

# When two candidates overlap, the kind earlier here wins (an 18-digit ID number is
# not also a bank card; a case number is not also a phone number).
_PRIORITY = ("id_number", "bank_card", "case_number", "phone", "email", "plate", "address", "name")

_HAN = "\u4e00-\u9fff"
_DASH = "\\-\u2010\u2011\u2012\u2013\u2014\u2212"  # - ‐ ‑ ‒ – — − in a character class (－ folds to -)
_SPACE = " \u00a0"


def _is_han(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff"


def _words(s: str) -> frozenset[str]:
    """The words of a space-separated list (long lists read better as one string)."""
    return frozenset(s.split())


# ------------------------------------------------------------------- ID numbers

# The first two digits: a province (GB/T 2260), or 81–83 on the residence permits of
# residents from Hong Kong, Macao and Taiwan.
_PROVINCES = _words(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83"
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"

# 18 characters, optionally written 6-8-4 or 6-4-4-4 with single spaces or hyphens.
_ID18_RE = re.compile(
    rf"(?<![0-9A-Za-z])[0-9]{{6}}[{_SPACE}-]?[0-9]{{4}}[{_SPACE}-]?[0-9]{{4}}[{_SPACE}-]?[0-9]{{3}}[0-9Xx]"
    rf"(?![0-9A-Za-z])"
)
_ID15_RE = re.compile(r"(?<![0-9A-Za-z])[0-9]{15}(?![0-9A-Za-z])")
_ID_CONTEXT_RE = re.compile(r"身份证|证件号|公民身份号码")
_ID_CONTEXT_SPAN = 12  # characters after 身份证 where the number may start (号码为：…)
# An 18-character code after these labels is a company's or a taxpayer's, not a person's.
_NOT_ID_CONTEXT_RE = re.compile(r"信用代码|识别号|税号|注册号|组织机构代码")


def id_check_char(first17: str) -> str:
    """The GB 11643 check character (``0``–``9`` or ``X``) of 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def _valid_birth(y: int, m: int, d: int) -> bool:
    try:
        dt.date(y, m, d)
    except ValueError:
        return False
    return True


def _id_candidates(folded: str) -> Iterator[tuple[int, int, str]]:
    contexts = [m.end() for m in _ID_CONTEXT_RE.finditer(folded)]

    def in_context(start: int) -> bool:
        # contexts is sorted; a linear scan would be quadratic on a text full of 身份证.
        i = bisect.bisect_right(contexts, start) - 1
        return i >= 0 and start - contexts[i] <= _ID_CONTEXT_SPAN

    for m in _ID18_RE.finditer(folded):
        chars = re.sub(rf"[{_SPACE}-]", "", m.group())
        labelled = in_context(m.start())
        if not labelled and _NOT_ID_CONTEXT_RE.search(folded, max(0, m.start() - 12), m.start()):
            continue
        born = chars[6:8] in ("18", "19", "20") and _valid_birth(
            int(chars[6:10]), int(chars[10:12]), int(chars[12:14])
        )
        plausible = born and chars[:2] in _PROVINCES
        if not (plausible or labelled):
            continue
        if id_check_char(chars[:17]) == chars[17].upper():
            reason = "疑似居民身份证号码（校验码正确）"
        elif plausible:
            reason = "疑似居民身份证号码（出生日期有效，校验码不符，可能抄录有误）"
        else:
            reason = "疑似居民身份证号码（写在“身份证”之后）"
        yield m.start(), m.end(), reason
    for m in _ID15_RE.finditer(folded):
        # A 15-digit number is an old ID only where the text says so; elsewhere it is
        # too often something else (a ticket, an order, a serial number).
        if in_context(m.start()):
            born = _valid_birth(1900 + int(m.group()[6:8]), int(m.group()[8:10]), int(m.group()[10:12]))
            reason = "疑似旧版（15位）居民身份证号码" if born else "疑似居民身份证号码（写在“身份证”之后）"
            yield m.start(), m.end(), reason


# ------------------------------------------------------------------ bank cards

_CARD_RE = re.compile(
    rf"(?<![0-9])[0-9]{{4}}(?:[{_SPACE}-]?[0-9]{{4}}){{3}}(?:[{_SPACE}-]?[0-9]{{1,3}})?(?![0-9])"
)
_CARD_CONTEXT_RE = re.compile(r"银行卡|卡号|银行账号|存折")


def luhn_ok(digits: str) -> bool:
    """True when ``digits`` passes the Luhn check (ISO/IEC 7812) of payment cards."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        n = int(ch)
        if i % 2 == 1:
            n = n * 2 - 9 if n > 4 else n * 2
        total += n
    return total % 10 == 0


def _card_candidates(folded: str) -> Iterator[tuple[int, int, str]]:
    for m in _CARD_RE.finditer(folded):
        digits = re.sub(rf"[{_SPACE}-]", "", m.group())
        labelled = _CARD_CONTEXT_RE.search(folded, max(0, m.start() - 10), m.start()) is not None
        # Issuer prefixes of personal cards: 62 (UnionPay), 4 (Visa), 5 (Mastercard),
        # 3 (JCB), 60 and 9 (older domestic cards).
        if labelled:
            yield m.start(), m.end(), "疑似银行卡号"
        elif digits[0] in "34569" and luhn_ok(digits):
            yield m.start(), m.end(), "疑似银行卡号（通过卡号校验）"


# --------------------------------------------------------------------- phones

_MOBILE_RE = re.compile(
    rf"(?<![0-9])(?:(?:\+|00)?86[{_SPACE}{_DASH}]?)?1[3-9][0-9](?:[{_SPACE}{_DASH}]?[0-9]{{4}}){{2}}"
    r"(?![0-9])(?![元万亿%‰])"
)
_AREA = r"0[1-9][0-9]{1,2}"
_LANDLINE_RE = re.compile(
    rf"(?<![0-9])(?:\({_AREA}\)[{_SPACE}]?|{_AREA}[{_SPACE}]?[{_DASH}][{_SPACE}]?|{_AREA}[{_SPACE}])"
    r"[1-9][0-9]{6,7}(?![0-9])"
)
_PHONE_LABEL_RE = re.compile(r"(?:联系)?电话|手机(?:号码|号)?|联系方式|座机|热线")
_LABELLED_PHONE_RE = re.compile(
    rf"(?:号码)?(?:为|是)?[:{_SPACE}]*(?P<n>0[1-9][0-9]{{9,10}}|[2-9][0-9]{{6,7}})(?![0-9])"
)


def _phone_candidates(folded: str) -> Iterator[tuple[int, int, str]]:
    for m in _MOBILE_RE.finditer(folded):
        yield m.start(), m.end(), "疑似手机号码"
    for m in _LANDLINE_RE.finditer(folded):
        yield m.start(), m.end(), "疑似固定电话号码（单位公开电话可说明理由后保留）"
    for label in _PHONE_LABEL_RE.finditer(folded):
        after = _LABELLED_PHONE_RE.match(folded, label.end())
        if after:
            yield after.start("n"), after.end("n"), "疑似电话号码（写在“电话”之后）"


# ------------------------------------------------------------------- e-mail

_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")


def _email_candidates(folded: str) -> Iterator[tuple[int, int, str]]:
    for m in _EMAIL_RE.finditer(folded):
        domain = m.group().rsplit("@", 1)[1].lower()
        tld = domain.rsplit(".", 1)[1]
        if not (len(tld) >= 2 and tld.isalpha()):
            continue
        if domain.endswith(".gov.cn") or domain == "gov.cn":
            continue  # an institution's mailbox, never a person's
        yield m.start(), m.end(), "疑似个人电子邮箱"


# --------------------------------------------------------------- case numbers

_COURT_TYPES = re.compile(r"刑|民|行|执|赔|破|知|商|监|申|再|终|初|保|移|司救|国赔|诉")
# （2024）皖0826刑初123号, (2023)京01民终456号, （2024）最高法民申1号
_COURT_RE = re.compile(
    rf"[(\[〔【](?:19|20)[0-9]{{2}}[)\]〕】][{_HAN}][{_HAN}0-9]{{1,13}}?[0-9]{{1,6}}(?:之[0-9]{{1,3}})?号"
)
# 皖公（交）行罚决字〔2024〕123号: the prefix before the year names the kind of decision.
_YEAR_NUMBER_RE = re.compile(r"[(\[〔【](?:19|20)[0-9]{2}[)\]〕】]第?[0-9]{1,8}号")
_CASE_PREFIX_WORDS = re.compile(r"罚|决字|案|裁字|诉字|拘|刑|执字|不立|立字|受字|询字|传字|缴字|扣字|强制")
_PREFIX_CUT_RE = re.compile(
    r"依据|根据|按照|依照|下达|下发|出具|作出|送达|编号|文号|决定书|通知书|告知书|的|了|以|经|对|向|在|和|与|及|并|为|是"
)
_PREFIX_MAX = 14
_LABELLED_CASE_RE = re.compile(
    r"(?:案件编号|案件号|案号|立案编号|受案编号|受案号|警情编号|警情号|接警编号|报警编号|信访件编号|信访编号"
    r"|信访件号|投诉编号|工单编号|工单号|受理编号|受理号)(?:为|是)?[:\s]*"
    r"(?P<code>[A-Za-z0-9][A-Za-z0-9-]{4,39})(?![A-Za-z0-9])"
)


def _back_over(
    folded: str, end: int, limit: int, allowed: Callable[[str], bool], cut: re.Pattern[str]
) -> int:
    """Where a name-like prefix ending at ``end`` starts: back over at most ``limit``
    ``allowed`` characters, then forward past the last ``cut`` word (依据, 家住, 的 …)."""
    start = end
    while start > 0 and end - start < limit and allowed(folded[start - 1]):
        start -= 1
    cut_end = start
    for m in cut.finditer(folded, start, end):
        cut_end = m.end()
    return cut_end


def _is_prefix_char(ch: str) -> bool:
    return _is_han(ch) or ch in "()"


def _case_candidates(folded: str) -> Iterator[tuple[int, int, str]]:
    for m in _COURT_RE.finditer(folded):
        if _COURT_TYPES.search(m.group(), 6):  # after the bracketed year
            yield m.start(), m.end(), "疑似法院案号（可指向具体当事人）"
    for m in _YEAR_NUMBER_RE.finditer(folded):
        start = _back_over(folded, m.start(), _PREFIX_MAX, _is_prefix_char, _PREFIX_CUT_RE)
        # A bracket opened before the prefix (…决定书（皖公（交）…) is not the number's.
        while folded.count("(", start, m.start()) > folded.count(")", start, m.start()):
            start = folded.index("(", start, m.start()) + 1
        if _CASE_PREFIX_WORDS.search(folded, start, m.start()):
            yield start, m.end(), "疑似公安或行政处罚案件文书编号"
    for m in _LABELLED_CASE_RE.finditer(folded):
        code = m.group("code")
        if sum(ch.isdigit() for ch in code) >= 4:
            yield m.start("code"), m.end("code"), "疑似案件或工单编号"


# ---------------------------------------------------------------------- plates

_PROVINCE_ABBR = "京津沪渝冀豫云辽黑湘皖鲁新苏浙赣鄂桂甘晋蒙陕吉闽贵粤青藏川宁琼"
_PLATE_LETTERS = "A-HJ-NP-Z"
_PLATE_RE = re.compile(
    rf"[{_PROVINCE_ABBR}][{_PLATE_LETTERS}][·•・.{_SPACE}-]?"
    rf"(?P<body>[{_PLATE_LETTERS}0-9]{{5,6}}|[{_PLATE_LETTERS}0-9]{{4}}[挂学警港澳领试超])"
    r"(?![A-Za-z0-9])"
)


def _plate_candidates(folded: str) -> Iterator[tuple[int, int, str]]:
    for m in _PLATE_RE.finditer(folded):
        if sum(ch.isdigit() for ch in m.group("body")) >= 3:
            yield m.start(), m.end(), "疑似机动车号牌号码"


# ------------------------------------------------------------------------ names

# Words that put a citizen's name right after them.
_NAME_CONTEXT = (
    "群众代表|群众|村民代表|村民|居民|户主|当事人|举报人|申请人|患者|学生家长|车主|驾驶人|信访人|投诉人"
    "|来访人|反映人|受害人|伤者|业主|贫困户|脱贫户|低保户|五保户|监测户|农户|住户|犯罪嫌疑人|嫌疑人"
    "|被告人|违法行为人|家属|亲属|死者|姓名"
)
_NAME_CONTEXT_RE = re.compile(rf"(?:{_NAME_CONTEXT})[:{_SPACE}]?")

_COMPOUND_SURNAMES = _words(
    "欧阳 司马 上官 诸葛 皇甫 尉迟 公孙 慕容 令狐 司徒 夏侯 端木 宇文 轩辕 申屠 独孤 南宫 呼延 澹台 公羊 "
    "钟离 闻人 赫连"
)
# Common surnames. Left out on purpose: those that mostly begin ordinary words after a
# citizen word (向 in 群众向县纪委反映, 和, 时, 全, 万, 满, 利, 区, 代, 党, 农, 商, 师, 明, 应, 上).
_SURNAMES = frozenset(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
    "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵钱严覃武戴"
    "莫孔汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅"
    "童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳穆卓吉缪简车项连芦"
    "麦褚娄窦戚岑景宫费卜冷晏席卫米柏宗瞿桂佟臧闵苟邬边卞姬仇栾隋刁沙荣巫寇桑郎甄丛仲虞敖巩佘池查麻"
    "苑迟邝洪"
)
# A surname and the next character that begin an ordinary word, not a name, after a
# citizen word: 群众安全感, 群众路线, 为群众解决, 村民房前屋后, 驾驶人戴头盔.
_NOT_NAMES = _words(
    """
    安全 安置 安居 安心 安排 安装 安定 安宁 安稳 白天 包括 包保 包干 边界 边缘 边境 毕业 柴油 柴火 常用
    常见 常态 常年 车辆 车位 车主 车库 陈述 陈旧 陈列 成为 成功 成本 成效 成员 程序 池塘 迟到 迟缓 仇恨 戴头
    戴安 戴口 单位 单独 刁难 丁点 董事 杜绝 范围 方便 方面 方式 方法 方向 方案 房屋 房产 房子 房租 房前 房间
    费用 符合 付款 付出 付费 甘肃 高度 高兴 高频 高效 高龄 巩固 顾虑 顾及 关心 关注 关切 关于 关系 关键
    管理 管护 贺信 洪水 洪涝 胡乱 华侨 华人 黄金 吉林 纪律 纪委 季度 季节 简单 简便 江河 江苏 江西 焦点 焦虑
    解决 解答 解释 解读 解除 金融 金额 景区 景点 康复 冷暖 连续 林地 林权 林木 龙头 陆续 路线 路面 路段 路口
    路况 罗列 麻将 马上 马路 麦收 麦田 毛病 蒙受 米面 莫名 牟利 宁愿 庞大 齐心 乔迁 屈服 曲折 荣誉 荣获 沙发
    沙土 申请 申报 申诉 申领 沈阳 盛赞 施工 石头 史料 舒心 舒适 宋体 苏醒 唐突 童年 涂改 卫生 温暖 温度 文化
    文明 文体 文件 席位 夏季 夏天 夏收 项目 谢谢 谢绝 辛苦 辛勤 许可 许多 严重 严格 阳光 易于 尤其 尤为 游客
    游行 于是 于近 于今 于去 于本 于上 于当 于日 于此 于前 于县 于市 于镇 于乡 于村 于年 于月 于同 余额 余下
    张贴 张榜 章程 甄别 郑重 钟情 仲裁 周边 周围 周末 周期 周转 祝福 祝贺 卓越 卓有 宗教 左右 曾经 查询 查处
    查看 查明 查阅 柏油 任务 任何 钱款 钱财 钱物 田地 田间 苗木 谷物 蓝天 凌晨 凌乱 殷切 庄稼 牛羊 雷电 梅雨
    汤水 黎明 尚未 兰州
    """
)
# Characters that rarely end a given name but often follow one (反映, 家, 的, 押金 …):
# when the second given-name character is one of these, the name has one.
_AFTER_NAME = frozenset(
    "的等家称说讲在于因向被将已未与和及系是为也都所对把从到自曾今现反投举来要提诉领申办签退缴之共均并又还"
    "就却仍个户名夫妻父母女一两押房住宅土款费补钱元证号电手联车驾身本其再只不没无由经该拒欠去前后时处"
    "认表告"
)
# A surname followed by a post is an official (王局长, 张科长), not a citizen.
_POST_RE = re.compile(
    r"同志|书记|主任|局长|科长|股长|所长|队长|大队长|中队长|站长|院长|校长|镇长|乡长|县长|市长|村长|组长|主席"
    r"|委员|部长|处长|厅长|经理|会计|老师|医生|警官|民警|辅警|干部|支书|总经理|副"
)
# A surname with an honorific (郑女士, 王师傅) is already as anonymous as 郑某.
_HONORIFIC_RE = re.compile(r"女士|先生|师傅|大爷|大妈|大娘|阿姨|老人|老汉|同学|小姐|老板")
_DEIDENTIFIED = "某"
_LIST_JOINERS = "、和及与"


def _name_at(folded: str, pos: int) -> int | None:
    """The end of a citizen's name starting at ``pos``, or None when none starts there.

    A surname, then one or two given-name characters (Chinese, not 某: 张某某 is
    already de-identified, and so is 郑女士). Two unless the second is a character
    that rarely ends a name and often follows one (张三反映, 李强家). A surname with a
    post (王局长) or a name with 同志 is an official's.
    """
    if folded[pos : pos + 2] in _COMPOUND_SURNAMES:
        surname_end = pos + 2
    elif folded[pos : pos + 1] in _SURNAMES and folded[pos : pos + 2] not in _NOT_NAMES:
        surname_end = pos + 1
    else:
        return None
    given = ""
    for ch in folded[surname_end : surname_end + 2]:
        if not _is_han(ch):
            break
        given += ch
    if not given or given[0] == _DEIDENTIFIED:
        return None
    if _POST_RE.match(folded, surname_end) or _HONORIFIC_RE.match(folded, surname_end):
        return None
    end = surname_end + (2 if len(given) == 2 and given[1] not in _AFTER_NAME else 1)
    if _POST_RE.match(folded, end):
        return None
    return end


def _name_candidates(folded: str) -> Iterator[tuple[int, int, str]]:
    for m in _NAME_CONTEXT_RE.finditer(folded):
        context = m.group().rstrip(":" + _SPACE)
        pos = m.end()
        while (end := _name_at(folded, pos)) is not None:
            yield pos, end, f"疑似群众姓名（写在“{context}”之后）"
            if end >= len(folded) or folded[end] not in _LIST_JOINERS:
                break
            pos = end + 1  # 群众张三、李四反映


# -------------------------------------------------------------------- addresses

_CN_NUM = "0-9一二三四五六七八九十"
# A room: 501室, 12号, or a bare 501 that is not a count (120户, 300人).
_ROOM = r"[0-9]{1,5}(?:室|号)|[0-9]{3,4}(?![0-9户人套间个名平米元万㎡%])"
_ADDRESS_CORE_RE = re.compile(
    # 3栋2单元501室, 3幢501, 5号楼1单元, 2单元501室
    rf"[0-9]{{1,4}}(?:栋|幢|号楼|座)(?:[{_CN_NUM}]{{1,3}}单元)?(?:[0-9]{{1,2}}(?:楼|层))?(?:{_ROOM})"
    rf"|[0-9]{{1,4}}(?:栋|幢|号楼)[{_CN_NUM}]{{1,3}}单元"
    rf"|[{_CN_NUM}]{{1,3}}单元(?:{_ROOM})"
    # …小区3-2-501
    r"|(?<=小区|花园|公寓|家园|新村)[0-9]{1,3}-[0-9]{1,2}-[0-9]{3,4}室?(?![0-9])"
    # these need the village's or the street's name before them: 红星村3组12号,
    # 红星村128号, 人民路18号501室, 长乐路100弄5号
    rf"|(?P<named>村(?:[{_CN_NUM}]{{1,3}}|[{_HAN}]{{1,4}}?)(?:村民小组|村民组|小组|组|队)[0-9]{{1,4}}号"
    r"|村[0-9]{1,4}号"
    r"|(?:路|街|巷)[0-9]{1,5}号(?:[0-9]{1,4}(?:栋|幢|号楼))?(?:[0-9]{1,2}单元)?[0-9]{2,5}室"
    r"|(?:路|街)[0-9]{1,5}弄[0-9]{1,4}号)"
)
_ADDRESS_CUT_RE = re.compile(
    "家住|住在|居住在|居住于|住址|地址|位于|住|在|于|的|是|为|至|到|往|从|将|对|向|及|和|与|某某|某|"
    + _NAME_CONTEXT
)
_ADDRESS_PREFIX_MAX = 20


def _address_candidates(folded: str, name_ends: Iterable[int]) -> Iterator[tuple[int, int, str]]:
    ends = sorted(name_ends)
    for m in _ADDRESS_CORE_RE.finditer(folded):
        # The estate's, village's or street's name before the core, back to a cut word
        # (家住, 位于 …) or the end of a citizen's name (村民王小明幸福小区…).
        floor = max(0, m.start() - _ADDRESS_PREFIX_MAX)
        i = bisect.bisect_right(ends, m.start()) - 1
        if i >= 0 and ends[i] > floor:
            floor = ends[i]
        start = _back_over(folded, m.start(), m.start() - floor, _is_han, _ADDRESS_CUT_RE)
        if m.group("named") and start == m.start():
            continue  # 村12号 with no village before it is not an address
        yield start, m.end(), "疑似个人住址（门牌、楼栋或单元室号）"


# ------------------------------------------------------------------- the scan


def find_personal_data(text: str) -> list[Hit]:
    """Every piece of personal data in ``text``, sorted by start, non-overlapping.

    Where two detectors claim overlapping spans, the kind earlier in
    ``id_number, bank_card, case_number, phone, email, plate, address, name`` wins.
    Never raises; linear in the length of the text.
    """
    folded = fold_width(text)
    names = list(_name_candidates(folded))
    candidates: dict[str, list[tuple[int, int, str]]] = {
        "id_number": list(_id_candidates(folded)),
        "bank_card": list(_card_candidates(folded)),
        "case_number": list(_case_candidates(folded)),
        "phone": list(_phone_candidates(folded)),
        "email": list(_email_candidates(folded)),
        "plate": list(_plate_candidates(folded)),
        "address": list(_address_candidates(folded, frozenset(end for _, end, _ in names))),
        "name": names,
    }
    taken = bytearray(len(text))
    hits: list[Hit] = []
    for kind in _PRIORITY:
        for start, end, reason in candidates[kind]:
            if start >= end or taken.find(1, start, end) >= 0:
                continue
            taken[start:end] = b"\x01" * (end - start)
            hits.append(Hit(kind=kind, start=start, end=end, text=text[start:end], reason=reason))
    hits.sort(key=lambda h: h.start)
    return hits


# ------------------------------------------------------------------- masking

_STAR = "*"
_WIDE_STAR = "＊"


def _star_for(ch: str) -> str:
    """``*`` for a half-width character, ``＊`` for a full-width one (the line keeps its look)."""
    return _WIDE_STAR if "\uff01" <= ch <= "\uff5e" or ch == "\u3000" else _STAR


def _mask_positions(text: str, positions: Iterable[int]) -> str:
    chars = list(text)
    for i in positions:
        chars[i] = _star_for(chars[i])
    return "".join(chars)


def _digit_positions(text: str) -> list[int]:
    folded = fold_width(text)
    return [i for i, ch in enumerate(folded) if ch.isascii() and ch.isalnum()]


def _mask_phone(text: str) -> str:
    digits = _digit_positions(text)
    folded = fold_width(text)
    numbers = "".join(folded[i] for i in digits)
    international = numbers.startswith(("86", "0086"))
    if len(numbers) >= 11 and numbers[-11] == "1" and (len(numbers) == 11 or international):
        mobile = digits[-11:]
        return _mask_positions(text, mobile[3:7])  # 138****5678
    if numbers.startswith("0") and len(numbers) >= 10:
        area = 3 if numbers[1] in "12" else 4
        local = digits[area:]
    else:
        local = digits
    return _mask_positions(text, local[:-3])  # 0556-****878


def _mask_id(text: str) -> str:
    digits = _digit_positions(text)
    return _mask_positions(text, digits[6:-4])  # 340826********1234


def _mask_name(text: str) -> str:
    keep = 2 if text[:2] in _COMPOUND_SURNAMES or fold_width(text[:2]) in _COMPOUND_SURNAMES else 1
    return text[:keep] + _STAR * (len(text) - keep)  # 张* / 欧阳**


def _mask_plate(text: str) -> str:
    folded = fold_width(text)
    body = [i for i in range(2, len(folded)) if folded[i].isascii() and folded[i].isalnum()]
    return _mask_positions(text, body[:-1])  # 皖H·****5


_MASKERS: dict[str, Callable[[str], str]] = {
    "phone": _mask_phone,
    "id_number": _mask_id,
    "name": _mask_name,
    "plate": _mask_plate,
}


def mask_hit(hit: Hit) -> str:
    """The text of ``hit`` as published when masked, of the same length.

    Phones keep their first three and last four digits (``138****5678``) or their
    area code and last three (``0556-****878``), ID numbers their first six and last
    four, names their surname (``张*``, ``欧阳**``), plates their province, letter and
    last character (``皖H·****5``); anything else becomes ``＊`` throughout.
    """
    masker = _MASKERS.get(hit.kind)
    masked = masker(hit.text) if masker else _WIDE_STAR * len(hit.text)
    return masked if len(masked) == len(hit.text) else _WIDE_STAR * len(hit.text)


def mask_text(text: str, hits: Iterable[Hit]) -> str:
    """``text`` with each hit masked as :func:`mask_hit` says; the length is unchanged.

    Hits may come in any order and may overlap: a character masked by any hit stays
    masked. A hit whose ``text`` is not ``text[start:end]`` was found in another text
    and raises ``ValueError`` rather than mask the wrong characters.
    """
    chars = list(text)
    for hit in hits:
        if not (0 <= hit.start <= hit.end <= len(text)) or text[hit.start : hit.end] != hit.text:
            raise ValueError(f"hit {hit.text!r} at {hit.start}–{hit.end} is not in this text")
        for offset, ch in enumerate(mask_hit(hit)):
            if ch != hit.text[offset]:
                chars[hit.start + offset] = ch
    return "".join(chars)
