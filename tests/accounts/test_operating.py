"""Finding 11 of issue 8 (operating zhenggai): the README's gunicorn start behind the documented
proxy, the deploy check's floor for the lockout, the trusted proxies and the allowed hosts, the
password-change form's throttle, and the modes of the data directory, the SQLite file and the
evidence temp folder."""

from __future__ import annotations

import http.client
import os
import secrets
import shlex
import socket
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.accounts.conftest import login
from tests.accounts.test_deploy import HOST, production_env, run
from zhenggai.accounts import lockout
from zhenggai.accounts.checks import production_configuration
from zhenggai.audit.models import AuditEvent

README = Path(__file__).resolve().parents[2] / "README.md"


# --- (a) gunicorn behind the proxy ------------------------------------------------------------


def readme_exec_start() -> list[str]:
    """The argv of the README's systemd unit (``ExecStart=…gunicorn …``)."""
    lines = [
        line
        for line in README.read_text(encoding="utf-8").splitlines()
        if line.startswith("ExecStart=") and "gunicorn" in line
    ]
    assert len(lines) == 1, lines
    return shlex.split(lines[0].removeprefix("ExecStart="))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(port: int, path: str, headers: dict[str, str]) -> http.client.HTTPResponse:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    conn.request("GET", path, headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    return response


def _wait_for(port: int, server: subprocess.Popen[bytes]) -> None:
    """Until the server accepts connections (it fails the test if it exits instead)."""
    while True:
        if server.poll() is not None:
            _out, err = server.communicate()
            pytest.fail(f"the server exited {server.returncode}: {err.decode()[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=5):
                return
        except OSError:
            time.sleep(0.2)


def test_finding11_gunicorn_started_as_the_readme_says_serves_the_proxys_https_requests_without_a_redirect(
    tmp_path: Path,
) -> None:
    env = production_env(tmp_path / "data")
    assert run(env, "migrate", "-v", "0").returncode == 0
    argv = readme_exec_start()
    assert Path(argv[0]).name == "gunicorn"
    port = _free_port()
    argv = [str(Path(sys.executable).with_name("gunicorn"))] + [
        a.replace("127.0.0.1:8000", f"127.0.0.1:{port}") for a in argv[1:]
    ]
    assert f"--bind=127.0.0.1:{port}" in argv  # the unit listens on the loopback, where nginx is
    server = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(port, server)
        # What nginx sends (README's proxy block): Host, X-Real-IP, X-Forwarded-Proto.
        proxied = {"Host": HOST, "X-Real-IP": "203.0.113.7", "X-Forwarded-Proto": "https"}
        page = _get(port, "/login/", proxied)
        assert page.status == 200, (page.status, page.getheader("Location"))
        assert "max-age=" in (page.getheader("Strict-Transport-Security") or "")
        # Plain HTTP (no header) is still sent to HTTPS: the header is what made the difference.
        plain = _get(port, "/login/", {"Host": HOST})
        assert plain.status == 301 and plain.getheader("Location") == f"https://{HOST}/login/"
    finally:
        server.terminate()
        server.communicate(timeout=60)


# --- (b) the deploy check ---------------------------------------------------------------------


def _ids(settings: Any, **overrides: Any) -> list[str]:
    settings.PRODUCTION = True
    base = {"SECRET_KEY": secrets.token_urlsafe(50), "OTP_REQUIRED": True, "DEBUG": False}
    base["ALLOWED_HOSTS"], base["TRUSTED_PROXIES"] = [HOST], ["127.0.0.1", "::1"]
    for name, value in {**base, **overrides}.items():
        setattr(settings, name, value)
    return [e.id for e in production_configuration()]


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"LOCKOUT_FAILURES": 1000}, "accounts.E004"),
        ({"LOCKOUT_FAILURES": 0}, "accounts.E004"),
        ({"LOCKOUT_ADDRESS_FAILURES": 0}, "accounts.E004"),
        ({"TRUSTED_PROXIES": ["0.0.0.0/0"]}, "accounts.E005"),
        ({"TRUSTED_PROXIES": ["127.0.0.1", "::/0"]}, "accounts.E005"),
        ({"TRUSTED_PROXIES": ["10.0.0.0/8"]}, "accounts.E005"),
        ({"TRUSTED_PROXIES": ["proxy.example"]}, "accounts.E005"),
        ({"ALLOWED_HOSTS": ["*"]}, "accounts.E006"),
        ({"ALLOWED_HOSTS": []}, "accounts.E006"),
    ],
    ids=lambda v: repr(v),
)
def test_finding11_the_deploy_check_refuses_a_lockout_that_never_comes_any_proxy_and_any_host(
    settings: Any, overrides: dict[str, Any], expected: str
) -> None:
    assert _ids(settings) == []
    assert _ids(settings, **overrides) == [expected]


def test_finding11_the_deploy_check_keeps_a_proxy_subnet_and_a_large_office_address_limit(
    settings: Any,
) -> None:
    assert _ids(settings, TRUSTED_PROXIES=["10.1.2.0/24", "fd00::/64"], LOCKOUT_ADDRESS_FAILURES=200) == []


def test_finding11_the_deploy_check_refuses_them_in_a_real_production_instance(tmp_path: Path) -> None:
    env = production_env(
        tmp_path,
        ZHENGGAI_LOCKOUT_FAILURES="1000",
        ZHENGGAI_LOCKOUT_ADDRESS_FAILURES="0",
        ZHENGGAI_TRUSTED_PROXIES="0.0.0.0/0",
        ZHENGGAI_ALLOWED_HOSTS="*",
    )
    done = run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 1
    for text in ("accounts.E004", "LOCKOUT_FAILURES=1000", "LOCKOUT_ADDRESS_FAILURES=0"):
        assert text in done.stderr, text
    assert "accounts.E005" in done.stderr and "accounts.E006" in done.stderr


# --- (c) the password-change form's throttle --------------------------------------------------


def test_finding11_wrong_current_passwords_on_the_change_form_count_towards_the_lockout(
    personas: Any, settings: Any
) -> None:
    c = Client()
    login(c, "clerk")
    for i in range(settings.LOCKOUT_FAILURES):
        answer = c.post(
            reverse("accounts:password-change"),
            {
                "old_password": f"Guess-{i}-pass",
                "new_password1": "Brand-new-9x",
                "new_password2": "Brand-new-9x",
            },
        )
    # The last guess locks the account and ends the session, like a login's.
    assert answer.status_code == 302 and answer.url == reverse("web:login")
    assert lockout.current_lock("clerk", "198.51.100.1") is not None  # the account, from anywhere
    assert login(Client(), "clerk", address="198.51.100.1").status_code == 200  # even the right password
    assert c.get(reverse("web:round-list")).url.startswith(reverse("web:login"))
    failed = AuditEvent.objects.filter(action="auth.password_change_failed", actor=personas.clerk)
    assert failed.count() == settings.LOCKOUT_FAILURES
    assert all(e.after["reason"] == "当前密码不正确" for e in failed)
    assert AuditEvent.objects.filter(action="auth.lockout", actor=personas.clerk).exists()
    assert personas.clerk.check_password("Test-pass-2026")


def test_finding11_a_new_password_refused_by_the_policy_does_not_count_as_a_guess(
    personas: Any, settings: Any
) -> None:
    c = Client()
    login(c, "clerk")
    for _ in range(settings.LOCKOUT_FAILURES + 1):
        answer = c.post(
            reverse("accounts:password-change"),
            {"old_password": "Test-pass-2026", "new_password1": "short", "new_password2": "short"},
        )
        assert answer.status_code == 200
    assert lockout.current_lock("clerk", "198.51.100.1") is None


# --- (d) file modes -----------------------------------------------------------------------------


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_finding11_the_data_dir_and_the_sqlite_file_are_the_service_accounts_only_whatever_the_umask(
    tmp_path: Path,
) -> None:
    data = tmp_path / "fresh" / "data"  # not there yet: zhenggai makes it
    env = {
        **production_env(tmp_path / "other"),
        "ZHENGGAI_PROFILE": "development",
        "ZHENGGAI_DATA_DIR": str(data),
    }
    done = subprocess.run(
        [str(Path(sys.executable).with_name("zhenggai")), "migrate", "-v", "0"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        umask=0o022,
    )
    assert done.returncode == 0, done.stderr
    assert _mode(data) == 0o700
    database = data / "zhenggai.sqlite3"
    assert _mode(database) == 0o600
    for suffix in ("-wal", "-shm"):  # SQLite gives them the database file's mode
        extra = database.with_name(database.name + suffix)
        if extra.exists():
            assert _mode(extra) == 0o600, suffix


def test_finding11_the_evidence_temp_dir_is_the_service_accounts_only_whatever_the_umask(
    tmp_path: Path, settings: Any
) -> None:
    from zhenggai.evidence import store as evidence

    settings.EVIDENCE_DIR = tmp_path / "evidence"
    old = os.umask(0o022)
    try:
        incoming = evidence._incoming()
    finally:
        os.umask(old)
    assert _mode(incoming) == 0o700 and _mode(settings.EVIDENCE_DIR) == 0o700
