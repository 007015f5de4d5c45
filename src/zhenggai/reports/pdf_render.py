"""The PDF of an official document: HTML + ``gongwen.css`` through WeasyPrint.

The free fonts are loaded with @font-face from the installed files (``fonts.font_face_css``)
and every stack ends in Noto Serif CJK SC, so rare characters of names render. Text that
looks like a heading number (``1.`` ``（2）`` ``二、``) is kept on one line with the
character before it, so that no wrapped line of the PDF starts like a heading: a reader
(textparse among them) would take it for one.

User text is data (issue 8, finding 1). The HTML is built by ``el`` from ``Markup`` (what this
module writes) and text, which is escaped once where it is placed; no text is ever
concatenated into markup. Text is also cleaned for print: control characters go, and a
character that no face of our stacks has is drawn as 〓 (the typesetter's mark for a missing
glyph) rather than by some other installed font. WeasyPrint gets ``LocalFetcher``, which
reads our font files and the images this module made for the document (the QR code, a
``data:`` URI registered by ``render_pdf``) and refuses every other URL (other files, http(s),
any other data:), and the rendered document is stripped of attachments and links before it is
written, so that even markup that got past the escaping could neither embed a server file nor
fetch a URL.
"""

from __future__ import annotations

import base64
import functools
import html
import logging
import re
import unicodedata
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit
from urllib.request import url2pathname

from weasyprint.urls import URLFetcher, URLFetcherResponse

from .docx_render import signature_indents
from .fonts import FACES, broad_coverage, coverage, css_stack, find_file, font_face_css
from .official import AttachmentNote, Blank, OfficialDocument, Para, QrCode, Table, printable
from .qr import qr_png

log = logging.getLogger(__name__)

CSS_FILE = Path(__file__).with_name("gongwen.css")
CHAR_PT = 15.79

#: What a reader takes for a heading number or an ordinal at the start of a line.
_MARKER_LIKE = re.compile(
    r"[一二三四五六七八九十百〇零两]+[、.．]"
    r"|[（(][一二三四五六七八九十百〇零两\d]+[）)]"
    r"|\d+(?:[、）)]|[.．](?!\d))"
    r"|[①-⑳]"
    r"|第[一二三四五六七八九十百〇零两\d]+[条章节部分项]"
    r"|(?:巡察|巡视)?反馈(?:意见)?问题[一二三四五六七八九十\d]"
    r"|问题[一二三四五六七八九十\d]+[:：、.]"
)


@functools.cache
def stylesheet_text() -> str:
    css = CSS_FILE.read_text(encoding="utf-8")
    values = {
        "fang": css_stack("fangsong"),
        "kai": css_stack("kai"),
        "hei": css_stack("hei"),
        "song": css_stack("song"),
        "xbs": css_stack("xbs"),
        # The top of the page number (its glyph box as PDF readers give it) 7 mm under the type
        # area: 7 mm less the 3.06 pt between a 14 pt Noto Serif line box and its glyph box.
        "page_number_gap": "16.78pt",
    }
    for key, value in values.items():
        css = css.replace("{" + key + "}", value)
    return css


# --- the escaping layer ---------------------------------------------------------------------------


class Markup(str):
    """HTML written by this module. Any other ``str`` is text, escaped where ``el`` places it."""

    __slots__ = ()


_TAG = re.compile(r"[a-z][a-z0-9]*")
_VOID = {"br", "col", "meta"}


def el(tag: str, *children: str, **attrs: str | None) -> Markup:
    """``<tag attrs>children</tag>``: attribute values and text children escaped, Markup kept.

    ``class_`` gives the ``class`` attribute; a ``None`` value leaves the attribute out.
    """
    if not _TAG.fullmatch(tag):
        raise ValueError(f"not a tag of ours: {tag!r}")
    out = [f"<{tag}"]
    for name, value in attrs.items():
        if value is None:
            continue
        name = name.rstrip("_").replace("_", "-")
        if not _TAG.fullmatch(name.replace("-", "")):
            raise ValueError(f"not an attribute of ours: {name!r}")
        out.append(f' {name}="{html.escape(printable(value), quote=True)}"')
    out.append(">")
    if tag in _VOID:
        if children:
            raise ValueError(f"<{tag}> has no content")
        return Markup("".join(out))
    out.append(join(children))
    out.append(f"</{tag}>")
    return Markup("".join(out))


def join(parts: Iterable[str]) -> Markup:
    """Markup kept, text escaped, concatenated."""
    return Markup("".join(p if isinstance(p, Markup) else _escape(p) for p in parts))


@functools.cache
def _body_coverage() -> frozenset[int] | None:
    return coverage("FandolFang-Regular.otf")


@functools.cache
def _printable_coverage() -> frozenset[int] | None:
    return broad_coverage()


MISSING_GLYPH = "〓"  # U+3013 GETA MARK: the typesetter's stand-in for a glyph the font lacks
_DROP_CATEGORIES = {"Cc", "Cf", "Mn", "Me", "Zl", "Zp", "Cs"}


def for_print(text: str) -> str:
    """Text our fonts can draw: no control characters; what no face of the stacks has → 〓.

    Every stack ends in the broad-coverage face, so a character it has is drawn by one of
    ours in every role; another would be drawn by any installed font (DejaVu, …).
    """
    text = printable(text)
    have = _printable_coverage()
    if have is None:
        return text
    out = []
    for ch in text:
        if ord(ch) in have or ch in " \t\n\r":
            out.append(ch)
            continue
        cat = unicodedata.category(ch)
        if cat in _DROP_CATEGORIES:
            continue  # invisible: format characters, combining marks nothing can place
        out.append(" " if cat == "Zs" else MISSING_GLYPH)
    return "".join(out)


def _escape(text: str) -> Markup:
    """Escaped text; characters the body face lacks (堃 喆 …) in a span that keeps the grid.

    Pango draws them from the next face of the stack, whose taller ascent would push a line
    that starts with one off the 28.95 pt grid; the span adds nothing to the line's height.
    """
    text = for_print(text)
    have = _body_coverage()
    if have is None:
        return Markup(html.escape(text, quote=True))
    return Markup(
        "".join(
            f'<span class="fb">{html.escape(ch, quote=True)}</span>'
            if ord(ch) > 0x7F and ord(ch) not in have
            else html.escape(ch, quote=True)
            for ch in text
        )
    )


def _protected(text: str) -> Markup:
    """Escaped text with heading-like numbers glued to the character before them."""
    out: list[str] = []
    pos = 0
    for m in _MARKER_LIKE.finditer(text):
        a, b = m.start(), m.end()
        if a == 0 or a - 1 < pos:
            continue
        out.append(text[pos : a - 1])
        out.append(el("span", text[a - 1 : b], class_="nb"))
        pos = b
    out.append(text[pos:])
    return join(out)


# --- the document ----------------------------------------------------------------------------------


def _para(block: Para) -> Markup:
    cls: list[str] = [block.role] if block.role != "body" else []
    if block.indent:
        cls.append("i")
    inner = _protected(block.text)
    if block.role != "body":
        inner = el("span", inner)
    return el("p", inner, class_=" ".join(cls) or None)


def _table(table: Table) -> Markup:
    rows = []
    n = len(table.rows)
    for i, row in enumerate(table.rows):
        cells = []
        for j, value in enumerate(row):
            if value is None:
                continue
            span = 1
            while i + span < n and table.rows[i + span][j] is None:
                span += 1
            cells.append(el("td", value, rowspan=str(span) if span > 1 else None))
        rows.append(el("tr", *cells))
    cols = join(el("col", style=f"width:{float(c.width_mm)}mm") for c in table.columns)
    head = el("tr", *(el("th", c.name) for c in table.columns))
    return el("table", el("colgroup", cols), el("thead", head), el("tbody", *rows))


_BLANK = Markup('<p class="blank"></p>')


def png_data_uri(png: bytes) -> str:
    """The ``data:`` URI of a PNG this module made (``LocalFetcher`` reads only registered ones)."""
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _qr(qr: QrCode) -> Markup:
    """The QR code centred in three grid lines, its caption under it; ``alt`` says the URL."""
    img = el("img", src=png_data_uri(qr_png(qr.url)), alt=f"{qr.caption}：{qr.url}")
    return join([el("p", img, class_="qr"), el("p", qr.caption, class_="qr-caption")])


def images_of(doc: OfficialDocument) -> dict[str, bytes]:
    """The images ``document_html(doc)`` refers to, by their ``data:`` URI."""
    if doc.qr is None:
        return {}
    png = qr_png(doc.qr.url)
    return {png_data_uri(png): png}


def document_html(doc: OfficialDocument) -> Markup:
    title = [x for i, line in enumerate(doc.title_lines) for x in ((el("br"),) if i else ()) + (line,)]
    parts: list[str] = [
        Markup('<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">'),
        el("title", doc.title),
        Markup("</head><body>"),
        el("p", el("span", *title), class_="title"),
        _BLANK,
    ]
    for n, block in enumerate(doc.body):
        if isinstance(block, Para):
            parts.append(_para(block))
        elif isinstance(block, Blank):
            parts.append(_BLANK)
        elif isinstance(block, AttachmentNote):
            for i, name in enumerate(block.names):
                if i == 0:
                    parts.append(el("p", "附件：", name, class_="att", style=f"padding-left:{2 * CHAR_PT}pt"))
                else:
                    parts.append(el("p", name, class_="att", style=f"padding-left:{5 * CHAR_PT}pt"))
        if doc.qr is not None and n == doc.qr_after:
            parts.append(_qr(doc.qr))
    if doc.qr is not None and doc.qr_after is None:
        parts.append(_qr(doc.qr))
    if doc.signature is not None:
        unit_right, date_right = signature_indents(doc.signature.unit, doc.signature.date)
        for text, right in ((doc.signature.unit, unit_right), (doc.signature.date, date_right)):
            parts.append(el("p", text, class_="sig", style=f"padding-right:{float(right) * CHAR_PT:.2f}pt"))
    for att in doc.attachments:
        parts.append(
            el(
                "section",
                el("p", el("span", f"附件{int(att.number)}"), class_="att-number"),
                _BLANK,
                el("p", el("span", att.title), class_="att-title"),
                _BLANK,
                _table(att.table),
                class_="attachment",
            )
        )
    parts.append(Markup("</body></html>"))
    return join(parts)


# --- fetching and writing ----------------------------------------------------------------------------


class RefusedURL(ValueError):
    """A URL the PDF renderer does not read (anything but our font files and our images)."""


@functools.cache
def _font_files() -> frozenset[Path]:
    found = (find_file(face.file) for face in FACES)
    return frozenset(p.resolve() for p in found if p is not None)


def allowed_path(url: str) -> Path | None:
    """The font file a ``file:`` URL names, if it is one of ours (resolved: no ``..``, no link out)."""
    parts = urlsplit(url)
    if (
        parts.scheme.lower() != "file"
        or parts.netloc not in ("", "localhost")
        or parts.query
        or parts.fragment
    ):
        return None
    try:
        path = Path(url2pathname(unquote(parts.path))).resolve(strict=True)
    except (OSError, RuntimeError, ValueError):
        return None
    return path if path in _font_files() else None


class LocalFetcher(URLFetcher):  # type: ignore[misc]
    """Reads our font files and ``images`` (the ``data:`` URIs this module wrote, exactly);
    refuses every other URL (logged, and the resource left out)."""

    def __init__(self, images: Mapping[str, bytes] | None = None) -> None:
        super().__init__(allowed_protocols=("file",), allow_redirects=False, timeout=1)
        self.images = dict(images or {})

    def fetch(self, url: str, headers: Any = None) -> URLFetcherResponse:
        if url in self.images:
            return URLFetcherResponse(url, body=self.images[url], headers={"Content-Type": "image/png"})
        path = allowed_path(url)
        if path is None:
            log.warning("PDF renderer refused to fetch %.200r", url)
            raise RefusedURL(f"not one of our files: {url[:200]}")
        return URLFetcherResponse(
            path.as_uri(), body=path.open("rb"), headers={"Content-Type": "application/font-sfnt"}
        )


def html_to_pdf(markup: Markup, images: Mapping[str, bytes] | None = None) -> bytes:
    """Our HTML to PDF with our stylesheet, our fonts, our ``images`` ({data: URI: bytes}) and
    nothing from anywhere else."""
    if not isinstance(markup, Markup):
        raise TypeError("html_to_pdf takes Markup built by this module, not a str")
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    fetcher = LocalFetcher(images)
    config = FontConfiguration()
    css = weasyprint.CSS(
        string=font_face_css() + "\n" + stylesheet_text(), font_config=config, url_fetcher=fetcher
    )
    document = weasyprint.HTML(string=str(markup), base_url=None, url_fetcher=fetcher).render(
        stylesheets=[css], font_config=config
    )
    # No attachment and no link of any kind, whatever the HTML said.
    document.metadata.attachments = []
    for page in document.pages:
        page.links = []
    return document.write_pdf()


def render_pdf(doc: OfficialDocument) -> bytes:
    return html_to_pdf(document_html(doc), images_of(doc))
