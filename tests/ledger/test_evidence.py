"""Evidence files: what is accepted, how it is stored, and that nothing is left behind by a refusal."""

from __future__ import annotations

import hashlib
import io
import struct
import zipfile
import zlib
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from django.conf import settings

from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused
from zhenggai.evidence import store as evidence
from zhenggai.ledger import services
from zhenggai.ledger.models import Evidence, MeasureStatus, Progress


@pytest.fixture(autouse=True)
def _fast_passwords(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# --- sample files (real formats, made here) -----------------------------------------------------


def png_bytes() -> bytes:
    """A valid 1×1 PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    # Pillow comes with reportlab (a dev dependency).
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


def pdf_bytes() -> bytes:
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    c = canvas.Canvas(out)
    c.drawString(72, 720, "meeting minutes")
    c.save()
    return out.getvalue()


def docx_bytes() -> bytes:
    import docx

    out = io.BytesIO()
    d = docx.Document()
    d.add_paragraph("交管大队政治理论学习制度")
    d.save(out)
    return out.getvalue()


def xlsx_bytes() -> bytes:
    """A minimal spreadsheet package (the parts a reader needs)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(
            "[Content_Types].xml",
            (
                '<?xml version="1.0" encoding="UTF-8"?>'
                '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                '<Override PartName="/xl/workbook.xml" '
                'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
                "</Types>"
            ),
        )
        z.writestr("_rels/.rels", "<Relationships/>")
        z.writestr("xl/workbook.xml", "<workbook/>")
        z.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return out.getvalue()


def plain_zip(name: str = "setup.exe", data: bytes = b"MZ\x90\x00") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        z.writestr(name, data)
    return out.getvalue()


def files_left() -> list[Path]:
    root = Path(settings.EVIDENCE_DIR)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# --- accepted ----------------------------------------------------------------------------------

ACCEPTED = [
    ("会议记录.pdf", pdf_bytes, "application/pdf"),
    ("现场照片.PNG", png_bytes, "image/png"),
    ("现场照片.jpg", jpeg_bytes, "image/jpeg"),
    ("现场照片.jpeg", jpeg_bytes, "image/jpeg"),
    ("学习制度.docx", docx_bytes, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ("整改台账.xlsx", xlsx_bytes, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ("情况说明.txt", lambda: "整改情况说明：已完成。\n".encode(), "text/plain"),
    ("情况说明-gbk.txt", lambda: "整改情况说明：已完成。\n".encode("gb18030"), "text/plain"),
]


def sm3_hex(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


@pytest.mark.parametrize(("name", "make", "content_type"), ACCEPTED, ids=[a[0] for a in ACCEPTED])
def test_an_accepted_file_is_stored_under_its_sm3_digest_with_its_sha256_and_size(name, make, content_type):
    data = make()
    stored = evidence.store(io.BytesIO(data), name)
    assert stored.original_name == name
    assert stored.content_type == content_type
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert stored.size == len(data)
    assert (stored.algorithm, stored.storage_name) == ("sm3", sm3_hex(data))  # nothing of the user's name
    path = evidence.evidence_path(stored.storage_name)
    assert path == Path(settings.EVIDENCE_DIR) / stored.storage_name[:2] / stored.storage_name
    assert path.read_bytes() == data
    assert files_left() == [path]


def test_the_same_file_twice_is_stored_once_and_never_overwritten():
    data = pdf_bytes()
    a = evidence.store(io.BytesIO(data), "记录.pdf")
    mtime = evidence.evidence_path(a.storage_name).stat().st_mtime_ns
    b = evidence.store(io.BytesIO(data), "记录（副本）.pdf")
    assert a.storage_name == b.storage_name and a.sha256 == b.sha256
    assert (a.created, b.created) == (True, False)
    assert files_left() == [evidence.evidence_path(a.storage_name)]
    assert evidence.evidence_path(a.storage_name).stat().st_mtime_ns == mtime


def test_a_long_chinese_text_whose_first_two_kilobytes_end_inside_a_character_is_accepted():
    data = ("一" * 1000).encode()  # 3 bytes a character: byte 2048 falls inside one
    assert len(data) > 2048 and 2048 % 3
    assert evidence.store(io.BytesIO(data), "说明.txt").content_type == "text/plain"


def test_a_file_exactly_at_the_size_limit_is_accepted(settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    data = b"%PDF-1.4\n" + b"0" * 991
    assert evidence.store(io.BytesIO(data), "a.pdf").size == 1000


# --- refused, and nothing left ------------------------------------------------------------------

REFUSED = [
    ("空文件.pdf", b"", "空文件"),
    ("setup.exe", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "类型不被接受"),
    ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200, "类型不被接受"),
    ("page.html", b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>", "类型不被接受"),
    ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "类型不被接受"),
    (
        "page.txt",
        b"<!DOCTYPE html><html><body><script>alert(document.cookie)</script></body></html>",
        "类型不被接受",
    ),
    (
        "logo.txt",
        b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>',
        "类型不被接受",
    ),
    ("note.txt", "说明<script>alert(1)</script>".encode(), "类型不被接受"),
    ("binary.txt", b"abc\x00def", "类型不被接受"),
    ("photo.pdf", png_bytes(), "扩展名与内容不符"),
    ("report.png", b"%PDF-1.4\n%%EOF\n", "扩展名与内容不符"),
    ("report.jpg", png_bytes(), "扩展名与内容不符"),
    ("notes.txt", b"%PDF-1.4\n%%EOF\n", "扩展名与内容不符"),
    ("archive.zip", plain_zip(), "类型不被接受"),
    ("setup.docx", plain_zip(), "类型不被接受"),
    ("setup.xlsx", plain_zip("word/document.xml", b"<w/>"), "类型不被接受"),
    ("truncated.docx", b"PK\x03\x04" + b"\x00" * 100, "类型不被接受"),
    ("no-extension", b"%PDF-1.4\n", "扩展名与内容不符"),
]


@pytest.mark.parametrize(("name", "data", "message"), REFUSED, ids=[r[0] for r in REFUSED])
def test_a_refused_file_raises_a_readable_error_and_leaves_nothing_behind(name, data, message):
    with pytest.raises(InvalidInput, match=message) as err:
        evidence.store(io.BytesIO(data), name)
    assert err.value.field == "files"
    assert files_left() == []


def test_a_file_over_the_size_limit_is_refused_and_leaves_no_partial_file(settings):
    settings.EVIDENCE_MAX_BYTES = 1000
    with pytest.raises(InvalidInput, match="超过大小限制"):
        evidence.store(io.BytesIO(b"%PDF-1.4\n" + b"0" * 992), "big.pdf")
    assert files_left() == []


def test_a_large_upload_is_refused_as_soon_as_it_passes_the_limit(settings):
    settings.EVIDENCE_MAX_BYTES = 3 * 1024 * 1024

    class Endless(io.RawIOBase):
        read_bytes = 0

        def read(self, n: int = -1) -> bytes:
            self.read_bytes += n
            return b"%PDF" + b"0" * (n - 4)

    stream = Endless()
    with pytest.raises(InvalidInput, match="超过大小限制"):
        evidence.store(stream, "endless.pdf")  # type: ignore[arg-type]
    assert stream.read_bytes <= 5 * 1024 * 1024
    assert files_left() == []


def test_a_stream_that_breaks_midway_leaves_no_partial_file():
    class Broken(io.RawIOBase):
        calls = 0

        def read(self, n: int = -1) -> bytes:
            self.calls += 1
            if self.calls > 1:
                raise OSError("connection reset")
            return b"%PDF-1.4\n" + b"0" * 100

    with pytest.raises(OSError, match="connection reset"):
        evidence.store(Broken(), "a.pdf")  # type: ignore[arg-type]
    assert files_left() == []


# --- names are data ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("../../etc/passwd.txt", "passwd.txt"),
        ("..\\..\\windows\\system32\\会议记录.pdf", "会议记录.pdf"),
        ("/abs/path/会议.pdf", "会议.pdf"),
        ("a\x00b.txt", "ab.txt"),
        ("整改\n情况\r说明.txt", "整改情况说明.txt"),
        ("evil\u202efdp.txt", "evilfdp.txt"),
        ('a<b>c:d"e|f?g*.txt', "abcdefg.txt"),
        ("..", "未命名文件"),
        ("  .hidden.txt. ", "hidden.txt"),
        ("", "未命名文件"),
    ],
)
def test_a_file_name_is_reduced_to_a_harmless_base_name(given, kept):
    assert evidence.clean_name(given) == kept


def test_a_very_long_name_is_shortened_but_keeps_its_extension():
    name = "很长的文件名" * 60 + ".pdf"
    kept = evidence.clean_name(name)
    assert len(kept) <= 200
    assert kept.endswith(".pdf")
    stored = evidence.store(io.BytesIO(pdf_bytes()), name)
    assert stored.original_name == kept


@pytest.mark.parametrize(
    "name", ["../../escape.pdf", "..\\escape.pdf", "/tmp/escape.pdf", "a/../../b\x00.pdf"]
)
def test_a_name_with_a_path_cannot_place_the_file_outside_the_evidence_folder(name, tmp_path):
    stored = evidence.store(io.BytesIO(pdf_bytes()), name)
    (path,) = files_left()
    assert path == evidence.evidence_path(stored.storage_name)
    assert "/" not in stored.original_name and "\\" not in stored.original_name
    assert sorted(p.name for p in tmp_path.rglob("*.pdf")) == []


# --- through progress_add ----------------------------------------------------------------------


def test_progress_with_files_records_each_file_as_evidence(personas, assigned_measure):
    p = personas
    pdf, png = pdf_bytes(), png_bytes()
    progress = services.progress_add(
        actor=p.person,
        measure=assigned_measure,
        text="已制定学习计划",
        files=[(io.BytesIO(pdf), "学习计划.pdf"), (io.BytesIO(png), "../现场.png")],
    )
    rows = list(Evidence.objects.filter(progress=progress).order_by("pk"))
    assert [(e.original_name, e.size, e.sha256, e.content_type) for e in rows] == [
        ("学习计划.pdf", len(pdf), hashlib.sha256(pdf).hexdigest(), "application/pdf"),
        ("现场.png", len(png), hashlib.sha256(png).hexdigest(), "image/png"),
    ]
    assert {(e.measure_id, e.unit_id, e.uploaded_by_id) for e in rows} == {
        (assigned_measure.pk, p.unit_a.pk, p.person.pk)
    }
    assert files_left() == sorted(evidence.evidence_path(e.storage_name) for e in rows)
    assert [e.read_bytes() for e in (evidence.evidence_path(r.storage_name) for r in rows)] == [pdf, png]


def _nothing_recorded(measure: Any) -> None:
    measure.refresh_from_db()
    assert measure.status == MeasureStatus.NOT_STARTED
    assert Progress.objects.count() == 0
    assert Evidence.objects.count() == 0
    assert files_left() == []


def test_a_refused_second_file_removes_the_first_and_records_nothing(personas, assigned_measure):
    with pytest.raises(InvalidInput, match="类型不被接受"):
        services.progress_add(
            actor=personas.person,
            measure=assigned_measure,
            text="进展",
            files=[(io.BytesIO(pdf_bytes()), "ok.pdf"), (io.BytesIO(b"MZ\x90"), "virus.exe")],
        )
    _nothing_recorded(assigned_measure)


def test_when_the_database_part_fails_after_the_files_were_stored_the_files_are_removed(
    personas, assigned_measure, monkeypatch
):
    def broken_audit(**kwargs: Any) -> None:
        assert len(files_left()) == 2  # the files were stored when the database part failed
        raise RuntimeError("database unavailable")

    monkeypatch.setattr(services.tracking, "audit_record", broken_audit)
    with pytest.raises(RuntimeError, match="database unavailable"):
        services.progress_add(
            actor=personas.person,
            measure=assigned_measure,
            text="进展",
            files=[(io.BytesIO(pdf_bytes()), "a.pdf"), (io.BytesIO(png_bytes()), "b.png")],
        )
    _nothing_recorded(assigned_measure)


@pytest.mark.parametrize("who", ["outsider", "viewer", "person2"])
def test_a_user_who_may_not_report_progress_stores_no_file(personas, assigned_measure, who):
    with pytest.raises(NotAllowed):
        services.progress_add(
            actor=getattr(personas, who),
            measure=assigned_measure,
            text="进展",
            files=[(io.BytesIO(pdf_bytes()), "a.pdf")],
        )
    _nothing_recorded(assigned_measure)


def test_progress_on_a_measure_awaiting_review_stores_no_file(personas, assigned_measure):
    p = personas
    services.progress_add(actor=p.person, measure=assigned_measure, text="进展")
    services.measure_submit(actor=p.person, measure=assigned_measure)
    with pytest.raises(TransitionRefused):
        services.progress_add(
            actor=p.person, measure=assigned_measure, text="补充", files=[(io.BytesIO(pdf_bytes()), "a.pdf")]
        )
    assert Evidence.objects.count() == 0
    assert files_left() == []
