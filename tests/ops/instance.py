"""Throw-away zhenggai instances, driven through the real ``zhenggai`` console script."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from cryptography.hazmat.primitives import hashes

ZHENGGAI = Path(sys.executable).with_name("zhenggai")
PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64

# Two measures get progress: each with the same PDF (one blob, two rows) and its own note; a
# citizen's feedback attaches the same PDF (no new blob) and a photo (a fourth blob).
SEED_EVIDENCE = f"""
import io
from django.core.files.uploadedfile import SimpleUploadedFile
from zhenggai.feedback.services import feedback_submit, form_token
from zhenggai.ledger import services
from zhenggai.ledger.models import Measure
PDF = {PDF!r}
PNG = {PNG!r}
measures = list(Measure.objects.filter(status="not_started", person__isnull=False).order_by("pk")[:2])
for i, m in enumerate(measures):
    services.progress_add(
        actor=m.person,
        measure=m,
        text=f"第{{i + 1}}次进展",
        files=[(io.BytesIO(PDF), "会议记录.pdf"), (io.BytesIO(f"整改说明{{i}}".encode()), f"说明{{i}}.txt")],
    )
feedback_submit(
    round=measures[0].round,
    token=form_token(round=measures[0].round),
    content="路口违停问题又有反弹。",
    files=[SimpleUploadedFile("现场.pdf", PDF), SimpleUploadedFile("现场.png", PNG)],
    consent=True,
    consent_publish=False,
    client_ip="192.0.2.7",
)
print(len(measures))
"""


class Instance:
    """A data dir and a database: SQLite in the folder unless a DATABASE_URL is given."""

    def __init__(self, root: Path, database_url: str | None = None) -> None:
        self.root = root
        self.data = root / "data"
        self.db = root / "db.sqlite3"
        self.env = dict(os.environ)
        self.env.pop("DJANGO_SETTINGS_MODULE", None)
        self.env["ZHENGGAI_DATA_DIR"] = str(self.data)
        self.env["DATABASE_URL"] = database_url or f"sqlite:///{self.db}"

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [str(ZHENGGAI), *args], env=self.env, capture_output=True, text=True, check=False, timeout=600
        )

    def ok(self, *args: str) -> str:
        done = self.run(*args)
        assert done.returncode == 0, (
            f"zhenggai {' '.join(args)}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        )
        return done.stdout

    def ok_or_code(self, *args: str, code: int) -> str:
        done = self.run(*args)
        assert done.returncode == code, f"zhenggai {' '.join(args)}: {done.returncode}\n{done.stderr}"
        return done.stdout

    def seed(self) -> None:
        """The demo round and accounts, then four evidence rows over three blobs."""
        self.ok("demo", "--no-serve")
        assert self.ok("shell", "--no-imports", "-c", SEED_EVIDENCE).strip().splitlines()[-1] == "2"

    def has_command(self, name: str) -> bool:
        return name in self.ok("help", "--commands").split()

    def evidence_files(self) -> list[Path]:
        root = self.data / "evidence"
        return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []

    def sqlite_rows(self, sql: str) -> list[tuple]:
        conn = sqlite3.connect(f"file:{self.db}?mode=ro", uri=True)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def copy_keys_to(self, other: Instance) -> None:
        """The audit keys live outside the database and outside backups: the operator restores them."""
        keys = self.data / "keys"
        if keys.is_dir():
            shutil.copytree(keys, other.data / "keys", dirs_exist_ok=True)


def sqlite_tables(db: Path) -> dict[str, list[tuple]]:
    """Every table's rows, sorted: two databases with equal results hold the same data."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
            )
        ]
        return {n: sorted(conn.execute(f'SELECT * FROM "{n}"').fetchall(), key=repr) for n in names}
    finally:
        conn.close()


def sm3_hex(data: bytes) -> str:
    h = hashes.Hash(hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def hmac_sm3_hex(key: bytes, data: bytes) -> str:
    from cryptography.hazmat.primitives import hmac

    h = hmac.HMAC(key, hashes.SM3())
    h.update(data)
    return h.finalize().hex()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def flip_one_byte(path: Path, offset: int | None = None) -> None:
    data = bytearray(path.read_bytes())
    i = len(data) // 2 if offset is None else offset
    data[i] ^= 0x01
    path.write_bytes(bytes(data))
