"""Settings of zhenggai: one file, typed environment helpers, SQLite unless DATABASE_URL.

Environment:
- ``DATABASE_URL``: ``postgres://…`` for PostgreSQL; default the SQLite file in the data dir.
- ``ZHENGGAI_DATA_DIR``: evidence, exports and the SQLite file (default ``./var``).
- ``ZHENGGAI_SECRET_KEY``, ``ZHENGGAI_DEBUG``, ``ZHENGGAI_ALLOWED_HOSTS``.
- ``ZHENGGAI_PLAN_DUE_MONTHS`` / ``ZHENGGAI_REPORT_DUE_MONTHS``: deadline rules (1 and 2).
"""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return default if value in (None, "") else int(value)


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [v.strip() for v in value.split(",") if v.strip()]


PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parents[1]  # the checkout (src layout)
DATA_DIR = Path(env_str("ZHENGGAI_DATA_DIR", str(Path.cwd() / "var"))).resolve()
EVIDENCE_DIR = DATA_DIR / "evidence"
UPLOAD_TMP_DIR = DATA_DIR / "tmp"

# The data dir holds the SQLite file: make sure it exists before anything opens it.
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("ZHENGGAI_DEBUG", False)
SECRET_KEY = env_str("ZHENGGAI_SECRET_KEY", "zhenggai-insecure-development-key-change-me")
ALLOWED_HOSTS = env_list("ZHENGGAI_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "zhenggai.accounts",
    "zhenggai.units",
    "zhenggai.ledger",
    "zhenggai.audit",
    "zhenggai.reports",
    "zhenggai.web",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "zhenggai.web.middleware.RequestIdMiddleware",
]

ROOT_URLCONF = "zhenggai.urls"
WSGI_APPLICATION = "zhenggai.wsgi.application"
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "web:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:login"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

_default_db = f"sqlite:///{DATA_DIR / 'zhenggai.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db), conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer commits; FULL survives power loss.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        # Take the write lock at BEGIN so two writers never deadlock on an upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS = [PACKAGE_DIR / "static"]
# Front-end assets installed from the npm registry at set-up (never a CDN, never committed).
_NODE_MODULES = PROJECT_DIR / "node_modules"
if (_NODE_MODULES / "bootstrap" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/bootstrap", _NODE_MODULES / "bootstrap" / "dist"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Uploads: files are streamed to disk past 2 MB; evidence has its own limit and types.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
EVIDENCE_MAX_BYTES = env_int("ZHENGGAI_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_BYTES = env_int("ZHENGGAI_IMPORT_MAX_BYTES", 20 * 1024 * 1024)

PLAN_DUE_MONTHS = env_int("ZHENGGAI_PLAN_DUE_MONTHS", 1)
REPORT_DUE_MONTHS = env_int("ZHENGGAI_REPORT_DUE_MONTHS", 2)

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
