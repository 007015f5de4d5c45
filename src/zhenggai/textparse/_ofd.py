"""OFD (GB/T 33190-2016), the fixed-layout format of official documents: its text layer.

An OFD is a zip package. ``OFD.xml`` names each document's ``Document.xml``
(``DocBody/DocRoot``); that lists the pages in order (``Pages/Page/@BaseLoc``); each
page's ``Content.xml`` holds layers of ``TextObject``s (in ``PageBlock``s too) whose
``TextCode``s carry the text, the position of its first character (``X``, ``Y``: the
baseline, in the object's coordinates, mapped to the page by ``CTM`` and the object's
``Boundary``; millimetres, y downwards) and the advance to each next character
(``DeltaX``, where ``g n v`` is ``v`` n times).

Reading order is rebuilt from the positions, as for a PDF: pages in order; on a page, runs of
text grouped into lines by baseline and ordered left to right; runs of one line separated by
a wide gap are table cells (joined by a tab, the rows kept apart by blank lines, as the docx
reader does); lines are rejoined into paragraphs and page numbers dropped by the PDF reader's
rules. Page templates (running heads, watermarks, backgrounds: the same on every page),
annotations and signatures are not the document's text and are not read. The package's
limits (entries, sizes, ratio) are checked by the reader before this opens anything.
"""

from __future__ import annotations

import io
import itertools
import math
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass

from lxml import etree

from ._base import MAX_CHARS, MAX_LINES, LimitExceeded, ReadError, _fail, too_many_chars, too_many_lines
from ._pdf import _PAGE_NUMBER, _continues, _Geometry, _geometry, _is_wide, _Line

#: A gap between two runs of one line wider than this many characters separates table cells.
CELL_GAP = 1.5
#: The size of text whose TextObject gives none (3.5 mm is about 10 pt).
_DEFAULT_SIZE = 3.5
#: A4 width in millimetres, for a page that gives no box.
_DEFAULT_WIDTH = 210.0

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


@dataclass(slots=True)
class _Run:
    text: str
    x0: float
    x1: float
    y: float
    size: float


def _read_ofd(data: bytes, name: str) -> str:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            pages = _Package(zf, name).pages()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError):
        raise _fail(name, "OFD 文件已损坏或不完整（可能未下载完），请重新获取文件") from None
    text = "\n".join(_paragraphs(pages))
    if not text.strip():
        raise _fail(name, "OFD 中没有可提取的文字（可能是扫描件或图片），请先进行文字识别（OCR）")
    return text


def _local(el: etree._Element) -> str:
    tag = el.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _children(el: etree._Element, local: str) -> list[etree._Element]:
    return [c for c in el if _local(c) == local]


def _child(el: etree._Element, *path: str) -> etree._Element | None:
    for local in path:
        found = _children(el, local)
        if not found:
            return None
        el = found[0]
    return el


class _Package:
    """The parts of one OFD package, found as its XML points to them."""

    def __init__(self, zf: zipfile.ZipFile, name: str) -> None:
        self.zf = zf
        self.name = name
        self.parts = {info.filename: info.filename for info in zf.infolist()}
        self.folded = {n.lower(): n for n in self.parts}
        self.chars = 0
        self.lines = 0

    def broken(self, reason: str) -> ReadError:
        return _fail(self.name, f"OFD 文件已损坏：{reason}")

    def find(self, base: str, loc: str) -> str | None:
        """The part ``loc`` names, relative to the folder ``base`` or, from "/", to the root."""
        loc = loc.strip().replace("\\", "/")
        if not loc:
            return None
        tried = [posixpath.normpath(loc.lstrip("/"))]
        if not loc.startswith("/"):
            tried.insert(0, posixpath.normpath(posixpath.join(base, loc)))
        for path in tried:
            found = self.parts.get(path) or self.folded.get(path.lower())
            if found is not None:
                return found
        return None

    def xml(self, path: str, what: str) -> etree._Element:
        try:
            raw = self.zf.read(path)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, RuntimeError):
            # RuntimeError: an entry zip-encrypted with a password.
            raise self.broken(f"{what}（{path}）无法解压") from None
        try:
            root = etree.fromstring(raw, _PARSER)
        except etree.XMLSyntaxError as exc:
            line = exc.position[0] if exc.position else 0
            where = f"第 {line} 行" if line else "开头"
            raise self.broken(f"{what}（{path}）不是有效的 XML（{where}出错）") from None
        if root is None:
            raise self.broken(f"{what}（{path}）为空")
        return root

    def pages(self) -> list[tuple[list[_Line | str], float]]:
        """Every page of every document of the package: its lines (a table row is a str) and width."""
        entry = self.find("", "OFD.xml")
        if entry is None:
            raise _fail(self.name, "不是 OFD 文件：缺少 OFD.xml")
        if self.find("", "Encryptions.xml") is not None:
            raise _fail(self.name, "OFD 已加密，请先解除加密后再导入")
        ofd = self.xml(entry, "入口文件")
        roots = [r for body in _children(ofd, "DocBody") for r in _children(body, "DocRoot")]
        if not roots or not (roots[0].text or "").strip():
            raise self.broken("OFD.xml 中没有指明文档（缺少 DocBody/DocRoot）")
        pages: list[tuple[list[_Line | str], float]] = []
        for root in roots:
            loc = (root.text or "").strip()
            path = self.find("", loc)
            if path is None:
                raise self.broken(f"缺少文档部分 {loc.lstrip('/')}（OFD.xml 中 DocRoot 所指）")
            self.document(path, pages)
        return pages

    def document(self, path: str, pages: list[tuple[list[_Line | str], float]]) -> None:
        doc = self.xml(path, "文档部分")
        folder = posixpath.dirname(path)
        common = _child(doc, "CommonData")
        width = _box_width(_child(common, "PageArea", "PhysicalBox") if common is not None else None)
        listing = _child(doc, "Pages")
        listed = _children(listing, "Page") if listing is not None else []
        if not listed:
            raise self.broken(f"{path} 中没有列出任何页面（缺少 Pages/Page）")
        for page in listed:
            number = len(pages) + 1
            loc = page.get("BaseLoc", "")
            where = self.find(folder, loc)
            if where is None:
                shown = posixpath.normpath(posixpath.join(folder, loc.lstrip("/"))) if loc else "（未指明）"
                raise self.broken(f"缺少第 {number} 页的内容 {shown}")
            content = self.xml(where, f"第 {number} 页的内容")
            runs, rules = self.drawn(content, f"第 {number} 页（{where}）")
            page_width = _box_width(_child(content, "Area", "PhysicalBox"), width)
            pages.append((self.lines_of(runs, rules), page_width))

    def drawn(self, content: etree._Element, where: str) -> tuple[list[_Run], list[_Rule]]:
        """The page's runs of text, and the straight lines it draws (a table's rules)."""
        runs: list[_Run] = []
        rules: list[_Rule] = []
        for obj in content.iter():
            local = _local(obj)
            try:
                if local == "TextObject":
                    self.text_object(obj, runs)
                elif local == "PathObject" and len(rules) <= _MAX_RULES:
                    _path_object(obj, rules)
            except (ValueError, OverflowError, IndexError, KeyError):
                what = "文字位置" if local == "TextObject" else "图形数据"
                line = f"第 {obj.sourceline} 行的" if obj.sourceline else ""
                raise self.broken(f"{where}{line}{what}无效") from None
        return runs, rules if len(rules) <= _MAX_RULES else []

    def text_object(self, obj: etree._Element, runs: list[_Run]) -> None:
        bx, by = (_floats(obj.get("Boundary"), 4) or [0.0, 0.0, 0.0, 0.0])[:2]
        a, b, c, d, e, f = _floats(obj.get("CTM"), 6) or [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
        size = float(obj.get("Size") or _DEFAULT_SIZE)
        em = abs(size) * (math.sqrt(abs(a * d - b * c)) or 1.0)
        x: float = 0.0
        y: float = 0.0
        for code in _children(obj, "TextCode"):
            text = code.text or ""
            x = float(code.get("X", x))
            y = float(code.get("Y", y))
            if not text:
                continue
            self.chars += len(text)
            if self.chars > MAX_CHARS:
                raise LimitExceeded(too_many_chars())
            deltas = _deltas(code.get("DeltaX"), len(text) - 1)
            # Each character's origin, in the object's space, then on the page.
            at, origins = x, []
            for i, ch in enumerate(text):
                origins.append((a * at + c * y + e + bx, b * at + d * y + f + by))
                at += deltas[i] if i < len(deltas) else _advance(ch) * abs(size)
            start = 0
            for i in range(1, len(text) + 1):
                if i < len(text) and (
                    origins[i][0] - origins[i - 1][0] - _advance(text[i - 1]) * em <= CELL_GAP * em
                ):
                    continue
                piece = text[start:i]
                if piece.strip():
                    x0, y0 = origins[start]
                    x1 = origins[i - 1][0] + _advance(text[i - 1]) * em
                    runs.append(_Run(piece, x0, x1, y0, em))
                start = i

    def lines_of(self, runs: list[_Run], rules: list[_Rule]) -> list[_Line | str]:
        """The page's lines, top to bottom: a prose line as a _Line, a table row as a str."""
        placed: list[tuple[float, _Line | str]] = []
        for table in _tables(rules):
            runs = table.take(runs)
            placed.extend(table.rows())
        for row in _rows(runs):
            placed.append((row[0].y, _join(sorted(row, key=lambda r: r.x0))))
        placed.sort(key=lambda item: item[0])
        self.lines += len(placed)
        if self.lines > MAX_LINES:
            raise LimitExceeded(too_many_lines())
        lines = [line for _, line in placed]
        # Page numbers, and a bare number at the very top or bottom, are not text.
        lines = [
            ln for ln in lines if not (isinstance(ln, _Line) and _PAGE_NUMBER.fullmatch(ln.text.strip()))
        ]
        return [
            ln
            for i, ln in enumerate(lines)
            if not (
                isinstance(ln, _Line)
                and re.fullmatch(r"\d{1,4}", ln.text.strip())
                and i in (0, len(lines) - 1)
            )
        ]


def _rows(runs: list[_Run]) -> list[list[_Run]]:
    """Runs grouped into lines by baseline, top to bottom."""
    rows: list[list[_Run]] = []
    for run in sorted(runs, key=lambda r: (r.y, r.x0)):
        if rows and run.y - rows[-1][0].y < 0.5 * max(run.size, rows[-1][0].size):
            rows[-1].append(run)
        else:
            rows.append([run])
    return rows


def _text(line: _Line | str) -> str:
    return line if isinstance(line, str) else line.text


def _seam(before: str, after: str, gap: float, em: float) -> str:
    """What stands between two runs of one line: a space only between Latin words."""
    latin = not (_is_wide(before) or _is_wide(after) or before.isspace() or after.isspace())
    return " " if latin and before and after and gap > 0.2 * em else ""


def _join(row: list[_Run]) -> _Line | str:
    """One line's runs, left to right: a _Line of prose, or a table row's cells joined by tabs."""
    cells: list[str] = [row[0].text]
    last = row[0]
    for run in row[1:]:
        if run.text == last.text and abs(run.x0 - last.x0) < 0.2 * run.size:
            continue  # drawn twice, a little offset: bold as some producers fake it
        gap = run.x0 - last.x1
        em = max(run.size, last.size)
        if gap > CELL_GAP * em:
            cells.append(run.text)
        else:
            cells[-1] += _seam(cells[-1][-1:], run.text[:1], gap, em) + run.text
        last = run if run.x1 >= last.x1 else last
    sizes = sorted(r.size for r in row)
    if len(cells) > 1 and not all(len(c.strip()) <= 1 for c in cells):
        return "\t".join(c.strip() for c in cells)
    # Characters spread over the line (a spaced-out title) are one line, not cells.
    return _Line("".join(cells), row[0].x0, max(r.x1 for r in row), -row[0].y, sizes[len(sizes) // 2])


def _advance(ch: str) -> float:
    """A character's advance in ems when DeltaX does not give it: full width for CJK."""
    return 1.0 if _is_wide(ch) else 0.5


def _floats(value: str | None, count: int) -> list[float] | None:
    if not value:
        return None
    numbers = [float(v) for v in value.split()]
    if len(numbers) != count:
        raise ValueError(value)
    return numbers


def _deltas(value: str | None, needed: int) -> list[float]:
    """DeltaX expanded (``g n v`` is v repeated n times), never past ``needed`` values."""
    out: list[float] = []
    tokens = (value or "").split()
    i = 0
    while i < len(tokens) and len(out) < needed:
        if tokens[i] == "g":
            if i + 2 >= len(tokens):
                raise ValueError(value)
            count, step = int(tokens[i + 1]), float(tokens[i + 2])
            out.extend([step] * max(0, min(count, needed - len(out))))
            i += 3
        else:
            out.append(float(tokens[i]))
            i += 1
    return out


def _box_width(box: etree._Element | None, default: float = _DEFAULT_WIDTH) -> float:
    try:
        numbers = _floats(box.text if box is not None else None, 4)
    except ValueError:
        return default
    return numbers[2] if numbers and numbers[2] > 0 else default


def _paragraphs(pages: list[tuple[list[_Line | str], float]]) -> list[str]:
    """Prose lines rejoined into paragraphs (across pages too), table rows kept apart."""
    prose_pages = [(p, w) for lines, w in pages if (p := [ln for ln in lines if isinstance(ln, _Line)])]
    fallback = _geometry(*max(prose_pages, key=lambda p: len(p[0]))) if prose_pages else None
    out: list[str] = []
    prev: tuple[_Line, _Geometry] | None = None
    in_table = False
    for lines, width in pages:
        prose = [ln for ln in lines if isinstance(ln, _Line)]
        # Margins of a page with few lines say little; borrow the fullest page's.
        geo = _geometry(prose, width) if len(prose) >= 4 else fallback
        for line in lines:
            if isinstance(line, str) or geo is None:  # no geometry: a page of table rows only
                line = _text(line)
                if not in_table:
                    out.append("")
                out.append(line)
                in_table, prev = True, None
                continue
            if in_table:
                out.append("")
                in_table = False
            text = line.text.strip(" ")
            if prev is not None and _continues(prev[0], prev[1], line, geo):
                out[-1] += text.lstrip()
            else:
                out.append(text.rstrip())
            prev = (line, geo)
    return out


# --------------------------------------------------------------------------- ruled tables

#: A segment thinner than this (mm) across is a rule; shorter than _RULE_MIN along, a mark.
_RULE_THIN = 0.6
_RULE_MIN = 2.0
#: Rules read on one page; past it (a drawing, not a table) none are.
_MAX_RULES = 2000
#: How far (mm) rules may miss each other and still meet, and positions still be one.
_MEET = 1.0


@dataclass(slots=True)
class _Rule:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def vertical(self) -> bool:
        return self.x1 - self.x0 < _RULE_THIN

    def meets(self, other: _Rule) -> bool:
        return (
            self.x0 - _MEET <= other.x1
            and other.x0 - _MEET <= self.x1
            and self.y0 - _MEET <= other.y1
            and other.y0 - _MEET <= self.y1
        )


def _path_object(obj: etree._Element, rules: list[_Rule]) -> None:
    """The straight horizontal and vertical segments a PathObject draws (GB/T 33190 9.3.2:
    S/M move, L line, Q/B/A curves, C close), on the page."""
    data = _child(obj, "AbbreviatedData")
    if data is None or not data.text:
        return
    bx, by = (_floats(obj.get("Boundary"), 4) or [0.0, 0.0, 0.0, 0.0])[:2]
    a, b, c, d, e, f = _floats(obj.get("CTM"), 6) or [1.0, 0.0, 0.0, 1.0, 0.0, 0.0]
    tokens = data.text.split()
    point: tuple[float, float] | None = None
    start: tuple[float, float] | None = None
    end: tuple[float, float] | None
    i = 0
    while i < len(tokens) and len(rules) <= _MAX_RULES:
        op, i = tokens[i], i + 1
        count = {"S": 2, "M": 2, "L": 2, "Q": 4, "B": 6, "A": 7, "C": 0}[op]  # KeyError: not a path
        if count:
            x, y = float(tokens[i + count - 2]), float(tokens[i + count - 1])
            end = (a * x + c * y + e + bx, b * x + d * y + f + by)
            i += count
        else:
            end = start if start is not None else point
        if op in ("L", "C") and point is not None and end is not None:
            _add_rule(point, end, rules)
        if op in ("S", "M"):
            start = end
        point = end


def _add_rule(p: tuple[float, float], q: tuple[float, float], rules: list[_Rule]) -> None:
    rule = _Rule(min(p[0], q[0]), min(p[1], q[1]), max(p[0], q[0]), max(p[1], q[1]))
    across, along = sorted((rule.x1 - rule.x0, rule.y1 - rule.y0))
    if across < _RULE_THIN and along >= _RULE_MIN:
        rules.append(rule)


def _positions(values: list[float]) -> list[float]:
    """Distinct positions, those closer than _MEET taken as one."""
    out: list[float] = []
    for v in sorted(values):
        if not out or v - out[-1] > _MEET:
            out.append(v)
    return out


class _Table:
    """A grid of rules: its cells collect the runs drawn inside them."""

    def __init__(self, vertical: list[_Rule], horizontal: list[_Rule]) -> None:
        self.v = vertical
        self.h = horizontal
        self.xs = _positions([r.x0 for r in vertical])
        self.ys = _positions([r.y0 for r in horizontal])
        self.cells: dict[tuple[int, int], list[_Run]] = {}

    def _index(self, positions: list[float], value: float) -> int:
        return min(range(len(positions)), key=lambda k: abs(positions[k] - value))

    def cell(self, run: _Run) -> tuple[int, int] | None:
        """(row, column) of the cell around the run: the nearest rules on its four sides that
        pass it (so a merged cell is one cell), or None outside the grid."""
        cx, cy = (run.x0 + run.x1) / 2, run.y - 0.35 * run.size
        if not (self.xs[0] < cx < self.xs[-1] and self.ys[0] < cy < self.ys[-1]):
            return None
        left = [r.x0 for r in self.v if r.x0 <= cx and r.y0 - _MEET <= cy <= r.y1 + _MEET]
        right = [r.x0 for r in self.v if r.x0 > cx and r.y0 - _MEET <= cy <= r.y1 + _MEET]
        top = [r.y0 for r in self.h if r.y0 <= cy and r.x0 - _MEET <= cx <= r.x1 + _MEET]
        below = [r.y0 for r in self.h if r.y0 > cy and r.x0 - _MEET <= cx <= r.x1 + _MEET]
        if not (left and right and top and below):
            return None
        return self._index(self.ys, max(top)), self._index(self.xs, max(left))

    def take(self, runs: list[_Run]) -> list[_Run]:
        """Put the runs inside the grid in their cells; the others are returned."""
        rest: list[_Run] = []
        for run in runs:
            key = self.cell(run)
            if key is None:
                rest.append(run)
            else:
                self.cells.setdefault(key, []).append(run)
        return rest

    def rows(self) -> list[tuple[float, str]]:
        """The table's rows as the docx reader gives them: cells joined by tabs, a merged
        cell's text in its first row and column, empty cells empty."""
        out: list[tuple[float, str]] = []
        for j in range(len(self.ys) - 1):
            cells = [_cell_text(self.cells.get((j, i), [])) for i in range(len(self.xs) - 1)]
            if any(cells):
                out.append((self.ys[j], "\t".join(cells)))
        return out


def _cell_text(runs: list[_Run]) -> str:
    """A cell's lines joined into one run of text, as the docx reader flattens a cell."""
    text = ""
    for row in _rows(runs):
        row.sort(key=lambda r: r.x0)
        line = row[0].text
        for prev, run in itertools.pairwise(row):
            line += _seam(line[-1:], run.text[:1], run.x0 - prev.x1, run.size) + run.text
        # No space where a cell's text wrapped, as the PDF reader rejoins lines: Chinese takes
        # none, and the Latin text that wraps here is figures, dates and addresses.
        text += line.strip()
    return text.replace("\t", " ")


def _tables(rules: list[_Rule]) -> list[_Table]:
    """The grids among the page's rules: rules that meet, in groups of at least two rows or
    two columns (a lone box is a frame, not a table)."""
    vertical = [r for r in rules if r.vertical]
    horizontal = [r for r in rules if not r.vertical]
    parent = list(range(len(rules)))

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    index = {id(r): k for k, r in enumerate(rules)}
    for v in vertical:
        for h in horizontal:
            if v.meets(h):
                parent[root(index[id(v)])] = root(index[id(h)])
    groups: dict[int, list[_Rule]] = {}
    for k, rule in enumerate(rules):
        groups.setdefault(root(k), []).append(rule)
    tables: list[_Table] = []
    for group in groups.values():
        table = _Table([r for r in group if r.vertical], [r for r in group if not r.vertical])
        if len(table.xs) >= 2 and len(table.ys) >= 2 and len(table.xs) + len(table.ys) > 4:
            tables.append(table)
    return tables
