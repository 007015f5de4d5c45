"""Cost of anchoring the audit tail outside the database (issue 8, finding 6).

In a throw-away SQLite instance (WAL, synchronous=FULL, as deployed), appends N events
(default 1,000), each in its own committed transaction as a request would, three ways:

- ``off``: nothing after the commit but the every-100 checkpoints (as before the finding);
- ``head, no fsync``: the head line written after every commit, not fsynced;
- ``head + fsync``: the default (``AUDIT_HEAD_FSYNC``).

Also one transaction of N events (a bulk import), where the head is written once. Prints the
time per event of each and the difference. Run: ``.venv/bin/python bench/bench_audit_head.py``
(``BENCH_EVENTS`` to change N, ``BENCH_DIR`` to put the instance on another disk).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
N = int(os.environ.get("BENCH_EVENTS", "1000"))
sys.path.insert(0, str(ROOT / "src"))


def main() -> None:
    with tempfile.TemporaryDirectory(dir=os.environ.get("BENCH_DIR")) as folder:
        os.environ["ZHENGGAI_DATA_DIR"] = folder
        os.environ["DATABASE_URL"] = f"sqlite:///{folder}/bench.sqlite3"
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
        import django

        django.setup()
        from django.conf import settings
        from django.core.management import call_command
        from django.db import transaction

        from zhenggai.audit import chain, checkpoints, headlog, verify
        from zhenggai.audit.services import audit_record

        call_command("migrate", interactive=False, verbosity=0)

        def one(i: int) -> None:
            audit_record(actor=None, action="measure.update", after={"text": f"第{i}条", "n": i})

        def run(label: str, *, head: bool, fsync: bool, bulk: bool = False) -> float:
            settings.AUDIT_HEAD_FSYNC = fsync
            settings.AUDIT_CHECKPOINT_SECONDS = 300 if head else 0
            original = chain._after_commit
            if not head:
                chain._after_commit = lambda using: None  # type: ignore[assignment]
            try:
                t = time.perf_counter()
                if bulk:
                    with transaction.atomic():
                        for i in range(N):
                            one(i)
                else:
                    for i in range(N):
                        one(i)
                elapsed = time.perf_counter() - t
            finally:
                chain._after_commit = original  # type: ignore[assignment]
            per = elapsed / N * 1e6
            print(f"{label:<34} {N} events {elapsed:7.3f} s  {per:8.1f} µs/event")
            return per

        run("warm-up", head=True, fsync=True)
        off = run("off (chain + every-100 only)", head=False, fsync=False)
        nofsync = run("head after each commit, no fsync", head=True, fsync=False)
        fsync = run("head after each commit + fsync", head=True, fsync=True)
        bulk = run("one transaction of N (+ fsync)", head=True, fsync=True, bulk=True)
        print(
            f"head line cost: {nofsync - off:+.1f} µs/event without fsync, {fsync - off:+.1f} µs/event with"
        )
        print(f"bulk (head once per commit): {bulk:.1f} µs/event")
        # The pieces of the after-commit work, timed alone (the totals above move with the load).
        head_now = chain.head()

        def each(label: str, fn) -> None:  # type: ignore[no-untyped-def]
            t = time.perf_counter()
            for i in range(N):
                fn(i)
            print(f"{label:<34} {(time.perf_counter() - t) / N * 1e6:8.1f} µs each")

        each("  read the committed head", lambda i: chain.head())
        settings.AUDIT_HEAD_FSYNC = False
        each(
            "  sign + append a head line",
            lambda i: headlog.record(seq=10**6 + i, mac=head_now.mac, alg="hmac-sm3"),
        )
        settings.AUDIT_HEAD_FSYNC = True
        each(
            "  … and fsync it", lambda i: headlog.record(seq=2 * 10**6 + i, mac=head_now.mac, alg="hmac-sm3")
        )
        each("  the timer's stat", lambda i: checkpoints.older_than(300))
        lines = sum(1 for _ in headlog.head_path().open())
        result = verify.verify_chain()
        t = time.perf_counter()
        verify.verify_chain()
        print(f"head log: {lines} lines; audit-verify of {result.rows} rows {time.perf_counter() - t:.2f} s")


if __name__ == "__main__":
    main()
