"""LibreOffice headless for the tests that open our files in a second office suite or make
files we cannot write ourselves (.doc, .rtf). Without ``soffice`` these tests fail and say so."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

INSTALL = "apt-get install libreoffice-writer-nogui libreoffice-calc-nogui"


def soffice() -> str:
    exe = shutil.which("soffice") or shutil.which("libreoffice")
    if exe is None:
        pytest.fail(f"LibreOffice (soffice) is not installed: the tests need it ({INSTALL}, or make office)")
    return exe


def libreoffice_convert(data: bytes, name: str, folder: Path, to: str, *, timeout: int = 600) -> bytes:
    """``data`` (a file called ``name``) converted by LibreOffice headless to ``to`` (``pdf``,
    ``doc``, ``rtf``…), with its own profile under ``folder``; the result's bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    src = folder / name
    src.write_bytes(data)
    proc = subprocess.run(
        [
            soffice(),
            f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}",
            "--headless",
            "--norestore",
            "--convert-to",
            to,
            "--outdir",
            str(folder / "out"),
            str(src),
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    out = folder / "out" / f"{src.stem}.{to.split(':', 1)[0]}"  # out/: the input may have the same name
    assert proc.returncode == 0 and out.is_file(), (proc.returncode, proc.stdout, proc.stderr)
    return out.read_bytes()
