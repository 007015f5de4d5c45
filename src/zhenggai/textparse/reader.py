"""Read a document file (txt, docx, pdf, html) into one decoded text.

The text follows a fixed contract, because the outline parser reports spans
into it: ``\\n`` newlines only, one paragraph per line, a table as one line per
row with cells joined by ``\\t`` and a blank line around it, no BOM, and
characters kept exactly as written (no width or script folding).

Every failure on bad input is a :class:`ReadError` whose message is one line of
Chinese saying what is wrong and with which file. Nothing here imports Django.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import logging
import os
import re
import statistics
import struct
import sys
import zipfile
import zlib
from dataclasses import dataclass
from typing import Literal

from lxml import etree

# pdfminer warns through logging about every oddity of a PDF; without this, an
# application that configured no logging would get them all on stderr.
logging.getLogger("pdfminer").addHandler(logging.NullHandler())

Format = Literal["txt", "docx", "pdf", "html"]

#: Inputs larger than this are refused before any parsing.
MAX_BYTES = 50 * 1024 * 1024

_NOT_A_DOCUMENT = "不是可识别的文档（txt、docx、pdf、html）"
_DOCX_EXTS = {".docx", ".docm", ".dotx"}
_HTML_EXTS = {".html", ".htm", ".shtml", ".xhtml", ".mht", ".asp", ".aspx", ".jsp", ".php"}


class ReadError(Exception):
    """The file cannot be read. str(err) is ONE line in Simplified Chinese that says what and where,
    e.g. "无法读取 plan.pdf：PDF 已加密，请先解除密码" — no traceback, no English jargon."""

    def __init__(self, message: str, *, name: str = "", reason: str = "") -> None:
        # A file name may contain a newline; the message must stay on one line.
        super().__init__(" ".join(message.splitlines()))
        self.name = name
        self.reason = reason


def _fail(name: str, reason: str) -> ReadError:
    return ReadError(f"无法读取 {name}：{reason}", name=name, reason=reason)


@dataclass(frozen=True, slots=True)
class Document:
    """A decoded document: its text under the contract above, and where it came from."""

    name: str
    text: str
    sha256: str
    format: Format


def read_path(path: str | os.PathLike[str]) -> Document:
    """Read the file at ``path`` (``"-"`` reads all of ``sys.stdin.buffer``).

    The format is sniffed from the content; the extension only breaks ties and
    is checked against the content. Raises :class:`ReadError` for anything that
    cannot be read.
    """
    given = os.fspath(path)
    if given == "-":
        return read_bytes(sys.stdin.buffer.read(MAX_BYTES + 1), "<stdin>")
    if os.path.isdir(given):
        raise _fail(given, "这是一个文件夹，不是文件")
    try:
        with open(given, "rb") as fh:
            size = os.fstat(fh.fileno()).st_size
            if size > MAX_BYTES:
                raise _fail(given, _too_big(size))
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise _fail(given, "文件不存在") from None
    except IsADirectoryError:
        raise _fail(given, "这是一个文件夹，不是文件") from None
    except PermissionError:
        raise _fail(given, "没有读取该文件的权限") from None
    except OSError as exc:
        raise _fail(given, f"读取文件时出错（系统错误代码 {exc.errno}）") from None
    return read_bytes(data, given)


def read_bytes(data: bytes, name: str) -> Document:
    """Decode ``data`` (the whole file) named ``name`` into a :class:`Document`.

    The format is sniffed by content first (PDF header, docx zip, HTML tags),
    then by the extension of ``name``; anything else is read as text.
    """
    if len(data) > MAX_BYTES:
        raise _fail(name, _too_big(len(data)))
    if not data.strip():
        raise _fail(name, "文件为空")
    fmt = _sniff(data, name)
    read = {"pdf": _read_pdf, "docx": _read_docx, "html": _read_html, "txt": _read_txt}[fmt]
    try:
        text = _normalise(read(data, name))
    except RecursionError:  # walkers recurse over the element tree
        raise _fail(name, "文档结构嵌套过深，无法读取") from None
    if not text.strip():
        raise _fail(name, "网页中没有找到正文" if fmt == "html" else "文件为空（没有文字内容）")
    return Document(name=name, text=text, sha256=hashlib.sha256(data).hexdigest(), format=fmt)


def _too_big(size: int) -> str:
    return f"文件过大（{size / 1048576:.1f} MB），超过 50 MB 的上限"


# Line-break look-alikes become "\n" so that str.splitlines() and split("\n")
# agree on the lines; other control characters and BOMs are dropped.
_TRANSLATE: dict[int, str | None] = {c: None for c in range(32) if c not in (9, 10)}
_TRANSLATE.update({c: "\n" for c in (0x0B, 0x0C, 0x1C, 0x1D, 0x1E, 0x85, 0x2028, 0x2029)})
_TRANSLATE.update({0x7F: None, 0xFEFF: None})


def _normalise(text: str) -> str:
    # Lines are otherwise kept exactly, trailing spaces too, so that a text
    # file's decoded text is the file itself and offsets need no mapping.
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_TRANSLATE)
    return re.sub(r"\n{4,}", "\n\n\n", text).strip("\n")


# --------------------------------------------------------------------------- sniffing

_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_IMAGES = (b"\x89PNG", b"\xff\xd8\xff", b"GIF87a", b"GIF89a", b"II*\x00", b"MM\x00*")


def _sniff(data: bytes, name: str) -> Format:
    ext = os.path.splitext(name)[1].lower()
    if data.startswith(_OLE):
        # Word stores a password-protected .docx in an OLE2 container too.
        if ext in _DOCX_EXTS or "EncryptedPackage".encode("utf-16-le") in data:
            raise _fail(name, "文档设置了打开密码，请在 Word 中取消密码后另存为 .docx 再导入")
        raise _fail(name, "这是旧版 Office 格式（如 .doc），请在 Word 中另存为 .docx 后再导入")
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, name, ext)
    if data.startswith(_IMAGES):
        raise _fail(name, f"这是图片文件，{_NOT_A_DOCUMENT}，扫描件请先进行文字识别（OCR）")
    if data.lstrip().startswith(b"{\\rtf"):
        raise _fail(name, "不支持 RTF 格式，请在 Word 中另存为 .docx 后再导入")
    if _looks_like_html(data):
        return "html"
    if ext in _DOCX_EXTS:
        raise _fail(name, "文件已损坏或不是 docx 格式")
    if ext == ".pdf":
        raise _fail(name, "文件已损坏或不是 PDF 格式")
    if ext == ".doc":
        raise _fail(name, "文件已损坏或不是 Word 格式")
    return "html" if ext in _HTML_EXTS else "txt"


_OTHER_ZIPS = {"xl/workbook.xml": " Excel 表格", "ppt/presentation.xml": "演示文稿", "OFD.xml": " OFD 格式"}


def _sniff_zip(data: bytes, name: str, ext: str) -> Format:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = {info.filename: info for info in zf.infolist()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        if ext in _DOCX_EXTS or not ext:
            reason = "docx 文件已损坏或不完整（可能未下载完），请用 Word 打开后重新保存"
            raise _fail(name, reason) from None
        raise _fail(name, f"压缩包已损坏，{_NOT_A_DOCUMENT}") from None
    main = infos.get("word/document.xml")
    if main is not None:
        if main.file_size > 10 * MAX_BYTES:  # a decompression bomb, not a document
            raise _fail(name, _too_big(main.file_size))
        return "docx"
    for part, what in _OTHER_ZIPS.items():
        if part in infos:
            raise _fail(name, f"暂不支持{what}，请将内容另存为 .docx 后再导入")
    if ext in _DOCX_EXTS:
        raise _fail(name, "docx 文件已损坏：缺少正文部分（word/document.xml）")
    raise _fail(name, f"这是压缩包，{_NOT_A_DOCUMENT}")


_HTML_START = re.compile(r"<(?:!doctype\s+html|html|head|meta|body|title)\b", re.IGNORECASE)
_HTML_PREAMBLE = re.compile(r"\s*(?:<\?xml[^>]*>|<!--.*?-->)?", re.DOTALL)


def _looks_like_html(data: bytes) -> bool:
    head = data[:4096]
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        text = head.decode("utf-16", "ignore")
    else:
        text = head.removeprefix(codecs.BOM_UTF8).decode("latin-1")
    pos = 0
    while (end := _HTML_PREAMBLE.match(text, pos).end()) != pos:  # type: ignore[union-attr]
        pos = end
    return _HTML_START.match(text, pos) is not None


# --------------------------------------------------------------------------- txt

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 11, 12, 13, 27)) + b"\x7f"


def _is_binary(text_or_bytes: bytes | str) -> bool:
    sample = text_or_bytes[:65536]
    if isinstance(sample, str):
        sample = sample.encode("utf-8", "replace")
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return b"\x00" in sample or controls > 0.05 * len(sample)


def _read_txt(data: bytes, name: str) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(encoding)
            except UnicodeDecodeError:
                raise _fail(name, "文件编码已损坏，无法按文件头标明的编码解码") from None
            if _is_binary(text):
                raise _fail(name, _NOT_A_DOCUMENT)
            return text
    if _is_binary(data):
        raise _fail(name, _NOT_A_DOCUMENT)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        # A UTF-8 file cut inside its last character must not fall through to
        # GB18030, which would accept it and turn every line into mojibake.
        if exc.reason == "unexpected end of data" and exc.start >= len(data) - 3:
            return data[: exc.start].decode("utf-8")
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        reason = "无法识别文件编码（不是 UTF-8 或 GBK/GB18030），请另存为 UTF-8 后再导入"
        raise _fail(name, reason) from None


# --------------------------------------------------------------------------- docx

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
# Wrappers whose children are read as if they stood in the wrapper's place.
_WRAPPERS = {_W + t for t in ("sdt", "sdtContent", "customXml", "smartTag")}
# Inline containers whose text is part of the paragraph (w:del and w:moveFrom,
# deleted text, and drawings/text boxes are deliberately not among them).
_INLINE = _WRAPPERS | {_W + t for t in ("r", "hyperlink", "ins", "moveTo", "fldSimple", "bdo", "dir")}


def _read_docx(data: bytes, name: str) -> str:
    import docx  # deferred: only docx input pays for importing python-docx
    from docx.opc.exceptions import PackageNotFoundError

    try:
        body = docx.Document(io.BytesIO(data)).element.body
    except (
        zipfile.BadZipFile,
        KeyError,
        PackageNotFoundError,
        etree.XMLSyntaxError,
        zlib.error,
        EOFError,
        OSError,
        AttributeError,
        TypeError,
        IndexError,
    ):
        # The last three: python-docx trips over parts that parse but are malformed.
        raise _fail(name, "docx 文件已损坏，请用 Word 打开后重新保存") from None
    except ValueError:  # python-docx checks the main part's content type (.docm, .dotx)
        raise _fail(name, "不是 Word 文档（.docx），请在 Word 中另存为 .docx 后再导入") from None
    lines: list[str] = []
    _docx_blocks(body, lines)
    return "\n".join(lines)


def _docx_blocks(parent: etree._Element, out: list[str]) -> None:
    for child in parent:
        if child.tag == _W + "p":
            out.append(_docx_paragraph(child))
        elif child.tag == _W + "tbl":
            out.extend(["", *_docx_table(child), ""])
        elif child.tag in _WRAPPERS:
            _docx_blocks(child, out)


def _docx_paragraph(p: etree._Element) -> str:
    parts: list[str] = []

    def walk(el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if tag == _W + "t":
                parts.append(child.text or "")
            elif tag in (_W + "tab", _W + "ptab"):
                parts.append("\t")
            elif tag in (_W + "br", _W + "cr"):
                # A page or column break is layout, not a line of the text.
                if child.get(_W + "type") in (None, "textWrapping"):
                    parts.append("\n")
            elif tag == _W + "noBreakHyphen":
                parts.append("-")
            elif tag in _INLINE:
                walk(child)

    walk(p)
    return "".join(parts)


def _children(el: etree._Element, tag: str) -> list[etree._Element]:
    """Direct children with this tag, looking through content-control wrappers."""
    found: list[etree._Element] = []
    for child in el:
        if child.tag == tag:
            found.append(child)
        elif child.tag in _WRAPPERS:
            found.extend(_children(child, tag))
    return found


def _w_int(props: etree._Element | None, tag: str, default: int) -> int:
    el = props.find(_W + tag) if props is not None else None
    try:
        return max(0, min(int(el.get(_W + "val", default)), 1000)) if el is not None else default
    except ValueError:
        return default


def _docx_table(tbl: etree._Element) -> list[str]:
    grid = len(tbl.findall(f"{_W}tblGrid/{_W}gridCol"))
    rows: list[list[str]] = []
    for tr in _children(tbl, _W + "tr"):
        tr_pr = tr.find(_W + "trPr")
        cells = [""] * _w_int(tr_pr, "gridBefore", 0)
        for tc in _children(tr, _W + "tc"):
            tc_pr = tc.find(_W + "tcPr")
            v_merge = tc_pr.find(_W + "vMerge") if tc_pr is not None else None
            h_merge = tc_pr.find(_W + "hMerge") if tc_pr is not None else None
            continued = (v_merge is not None and v_merge.get(_W + "val") != "restart") or (
                h_merge is not None and h_merge.get(_W + "val") != "restart"
            )
            cells.append("" if continued else _docx_cell_text(tc))
            cells.extend([""] * (max(1, _w_int(tc_pr, "gridSpan", 1)) - 1))
        cells.extend([""] * _w_int(tr_pr, "gridAfter", 0))
        rows.append(cells)
    width = max([grid, *(len(r) for r in rows)])
    return ["\t".join(r + [""] * (width - len(r))) for r in rows]


def _docx_cell_text(tc: etree._Element) -> str:
    # Read the cell like a body (a nested table gives tab-joined rows), then
    # flatten: every paragraph, row and nested cell becomes one space-separated run.
    lines: list[str] = []
    _docx_blocks(tc, lines)
    return " ".join(p.strip() for ln in lines for p in re.split(r"[\t\n]", ln) if p.strip())


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
        pages = _pdf_pages(data)
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
    from pdfminer.high_level import extract_pages
    from pdfminer.layout import LAParams

    pages: list[tuple[list[_Line], float]] = []
    for page in extract_pages(io.BytesIO(data), password="", laparams=LAParams(all_texts=True)):
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
_CHROME_LINE = re.compile(
    r"[\s【\[（(]*(?:"
    r"(?:信息索引号|索引号|发布机构|发文机关|发布日期|发布时间|成文日期|来源|文章来源|信息来源|浏览量"
    r"|浏览次数|阅读次数|阅读量|点击数|点击量|访问量|主题分类|责任编辑|字号|字体|当前位置|您当前的位置"
    r"|您现在的位置|上一篇|下一篇)\s*[：:\t]"
    r"|(?:分享到|分享|打印本页|打印|关闭窗口|关闭|收藏|返回顶部)(?=[\s】\]）)|｜：:/]|$)"
    r"|扫一扫|大\s*中\s*小\s*[】\]]|.*(?:版权所有|ICP备))"
)
_TITLE_WORDS = re.compile(r"关于|通报|方案|情况|意见|公告|通知|报告|整改|公示")
_HTML_WS = re.compile(r"[ \t\n\r\f]+")
_CHARSET = re.compile(rb"""<meta[^>]*charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.I)
_GBK_NAMES = {"gb2312", "gbk", "x-gbk", "cp936", "gb_2312-80", "csgb2312", "euc-cn"}


def _cjk(el: etree._Element) -> int:
    return len(_CJK.findall(el.text_content()))  # type: ignore[attr-defined]


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
    lines = [ln for ln in walker.lines if not _is_chrome_line(ln)]
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
        return _HTML_WS.sub(" ", el.text_content()).strip()  # type: ignore[attr-defined]

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
    return named and _TITLE_WORDS.search(el.text_content()) is not None  # type: ignore[attr-defined]


def _is_chrome_line(line: str) -> bool:
    text = line.strip()
    limit = 120 if "\t" in text else 60  # metadata tables put several fields on one row
    return len(text) <= limit and _CHROME_LINE.match(text) is not None


def _html_int(value: str | None) -> int:
    try:
        return max(1, min(int(value or 1), 100))
    except ValueError:
        return 1


def _html_table(table: etree._Element) -> list[str] | None:
    """Rows of a data table; None for a one-column (layout) table."""
    rows: list[list[str]] = []
    pending: dict[int, int] = {}  # column -> rows still covered by a rowspan above
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
        _fill_spanned(cells, pending)
        rows.append(cells)
    width = max((len(r) for r in rows), default=0)
    if width <= 1:
        return None
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
