"""Benchmark of the public site under a spike: wrk at c=50 for 20 s against a published notice.

Sets up the demo (the seed round, its notice published) in a throw-away data folder, serves it
with the demo's server (waitress, 8 threads) in a second process, and drives it with wrk from
Debian's packages (`make bench` installs it when missing):

1. the published notice page (`public:version`): immutable, read from the frozen version only;
2. the same page revalidated (If-None-Match → 304), what a proxy or a returning browser does;
3. the staff list of the round's measures (`web:round-measures`) for a logged-in clerk, the
   page the issue compares with.

Prints requests per second, latency percentiles, errors, and the ratio public/staff.
``BENCH_SECONDS`` (20) and ``BENCH_CONNECTIONS`` (50) change the load. Run: `make bench`.
"""

from __future__ import annotations

import contextlib
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
_tmp = tempfile.mkdtemp(prefix="zhenggai-bench-public-")
os.environ["ZHENGGAI_DATA_DIR"] = _tmp
os.environ.pop("DATABASE_URL", None)  # the demo's SQLite file in the data folder
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
THREADS = 2


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_up(url: str, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2):  # noqa: S310  local
            return
        time.sleep(0.3)
    raise SystemExit(f"server did not answer at {url}")


def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, headers: dict[str, str]) -> dict[str, Any]:
    cmd = ["wrk", f"-t{THREADS}", f"-c{CONNECTIONS}", f"-d{SECONDS}s", "--latency", "--timeout", "10s"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    out = subprocess.run([*cmd, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {
        p: _ms(v, u) for p, v, u in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    }
    non2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    total = re.search(r"(\d+) requests in", out)
    return {
        "rps": rps,
        "p50": lat.get("50", 0.0),
        "p90": lat.get("90", 0.0),
        "p99": lat.get("99", 0.0),
        "requests": int(total.group(1)) if total else 0,
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "errors": errors.group(1).strip() if errors else "none",
    }


def main() -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: sudo apt-get install wrk (make bench installs it as root)")
    call_command("demo", no_serve=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    from zhenggai.disclosure.models import PublicationVersion, VersionStatus
    from zhenggai.ledger.models import Round
    from zhenggai.ops.management.commands.demo import DEMO_PASSWORD

    version = (
        PublicationVersion.objects.filter(status=VersionStatus.PUBLISHED, kind="notice")
        .select_related("publication")
        .latest("published_at")
    )
    round_ = Round.objects.get(pk=version.publication.round_id)
    public_path = reverse("public:version", args=[version.publication.public_id, "notice", version.number])
    staff_path = reverse("web:round-measures", args=[round_.pk])

    client = Client()
    client.login(username="zhenggaiban", password=DEMO_PASSWORD)  # the demo clerk
    cookie = f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}"

    port = free_port()
    env = {**os.environ, "ZHENGGAI_ALLOWED_HOSTS": "127.0.0.1,localhost"}
    server = subprocess.Popen(
        [str(ROOT / ".venv" / "bin" / "zhenggai"), "demo", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        wait_up(base + public_path)
        with urllib.request.urlopen(base + public_path) as r:  # noqa: S310  our own local server
            etag = r.headers["ETag"]
            size = len(r.read())
        # The staff page answers 200 for the session (not a redirect to the login page).
        req = urllib.request.Request(base + staff_path, headers={"Cookie": cookie})  # noqa: S310
        with urllib.request.urlopen(req) as r:  # noqa: S310
            assert r.status == 200 and "login" not in r.url, r.url
        runs = {
            "public notice page": wrk(base + public_path, {}),
            "public, revalidated (304)": wrk(base + public_path, {"If-None-Match": etag}),
            "staff measure list": wrk(base + staff_path, {"Cookie": cookie}),
        }
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(_tmp, ignore_errors=True)

    cpu = platform.processor() or platform.machine()
    print(f"\n## Public site under wrk (c={CONNECTIONS}, {SECONDS} s, {THREADS} wrk threads)")
    print(f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, SQLite")
    print("server: the demo's waitress, 8 threads, one process")
    print(f"notice page: {size:,} bytes; measures in the round: {round_.measures.count()}")
    print(f"{'page':<28}{'req/s':>9}{'p50 ms':>9}{'p90 ms':>9}{'p99 ms':>9}{'requests':>10}{'non-2xx':>9}")
    for name, r in runs.items():
        print(
            f"{name:<28}{r['rps']:>9.1f}{r['p50']:>9.1f}{r['p90']:>9.1f}{r['p99']:>9.1f}"
            f"{r['requests']:>10}{r['non2xx']:>9}  errors: {r['errors']}"
        )
    ratio = runs["public notice page"]["rps"] / max(runs["staff measure list"]["rps"], 0.001)
    print(f"public notice / staff measure list: {ratio:.1f}× the requests per second")


if __name__ == "__main__":
    main()
