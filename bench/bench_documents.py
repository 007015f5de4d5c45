"""Benchmark of the official documents: the seed round's notice as PDF and .docx.

Builds the seed round (as ``tests/reports/test_notice_fixtures.py`` does) in a throw-away
SQLite database, then renders the notice PDF (WeasyPrint) and the notice and plan .docx,
each BENCH_REPEAT times (default 3), keeping the best time. When LibreOffice is installed
(``soffice``), the notice and plan .docx are also converted to PDF headless and their page
counts printed (GB/T 9704: about 16 pages for the notice).

Run: ``.venv/bin/python bench/bench_documents.py``.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEAT = int(os.environ.get("BENCH_REPEAT", "3"))
sys.path.insert(0, str(ROOT))


def _best(fn) -> tuple[float, object]:  # type: ignore[no-untyped-def]
    best, out = float("inf"), None
    for _ in range(REPEAT):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def _libreoffice_pages(data: bytes, folder: Path, name: str) -> int | None:
    exe = shutil.which("soffice")
    if exe is None:
        return None
    src = folder / f"{name}.docx"
    src.write_bytes(data)
    subprocess.run(
        [
            exe,
            f"-env:UserInstallation={(folder / 'lo-profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(src),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(io.BytesIO((folder / f"{name}.pdf").read_bytes()))
    try:
        return len(pdf)
    finally:
        pdf.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        os.environ.setdefault("ZHENGGAI_DATA_DIR", folder)
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        from tests.reports.test_notice_fixtures import add_progress, make_seed_round

        from zhenggai.reports.builders import build_notice, build_plan
        from zhenggai.reports.docx_render import render_docx
        from zhenggai.reports.pdf_render import render_pdf

        round_, clerk = make_seed_round()
        add_progress(round_, clerk)
        notice = build_notice(user=clerk, round=round_)
        plan = build_plan(user=clerk, round=round_)
        t_pdf, pdf = _best(lambda: render_pdf(notice))
        t_docx, notice_docx = _best(lambda: render_docx(notice))
        t_plan, plan_docx = _best(lambda: render_docx(plan))
        print(f"notice PDF:  {t_pdf:.2f} s, {len(pdf) / 1024:.0f} KiB")  # type: ignore[arg-type]
        print(f"notice docx: {t_docx:.2f} s; plan docx: {t_plan:.2f} s")
        for name, data in (("notice", notice_docx), ("plan", plan_docx)):
            pages = _libreoffice_pages(data, Path(folder), name)  # type: ignore[arg-type]
            shown = pages if pages is not None else "(soffice not installed)"
            print(f"{name} docx in LibreOffice: {shown} pages")


if __name__ == "__main__":
    main()
