"""Build test documents in memory: docx, pdf and html as raw bytes.

Everything here is deterministic and needs no font files or network: PDFs use
reportlab's built-in CID font STSong-Light, docx files are written with
python-docx (tables as raw WordprocessingML so merges are exactly as asked).
"""

from __future__ import annotations

import html as _html
import io
from collections.abc import Sequence

from docx import Document as _new_docx
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfgen import canvas

_FONT = "STSong-Light"
_SIZE = 16.0  # 三号字, the size of body text in official documents
_LEADING = 22.0
_MARGIN = 72.0
_LINES_PER_PAGE = 35

pdfmetrics.registerFont(UnicodeCIDFont(_FONT))


# --------------------------------------------------------------------------- docx


def _cell_span(value: object) -> int:
    return value[1] if isinstance(value, tuple) else 1


def _fill_tc(tc: object, table: Table, value: object) -> None:
    """Write a cell value: text ("\\n" starts a new paragraph) or a nested table."""
    cell = _Cell(tc, table)  # type: ignore[arg-type]
    if isinstance(value, tuple):
        value = value[0]
    if isinstance(value, list):
        _add_table(cell, value)
        # A cell must end with a paragraph.
        cell._tc.append(OxmlElement("w:p"))
        return
    text = "" if value is None else str(value)
    first, *rest = text.split("\n")
    if first:
        cell.paragraphs[0].add_run(first)  # add_run turns "\t" into <w:tab/>
    for line in rest:
        cell.add_paragraph(line)


def _add_table(parent: object, rows: list[list[object]]) -> None:
    """Append a table to a Document or a _Cell, with gridSpan and vMerge as asked."""
    ncols = max((sum(_cell_span(v) for v in row) for row in rows), default=1)
    if isinstance(parent, _Cell):
        table = parent.add_table(rows=0, cols=ncols)
    else:
        table = parent.add_table(rows=0, cols=ncols)  # type: ignore[attr-defined]
    above: dict[int, object] = {}  # grid column -> tc covering it in the previous row
    for row in rows:
        tr = table.add_row()._tr
        for tc in tr.findall(qn("w:tc")):
            tr.remove(tc)
        col = 0
        current: dict[int, object] = {}
        for value in row:
            tc = OxmlElement("w:tc")
            tc_pr = OxmlElement("w:tcPr")
            tc.append(tc_pr)
            tc.append(OxmlElement("w:p"))
            span = _cell_span(value)
            if span > 1:
                grid_span = OxmlElement("w:gridSpan")
                grid_span.set(qn("w:val"), str(span))
                tc_pr.append(grid_span)
            if value is None:
                top = above.get(col)
                if top is not None:
                    top_pr = top.find(qn("w:tcPr"))  # type: ignore[attr-defined]
                    if top_pr.find(qn("w:vMerge")) is None:
                        restart = OxmlElement("w:vMerge")
                        restart.set(qn("w:val"), "restart")
                        top_pr.append(restart)
                tc_pr.append(OxmlElement("w:vMerge"))
            tr.append(tc)
            _fill_tc(tc, table, value)
            for k in range(span):
                current[col + k] = tc
            col += span
        above = current


def make_docx(blocks: list[str | list[list[object]]]) -> bytes:
    """A .docx with one paragraph per str and one table per list of rows.

    A cell is a str (``"\\n"`` splits it into paragraphs, ``"\\t"`` is a tab), None
    (merged vertically with the cell above: ``w:vMerge`` continue), a tuple
    ``("text", n)`` (``w:gridSpan`` n), or a list of rows (a nested table).
    """
    doc = _new_docx()
    for block in blocks:
        if isinstance(block, str):
            doc.add_paragraph(block)
        else:
            _add_table(doc, block)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


# --------------------------------------------------------------------------- pdf


def _wrap(text: str, first_width: float, width: float) -> list[str]:
    """Break text by measured width, as a layout engine would (no hyphenation)."""
    lines: list[str] = []
    line, used, limit = "", 0.0, first_width
    for ch in text:
        w = pdfmetrics.stringWidth(ch, _FONT, _SIZE)
        if line and used + w > limit + 0.01:
            lines.append(line)
            line, used, limit = "", 0.0, width
        line += ch
        used += w
    lines.append(line)
    return lines


def _new_canvas(buf: io.BytesIO, width_chars: int, encrypt: str | None) -> canvas.Canvas:
    page_w = 2 * _MARGIN + width_chars * _SIZE
    page_h = 2 * _MARGIN + _LINES_PER_PAGE * _LEADING
    kwargs: dict[str, object] = {"pagesize": (page_w, page_h), "invariant": 1}
    if encrypt is not None:
        kwargs["encrypt"] = encrypt
    return canvas.Canvas(buf, **kwargs)  # type: ignore[arg-type]


def _draw_lines(c: canvas.Canvas, lines: Sequence[tuple[str, float]], width_chars: int) -> None:
    """Draw (text, x offset from the left margin) lines, paging every 35 lines."""
    page_w = 2 * _MARGIN + width_chars * _SIZE
    page_h = 2 * _MARGIN + _LINES_PER_PAGE * _LEADING
    page, row = 1, 0
    for text, dx in lines:
        if row == _LINES_PER_PAGE:
            _page_number(c, page, page_w)
            c.showPage()
            page, row = page + 1, 0
        if row == 0:
            c.setFont(_FONT, _SIZE)
        c.drawString(_MARGIN + dx, page_h - _MARGIN - (row + 1) * _LEADING, text)
        row += 1
    _page_number(c, page, page_w)
    c.showPage()


def _page_number(c: canvas.Canvas, page: int, page_w: float) -> None:
    c.setFont(_FONT, 14)
    c.drawCentredString(page_w / 2, _MARGIN / 2, f"— {page} —")


def make_pdf(paragraphs: list[str], *, encrypt: str | None = None, width_chars: int = 30) -> bytes:
    """A CJK PDF whose paragraphs really wrap at ``width_chars`` full-width characters.

    The first line of each paragraph is indented two characters, as in official
    documents; every page carries a centred page number ``— N —``. ``encrypt``
    sets a user password.
    """
    width = width_chars * _SIZE
    lines: list[tuple[str, float]] = []
    for para in paragraphs:
        for i, line in enumerate(_wrap(para, width - 2 * _SIZE, width)):
            lines.append((line, 2 * _SIZE if i == 0 else 0.0))
    buf = io.BytesIO()
    c = _new_canvas(buf, width_chars, encrypt)
    _draw_lines(c, lines, width_chars)
    c.save()
    return buf.getvalue()


def make_pdf_lines(lines: list[tuple[str, float]], *, width_chars: int = 30) -> bytes:
    """A PDF with exactly these lines, each ``(text, x offset in characters)``.

    Not part of the shared builder API; lets a test lay out unindented or
    right-aligned lines that make_pdf never produces.
    """
    buf = io.BytesIO()
    c = _new_canvas(buf, width_chars, None)
    _draw_lines(c, [(t, dx * _SIZE) for t, dx in lines], width_chars)
    c.save()
    return buf.getvalue()


def make_image_only_pdf() -> bytes:
    """A one-page PDF of drawn shapes only, like a scan: no text layer at all."""
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=(595, 842), invariant=1)
    c.setFillGray(0.85)
    c.rect(60, 80, 475, 680, fill=1, stroke=0)
    c.setFillGray(0.2)
    for i in range(30):
        c.rect(90, 720 - i * 20, 300 + (i * 37) % 120, 8, fill=1, stroke=0)
    c.circle(450, 150, 60, stroke=1, fill=0)
    c.line(60, 60, 535, 60)
    c.showPage()
    c.save()
    return buf.getvalue()


# --------------------------------------------------------------------------- html


def _table_html(rows: list[list[str]]) -> str:
    body = "".join(
        "<tr>" + "".join(f"<td><p>{_html.escape(cell)}</p></td>" for cell in row) + "</tr>" for row in rows
    )
    return f'<table border="1" cellspacing="0"><tbody>{body}</tbody></table>'


def make_html(
    title: str,
    paragraphs: list[str],
    *,
    chrome: bool = True,
    encoding: str = "utf-8",
    table: list[list[str]] | None = None,
) -> bytes:
    """A saved government-site article page, encoded in ``encoding``.

    With ``chrome`` it has what real pages have around the article: a nav menu,
    a breadcrumb, a metadata block (信息索引号, 发布机构, 发布日期, 浏览量), a
    share/print bar, a sidebar, a footer with 版权所有 and an ICP number, and
    scripts; the article itself is ``<div class="TRS_Editor">``. Without it the
    page is a bare ``<h1>`` and paragraphs. A non-UTF-8 encoding is declared
    the old way (``http-equiv``), UTF-8 with ``<meta charset>``.
    """
    esc = _html.escape
    if encoding.lower().replace("-", "") == "utf8":
        meta = '<meta charset="utf-8">'
    else:
        meta = f'<meta http-equiv="Content-Type" content="text/html; charset={encoding}">'
    paras = "\n".join(f"<p>{esc(p)}</p>" for p in paragraphs)
    if table is not None:
        paras += "\n" + _table_html(table)
    if not chrome:
        page = (
            f"<!DOCTYPE html>\n<html><head>{meta}<title>{esc(title)}</title></head>\n"
            f"<body><h1>{esc(title)}</h1>\n{paras}\n</body></html>\n"
        )
        return page.encode(encoding)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
{meta}
<title>{esc(title)}_某某县人民政府</title>
<style>body {{ font-family: "SimSun"; }} .nav li {{ float: left; }}</style>
<script type="text/javascript">var siteId = "341127";
function printPage() {{ window.print(); }}</script>
</head>
<body>
<div id="header" class="header">
  <div class="logo">某某县人民政府</div>
  <div class="search"><input type="text" value="请输入关键字"><button>搜索</button></div>
  <ul class="nav">
    <li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
    <li><a href="/zmhd/">政民互动</a></li><li><a href="/bsfw/">办事服务</a></li>
    <li><a href="/zjxx/">走进某某</a></li>
  </ul>
</div>
<div class="main-wrap">
  <div class="crumb">当前位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt;
    <a href="/zwgk/tzgg/">通知公告</a></div>
  <div class="left-column">
    <div class="article">
      <h1 class="article-title">{esc(title)}</h1>
      <table class="xxgk-table">
        <tr><td>信息索引号：</td><td>11341127/2022-00317</td>
            <td>发布机构：</td><td>中共某某县委巡察工作领导小组办公室</td></tr>
        <tr><td>发布日期：</td><td>2022-05-20</td><td>浏览量：</td><td>1024</td></tr>
      </table>
      <div class="info">发布时间：2022-05-20 10:21 来源：县委巡察办 【字号：大 中 小】</div>
      <div class="TRS_Editor">
{paras}
      </div>
      <div class="share-bar">分享到：<a href="#">微信</a> <a href="#">微博</a>
        <a href="javascript:printPage()">打印本页</a>
        <a href="javascript:window.close()">关闭窗口</a></div>
      <div class="prev-next"><p>上一篇：关于开展2022年度政务公开工作的通知</p>
        <p>下一篇：某某县2022年第一季度经济运行情况</p></div>
    </div>
  </div>
  <div class="sidebar"><h3>相关链接</h3><ul>
    <li><a href="#">中央纪委国家监委网站</a></li><li><a href="#">省纪委监委网站</a></li>
    <li><a href="#">市纪委监委网站</a></li></ul></div>
</div>
<div id="footer" class="footer">
  <p>版权所有：某某县人民政府 主办：某某县人民政府办公室</p>
  <p>网站标识码：3411270001 皖ICP备05001234号 皖公网安备34112702000123号</p>
</div>
<script>var _hmt = _hmt || [];
(function() {{ var hm = document.createElement("script"); }})();</script>
</body>
</html>
"""
    return page.encode(encoding)
