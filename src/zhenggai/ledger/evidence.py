"""Evidence files: checked, hashed and stored under a generated name.

A file is streamed to a temporary name, checked (size, sniffed type), then
renamed into place; a refused or failed upload leaves nothing behind.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import uuid
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from django.conf import settings

from .errors import InvalidInput

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


def _is_ooxml(path: Path, content_type: str) -> bool:
    """Whether the stored zip is really a package of that kind (its central directory only)."""
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist())
    except (zipfile.BadZipFile, OSError, EOFError):
        return False
    return "[Content_Types].xml" in names and _OOXML_MAIN_PART[content_type] in names


@dataclass(frozen=True, slots=True)
class StoredFile:
    storage_name: str
    sha256: str
    size: int
    content_type: str
    original_name: str


def clean_name(name: str) -> str:
    """The user's file name as harmless data: no path, no control characters."""
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable() and ch not in '<>:"|?*')
    base = base.strip(" .")
    if len(base) > 200:  # shorten the stem, keep the extension the type check relies on
        stem, dot, ext = base.rpartition(".")
        base = stem[: 200 - len(ext) - 1] + dot + ext if dot and len(ext) <= 10 else base[:200]
    return base or "未命名文件"


def evidence_path(storage_name: str) -> Path:
    return Path(settings.EVIDENCE_DIR) / storage_name[:2] / storage_name


def store(stream: BinaryIO, name: str) -> StoredFile:
    """Check and store one uploaded file; raise InvalidInput (nothing written) if refused."""
    limit = settings.EVIDENCE_MAX_BYTES
    original = clean_name(name)
    storage_name = uuid.uuid4().hex
    final = evidence_path(storage_name)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = final.with_name(final.name + ".part")
    digest = hashlib.sha256()
    size = 0
    head = b""
    try:
        with open(tmp, "wb") as out:
            while True:
                chunk = stream.read(1024 * 1024)
                if not chunk:
                    break
                if len(head) < 2048:
                    head += chunk[: 2048 - len(head)]
                size += len(chunk)
                if size > limit:
                    raise InvalidInput(
                        f"文件“{original}”超过大小限制（最大 {limit // (1024 * 1024)} MB）", field="files"
                    )
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        if size == 0:
            raise InvalidInput(f"文件“{original}”是空文件", field="files")
        content_type = sniff(head, original)
        if content_type is None:
            raise InvalidInput(
                f"文件“{original}”的类型不被接受：只接受 PDF、JPG、PNG、DOCX、XLSX、TXT 文件", field="files"
            )
        if Path(original).suffix.lower() not in _TYPES[content_type]:
            raise InvalidInput(f"文件“{original}”的扩展名与内容不符", field="files")
        if content_type in _OOXML_MAIN_PART and not _is_ooxml(tmp, content_type):
            kind = Path(original).suffix.upper()[1:]
            raise InvalidInput(f"文件“{original}”的类型不被接受：不是有效的 {kind} 文件", field="files")
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StoredFile(storage_name, digest.hexdigest(), size, content_type, original)


def discard(stored: list[StoredFile]) -> None:
    """Remove files stored for a change that then failed."""
    for s in stored:
        evidence_path(s.storage_name).unlink(missing_ok=True)
