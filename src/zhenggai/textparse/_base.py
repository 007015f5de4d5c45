"""What every reader shares: the one-line error and the byte-order marks."""

from __future__ import annotations

import codecs


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


# Limits that keep one hostile file from taking the server's memory or time (issue 8,
# findings 2 and 3). They sit far above real documents: the seed notice is about 30,000
# characters, a large plan a few hundred thousand, its biggest table a few thousand cells.
MB = 1024 * 1024
#: Characters of decoded text in one document.
MAX_CHARS = 2_000_000
#: Lines (paragraphs and table rows) of decoded text in one document.
MAX_LINES = 40_000
#: Cells of one table, counted on its grid (rows x columns, merged cells included).
MAX_TABLE_CELLS = 200_000
#: Bytes of one part of a .docx (one XML part, one image) or one PDF stream once decompressed.
MAX_PART_BYTES = 32 * MB
#: Bytes of all parts of a .docx, or all streams of a PDF, once decompressed.
MAX_EXPANDED_BYTES = 128 * MB
#: Entries of a .docx package (Word writes a few dozen, a few hundred with many images).
MAX_ZIP_ENTRIES = 2_000
#: Expansion ratio of one zip entry past 1 MB; Word's XML deflates about 10:1.
MAX_ZIP_RATIO = 200


class LimitExceeded(Exception):
    """A limit above was crossed; ``reason`` is the Chinese sentence for the ReadError."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def too_expanded(limit: int) -> str:
    return f"文档内容解压后超过 {limit // MB} MB，拒绝读取"


def too_many_chars() -> str:
    return f"文档文字超过 {MAX_CHARS // 10000} 万字的上限，拒绝读取（请拆分后分别导入）"


def too_many_lines() -> str:
    return f"文档超过 {MAX_LINES // 10000} 万段（行）的上限，拒绝读取（请拆分后分别导入）"


def too_many_cells() -> str:
    return f"文档中的表格超过 {MAX_TABLE_CELLS // 10000} 万个单元格的上限，拒绝读取"


class Tally:
    """Characters and lines produced so far by a reader, refused as soon as one is too many."""

    __slots__ = ("chars", "lines")

    def __init__(self) -> None:
        self.chars = 0
        self.lines = 0

    def add(self, text: str, lines: int = 1) -> None:
        self.chars += len(text)
        self.lines += lines
        if self.chars > MAX_CHARS:
            raise LimitExceeded(too_many_chars())
        if self.lines > MAX_LINES:
            raise LimitExceeded(too_many_lines())


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
