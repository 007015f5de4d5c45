"""Build OFD packages (GB/T 33190-2016) in memory, laid out as an official document is set.

A page is a list of :class:`Text` (one run of text: its left edge and baseline in millimetres
from the page's top left) and :class:`Rule` (a straight line drawn: a table's border).
``layout`` sets paragraphs as GB/T 9704 sets a 公文: 28 characters a line, the first line of a
paragraph indented two characters, a centred title, a page number "— N —" at the foot;
``ruled_table`` sets a bordered table (cells that wrap, cells merged down a column).
``make_ofd`` writes the package in one of three ways producers write text objects: one
TextCode per line with DeltaX and one PathObject per rule (``line``), one TextCode per
character (``chars``), or coordinates in points mapped by a CTM, all of a page's rules in
one path (``points``).
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Literal
from xml.sax.saxutils import escape, quoteattr

NS = "http://www.ofdspec.org/2016"
SIZE = 5.6  # 三号 (16 pt) in millimetres: body text of official documents
TITLE_SIZE = 7.8  # 二号 (22 pt)
PAGE_W, PAGE_H = 210.0, 297.0
LEFT, TOP = 28.0, 37.0
LINE_CHARS = 28
LEADING = 10.0
PT = 25.4 / 72  # one point in millimetres

Style = Literal["line", "chars", "points"]


@dataclass(frozen=True)
class Text:
    text: str
    x: float
    y: float
    size: float = SIZE


@dataclass(frozen=True)
class Rule:
    x0: float
    y0: float
    x1: float
    y1: float


TABLE_SIZE = 4.2  # 小四 (12 pt), the usual size of a table's text
_PAD, _PITCH = 1.8, 6.0


def _wrap_to(text: str, room: float, size: float) -> list[str]:
    lines, line, used = [], "", 0.0
    for ch in text:
        w = advance(ch) * size
        if line and used + w > room + 0.01:
            lines.append(line)
            line, used = "", 0.0
        line += ch
        used += w
    return [*lines, line]


def ruled_table(rows: list[list[str | None]], columns: list[float], top: float) -> list[Text | Rule]:
    """A bordered table whose top border is at ``top`` mm: ``columns`` are the x of its vertical
    rules (one more than the cells of a row); text wraps inside its cell; a cell None is merged
    with the cell above it, whose text is then centred down the merged height."""
    size = TABLE_SIZE
    wrapped = [
        [
            _wrap_to(c, columns[i + 1] - columns[i] - 2 * _PAD, size) if c is not None else None
            for i, c in enumerate(r)
        ]
        for r in rows
    ]
    heights = [2 * _PAD + max(len(c) for c in r if c is not None) * _PITCH for r in wrapped]
    tops = [top]
    for h in heights:
        tops.append(tops[-1] + h)
    items: list[Text | Rule] = []
    for j, row in enumerate(wrapped):
        for i, lines in enumerate(row):
            if lines is None:
                continue
            span = 1
            while j + span < len(rows) and rows[j + span][i] is None:
                span += 1
            room = tops[j + span] - tops[j]
            first = tops[j] + (room - len(lines) * _PITCH) / 2 if span > 1 else tops[j] + _PAD
            for k, line in enumerate(lines):
                items.append(Text(line, columns[i] + _PAD, first + k * _PITCH + size, size))
    for j in range(len(rows) + 1):  # horizontal rules, left out across a merged cell
        for i in range(len(columns) - 1):
            if 0 < j < len(rows) and rows[j][i] is None:
                continue
            items.append(Rule(columns[i], tops[j], columns[i + 1], tops[j]))
    for x in columns:
        for j in range(len(rows)):
            items.append(Rule(x, tops[j], x, tops[j + 1]))
    return items


def advance(ch: str) -> float:
    """A character's advance in ems: full width for CJK and its punctuation, half otherwise."""
    return 1.0 if ord(ch) >= 0x2E80 or 0x2000 <= ord(ch) < 0x2070 else 0.5


def width(text: str, size: float = SIZE) -> float:
    return sum(advance(ch) for ch in text) * size


def _wrap(text: str, first: float, rest: float) -> list[str]:
    lines, line, used, limit = [], "", 0.0, first
    for ch in text:
        w = advance(ch) * SIZE
        if line and used + w > limit + 0.01:
            lines.append(line)
            line, used, limit = "", 0.0, rest
        line += ch
        used += w
    return [*lines, line]


def layout(
    paragraphs: list[str],
    *,
    title: str | None = None,
    rows: list[list[tuple[str, float]]] | None = None,
    signature: tuple[str, ...] = (),
    lines_per_page: int = 22,
) -> list[list[Text | Rule]]:
    """Pages of a document: the title, the paragraphs, then a table of ``rows`` (each cell a
    text and its column's left edge in mm), then right-aligned signature lines."""
    body = LINE_CHARS * SIZE
    placed: list[list[Text]] = []  # one entry a line: the runs on it
    if title:
        placed.append([Text(title, (PAGE_W - width(title, TITLE_SIZE)) / 2, 0.0, TITLE_SIZE)])
    for para in paragraphs:
        for i, line in enumerate(_wrap(para, body - 2 * SIZE, body)):
            placed.append([Text(line, LEFT + (2 * SIZE if i == 0 else 0.0), 0.0)])
    for row in rows or []:
        placed.append([Text(text, x, 0.0) for text, x in row])
    for line in signature:
        placed.append([Text(line, LEFT + body - width(line) - 4 * SIZE, 0.0)])
    pages: list[list[Text | Rule]] = []
    for start in range(0, len(placed), lines_per_page):
        page: list[Text | Rule] = []
        for row_no, line_runs in enumerate(placed[start : start + lines_per_page]):
            y = TOP + (row_no + 1) * LEADING
            page.extend(Text(t.text, t.x, y, t.size) for t in line_runs)
        number = f"— {len(pages) + 1} —"
        page.append(Text(number, (PAGE_W - width(number, 4.9)) / 2, PAGE_H - 20, 4.9))
        pages.append(page)
    return pages


def _deltas(text: str, size: float) -> str:
    """DeltaX for ``text``, runs of one advance written ``g n v`` as GB/T 33190 allows."""
    values = [advance(ch) * size for ch in text[:-1]]
    out: list[str] = []
    i = 0
    while i < len(values):
        j = i
        while j < len(values) and values[j] == values[i]:
            j += 1
        out.append(f"g {j - i} {values[i]:g}" if j - i > 1 else f"{values[i]:g}")
        i = j
    return " ".join(out)


def _path_objects(rules: list[Rule], style: Style, first_id: int) -> list[str]:
    if style == "points":  # the whole grid in one path, in points
        data = " ".join(f"M {r.x0 / PT:.3f} {r.y0 / PT:.3f} L {r.x1 / PT:.3f} {r.y1 / PT:.3f}" for r in rules)
        ctm = f"{PT:.6f} 0 0 {PT:.6f} 0 0"
        box = f"0 0 {PAGE_W:g} {PAGE_H:g}"
        return [
            f'<ofd:PathObject ID="{first_id}" Boundary="{box}" CTM="{ctm}" LineWidth="0.25">'
            f"<ofd:AbbreviatedData>{data}</ofd:AbbreviatedData></ofd:PathObject>"
        ]
    out = []
    for k, r in enumerate(rules):
        box = f"{r.x0:g} {r.y0:g} {r.x1 - r.x0:g} {r.y1 - r.y0:g}"
        out.append(
            f'<ofd:PathObject ID="{first_id + k}" Boundary="{box}" LineWidth="0.25"><ofd:AbbreviatedData>'
            f"M 0 0 L {r.x1 - r.x0:g} {r.y1 - r.y0:g}</ofd:AbbreviatedData></ofd:PathObject>"
        )
    return out


def _text_objects(page: list[Text | Rule], style: Style, first_id: int) -> list[str]:
    objects: list[str] = []
    next_id = first_id
    rules = [r for r in page if isinstance(r, Rule)]
    if rules:
        objects.extend(_path_objects(rules, style, first_id + 500))
    for run in page:
        if isinstance(run, Rule):
            continue
        box = f"{run.x:g} {run.y - run.size:g} {width(run.text, run.size):g} {run.size * 1.2:g}"
        head = f'<ofd:TextObject ID="{next_id}" Boundary="{box}" Font="2"'
        next_id += 1
        if style == "line":
            code = f'<ofd:TextCode X="0" Y="{run.size:g}" DeltaX="{_deltas(run.text, run.size)}">'
            objects.append(
                f'{head} Size="{run.size:g}">{code}{escape(run.text)}</ofd:TextCode></ofd:TextObject>'
            )
        elif style == "chars":
            codes, x = [], 0.0
            for ch in run.text:
                codes.append(f'<ofd:TextCode X="{x:g}" Y="{run.size:g}">{escape(ch)}</ofd:TextCode>')
                x += advance(ch) * run.size
            objects.append(f'{head} Size="{run.size:g}">{"".join(codes)}</ofd:TextObject>')
        else:  # points: the object's space is in points, the CTM scales it to millimetres
            size_pt = run.size / PT
            code = f'<ofd:TextCode X="0" Y="{size_pt:.4f}" DeltaX="{_deltas(run.text, size_pt)}">'
            ctm = f'CTM="{PT:.6f} 0 0 {PT:.6f} 0 0"'
            objects.append(
                f'{head} {ctm} Size="{size_pt:.4f}">{code}{escape(run.text)}</ofd:TextCode></ofd:TextObject>'
            )
    return objects


def page_xml(
    page: list[Text | Rule], style: Style = "line", *, first_id: int = 10, template: str | None = None
) -> str:
    objects = _text_objects(page, style, first_id)
    # Put the runs below the middle of the page in a PageBlock, as producers group objects.
    half = len(objects) // 2
    body = (
        "".join(objects[:half])
        + f'<ofd:PageBlock ID="{first_id - 1}">{"".join(objects[half:])}</ofd:PageBlock>'
    )
    tpl = f'<ofd:Template TemplateID="{template}" ZOrder="Background"/>' if template else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{NS}">'
        f"<ofd:Area><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}</ofd:PhysicalBox></ofd:Area>{tpl}"
        f'<ofd:Content><ofd:Layer ID="{first_id - 2}" Type="Body">{body}</ofd:Layer></ofd:Content></ofd:Page>'
    )


def ofd_xml(doc_root: str = "Doc_0/Document.xml", title: str = "巡察反馈意见") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{NS}" Version="1.0" DocType="OFD">'
        f"<ofd:DocBody><ofd:DocInfo><ofd:DocID>6f8a1c2e9b3d4e5f8a7b6c5d4e3f2a1b</ofd:DocID>"
        f"<ofd:Title>{escape(title)}</ofd:Title><ofd:CreationDate>2025-07-08</ofd:CreationDate></ofd:DocInfo>"
        f"<ofd:DocRoot>{escape(doc_root)}</ofd:DocRoot></ofd:DocBody></ofd:OFD>"
    )


def document_xml(pages: int, *, template: bool = False) -> str:
    listed = "".join(
        f'<ofd:Page ID="{100 + i}" BaseLoc={quoteattr(f"Pages/Page_{i}/Content.xml")}/>' for i in range(pages)
    )
    tpl = '<ofd:TemplatePage ID="3" BaseLoc="Tpls/Tpl_0/Content.xml"/>' if template else ""
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{NS}"><ofd:CommonData>'
        f"<ofd:MaxUnitID>{100 + pages}</ofd:MaxUnitID>"
        f"<ofd:PageArea><ofd:PhysicalBox>0 0 {PAGE_W:g} {PAGE_H:g}</ofd:PhysicalBox></ofd:PageArea>"
        f"<ofd:PublicRes>PublicRes.xml</ofd:PublicRes>{tpl}</ofd:CommonData>"
        f"<ofd:Pages>{listed}</ofd:Pages></ofd:Document>"
    )


PUBLIC_RES = (
    f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{NS}" BaseLoc="Res">'
    '<ofd:Fonts><ofd:Font ID="2" FontName="仿宋_GB2312" FamilyName="仿宋"/></ofd:Fonts></ofd:Res>'
)


def make_ofd(
    pages: list[list[Text | Rule]],
    *,
    style: Style = "line",
    running_head: str | None = None,
    parts: dict[str, str | bytes | None] | None = None,
) -> bytes:
    """An OFD package of these pages. ``running_head`` is drawn by a page template on every
    page; ``parts`` replaces (or, with None, leaves out) parts by their path in the package."""
    files: dict[str, str | bytes | None] = {
        "OFD.xml": ofd_xml(),
        "Doc_0/Document.xml": document_xml(len(pages), template=running_head is not None),
        "Doc_0/PublicRes.xml": PUBLIC_RES,
    }
    for i, page in enumerate(pages):
        files[f"Doc_0/Pages/Page_{i}/Content.xml"] = page_xml(
            page, style, first_id=1000 * (i + 1), template="3" if running_head else None
        )
    if running_head is not None:
        files["Doc_0/Tpls/Tpl_0/Content.xml"] = page_xml([Text(running_head, LEFT, 20.0, 4.2)], first_id=90)
    files.update(parts or {})
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for path, body in files.items():
            if body is not None:
                zf.writestr(path, body.encode("utf-8") if isinstance(body, str) else body)
    return buf.getvalue()
