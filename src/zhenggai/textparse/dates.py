"""Dates, deadlines and the inspection facts of an opening paragraph.

Everything here matches on ``fold_width(text)``, which has the same length as
``text``, so a span found on the folded copy slices the original unchanged.

The scanner is linear: candidate positions come from one regex whose branches
are anchored by a look-behind at the start of a run and have bounded length,
so a megabyte of digits is a failed attempt per position, never a quadratic
backtrack; every later step reads a bounded number of runs (possessively) and
the scan always moves past the run it looked at.
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Literal

from zhenggai.textparse import chrome
from zhenggai.textparse.model import DateMention, Deadline, Diagnostic, Inspection, Precision
from zhenggai.textparse.numerals import cn_to_int, fold_width

__all__ = ["InspectionKind", "find_dates", "find_inspection", "find_inspection_kind", "parse_deadline"]

_CN_DIGITS = "〇零○一二三四五六七八九"
# 两/百/千 are left out on purpose: no date is written with them, and counts are.
_CN_NUM = _CN_DIGITS + "十"
_YEAR_MIN, _YEAR_MAX = 1900, 2099

# Words that, right before a bare 年底/年末, make it relative (今年底, 去年底,
# 每年底) or part of a number: such a year end is not a date we can place.
_NOT_BARE_YEAR_END = "0-9" + _CN_NUM + "今去明前后上下每当同该本往近历多几整全次半年"

_CANDIDATE = re.compile(
    # Each branch starts a whole run (look-behind) and has a bounded length, so
    # any position costs a bounded attempt: no backtracking over long runs.
    r"(?<![0-9])(?:[0-9]{4}(?=年)|[0-9]{1,2}(?=月)|[0-9]{3,4}(?=日))"
    r"|(?<![0-9A-Za-z./-])(?:19|20)[0-9]{2}(?=[./-][0-9])"
    rf"|(?<![{_CN_NUM}])(?:[{_CN_DIGITS}]{{4}}(?=年)|[{_CN_NUM}]{{1,3}}(?=月))"
    # 元月 is January, but not in 5000元月均 or 4.5万元月底.
    rf"|(?<![0-9{_CN_NUM}万亿千百])元(?=月)"
    rf"|(?<![{_NOT_BARE_YEAR_END}])年(?=[底末])"
)
_DIGIT_RUN = re.compile(r"[0-9]+")
_CN_RUN = re.compile(rf"[{_CN_NUM}]+")
# The only Chinese spellings of 1..39 a month or a day is written with; a run
# such as 一二 (一二月份, "January and February") must not read as twelve.
_CN_SMALL = re.compile(r"[二三]?十[一二三四五六七八九]?|[一二三四五六七八九]")

_TEN_DAYS = {"上旬": "early", "中旬": "mid", "下旬": "late"}
_DAY_UNITS = frozenset("日号")
_YEAR_END = frozenset("底末")
# After 前 these make it a word of its own (前后 "around", 前期, 前三季度).
_NOT_BEFORE = frozenset("后期夕列沿线景提两几半") | frozenset(_CN_NUM)
_RANGE_SEPS = ("——", "至", "到", "-", "—", "–", "~", "〜")
_RANGE_FIRST = frozenset("至到-—–~〜 起")
# A dotted year-month followed by one of these is an amount (2019.5万元), not a date.
_AMOUNT_TAIL = frozenset("万元亿千百%‰个件人次台份米吨斤亩户家名条项起辆")
# Before or after a bare 330日 these make it a duration (近120日, 45日内).
_DURATION_BEFORE = frozenset("月第每近满约逾超共计达用时了续余")
_DURATION_AFTER = ("内", "以内", "之内", "以上", "以下", "左右", "后", "以后", "之后", "来")


@dataclass(slots=True)
class _Point:
    """One date as written, before a year is known: its fields and its extent."""

    start: int
    end: int
    year: int | None = None
    month: int | None = None
    day: int | None = None
    qualifier: str | None = None  # end / early / mid / late
    bad: bool = False

    @property
    def precision(self) -> Precision:
        if self.qualifier == "end" or self.day is not None:
            return "day"
        return "month" if self.month is not None else "year"


def _char(f: str, i: int) -> str:
    return f[i : i + 1]


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _small_number(f: str, i: int, units: frozenset[str]) -> tuple[int, int] | None:
    """A month- or day-sized number at ``i`` followed by one of ``units``: (value, unit index)."""
    ch = _char(f, i)
    if "0" <= ch <= "9":
        j = _DIGIT_RUN.match(f, i).end()  # type: ignore[union-attr]
        if j - i > 2:
            return None
        value = int(f[i:j])
    elif ch and ch in _CN_NUM:
        j = _CN_RUN.match(f, i).end()  # type: ignore[union-attr]
        if not _CN_SMALL.fullmatch(f, i, j):
            return None
        value = cn_to_int(f[i:j]) or 0
    else:
        return None
    if _char(f, j) not in units:
        return None
    return value, j


def _after_month(f: str, start: int, k: int, year: int | None, month: int) -> _Point:
    """Read what may follow ``M月`` at ``k``: 份, 底, a ten-day period, or a day."""
    p = _Point(start, k, year, month, bad=not 1 <= month <= 12)
    nxt = _char(f, k)
    if nxt == "份":
        p.end = k + 1
    elif nxt in _YEAR_END and nxt:
        p.qualifier, p.end = "end", k + 1
    elif f[k : k + 2] in _TEN_DAYS:
        p.qualifier, p.end = _TEN_DAYS[f[k : k + 2]], k + 2
    else:
        day = _small_number(f, k, _DAY_UNITS)
        if day is not None:
            p.day, p.end = day[0], day[1] + 1
    return p


def _read_month(f: str, i: int) -> tuple[int, int] | None:
    if f.startswith("元月", i):
        return 1, i + 2
    found = _small_number(f, i, frozenset("月"))
    return None if found is None else (found[0], found[1] + 1)


def _after_year(f: str, start: int, k: int, year: int) -> _Point:
    """Read what may follow ``YYYY年`` at ``k``: 底, a month, or nothing (a year)."""
    if _char(f, k) in _YEAR_END and _char(f, k):
        return _Point(start, k + 1, year, qualifier="end")
    if f.startswith(("年底", "年末"), k):
        return _Point(start, k + 2, year, qualifier="end")
    month = _read_month(f, k)
    if month is None:
        run = _DIGIT_RUN.match(f, k)
        if run is not None and _bare_malformed(f, k, run.end()):
            return _Point(start, run.end() + 1, year, bad=True)  # 2022年330日
        return _Point(start, k, year)
    return _after_month(f, start, month[1], year, month[0])


def _dotted(f: str, start: int, j: int, year: int, *, after_sep: bool) -> _Point | None:
    """``2022.3.30``, ``2022-03-30``, ``2022/3/30`` or ``2022.03``; invalid ones are not dates."""
    before = _char(f, start - 1) if start else ""
    if not after_sep and before and (before in "./-" or (before.isascii() and before.isalnum())):
        return None  # a version number or a longer code, not a date
    sep = f[j]
    m = _DIGIT_RUN.match(f, j + 1)
    if m is None or m.end() - m.start() > 2:
        return None
    month, k = int(m.group()), m.end()
    if not 1 <= month <= 12:
        return None
    nxt = _char(f, k)
    if nxt == sep:
        m2 = _DIGIT_RUN.match(f, k + 1)
        if m2 is None or m2.end() - m2.start() > 2:
            return None
        day, e = int(m2.group()), m2.end()
        tail = _char(f, e)
        if tail == sep or tail in _AMOUNT_TAIL or (tail.isascii() and tail.isalpha()):
            return None
        if tail == "." and _char(f, e + 1).isdigit():
            return None
        if not 1 <= day <= _last_day(year, month):
            return None
        return _Point(start, e, year, month, day)
    if nxt and (nxt in "./-" or nxt in _AMOUNT_TAIL or (nxt.isascii() and nxt.isalpha())):
        return None
    return _Point(start, k, year, month)


def _read_point(f: str, i: int, *, day_only: bool = False, after_sep: bool = False) -> _Point | None:
    """Read one date at ``i``; ``day_only`` admits a bare ``8日`` (the end of ``3月4日至8日``)."""
    if f.startswith(("年底", "年末"), i):
        return _Point(i, i + 2, qualifier="end")
    if f.startswith("元月", i):
        return _after_month(f, i, i + 2, None, 1)
    ch = _char(f, i)
    if "0" <= ch <= "9":
        j = _DIGIT_RUN.match(f, i).end()  # type: ignore[union-attr]
        digits, nxt = f[i:j], _char(f, j)
        if len(digits) == 4 and _YEAR_MIN <= int(digits) <= _YEAR_MAX:
            if nxt == "年":
                return _after_year(f, i, j + 1, int(digits))
            if nxt and nxt in "./-":
                return _dotted(f, i, j, int(digits), after_sep=after_sep)
            return None
        if len(digits) <= 2:
            if nxt == "月":
                return _after_month(f, i, j + 1, None, int(digits))
            if day_only and nxt in _DAY_UNITS:
                return _Point(i, j + 1, day=int(digits))
        return None
    if ch and ch in _CN_NUM:
        j = _CN_RUN.match(f, i).end()  # type: ignore[union-attr]
        numeral, nxt = f[i:j], _char(f, j)
        if nxt == "年" and len(numeral) == 4 and all(c in _CN_DIGITS for c in numeral):
            year = cn_to_int(numeral) or 0
            return _after_year(f, i, j + 1, year) if _YEAR_MIN <= year <= _YEAR_MAX else None
        if _CN_SMALL.fullmatch(numeral):
            value = cn_to_int(numeral) or 0
            if nxt == "月":
                return _after_month(f, i, j + 1, None, value)
            if day_only and nxt in _DAY_UNITS:
                return _Point(i, j + 1, day=value)
    return None


def _range_sep(f: str, e: int) -> int:
    """Length of a range separator (至, -, —, ~ …, with up to two spaces around) at ``e``."""
    if _char(f, e) not in _RANGE_FIRST:
        return 0  # the common case, cheaply
    k = e
    if f.startswith(("起至", "起到"), k):
        k += 1  # 2025年3月10日起至5月20日: "from … onwards, to …"
    lead = k
    while k < len(f) and k - lead < 2 and f[k] == " ":
        k += 1
    for sep in _RANGE_SEPS:
        if f.startswith(sep, k):
            k += len(sep)
            break
    else:
        return 0
    stop = k + 2
    while k < len(f) and k < stop and f[k] == " ":
        k += 1
    return k - e


def _post_qualifier(f: str, e: int) -> tuple[str | None, int]:
    """以来 (since) or 前/以前/之前 (before) right after a date at ``e``."""
    if f.startswith("以来", e):
        return "since", e + 2
    if f.startswith(("以前", "之前"), e):
        return "before", e + 2
    if _char(f, e) == "前" and _char(f, e + 1) not in _NOT_BEFORE:
        return "before", e + 1
    return None, e


def _plausible(p: _Point) -> bool:
    """Whether some year could make the written fields a real date (2月29日 can be)."""
    if p.bad or (p.month is not None and not 1 <= p.month <= 12):
        return False
    if p.day is not None:
        return p.month is not None and 1 <= p.day <= _last_day(2000, p.month)
    return True


def _bounds(p: _Point, year: int) -> tuple[dt.date, dt.date] | None:
    """First and last day ``p`` can mean in ``year``; None when it is impossible."""
    if not _plausible(p):
        return None
    if p.month is None:
        first, last = dt.date(year, 1, 1), dt.date(year, 12, 31)
        return (last, last) if p.qualifier == "end" else (first, last)
    last_day = _last_day(year, p.month)
    if p.day is not None:
        if p.day > last_day:
            return None
        day = dt.date(year, p.month, p.day)
        return day, day
    lo, hi = {"end": (last_day, last_day), "early": (1, 10), "mid": (11, 20), "late": (21, last_day)}.get(
        p.qualifier or "", (1, last_day)
    )
    return dt.date(year, p.month, lo), dt.date(year, p.month, hi)


def _dotted_end(f: str, p1: _Point, k: int) -> _Point | None:
    """The yearless end of a dotted range at ``k``: ``5.20`` in ``2025.3.10—5.20``, or ``20``
    in ``2025.3.10-20``, written with the separator of the start."""
    sep = _char(f, p1.start + 4)
    if p1.day is None or p1.year is None or not sep or sep not in "./-":
        return None
    m = _DIGIT_RUN.match(f, k)
    if m is None or m.end() - k > 2:
        return None
    first, e = int(m.group()), m.end()
    p2 = _Point(k, e, day=first)
    if _char(f, e) == sep:
        m2 = _DIGIT_RUN.match(f, e + 1)
        if m2 is None or m2.end() - m2.start() > 2:
            return None
        p2 = _Point(k, m2.end(), month=first, day=int(m2.group()))
    tail = _char(f, p2.end)
    if tail and (tail in "./-" or tail in _AMOUNT_TAIL or (tail.isascii() and tail.isalnum())):
        return None  # a longer code, a version or an amount (2025.3.10-5.20万元), not a date
    return p2


def _range_end(f: str, p1: _Point, k: int) -> _Point | None:
    """The end of a range whose separator ends at ``k``, or None if it is not a range."""
    p2 = _read_point(f, k, day_only=p1.day is not None and p1.month is not None, after_sep=True)
    if p2 is None:
        p2 = _dotted_end(f, p1, k)
    if p2 is None:
        return None
    if p2.month is None and p2.day is not None:
        if p2.day <= (p1.day or 0):
            return None  # 3月30日至2日 is not a range we can read
        p2.month = p1.month
    if p2.year is not None and p1.year is None:
        return None  # 3月至2022年5月: the start has no year to share
    return p2


def _mention(
    text: str, p1: _Point, p2: _Point | None, qualifier: str | None, end: int, carried: int | None
) -> DateMention:
    """Normalise one point or range, taking ``carried`` as the year when none is written."""
    span = (p1.start, end)
    written = text[p1.start : end]
    year = p1.year if p1.year is not None else carried
    inferred = p1.year is None and year is not None
    qualifier = qualifier or p1.qualifier
    malformed = DateMention(written, span, None, None, malformed=True, qualifier=qualifier)
    if year is None:
        if not _plausible(p1) or (p2 is not None and not _plausible(p2)):
            return malformed
        # Simply unknown: not malformed, and never guessed.
        return DateMention(written, span, None, p1.precision, qualifier=qualifier)
    first = _bounds(p1, year)
    if first is None or (p2 is not None and not _plausible(p2)):
        return malformed
    if p2 is None:
        return DateMention(
            written, span, first[0], p1.precision, end=first[1], qualifier=qualifier, year_inferred=inferred
        )
    end_year = p2.year if p2.year is not None else year
    last = _bounds(p2, end_year)
    if last is not None and last[1] < first[0] and p2.year is None:
        # 2021年12月至3月: the end only reads as the following year.
        last = _bounds(p2, end_year + 1)
    if last is None or last[1] < first[0]:
        return malformed
    return DateMention(
        written, span, first[0], p1.precision, end=last[1], qualifier="range", year_inferred=inferred
    )


def _bare_malformed(f: str, i: int, j: int) -> bool:
    """``330日``: a day number that is really a month and a day with 月 lost."""
    digits = f[i:j]
    if _char(f, j) != "日" or not 3 <= len(digits) <= 4 or int(digits) <= 31:
        return False
    if i and f[i - 1] in _DURATION_BEFORE:
        return False
    if f.startswith(_DURATION_AFTER, j + 1):
        return False
    for cut in range(1, len(digits)):
        month, day = int(digits[:cut]), int(digits[cut:])
        if cut <= 2 and len(digits) - cut <= 2 and 1 <= month <= 12 and 1 <= day <= _last_day(2000, month):
            return True
    return False


def _bare_mention(text: str, f: str, i: int, e: int) -> DateMention:
    """A malformed ``330日`` ending at ``e``, kept whole with its range end
    (``330日至5月1日``) so that the end is not read as a date of its own."""
    sep = _range_sep(f, e)
    tail = _read_point(f, e + sep, after_sep=True) if sep else None
    qualifier: str | None
    if tail is not None:
        qualifier, end = "range", tail.end
    else:
        qualifier, end = _post_qualifier(f, e)
    return DateMention(text[i:end], (i, end), None, None, malformed=True, qualifier=qualifier)


def find_dates(text: str, *, year: int | None = None, floor_year: int | None = None) -> list[DateMention]:
    """Every date written in ``text``, left to right, with spans into ``text``.

    ``year`` is the year in force at the start; a yearless date (``3月30日``)
    takes the year in force and is marked ``year_inferred``, or stays unknown
    (``value=None``, not malformed) when there is none. A written year comes
    into force unless the mention is ``since`` (``2017年以来`` is history) or the
    year is below ``floor_year``. Ranges (``2022年1月-6月``) are one mention with
    qualifier ``range``; impossible dates (``2月30日``, ``330日``) are
    ``malformed`` with ``value=None``. Durations, counts and relative words
    (``30个工作日``, ``今年以来``, ``本月``) are not dates.
    """
    if year is not None and not dt.MINYEAR <= year < dt.MAXYEAR:
        raise ValueError(f"year out of range: {year}")
    f = fold_width(text)
    found: list[DateMention] = []
    carried = year
    pos = 0
    while (m := _CANDIDATE.search(f, pos)) is not None:
        i = m.start()
        p1 = _read_point(f, i)
        if p1 is None:
            if "0" <= f[i] <= "9" and _bare_malformed(f, i, m.end()):
                found.append(_bare_mention(text, f, i, m.end() + 1))
                pos = found[-1].span[1]
            else:
                pos = m.end()  # past the whole run: keeps the scan linear
            continue
        p2: _Point | None = None
        qualifier: str | None
        if f.startswith("至今", p1.end):
            qualifier, end = "since", p1.end + 2
        else:
            sep = _range_sep(f, p1.end)
            p2 = _range_end(f, p1, p1.end + sep) if sep else None
            if p2 is not None:
                qualifier, end = "range", p2.end
            else:
                qualifier, end = _post_qualifier(f, p1.end)
        mention = _mention(text, p1, p2, qualifier, end, carried)
        found.append(mention)
        written = p2.year if p2 is not None and p2.year is not None else p1.year
        if (
            written is not None
            and mention.qualifier != "since"
            and (floor_year is None or written >= floor_year)
        ):
            carried = written
        pos = end
    return found


_LONG_TERM = ("长期", "持续整改", "持续推进", "常态化", "长效")
_IMMEDIATE = ("立行立改", "立即", "即知即改", "立查立改", "即查即改", "马上")


def parse_deadline(text: str, *, year: int | None = None) -> Deadline | None:
    """Read a deadline cell or phrase (完成时限): a date, long-term or immediate.

    A date's value is the last day of the period written (``2022年6月`` →
    2022-06-30, ``2022年6月15日前`` → 2022-06-15, a range → its end); several
    dates give the latest. A readable date wins over the words 长期坚持 /
    立行立改 written beside it, and long-term wins over immediate. Anything else
    that is not empty is a date that cannot be read (``value=None``).
    """
    stripped = text.strip()
    if not stripped:
        return None
    folded = fold_width(stripped)
    days = [
        m.end or m.value
        for m in find_dates(stripped, year=year)
        if m.value is not None and m.qualifier != "since"
    ]
    if days:
        return Deadline(stripped, max(d for d in days if d is not None), "date")
    if any(word in folded for word in _LONG_TERM):
        return Deadline(stripped, None, "long_term")
    if any(word in folded for word in _IMMEDIATE):
        return Deadline(stripped, None, "immediate")
    return Deadline(stripped, None, "date")


# --- the opening paragraph -------------------------------------------------

#: The kinds of inspection the contract names (``inspection.kind``).
InspectionKind = Literal["常规", "专项", "提级", "交叉", "机动", "回头看"]
_KINDS: tuple[InspectionKind, ...] = ("常规", "专项", "提级", "交叉", "机动")

_WINDOW = 2000
_ORD = "[0-9一二三四五六七八九十百零〇两]++"
_COMMITTEE = "(?:中央|自治区党委|省委|市委|州委|县委|区委|旗委|盟委|工委|党委|党组)"
_GROUP = re.compile(
    # An optional place name (望江县委, 中共安庆市委) only where a word starts.
    r"(?:(?:(?<![\u4e00-\u9fff])|(?<=[年月日]))(?:中共)?(?P<place>[\u4e00-\u9fff]{1,6}?)"
    rf"(?=(?:第?{_ORD}届)?{_COMMITTEE}))?"
    rf"(?P<rest>(?:第?{_ORD}届)?{_COMMITTEE}?(?:第{_ORD}轮)?(?:第{_ORD})?"
    rf"(?:专项|机动|提级|交叉|联动)?(?:巡察|巡视)(?:第?{_ORD})?组)"
)
# Words that show a would-be place name is a clause (根据县委统一部署…), not a place.
_NOT_PLACE = (
    "根据",
    "按照",
    "依据",
    "部署",
    "安排",
    "要求",
    "统一",
    "同意",
    "经",
    "由",
    "于",
    "在",
)
_CLAUSE_STOP = ",，。;；:：!！?？\n"
# 回头看 before or after the word, quoted or not: 开展了“回头看”巡察, 开展了巡察「回头看」.
_LOOK_BACK = "[“\"'‘「『]?回头看[”\"'’」』]?"
_UNIT_CLAUSE = re.compile(
    rf"(?:对(?!照|于|标|此|其|象|待|接)(?P<unit>[^{_CLAUSE_STOP}]{{2,60}}?)"
    # 进驻<unit>(,)开展巡察: the group moved in to inspect the unit.
    rf"|进驻(?!以来|以后|后|期间|前)(?P<unit_in>[^{_CLAUSE_STOP}]{{2,60}}?)[,，]?)"
    r"(?:开展了|进行了|开展|进行|实施了|实施)(?:为期[^,。;\n]{1,12}?的)?(?:一轮|新一轮)?"
    rf"(?:{_LOOK_BACK})?(?:常规|专项|机动|提级|交叉|延伸|联动|政治)?式?(?:巡察|巡视)(?:{_LOOK_BACK})?"
)
_FEEDBACK_CLAUSE = re.compile(
    rf"向(?P<unit>[^{_CLAUSE_STOP}]{{2,60}}?)(?:党组|党委|领导班子|党总支|党支部)?"
    r"(?:进行了|进行|正式|集中|书面)?反馈"
    # 反馈了对<unit>的巡察意见
    rf"|反馈了?对(?P<unit_of>[^{_CLAUSE_STOP}]{{2,60}}?)(?:党组|党委)?(?:的|开展的|进行的)?"
    r"(?:常规|专项|机动|提级|交叉)?(?:巡察|巡视)"
    # The news form: 市委第四巡察组巡察<unit>党组(情况)反馈会召开; the 巡察 of a group's
    # name (巡察组, 巡察第一组, 巡察办) is not the verb.
    rf"|(?:巡察|巡视)(?![组办第一二三四五六七八九十]|情况|工作)(?P<unit_meet>[^{_CLAUSE_STOP}]{{2,40}}?)"
    r"(?:党组|党委|领导班子)?(?:工作|情况)?反馈(?:会|大会|会议)"
    # 巡察反馈会在<unit>召开: the meeting held at the unit.
    rf"|(?:巡察|巡视)(?:情况|意见)?反馈(?:会|大会|会议)在(?P<unit_at>[^{_CLAUSE_STOP}]{{2,40}}?)"
    r"(?:党组|党委)?(?:召开|举行)"
)
_KIND_RE = re.compile(
    rf"(?:巡察|巡视){_LOOK_BACK}|{_LOOK_BACK}(?:巡察|巡视)"
    r"|(?P<kind>常规|专项|提级|交叉|机动)式?(?:巡察|巡视)"
)
_SENTENCE_END = re.compile(r"[。;!?\n]")
# A first line that is a breadcrumb or a sentence is no title to take the kind from.
_TITLE_MAX = 80
_NOT_TITLE = re.compile(r"[>›»/|。,;]")
_UNIT_TAIL_WORDS = ("于", "在", "自", "从")


def _title_line(f: str, lo: int) -> tuple[int, int]:
    """The first non-blank line before ``lo`` (the title above the opening), or (0, 0)."""
    pos = 0
    while pos < lo:
        nl = f.find("\n", pos, lo)
        if nl < 0:
            return 0, 0
        if f[pos:nl].strip():
            return pos, nl
        pos = nl + 1
    return 0, 0


def _sentence_start(f: str, lo: int, i: int) -> int:
    """Start of the sentence holding ``i``, not before ``lo``."""
    start = lo
    for m in _SENTENCE_END.finditer(f, lo, i):
        start = m.end()
    return start


def _sentence_end(f: str, i: int, hi: int) -> int:
    """End of the sentence holding ``i``, not after ``hi``."""
    m = _SENTENCE_END.search(f, i, hi)
    return m.start() if m else hi


def _group_name(text: str, m: re.Match[str]) -> str:
    """The group's name as written in ``text``, with a place name only if it is one."""
    place = m.group("place")
    if place and not any(word in place for word in _NOT_PLACE):
        return text[m.start() : m.end()]
    return text[m.start("rest") : m.end()]


def _unit_span(m: re.Match[str]) -> tuple[int, int]:
    """The span of the unit in a clause match, whichever alternative matched."""
    name = next(n for n, v in m.groupdict().items() if n.startswith("unit") and v is not None)
    return m.span(name)


def _unit_clause(f: str, lo: int, hi: int) -> re.Match[str] | None:
    """The first 对<unit>开展了巡察 in ``f[lo:hi]`` whose unit is not itself about 巡察."""
    return next((m for m in _UNIT_CLAUSE.finditer(f, lo, hi) if "巡" not in f[slice(*_unit_span(m))]), None)


def _feedback_clause(f: str, lo: int, hi: int) -> re.Match[str] | None:
    """The first 向<unit>反馈 (or 反馈了对<unit>的巡察意见, or the news form of the
    feedback meeting) in ``f[lo:hi]`` whose unit is not itself about 巡察."""
    return next(
        (m for m in _FEEDBACK_CLAUSE.finditer(f, lo, hi) if "巡" not in f[slice(*_unit_span(m))]), None
    )


def _opening_block(f: str) -> tuple[int, int] | None:
    """The first paragraph with an inspection or feedback clause, with a following
    paragraph that gives the feedback when the first does not."""
    lines: list[tuple[int, int]] = []
    pos = 0
    for line in f.split("\n"):
        lines.append((pos, pos + len(line)))
        pos += len(line) + 1
    for n, (s, e) in enumerate(lines):
        para = f[s:e]
        if "巡察" not in para and "巡视" not in para:
            continue
        if not (_unit_clause(f, s, e) or _feedback_clause(f, s, e)):
            continue
        end = e
        if "反馈" not in para:
            for s2, e2 in [ln for ln in lines[n + 1 : n + 4] if ln[1] > ln[0]][:2]:
                if "反馈" in f[s2:e2]:
                    end = e2
                    break
        return s, end
    return None


def _clean_unit(text: str, lo: int, hi: int, mentions: list[DateMention]) -> str:
    """The unit as written, cut before a date inside the clause (对XX于2022年3月开展了巡察)."""
    unit = text[lo:hi]
    for m in mentions:
        if lo <= m.span[0] < lo + len(unit):
            unit = unit[: m.span[0] - lo]
            break
    unit = unit.strip()
    while unit.endswith(_UNIT_TAIL_WORDS):
        unit = unit[:-1].rstrip()
    return unit


def _kind_in(f: str, lo: int, hi: int) -> InspectionKind | None:
    """The kind of inspection ``f[lo:hi]`` names: 回头看 wherever it stands, else the first kind."""
    kind: InspectionKind | None = None
    for m in _KIND_RE.finditer(f, lo, hi):
        word = m.group("kind")
        if word is None:
            return "回头看"
        if kind is None:
            kind = next(k for k in _KINDS if k == word)
    return kind


def _with_year(text: str, d: DateMention, year: int) -> DateMention:
    """``d`` (written without a year) read again with ``year``, keeping its span."""
    found = find_dates(text[d.span[0] : d.span[1]], year=year)
    return dataclasses.replace(found[0], span=d.span) if len(found) == 1 else d


@dataclass(frozen=True, slots=True)
class _Opening:
    inspection: Inspection
    kind: InspectionKind | None
    diagnostics: list[Diagnostic]


def _read_opening(text: str) -> _Opening:
    """Everything :func:`find_inspection` and :func:`find_inspection_kind` return."""
    # Web-page chrome (发布时间：…, a breadcrumb) is blanked: its dates are no round's.
    text = chrome.mask(text[:_WINDOW])
    f = fold_width(text)
    block = _opening_block(f)
    if block is None:
        return _Opening(Inspection(), None, [])
    lo, hi = block
    mentions = [
        dataclasses.replace(m, span=(m.span[0] + lo, m.span[1] + lo)) for m in find_dates(text[lo:hi])
    ]
    unit_m = _unit_clause(f, lo, hi)
    feedback_pos = f.find("反馈", unit_m.end() if unit_m else lo, hi)
    feedback_m: re.Match[str] | None = None
    if feedback_pos >= 0:
        feedback_m = _feedback_clause(f, lo, hi)
    elif unit_m is not None:
        # The feedback told before the inspection (…反馈了巡察意见。此前，…开展了巡察).
        feedback_m = _feedback_clause(f, lo, _sentence_start(f, lo, unit_m.start()))
        if feedback_m is not None:
            feedback_pos = f.find("反馈", feedback_m.start(), hi)
    groups = list(_GROUP.finditer(f, lo, hi))
    group: re.Match[str] | None = None
    period: DateMention | None = None
    used: list[DateMention] = []
    unit: str | None = None
    scopes: list[tuple[int, int]] = []

    if unit_m is not None:
        s = _sentence_start(f, lo, unit_m.start())
        scopes.append((s, _sentence_end(f, unit_m.end(), hi)))
        unit = _clean_unit(text, *_unit_span(unit_m), mentions) or None
        group = next((g for g in reversed(groups) if s <= g.start() and g.end() <= unit_m.start()), None)
        used = [m for m in mentions if s <= m.span[0] < unit_m.end()]
        period = next((m for m in reversed(used)), None)

    feedback: DateMention | None = None
    if feedback_pos >= 0:
        s2 = _sentence_start(f, lo, feedback_pos)
        scopes.append((s2, _sentence_end(f, feedback_pos, hi)))
        if unit_m is not None and feedback_pos > unit_m.end():
            s2 = max(s2, unit_m.end())
        before = [m for m in mentions if s2 <= m.span[0] < feedback_pos]
        used += before
        feedback = before[-1] if before else None
        if group is None:
            group = next((g for g in reversed(groups) if s2 <= g.start() < feedback_pos), None)
        if unit is None and feedback_m is not None:
            unit = text[slice(*_unit_span(feedback_m))].strip() or None
    if group is None and groups:
        group = groups[0]

    feedback_date = None
    if feedback is not None and feedback.precision == "day":
        feedback_date = feedback.value
    if (
        period is not None
        and period.value is None
        and not period.malformed
        and feedback is not None
        and feedback.value is not None
    ):
        # 3月10日至5月20日 … 2025年7月8日反馈: the period is the feedback's year, or the one
        # before when that would put it after the feedback (11月 … 2025年1月反馈).
        year = feedback.value.year
        period = _with_year(text, period, year)
        if period.value is not None and period.value > feedback.value:
            period = _with_year(text, period, year - 1)

    period_start = period_end = None
    if period is not None and period.value is not None:
        period_start = period.value
        if period.qualifier == "range" or period.precision != "day":
            period_end = period.end

    kind = next((k for a, b in scopes if (k := _kind_in(f, a, b)) is not None), None)
    title_start, title_end = _title_line(f, lo)
    if (
        kind is None
        and 0 < title_end - title_start <= _TITLE_MAX
        and not _NOT_TITLE.search(f, title_start, title_end)
    ):
        kind = _kind_in(f, title_start, title_end)  # 关于县委第二巡察组专项巡察反馈意见整改…的通报

    diagnostics = [
        Diagnostic(
            "inspection-date-malformed",
            "warning",
            f"巡察或反馈日期“{m.text}”无法识别,请核对原文。",
            m.span,
        )
        for m in used
        if m.malformed
    ]
    inspection = Inspection(
        inspecting_group=_group_name(text, group) if group is not None else None,
        inspected_unit=unit,
        period_start=period_start,
        period_end=period_end,
        feedback_date=feedback_date,
    )
    return _Opening(inspection, kind, diagnostics)


def find_inspection(text: str) -> tuple[Inspection, list[Diagnostic]]:
    """The inspecting group, inspected unit, period and feedback date of an opening paragraph.

    Looks at the first paragraph within the first 2,000 characters that says
    ``对<unit>开展了巡察``, ``进驻<unit>开展巡察``, ``向<unit>反馈``, ``反馈了对<unit>的
    巡察意见`` or ``巡察<unit>情况反馈会`` (and the next paragraph when the feedback is
    given there), in any order. The period is the date before the inspection
    clause (a range's end takes the year and month of its start when it omits
    them), the feedback date the date before 反馈, with the year carried from the
    period; a period written without a year takes the feedback's. A malformed
    date there gives an ``inspection-date-malformed`` warning; a fact simply not
    stated is None without a diagnostic.
    """
    o = _read_opening(text)
    return o.inspection, o.diagnostics


def find_inspection_kind(text: str) -> InspectionKind | None:
    """The kind of inspection (常规 / 专项 / 提级 / 交叉 / 机动 / 回头看) the opening states.

    Read from the sentences of the opening that state the inspection and the
    feedback (开展了专项巡察, 开展了巡察“回头看”, 县委第一专项巡察组, 机动式巡视), else
    from the title line above the opening; a look-back (回头看) wins over the
    kind written beside it. None when the text states no inspection, or none of
    these kinds (政治巡察, 巡察).
    """
    return _read_opening(text).kind
