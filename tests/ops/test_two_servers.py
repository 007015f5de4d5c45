"""Two app servers on one PostgreSQL (issue 13): nothing a request needs is on one server's disk.

A throw-away database ``zg_two_<random>`` is migrated and given a unit and its clerk (through the
services, by ``zhenggai shell``); two gunicorn processes serve it on two ports with the same
``DATABASE_URL`` and ``SECRET_KEY`` and a shared storage. One browser session (a real login
POST with its CSRF token, on server A):

- uploads the seed notice for import and previews it on A, and confirms it on B;
- reports progress with an evidence file on A, and downloads it from B, byte for byte.

Twice: with a folder both servers mount (the data dir), and with an S3 API (moto's server)
and a data dir of each server's own (only the keys, which an operator installs on every server,
are copied). Run by ``make test-postgres``; the test asserts the vendor.
"""

from __future__ import annotations

import re
import secrets
import shutil
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from django.db import connection

from tests.conftest import SEED
from tests.evidence.s3 import Bucket, s3_bucket, s3_endpoint
from tests.ops.instance import PDF, Instance

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

__all__ = ["s3_bucket", "s3_endpoint"]

INITIAL_PASSWORD = "Initial-pass-2026"
PASSWORD = "Two-servers-2026"

# The unit and its clerk, through the services (the clerk has set their own password: no
# forced change at login; outside production the second factor is not required).
SETUP = f"""
from django.conf import settings
from zhenggai.accounts.services import password_change, user_create
from zhenggai.units.models import Role, UnitKind
from zhenggai.units.services import membership_grant, unit_create
assert not settings.PRODUCTION and not settings.OTP_REQUIRED
county = unit_create(actor=None, name="中共望江县委员会", parent=None, kind=UnitKind.COMMITTEE)
unit = unit_create(actor=None, name="望江县公安局交通管理大队", parent=county, kind=UnitKind.BRIGADE)
clerk = user_create(actor=None, username="clerk", display_name="张整改", password={INITIAL_PASSWORD!r})
password_change(user=clerk, password={PASSWORD!r})
membership_grant(actor=None, user=clerk, unit=unit, role=Role.CLERK)
print(clerk.pk)
"""


def _admin() -> psycopg.Connection:
    s = connection.settings_dict
    return psycopg.connect(
        dbname="postgres",
        user=s["USER"],
        password=s.get("PASSWORD") or None,
        host=s["HOST"] or "127.0.0.1",
        port=s["PORT"] or 5432,
        autocommit=True,
    )


def _url(name: str) -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{name}"


@pytest.fixture
def database() -> Iterator[str]:
    """A new, empty database ``zg_two_<random>``, dropped at the end (its connections too)."""
    assert connection.vendor == "postgresql", "needs PostgreSQL (DATABASE_URL=postgres://…)"
    name = f"zg_two_{uuid.uuid4().hex[:12]}"
    with _admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with _admin() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Server:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


def _start(name: str, env: dict[str, str], log: Path) -> Server:
    port = _free_port()
    argv = [sys.executable, "-m", "gunicorn", "zhenggai.wsgi:application", "--bind", f"127.0.0.1:{port}"]
    argv += ["--workers", "1", "--timeout", "120", "--graceful-timeout", "5", "--access-logfile", "-"]
    with open(log, "wb") as out:
        process = subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)
    return Server(name, f"http://127.0.0.1:{port}", process, log)


def _wait_ready(server: Server) -> None:
    """Until the login page answers (the process imports Django and connects first)."""
    for _ in range(1800):  # about three minutes of tries: a guard against a hung server, not a measurement
        if server.process.poll() is not None:
            pytest.fail(f"server {server.name} exited: {server.output()}")
        try:
            if requests.get(f"{server.url}/login/", timeout=60).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    pytest.fail(f"server {server.name} did not answer: {server.output()}")


@pytest.fixture
def start_servers(tmp_path: Path) -> Iterator[Any]:
    started: list[Server] = []

    def start(envs: dict[str, dict[str, str]]) -> dict[str, Server]:
        servers = {name: _start(name, env, tmp_path / f"server-{name}.log") for name, env in envs.items()}
        started.extend(servers.values())
        for server in servers.values():
            _wait_ready(server)
        return servers

    yield start
    for server in started:
        server.process.terminate()
    for server in started:
        try:
            server.process.wait(15)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait(5)


def _csrf(session: requests.Session) -> str:
    # The cookie holds the CSRF secret, which Django accepts as the form's token too.
    return str(session.cookies["csrftoken"])


def _login(session: requests.Session, server: Server) -> None:
    page = session.get(f"{server.url}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert page.status_code == 200 and token, page.text[:500]
    done = session.post(
        f"{server.url}/login/",
        data={"username": "clerk", "password": PASSWORD, "csrfmiddlewaretoken": token.group(1)},
        allow_redirects=False,
        timeout=30,
    )
    assert done.status_code == 302, done.text[:2000]
    assert done.headers["Location"] == "/"


def _one(dbname: str, sql: str, params: list[Any] | None = None) -> Any:
    with psycopg.connect(_url(dbname)) as conn:
        row = conn.execute(sql, params or []).fetchone()
    assert row is not None, sql
    return row[0]


def _setup(root: Path, dbname: str, env: dict[str, str]) -> Instance:
    inst = Instance(root, _url(dbname))
    inst.env.update(env)
    inst.ok("migrate", "-v", "0")
    assert inst.ok("shell", "--no-imports", "-c", SETUP).strip().isdigit()
    return inst


def _two_servers_share_the_work(a: Server, b: Server, dbname: str) -> tuple[str, int]:
    """The import previewed on A and confirmed on B; evidence uploaded on A and downloaded from B.

    Returns the digest of the import upload and the id of the evidence row."""
    browser = requests.Session()
    _login(browser, a)

    # A document import: upload and preview on A …
    upload = browser.post(
        f"{a.url}/rounds/import/",
        data={"csrfmiddlewaretoken": _csrf(browser)},
        files={"file": (SEED.name, SEED.read_bytes(), "text/plain")},
        allow_redirects=False,
        timeout=120,
    )
    assert upload.status_code == 302, a.output()
    preview_url = upload.headers["Location"]
    digest = preview_url.rstrip("/").rsplit("/", 1)[-1]
    preview = browser.get(f"{a.url}{preview_url}", timeout=60)
    assert preview.status_code == 200 and "县委第三巡察组" in preview.text
    # … and its confirmation on B, with the same session cookie.
    confirm = browser.post(
        f"{b.url}/rounds/import/confirm/",
        data={"digest": digest, "csrfmiddlewaretoken": _csrf(browser)},
        allow_redirects=False,
        timeout=120,
    )
    assert confirm.status_code == 302, b.output()
    round_id = int(confirm.headers["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert _one(dbname, "SELECT count(*) FROM ledger_measure WHERE round_id = %s", [round_id]) == 100

    # Evidence: progress with a file reported on A, the file downloaded from B.
    measure = _one(dbname, "SELECT min(id) FROM ledger_measure WHERE round_id = %s", [round_id])
    reported = browser.post(
        f"{a.url}/measures/{measure}/progress/",
        data={"text": "已召开专题会议", "csrfmiddlewaretoken": _csrf(browser)},
        files={"files": ("会议记录.pdf", PDF, "application/pdf")},
        allow_redirects=False,
        timeout=60,
    )
    assert reported.status_code == 302, reported.text[:2000]
    evidence = _one(dbname, "SELECT id FROM ledger_evidence WHERE measure_id = %s", [measure])
    download = browser.get(f"{b.url}/evidence/{evidence}/", timeout=60)
    assert download.status_code == 200, b.output()
    assert download.content == PDF
    assert "attachment" in download.headers["Content-Disposition"]
    # Both servers recorded the requests they served, in the one audit trail.
    assert _one(dbname, "SELECT count(*) FROM audit_auditevent WHERE action = 'evidence.download'") == 1
    return digest, evidence


def _common_env(inst: Instance) -> dict[str, str]:
    env = dict(inst.env)
    env["ZHENGGAI_SECRET_KEY"] = secrets.token_urlsafe(50)
    env.pop("ZHENGGAI_PROFILE", None)
    return env


def test_two_servers_with_a_shared_folder_share_imports_and_evidence(
    database: str, tmp_path: Path, start_servers: Any
) -> None:
    inst = _setup(tmp_path / "setup", database, {})
    shared = _common_env(inst)  # the same data dir: the folder both servers mount
    servers = start_servers({"A": shared, "B": dict(shared)})
    a, b = servers["A"], servers["B"]
    _, evidence = _two_servers_share_the_work(a, b, database)
    name = _one(database, "SELECT storage_name FROM ledger_evidence WHERE id = %s", [evidence])
    assert (inst.data / "evidence" / name[:2] / name).read_bytes() == PDF
    assert not [p for p in (inst.data / "tmp").rglob("*") if p.is_file()]  # the import is forgotten


def test_two_servers_with_an_object_store_and_no_shared_disk_share_imports_and_evidence(
    database: str, tmp_path: Path, start_servers: Any, s3_bucket: Bucket
) -> None:
    inst = _setup(tmp_path / "setup", database, s3_bucket.environment())
    envs = {}
    for name in ("A", "B"):
        # A data dir of its own; the keys are what an operator installs on every server.
        data = tmp_path / f"data-{name}"
        shutil.copytree(inst.data / "keys", data / "keys")
        envs[name] = {**_common_env(inst), "ZHENGGAI_DATA_DIR": str(data)}
    envs["B"]["ZHENGGAI_SECRET_KEY"] = envs["A"]["ZHENGGAI_SECRET_KEY"]
    servers = start_servers(envs)
    digest, evidence = _two_servers_share_the_work(servers["A"], servers["B"], database)
    name = _one(database, "SELECT storage_name FROM ledger_evidence WHERE id = %s", [evidence])
    assert s3_bucket.keys() == [f"evidence/{name[:2]}/{name}"]  # the import was forgotten
    assert s3_bucket.read(f"evidence/{name[:2]}/{name}") == PDF
    for name in ("A", "B"):
        on_disk = [p for p in (tmp_path / f"data-{name}").rglob("*") if p.is_file()]
        assert not [p for p in on_disk if p.read_bytes() in (PDF, SEED.read_bytes())], on_disk
    assert not s3_bucket.keys("uploads/import/"), digest
