"""The deployment profile (REQ-2.1, REQ-2.2, REQ-2.7, REQ-2.10): `check --deploy` passes in
production with no warning, every response carries the security headers, cookies are secure,
error pages are generic, and forms list their fields."""

from __future__ import annotations

import importlib
import json
import os
import pkgutil
import secrets
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django import forms
from django.test import Client

import zhenggai
from zhenggai.accounts.checks import production_configuration

ZHENGGAI = Path(sys.executable).with_name("zhenggai")
HOST = "zhenggai.example.gov.cn"


def production_env(data_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a production instance in ``data_dir``, its keys in place (the audit
    chain's, the checkpoints', and that of citizens' personal data)."""
    keys = data_dir / "keys"
    keys.mkdir(parents=True, exist_ok=True)
    for name in ("audit.key", "audit-checkpoint.key", "pii.key"):
        (keys / name).write_text(secrets.token_hex(32) + "\n")
        (keys / name).chmod(0o600)
    env = {
        k: v
        for k, v in os.environ.items()
        # Nothing of this test process (the browser test sets DJANGO_ALLOW_ASYNC_UNSAFE).
        if not k.startswith(("ZHENGGAI_", "DJANGO_")) and k != "DATABASE_URL"
    }
    env.update(
        ZHENGGAI_PROFILE="production",
        ZHENGGAI_SECRET_KEY=secrets.token_urlsafe(50),
        ZHENGGAI_ALLOWED_HOSTS=HOST,
        ZHENGGAI_DATA_DIR=str(data_dir),
        DJANGO_SETTINGS_MODULE="zhenggai.settings",
    )
    env.update(extra)
    return env


def run(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ZHENGGAI), *args], env=env, input=stdin, capture_output=True, text=True, timeout=120, check=False
    )


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """A migrated instance in the production profile (SQLite in a temporary data directory)."""
    env = production_env(tmp_path_factory.mktemp("production"))
    done = run(env, "migrate", "-v", "0")
    assert done.returncode == 0, done.stderr
    return env


def test_check_deploy_passes_in_production_with_no_warning_REQ_2_1(production: dict[str, str]) -> None:
    done = run(production, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path: Path) -> None:
    env = production_env(tmp_path)
    del env["ZHENGGAI_SECRET_KEY"]
    done = run(env, "check")
    assert done.returncode != 0 and "ZHENGGAI_SECRET_KEY" in done.stderr
    key_file = tmp_path / "secret.key"
    key_file.write_text(secrets.token_urlsafe(50) + "\n")
    assert run({**env, "ZHENGGAI_SECRET_KEY_FILE": str(key_file)}, "check").returncode == 0


def test_production_refuses_a_switched_off_second_factor_and_an_active_superuser_REQ_1_8(
    tmp_path: Path,
) -> None:
    env = production_env(tmp_path)
    assert run(env, "migrate", "-v", "0").returncode == 0
    no_otp = run({**env, "ZHENGGAI_OTP_REQUIRED": "0"}, "check")
    assert no_otp.returncode == 1 and "accounts.E003" in no_otp.stderr
    created = run(
        env,
        "shell",
        "-c",
        "from zhenggai.accounts.models import User; User.objects.create(username='root9', is_superuser=True)",
    )
    assert created.returncode == 0, created.stderr
    done = run(env, "check", "--deploy", "--fail-level", "WARNING")
    assert done.returncode == 1 and "accounts.E010" in done.stderr and "root9" in done.stderr
    refused = run(env, "createsuperuser", "--noinput", "--username", "ops", "--email", "")
    assert refused.returncode == 1 and "生产环境不使用超级用户" in refused.stderr


PROBE = r"""
import json, django
django.setup()
from django.test import Client
from zhenggai.accounts import services
services.user_create(actor=None, username="probe", display_name="探针", password="Probe-pass-2026")
c = Client(HTTP_HOST="zhenggai.example.gov.cn")
plain = c.get("/login/")
page = c.get("/login/", secure=True)
proxied = c.get("/login/", HTTP_X_FORWARDED_PROTO="https")
static = c.get("/static/zhenggai/app.js", secure=True)
login = c.post("/login/", {"username": "probe", "password": "Probe-pass-2026"}, secure=True)
after = c.get(login.url, secure=True)
cookies = {k: {"secure": v["secure"], "httponly": v["httponly"], "samesite": v["samesite"], "path": v["path"],
               "domain": v["domain"]} for k, v in c.cookies.items()}
print(json.dumps({
    "plain": [plain.status_code, plain.headers.get("Location", "")],
    "page": dict(page.headers), "proxied": proxied.status_code, "static": dict(static.headers),
    "login": [login.status_code, login.url], "after": [after.status_code, after.headers.get("Location", "")],
    "cookies": cookies, "demo_notice": "演示系统" in page.content.decode(),
    "otp_notice": "登录需要两步" in page.content.decode(),
}))
"""


def test_production_sends_hsts_csp_and_secure_host_cookies_and_asks_for_the_second_factor_REQ_2_2(
    production: dict[str, str],
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE],
        env=production,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["plain"] == [301, f"https://{HOST}/login/"]  # HTTP is redirected to HTTPS
    assert out["proxied"] == 200  # the proxy's X-Forwarded-Proto says HTTPS
    for headers in (out["page"], out["static"]):
        assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers["X-Content-Type-Options"] == "nosniff"
        assert headers["Referrer-Policy"] == "same-origin"
        assert headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert out["page"]["X-Frame-Options"] == "DENY"
    assert out["demo_notice"] is False and out["otp_notice"] is True  # no demo talk in production
    session = out["cookies"]["__Host-sessionid"]
    csrf = out["cookies"]["__Host-csrftoken"]
    assert session == {"secure": True, "httponly": True, "samesite": "Lax", "path": "/", "domain": ""}
    assert csrf["secure"] is True and csrf["samesite"] == "Lax" and csrf["path"] == "/" and not csrf["domain"]
    # The password alone leads to enrolling the second factor, nowhere else.
    assert out["login"][0] == 302
    assert out["after"][0] == 302 and out["after"][1].startswith("/accounts/otp/")


# --- headers in the default profile (REQ-2.2) -------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/login/", "/", "/rounds/", "/accounts/me/", "/no-such-page/", "/static/zhenggai/app.js"]
)
def test_every_response_carries_the_security_headers_REQ_2_2(
    url: str, personas: Any, client_for: Any
) -> None:
    response = client_for(personas.clerk).get(url)
    csp = response.headers["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["default-src"] == "'self'"
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["style-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'" and directives["base-uri"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cross-Origin-Opener-Policy"] == "same-origin"
    assert "camera=()" in response.headers["Permissions-Policy"]


def test_no_page_needs_inline_script_or_style_so_the_csp_can_forbid_them(
    personas: Any, client_for: Any
) -> None:
    import re

    templates = Path(zhenggai.__file__).parent / "templates"
    for path in templates.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert " style=" not in text and "<style" not in text, path
        assert "javascript:" not in text, path


# --- error pages (REQ-2.10) -----------------------------------------------------------------


@pytest.mark.urls("tests.accounts.urls_boom")
def test_an_unexpected_error_shows_the_generic_page_and_no_trace_REQ_2_10(
    personas: Any, settings: Any
) -> None:
    settings.DEBUG = False
    c = Client(raise_request_exception=False)
    c.force_login(personas.clerk)
    response = c.get("/boom/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "服务器出错了" in html
    for leak in ("Traceback", "secret-internal-detail", "SELECT", "RuntimeError", "settings", ".py"):
        assert leak not in html, leak
    assert response.headers["Content-Security-Policy"]


def test_the_other_error_pages_are_generic_too(personas: Any, client_for: Any, settings: Any) -> None:
    settings.DEBUG = False
    c = client_for(personas.clerk)
    missing = c.get("/no-such-page/")
    assert missing.status_code == 404 and "Traceback" not in missing.content.decode()
    assert "/no-such-page/" not in missing.content.decode()  # no URL list, no resolver detail


# --- the production checks, one by one ------------------------------------------------------


def _ids(settings: Any, **overrides: Any) -> list[str]:
    settings.PRODUCTION = True
    for name, value in overrides.items():
        setattr(settings, name, value)
    return [e.id for e in production_configuration()]


def test_the_production_checks_pass_a_good_configuration(settings: Any) -> None:
    assert _ids(settings, SECRET_KEY=secrets.token_urlsafe(50), OTP_REQUIRED=True) == []


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"DEBUG": True}, "accounts.E001"),
        ({"SECRET_KEY": "zhenggai-insecure-development-key-change-me"}, "accounts.E002"),
        ({"OTP_REQUIRED": False}, "accounts.E003"),
        ({"PASSWORD_MIN_LENGTH": 6}, "accounts.E004"),
        ({"PASSWORD_HISTORY": 0}, "accounts.E004"),
        ({"PASSWORD_MAX_AGE_DAYS": 0}, "accounts.E004"),
        ({"LOCKOUT_MINUTES": 5}, "accounts.E004"),
        ({"SESSION_IDLE_MINUTES": 120}, "accounts.E004"),
    ],
)
def test_each_weakening_of_production_fails_its_check(
    settings: Any, overrides: dict[str, Any], expected: str
) -> None:
    base = {"SECRET_KEY": secrets.token_urlsafe(50), "OTP_REQUIRED": True, "DEBUG": False}
    assert _ids(settings, **{**base, **overrides}) == [expected]


def test_the_development_profile_is_not_held_to_production_rules(settings: Any) -> None:
    settings.PRODUCTION = False
    settings.OTP_REQUIRED = False
    assert production_configuration() == []


# --- mass assignment (REQ-2.7) --------------------------------------------------------------


def test_every_model_form_lists_its_fields_explicitly_REQ_2_7() -> None:
    for mod in pkgutil.walk_packages(zhenggai.__path__, "zhenggai."):
        if mod.name.endswith(("forms", "views")) or ".forms" in mod.name or ".views." in mod.name:
            importlib.import_module(mod.name)

    def subclasses(cls: type) -> set[type]:
        found = set()
        for sub in cls.__subclasses__():
            found |= {sub} | subclasses(sub)
        return found

    # Today every form is a plain Form (fields spelled out); any ModelForm added later is held here.
    loaded = {"zhenggai.web.forms", "zhenggai.web.forms_accounts", "zhenggai.web.forms_reports"}
    assert loaded <= set(sys.modules)
    ours = [f for f in subclasses(forms.ModelForm) if f.__module__.startswith("zhenggai.")]
    for form in ours:
        meta = getattr(form, "Meta", None)
        fields = getattr(meta, "fields", None)
        assert isinstance(fields, list | tuple) and fields, form
        assert getattr(meta, "exclude", None) is None, form
