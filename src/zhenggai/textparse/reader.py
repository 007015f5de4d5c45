"""Read a document file (txt, docx, xlsx, pdf, html, ofd; doc, wps, rtf) into one decoded text.

The text follows a fixed contract, because the outline parser reports spans
into it: ``\\n`` newlines only, one paragraph per line, a table as one line per
row with cells joined by ``\\t`` and a blank line around it, no BOM, and
characters kept exactly as written (no width or script folding).

Every failure on bad input is a :class:`ReadError` whose message is one line of
Chinese saying what is wrong and with which file. Nothing here imports Django.

.doc, .wps and .rtf are converted to .docx by LibreOffice (``_office``), run as a
separate program; OFD, the fixed-layout format of official documents, is read here
(``_ofd``) from its text layer. An Excel workbook (``_xlsx``) gives the sheets that hold a
plan's table, each written like a Word table.
"""

from __future__ import annotations

import codecs
import hashlib
import io
import itertools
import logging
import os
import re
import sys
import zipfile
import zlib
from dataclasses import dataclass
from typing import Literal

from lxml import etree

from . import _office
from ._base import (
    _BOMS,
    MAX_CHARS,
    MAX_EXPANDED_BYTES,
    MAX_LINES,
    MAX_PART_BYTES,
    MAX_TABLE_CELLS,
    MAX_ZIP_ENTRIES,
    MAX_ZIP_RATIO,
    MB,
    LimitExceeded,
    ReadError,
    Tally,
    _fail,
    too_expanded,
    too_many_cells,
    too_many_chars,
    too_many_lines,
)
from ._html import _read_html
from ._ofd import _read_ofd
from ._pdf import _read_pdf
from ._xlsx import read_xlsx

# pdfminer warns through logging about every oddity of a PDF; without this, an
# application that configured no logging would get them all on stderr.
__all__ = ["MAX_BYTES", "Document", "ReadError", "read_bytes", "read_path"]

logging.getLogger("pdfminer").addHandler(logging.NullHandler())

Format = Literal["txt", "docx", "xlsx", "pdf", "html", "ofd", "doc", "wps", "rtf"]

#: Inputs larger than this are refused before any parsing.
MAX_BYTES = 50 * 1024 * 1024

_NOT_A_DOCUMENT = "不是可识别的文档（txt、doc、docx、wps、rtf、pdf、ofd、html）或 Excel 表格（xlsx）"
_DOCX_EXTS = {".docx", ".docm", ".dotx"}
_XLSX_EXTS = {".xlsx", ".xlsm", ".xltx"}
_HTML_EXTS = {".html", ".htm", ".shtml", ".xhtml", ".mht", ".asp", ".aspx", ".jsp", ".php"}


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


def read_bytes(data: bytes, name: str, *, convert_seconds: float | None = None) -> Document:
    """Decode ``data`` (the whole file) named ``name`` into a :class:`Document`.

    The format is sniffed by content first (PDF header, docx or OFD zip, OLE2
    container, RTF, HTML tags), then by the extension of ``name``; anything else
    is read as text. A .doc, .wps or .rtf is converted by LibreOffice within
    ``convert_seconds`` (default ``_office.TIMEOUT_SECONDS``).
    """
    if len(data) > MAX_BYTES:
        raise _fail(name, _too_big(len(data)))
    if not data.strip():
        raise _fail(name, "文件为空")
    fmt = _sniff(data, name)
    if fmt in ("doc", "wps", "rtf"):
        seconds = _office.TIMEOUT_SECONDS if convert_seconds is None else convert_seconds
        data_read = _office.to_docx(data, name, f".{fmt}", seconds=seconds)
        if _sniff_zip(data_read, name, ".docx") != "docx":  # the limits of a .docx apply to it
            raise _fail(name, "LibreOffice 转换的结果不是 docx 文件")
    else:
        data_read = data
    read = {
        "pdf": _read_pdf,
        "docx": _read_docx,
        "xlsx": read_xlsx,
        "html": _read_html,
        "txt": _read_txt,
        "ofd": _read_ofd,
        "doc": _read_docx,
        "wps": _read_docx,
        "rtf": _read_docx,
    }[fmt]
    try:
        text = _normalise(read(data_read, name))
    except RecursionError:  # walkers recurse over the element tree
        raise _fail(name, "文档结构嵌套过深，无法读取") from None
    except LimitExceeded as exc:
        raise _fail(name, exc.reason) from None
    # Every reader stops early when it can; this is the bound for all of them.
    if len(text) > MAX_CHARS:
        raise _fail(name, too_many_chars())
    if text.count("\n") >= MAX_LINES:
        raise _fail(name, too_many_lines())
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
        return _sniff_ole(data, name, ext)
    if b"%PDF-" in data[:1024]:
        return "pdf"
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _sniff_zip(data, name, ext)
    if data.startswith(_IMAGES):
        raise _fail(name, f"这是图片文件，{_NOT_A_DOCUMENT}，扫描件请先进行文字识别（OCR）")
    if data.lstrip().startswith(b"{\\rtf"):
        return "rtf"  # many a ".doc" offered for download on a web site is RTF
    if _looks_like_html(data):
        return "html"
    if ext in _DOCX_EXTS:
        raise _fail(name, "文件已损坏或不是 docx 格式")
    if ext == ".pdf":
        raise _fail(name, "文件已损坏或不是 PDF 格式")
    if ext in _XLSX_EXTS:
        raise _fail(name, "文件已损坏或不是 Excel 表格（.xlsx）格式")
    if ext in _WORD_EXTS:
        raise _fail(name, "文件已损坏或不是 Word 格式")
    if ext in (".wps", ".wpt"):
        raise _fail(name, "文件已损坏或不是 WPS 文字格式")
    if ext == ".ofd":
        raise _fail(name, "文件已损坏或不是 OFD 格式")
    return "html" if ext in _HTML_EXTS else "txt"


_WORD_EXTS = {".doc", ".dot"}
_SAVE_AS = "请在 Word 或 WPS 中另存为 .docx 后再导入"


def _sniff_ole(data: bytes, name: str, ext: str) -> Format:
    """An OLE2 compound file: a .doc or .wps for LibreOffice, or a refusal saying what it is."""
    kind = _office.ole_kind(data)
    if ext in _XLSX_EXTS and (kind == "encrypted" or "EncryptedPackage".encode("utf-16-le") in data):
        raise _fail(name, "表格设置了打开密码，请在 Excel 或 WPS 中取消密码后另存为 .xlsx 再导入")
    if kind in ("encrypted", "word-encrypted") or (
        ext in _DOCX_EXTS and "EncryptedPackage".encode("utf-16-le") in data
    ):
        # Word stores a password-protected .docx in an OLE2 container too.
        raise _fail(name, "文档设置了打开密码，请在 Word 中取消密码后另存为 .docx 再导入")
    if kind == "word":
        return "wps" if ext in (".wps", ".wpt") else "doc"
    if kind == "works":
        return "wps"
    if kind == "excel":
        raise _fail(name, "这是旧版 Excel 表格（.xls），请在 Excel 或 WPS 中另存为 .xlsx 或 .docx 后再导入")
    if kind == "powerpoint":
        raise _fail(name, f"这是演示文稿（.ppt），不是可导入的文档，{_SAVE_AS}")
    if kind == "damaged":
        raise _fail(name, f"文件已损坏（Office 文件结构不完整），{_SAVE_AS}")
    raise _fail(name, f"这是不支持的旧版 Office 格式，{_SAVE_AS}")


_OTHER_ZIPS = {"ppt/presentation.xml": "演示文稿"}


def _zip_bomb(infos: list[zipfile.ZipInfo]) -> str | None:
    """Why this package must not be opened, judged on its directory before anything is
    inflated (python-docx reads every part into memory), or None.

    zipfile never yields more than an entry declares, so the declared sizes are a bound."""
    if len(infos) > MAX_ZIP_ENTRIES:
        return f"文档包含的部件超过 {MAX_ZIP_ENTRIES} 个，拒绝读取"
    total = 0
    for info in infos:
        if info.file_size > MAX_PART_BYTES:
            return too_expanded(MAX_PART_BYTES)
        total += info.file_size
        if total > MAX_EXPANDED_BYTES:
            return too_expanded(MAX_EXPANDED_BYTES)
        if info.file_size > MB and info.file_size > MAX_ZIP_RATIO * max(info.compress_size, 1):
            return "文档压缩比异常（疑似压缩炸弹），拒绝读取"
    return None


def _sniff_zip(data: bytes, name: str, ext: str) -> Format:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            entries = zf.infolist()
            infos = {info.filename: info for info in entries}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        if ext in _DOCX_EXTS or not ext:
            reason = "docx 文件已损坏或不完整（可能未下载完），请用 Word 打开后重新保存"
            raise _fail(name, reason) from None
        if ext == ".ofd":
            raise _fail(name, "OFD 文件已损坏或不完整（可能未下载完），请重新获取文件") from None
        if ext in _XLSX_EXTS:
            raise _fail(
                name, "xlsx 文件已损坏或不完整（可能未下载完），请用 Excel 或 WPS 打开后重新保存"
            ) from None
        raise _fail(name, f"压缩包已损坏，{_NOT_A_DOCUMENT}") from None
    main = infos.get("word/document.xml")
    if main is not None:
        if bomb := _zip_bomb(entries):
            raise _fail(name, bomb)
        return "docx"
    if "xl/workbook.xml" in infos or (ext in _XLSX_EXTS and "[Content_Types].xml" in infos):
        if bomb := _zip_bomb(entries):
            raise _fail(name, bomb)
        return "xlsx"
    if "OFD.xml" in infos or (ext == ".ofd" and any(n.lower() == "ofd.xml" for n in infos)):
        if bomb := _zip_bomb(entries):
            raise _fail(name, bomb)
        return "ofd"
    for part, what in _OTHER_ZIPS.items():
        if part in infos:
            raise _fail(name, f"暂不支持{what}，请将内容另存为 .docx 后再导入")
    if ext in _DOCX_EXTS:
        raise _fail(name, "docx 文件已损坏：缺少正文部分（word/document.xml）")
    if ext == ".ofd":
        raise _fail(name, "不是 OFD 文件：压缩包中没有 OFD.xml（OFD 文件的入口）")
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

_CONTROL_BYTES = bytes(c for c in range(32) if c not in (9, 10, 11, 12, 13, 27)) + b"\x7f"


def _is_binary(text_or_bytes: bytes | str) -> bool:
    sample = text_or_bytes[:65536]
    if isinstance(sample, str):
        sample = sample.encode("utf-8", "replace")
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return b"\x00" in sample or controls > 0.05 * len(sample)


def _read_txt(data: bytes, name: str) -> str:
    if len(data) > 4 * (MAX_CHARS + 1):  # no encoding takes more than 4 bytes a character
        raise LimitExceeded(too_many_chars())
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
    _docx_blocks(body, lines, Tally())
    return "\n".join(lines)


def _docx_blocks(parent: etree._Element, out: list[str], tally: Tally) -> None:
    for child in parent:
        if child.tag == _W + "p":
            text = _docx_paragraph(child)
            tally.add(text)
            out.append(text)
        elif child.tag == _W + "tbl":
            out.extend(["", *_docx_table(child, tally), ""])
        elif child.tag in _WRAPPERS:
            _docx_blocks(child, out, tally)


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


def _docx_table(tbl: etree._Element, tally: Tally) -> list[str]:
    grid = sum(1 for _ in itertools.islice(tbl.iterfind(f"{_W}tblGrid/{_W}gridCol"), MAX_TABLE_CELLS + 1))
    rows: list[list[str]] = []
    cells_seen = 0  # every row is padded to the widest, so each counts at least the grid
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
            if len(cells) > MAX_TABLE_CELLS:
                raise LimitExceeded(too_many_cells())
        cells.extend([""] * _w_int(tr_pr, "gridAfter", 0))
        rows.append(cells)
        cells_seen += max(grid, len(cells))
        if cells_seen > MAX_TABLE_CELLS:
            raise LimitExceeded(too_many_cells())
    width = max([grid, *(len(r) for r in rows)])
    if width * len(rows) > MAX_TABLE_CELLS:
        raise LimitExceeded(too_many_cells())
    out = ["\t".join(r + [""] * (width - len(r))) for r in rows]
    for line in out:
        tally.add(line)
    return out


class _Uncounted(Tally):
    """A cell's text is counted once, in its row's line, not paragraph by paragraph too."""

    def add(self, text: str, lines: int = 1) -> None:
        return None


def _docx_cell_text(tc: etree._Element) -> str:
    # Read the cell like a body (a nested table gives tab-joined rows), then
    # flatten: every paragraph, row and nested cell becomes one space-separated run.
    lines: list[str] = []
    _docx_blocks(tc, lines, _Uncounted())
    return " ".join(p.strip() for ln in lines for p in re.split(r"[\t\n]", ln) if p.strip())
