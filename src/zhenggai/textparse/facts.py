"""Facts a rectification text states besides its structure.

Titles in 《》 (rules made or cited), accountability actions (提醒谈话, 约谈 …),
the headline statistics of a notice (反馈问题697个, 完成率98.71% …), the
channels for public feedback (phone, postal address, e-mail) and a status hint
for one measure (done / in progress / ongoing).

Everything matches on a width-folded copy of the text (same length, same
offsets) and slices the original for anything it returns verbatim. The regexes
avoid nested open-ended repetition, so every function is linear in the text.
"""

from __future__ import annotations

import bisect
import re
from decimal import Decimal

from . import chrome
from .dates import find_inspection
from .model import Accountability, DocumentRef, FeedbackChannels, StatusHint
from .money import find_amounts
from .numerals import cn_to_int, fold_width

__all__ = [
    "CITE_VERBS",
    "ESTABLISH_VERBS",
    "find_accountability",
    "find_breakdown",
    "find_channels",
    "find_documents",
    "find_stats",
    "status_hint",
]

#: Verbs that make a rule: a 《title》 they govern was established by the unit.
ESTABLISH_VERBS: tuple[str, ...] = (
    "制定",
    "建立",
    "出台",
    "印发",
    "修订",
    "修改",
    "完善",
    "健全",
    "起草",
    "下发",
    "编制",
    "制发",
    "新建",
    "重新制定",
    "制定完善",
    "建立健全",
    "形成",
    "研究制定",
    "起草制定",
    "草拟",
)
#: Verbs that study, follow or hand out an existing document: the title is cited.
CITE_VERBS: tuple[str, ...] = (
    "学习",
    "依照",
    "按照",
    "根据",
    "依据",
    "观看",
    "对照",
    "结合",
    "贯彻",
    "落实",
    "参照",
    "执行",
    "发放",
    "印制",
    "学",
    "集中学习",
    "传达",
    "纳入",
    "对标",
)

_ESTABLISH = frozenset(ESTABLISH_VERBS)
# Longest first, so 制定完善 wins over 制定 and 集中学习 over 学习 at one position.
_VERB_RE = re.compile("|".join(sorted(set(ESTABLISH_VERBS) | set(CITE_VERBS), key=len, reverse=True)))
# The sentence-level breaks a governing verb does not reach across (folded text).
_SENTENCE_BREAK = frozenset("。;!?\n\r")
_CLAUSE_BREAK = _SENTENCE_BREAK | frozenset(",，")
_DOC_WINDOW = 40

_CN_NUM = "零〇一二两三四五六七八九十百千"
_NUM = rf"(?:(?<![0-9])[0-9]{{1,9}}(?![0-9])|[{_CN_NUM}]{{1,8}})"


def _to_int(s: str) -> int | None:
    """An Arabic or Chinese count as int (``14`` → 14, ``两`` → 2)."""
    return int(s) if s.isascii() and s.isdigit() else cn_to_int(s)


# --------------------------------------------------------------------------- 《》


def _title_spans(folded: str) -> list[tuple[int, int]]:
    """The outermost balanced 《…》 spans; an unclosed 《 dies at the newline."""
    pairs: list[tuple[int, int]] = []
    stack: list[int] = []
    for m in re.finditer(r"[《》\n\r]", folded):
        ch = m.group()
        if ch == "《":
            stack.append(m.start())
        elif ch == "》":
            if stack:  # a stray 》 is reported by another module, not here
                pairs.append((stack.pop(), m.end()))
        else:
            stack.clear()
    pairs.sort()
    outer: list[tuple[int, int]] = []
    for start, end in pairs:
        if not outer or start >= outer[-1][1]:
            outer.append((start, end))
    return outer


def _governing_verb(folded: str, titles: list[tuple[int, int]], i: int) -> str | None:
    """The verb closest before title ``i`` in its clause, skipping earlier titles.

    Walks back at most ``_DOC_WINDOW`` characters; a title met on the way is
    jumped over as one step, so ``制定了《A》、《B》、《C》`` governs all three and
    words inside a title (``…执行奖惩办法``) are never taken for verbs.
    """
    pos = titles[i][0]
    seg_end = pos
    segments: list[tuple[int, int]] = []
    j = i - 1
    budget = _DOC_WINDOW
    while pos > 0 and budget > 0:
        if j >= 0 and titles[j][1] == pos:
            if seg_end > pos:
                segments.append((pos, seg_end))
            pos = seg_end = titles[j][0]
            j -= 1
        elif folded[pos - 1] in _SENTENCE_BREAK:
            break
        else:
            pos -= 1
        budget -= 1
    if seg_end > pos:
        segments.append((pos, seg_end))
    for lo, hi in segments:  # nearest segment first
        matches = list(_VERB_RE.finditer(folded, lo, hi))
        for m in reversed(matches):
            verb = m.group()
            # A one-character verb (学) must touch the title, or 学校, 学生 … would count.
            if len(verb) == 1 and folded[m.end() : hi] not in ("", "了"):
                continue
            return verb
    return None


def find_documents(text: str) -> list[DocumentRef]:
    """Every balanced 《…》 title in ``text``, in order, one per mention.

    ``title`` is the text inside the brackets, ``span`` covers the brackets.
    ``established`` is True when the closest verb before the title in its
    clause makes a rule (:data:`ESTABLISH_VERBS`), False when it cites one
    (:data:`CITE_VERBS`) or there is none. A stray 》, or a 《 left open at the
    end of its paragraph, yields nothing. Nested titles yield the outer one.
    """
    folded = fold_width(text)
    titles = _title_spans(folded)
    refs: list[DocumentRef] = []
    for i, (start, end) in enumerate(titles):
        title = text[start + 1 : end - 1].strip()
        if not title:
            continue
        verb = _governing_verb(folded, titles, i)
        refs.append(DocumentRef(title=title, span=(start, end), established=verb in _ESTABLISH))
    return refs


# ------------------------------------------------------------------ accountability

_ACTION_FORMS: dict[str, tuple[str, ...]] = {
    "提醒谈话": ("提醒谈话", "谈话提醒"),
    "约谈": ("约谈",),
    "诫勉谈话": ("诫勉谈话", "诫勉"),
    "责令检查": (
        "责令检查",
        "责令作出书面检查",
        "责令作出检查",
        "责令写出书面检查",
        "责令书面检查",
    ),
    "通报批评": ("通报批评",),
    "批评教育": ("批评教育",),
    "党纪政务处分": (
        "党纪政务处分",
        "党纪政纪处分",
        "党纪处分",
        "政务处分",
        "政纪处分",
        "纪律处分",
    ),
    "组织处理": ("组织处理",),
    "问责": ("追责问责", "问责", "追责"),
}
_ACTION_OF = {form: action for action, forms in _ACTION_FORMS.items() for form in forms}
_ACTION_RE = re.compile("|".join(sorted(_ACTION_OF, key=len, reverse=True)))
# 约谈制度, 问责机制, 问责条例: the name of a rule, not an action taken.
_RULE_SUFFIX_RE = re.compile("制度|机制|办法|规定|条例|细则")
_COUNT_AFTER_RE = re.compile(rf"了?(?:共|共计|合计)?\s*({_NUM})\s*(?:名|人|位)")
_COUNT_BEFORE_RE = re.compile(
    rf"(?:对|给予|将)\s*({_NUM})\s*(?:名|人|位|个)|({_NUM})\s*(?:名|人|位)[^被]{{0,10}}被"
)
_LIST_JOINER = frozenset("、和及与或/ ")
_ACTION_WINDOW = 30


def find_accountability(text: str) -> list[Accountability]:
    """Every accountability action in ``text``, in order, with a head count if stated.

    Synonyms are normalised to the first name (谈话提醒 → 提醒谈话, 诫勉 → 诫勉谈话,
    政务处分 → 党纪政务处分 …). The count is read after the action (``诫勉谈话2人``,
    ``给予政务处分0人`` → 0) or before it in the clause (``对3名责任人进行诫勉谈话``);
    actions listed with 、/和 share a count stated before the first. ``span``
    covers the action word. Words inside 《》, rule names (约谈制度) and
    attributive past mentions (受到党纪处分的15名党员) are not actions.
    """
    folded = fold_width(text)
    titles = _title_spans(folded)
    title_starts = [s for s, _ in titles]
    found: list[Accountability] = []
    prev_end = -1
    prev_before_count: int | None = None
    for m in _ACTION_RE.finditer(folded):
        start, end = m.span()
        k = bisect.bisect_right(title_starts, start) - 1
        if k >= 0 and titles[k][1] > start:
            continue  # inside a title
        if _RULE_SUFFIX_RE.match(folded, end):
            continue
        if folded[max(0, start - 2) : start] in ("受到", "受过") and folded[end : end + 1] == "的":
            continue
        count: int | None = None
        before_count: int | None = None
        after = _COUNT_AFTER_RE.match(folded, end)
        if after:
            count = _to_int(after.group(1))
        # The clause before the action, not reaching back past the previous action.
        lo = start
        limit = max(0, start - _ACTION_WINDOW, prev_end)
        while lo > limit and folded[lo - 1] not in _CLAUSE_BREAK:
            lo -= 1
        befores = list(_COUNT_BEFORE_RE.finditer(folded, lo, start))
        if befores:
            last = befores[-1]
            before_count = _to_int(last.group(1) or last.group(2))
        elif (
            prev_end >= 0
            and prev_before_count is not None
            and all(ch in _LIST_JOINER for ch in folded[prev_end:start])
        ):
            before_count = prev_before_count  # 对3名责任人进行诫勉谈话、责令检查
        if count is None:
            count = before_count
        found.append(Accountability(action=_ACTION_OF[m.group()], span=(start, end), count=count))
        prev_end, prev_before_count = end, before_count
    return found


# ----------------------------------------------------------------------- stats

_UNIT = r"(?:个|项|条|件)"
# Approximate counts are kept as the number written: 400余条, 100多项, 近百条, 约50个.
_ABOUT = r"(?:近|约|逾|超过|共|共计|合计)?"
_MORE = r"[余多]?"
_DONE_WORDS = r"(?:完成整改|整改完成|整改到位|整改销号|销号|完成|整改|办结)"
_STAT_PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    "problems": (
        re.compile(rf"(?:反馈|指出)(?:的|意见)?(?:各类|具体)?问题{_ABOUT}\s*({_NUM}){_MORE}\s*{_UNIT}"),
        # 共反馈3个方面问题14个: the aspects before the noun, the count after it.
        re.compile(
            rf"(?:反馈|指出)了?{_ABOUT}\s*{_NUM}\s*(?:个方面|大方面|个类别|大类)(?:的)?问题"
            rf"{_ABOUT}\s*({_NUM}){_MORE}\s*{_UNIT}"
        ),
        re.compile(
            rf"(?:反馈|指出|巡察|巡视)(?:的|意见|组|了)?(?:中的|指出的|反馈的)?(?:各类|具体)?"
            rf"{_ABOUT}\s*({_NUM}){_MORE}\s*{_UNIT}(?:具体)?问题"
        ),
    ),
    "completed": (
        re.compile(rf"已{_DONE_WORDS}(?:的)?(?:问题)?{_ABOUT}\s*({_NUM})\s*{_UNIT}"),
        # 完成整改24个 without 已, but not 基本完成 / 未完成 / 尚未完成.
        re.compile(rf"完成整改(?<![未已本]完成整改)(?:的)?(?:问题)?{_ABOUT}\s*({_NUM})\s*{_UNIT}"),
    ),
    "in_progress": (re.compile(rf"(?:正在整改|正在推进|序时推进)中?(?:的)?(?:问题)?\s*({_NUM})\s*{_UNIT}"),),
    "basically_complete": (re.compile(rf"基本完成(?:整改)?(?:的)?(?:问题)?\s*({_NUM})\s*{_UNIT}"),),
    "not_complete": (re.compile(rf"(?:尚未完成|未完成)(?:整改)?(?:的)?(?:问题)?\s*({_NUM})\s*{_UNIT}"),),
    "rules": (
        re.compile(
            rf"(?:(?:新建|修订|完善|制定|修改|建立|健全|出台|印发|制修订)[和及、与]?){{1,4}}"
            rf"了?(?:各类|相关)?(?:规章)?制度(?:机制)?(?:共|共计)?\s*({_NUM})\s*(?:项|个|条|部|件)"
        ),
        re.compile(
            rf"(?:(?:新建|修订|完善|制定|修改|建立|健全|出台|印发|制修订)[和及、与]?){{1,4}}"
            rf"了?(?:各类|相关)?\s*({_NUM})\s*(?:项|个|条|部|件)(?:规章)?制度"
        ),
        re.compile(rf"建章立制\s*({_NUM})\s*(?:项|个|条|部|件)"),
    ),
    "measures": (
        re.compile(rf"(?:整改|配套|具体)措施{_ABOUT}\s*({_NUM}){_MORE}\s*{_UNIT}"),
        re.compile(rf"({_NUM}){_MORE}\s*{_UNIT}(?:具体|配套)?整改措施"),
    ),
    "accountable_people": (re.compile(rf"(?:追责问责|问责|追责)(?:了)?(?:共|共计)?\s*({_NUM})\s*(?:人|名)"),),
}
# A breakdown over the levels of the feedback, the problems last: 5个方面15大项问题60子项问题,
# 4大类、13个大项、26个具体问题, 3个方面18个问题, 15大项60子项问题. Two levels at least, so
# 从3个方面入手 is not one.
_SEP = r"[、,，和及]?\s*"
_BREAKDOWN_RE = re.compile(
    rf"(?:(?P<categories>{_NUM})\s*(?:个方面|大方面|个类别|大类|类)(?:的)?(?:问题)?{_SEP})?"
    rf"(?:(?P<issues>{_NUM})\s*(?:个大项|大项|个方面问题中的)(?:问题)?{_SEP})?"
    rf"(?P<problems>{_NUM}){_MORE}\s*(?:(?:个子项|子项|个具体|项具体|{_UNIT})(?:具体)?问题"
    # 问题清单3大类21项: below a level, a count with no noun after it is of problems.
    r"|(?:项|个)(?=[,;。、\s]|$))"
)
_RATE_RE = re.compile(r"完成率(?:为|达|达到)?了?\s*([0-9]{1,3}(?:\.[0-9]{1,4})?)\s*%")
_RECOVERY_RE = re.compile("清退|追缴|追回|挽回|收回")


class _EarlierRound:
    """Whether a figure at a position speaks of an earlier round than the notice's own.

    The last cue before the figure in its sentence decides: 上一轮 / 上轮 / 上次 /
    以往 / 历次 … or a year before the round's (``2021年巡察反馈的问题``) make it an
    earlier round's, 本轮 / 此次 / 本次 or the round's own year make it this one's.
    """

    def __init__(self, folded: str, round_year: int | None) -> None:
        self.folded = folded
        self.cues: list[tuple[int, bool]] = []  # (end of the cue, earlier?)
        if not _EARLIER_HINT_RE.search(folded):
            return  # no cue of an earlier round anywhere: nothing to look up
        if round_year is None:
            inspection, _ = find_inspection(folded[:_ROUND_WINDOW])
            years = [d.year for d in (inspection.period_start, inspection.feedback_date) if d]
            round_year = min(years) if years else None
        for m in _ROUND_CUE_RE.finditer(folded):
            if m.group("year") is None:
                self.cues.append((m.end(), m.group("this") is None))
                continue
            before = folded[max(0, m.start() - 2) : m.start()]
            if before.endswith(_PROGRESS_DATE_WORDS):
                continue  # 截至2024年底: the date of the progress, not of a round
            year = int(m.group("year"))
            if round_year is not None:
                self.cues.append((m.end(), year < round_year))
        self.ends = [end for end, _ in self.cues]

    def __call__(self, pos: int) -> bool:
        if not self.cues:
            return False
        k = bisect.bisect_right(self.ends, pos) - 1
        if k < 0:
            return False
        end, is_earlier = self.cues[k]
        # The cue counts only within the figure's sentence.
        lo = max(end, pos - _ROUND_REACH)
        if any(ch in _ROUND_BREAK for ch in self.folded[lo:pos]) or end < pos - _ROUND_REACH:
            return False
        return is_earlier


_EARLIER_WORDS = r"上一轮|上轮|上一次|上次|前一轮|前轮|上一届|上届|以往|历次|往年|历年"
_EARLIER_HINT_RE = re.compile(rf"{_EARLIER_WORDS}|(?:19|20)[0-9]{{2}}年")
_ROUND_CUE_RE = re.compile(
    rf"(?P<earlier>{_EARLIER_WORDS})|(?P<this>本轮|此次|这次|本次|这轮)"
    r"|(?P<year>(?:19|20)[0-9]{2})年度?(?=[^。;!?\n]{0,16}?(?:巡察|巡视))"
)
_PROGRESS_DATE_WORDS = ("截至", "截止", "至", "到")
_ROUND_BREAK = frozenset("。;!?\n")
_ROUND_REACH = 120
_ROUND_WINDOW = 2000


def find_stats(text: str, *, round_year: int | None = None) -> dict[str, int | Decimal]:
    """The headline statistics ``text`` states, keyed by name; absent keys are unstated.

    Keys: ``problems``, ``completed``, ``in_progress``,
    ``basically_complete``, ``not_complete`` (ints), ``completion_rate``
    (Decimal percent), ``rules``, ``measures``, ``accountable_people`` (ints) and
    ``money_recovered`` (Decimal yuan). Counts may be written in words (十二项),
    with 个/项/条/件, and approximately (``400余条``, ``100多项``, ``近百条`` are
    kept as 400 and 100). The first statement of each key wins; a stated zero is
    kept. ``problems`` needs headline wording (反馈 / 巡察 / a breakdown of at
    least two levels, see :func:`find_breakdown`), so ``共发现问题5个`` does not
    count. A figure whose sentence speaks of an earlier round (上一轮巡察反馈的8个
    问题, 2021年巡察反馈的问题 when the round is later) is not this round's and is
    skipped; ``round_year`` is the year the round began, read from the opening
    when not given. Web-page chrome (浏览次数 …) is never a figure.
    """
    folded = fold_width(chrome.mask(text))
    earlier = _EarlierRound(folded, round_year)
    stats: dict[str, int | Decimal] = {}
    firsts: dict[str, tuple[int, int]] = {}  # key: (position, value) of its earliest statement
    for key, patterns in _STAT_PATTERNS.items():
        for pattern in patterns:
            m = next((m for m in pattern.finditer(folded) if not earlier(m.start())), None)
            if m is None:
                continue
            value = _to_int(m.group(1))
            if value is not None and (key not in firsts or m.start() < firsts[key][0]):
                firsts[key] = (m.start(), value)
    breakdown = _first_breakdown(folded, earlier)
    if breakdown is not None:
        at, levels = breakdown
        if "problems" in levels and ("problems" not in firsts or at < firsts["problems"][0]):
            firsts["problems"] = (at, levels["problems"])
    for key in _STAT_PATTERNS:
        if key in firsts:
            stats[key] = firsts[key][1]
    rate = next((m for m in _RATE_RE.finditer(folded) if not earlier(m.start())), None)
    if rate:
        # The pattern admits only plain digits, so Decimal cannot fail here.
        stats["completion_rate"] = Decimal(rate.group(1))
    for amount in find_amounts(text):
        lo = amount.span[0]
        limit = max(0, lo - 20)
        while lo > limit and folded[lo - 1] not in _CLAUSE_BREAK:
            lo -= 1
        if _RECOVERY_RE.search(folded, lo, amount.span[0]):
            stats["money_recovered"] = amount.yuan
            break
    return stats


# A breakdown has an upper level, so it is only tried from the number before one of these
# words (found by a literal scan), not at every position of the text.
_UPPER_LEVEL_RE = re.compile("方面|大类|类别|大项|类")
_NUMERAL_CHARS = frozenset("0123456789" + _CN_NUM)
_NUM_REACH = 12  # how far back from the level word its number may start


def _first_breakdown(folded: str, earlier: _EarlierRound | None = None) -> tuple[int, dict[str, int]] | None:
    for word in _UPPER_LEVEL_RE.finditer(folded):
        k = word.start()
        if folded[k - 1 : k] in ("个", "大"):
            k -= 1
        while k > 0 and folded[k - 1] == " ":
            k -= 1
        stop = max(0, k - _NUM_REACH)
        end = k
        while k > stop and folded[k - 1] in _NUMERAL_CHARS:
            k -= 1
        if k == end:
            continue
        m = _BREAKDOWN_RE.match(folded, k)
        if m is None or (earlier is not None and earlier(m.start())):
            continue
        levels = {key: _to_int(v) for key, v in m.groupdict().items() if v is not None}
        if len(levels) >= 2:
            return m.start(), {key: v for key, v in levels.items() if v is not None}
    return None


def find_breakdown(text: str) -> dict[str, int]:
    """The first breakdown of the feedback over its levels that ``text`` states.

    ``5个方面15大项问题60子项问题`` gives ``{"categories": 5, "issues": 15,
    "problems": 60}``, ``4大类、13个大项、26个具体问题`` and ``3个方面18个问题``
    likewise (keys for the levels written only; counts may be in words). Two
    levels at least, so ``从3个方面入手`` or a lone ``18个问题`` give ``{}``. The
    keys are those of ``counts``, so a stated breakdown can be set against the
    outline found.
    """
    found = _first_breakdown(fold_width(text))
    return {} if found is None else found[1]


# -------------------------------------------------------------------- channels

_PHONE_LABEL_RE = re.compile("联系电话|联系方式|举报电话|监督电话|电话")
_PHONE_RE = re.compile(
    r"\s*(?:(?:为|是)\s*)?(?:[:：]\s*)?"
    r"(?P<phone>"
    r"\(0[0-9]{2,3}\)\s?[0-9]{7,8}"
    r"|0[0-9]{2,3}\s?[-—–－]?\s?[0-9]{7,8}"
    r"|1[3-9][0-9]{9}"
    r"|[0-9]{5,8}"
    r")(?![0-9])"
)
_ADDRESS_LABEL_RE = re.compile("邮寄地址|通信地址|通讯地址|邮政地址|来信地址|联系地址|邮政信箱|地址")
_ADDRESS_STOP_RE = re.compile(
    r"[;。\n\r]|邮编|邮政编码|电子邮箱|电子信箱|邮箱|联系电话|电话|联系方式|E-?mail", re.IGNORECASE
)
_EMAIL_RE = re.compile(r"(?<![A-Za-z0-9._%+-])[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
_EMAIL_CUE_RE = re.compile(r"邮箱|信箱|邮件|e-?mail|电话|地址|联系|监督|反映", re.IGNORECASE)
_ADDRESS_MAX = 80


def _line_bounds(folded: str) -> tuple[list[int], list[int]]:
    """The starts and ends of the lines of ``folded`` (split at \\n and \\r)."""
    starts = [0]
    ends: list[int] = []
    for m in re.finditer(r"[\n\r]", folded):
        ends.append(m.start())
        starts.append(m.end())
    ends.append(len(folded))
    return starts, ends


def find_channels(text: str) -> FeedbackChannels:
    """The phone, postal address and e-mail the text gives for public feedback.

    Each is taken from its last labelled occurrence (the closing paragraph
    comes last): the phone after 联系电话 / 联系方式 / 监督电话 / 举报电话 / 电话 … as
    written, the address after 邮寄地址 / 通信地址 / 来信地址 / 邮政信箱 / 地址 … up to
    ``；``, ``。``, a newline or the next label (邮编, 电子邮箱 …), and the last
    ASCII e-mail address in a
    paragraph that speaks of contact (邮箱, 电话, 地址, 联系 …), folded to ASCII.
    The site's own footer (主办单位 … 地址 … 电话 beside 版权所有) is web-page
    chrome, not a channel.
    """
    folded = fold_width(chrome.mask(text))
    phone = None
    for label in reversed(list(_PHONE_LABEL_RE.finditer(folded))):
        m = _PHONE_RE.match(folded, label.end())
        if m:
            phone = text[m.start("phone") : m.end("phone")].strip()
            break
    address = None
    for label in reversed(list(_ADDRESS_LABEL_RE.finditer(folded))):
        start = label.end()
        while start < len(folded) and folded[start] in " :：\t":
            start += 1
        stop = _ADDRESS_STOP_RE.search(folded, start, start + _ADDRESS_MAX)
        end = stop.start() if stop else min(len(folded), start + _ADDRESS_MAX)
        # …办公室（邮编：246200）: the bracket opened before the postcode is not the address's.
        value = text[start:end].strip().rstrip(",，、:：(（[【 ").strip()
        if value:
            address = value
            break
    email = None
    starts, ends = _line_bounds(folded)
    cue_in_line: dict[int, bool] = {}  # one cue search per line, however many e-mails
    for m in reversed(list(_EMAIL_RE.finditer(folded))):
        tld = m.group().rsplit(".", 1)[1]
        if not (len(tld) >= 2 and tld.isalpha()):
            continue
        line = bisect.bisect_right(starts, m.start()) - 1
        if line not in cue_in_line:
            cue_in_line[line] = bool(_EMAIL_CUE_RE.search(folded, starts[line], ends[line]))
        if cue_in_line[line]:
            email = m.group()
            break
    return FeedbackChannels(phone=phone, address=address, email=email)


# ----------------------------------------------------------------- status hint

_IN_PROGRESS_RE = re.compile(
    r"正在|(?<!持续)(?:推进中|整改中|进行中|实施中|办理中)|尚未|将于"
    r"|目前[^。;!?\n]{0,30}?[\u4e00-\u9fff]中(?=[。;,，!?)\s]|$)"
    r"|(?<![草模虚比])拟(?![定稿])"
)
_ONGOING_RE = re.compile("长期坚持|常态化|持续开展|持续推进|每月|每季度|每学期|定期|长效")
_DONE_RE = re.compile(
    r"(?<![而不])已(?=[\u4e00-\u9fff])"
    r"|(?:完成|制定|召开|开展|建立|设立|出台|印发|下发|完善|进行|组织|通报|观看|学习|作出"
    r"|出具|规范|调整|核实|排查)了"
    r"|(?<![不未])到位|均落实整改|上交国库|退回"
)


def status_hint(text: str) -> StatusHint | None:
    """A status read from the wording of one measure, or None.

    ``in_progress`` (正在, 推进中, 尚未, 目前…中, 将于, 拟) beats ``ongoing``
    (长期坚持, 常态化, 持续开展, 每月, 定期, 长效 …), which beats ``done`` (已 + verb,
    完成了, 制定了, 到位, 上交国库, 退回 …): a measure that says 已… but is 目前
    正在推进中 is still in progress. ``持续推进中`` is ongoing, not in progress.
    """
    folded = fold_width(text)
    if _IN_PROGRESS_RE.search(folded):
        return "in_progress"
    if _ONGOING_RE.search(folded):
        return "ongoing"
    if _DONE_RE.search(folded):
        return "done"
    return None
