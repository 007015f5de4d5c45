"""Hostile workbooks against the 整改台账 import (finding 4 of issue 8): time and memory of the dry run.

Builds a round of 500 measures and one of BENCH_LEGIT measures (default 10,000: the cost
of the checks on an honest workbook, and a round whose parts may be large enough that the
streamed count, not the part size, refuses the hostile files) in a throw-away SQLite
database, exports the small round's workbook, then writes hostile variants of it once,
outside the test suite, and runs each against both rounds:

- 1,000,000 rows: a main sheet of a million short rows, with an honest dimension, with
  none (as openpyxl's write-only writer leaves it), and a million bare ``<row/>`` (6 MB,
  under the part-size limit, so the streamed count is what refuses it);
- 16,384 columns: a hundred rows of 16,384 cells (each with its reference, 40 MB), and the
  same cells bare (``<c/>``, 6.5 MB: the per-row cell count refuses it);
- the unedited export of both rounds (the dry run an honest clerk starts with).

Each dry run (``import_workbook(dry_run=True)``) runs in a fresh process, so its
``ru_maxrss`` is its own; the figure before it (Django and openpyxl loaded) is given too.
Before the fix the issue measured 127 s and 1.25 GB for 1,000,000 rows, 63 s for 16,384
columns. Run: ``.venv/bin/python bench/bench_xlsx_hostile.py``.
"""

from __future__ import annotations

import io
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MAIN = "xl/worksheets/sheet1.xml"
LEGIT = int(os.environ.get("BENCH_LEGIT", "10000"))
SMALL = 500  # ``bench_xlsx.build`` makes at least 100 problems of 5 measures


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _setup_django(folder: str) -> None:
    os.environ.setdefault("ZHENGGAI_DATA_DIR", folder)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
    import django

    django.setup()


# --- the phases, each in its own process ------------------------------------------------------------


def phase_build(folder: str) -> dict[str, Any]:
    from bench.bench_xlsx import _round_and_user, build
    from django.core.management import call_command

    from zhenggai.reports.xlsx_export import export_round

    call_command("migrate", interactive=False, verbosity=0)
    rounds = {}
    for size in (SMALL, LEGIT):
        rid = build(size, f"h{size}")
        round_, clerk = _round_and_user(rid)
        export_round(user=clerk, round=round_, target=str(Path(folder) / f"ledger-{size}.xlsx"))
        rounds[size] = rid
    return {"rounds": rounds}


def phase_scan(round_id: int, path: str) -> dict[str, Any]:
    """The checks before openpyxl opens the file (part sizes, the streamed tag count) alone."""
    import zipfile as zf

    from bench.bench_xlsx import _round_and_user

    from zhenggai.reports.xlsx_import import Limits, _check_extent, _container

    round_, _ = _round_and_user(round_id)
    data = Path(path).read_bytes()
    before = _rss_mb()
    t = time.perf_counter()
    limits = Limits.for_round(round_)
    archive: zf.ZipFile = _container(data, limits)
    _check_extent(archive, limits)
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "rss_mb": _rss_mb(), "rss_before_mb": before, "outcome": "passed the checks"}


def phase_dry_run(round_id: int, path: str) -> dict[str, Any]:
    from bench.bench_xlsx import _round_and_user

    from zhenggai.reports.xlsx_import import WorkbookRefused, import_workbook

    round_, clerk = _round_and_user(round_id)
    data = Path(path).read_bytes()
    before = _rss_mb()
    t = time.perf_counter()
    try:
        report = import_workbook(actor=clerk, round=round_, data=data, dry_run=True)
        outcome = f"read {report.rows} rows, {len(report.changes)} changes, {report.error_count} errors"
    except WorkbookRefused as exc:
        outcome = f"refused: {str(exc)[:60]}…"
    seconds = time.perf_counter() - t
    return {"seconds": seconds, "rss_mb": _rss_mb(), "rss_before_mb": before, "outcome": outcome}


# --- the hostile files (no Django: bytes only) --------------------------------------------------------


def _rewrite(src: Path, dst: Path, rows: Iterator[bytes], dimension: str | None) -> None:
    """``src`` with the main sheet's rows after the header replaced by ``rows`` (streamed)."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info.filename)
            if info.filename != MAIN:
                zout.writestr(info.filename, body)
                continue
            head, _, _ = body.partition(b'<row r="4"')
            tail = body[body.index(b"</sheetData>") :]
            head = re.sub(rb"<dimension[^>]*/>", b"", head)
            if dimension:
                head = head.replace(b"<sheetViews", f'<dimension ref="{dimension}"/><sheetViews'.encode(), 1)
            with zout.open(MAIN, "w", force_zip64=True) as out:
                out.write(head)
                buf = io.BytesIO()
                for row in rows:
                    buf.write(row)
                    if buf.tell() > 1 << 20:
                        out.write(buf.getvalue())
                        buf = io.BytesIO()
                out.write(buf.getvalue())
                out.write(tail)


def _short_rows(n: int) -> Iterator[bytes]:
    for r in range(4, 4 + n):
        text = f'<c r="D{r}" t="inlineStr"><is><t>措施</t></is></c>'
        yield f'<row r="{r}">{text}<c r="N{r}"><v>{r}</v></c></row>'.encode()


def _bare_rows(n: int) -> Iterator[bytes]:
    for _ in range(n):
        yield b"<row/>"


def _wide_rows(n: int, referenced: bool) -> Iterator[bytes]:
    from openpyxl.utils import get_column_letter

    letters = [get_column_letter(k) for k in range(1, 16385)]
    for r in range(4, 4 + n):
        if referenced:
            yield (
                f'<row r="{r}">'.encode()
                + "".join(f'<c r="{c}{r}"><v>1</v></c>' for c in letters).encode()
                + b"</row>"
            )
        else:
            yield b"<row>" + b"<c/>" * 16384 + b"</row>"


def hostile_files(folder: Path) -> list[tuple[str, Path]]:
    src = folder / f"ledger-{SMALL}.xlsx"
    made = [
        ("1,000,000 rows, honest dimension", _short_rows(1_000_000), "A1:O1000003"),
        ("1,000,000 rows, no dimension", _short_rows(1_000_000), None),
        ("1,000,000 bare <row/>, no dimension", _bare_rows(1_000_000), None),
        ("1,000,000 bare <row/>, honest dimension", _bare_rows(1_000_000), "A1:O1000003"),
        ("16,384 columns × 100 rows", _wide_rows(100, True), None),
        ("16,384 bare <c/> × 100 rows", _wide_rows(100, False), None),
    ]
    out = []
    for i, (name, rows, dimension) in enumerate(made):
        path = folder / f"hostile-{i}.xlsx"
        _rewrite(src, path, rows, dimension)
        out.append((name, path))
    return out


def _child(phase: str, folder: str, *args: str) -> dict[str, Any]:
    env = dict(os.environ, ZHENGGAI_DATA_DIR=folder)
    p = subprocess.run(
        [sys.executable, __file__, phase, folder, *args], env=env, capture_output=True, text=True, check=False
    )
    if p.returncode != 0:
        raise SystemExit(f"phase {phase} failed:\n{p.stderr}")
    return json.loads(p.stdout.strip().splitlines()[-1])


def main() -> None:
    folder = tempfile.mkdtemp(prefix="zhenggai-bench-hostile-")
    built = _child("build", folder)
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}")
    legit = Path(folder) / f"ledger-{LEGIT}.xlsx"
    hostile = hostile_files(Path(folder))
    cases = [
        ("dry-run", f"unedited export, {LEGIT:,} measures", legit, LEGIT),
        ("scan", "  of which the checks before openpyxl", legit, LEGIT),
        ("dry-run", f"unedited export, {SMALL} measures", Path(folder) / f"ledger-{SMALL}.xlsx", SMALL),
        # Against both rounds: the small one refuses most by part size, the large one (whose
        # parts may be 180 MB) by the streamed count of rows and cells.
        *(("dry-run", name, path, size) for size in (SMALL, LEGIT) for name, path in hostile),
    ]
    print(
        f"\n{'round':>6} {'workbook':<42} {'file MB':>8} {'sheet MB':>9} {'seconds':>8} {'rss before':>11}"
        f" {'ru_maxrss MB':>13}  outcome"
    )
    for phase, name, path, size in cases:
        with zipfile.ZipFile(path) as z:
            sheet = z.getinfo(MAIN).file_size / 2**20
        r = _child(phase, folder, str(built["rounds"][str(size)]), str(path))
        print(
            f"{size:>6} {name:<42} {path.stat().st_size / 2**20:>8.1f} {sheet:>9.1f} {r['seconds']:>8.2f}"
            f" {r['rss_before_mb']:>11.0f} {r['rss_mb']:>13.0f}  {r['outcome']}"
        )


if __name__ == "__main__":
    if len(sys.argv) > 1:
        phase, folder, *rest = sys.argv[1:]
        _setup_django(folder)
        if phase == "build":
            result = phase_build(folder)
        elif phase == "scan":
            result = phase_scan(int(rest[0]), rest[1])
        else:
            result = phase_dry_run(int(rest[0]), rest[1])
        print(json.dumps(result))
    else:
        main()
