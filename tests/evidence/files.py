"""Files for the evidence tests, made here: good ones, and the corpus of bad ones."""

from __future__ import annotations

import io
import os
import zipfile
from pathlib import Path

from cryptography.hazmat.primitives import hashes
from django.conf import settings

from tests.ledger.test_evidence import docx_bytes, pdf_bytes, png_bytes
from zhenggai.evidence.scanning import EICAR

__all__ = ["EICAR", "docx_bytes", "pdf_bytes", "png_bytes"]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
_CT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>'
)


def sm3_hex(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def ooxml(
    extra: dict[str, bytes] | None = None, *, entries: int = 0, main: str = "word/document.xml"
) -> bytes:
    """A minimal .docx-shaped package, with extra parts (or many empty ones)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CT)
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr(main, "<w:document/>")
        for name, data in (extra or {}).items():
            z.writestr(name, data)
        for i in range(entries):
            z.writestr(f"word/media/e{i}.xml", b"")
    return out.getvalue()


def zip_bomb_ratio() -> bytes:
    """64 MB of zeros in one part: compresses about 1000:1."""
    return ooxml({"word/media/zeros.bin": b"\0" * (64 * 1024 * 1024)})


def zip_bomb_entries() -> bytes:
    """More entries than any document has (the default limit is 10 000)."""
    return ooxml(entries=10_001)


def zip_bomb_total() -> bytes:
    """Incompressible parts adding up past the (lowered) total limit: ratio 1, total too big."""
    return ooxml({f"word/media/r{i}.bin": os.urandom(300 * 1024) for i in range(5)})


def macro_docx() -> bytes:
    return ooxml({"word/vbaProject.bin": b"\xd0\xcf\x11\xe0macro"})


def eicar_docx() -> bytes:
    return ooxml({"word/media/readme.txt": EICAR})


def pdf_with(action: bytes) -> bytes:
    return PDF.replace(b"/Type /Catalog", b"/Type /Catalog /OpenAction << /S " + action + b" >>")


def jpeg_html_polyglot() -> bytes:
    return b"\xff\xd8\xff\xe0\x00\x10JFIF\x00<html><script>alert(document.cookie)</script></html>\xff\xd9"


# (id, file name, bytes, what happens): "refused: <message part>" or "neutralised: <stored name>".
# The zip bombs are made on demand (they cost a little to build).
CORPUS: list[tuple[str, str, object, str]] = [
    ("oversize", "大文件.pdf", lambda: PDF + b"0" * 3000, "refused:超过大小限制"),
    ("empty", "空.pdf", b"", "refused:空文件"),
    ("exe-as-pdf", "会议记录.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\0" * 64, "refused:类型不被接受"),
    ("pdf-as-png", "照片.png", PDF, "refused:扩展名与内容不符"),
    ("html-as-jpg", "照片.jpg", b"<html><script>alert(1)</script></html>", "refused:类型不被接受"),
    ("zip-as-docx", "制度.docx", b"PK\x03\x04" + b"\0" * 60, "refused:类型不被接受"),
    (
        "svg-script",
        "logo.svg",
        b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
        "refused:类型不被接受",
    ),
    (
        "svg-as-txt",
        "logo.txt",
        b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "refused:类型不被接受",
    ),
    ("html-script", "page.html", b"<!DOCTYPE html><script>alert(1)</script>", "refused:类型不被接受"),
    ("html-as-txt", "说明.txt", "说明<script>alert(1)</script>".encode(), "refused:类型不被接受"),
    ("zip-bomb-ratio", "整改方案.docx", zip_bomb_ratio, "refused:压缩比异常"),
    ("zip-bomb-entries", "整改方案.docx", zip_bomb_entries, "refused:条目过多"),
    ("zip-bomb-total", "整改方案.docx", zip_bomb_total, "refused:解压后体积过大"),
    ("macro-docx", "整改方案.docx", macro_docx, "refused:宏"),
    ("eicar-txt", "说明.txt", EICAR, "refused:EICAR"),
    ("eicar-in-pdf", "会议记录.pdf", PDF + EICAR, "refused:EICAR"),
    ("eicar-in-docx", "整改方案.docx", eicar_docx, "refused:EICAR"),
    (
        "pdf-javascript",
        "会议记录.pdf",
        lambda: pdf_with(b"/JavaScript /JS (app.alert(1))"),
        "refused:JavaScript",
    ),
    (
        "pdf-javascript-escaped",
        "会议记录.pdf",
        lambda: pdf_with(b"/Java#53cript /JS (x)"),
        "refused:JavaScript",
    ),
    ("pdf-launch", "会议记录.pdf", lambda: pdf_with(b"/Launch /F (cmd.exe)"), "refused:Launch"),
    ("dotdot-name", "../../../etc/会议记录.pdf", PDF, "neutralised:会议记录.pdf"),
    ("backslash-name", "..\\..\\windows\\会议记录.pdf", PDF, "neutralised:会议记录.pdf"),
    ("nul-name", "会议\x00记录.pdf", PDF, "neutralised:会议记录.pdf"),
    ("newline-name", "会议\r\n记录.pdf", PDF, "neutralised:会议记录.pdf"),
    ("jpeg-html-polyglot", "现场.jpg", jpeg_html_polyglot, "neutralised:现场.jpg"),
]


def corpus_bytes(make: object) -> bytes:
    return make() if callable(make) else make  # type: ignore[return-value]


def corpus_settings(case: str, s: object) -> None:
    """The limits a case runs under (small ones, so the test files stay small)."""
    if case == "oversize":
        s.EVIDENCE_MAX_BYTES = 2000  # type: ignore[attr-defined]
    if case == "zip-bomb-total":
        s.EVIDENCE_ZIP_MAX_UNCOMPRESSED = 1024 * 1024  # type: ignore[attr-defined]


def _public_roots() -> list[Path]:
    roots = [Path(settings.STATIC_ROOT)]
    for d in settings.STATICFILES_DIRS:
        roots.append(Path(d[1] if isinstance(d, tuple | list) else d))
    if getattr(settings, "MEDIA_ROOT", ""):
        roots.append(Path(settings.MEDIA_ROOT))
    return roots


def copies_outside_evidence(data: bytes) -> list[Path]:
    """Files with these bytes anywhere the web server serves, or in the data dir outside EVIDENCE_DIR."""
    if not data:
        return []
    evidence = Path(settings.EVIDENCE_DIR)
    found = []
    for root in [*_public_roots(), Path(settings.DATA_DIR)]:
        if not root.exists():
            continue
        for p in root.rglob("*"):
            same_size = p.is_file() and p.stat().st_size == len(data)
            if same_size and not p.is_relative_to(evidence) and p.read_bytes() == data:
                found.append(p)
    return found


def evidence_files() -> list[Path]:
    root = Path(settings.EVIDENCE_DIR)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []
