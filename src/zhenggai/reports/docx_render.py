"""The .docx of an official document, per GB/T 9704-2012 (python-docx).

Official font names are written (the reader's Word or WPS has them), always in
``w:rFonts/@w:eastAsia`` as well, with every theme font attribute removed: otherwise Word
shows East-Asian text in the theme's font (MS Mincho from python-docx's template). A4,
margins 37/35/28/26 mm (mirrored for double-sided printing), a document grid of 22 lines
(``linePitch`` 579 twips = 28.95 pt), 28 characters a line from a character spacing of
−0.25 pt (16 pt defaults, so that LibreOffice lays it out as Word does), exact 28.95 pt
line spacing, first lines indented two characters (2 × 15.79 pt), page numbers
``— 1 —`` in 4号宋体 outside (odd pages right, even pages left, one character in).
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT, WD_SECTION
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Mm, Pt
from docx.table import Table as DocxTable
from docx.table import _Cell

from .fonts import ROLES
from .official import AttachmentNote, Blank, OfficialDocument, Para, QrCode, Table, printable
from .qr import qr_png

FANG = ROLES["fangsong"].official
HEI = ROLES["hei"].official
KAI = ROLES["kai"].official
SONG = ROLES["song"].official
XBS = ROLES["xbs"].official

LINE = Pt(28.95)  # w:linePitch 579 twips
CHAR = 15.79  # pt: 156 mm / 28
#: Character spacing of the text, in twentieths of a point: 16 − 0.25 = 15.75 pt a character,
#: 28 in the 442.2 pt line (29 would need 456.75); −4 (15.8 pt) would fit only 27.
CHAR_SPACING = -5
SIZE_TITLE, SIZE_BODY, SIZE_PAGE, SIZE_TABLE = 22, 16, 14, 12
#: The QR code: 25 mm wide, in a paragraph of three grid lines (86.85 pt > 25 mm = 70.9 pt), so
#: that the text after it stays on the grid.
QR_WIDTH = Mm(25)
QR_LINES = 3
ROLE_FONT = {
    "body": (FANG, False),
    "h1": (HEI, False),
    "h2": (KAI, False),
    "h3": (FANG, True),
    "h4": (FANG, False),
}
#: The elements of w:settings that come before w:mirrorMargins (ECMA-376 CT_Settings).
_BEFORE_MIRROR = (
    "w:writeProtection",
    "w:view",
    "w:zoom",
    "w:removePersonalInformation",
    "w:removeDateAndTime",
    "w:doNotDisplayPageBoundaries",
    "w:displayBackgroundShape",
    "w:printPostScriptOverText",
    "w:printFractionalCharacterWidth",
    "w:printFormsData",
    "w:embedTrueTypeFonts",
    "w:embedSystemFonts",
    "w:saveSubsetFonts",
    "w:saveFormsData",
)
_THEME_ATTRS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _fonts(rpr, east_asia: str) -> None:  # type: ignore[no-untyped-def]
    rf = rpr.find(qn("w:rFonts"))
    if rf is None:
        rf = OxmlElement("w:rFonts")
        rpr.insert(0, rf)
    for a in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        rf.set(qn(a), east_asia)
    for a in _THEME_ATTRS:
        rf.attrib.pop(qn(a), None)


def _run(paragraph, text: str, font: str, size: float, *, bold: bool = False):  # type: ignore[no-untyped-def]
    """A run of ``text`` (every text of the document goes through here: lxml escapes it, and
    ``printable`` drops the control characters XML cannot hold)."""
    run = paragraph.add_run(printable(text))
    run.font.size = Pt(size)
    run.font.bold = bold or None
    _fonts(run._element.get_or_add_rPr(), font)
    return run


def _exact(paragraph, *, indent: bool) -> None:  # type: ignore[no-untyped-def]
    pf = paragraph.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE
    pf.space_before = pf.space_after = Pt(0)
    pf.first_line_indent = Pt(2 * CHAR) if indent else Pt(0)


def _no_grid(paragraph) -> None:  # type: ignore[no-untyped-def]
    """Table cells and footers keep their own spacing instead of snapping to the 28.95 pt grid."""
    ppr = paragraph._p.get_or_add_pPr()
    snap = OxmlElement("w:snapToGrid")
    snap.set(qn("w:val"), "0")
    # pPr children are ordered; snapToGrid comes before spacing/ind/jc.
    after = [qn(t) for t in ("w:spacing", "w:ind", "w:jc", "w:rPr")]
    for i, child in enumerate(ppr):
        if child.tag in after:
            ppr.insert(i, snap)
            return
    ppr.append(snap)


def _styles(doc) -> None:  # type: ignore[no-untyped-def]
    """Normal: 3号仿宋_GB2312, zh-CN; no theme fonts anywhere in styles.xml."""
    styles = doc.styles.element
    for rf in styles.iter(qn("w:rFonts")):
        for a in _THEME_ATTRS:
            rf.attrib.pop(qn(a), None)
    defaults = styles.find(qn("w:docDefaults"))
    if defaults is not None:
        rpr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        if rpr is not None:
            _fonts(rpr, FANG)
            # 3号 (16 pt) as the default too, not python-docx's 11 pt: what a reader opens
            # without our styles (LibreOffice's grid, a new paragraph) is the body's size.
            for tag in ("w:sz", "w:szCs"):
                sz = rpr.find(qn(tag))
                if sz is None:
                    sz = OxmlElement(tag)
                    rpr.append(sz)
                sz.set(qn("w:val"), str(SIZE_BODY * 2))
            lang = rpr.find(qn("w:lang"))
            if lang is None:
                lang = OxmlElement("w:lang")
                rpr.append(lang)
            lang.set(qn("w:val"), "zh-CN")
            lang.set(qn("w:eastAsia"), "zh-CN")
        ppr = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}")
        spacing = ppr.find(qn("w:spacing")) if ppr is not None else None
        if spacing is not None:  # the body's spacing: exact 28.95 pt lines, nothing before or after
            for key, value in (
                ("w:before", "0"),
                ("w:after", "0"),
                ("w:line", "579"),
                ("w:lineRule", "exact"),
            ):
                spacing.set(qn(key), value)
    normal = doc.styles["Normal"]
    normal.font.size = Pt(SIZE_BODY)
    rpr = normal.element.get_or_add_rPr()
    _fonts(rpr, FANG)
    spacing = OxmlElement("w:spacing")  # before w:sz in CT_RPr's order
    spacing.set(qn("w:val"), str(CHAR_SPACING))
    rpr.find(qn("w:sz")).addprevious(spacing)
    lang = rpr.find(qn("w:lang"))
    if lang is None:
        lang = OxmlElement("w:lang")
        rpr.append(lang)
    lang.set(qn("w:val"), "zh-CN")
    lang.set(qn("w:eastAsia"), "zh-CN")
    pf = normal.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    pf.line_spacing = LINE
    pf.space_before = pf.space_after = Pt(0)
    pf.widow_control = False  # a widow line would leave a page short of its 22 lines


def _page_setup(section, *, landscape: bool = False) -> None:  # type: ignore[no-untyped-def]
    if landscape:
        section.orientation = WD_ORIENT.LANDSCAPE
        section.page_width, section.page_height = Mm(297), Mm(210)
        # The 28 mm binding edge is the top of a landscape page turned to read.
        section.top_margin, section.bottom_margin = Mm(28), Mm(26)
        section.left_margin, section.right_margin = Mm(37), Mm(35)
    else:
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.top_margin, section.bottom_margin = Mm(37), Mm(35)
        section.left_margin, section.right_margin = Mm(28), Mm(26)
    section.header_distance = Mm(15)
    # The page number's line top 7 mm under the type area (footer distance is to its bottom).
    section.footer_distance = section.bottom_margin - Mm(7) - Pt(SIZE_PAGE)
    sect = section._sectPr
    grid = sect.find(qn("w:docGrid"))
    if grid is None:
        grid = OxmlElement("w:docGrid")
        sect.append(grid)
    # A grid of lines only. A character grid (linesAndChars, charSpace −848 for 15.79 pt cells)
    # is laid out by Word, but LibreOffice puts a 16 pt character into two cells narrower than
    # it (14 characters a line; issue 8, finding 14). The 28 characters come from the body's
    # character spacing instead (CHAR_SPACING), the same in Word, WPS and LibreOffice.
    grid.set(qn("w:type"), "lines")
    grid.set(qn("w:linePitch"), "579")
    grid.attrib.pop(qn("w:charSpace"), None)


def _settings(doc) -> None:  # type: ignore[no-untyped-def]
    doc.settings.odd_and_even_pages_header_footer = True
    settings = doc.settings.element
    if settings.find(qn("w:mirrorMargins")) is None:
        # Word is strict about the order of settings.xml: after the elements that precede it.
        before = {qn(t) for t in _BEFORE_MIRROR}
        index = 0
        for i, child in enumerate(settings):
            if child.tag in before:
                index = i + 1
        settings.insert(index, OxmlElement("w:mirrorMargins"))


def _footers(section) -> None:  # type: ignore[no-untyped-def]
    for footer, odd in ((section.footer, True), (section.even_page_footer, False)):
        footer.is_linked_to_previous = False
        p = footer.paragraphs[0]
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT if odd else WD_ALIGN_PARAGRAPH.LEFT
        pf = p.paragraph_format
        pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
        pf.space_before = pf.space_after = Pt(0)
        pf.first_line_indent = Pt(0)
        if odd:
            pf.right_indent = Pt(SIZE_PAGE)
        else:
            pf.left_indent = Pt(SIZE_PAGE)
        _no_grid(p)
        _run(p, "— ", SONG, SIZE_PAGE)
        field = OxmlElement("w:fldSimple")
        field.set(qn("w:instr"), "PAGE")
        inner = OxmlElement("w:r")
        rpr = OxmlElement("w:rPr")
        inner.append(rpr)
        _fonts(rpr, SONG)
        sz = OxmlElement("w:sz")
        sz.set(qn("w:val"), str(SIZE_PAGE * 2))
        rpr.append(sz)
        t = OxmlElement("w:t")
        t.text = "1"
        inner.append(t)
        field.append(inner)
        p._p.append(field)
        _run(p, " —", SONG, SIZE_PAGE)


def _width_chars(s: str) -> float:
    """Width in 3号 characters: Chinese 1, ASCII half."""
    return sum(0.5 if ord(ch) < 0x2E80 else 1.0 for ch in s)


def signature_indents(unit: str, date: str) -> tuple[float, float]:
    """Right indents (characters) of 署名 and 成文日期, unsealed style (GB/T 9704 7.3.5.2).

    The 署名 is right-indented two characters and the date starts two characters right of
    the 署名's first character; a date longer than that is right-indented two characters
    and the 署名 moves left to keep the two-character step.
    """
    wu, wd = _width_chars(unit), _width_chars(date)
    date_right = wu - wd  # with the 署名 at 2: date start = 28 - 2 - wu + 2
    if date_right >= 2:
        return 2.0, date_right
    return 2 + (2 - date_right), 2.0


def _title(doc, lines: tuple[str, ...]) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    _exact(p, indent=False)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    for i, line in enumerate(lines):
        run = _run(p, line, XBS, SIZE_TITLE)
        if i + 1 < len(lines):
            run.add_break()  # one paragraph, a line per title line (a 梯形 title)


def _para(doc, block: Para) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    _exact(p, indent=block.indent)
    p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
    font, bold = ROLE_FONT[block.role]
    _run(p, block.text, font, SIZE_BODY, bold=bold)


def _blank(doc) -> None:  # type: ignore[no-untyped-def]
    p = doc.add_paragraph()
    _exact(p, indent=False)
    _fonts(_ppr_rpr(p), FANG)  # an empty paragraph's mark carries the font too


def _ppr_rpr(p):  # type: ignore[no-untyped-def]
    ppr = p._p.get_or_add_pPr()
    rpr = ppr.find(qn("w:rPr"))
    if rpr is None:
        rpr = OxmlElement("w:rPr")
        ppr.append(rpr)
    return rpr


def _attachment_note(doc, note: AttachmentNote) -> None:  # type: ignore[no-untyped-def]
    for i, name in enumerate(note.names):
        p = doc.add_paragraph()
        _exact(p, indent=False)
        if i == 0:
            p.paragraph_format.first_line_indent = Pt(2 * CHAR)
            _run(p, f"附件：{name}", FANG, SIZE_BODY)
        else:
            p.paragraph_format.left_indent = Pt(5 * CHAR)  # under the first name
            _run(p, name, FANG, SIZE_BODY)


def _signature(doc, unit: str, date: str) -> None:  # type: ignore[no-untyped-def]
    unit_right, date_right = signature_indents(unit, date)
    for text, right in ((unit, unit_right), (date, date_right)):
        p = doc.add_paragraph()
        _exact(p, indent=False)
        p.alignment = WD_ALIGN_PARAGRAPH.RIGHT
        p.paragraph_format.right_indent = Pt(right * CHAR)
        _run(p, text, FANG, SIZE_BODY)


def _cell_text(cell, text: str, *, header: bool) -> None:  # type: ignore[no-untyped-def]
    p = cell.paragraphs[0]
    pf = p.paragraph_format
    pf.line_spacing_rule = WD_LINE_SPACING.SINGLE
    pf.space_before = pf.space_after = Pt(2)
    pf.first_line_indent = Pt(0)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER if header else WD_ALIGN_PARAGRAPH.LEFT
    _no_grid(p)
    _run(p, text, HEI if header else FANG, SIZE_TABLE)


def _el(tag: str, **attrs: str):  # type: ignore[no-untyped-def]
    el = OxmlElement(tag)
    for k, v in attrs.items():
        el.set(qn(f"w:{k}"), v)
    return el


def _table(doc, table: Table) -> None:  # type: ignore[no-untyped-def]
    """The table built as XML (python-docx's cell API is quadratic): fixed column widths,
    a header row repeated on every page, ``None`` cells merged down (w:vMerge)."""
    twips = [str(round(c.width_mm * 1440 / 25.4)) for c in table.columns]
    tbl = _el("w:tbl")
    pr = _el("w:tblPr")
    pr.append(_el("w:tblStyle", val=doc.styles["Table Grid"].style_id))
    pr.append(_el("w:tblW", w=str(sum(int(t) for t in twips)), type="dxa"))
    pr.append(_el("w:jc", val="center"))
    pr.append(_el("w:tblLayout", type="fixed"))
    tbl.append(pr)
    grid = _el("w:tblGrid")
    for t in twips:
        grid.append(_el("w:gridCol", w=t))
    tbl.append(grid)
    doc.element.body.insert_element_before(tbl, "w:sectPr")
    wrapper = DocxTable(tbl, doc._body)
    rows: list[tuple[str | None, ...]] = [tuple(c.name for c in table.columns), *table.rows]
    n = len(rows)
    for i, row in enumerate(rows):
        tr = _el("w:tr")
        if i == 0:
            trpr = _el("w:trPr")
            trpr.append(_el("w:tblHeader"))  # the header row again on every page
            tr.append(trpr)
        for j, value in enumerate(row):
            tc = _el("w:tc")
            tcpr = _el("w:tcPr")
            tcpr.append(_el("w:tcW", w=twips[j], type="dxa"))
            if value is None:
                tcpr.append(_el("w:vMerge"))
            elif i > 0 and i + 1 < n and rows[i + 1][j] is None:
                tcpr.append(_el("w:vMerge", val="restart"))
            tc.append(tcpr)
            tc.append(_el("w:p"))
            tr.append(tc)
            cell = _Cell(tc, wrapper)
            _cell_text(cell, value or "", header=i == 0)
        tbl.append(tr)


def _qr(doc, qr: QrCode) -> None:  # type: ignore[no-untyped-def]
    """The QR code centred in a paragraph of three grid lines, its caption on the next line."""
    p = doc.add_paragraph()
    _exact(p, indent=False)
    p.paragraph_format.line_spacing = Pt(LINE.pt * QR_LINES)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    picture = p.add_run().add_picture(io.BytesIO(qr_png(qr.url)), width=QR_WIDTH)
    # The alternative text a screen reader says (lxml escapes it; printable drops what XML cannot hold).
    picture._inline.docPr.set("descr", printable(f"{qr.caption}：{qr.url}"))
    picture._inline.docPr.set("name", "QR")
    p = doc.add_paragraph()
    _exact(p, indent=False)
    p.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(p, qr.caption, FANG, SIZE_BODY)


def render_docx(doc: OfficialDocument) -> bytes:
    d = Document()
    _styles(d)
    _settings(d)
    section = d.sections[0]
    _page_setup(section)
    _footers(section)
    _title(d, doc.title_lines)
    _blank(d)  # the body starts one line under the title
    for i, block in enumerate(doc.body):
        if isinstance(block, Para):
            _para(d, block)
        elif isinstance(block, Blank):
            _blank(d)
        elif isinstance(block, AttachmentNote):
            _attachment_note(d, block)
        if doc.qr is not None and i == doc.qr_after:
            _qr(d, doc.qr)
    if doc.qr is not None and doc.qr_after is None:
        _qr(d, doc.qr)
    if doc.signature is not None:
        _signature(d, doc.signature.unit, doc.signature.date)
    for att in doc.attachments:
        new = d.add_section(WD_SECTION.NEW_PAGE)
        _page_setup(new, landscape=True)
        p = d.add_paragraph()
        _exact(p, indent=False)
        _run(p, f"附件{att.number}", HEI, SIZE_BODY)  # line 1, flush left
        _blank(d)
        p = d.add_paragraph()
        _exact(p, indent=False)
        p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _run(p, att.title, XBS, SIZE_TITLE)  # line 3, centred
        _blank(d)
        _table(d, att.table)
    out = io.BytesIO()
    d.save(out)
    return out.getvalue()
