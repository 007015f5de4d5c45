"""The pluggable upload scanner (REQ-2.6): the built-in one, a custom one, and ClamAV's clamd
spoken to over INSTREAM — here a small fake clamd on 127.0.0.1 (or a Unix socket)."""

from __future__ import annotations

import io
import socket
import socketserver
import struct
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.evidence.files import EICAR, PDF, evidence_files
from zhenggai.errors import InvalidInput
from zhenggai.evidence import scanning
from zhenggai.evidence import store as evidence
from zhenggai.evidence.scanning import ClamdScanner, ScannerUnavailable, Verdict
from zhenggai.ledger import services
from zhenggai.ledger.models import Evidence


def test_the_eicar_test_file_is_the_published_68_bytes():
    assert len(EICAR) == 68
    assert EICAR.startswith(b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!")


def test_the_built_in_scanner_is_the_default_and_refuses_eicar():
    assert [type(s).__name__ for s in scanning.scanners()] == ["BuiltinScanner"]
    with pytest.raises(InvalidInput, match="未通过安全检查：检出病毒特征（EICAR"):
        evidence.store(io.BytesIO(EICAR), "说明.txt")
    assert evidence_files() == []


def test_eicar_across_a_chunk_border_is_still_found(tmp_path):
    data = b"%PDF-1.4\n" + b"0" * (64 * 1024 - 30) + EICAR + b"\n%%EOF\n"
    f = tmp_path / "a.pdf"
    f.write_bytes(data)
    verdict = scanning.BuiltinScanner().scan(f, name="a.pdf", content_type="application/pdf")
    assert not verdict.clean


def test_a_pdf_name_that_merely_starts_like_launch_is_not_refused(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(PDF.replace(b"/Type /Catalog", b"/Type /Catalog /Launcher (x) /JavaScripts (y)"))
    assert scanning.BuiltinScanner().scan(f, name="a.pdf", content_type="application/pdf").clean


class Refuses:
    """A custom scanner, named by EVIDENCE_SCANNER."""

    seen: list[str] = []  # noqa: RUF012

    def scan(self, path: Path, *, name: str, content_type: str) -> Verdict:
        Refuses.seen.append(name)
        data = path.read_bytes()
        return Verdict(b"forbidden" not in data, "含有禁用内容")


def test_the_scanner_is_pluggable_by_dotted_path(settings):
    settings.EVIDENCE_SCANNER = "tests.evidence.test_scanner.Refuses"
    evidence.store(io.BytesIO("可以。".encode()), "ok.txt")
    with pytest.raises(InvalidInput, match="未通过安全检查：含有禁用内容"):
        evidence.store(io.BytesIO(b"forbidden words"), "bad.txt")
    assert Refuses.seen[-2:] == ["ok.txt", "bad.txt"]
    assert len(evidence_files()) == 1


def test_scanners_run_in_order_and_a_list_is_accepted(settings):
    settings.EVIDENCE_SCANNER = [
        "zhenggai.evidence.scanning.BuiltinScanner",
        "tests.evidence.test_scanner.Refuses",
    ]
    assert [type(s).__name__ for s in scanning.scanners()] == ["BuiltinScanner", "Refuses"]


# --- a fake clamd ------------------------------------------------------------------------------------


class FakeClamd(socketserver.ThreadingMixIn, socketserver.BaseServer):
    daemon_threads = True
    # What each connection sent: (command, [chunk sizes], the bytes).
    received: list[tuple[bytes, list[int], bytes]]
    reply: bytes | None  # a fixed reply instead of scanning


class _Handler(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        server: Any = self.server
        command = b""
        while not command.endswith(b"\0"):
            c = self.rfile.read(1)
            if not c:
                return
            command += c
        sizes, data = [], b""
        if command == b"zINSTREAM\0":
            while True:
                (n,) = struct.unpack("!I", self.rfile.read(4))
                if n == 0:
                    break
                sizes.append(n)
                data += self.rfile.read(n)
        server.received.append((command, sizes, data))
        if server.reply is not None:
            self.wfile.write(server.reply)
        elif EICAR in data:
            self.wfile.write(b"stream: Eicar-Test-Signature FOUND\0")
        else:
            self.wfile.write(b"stream: OK\0")


class TCPClamd(FakeClamd, socketserver.TCPServer):
    pass


class UnixClamd(FakeClamd, socketserver.UnixStreamServer):
    pass


def _serve(server: Any) -> Iterator[Any]:
    server.received, server.reply = [], None
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def clamd() -> Iterator[Any]:
    yield from _serve(TCPClamd(("127.0.0.1", 0), _Handler))


@pytest.fixture
def clamd_unix(tmp_path) -> Iterator[Any]:
    yield from _serve(UnixClamd(str(tmp_path / "clamd.ctl"), _Handler))


def test_clamd_gets_the_file_in_instream_chunks_and_its_ok_lets_it_through(clamd, settings):
    settings.EVIDENCE_CLAMD = f"tcp://127.0.0.1:{clamd.server_address[1]}"
    data = b"%PDF-1.4\n" + b"0" * 200_000 + b"\n%%EOF\n"
    stored = evidence.store(io.BytesIO(data), "会议记录.pdf")
    assert [type(s).__name__ for s in scanning.scanners()] == ["BuiltinScanner", "ClamdScanner"]
    ((command, sizes, received),) = clamd.received
    assert command == b"zINSTREAM\0"
    assert len(sizes) == 4 and max(sizes) == 64 * 1024  # chunked, each with its length
    assert received == data
    assert evidence.evidence_path(stored.storage_name).read_bytes() == data


def test_clamd_found_refuses_the_upload_with_the_signature(clamd, settings):
    settings.EVIDENCE_SCANNER = "zhenggai.evidence.scanning.ClamdScanner"  # clamd alone, no built-in
    settings.EVIDENCE_CLAMD = f"127.0.0.1:{clamd.server_address[1]}"
    with pytest.raises(InvalidInput, match="检出病毒（Eicar-Test-Signature）"):
        evidence.store(io.BytesIO(EICAR), "说明.txt")
    assert clamd.received and evidence_files() == []


def test_clamd_over_a_unix_socket(clamd_unix, settings):
    settings.EVIDENCE_SCANNER = "zhenggai.evidence.scanning.ClamdScanner"
    settings.EVIDENCE_CLAMD = f"unix://{clamd_unix.server_address}"
    evidence.store(io.BytesIO(PDF), "a.pdf")
    with pytest.raises(InvalidInput, match="Eicar-Test-Signature"):
        evidence.store(io.BytesIO(PDF + EICAR), "b.pdf")
    assert len(clamd_unix.received) == 2


@pytest.mark.parametrize(
    "reply",
    [b"INSTREAM size limit exceeded. ERROR\0", b"", b"stream: something odd\0"],
    ids=["error", "eof", "odd"],
)
def test_a_clamd_that_gives_no_verdict_fails_closed(clamd, settings, reply, caplog):
    settings.EVIDENCE_CLAMD = f"tcp://127.0.0.1:{clamd.server_address[1]}"
    clamd.reply = reply
    with pytest.raises(InvalidInput, match="暂时无法完成安全扫描，请稍后重试"):
        evidence.store(io.BytesIO(PDF), "a.pdf")
    assert evidence_files() == []
    assert any("unavailable" in r.getMessage() for r in caplog.records)


def test_a_clamd_that_is_down_fails_closed(settings):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    settings.EVIDENCE_CLAMD = f"tcp://127.0.0.1:{port}"
    with pytest.raises(InvalidInput, match="暂时无法完成安全扫描"):
        evidence.store(io.BytesIO(PDF), "a.pdf")
    assert evidence_files() == []


def test_a_clamd_scanner_without_an_address_is_unavailable(tmp_path):
    f = tmp_path / "a.pdf"
    f.write_bytes(PDF)
    with pytest.raises(ScannerUnavailable):
        ClamdScanner(address="").scan(f, name="a.pdf", content_type="application/pdf")


def test_clamd_through_progress_add_refuses_and_records_nothing(clamd, settings, personas, assigned_measure):
    settings.EVIDENCE_SCANNER = "zhenggai.evidence.scanning.ClamdScanner"
    settings.EVIDENCE_CLAMD = f"tcp://127.0.0.1:{clamd.server_address[1]}"
    with pytest.raises(InvalidInput, match="Eicar-Test-Signature"):
        services.progress_add(
            actor=personas.person,
            measure=assigned_measure,
            text="进展",
            files=[(io.BytesIO(PDF), "a.pdf"), (io.BytesIO(EICAR), "b.txt")],
        )
    assert Evidence.objects.count() == 0 and evidence_files() == []
    assert [len(r[2]) for r in clamd.received] == [len(PDF), len(EICAR)]


# --- finding 10 (issue 8): what a compressed object stream hides is seen -------------------------


def _scan_pdf(tmp_path: Path, data: bytes) -> Verdict:
    f = tmp_path / "a.pdf"
    f.write_bytes(data)
    return scanning.BuiltinScanner().scan(f, name="a.pdf", content_type="application/pdf")


def test_finding10_javascript_only_inside_a_flate_object_stream_is_refused_and_nothing_is_stored(tmp_path):
    from tests.textparse.bombs import pdf_with_object_stream

    data = pdf_with_object_stream()
    assert b"JavaScript" not in data and b"/JS" not in data and b"OpenAction" not in data
    verdict = _scan_pdf(tmp_path, data)
    assert not verdict.clean
    assert verdict.reason == "PDF 含有脚本（JavaScript）"
    with pytest.raises(InvalidInput, match="未通过安全检查：PDF 含有脚本（JavaScript）"):
        evidence.store(io.BytesIO(data), "整改材料.pdf")
    assert evidence_files() == []


@pytest.mark.parametrize(
    ("action", "reason"),
    [
        (b"<< /S /Launch /F (calc.exe) >>", "PDF 含有启动外部程序的动作（Launch）"),
        (b"<< /JS 9 0 R >>", "PDF 含有脚本（JavaScript）"),
        (b"<< /Names << /JavaScript << /Names [(a) 9 0 R] >> >> >>", "PDF 含有脚本（JavaScript）"),
        (b"<< /Type /Annot /AA << /E << /S /GoTo /D [0] >> >> >>", "PDF 含有随事件自动执行的动作（AA）"),
        (b"<< /S /Jav#61Script /JS (x) >>", "PDF 含有脚本（JavaScript）"),
    ],
)
def test_finding10_every_kind_of_active_content_inside_an_object_stream_is_refused(tmp_path, action, reason):
    from tests.textparse.bombs import pdf_with_object_stream

    assert _scan_pdf(tmp_path, pdf_with_object_stream(action)) == Verdict(False, reason)


def test_finding10_active_content_behind_more_than_the_scanner_looks_through_is_refused(tmp_path):
    from tests.textparse.bombs import pdf_with_object_stream

    hidden = b"[<< /AA << /E << /S /GoTo /D [0] >> >> >> " + b"[] " * 100_001 + b"]"  # /AA: no byte-scan name
    verdict = _scan_pdf(tmp_path, pdf_with_object_stream(b"<< /K " + hidden + b" >>"))
    assert verdict == Verdict(False, "PDF 结构过于复杂，无法检查其中是否含有脚本")


def test_finding10_an_object_stream_without_active_content_passes(tmp_path):
    from tests.textparse.bombs import pdf_with_object_stream

    assert _scan_pdf(tmp_path, pdf_with_object_stream(b"<< /S /GoTo /D [2 0 R /Fit] >>")).clean


def test_finding10_an_object_stream_that_inflates_past_the_bound_is_refused_as_a_bomb(tmp_path):
    from tests.textparse.bombs import pdf_with_object_stream
    from zhenggai.textparse._base import MAX_PART_BYTES, MB

    data = pdf_with_object_stream(b"<< /S /GoTo /D [0] >>", padding=MAX_PART_BYTES + MB)
    assert len(data) < MB
    verdict = _scan_pdf(tmp_path, data)
    assert verdict == Verdict(
        False, f"文档内容解压后超过 {MAX_PART_BYTES // MB} MB，拒绝读取（疑似压缩炸弹）"
    )
