"""Old Word documents (.doc, Word 97-2003), WPS documents (.wps) and RTF, through LibreOffice.

These formats are not read here: LibreOffice headless (``soffice``, Debian's
``libreoffice-writer-nogui``) converts them to .docx, which the docx reader then reads,
tables included. Kingsoft WPS writes its .wps in Word's binary format with extensions of its
own, which LibreOffice's Word import reads and ignores; Microsoft Works .wps goes through
LibreOffice's libwps import. Both are OLE2 compound files, like .doc.

Each conversion runs in a private temporary directory with its own LibreOffice profile
(``-env:UserInstallation``), so conversions run in parallel and need no HOME, with macros
disabled and links left unfetched by that profile, and within ``seconds``: the process
group is killed at the deadline by coreutils ``timeout`` (which keeps counting even when the
process that asked was killed first, e.g. by the parse budget of ``budget.py``) and, as a
backstop, by this process.

``ZHENGGAI_SOFFICE`` names the program when it is not ``soffice`` on PATH (LibreOffice from
The Document Foundation's packages installs ``/opt/libreoffice<version>/program/soffice``).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import struct
import subprocess
import tempfile
from pathlib import Path
from typing import Literal

from ._base import ReadError, _fail

#: Seconds one conversion may take; inside the 30 s parse budget of ``budget.py``, which
#: still has to read and parse the converted document. A two-page letter takes about 1 s.
TIMEOUT_SECONDS = 20.0
#: The environment variable that names the LibreOffice program.
SOFFICE_ENV = "ZHENGGAI_SOFFICE"
#: What the administrator installs (Debian, and its derivatives such as UOS and Kylin).
INSTALL = "apt-get install libreoffice-writer-nogui"

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

OleKind = Literal["word", "works", "excel", "powerpoint", "encrypted", "word-encrypted", "other", "damaged"]

# --------------------------------------------------------------------------- OLE2 directory

_FREE, _END = 0xFFFFFFFF, 0xFFFFFFFE
_MAX_DIRECTORY_ENTRIES = 10_000


def _ole_streams(data: bytes) -> dict[str, tuple[int, int]] | None:
    """Names of the entries of an OLE2 compound file, each with its (first sector, size), or
    None when the file's header or directory is damaged. Reads only the header, the FAT
    sectors on the directory's chain and the directory itself."""
    if len(data) < 512 or not data.startswith(OLE_MAGIC):
        return None
    major, _, shift = struct.unpack_from("<HHH", data, 0x1A)
    if data[0x1C:0x1E] != b"\xfe\xff" or (major, shift) not in ((3, 9), (4, 12)):
        return None
    size = 1 << shift
    sectors = (len(data) - 512 + size - 1) // size  # the last one may be cut short

    def sector(n: int) -> bytes | None:
        return data[512 + n * size : 512 + (n + 1) * size] if 0 <= n < sectors else None

    fat_sectors = [s for s in struct.unpack_from("<109I", data, 0x4C) if s != _FREE]
    difat: int = struct.unpack_from("<I", data, 0x44)[0]
    seen: set[int] = set()
    while difat not in (_FREE, _END) and difat not in seen and len(seen) < sectors:
        seen.add(difat)
        block = sector(difat)
        if block is None or len(block) < size:
            return None
        *more, difat = struct.unpack(f"<{size // 4}I", block)
        fat_sectors.extend(s for s in more if s != _FREE)

    per_fat = size // 4

    def following(n: int) -> int | None:
        index, at = divmod(n, per_fat)
        block = sector(fat_sectors[index]) if index < len(fat_sectors) else None
        if block is None or len(block) < (at + 1) * 4:
            return None
        return int(struct.unpack_from("<I", block, at * 4)[0])

    entries: dict[str, tuple[int, int]] = {}
    current: int | None = struct.unpack_from("<I", data, 0x30)[0]
    visited: set[int] = set()
    while current != _END:
        if current is None or current in visited or len(entries) > _MAX_DIRECTORY_ENTRIES:
            return None
        visited.add(current)
        block = sector(current)
        if block is None:
            return None
        for off in range(0, len(block) - 127, 128):
            raw = block[off : off + 128]
            length, kind = struct.unpack_from("<HB", raw, 0x40)
            if kind in (1, 2, 5) and 2 <= length <= 64:
                name = raw[: length - 2].decode("utf-16-le", "replace")
                entries[name] = struct.unpack_from("<II", raw, 0x74)
        current = following(current)
    return entries if entries else None


def ole_kind(data: bytes) -> OleKind:
    """What an OLE2 compound file holds, judged by the names in its directory."""
    entries = _ole_streams(data)
    if entries is None:
        return "damaged"
    if "EncryptedPackage" in entries or "EncryptionInfo" in entries:
        return "encrypted"  # a .docx (or .xlsx) with an open password
    if "WordDocument" in entries:
        return "word-encrypted" if _word_encrypted(data, entries["WordDocument"]) else "word"
    if "Workbook" in entries or "Book" in entries:
        return "excel"
    if "PowerPoint Document" in entries:
        return "powerpoint"
    if "CONTENTS" in entries:
        return "works"
    return "other"


def _word_encrypted(data: bytes, where: tuple[int, int]) -> bool:
    """The fEncrypted bit of the Word stream's file information block (MS-DOC 2.5.2)."""
    start, length = where
    cutoff = struct.unpack_from("<I", data, 0x38)[0]
    if length < cutoff or length < 12:
        return False  # in the mini stream: too small for a real document, let LibreOffice judge
    shift = struct.unpack_from("<H", data, 0x1E)[0]
    fib = data[512 + (start << shift) :][:12]
    return len(fib) == 12 and bool(struct.unpack_from("<H", fib, 0x0A)[0] & 0x0100)


# --------------------------------------------------------------------------- conversion

# The profile's settings: no macros, no links followed, no first-start dialogs.
_PROFILE = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" \
xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="MacroSecurityLevel" \
oor:op="fuse"><value>3</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting"><prop oor:name="DisableMacrosExecution" \
oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Security/Scripting">\
<prop oor:name="BlockUntrustedRefererLinks" oor:op="fuse"><value>true</value></prop></item>
<item oor:path="/org.openoffice.Office.Writer/Content/Update"><prop oor:name="Link" \
oor:op="fuse"><value>2</value></prop></item>
<item oor:path="/org.openoffice.Office.Common/Misc"><prop oor:name="ShowTipOfTheDay" \
oor:op="fuse"><value>false</value></prop></item>
</oor:items>
"""

_WHAT = {".doc": "Word 97-2003（.doc）", ".wps": "WPS（.wps）", ".rtf": "RTF（.rtf）"}


def soffice() -> str | None:
    """The LibreOffice program to run, or None when there is none."""
    configured = os.environ.get(SOFFICE_ENV, "").strip()
    if configured:
        return configured if os.path.isfile(configured) and os.access(configured, os.X_OK) else None
    return shutil.which("soffice") or shutil.which("libreoffice")


def missing(name: str) -> ReadError:
    """The refusal when no LibreOffice is installed: what to install, and what the user can do."""
    where = f"（{SOFFICE_ENV} 指定的程序不存在）" if os.environ.get(SOFFICE_ENV, "").strip() else ""
    return _fail(
        name,
        f"读取 .doc/.wps 文件需要 LibreOffice（soffice），服务器上未安装{where}："
        f"请管理员安装 Debian 软件包 libreoffice-writer-nogui（{INSTALL}），"
        "或在 Word/WPS 中将文件另存为 .docx 后再导入",
    )


def to_docx(data: bytes, name: str, suffix: str, *, seconds: float = TIMEOUT_SECONDS) -> bytes:
    """``data`` (a .doc, .wps or .rtf, as ``suffix`` says) converted to .docx by LibreOffice.

    Raises :class:`ReadError` when LibreOffice is not installed, cannot open the file, or
    takes longer than ``seconds``.
    """
    exe = soffice()
    if exe is None:
        raise missing(name)
    what = _WHAT.get(suffix, "Word ")
    seconds = max(seconds, 0.01)  # `timeout 0` would wait for ever
    with tempfile.TemporaryDirectory(prefix="zhenggai-office-", ignore_cleanup_errors=True) as tmp:
        folder = Path(tmp)
        # Our own names for the files: the user's name is data, never an argument.
        source = folder / "in" / f"document{suffix}"
        source.parent.mkdir()
        source.write_bytes(data)
        profile = folder / "profile"
        (profile / "user").mkdir(parents=True)
        (profile / "user" / "registrymodifications.xcu").write_text(_PROFILE, encoding="utf-8")
        out = folder / "out"
        command = [
            exe,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--invisible",
            "--nologo",
            "--norestore",
            "--nolockcheck",
            "--nodefault",
            "--convert-to",
            "docx:MS Word 2007 XML",
            "--outdir",
            str(out),
            str(source),
        ]
        timeout = shutil.which("timeout") or shutil.which("timeout", path="/usr/bin:/bin")
        if timeout:
            # Kills the whole process group (soffice forks soffice.bin) at the deadline.
            command = [timeout, "--signal=KILL", f"{seconds:g}", *command]
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": tmp,
            "TMPDIR": tmp,
            "LANG": "C.UTF-8",
        }
        try:
            proc = subprocess.Popen(  # noqa: S603  fixed arguments, no shell; the file is ours
                command,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                cwd=tmp,
                start_new_session=True,
            )
        except OSError:
            raise missing(name) from None
        try:
            proc.communicate(timeout=seconds + 5)
        except subprocess.TimeoutExpired:
            _kill_group(proc.pid)
            proc.communicate()
        result = out / "document.docx"
        # Killed at the deadline (by `timeout`, which dies with the group, or by us): a result
        # may be there, half written.
        if proc.returncode in (-signal.SIGKILL, 124, 128 + signal.SIGKILL):
            raise _fail(
                name,
                f"转换 {what}文件超时（超过 {seconds:g} 秒），文件可能过于复杂或已损坏，"
                "请在 Word/WPS 中另存为 .docx 后再导入",
            )
        if not result.is_file():
            raise _fail(
                name,
                f"文件已损坏或不是 {what}文档，LibreOffice 无法打开，"
                "请用 Word 或 WPS 打开后另存为 .docx 再导入",
            )
        return result.read_bytes()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
