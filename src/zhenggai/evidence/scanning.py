"""The upload scanner: every evidence file passes it before it is stored (REQ-2.6).

``EVIDENCE_SCANNER`` names the scanners, as one dotted path or a list of them; each is a
class (instantiated without arguments) or an instance with
``scan(path, *, name, content_type) -> Verdict``. Without the setting: the built-in
scanner, followed by ClamAV when ``EVIDENCE_CLAMD`` gives clamd's address.

- ``BuiltinScanner`` refuses the EICAR test signature (in the file or any member of a
  .docx/.xlsx) and known-bad active content: PDF ``/JavaScript`` and ``/Launch`` actions
  (also when the name is written with ``#xx`` escapes). A PDF is also parsed (pdfminer),
  so that what a compressed object stream hides is seen: every object, those inside
  ``/ObjStm`` streams included, is checked for ``/JS``, a ``/JavaScript`` name tree or
  action, a ``/Launch`` action and ``/AA`` (actions run on events), and every object stream
  is searched once inflated. Inflating is bounded as in document import (textparse's
  ``pdfguard``): a PDF whose streams expand past the bound is refused as a bomb.
- ``ClamdScanner`` streams the file to clamd (``INSTREAM``) over TCP
  (``tcp://host:3310``) or a Unix socket (``unix:///run/clamav/clamd.ctl``);
  ``EVIDENCE_CLAMD_TIMEOUT`` seconds (default 30).

A scanner that cannot give an answer fails closed: the upload is refused with a
"try again later" message and the failure is logged.
"""

from __future__ import annotations

import io
import logging
import re
import socket
import struct
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from zhenggai.errors import InvalidInput
from zhenggai.textparse.pdfguard import LimitExceeded, expansion_budget

log = logging.getLogger(__name__)

# The EICAR anti-virus test file (eicar.org), written in two halves so this source is not itself it.
EICAR = b"X5O!P%@AP[4\\PZX54(P^)7CC)7}$" + b"EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"

_CHUNK = 64 * 1024
_OVERLAP = 128
# A PDF name (``/Name``), whose characters may be written as ``#xx`` hex escapes.
_PDF_NAME = re.compile(rb"/((?:[A-Za-z]|#[0-9A-Fa-f]{2}){6,30})(?=[^A-Za-z0-9#])")
_PDF_ACTIVE = {b"JavaScript": "PDF 含有脚本（JavaScript）", b"Launch": "PDF 含有启动外部程序的动作（Launch）"}
_PDF_AUTO = "PDF 含有随事件自动执行的动作（AA）"
_ZIP_TYPES = {
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@dataclass(frozen=True, slots=True)
class Verdict:
    clean: bool
    reason: str = ""


CLEAN = Verdict(True)


class ScannerUnavailable(Exception):
    """The scanner could not give an answer (not reachable, timed out, an error reply)."""


class Scanner(Protocol):
    def scan(self, path: Path, *, name: str, content_type: str) -> Verdict: ...


def _windows(stream: IO[bytes]) -> Iterator[bytes]:
    """The stream in chunks that overlap, so a pattern across a chunk border is still seen."""
    tail = b""
    while chunk := stream.read(_CHUNK):
        window = tail + chunk
        yield window
        tail = window[-_OVERLAP:]


def _unescape_pdf_name(raw: bytes) -> bytes:
    return re.sub(rb"#([0-9A-Fa-f]{2})", lambda m: bytes([int(m.group(1), 16)]), raw)


class BuiltinScanner:
    """EICAR and a few known-bad patterns; no external service."""

    def scan(self, path: Path, *, name: str, content_type: str) -> Verdict:
        with open(path, "rb") as f:
            for window in _windows(f):
                if EICAR in window:
                    return Verdict(False, "检出病毒特征（EICAR 测试文件）")
                if content_type == "application/pdf":
                    for m in _PDF_NAME.finditer(window):
                        reason = _PDF_ACTIVE.get(_unescape_pdf_name(m.group(1)))
                        if reason:
                            return Verdict(False, reason)
        if content_type == "application/pdf":
            reason = _pdf_objects(path)
            if reason:
                return Verdict(False, reason)
        if content_type in _ZIP_TYPES:
            return self._scan_members(path)
        return CLEAN

    @staticmethod
    def _scan_members(path: Path) -> Verdict:
        # The entry count and the declared sizes were checked before (evidence.check_ooxml),
        # and zipfile never yields more than an entry declares, so this reading is bounded.
        try:
            with zipfile.ZipFile(path) as z:
                for info in z.infolist():
                    with z.open(info) as member:
                        for window in _windows(member):
                            if EICAR in window:
                                return Verdict(False, f"检出病毒特征（EICAR 测试文件，位于 {info.filename}）")
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            return Verdict(False, "文件已损坏，无法检查其内容")
        return CLEAN


def _active_names(data: bytes) -> str | None:
    for m in _PDF_NAME.finditer(data):
        reason = _PDF_ACTIVE.get(_unescape_pdf_name(m.group(1)))
        if reason:
            return reason
    return None


def _active_object(obj: Any) -> str | None:
    """Why this PDF object (a dict, an array, a stream's dict) is active content, or None.

    Looks through nested direct dicts and arrays; references are other objects, each
    checked in its turn."""
    from pdfminer.pdftypes import PDFStream

    name = _name_of
    nested = (list, dict, PDFStream)
    stack = [obj]
    seen = 0
    while stack:
        seen += 1
        if seen > 100_000:  # what cannot be looked through is refused, never passed
            return "PDF 结构过于复杂，无法检查其中是否含有脚本"
        v = stack.pop()
        if isinstance(v, PDFStream):
            v = v.attrs
        if isinstance(v, list):
            stack.extend(x for x in v if isinstance(x, nested))
        elif isinstance(v, dict):
            if "JS" in v or "JavaScript" in v or name(v.get("S")) == "JavaScript":
                return _PDF_ACTIVE[b"JavaScript"]
            if name(v.get("S")) == "Launch":
                return _PDF_ACTIVE[b"Launch"]
            if "AA" in v:
                return _PDF_AUTO
            stack.extend(x for x in v.values() if isinstance(x, nested))
    return None


def _pdf_objects(path: Path) -> str | None:
    """Why the PDF's objects make it active content (or a bomb), parsed with pdfminer; None
    when clean, or when pdfminer cannot read it at all (the byte scan above has run)."""
    from pdfminer.pdfdocument import PDFDocument, PDFXRefFallback
    from pdfminer.pdfparser import PDFParser
    from pdfminer.pdftypes import PDFStream

    data = path.read_bytes()
    try:
        with expansion_budget():
            try:
                doc = PDFDocument(PDFParser(io.BytesIO(data)), password="")
            except LimitExceeded:
                raise
            except Exception:  # pdfminer fails in many ways on broken files
                log.info("evidence PDF %s: pdfminer cannot open it; byte scan only", path.name, exc_info=True)
                return None
            # Objects the cross-reference tables leave out are still in the file: add those
            # a scan of the file finds (and the contents of every object stream it meets).
            fallback = PDFXRefFallback()
            try:
                fallback.load(PDFParser(io.BytesIO(data)))
                doc.xrefs.append(fallback)
            except LimitExceeded:
                raise
            except Exception:
                log.info("evidence PDF %s: no fallback scan", path.name, exc_info=True)  # broken file
            objids = {i for xref in doc.xrefs for i in xref.get_objids()}
            for objid in sorted(objids):
                try:
                    obj = doc.getobj(objid)
                except LimitExceeded:
                    raise
                except Exception:  # noqa: S112  one broken object does not hide the others
                    continue
                reason = _active_object(obj)
                if reason:
                    return reason
                if isinstance(obj, PDFStream) and _name_of(obj.get("Type")) == "ObjStm":
                    try:
                        reason = _active_names(obj.get_data())
                    except LimitExceeded:
                        raise
                    except Exception:  # noqa: S112  one broken object stream does not hide the others
                        continue
                    if reason:
                        return reason
    except LimitExceeded as exc:
        return f"{exc.reason}（疑似压缩炸弹）"
    return None


def _name_of(v: Any) -> str | bytes | None:
    from pdfminer.psparser import PSLiteral

    return v.name if isinstance(v, PSLiteral) else None


def _parse_address(address: str) -> tuple[int, Any]:
    """``tcp://host:port`` or ``host:port`` → TCP; ``unix:///path`` or ``/path`` → a Unix socket."""
    if address.startswith("unix://"):
        return socket.AF_UNIX, address[len("unix://") :]
    if address.startswith("/"):
        return socket.AF_UNIX, address
    rest = address.removeprefix("tcp://")
    host, sep, port = rest.rpartition(":")
    if not sep or not port.isdigit():
        raise ScannerUnavailable(f"EVIDENCE_CLAMD 地址无效：{address!r}")
    return socket.AF_INET, (host.strip("[]") or "127.0.0.1", int(port))


class ClamdScanner:
    """ClamAV's daemon, over its socket, with the INSTREAM command."""

    def __init__(self, address: str | None = None, timeout: float | None = None) -> None:
        self.address = address or str(getattr(settings, "EVIDENCE_CLAMD", "") or "")
        configured = getattr(settings, "EVIDENCE_CLAMD_TIMEOUT", 30)
        self.timeout = float(timeout or configured)

    def _connect(self) -> socket.socket:
        if not self.address:
            raise ScannerUnavailable("未配置 EVIDENCE_CLAMD（clamd 的地址）")
        family, target = _parse_address(self.address)
        s = socket.socket(family, socket.SOCK_STREAM)
        s.settimeout(self.timeout)
        try:
            s.connect(target)
        except OSError as exc:
            s.close()
            raise ScannerUnavailable(f"无法连接 clamd（{self.address}）：{exc}") from exc
        return s

    def scan(self, path: Path, *, name: str, content_type: str) -> Verdict:
        with self._connect() as s:
            try:
                s.sendall(b"zINSTREAM\0")
                with open(path, "rb") as f:
                    while chunk := f.read(_CHUNK):
                        s.sendall(struct.pack("!I", len(chunk)) + chunk)
                s.sendall(struct.pack("!I", 0))
                reply = b""
                while not reply.endswith(b"\0"):
                    part = s.recv(4096)
                    if not part:
                        break
                    reply += part
            except OSError as exc:
                raise ScannerUnavailable(f"clamd（{self.address}）通信失败：{exc}") from exc
        return self.verdict(reply)

    @staticmethod
    def verdict(reply: bytes) -> Verdict:
        """Read clamd's answer: ``stream: OK`` | ``stream: <signature> FOUND`` | ``… ERROR``."""
        text = reply.rstrip(b"\0\n").decode("utf-8", "replace").strip()
        _, _, result = text.partition(": ")
        result = result or text
        if result == "OK":
            return CLEAN
        if result.endswith(" FOUND"):
            return Verdict(False, f"检出病毒（{result.removesuffix(' FOUND')}）")
        raise ScannerUnavailable(f"clamd 未给出结果：{text or '（无应答）'}")


def scanners() -> list[Scanner]:
    """The configured scanners, in order."""
    configured = getattr(settings, "EVIDENCE_SCANNER", None)
    if configured is None:
        configured = ["zhenggai.evidence.scanning.BuiltinScanner"]
        if getattr(settings, "EVIDENCE_CLAMD", ""):
            configured.append("zhenggai.evidence.scanning.ClamdScanner")
    if isinstance(configured, str) or not isinstance(configured, list | tuple):
        configured = [configured]
    found: list[Scanner] = []
    for item in configured:
        obj = import_string(item) if isinstance(item, str) else item
        found.append(obj() if isinstance(obj, type) else obj)
    return found


def scan_file(path: Path, name: str, content_type: str) -> None:
    """Pass a file through every scanner; raise InvalidInput (field "files") if any refuses it."""
    for scanner in scanners():
        try:
            verdict = scanner.scan(path, name=name, content_type=content_type)
        except ScannerUnavailable as exc:
            log.error("upload scanner %s unavailable: %s", type(scanner).__name__, exc)
            raise InvalidInput(f"文件“{name}”暂时无法完成安全扫描，请稍后重试", field="files") from exc
        if not verdict.clean:
            log.warning("upload %r refused by %s: %s", name, type(scanner).__name__, verdict.reason)
            raise InvalidInput(f"文件“{name}”未通过安全检查：{verdict.reason}", field="files")
