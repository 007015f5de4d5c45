"""Evidence files: checked, hashed and stored under a generated name.

A file is streamed to a temporary name, checked (size, sniffed type), then
renamed into place; a refused or failed upload leaves nothing behind.
"""

from __future__ import annotations

import hashlib
import os
import uuid
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
            return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
        if ext == ".xlsx":
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return None
    if ext == ".txt" and b"\x00" not in head:
        try:
            head.decode("utf-8")
        except UnicodeDecodeError:
            try:
                head.decode("gb18030")
            except UnicodeDecodeError:
                return None
        return "text/plain"
    return None


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
    return base.strip(" .")[:200] or "未命名文件"


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
        os.replace(tmp, final)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return StoredFile(storage_name, digest.hexdigest(), size, content_type, original)


def discard(stored: list[StoredFile]) -> None:
    """Remove files stored for a change that then failed."""
    for s in stored:
        evidence_path(s.storage_name).unlink(missing_ok=True)
