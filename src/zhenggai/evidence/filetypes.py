"""What an evidence file is: its type sniffed from its first bytes, the structure of a zip-based
document checked before any part is read, and the user's file name made harmless.

What a file says about itself (its name, the browser's content type) is data, not trusted.
"""

from __future__ import annotations

import codecs
import re
import zipfile
from pathlib import Path

from django.conf import settings

from zhenggai.errors import InvalidInput

# Sniffed type → allowed extensions. What the file says about itself (name,
# browser content type) is data, not trusted.
_TYPES: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "text/plain": (".txt",),
}


_DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
_XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# The part every package of that kind has: a zip merely named .docx is not a document.
_OOXML_MAIN_PART = {_DOCX: "word/document.xml", _XLSX: "xl/workbook.xml"}
# Parts that carry executable content: a macro project or ActiveX controls (a .docm in disguise).
_ACTIVE_PART = re.compile(r"(?:^|/)(?:vbaProject\.bin|vbaData\.xml|activeX/)", re.IGNORECASE)

# Markup a browser might render if it ever second-guessed "text/plain": refused as text.
_MARKUP = re.compile(rb"<\s*(?:!doctype|html|script|svg|\?xml|iframe|object|embed)\b", re.IGNORECASE)


def _decodes(head: bytes, encoding: str) -> bool:
    # The head is cut at a fixed size, possibly inside a character: an incomplete
    # sequence at its very end is not an error.
    try:
        codecs.getincrementaldecoder(encoding)().decode(head, final=False)
    except UnicodeDecodeError:
        return False
    return True


def sniff(head: bytes, name: str) -> str | None:
    """The content type of a file from its first bytes, or None if not accepted."""
    ext = Path(name).suffix.lower()
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"PK\x03\x04"):
        if ext == ".docx":
            return _DOCX
        if ext == ".xlsx":
            return _XLSX
        return None
    text_like = ext == ".txt" and b"\x00" not in head and not _MARKUP.search(head)
    if text_like and (_decodes(head, "utf-8") or _decodes(head, "gb18030")):
        return "text/plain"
    return None


def _zip_limits() -> tuple[int, int, int]:
    return (
        int(getattr(settings, "EVIDENCE_ZIP_MAX_ENTRIES", 10_000)),
        int(getattr(settings, "EVIDENCE_ZIP_MAX_UNCOMPRESSED", 512 * 1024 * 1024)),
        int(getattr(settings, "EVIDENCE_ZIP_MAX_RATIO", 200)),
    )


def check_ooxml(path: Path, content_type: str) -> str | None:
    """Why a stored zip may not be accepted as a package of that kind, or None.

    Only the central directory is read: the entry count, the declared sizes (their
    total, and the ratio of each entry that expands past 1 MB) are checked before any
    part is decompressed, so a zip bomb is refused unopened. (A reader that trusts the
    declared size cannot be made to expand more: zipfile stops there and checks the CRC.)
    """
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError):
        return "invalid"
    max_entries, max_total, max_ratio = _zip_limits()
    if len(infos) > max_entries:
        return "too-many-entries"
    total = 0
    for info in infos:
        total += info.file_size
        if total > max_total:
            return "too-large"
        if info.file_size > 1024 * 1024 and info.file_size > max_ratio * max(info.compress_size, 1):
            return "ratio"
    names = {i.filename for i in infos}
    if "[Content_Types].xml" not in names or _OOXML_MAIN_PART[content_type] not in names:
        return "invalid"
    if any(_ACTIVE_PART.search(n) for n in names):
        return "active-content"
    return None


_ZIP_REFUSALS = {
    "invalid": "类型不被接受：不是有效的 {kind} 文件",
    "too-many-entries": "不被接受：压缩包内条目过多（疑似压缩炸弹）",
    "too-large": "不被接受：解压后体积过大（疑似压缩炸弹）",
    "ratio": "不被接受：压缩比异常（疑似压缩炸弹）",
    "active-content": "不被接受：含有宏或 ActiveX 控件",
}


def accepted_type(path: Path, head: bytes, name: str) -> str:
    """The content type of the (non-empty) file at ``path``, whose first bytes are ``head`` and
    whose cleaned name is ``name``; raise InvalidInput when it is not accepted."""
    content_type = sniff(head, name)
    if content_type is None:
        raise InvalidInput(
            f"文件“{name}”的类型不被接受：只接受 PDF、JPG、PNG、DOCX、XLSX、TXT 文件", field="files"
        )
    if Path(name).suffix.lower() not in _TYPES[content_type]:
        raise InvalidInput(f"文件“{name}”的扩展名与内容不符", field="files")
    if content_type in _OOXML_MAIN_PART:
        problem = check_ooxml(path, content_type)
        if problem is not None:
            kind = Path(name).suffix.upper()[1:]
            raise InvalidInput(f"文件“{name}”的" + _ZIP_REFUSALS[problem].format(kind=kind), field="files")
    return content_type


def clean_name(name: str) -> str:
    """The user's file name as harmless data: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    base = base.strip(" .")
    if len(base) > 200:  # shorten the stem, keep the extension the type check relies on
        stem, dot, ext = base.rpartition(".")
        base = stem[: 200 - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else base[:200]
    return base or "未命名文件"
