"""The PDF of an official document: HTML + ``gongwen.css`` through WeasyPrint.

The free fonts are loaded with @font-face from the installed files (``fonts.font_face_css``)
and every stack ends in Noto Serif CJK SC, so rare characters of names render. Text that
looks like a heading number (``1.`` ``（2）`` ``二、``) is kept on one line with the
character before it, so that no wrapped line of the PDF starts like a heading: a reader
(textparse among them) would take it for one.
"""

from __future__ import annotations

import functools
import html
import re
from pathlib import Path

from .documents import AttachmentNote, Blank, OfficialDocument, Para, Table
from .docx_render import signature_indents
from .fonts import coverage, css_stack, font_face_css

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


@functools.cache
def _body_coverage() -> frozenset[int] | None:
    return coverage("FandolFang-Regular.otf")


def _escape(text: str) -> str:
    """Escaped text; characters the body face lacks (堃 喆 …) in a span that keeps the grid.

    Pango draws them from the next face of the stack, whose taller ascent would push a line
    that starts with one off the 28.95 pt grid; the span adds nothing to the line's height.
    """
    have = _body_coverage()
    if have is None:
        return html.escape(text)
    return re.sub(
        r"[^\x00-\x7f]+",
        lambda m: "".join(
            f'<span class="fb">{html.escape(ch)}</span>' if ord(ch) not in have else html.escape(ch)
            for ch in m.group(0)
        ),
        text,
    )


def _protected(text: str) -> str:
    """Escaped text with heading-like numbers glued to the character before them."""
    out = []
    pos = 0
    for m in _MARKER_LIKE.finditer(text):
        a, b = m.start(), m.end()
        if a == 0 or a - 1 < pos:
            continue
        out.append(_escape(text[pos : a - 1]))
        out.append(f'<span class="nb">{_escape(text[a - 1 : b])}</span>')
        pos = b
    out.append(_escape(text[pos:]))
    return "".join(out)


def _para(block: Para) -> str:
    cls = [block.role] if block.role != "body" else []
    if block.indent:
        cls.append("i")
    attr = f' class="{" ".join(cls)}"' if cls else ""
    inner = _protected(block.text)
    if block.role != "body":
        inner = f"<span>{inner}</span>"
    return f"<p{attr}>{inner}</p>"


def _table(table: Table) -> str:
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
            rs = f' rowspan="{span}"' if span > 1 else ""
            cells.append(f"<td{rs}>{html.escape(value)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cols = "".join(f'<col style="width:{c.width_mm}mm">' for c in table.columns)
    head = "".join(f"<th>{html.escape(c.name)}</th>" for c in table.columns)
    body = "".join(rows)
    return f"<table><colgroup>{cols}</colgroup><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def document_html(doc: OfficialDocument) -> str:
    parts = [
        '<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">',
        f"<title>{html.escape(doc.title)}</title></head><body>",
        '<p class="title"><span>' + "<br>".join(html.escape(t) for t in doc.title_lines) + "</span></p>",
        '<p class="blank"></p>',
    ]
    for block in doc.body:
        if isinstance(block, Para):
            parts.append(_para(block))
        elif isinstance(block, Blank):
            parts.append('<p class="blank"></p>')
        elif isinstance(block, AttachmentNote):
            for i, name in enumerate(block.names):
                if i == 0:
                    parts.append(
                        f'<p class="att" style="padding-left:{2 * CHAR_PT}pt">附件：{html.escape(name)}</p>'
                    )
                else:
                    parts.append(
                        f'<p class="att" style="padding-left:{5 * CHAR_PT}pt">{html.escape(name)}</p>'
                    )
    if doc.signature is not None:
        unit_right, date_right = signature_indents(doc.signature.unit, doc.signature.date)
        for text, right in ((doc.signature.unit, unit_right), (doc.signature.date, date_right)):
            parts.append(f'<p class="sig" style="padding-right:{right * CHAR_PT:.2f}pt">{_escape(text)}</p>')
    for att in doc.attachments:
        parts.append('<section class="attachment">')
        parts.append(f'<p class="att-number"><span>附件{att.number}</span></p><p class="blank"></p>')
        parts.append(f'<p class="att-title"><span>{html.escape(att.title)}</span></p><p class="blank"></p>')
        parts.append(_table(att.table))
        parts.append("</section>")
    parts.append("</body></html>")
    return "".join(parts)


def render_pdf(doc: OfficialDocument) -> bytes:
    import weasyprint
    from weasyprint.text.fonts import FontConfiguration

    config = FontConfiguration()
    css = weasyprint.CSS(string=font_face_css() + "\n" + stylesheet_text(), font_config=config)
    return weasyprint.HTML(string=document_html(doc)).write_pdf(stylesheets=[css], font_config=config)
