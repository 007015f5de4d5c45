"""Hostile documents (bombs), built in memory: decompression bombs and inputs that cost parse time.

Shared by the limit tests (at sizes just past each limit) and ``bench/bench_hostile_imports.py``
(at the sizes of issue 8's attack). Raw zip and PDF writers, so that the declared sizes,
filters and object streams are exactly as asked and nothing is buffered whole.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator

_W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_CONTENT_TYPES = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    b'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    b'<Default Extension="xml" ContentType="application/xml"/>'
    b'<Override PartName="/word/document.xml" ContentType="application/'
    b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
    b"</Types>"
)
_RELS = (
    b'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    b'<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    b'relationships/officeDocument" Target="word/document.xml"/></Relationships>'
)
_BODY_OPEN = f'<?xml version="1.0" encoding="UTF-8"?><w:document xmlns:w="{_W_NS}"><w:body>'.encode()
_BODY_CLOSE = b"</w:body></w:document>"


def docx_from_body(chunks: Iterable[bytes], *, extra: dict[str, bytes] | None = None) -> bytes:
    """A minimal .docx whose ``w:body`` holds ``chunks``, streamed into the zip (never whole)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        with z.open("word/document.xml", "w", force_zip64=True) as part:
            part.write(_BODY_OPEN)
            for chunk in chunks:
                part.write(chunk)
            part.write(_BODY_CLOSE)
        for name, data in (extra or {}).items():
            z.writestr(name, data)
    return out.getvalue()


def _repeat(unit: bytes, total: int) -> Iterator[bytes]:
    block = unit * max(1, (1 << 20) // len(unit))
    written = 0
    while written < total:
        yield block
        written += len(block)


def paragraph(text: str) -> bytes:
    return f"<w:p><w:r><w:t>{text}</w:t></w:r></w:p>".encode()


def docx_bomb(expanded: int) -> bytes:
    """A .docx whose document part expands to about ``expanded`` bytes (issue 8: 450 MB in 1.5 MB)."""
    return docx_from_body([paragraph("一、问题清单"), *_repeat(paragraph("整改"), expanded)])


def docx_wide_table(rows: int, span: int) -> bytes:
    """One table of ``rows`` rows, each a single cell spanning ``span`` grid columns (4.4 KB)."""
    row = (
        f'<w:tr><w:tc><w:tcPr><w:gridSpan w:val="{span}"/></w:tcPr><w:p><w:r><w:t>x</w:t></w:r></w:p>'
        "</w:tc></w:tr>"
    ).encode()
    return docx_from_body([b"<w:tbl>", row * rows, b"</w:tbl>"])


def docx_wide_grid(columns: int, rows: int) -> bytes:
    """A table that declares ``columns`` grid columns: every row is padded to that width."""
    grid = b"<w:tblGrid>" + b"<w:gridCol/>" * columns + b"</w:tblGrid>"
    row = b"<w:tr><w:tc><w:p><w:r><w:t>x</w:t></w:r></w:p></w:tc></w:tr>"
    return docx_from_body([b"<w:tbl>", grid, row * rows, b"</w:tbl>"])


def docx_many_entries(entries: int) -> bytes:
    return docx_from_body([paragraph("正文")], extra={f"word/media/p{i}.bin": b"" for i in range(entries)})


def html_wide_table(rows: int, colspan: int = 100) -> bytes:
    row = f'<tr><td colspan="{colspan}">x</td><td>y</td></tr>'
    return ("<html><body><div class='content'><table>" + row * rows + "</table></div></body></html>").encode()


def numbered_items(count: int) -> bytes:
    """``count`` numbered lines, as a plain text file (issue 8: 50,000 took 12 s)."""
    return "\n".join(f"{i}.第{i}项问题：整改不到位" for i in range(1, count + 1)).encode()


def big_text(size: int) -> bytes:
    """About ``size`` bytes of ordinary Chinese prose in a text file."""
    line = "一、关于落实整改主体责任方面的问题。针对问题，制定整改措施，明确责任人和完成时限。\n".encode()
    return line * max(1, size // len(line))


# --------------------------------------------------------------------------- pdf


def _pdf(objects: list[bytes], *, root: int = 1) -> bytes:
    """A PDF with these objects (numbered from 1), a classic xref table and trailer."""
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for i, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(f"{i} 0 obj\n".encode() + body + b"\nendobj\n")
    xref = out.tell()
    out.write(f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode())
    for off in offsets:
        out.write(f"{off:010d} 00000 n \n".encode())
    out.write(
        f"trailer\n<< /Size {len(objects) + 1} /Root {root} 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out.getvalue()


def _stream(data: bytes, extra: bytes = b"") -> bytes:
    return b"<< /Length %d %s >>\nstream\n" % (len(data), extra) + data + b"\nendstream"


def _deflate_repeated(unit: bytes, total: int) -> bytes:
    comp = zlib.compressobj(9)
    parts = [comp.compress(chunk) for chunk in _repeat(unit, total)]
    parts.append(comp.flush())
    return b"".join(parts)


def pdf_bomb(expanded: int) -> bytes:
    """A one-page PDF whose content stream inflates to ``expanded`` bytes (issue 8: 2 GB in 2 MB)."""
    content = _deflate_repeated(b" ", expanded)
    return _pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R >>",
            _stream(content, b"/Filter /FlateDecode"),
        ]
    )


JS_ACTION = b"<< /Type /Action /S /JavaScript /JS (app.alert\\('x'\\)) >>"


def pdf_with_object_stream(action: bytes = JS_ACTION, *, padding: int = 0) -> bytes:
    """A PDF whose catalog and ``/OpenAction`` (``action``) live only inside a FlateDecode
    object stream, found through a compressed cross-reference stream: the file's own bytes
    never spell them. ``padding`` blank bytes inflate the object stream (a bomb)."""
    # Object 1, the catalog, and object 3, the action, live in the object stream 4.
    catalog = b"<< /Type /Catalog /Pages 2 0 R /OpenAction 3 0 R >>"
    header = b"1 0 3 %d " % len(catalog)
    first = len(header)
    comp = zlib.compressobj(9)
    objstm = comp.compress(header + catalog + action)
    objstm += b"".join(comp.compress(chunk) for chunk in _repeat(b" ", padding)) if padding else b""
    objstm += comp.flush()
    pages = b"<< /Type /Pages /Kids [] /Count 0 >>"
    body = _stream(objstm, b"/Type /ObjStm /N 2 /First %d /Filter /FlateDecode" % first)
    # A cross-reference stream (PDF 1.5) that says objects 1 and 3 are compressed in 4.
    out = io.BytesIO()
    out.write(b"%PDF-1.5\n%\xe2\xe3\xcf\xd3\n")
    off2 = out.tell()
    out.write(b"2 0 obj\n" + pages + b"\nendobj\n")
    off4 = out.tell()
    out.write(b"4 0 obj\n" + body + b"\nendobj\n")
    off5 = out.tell()
    rows = [
        (0, 0, 65535),
        (2, 4, 0),  # 1: in stream 4, index 0
        (1, off2, 0),
        (2, 4, 1),  # 3: in stream 4, index 1
        (1, off4, 0),
        (1, off5, 0),
    ]
    xref = b"".join(bytes([t]) + f2.to_bytes(4, "big") + f3.to_bytes(2, "big") for t, f2, f3 in rows)
    xref_z = zlib.compress(xref)
    out.write(
        b"5 0 obj\n"
        + _stream(xref_z, b"/Type /XRef /Size 6 /W [1 4 2] /Root 1 0 R /Filter /FlateDecode")
        + b"\nendobj\n"
    )
    out.write(b"startxref\n%d\n%%%%EOF\n" % off5)
    return out.getvalue()
