"""HTML saved from a government site: the article, without the page chrome.

Chrome inside the article container (breadcrumbs, 发布时间, 字号, 打印本页 …) is found
by :mod:`.chrome`, the same rules that blank it in text saved from a page.
"""

import re

from lxml import etree

from . import chrome
from ._base import _BOMS, MAX_TABLE_CELLS, LimitExceeded, _fail, too_many_cells

# --------------------------------------------------------------------------- html

_DROP_TAGS = (
    "script",
    "style",
    "noscript",
    "template",
    "iframe",
    "select",
    "button",
    "object",
    "embed",
    "svg",
    "input",
    "textarea",
)
_CHROME_TAGS = {"nav", "header", "footer", "aside", "form"}
_CHROME_TOKEN = re.compile(
    r"[a-z]{0,6}(?:nav|menu|header|footer|breadcrumbs?|share|crumbs?|sidebar|toolbar|foot|top)"
    r"(?:bar|box|wrap|list|con|\d+)?|position|location|dqwz"
)
_CONTENT_EXACT = re.compile(
    r"trs_u?editor|custom_unionstyle|zoom|con_?text|ucap-content|zw|nr|zwnr|artibody"
    r"|(?:article|news|detail|pages?|info)[-_]?(?:content|con|text|body|zw)"
)
_CONTENT_PART = {"article", "content", "detail", "view", "text", "zw", "nr"}
_DESCEND = {
    "body",
    "div",
    "section",
    "article",
    "main",
    "table",
    "tbody",
    "thead",
    "tr",
    "td",
    "th",
    "center",
    "form",
    "font",
}
_BLOCK = {
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "dl",
    "dt",
    "dd",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "tr",
    "td",
    "th",
    "section",
    "article",
    "table",
    "thead",
    "tbody",
    "tfoot",
    "caption",
    "blockquote",
    "pre",
    "address",
    "center",
    "hr",
    "figure",
    "figcaption",
    "main",
    "header",
    "footer",
    "nav",
    "aside",
    "form",
    "fieldset",
    "details",
    "summary",
}
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_TITLE_WORDS = re.compile(r"关于|通报|方案|情况|意见|公告|通知|报告|整改|公示")
_HTML_WS = re.compile(r"[ \t\n\r\f]+")
_CHARSET = re.compile(rb"""<meta[^>]*charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_GBK_NAMES = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "csgb2312", "euc-cn"}


def _cjk(el: etree._Element) -> int:
    return len(_CJK.findall(el.text_content()))


def _prose_cjk(el: etree._Element) -> int:
    """CJK characters outside links: menus and link lists are not prose."""
    return _cjk(el) - sum(_cjk(a) for a in el.iter("a") if a is not el)


def _tokens(el: etree._Element) -> list[str]:
    return f"{el.get('class', '')} {el.get('id', '')}".lower().split()


def _content_priority(el: etree._Element) -> int | None:
    tokens = _tokens(el)
    if any(_CONTENT_EXACT.fullmatch(t) for t in tokens):
        return 0
    parts = {p for t in tokens for p in re.split(r"[-_]", t)}
    if parts & _CONTENT_PART:
        return 1
    return 2 if "main" in parts else None


def _decode_html(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, "replace")
    declared = _CHARSET.search(data[:8192])
    encodings = ["utf-8", "gb18030"]
    if declared:
        encoding = declared.group(1).decode("ascii").lower()
        # Templates often keep a stale gb2312 declaration after a move to UTF-8;
        # Chinese text that is valid UTF-8 is UTF-8, so UTF-8 is still tried first.
        if encoding not in _GBK_NAMES:
            encodings.insert(0, encoding)
    known = []
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            known.append(encoding)
        except LookupError:
            continue
    # Saved pages often carry a few broken bytes; a handful of U+FFFD is better
    # than refusing the page, a flood of them means the encoding is unknown.
    text = min((data.decode(e, "replace") for e in known), key=lambda t: t.count("\ufffd"))
    if text.count("\ufffd") > 0.01 * len(text):
        raise _fail(name, "无法识别网页编码（不是 UTF-8 或 GBK/GB18030）")
    return text


def _read_html(data: bytes, name: str) -> str:
    import lxml.html

    source = _decode_html(data, name)
    # lxml refuses str input that still carries an XML encoding declaration.
    source = re.sub(r"^\s*<\?xml[^>]*\?>", "", source)
    try:
        root = lxml.html.document_fromstring(source)
    except (etree.ParserError, etree.XMLSyntaxError, ValueError):
        raise _fail(name, "网页中没有找到正文") from None
    for el in list(root.iter(*_DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()
    body = root.find("body")
    body = root if body is None else body
    total = _cjk(body)
    # A CMS body class (TRS_Editor …) is trusted even for a short article; a
    # generic name (content, main …) must also hold a fair share of the text.
    candidates = [
        (prio, el)
        for el in body.iter()
        if isinstance(el.tag, str)
        and (prio := _content_priority(el)) is not None
        and _cjk(el) >= (5 if prio == 0 else max(10, 0.2 * total))
    ]
    _drop_chrome(body, [el for _, el in candidates], total)
    candidates = [(p, el) for p, el in candidates if el.getroottree().getroot() is root]
    container = _pick_container(candidates) if candidates else _densest(body)
    walker = _HtmlText(flat=False)
    walker.walk(container)
    walker.flush()
    # The same chrome rules as for text saved from a page (breadcrumbs, 发布时间 …).
    flags = chrome.chrome_lines(walker.lines)
    lines = [ln for ln, is_chrome in zip(walker.lines, flags, strict=True) if not is_chrome]
    # Blank lines belong around tables; a metadata table dropped above leaves orphans.
    lines = [
        ln
        for i, ln in enumerate(lines)
        if ln or "\t" in (lines[i - 1] if i else "") or "\t" in "".join(lines[i + 1 : i + 2])
    ]
    first = next((ln for ln in lines if ln.strip()), "")
    if title := _html_title(root, container, first):
        lines.insert(0, title)
    return "\n".join(lines)


def _drop_chrome(body: etree._Element, keep: list[etree._Element], total: int) -> None:
    """Drop navigation, headers, footers and the like, never an article container."""
    # A set of the elements themselves (not id()s): holding them keeps lxml's
    # proxies alive, so identity stays meaningful.
    protected = {a for el in keep for a in (el, *el.iterancestors())}
    for el in list(body.iter()):
        if not isinstance(el.tag, str) or el in protected or el is body:
            continue
        chrome = el.tag in _CHROME_TAGS or any(_CHROME_TOKEN.fullmatch(t) for t in _tokens(el))
        attached = body in el.iterancestors()  # not inside something dropped already
        if chrome and attached and _cjk(el) <= 0.4 * total:
            el.drop_tree()


def _pick_container(candidates: list[tuple[int, etree._Element]]) -> etree._Element:
    best_prio = min(p for p, _ in candidates)
    best = max((el for p, el in candidates if p == best_prio), key=_cjk)
    # Narrow down to a named element inside that still holds most of the text.
    while True:
        inner = [el for _, el in candidates if el is not best and best in el.iterancestors()]
        inner = [el for el in inner if _cjk(el) >= 0.7 * _cjk(best)]
        if not inner:
            return best
        best = max(inner, key=_cjk)


def _densest(node: etree._Element) -> etree._Element:
    """Walk down while one child holds at least 80% of the prose."""
    while True:
        own = _prose_cjk(node)
        kids = [c for c in node if isinstance(c.tag, str) and c.tag in _DESCEND]
        if not kids or own == 0:
            return node
        kid = max(kids, key=_prose_cjk)
        if _prose_cjk(kid) < 0.8 * own:
            return node
        node = kid


def _html_title(root: etree._Element, container: etree._Element, first: str) -> str | None:
    """The article title to put first, or None when the content already starts with it."""

    def text_of(el: etree._Element) -> str:
        return _HTML_WS.sub(" ", el.text_content()).strip()

    def same(a: str, b: str) -> bool:
        return re.sub(r"\s", "", a) == re.sub(r"\s", "", b)

    # A heading inside the container is the title only if the content opens with
    # it; a later one is a section heading of the body.
    if any(same(text_of(h), first) for h in container.iter("h1", "h2")):
        return None
    order = {el: i for i, el in enumerate(root.iter())}
    ancestor: etree._Element | None = container
    for _ in range(2):  # "just above": a heading in the parent or grandparent, before it
        ancestor = ancestor.getparent() if ancestor is not None else None
        if ancestor is None:
            break
        above = [h for h in ancestor.iter() if _is_heading(h) and order[h] < order[container]]
        for h in reversed(above):
            if text := text_of(h):
                return None if same(text, first) else text
    title_el = root.find(".//title")
    title = text_of(title_el) if title_el is not None else ""
    for sep in ("_", "|", " - ", "－", "—", "-"):
        head, found, tail = title.rpartition(sep)
        # Only a short site-name suffix goes; "2021-2022年…" keeps its dash.
        if found and head.strip() and len(tail) <= 30 and not tail.strip()[:1].isdigit():
            title = head.strip()
            break
    else:  # no suffix: the <title> may be just the site's name
        if not _TITLE_WORDS.search(title):
            return None
    return None if not title or same(title, first) else title


def _is_heading(el: etree._Element) -> bool:
    """An h1/h2, or an element a CMS names as the title (article-title, bt …).

    A named one must read like a document title: side boxes have titles too.
    """
    if not isinstance(el.tag, str) or el.tag in ("h1", "h2"):
        return el.tag in ("h1", "h2")
    parts = {p for t in _tokens(el) for p in re.split(r"[-_]", t)}
    named = bool(parts & {"title", "bt", "biaoti"})
    return named and _TITLE_WORDS.search(el.text_content()) is not None


def _html_int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def _html_table(table: etree._Element) -> list[str] | None:
    """Rows of a data table; None for a one-column (layout) table."""
    rows: list[list[str]] = []
    pending: dict[int, int] = {}  # column -> rows still covered by a rowspan above
    seen = 0
    for tr in table.iter("tr"):
        if next(tr.iterancestors("table"), None) is not table:
            continue  # a nested table's row: flattened into its cell instead
        cells: list[str] = []
        for td in tr:
            if not isinstance(td.tag, str) or td.tag not in ("td", "th"):
                continue
            _fill_spanned(cells, pending)
            walker = _HtmlText(flat=True)
            walker.walk(td)
            walker.flush()
            span, rowspan = _html_int(td.get("colspan")), _html_int(td.get("rowspan"))
            if rowspan > 1:
                pending.update({len(cells) + k: rowspan - 1 for k in range(span)})
            cells.append(" ".join(walker.lines).replace("\t", " "))
            cells.extend([""] * (span - 1))
            if len(cells) > MAX_TABLE_CELLS:
                raise LimitExceeded(too_many_cells())
        _fill_spanned(cells, pending)
        rows.append(cells)
        seen += len(cells)
        if seen > MAX_TABLE_CELLS:
            raise LimitExceeded(too_many_cells())
    width = max((len(r) for r in rows), default=0)
    if width <= 1:
        return None
    if width * len(rows) > MAX_TABLE_CELLS:
        raise LimitExceeded(too_many_cells())
    return ["\t".join(r + [""] * (width - len(r))) for r in rows]


def _fill_spanned(cells: list[str], pending: dict[int, int]) -> None:
    """Add the empty cells that a rowspan from above covers at this position."""
    while (col := len(cells)) in pending:
        cells.append("")
        pending[col] -= 1
        if not pending[col]:
            del pending[col]


class _HtmlText:
    """Renders an element as lines: blocks break lines, inline text runs on."""

    def __init__(self, *, flat: bool) -> None:
        self.flat = flat  # inside a table cell: nested tables are just text
        self.lines: list[str] = []
        self._buf: list[str] = []

    def flush(self) -> None:
        text = _HTML_WS.sub(" ", "".join(self._buf)).strip(" ")
        self._buf.clear()
        if text.strip():
            self.lines.append(text)

    def walk(self, el: etree._Element) -> None:
        if not isinstance(el.tag, str):
            return  # comments and processing instructions; their tail is the caller's
        tag = el.tag.lower()
        if tag == "br":
            self.flush()
            return
        if tag == "table" and not self.flat and (rows := _html_table(el)) is not None:
            self.flush()
            self.lines.extend(["", *rows, ""])
            return
        block = tag in _BLOCK
        if block:
            self.flush()
        self._buf.append(el.text or "")
        for child in el:
            self.walk(child)
            self._buf.append(child.tail or "")
        if block:
            self.flush()
