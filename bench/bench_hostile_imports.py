"""Hostile document imports (issue 8, findings 2 and 3): time and peak memory of each.

Run with `.venv/bin/python bench/bench_hostile_imports.py`. Each input is built once into a
temporary file, then read and parsed in a fresh process, whose wall time and peak resident
memory (``wait4``'s ``ru_maxrss``, the process and anything it started) are printed:

- ``read``: ``read_bytes`` + ``parse_document`` in-process, what one web request did before
  the fix (and the preview and the confirmation each did it again);
- ``web``: the budgeted parse the web import now runs once per upload (a child process
  with a time and memory budget), where the reader's limits refuse the input first.

``--src /path/to/old/src`` measures another checkout (e.g. ``git archive HEAD src | tar -x``)
for a before/after table; ``--timeout`` stops a case that runs longer (default 200 s).
Nothing here is asserted: the suite stays free of timing.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MB = 1 << 20


def _cases() -> dict[str, tuple[str, Callable[[], bytes]]]:
    sys.path.insert(0, str(ROOT))
    from tests.textparse import bombs

    return {
        "docx bomb (document part 450 MB)": ("bomb.docx", lambda: bombs.docx_bomb(450 * MB)),
        "pdf bomb (content stream 2 GB)": ("bomb.pdf", lambda: bombs.pdf_bomb(2048 * MB)),
        "docx 10,000 rows x gridSpan 1000": ("table.docx", lambda: bombs.docx_wide_table(10_000, 1000)),
        "docx 1,000,000 gridCol x 1,000 rows": ("grid.docx", lambda: bombs.docx_wide_grid(1_000_000, 1000)),
        "html 100,000 rows x colspan 100": ("table.html", lambda: bombs.html_wide_table(100_000)),
        "txt 50,000 numbered items": ("items.txt", lambda: bombs.numbered_items(50_000)),
        "txt 50 MB": ("big.txt", lambda: bombs.big_text(50 * 1000 * 1000 - 1000)),
        "seed (for scale)": ("seed.txt", lambda: (ROOT / "seeds" / "000_3fc582a97ef44a37.txt").read_bytes()),
    }


def _one(path: str, name: str, mode: str) -> None:
    """In the measured process: read and parse the file, print what came out as JSON."""
    data = Path(path).read_bytes()
    if mode == "web":
        from zhenggai.textparse.budget import read_and_parse
        from zhenggai.textparse.reader import ReadError

        try:
            result = read_and_parse(data, name, seconds=30)
        except ReadError as exc:
            print(json.dumps({"out": f"refused: {exc.reason}"}, ensure_ascii=False))
            return
    else:
        from zhenggai.textparse.parse import parse_document
        from zhenggai.textparse.reader import ReadError, read_bytes

        try:
            result = parse_document(read_bytes(data, name))
        except ReadError as exc:
            print(json.dumps({"out": f"refused: {exc.reason}"}, ensure_ascii=False))
            return
    out = f"read: {result.source.chars} chars, {result.counts.measures} measures"
    print(json.dumps({"out": out}, ensure_ascii=False))


def _measure(path: str, name: str, mode: str, src: str, timeout: float) -> tuple[float, float, str]:
    env = dict(os.environ, PYTHONPATH=src + os.pathsep + str(ROOT))
    cmd = [sys.executable, __file__, "--one", path, "--name", name, "--mode", mode]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() - start > timeout:
            proc.kill()
            _, status, usage = os.wait4(proc.pid, 0)
            return time.perf_counter() - start, usage.ru_maxrss / 1024, f"stopped after {timeout:.0f} s"
        time.sleep(0.05)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    stdout, stderr = proc.communicate()
    try:
        out = json.loads(stdout.decode().strip().splitlines()[-1])["out"]
    except (IndexError, ValueError, KeyError):
        out = f"crashed ({proc.returncode}): {stderr.decode(errors='replace').strip()[-160:]}"
    return elapsed, usage.ru_maxrss / 1024, out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--one")
    parser.add_argument("--name", default="")
    parser.add_argument("--mode", choices=["read", "web"], default="read")
    parser.add_argument("--modes", default="read,web")
    parser.add_argument("--src", default=str(ROOT / "src"))
    parser.add_argument("--timeout", type=float, default=200)
    parser.add_argument("--cases", default="", help="comma-separated prefixes of case names")
    args = parser.parse_args()
    if args.one:
        _one(args.one, args.name, args.mode)
        return
    print(f"machine: {platform.machine()} {os.cpu_count()} cores, python {platform.python_version()}")
    print(f"source: {args.src}")
    print(f"{'input':<38} {'file':>9} {'mode':<5} {'time s':>8} {'peak MB':>8}  result")
    wanted = [c.strip() for c in args.cases.split(",") if c.strip()]
    with tempfile.TemporaryDirectory() as tmp:
        for label, (name, build) in _cases().items():
            if wanted and not any(label.startswith(w) for w in wanted):
                continue
            path = os.path.join(tmp, name)
            Path(path).write_bytes(build())
            size = os.path.getsize(path)
            for mode in args.modes.split(","):
                t, rss, out = _measure(path, name, mode, args.src, args.timeout)
                print(f"{label:<38} {size / 1024:>7.1f}KB {mode:<5} {t:>8.2f} {rss:>8.0f}  {out}", flush=True)
            os.unlink(path)


if __name__ == "__main__":
    main()
