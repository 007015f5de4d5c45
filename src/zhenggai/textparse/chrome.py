"""Web-page chrome in text saved, copied or printed from a government site.

A notice taken from a site as .txt, pasted into .docx or printed to PDF keeps
what the page had around the article: the breadcrumb (首页 > 新闻中心 > …, 当前位置：
首页 > …), the metadata (信息索引号, 发布机构, 来源, 发布时间, 浏览次数 …), the tools
(字号：大 中 小, 打印本页, 关闭窗口, 分享到：微信 微博, 扫一扫在手机打开当前页), the
neighbours (上一篇 / 下一篇), the footer (版权所有, ICP备 …) and the browser's
print header (a date and time, a URL). None of it is the document's: not its
title, not its findings, not its facts.

:func:`mask` blanks chrome with spaces and keeps every other character, so the
masked text has the same length and every span found in it is a span of the
original. Whole lines are chrome, or a few unmistakable fragments
(``【打印】``, a metadata run after the title on its line); a body sentence that
mentions 来源 or 发布 is never touched. The HTML reader drops the same lines with
:func:`chrome_lines`, so a page and its saved text agree.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Sequence

from .numerals import fold_width

__all__ = ["chrome_lines", "is_chrome_line", "mask"]

# Everything matches on width-folded lines (：→:, ＞→>, full-width space → space).
_WS = " \t\u3000\xa0\ufeff\r"

# --- metadata labels ------------------------------------------------------------------

# Labels that, opening a line and followed by a colon, make it page metadata.
_META_LABELS = (
    "信息索引号",
    "索引号",
    "发布机构",
    "发文机关",
    "发布单位",
    "发布日期",
    "发布时间",
    "发稿时间",
    "更新时间",
    "更新日期",
    "成文日期",
    "生成日期",
    "公开日期",
    "发文日期",
    "文章来源",
    "信息来源",
    "稿件来源",
    "新闻来源",
    "来源",
    "作者",
    "责任编辑",
    "编辑",
    "审核",
    "审稿",
    "校对",
    "浏览次数",
    "浏览量",
    "浏览",
    "阅读次数",
    "阅读量",
    "阅读数",
    "阅读",
    "点击数",
    "点击量",
    "点击次数",
    "点击率",
    "点击",
    "访问量",
    "访问次数",
    "主题分类",
    "主题词",
    "体裁分类",
    "组配分类",
    "服务对象",
    "公开方式",
    "公开范围",
    "公开时限",
    "有效性",
    "信息类别",
    "文号",
    "字号",
    "字体",
    "当前位置",
    "您当前的位置",
    "您现在的位置",
    "您的位置",
    "您所在的位置",
    "您所在位置",
    "现在位置",
    "所在位置",
    "上一篇",
    "下一篇",
    "上一条",
    "下一条",
    "分享到",
    "分享",
    "相关链接",
    "相关文章",
    "相关阅读",
)
_LABEL_ALT = "|".join(sorted(_META_LABELS, key=len, reverse=True))
_META_LINE = re.compile(rf"[\[【(]?\s*(?:{_LABEL_ALT})\s*[:\]】)]")
# In a metadata table row the label may end its cell without a colon.
_META_CELL = re.compile(rf"(?:{_LABEL_ALT})\s*:?\s*\t")
# 时间：/日期： alone may open a body line; with a metadata label after it, it is chrome.
_WEAK_LABEL = re.compile(r"[\[【(]?\s*(?:时间|日期|发布)\s*[:\]】]")
_ANY_META = re.compile(rf"(?:{_LABEL_ALT})\s*[:\]】]")
_META_MAX = 120
_TABLE_META_MAX = 200
# A date and time opening a line (the publication stamp, the browser's print header).
_STAMP = re.compile(
    r"\[?\s*(?:[0-9]{2,4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}|[0-9]{4}年[0-9]{1,2}月[0-9]{1,2}日)\s*\]?"
    r"\s*(?:(?:上午|下午)?\s*[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?"
)
_STAMP_TIME = re.compile(r"[0-9]{2,4}[-/.][0-9]{1,2}[-/.][0-9]{1,2}\s*(?:上午|下午)?\s*[0-9]{1,2}:[0-9]{2}")

# --- breadcrumbs and navigation ---------------------------------------------------------

_HOME = r"(?:网站首页|门户首页|首页|主页)"
_CRUMB_SEP = r"(?:>>|->|>|›|»|→|/|》|\|)"
_HOME_CRUMB = re.compile(rf"{_HOME}\s*{_CRUMB_SEP}")
_CRUMB_SPLIT = re.compile(r"\s*(?:>>|->|>|›|»|→)\s*")
_SENTENCE_PUNCT = re.compile(r"[。,，;；!?]")
_NUMBERED = re.compile(r"[0-9一二三四五六七八九十]{1,3}\s*[、.)]|\(|[①-⑳]")
_NAV_SPLIT = re.compile(r"[\s|｜·•]+")

# --- tools, share lines, footers ---------------------------------------------------------

_TOOL_WORDS = (
    "打印本页",
    "打印此页",
    "打印文章",
    "打印页面",
    "打印",
    "关闭窗口",
    "关闭本页",
    "关闭页面",
    "关闭",
    "收藏本页",
    "加入收藏",
    "收藏",
    "返回顶部",
    "返回列表",
    "返回首页",
    "返回",
    "保存本页",
    "我要纠错",
    "纠错",
    "字号",
    "字体",
    "默认",
    "分享到",
    "分享",
    "微信好友",
    "微信",
    "新浪微博",
    "腾讯微博",
    "微博",
    "QQ空间",
    "QQ好友",
    "QQ",
    "朋友圈",
    "豆瓣",
    "人人网",
    "复制链接",
    "网站地图",
    "联系我们",
    "关于我们",
    "网站声明",
    "隐私声明",
    "无障碍",
    "长者模式",
    "English",
    "大",
    "中",
    "小",
)
_TOOL_ALT = "|".join(sorted(_TOOL_WORDS, key=len, reverse=True))
_TOOL_TOKEN = re.compile(rf"(?:{_TOOL_ALT})")
_TOOL_FILLER = re.compile(r"[\s:\[\]【】()（）<>|｜/·•、,，]+")
_SCAN = re.compile(r"扫一扫|扫描二维码|扫码")
_SCAN_MAX = 40
_FOOTER = re.compile(
    r"版权所有|copyright|©|ICP备|ICP证|公网安备|网安备|网站标识码|网站识别码|技术支持\s*:|主办单位\s*:"
    r"|承办单位\s*:|主办\s*:|承办\s*:|维护单位\s*:|建议使用.{0,20}浏览器|最佳分辨率",
    re.IGNORECASE,
)
_FOOTER_MAX = 200
# The site's address block sits beside its footer: 地址：… 邮编：… 电话：…
_CONTACT_LINE = re.compile(
    r"(?:地址|通讯地址|邮编|邮政编码|电话|联系电话|传真|E-?mail|邮箱)\s*:", re.IGNORECASE
)
_CONTACT_MAX = 120
_PUBLIC_CHANNEL = re.compile("监督|举报|来信|信箱|反映|意见|建议|欢迎")
_SENTENCE_END = re.compile("[。;]")
_MENU_WORD_MAX = 8
_TITLE_WORDS = re.compile("关于|通报|方案|情况|意见|公告|通知|报告|整改|公示|党组|党委|委员会")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_PAGE_OF = re.compile(r"[0-9]{1,3}\s*/\s*[0-9]{1,3}|第\s*[0-9]{1,3}\s*页\s*,?\s*共\s*[0-9]{1,3}\s*页")

# Section names of a site that stand alone above an article (only in a head with chrome).
_COLUMNS = frozenset(
    {
        "通知公告",
        "公示公告",
        "工作动态",
        "新闻中心",
        "新闻动态",
        "要闻动态",
        "政务公开",
        "信息公开",
        "政府信息公开",
        "巡察工作",
        "巡视巡察",
        "巡察公告",
        "巡察整改",
        "整改公示",
        "整改公开",
        "纪检动态",
        "基层动态",
        "正文",
        "文章正文",
        "首页",
        "网站首页",
        "党风廉政",
        "审查调查",
        "图片新闻",
        "热点关注",
    }
)
_SITE_NAME = re.compile(r"^[\u4e00-\u9fff]{2,20}(?:门户网站|政务网|信息网|网站|网)$")
_HEAD_TITLE_MIN = 13  # a non-chrome line this long ends the head: it is the title or text

# Cheap test a line must pass before the rules are tried.
_CUE = re.compile(
    rf"{_HOME}|位置|>|›|»|→|】|\]|\t|打印|关闭|收藏|返回|分享|字号|字体|大\s*中\s*小|扫|版权|copyright|©|ICP"
    r"|备|标识码|http|www|纠错|网|主办|承办|技术支持",
    re.IGNORECASE,
)
_META_START = re.compile(rf"[\[【(]?\s*(?:{_LABEL_ALT}|时间|日期)")
_LINE_MAX = 200  # no rule takes a longer line

# Fragments inside a line that is otherwise content.
_BRACKET_TOOL = re.compile(
    r"[【\[]\s*(?:(?:打印本页|打印此页|打印|关闭窗口|关闭|收藏本页|加入收藏|收藏|返回顶部|我要纠错|纠错)"
    r"|(?:字号|字体)\s*:?\s*(?:大\s*中\s*小|[【\[]?大[】\]]?\s*[【\[]?中[】\]]?\s*[【\[]?小)"
    r"|大\s*中\s*小)\s*[】\]]"
    r"|[【\[]大[】\]]\s*[【\[]中[】\]]\s*[【\[]小[】\]]"
)
_TAIL_LABELS = (
    "发布时间",
    "发布日期",
    "文章来源",
    "信息来源",
    "来源",
    "浏览次数",
    "阅读次数",
    "点击数",
    "浏览量",
    "阅读量",
    "字号",
    "作者",
    "责任编辑",
)
_META_TAIL = re.compile(
    rf"[ \u3000]+(?:{'|'.join(sorted(_TAIL_LABELS, key=len, reverse=True))})\s*:[^\n。,，;；]{{0,100}}$"
)


def _is_breadcrumb(s: str) -> bool:
    if _HOME_CRUMB.match(s):
        return True
    if "<" in s or _NUMBERED.match(s):
        return False  # markup written in the text, or a numbered heading: content
    parts = _CRUMB_SPLIT.split(s)
    return len(parts) >= 3 and all(0 < len(p) <= 16 for p in parts) and not _SENTENCE_PUNCT.search(s)


def _is_nav_row(s: str) -> bool:
    """首页 政务公开 政民互动 …: short words in a row, one of them the home page."""
    words = [w for w in _NAV_SPLIT.split(s) if w]
    return (
        len(words) >= 3
        and any(w in ("首页", "网站首页") for w in words)
        and all(len(w) <= 8 for w in words)
        and not _SENTENCE_PUNCT.search(s)
    )


def _is_tools(s: str) -> bool:
    """A line made only of page tools: 【打印】【关闭】, 字号：大 中 小, 分享到：微信 微博."""
    tokens = _TOOL_TOKEN.findall(s)
    if not tokens:
        return False
    rest = _TOOL_FILLER.sub("", _TOOL_TOKEN.sub("", s))
    if rest:
        return False
    return any(len(t) > 1 for t in tokens) or "".join(tokens) == "大中小"


def _is_meta(s: str) -> bool:
    tab = "\t" in s
    if len(s) > (_TABLE_META_MAX if tab else _META_MAX):
        return False
    if _META_LINE.match(s) or (tab and _META_CELL.match(s)):
        # 分享 / 阅读 / 浏览 / 点击 / 编辑 may open a sentence; as labels their value is short.
        return not _SENTENCE_PUNCT.search(s) or bool(_ANY_META.search(s, 1)) or tab
    if _WEAK_LABEL.match(s) and _ANY_META.search(s, 3):
        return True
    stamp = _STAMP.match(s)
    if stamp and stamp.end() > 0:
        rest = s[stamp.end() :].lstrip(_WS)
        if _ANY_META.match(rest):
            return True
    return False


def _is_print_margin(s: str) -> bool:
    """The browser's print header and footer: a date and time, or a URL, opening the line."""
    if len(s) > _FOOTER_MAX:
        return False
    if _URL.match(s):
        return True
    if _STAMP_TIME.match(s):
        return True
    return _PAGE_OF.fullmatch(s) is not None


def _classify(s: str) -> str | None:
    """``"chrome"``, ``"footer"`` or None for one stripped, folded line."""
    if len(s) > _LINE_MAX or not (_CUE.search(s) or _META_START.match(s) or s[0].isdigit()):
        return None
    if _FOOTER.search(s) and len(s) <= _FOOTER_MAX:
        return "footer"
    if _is_meta(s) or _is_tools(s) or _is_print_margin(s) or _is_nav_row(s):
        return "chrome"
    if len(s) <= 120 and _is_breadcrumb(s):
        return "chrome"
    if _SCAN.search(s) and len(s) <= _SCAN_MAX:
        return "chrome"
    return None


def is_chrome_line(line: str) -> bool:
    """Whether one line, on its own, is web-page chrome.

    Breadcrumbs (``首页 > 新闻中心 > 通知公告``, ``当前位置：首页 > …``), metadata
    opening the line (``信息索引号：``, ``发布机构：``, ``来源：``, ``发布时间：``,
    ``浏览次数：``, ``上一篇：`` …, also as a table row), tools (``【打印】【关闭】``,
    ``字号：大 中 小``, ``分享到：微信 微博 QQ空间``, ``扫一扫在手机打开当前页``),
    navigation rows with 首页, footers (``版权所有``, ``ICP备``, ``网站标识码``) and
    the browser's print margins (a date and time or a URL opening the line). A
    sentence that mentions 来源 or 发布 is not chrome.
    """
    s = fold_width(line).strip(_WS)
    return bool(s) and _classify(s) is not None


def chrome_lines(lines: Sequence[str]) -> list[bool]:
    """Which of ``lines`` are chrome, reading each in its context.

    Besides :func:`is_chrome_line`: the site's address block beside its footer
    (``地址：… 电话：…``), and, in a head that has chrome, a site's section name
    (``通知公告``) or site name (``某某县人民政府网``) standing alone above the title.
    """
    return _flags([fold_width(ln).strip(_WS) for ln in lines])


def _flags(stripped: list[str]) -> list[bool]:
    """:func:`chrome_lines` of folded, stripped lines."""
    kinds = [_classify(s) if s else None for s in stripped]
    flags = [k is not None for k in kinds]
    # The site's address block: contact lines in one run with its footer lines (blank
    # lines between), not the notice's own channels (监督电话, 来信地址 …).
    run: list[int] = []
    run_has_footer = False
    for i in range(len(stripped) + 1):
        s = stripped[i] if i < len(stripped) else None
        if s is not None and (not s or kinds[i] == "footer" or _is_site_contact(s)):
            run.append(i)
            run_has_footer = run_has_footer or kinds[i] == "footer"
            continue
        if run_has_footer:
            for j in run:
                flags[j] = flags[j] or bool(stripped[j])
        run, run_has_footer = [], False
    # The head: what stands above the title, when the head has chrome.
    head: list[int] = []
    head_has_chrome = False
    for i, s in enumerate(stripped):
        if not s:
            continue
        if flags[i]:
            head_has_chrome = True
            continue
        if len(s) >= _HEAD_TITLE_MIN:
            break
        head.append(i)
    if head and (head_has_chrome or any(flags[: head[-1] + 3])):
        menu = _menu_lines(stripped, head)
        for i in head:
            if stripped[i] in _COLUMNS or _SITE_NAME.match(stripped[i]) or i in menu:
                flags[i] = True
    return flags


def _is_site_contact(s: str) -> bool:
    """地址：… 邮编：… 电话：… without the words of a channel for public feedback."""
    return (
        len(s) <= _CONTACT_MAX
        and _CONTACT_LINE.search(s) is not None
        and _PUBLIC_CHANNEL.search(s) is None
        and _SENTENCE_END.search(s) is None
    )


def _menu_lines(stripped: list[str], head: list[int]) -> set[int]:
    """Head lines in runs of three or more short words, one a line (a saved menu)."""
    menu: set[int] = set()
    run: list[int] = []
    for i in [*head, -1]:
        s = stripped[i] if i >= 0 else ""
        adjacent = not run or all(not stripped[k] for k in range(run[-1] + 1, i))
        if i >= 0 and adjacent and len(s) <= _MENU_WORD_MAX and not _SENTENCE_PUNCT.search(s):
            run.append(i)
            continue
        if len(run) >= 3:
            menu.update(k for k in run if not _TITLE_WORDS.search(stripped[k]))
        short = i >= 0 and len(s) <= _MENU_WORD_MAX and not _SENTENCE_PUNCT.search(s)
        run = [i] if short else []
    return menu


def _blank(out: list[str], text: str, a: int, b: int) -> None:
    """Put spaces over ``text[a:b]`` in ``out`` (a list of characters)."""
    for k in range(a, b):
        if text[k] not in "\n\r":
            out[k] = " "


#: The last texts masked and their masks (each mask is its own fixed point): the parser,
#: the fact finders and the opening reader all mask the same text, so only the first pays.
_MASKED: dict[str, str] = {}
_MASKED_KEEP = 6  # a parse masks two texts (the document, its opening window): two pairs
_MASKED_LOCK = threading.Lock()


def mask(text: str) -> str:
    """``text`` with its web-page chrome replaced by spaces, the same length.

    Whole chrome lines (see :func:`chrome_lines`) become blank lines; inside an
    otherwise real line, the tool brackets (``【打印】``, ``【字号：大 中 小】``,
    ``【大】【中】【小】``) and a metadata run ending the line after a space
    (``… 发布时间：2024-06-03 来源：县委巡察办``) are blanked. Newlines and every
    other character stay where they are, so offsets into the masked text are
    offsets into ``text``. Returns ``text`` itself when it has no chrome.
    """
    if not text:
        return text
    done = _MASKED.get(text)
    if done is not None:
        return text if done == text else done
    masked = _mask(text)
    with _MASKED_LOCK:
        while len(_MASKED) > _MASKED_KEEP - 2:  # room for the pair
            _MASKED.pop(next(iter(_MASKED)))
        _MASKED[text] = masked
        _MASKED[masked] = masked
    return masked


def _mask(text: str) -> str:
    folded = fold_width(text)
    starts: list[int] = []
    raw: list[str] = []
    pos = 0
    n = len(folded)
    while pos <= n:
        nl = folded.find("\n", pos)
        if nl < 0:
            nl = n
        starts.append(pos)
        raw.append(folded[pos:nl])
        pos = nl + 1
    flags = _flags([ln.strip(_WS) for ln in raw])
    out: list[str] | None = None
    for i, line in enumerate(raw):
        a = starts[i]
        b = a + len(line)
        if flags[i]:
            out = out if out is not None else list(text)
            _blank(out, text, a, b)
            continue
        if "】" in line or "]" in line:
            for m in _BRACKET_TOOL.finditer(line):
                out = out if out is not None else list(text)
                _blank(out, text, a + m.start(), a + m.end())
        if ":" in line:
            tail = _META_TAIL.search(line.rstrip(_WS))
            if tail and line[: tail.start()].strip(_WS):
                out = out if out is not None else list(text)
                _blank(out, text, a + tail.start(), a + tail.end())
    return text if out is None else "".join(out)
