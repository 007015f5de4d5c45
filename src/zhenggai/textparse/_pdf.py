"""PDF with a text layer: lines rejoined into paragraphs, page numbers dropped."""

import io
import re
import statistics
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ._base import MAX_CHARS, LimitExceeded, _fail, too_many_chars
from .pdfguard import expansion_budget

# --------------------------------------------------------------------------- pdf


@dataclass(slots=True)
class _Line:
    text: str
    x0: float
    x1: float
    top: float
    size: float


@dataclass(slots=True)
class _Geometry:
    left: float
    right: float
    em: float


def _is_wide(ch: str) -> bool:
    """CJK ideographs, kana, CJK and full-width punctuation: text that takes no spaces."""
    return bool(ch) and (ord(ch) >= 0x2E80 or 0x2000 <= ord(ch) < 0x2070)


_PAGE_NUMBER = re.compile(
    r"[-—–―－~～]+\s*\d{1,4}\s*[-—–―－~～]+"
    r"|第\s*\d+\s*页(?:\s*[,，/、]?\s*共\s*\d+\s*页)?"
    r"|共\s*\d+\s*页\s*[,，/、]?\s*第\s*\d+\s*页"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?i:page\s*\d+(?:\s*of\s*\d+)?)"
)
_CN_NUM = "一二三四五六七八九十百"
_MARKER = re.compile(
    rf"[{_CN_NUM}]+[、.．]|[（(][{_CN_NUM}\d]+[）)]|\d+(?:[、）)]|[.．](?!\d))"
    rf"|[①-⑳]|[{_CN_NUM}]+是|第[{_CN_NUM}\d]+[条章节部分项]"
)


def _read_pdf(data: bytes, name: str) -> str:
    from pdfminer.pdfdocument import PDFEncryptionError
    from pdfminer.psexceptions import PSException

    encrypted = "PDF 已加密，请先解除密码"
    if b"%%EOF" not in data:
        raise _fail(name, "PDF 文件不完整（可能未下载完），请重新获取文件")
    try:
        with expansion_budget():
            pages = _pdf_pages(data)
    except LimitExceeded as exc:
        raise _fail(name, exc.reason) from None
    except PDFEncryptionError:
        raise _fail(name, encrypted) from None
    except (
        PSException,
        ValueError,
        TypeError,
        KeyError,
        IndexError,
        AttributeError,
        AssertionError,
        EOFError,
        zlib.error,
        struct.error,
        RecursionError,
        OverflowError,
    ):
        # pdfminer fails in many ways on broken files; only the cause matters here.
        raise _fail(name, encrypted if b"/Encrypt" in data else "PDF 文件已损坏") from None
    text = "\n".join(_join_pdf_lines(pages))
    cid_chars = sum(len(m) for m in re.findall(r"\(cid:\d+\)", text))
    if not text.strip() or cid_chars > 0.5 * len(text.strip()):
        if b"/Encrypt" in data:  # e.g. copying forbidden: the fonts' encodings stay unreadable
            raise _fail(name, "PDF 已加密，无法提取文字，请先解除密码或限制")
        raise _fail(name, "PDF 中没有可提取的文字（可能是扫描件或图片），请先进行文字识别（OCR）")
    return text


def _pdf_pages(data: bytes) -> list[tuple[list[_Line], float]]:
    """Text lines of each page in reading order, page numbers removed."""
    from pdfminer.layout import LAParams

    pages: list[tuple[list[_Line], float]] = []
    for page in _layouts(data, LAParams(all_texts=True)):
        boxes: list[list[_Line]] = []
        _collect_boxes(page, boxes)
        lines = [ln for box in _reading_order([b for b in boxes if b]) for ln in box]
        lines = [ln for ln in lines if not _PAGE_NUMBER.fullmatch(ln.text.strip())]
        # A bare number is a page number only at the very top or bottom of a page.
        lines = [
            ln
            for i, ln in enumerate(lines)
            if not (re.fullmatch(r"\d{1,4}", ln.text.strip()) and i in (0, len(lines) - 1))
        ]
        pages.append((lines, page.width))
    return pages


def _layouts(data: bytes, laparams: Any) -> Iterator[Any]:
    """pdfminer's ``extract_pages``, with a device that counts what it draws: a page of
    millions of characters (or paths) is refused before its layout objects fill memory."""
    from pdfminer.converter import PDFPageAggregator
    from pdfminer.pdfinterp import PDFPageInterpreter, PDFResourceManager
    from pdfminer.pdfpage import PDFPage

    class Counting(PDFPageAggregator):
        drawn = 0

        def render_char(self, *args: object, **kwargs: object) -> float:
            self.drawn += 1
            if self.drawn > MAX_CHARS:
                raise LimitExceeded(too_many_chars())
            return super().render_char(*args, **kwargs)  # type: ignore[arg-type]

        def paint_path(self, *args: object, **kwargs: object) -> None:
            self.drawn += 1
            if self.drawn > MAX_CHARS:
                raise LimitExceeded(
                    f"PDF 页面内容过于复杂（超过 {MAX_CHARS // 10000} 万个文字和图形），拒绝读取"
                )
            super().paint_path(*args, **kwargs)  # type: ignore[arg-type]

    manager = PDFResourceManager(caching=True)
    device = Counting(manager, laparams=laparams)
    interpreter = PDFPageInterpreter(manager, device)
    for page in PDFPage.get_pages(io.BytesIO(data), password="", caching=True):
        interpreter.process_page(page)
        yield device.get_result()


def _collect_boxes(obj: object, boxes: list[list[_Line]]) -> None:
    """Text boxes anywhere in the layout tree, figures included, as lists of lines."""
    from pdfminer.layout import LTContainer, LTTextBox, LTTextLine

    for child in obj:  # type: ignore[attr-defined]
        if isinstance(child, LTTextBox):
            box = [_pdf_line(ln) for ln in child if isinstance(ln, LTTextLine)]
            boxes.append([ln for ln in box if ln.text.strip()])
        elif isinstance(child, LTTextLine):
            boxes.append([_pdf_line(child)])
        elif isinstance(child, LTContainer):
            _collect_boxes(child, boxes)


def _pdf_line(line: object) -> _Line:
    from pdfminer.layout import LTAnno, LTChar

    objs = list(line)  # type: ignore[call-overload]
    parts: list[str] = []
    sizes: list[float] = []
    inked: list[LTChar] = []  # the extent of a line is that of its visible characters
    for i, obj in enumerate(objs):
        if isinstance(obj, LTChar):
            parts.append(obj.get_text())
            sizes.append(obj.size)
            if obj.get_text().strip():
                inked.append(obj)
        elif isinstance(obj, LTAnno) and obj.get_text() == " ":
            # pdfminer guesses a space from a gap; next to Chinese text the gap
            # is justification or CJK/Latin spacing, never a typed space.
            before = parts[-1][-1:] if parts else ""
            after = next((o.get_text()[:1] for o in objs[i + 1 :] if isinstance(o, LTChar)), "")
            if not (_is_wide(before) or _is_wide(after)):
                parts.append(" ")
    x0, y0, x1, y1 = line.bbox  # type: ignore[attr-defined]
    if inked:  # typed indentation (U+3000) is drawn as blank glyphs, not margin
        x0, x1 = inked[0].x0, inked[-1].x1
    size = statistics.median(sizes) if sizes else (y1 - y0)
    return _Line("".join(parts), x0, x1, y1, size)


def _reading_order(boxes: list[list[_Line]]) -> list[list[_Line]]:
    """Top to bottom; boxes starting at the same height (table cells) left to right."""
    rows: list[list[list[_Line]]] = []
    for box in sorted(boxes, key=lambda b: -b[0].top):
        if rows and rows[-1][0][0].top - box[0].top < box[0].size / 2:
            rows[-1].append(box)
        else:
            rows.append([box])
    return [box for row in rows for box in sorted(row, key=lambda b: b[0].x0)]


def _geometry(lines: list[_Line], page_width: float) -> _Geometry:
    left = min(ln.x0 for ln in lines)
    right = max(ln.x1 for ln in lines)
    em = statistics.median(ln.size for ln in lines) or 10.0
    # When no line reaches near the mirror of the left margin, every line is
    # short (a page of headings, a one-line note) and none of them wrapped.
    return _Geometry(left, max(right, page_width - left - 3 * em), em)


def _join_pdf_lines(pages: list[tuple[list[_Line], float]]) -> list[str]:
    """Rejoin lines that the layout wrapped, across pages too, into paragraphs."""
    full = [p for p in pages if p[0]]
    if not full:
        return []
    # Margins of a page with few lines say little; borrow the fullest page's.
    fallback = _geometry(*max(full, key=lambda p: len(p[0])))
    paragraphs: list[str] = []
    prev: tuple[_Line, _Geometry] | None = None
    for lines, width in full:
        geo = _geometry(lines, width) if len(lines) >= 4 else fallback
        for line in lines:
            text = line.text.strip(" ")
            if prev is not None and _continues(prev[0], prev[1], line, geo):
                # No space at the seam: Chinese takes none, and in this genre the
                # Latin text that wraps is mostly e-mail addresses and URLs.
                paragraphs[-1] += text.lstrip()
            else:
                paragraphs.append(text.rstrip())
            prev = (line, geo)
    return paragraphs


def _continues(line: _Line, geo: _Geometry, nxt: _Line, next_geo: _Geometry) -> bool:
    """Whether ``nxt`` carries on the paragraph that ``line`` is in."""
    em = geo.em
    if line.x1 < geo.right - 1.5 * em:  # ends short of the margin: the paragraph ended
        return False
    if line.x0 > geo.left + 2.5 * em:  # centred or right-aligned (title, signature, date)
        return False
    if nxt.x0 > next_geo.left + 0.8 * next_geo.em:  # indented: a new paragraph
        return False
    return _MARKER.match(nxt.text.lstrip(" \u3000")) is None
