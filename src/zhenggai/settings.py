"""Settings of zhenggai: one file, typed environment helpers, SQLite unless DATABASE_URL.

Two profiles, chosen by ``ZHENGGAI_PROFILE``: ``development`` (the default: the demo and the
tests, plain HTTP, the second factor optional) and ``production`` (HTTPS behind a reverse
proxy, secret key from the environment or a file, the second factor required, secure
cookies, HSTS; ``zhenggai check --deploy --fail-level WARNING`` passes).

Environment:
- ``ZHENGGAI_PROFILE``: ``development`` (default) or ``production``.
- ``DATABASE_URL``: ``postgres://…`` for PostgreSQL; default the SQLite file in the data dir.
- ``ZHENGGAI_DATA_DIR``: evidence, exports and the SQLite file (default ``./var``).
- ``ZHENGGAI_SECRET_KEY`` or ``ZHENGGAI_SECRET_KEY_FILE`` (required in production),
  ``ZHENGGAI_SECRET_KEY_FALLBACKS``, ``ZHENGGAI_DEBUG`` (ignored in production),
  ``ZHENGGAI_ALLOWED_HOSTS``, ``ZHENGGAI_CSRF_TRUSTED_ORIGINS``.
- ``ZHENGGAI_PLAN_DUE_MONTHS`` / ``ZHENGGAI_REPORT_DUE_MONTHS``: deadline rules (1 and 2).
- Accounts and sessions (等保 身份鉴别; defaults in brackets): ``ZHENGGAI_PASSWORD_MIN_LENGTH`` [8],
  ``ZHENGGAI_PASSWORD_MIN_CLASSES`` [3], ``ZHENGGAI_PASSWORD_HISTORY`` [5],
  ``ZHENGGAI_PASSWORD_MAX_AGE_DAYS`` [90, 0 = never], ``ZHENGGAI_LOCKOUT_FAILURES`` [5],
  ``ZHENGGAI_LOCKOUT_ADDRESS_FAILURES`` [5], ``ZHENGGAI_LOCKOUT_MINUTES`` [15],
  ``ZHENGGAI_SESSION_IDLE_MINUTES`` [30], ``ZHENGGAI_SESSION_MAX_HOURS`` [12],
  ``ZHENGGAI_OTP_REQUIRED`` [on in production, off otherwise].
- Behind a reverse proxy: ``ZHENGGAI_TRUSTED_PROXY_HEADER`` (e.g. ``HTTP_X_REAL_IP``; off by
  default) and ``ZHENGGAI_TRUSTED_PROXIES`` [127.0.0.1, ::1]; ``ZHENGGAI_PROXY_SSL_HEADER``
  [``HTTP_X_FORWARDED_PROTO`` in production]; ``ZHENGGAI_HSTS_PRELOAD`` [on in production].
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured


def env_str(name: str, default: str) -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def env_list(name: str, default: list[str]) -> list[str]:
    value = os.environ.get(name)
    if value is None:
        return default
    return [v.strip() for v in value.split(",") if v.strip()]


def env_path(name: str) -> Path | None:
    value = os.environ.get(name, "").strip()
    return Path(value) if value else None


PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parents[1]  # the checkout (src layout)
DATA_DIR = Path(env_str("ZHENGGAI_DATA_DIR", str(Path.cwd() / "var"))).resolve()
EVIDENCE_DIR = DATA_DIR / "evidence"
UPLOAD_TMP_DIR = DATA_DIR / "tmp"

# The data dir holds the SQLite file: make sure it exists before anything opens it, readable by
# the service account only (whatever the umask; a directory the operator made is left alone).
if not DATA_DIR.exists():
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    DATA_DIR.chmod(0o700)

PROFILE = env_str("ZHENGGAI_PROFILE", "development").strip().lower()
if PROFILE not in {"development", "production"}:
    raise ImproperlyConfigured(f"ZHENGGAI_PROFILE must be development or production, not {PROFILE!r}")
PRODUCTION = PROFILE == "production"

# The key the development profile falls back to; the production profile refuses it (system check).
DEVELOPMENT_SECRET_KEY = "zhenggai-insecure-development-key-change-me"  # noqa: S105  refused in production


def _secret_key() -> str:
    """ZHENGGAI_SECRET_KEY, else the contents of ZHENGGAI_SECRET_KEY_FILE; required in production."""
    key = env_str("ZHENGGAI_SECRET_KEY", "")
    path = env_str("ZHENGGAI_SECRET_KEY_FILE", "")
    if not key and path:
        key = Path(path).read_text(encoding="utf-8").strip()
    if key:
        return key
    if PRODUCTION:
        raise ImproperlyConfigured(
            "The production profile needs ZHENGGAI_SECRET_KEY or ZHENGGAI_SECRET_KEY_FILE "
            "(生产配置须通过环境变量或文件提供密钥)."
        )
    return DEVELOPMENT_SECRET_KEY


# Debug pages show settings and source: never in production, whatever the environment says.
DEBUG = False if PRODUCTION else env_bool("ZHENGGAI_DEBUG", False)
SECRET_KEY = _secret_key()
# Old keys still accepted for signatures (sessions, password reset) while rotating.
SECRET_KEY_FALLBACKS = env_list("ZHENGGAI_SECRET_KEY_FALLBACKS", [])
ALLOWED_HOSTS = env_list(
    "ZHENGGAI_ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "testserver"]
)
CSRF_TRUSTED_ORIGINS = env_list("ZHENGGAI_CSRF_TRUSTED_ORIGINS", [])

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
    "zhenggai.notify",
    "zhenggai.supervision",
    "zhenggai.reports",
    "zhenggai.disclosure",
    "zhenggai.feedback",
    "zhenggai.ops",
    "zhenggai.web",
    "zhenggai.public",
    # The API's docs page (Swagger UI) and its assets ship inside django-ninja, served locally.
    "ninja",
]

MIDDLEWARE = [
    # HSTS, nosniff, Referrer-Policy, COOP, the HTTPS redirect.
    "django.middleware.security.SecurityMiddleware",
    # CSP, Permissions-Policy, CORP and no-store on every response, static files included.
    "zhenggai.http.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Request id and the client address (trusted proxy only) for the audit trail.
    "zhenggai.http.middleware.RequestIdMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The public site /gk/ sees every visitor as anonymous: no staff session used or touched.
    "zhenggai.http.middleware.PublicSiteMiddleware",
    # Every use of an API token is recorded with its answer (method, path, status).
    "zhenggai.api.auth.TokenUseMiddleware",
    # Every view needs a login unless decorated with @login_not_required (REQ-2.3).
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute timeouts, the second factor, the forced password change.
    "zhenggai.accounts.middleware.SessionSecurityMiddleware",
    # Repeated 403/404 answers to one logged-in account are recorded (access.probe, rate-limited).
    "zhenggai.http.middleware.ProbeRecordingMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, so it sees a view's exception first: an uncaught ServiceError answered by its
    # http_status (the 403, 404 or conflict page; JSON under /api/).
    "zhenggai.http.boundary.ErrorBoundaryMiddleware",
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
                # The unread count of the inbox in the navbar (one COUNT, logged-in pages only).
                "zhenggai.web.context.inbox",
            ],
        },
    },
    # The row-heavy staff pages (我的任务, 搜索与筛选, the round overview) in Jinja2, several times
    # faster per row (zhenggai.web.jinja); their names end in .jinja, so no name is looked up twice.
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [PACKAGE_DIR / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "zhenggai.web.jinja.environment",
            "context_processors": [
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "zhenggai.web.context.inbox",
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'zhenggai.sqlite3'}"
DATABASES = {"default": dj_database_url.parse(env_str("DATABASE_URL", _default_db), conn_max_age=0)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # A connection is kept between requests (each worker thread holds its own) and checked
    # before reuse: opening a PostgreSQL connection per page cost about as much as a short page's
    # queries.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("ZHENGGAI_DB_CONN_MAX_AGE", 60)
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
    # Pages are short OLTP queries: PostgreSQL's JIT compiler (on above a plan cost of 100,000,
    # which every province-wide count passes) spent seconds compiling to save milliseconds.
    _pg_options = DATABASES["default"].setdefault("OPTIONS", {})
    _pg_options["options"] = f"-c jit=off {_pg_options.get('options', '')}".strip()
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = {
        # WAL lets readers work while one writer commits; FULL survives power loss.
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;",
        # Take the write lock at BEGIN so two writers never deadlock on an upgrade.
        "transaction_mode": "IMMEDIATE",
        "timeout": 20,
    }
    # No connection is kept between requests unless asked: threaded servers (waitress, the
    # tests' live server) would keep one per thread. Under gunicorn's sync workers (one request
    # at a time per process) the unit sets ZHENGGAI_DB_CONN_MAX_AGE: opening the file and reading
    # its schema cost 1-3 ms of every request.
    DATABASES["default"]["CONN_MAX_AGE"] = env_int("ZHENGGAI_DB_CONN_MAX_AGE", 0)
    # SQLite creates its file (and the -wal/-shm files after it, with the same mode) following
    # the umask: create it first, for the service account only.
    _sqlite = str(DATABASES["default"]["NAME"])
    if _sqlite and _sqlite != ":memory:" and not _sqlite.startswith("file:") and not Path(_sqlite).exists():
        Path(_sqlite).parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):  # another process started at the same moment
            os.close(os.open(_sqlite, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

LANGUAGE_CODE = "zh-hans"
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)
STATICFILES_DIRS: list[Path | tuple[str, Path]] = [PACKAGE_DIR / "static"]
# Front-end assets installed from the npm registry at set-up (never a CDN, never committed).
_NODE_MODULES = PROJECT_DIR / "node_modules"
if (_NODE_MODULES / "bootstrap" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/bootstrap", _NODE_MODULES / "bootstrap" / "dist"))
if (_NODE_MODULES / "echarts" / "dist").is_dir():
    STATICFILES_DIRS.append(("vendor/echarts", _NODE_MODULES / "echarts" / "dist"))
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

MESSAGE_STORAGE = "django.contrib.messages.storage.session.SessionStorage"

# Uploads: files are streamed to disk past 2 MB; evidence has its own limit and types.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_TEMP_DIR = None
EVIDENCE_MAX_BYTES = env_int("ZHENGGAI_EVIDENCE_MAX_BYTES", 20 * 1024 * 1024)
IMPORT_MAX_BYTES = env_int("ZHENGGAI_IMPORT_MAX_BYTES", 20 * 1024 * 1024)
# A web import is parsed once, in a child process with a time and memory budget; the result is
# kept beside the pending upload until confirm. Pending uploads expire and count against a quota
# per user (`zhenggai uploads-purge` removes the expired ones).
IMPORT_PARSE_SECONDS = env_int("ZHENGGAI_IMPORT_PARSE_SECONDS", 30)
IMPORT_PARSE_MEMORY_MB = env_int("ZHENGGAI_IMPORT_PARSE_MEMORY_MB", 1536)
UPLOAD_PENDING_HOURS = env_int("ZHENGGAI_UPLOAD_PENDING_HOURS", 24)
UPLOAD_PENDING_MAX_FILES = env_int("ZHENGGAI_UPLOAD_PENDING_MAX_FILES", 20)
UPLOAD_PENDING_MAX_MB = env_int("ZHENGGAI_UPLOAD_PENDING_MAX_MB", 200)

# --- Storage of evidence and pending uploads (issue 13; zhenggai.evidence.storage) ----------------
# Two aliases of Django's storage API: "evidence" (the content-addressed blobs) and "uploads" (an
# import kept between its preview and its confirmation). Nothing a request needs is on one app
# server's disk unless the operator chose a folder.
# - ZHENGGAI_STORAGE=filesystem (default): EVIDENCE_DIR and UPLOAD_TMP_DIR in the data dir, for one
#   server or a mount all servers share (one that supports flock, as NFSv4 does).
# - ZHENGGAI_STORAGE=s3: one private bucket of an S3-compatible object store (MinIO, a government
#   cloud's object service) through django-storages; evidence under "<prefix>evidence/", pending
#   uploads under "<prefix>uploads/". ZHENGGAI_S3_BUCKET (required), ZHENGGAI_S3_ENDPOINT_URL
#   (https://minio.example.gov.cn:9000; unset = AWS), ZHENGGAI_S3_ACCESS_KEY, ZHENGGAI_S3_SECRET_KEY
#   or (better) ZHENGGAI_S3_SECRET_KEY_FILE, ZHENGGAI_S3_REGION [us-east-1],
#   ZHENGGAI_S3_ADDRESSING_STYLE [path: MinIO without a DNS name per bucket; or virtual],
#   ZHENGGAI_S3_CA_BUNDLE (the private CA of the endpoint's certificate), ZHENGGAI_S3_PREFIX [""].
STORAGE_BACKEND = env_str("ZHENGGAI_STORAGE", "filesystem").strip().lower()
_DURABLE_FOLDER = "zhenggai.evidence.storage.DurableFileSystemStorage"
STORAGES: dict[str, dict[str, object]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "evidence": {"BACKEND": _DURABLE_FOLDER, "OPTIONS": {"setting": "EVIDENCE_DIR"}},
    "uploads": {"BACKEND": _DURABLE_FOLDER, "OPTIONS": {"setting": "UPLOAD_TMP_DIR"}},
}


def s3_storage_options(
    *,
    bucket: str,
    endpoint_url: str | None,
    access_key: str | None,
    secret_key: str | None,
    region: str = "us-east-1",
    addressing_style: str = "path",
    ca_bundle: str | None = None,
) -> dict[str, object]:
    """The OPTIONS of zhenggai.evidence.storage.S3BlobStorage (add "location", the prefix)."""
    from botocore.config import Config  # type: ignore[import-untyped]

    return {
        "bucket_name": bucket,
        "endpoint_url": endpoint_url or None,
        "access_key": access_key or None,
        "secret_key": secret_key or None,
        "region_name": region,
        "default_acl": None,  # private objects: bytes leave only through the checked views
        "querystring_auth": True,
        "file_overwrite": True,  # a name is a digest: the same name is the same content
        "max_memory_size": FILE_UPLOAD_MAX_MEMORY_SIZE,  # a download past 2 MB spools to disk
        "verify": ca_bundle or None,
        "client_config": Config(
            s3={"addressing_style": addressing_style},
            signature_version="s3v4",
            # Checksums only where S3 requires them: MinIO releases and cloud object services
            # that predate the CRC headers of newer SDKs refuse them.
            request_checksum_calculation="when_required",
            response_checksum_validation="when_required",
            connect_timeout=10,
            read_timeout=60,
            retries={"max_attempts": 3, "mode": "standard"},
        ),
    }


if STORAGE_BACKEND == "s3":
    _s3_secret_file = env_str("ZHENGGAI_S3_SECRET_KEY_FILE", "")
    _s3 = s3_storage_options(
        bucket=env_str("ZHENGGAI_S3_BUCKET", ""),
        endpoint_url=env_str("ZHENGGAI_S3_ENDPOINT_URL", ""),
        access_key=env_str("ZHENGGAI_S3_ACCESS_KEY", ""),
        secret_key=env_str("ZHENGGAI_S3_SECRET_KEY", "")
        or (Path(_s3_secret_file).read_text(encoding="utf-8").strip() if _s3_secret_file else ""),
        region=env_str("ZHENGGAI_S3_REGION", "us-east-1"),
        addressing_style=env_str("ZHENGGAI_S3_ADDRESSING_STYLE", "path"),
        ca_bundle=env_str("ZHENGGAI_S3_CA_BUNDLE", ""),
    )
    if not _s3["bucket_name"]:
        raise ImproperlyConfigured("ZHENGGAI_STORAGE=s3 needs ZHENGGAI_S3_BUCKET (对象存储须指定存储桶).")
    _s3_prefix = env_str("ZHENGGAI_S3_PREFIX", "").strip("/")
    for _alias in ("evidence", "uploads"):
        STORAGES[_alias] = {
            "BACKEND": "zhenggai.evidence.storage.S3BlobStorage",
            "OPTIONS": {**_s3, "location": f"{_s3_prefix}/{_alias}" if _s3_prefix else _alias},
        }
elif STORAGE_BACKEND != "filesystem":
    raise ImproperlyConfigured(f"ZHENGGAI_STORAGE must be filesystem or s3, not {STORAGE_BACKEND!r}")

# --- Evidence integrity (等保 数据完整性, 恶意代码防范; REQ-1.17, REQ-2.5/2.6, REQ-4.9) ---------------
# Content-addressed storage: the file's name is its digest (SM3 by default, or SHA-256).
EVIDENCE_DIGEST = env_str("ZHENGGAI_EVIDENCE_DIGEST", "sm3")
# The upload scanner: a dotted path (or comma-separated list); unset = the built-in scanner,
# plus ClamAV when ZHENGGAI_CLAMD is set (tcp://127.0.0.1:3310 or unix:///run/clamav/clamd.ctl).
EVIDENCE_SCANNER = env_list("ZHENGGAI_EVIDENCE_SCANNER", []) or None
EVIDENCE_CLAMD = env_str("ZHENGGAI_CLAMD", "")
EVIDENCE_CLAMD_TIMEOUT = env_int("ZHENGGAI_CLAMD_TIMEOUT", 30)

# --- Audit trail (等保 安全审计; REQ-1.11–1.13, REQ-3.x) --------------------------------------------
# HMAC-SM3 by default ("sha256" selects HMAC-SHA256). The keys live outside the database; the
# checkpoints go to a file outside it too (ship it to write-once storage or a log host).
AUDIT_ALGORITHM = env_str("ZHENGGAI_AUDIT_ALGORITHM", "sm3")
# Paths left None fall back, when used, to DATA_DIR/keys/audit.key, DATA_DIR/keys/audit-checkpoint.key,
# DATA_DIR/checkpoints/audit-checkpoints.jsonl and DATA_DIR/audit-archive.
AUDIT_KEY_FILE = env_path("ZHENGGAI_AUDIT_KEY_FILE")
AUDIT_CHECKPOINT_KEY_FILE = env_path("ZHENGGAI_AUDIT_CHECKPOINT_KEY_FILE")
AUDIT_CHECKPOINT_FILE = env_path("ZHENGGAI_AUDIT_CHECKPOINT_FILE")
AUDIT_ARCHIVE_DIR = env_path("ZHENGGAI_AUDIT_ARCHIVE_DIR")
AUDIT_CHECKPOINT_EVERY = env_int("ZHENGGAI_AUDIT_CHECKPOINT_EVERY", 100)
# Also a checkpoint after a commit when the last one is older than this (the timer; 1–3600 s,
# `check --deploy` refuses 0). The head after every commit goes to AUDIT_HEAD_FILE (default
# DATA_DIR/checkpoints/audit-head.jsonl), fsynced unless ZHENGGAI_AUDIT_HEAD_FSYNC=0.
AUDIT_CHECKPOINT_SECONDS = env_int("ZHENGGAI_AUDIT_CHECKPOINT_SECONDS", 300)
AUDIT_HEAD_FILE = env_path("ZHENGGAI_AUDIT_HEAD_FILE")
AUDIT_HEAD_FSYNC = env_bool("ZHENGGAI_AUDIT_HEAD_FSYNC", True)
# Repeated 403/404 answers to one account: an access.probe event at THRESHOLD answers within the
# window, then at each doubling (a count kept in one row per account, not one audit row per request).
AUDIT_PROBE_WINDOW_MINUTES = env_int("ZHENGGAI_AUDIT_PROBE_WINDOW_MINUTES", 10)
AUDIT_PROBE_THRESHOLD = env_int("ZHENGGAI_AUDIT_PROBE_THRESHOLD", 3)
# Never below 6 months (184 days): a system check refuses less (网络安全法 日志留存).
AUDIT_RETENTION_DAYS = env_int("ZHENGGAI_AUDIT_RETENTION_DAYS", 365)

PLAN_DUE_MONTHS = env_int("ZHENGGAI_PLAN_DUE_MONTHS", 1)
REPORT_DUE_MONTHS = env_int("ZHENGGAI_REPORT_DUE_MONTHS", 2)
DASHBOARD_SNAPSHOT_ABOVE = env_int("ZHENGGAI_DASHBOARD_SNAPSHOT_ABOVE", 100_000)  # above: read the snapshot

# --- Accounts: passwords, lockout, second factor (等保 8.1.4.1 身份鉴别; REQ-1.1–1.6) -----------

# Password policy, enforced on every path that sets a password (pages, commands).
PASSWORD_MIN_LENGTH = env_int("ZHENGGAI_PASSWORD_MIN_LENGTH", 8)
PASSWORD_MIN_CLASSES = env_int("ZHENGGAI_PASSWORD_MIN_CLASSES", 3)  # of upper, lower, digit, symbol
PASSWORD_HISTORY = env_int("ZHENGGAI_PASSWORD_HISTORY", 5)  # the last N passwords cannot be reused
PASSWORD_MAX_AGE_DAYS = env_int("ZHENGGAI_PASSWORD_MAX_AGE_DAYS", 90)  # then login → change page
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email")},
    },
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {
        "NAME": "zhenggai.accounts.validators.CharacterClassesValidator",
        "OPTIONS": {"min_classes": PASSWORD_MIN_CLASSES},
    },
    # Also records each new password's hash (its password_changed hook): history and age.
    {
        "NAME": "zhenggai.accounts.validators.PasswordHistoryValidator",
        "OPTIONS": {"history": PASSWORD_HISTORY},
    },
]

# Lockout: N failures within the window lock the account (and, separately, the address) for
# LOCKOUT_MINUTES, even with the right password; kept in the database, so every process agrees.
LOCKOUT_FAILURES = env_int("ZHENGGAI_LOCKOUT_FAILURES", 5)
LOCKOUT_ADDRESS_FAILURES = env_int("ZHENGGAI_LOCKOUT_ADDRESS_FAILURES", 5)
LOCKOUT_MINUTES = env_int("ZHENGGAI_LOCKOUT_MINUTES", 15)

# Second factor (TOTP, RFC 6238): required for every account in production; in development
# only accounts that enrolled are asked (the demo has none, and its login page says so).
OTP_REQUIRED = env_bool("ZHENGGAI_OTP_REQUIRED", PRODUCTION)
OTP_ISSUER = env_str("ZHENGGAI_OTP_ISSUER", "巡察整改台账")
# URL names a password-only session may open (public views, @login_not_required, are exempt too).
OTP_EXEMPT_URLS = ["web:login", "web:logout", "accounts:otp-verify", "accounts:otp-enrol"]

# --- Sessions (REQ-1.4, 1.5, 1.16) --------------------------------------------------------

# In the database, one row per session with its user, so logout, disabling a user and a
# password change delete the rows on the server.
SESSION_ENGINE = "zhenggai.accounts.sessions"
SESSION_IDLE_MINUTES = env_int("ZHENGGAI_SESSION_IDLE_MINUTES", 30)
SESSION_MAX_HOURS = env_int("ZHENGGAI_SESSION_MAX_HOURS", 12)
# The middleware ends a session (deleting its row, with a message and an audit event) when it
# comes back idle or too old; the row itself expires at the absolute age, as a backstop
# (``zhenggai clearsessions`` removes expired rows). The cookie lives until the browser closes.
SESSION_COOKIE_AGE = SESSION_MAX_HOURS * 3600
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False
CSRF_COOKIE_SAMESITE = "Lax"

# --- Client address behind a reverse proxy (REQ-2.11) -------------------------------------

# The request META key holding the client address set by the proxy (HTTP_X_REAL_IP, or
# HTTP_X_FORWARDED_FOR: the right-most address that is not a trusted proxy). Honoured only
# when the connection comes from TRUSTED_PROXIES (addresses or networks); otherwise, and by
# default, the address is REMOTE_ADDR.
TRUSTED_PROXY_HEADER = env_str("ZHENGGAI_TRUSTED_PROXY_HEADER", "")
TRUSTED_PROXIES = env_list("ZHENGGAI_TRUSTED_PROXIES", ["127.0.0.1", "::1"])

# --- Response headers (REQ-2.2), both profiles ----------------------------------------------

X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
# No inline script or style anywhere (templates and app.js); data: images are Bootstrap's icons.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
PERMISSIONS_POLICY = "camera=(), microphone=(), geolocation=(), payment=(), usb=()"

# --- The production profile: HTTPS only (Django's deployment checklist, REQ-2.1) -------------

if PRODUCTION:
    SECURE_SSL_REDIRECT = True
    # The proxy terminates TLS and says so in this header (it must overwrite what clients send).
    _ssl_header = env_str("ZHENGGAI_PROXY_SSL_HEADER", "HTTP_X_FORWARDED_PROTO")
    SECURE_PROXY_SSL_HEADER = (_ssl_header, "https") if _ssl_header else None
    SECURE_HSTS_SECONDS = 365 * 24 * 3600
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("ZHENGGAI_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    # __Host-: Secure, Path=/, no Domain; browsers refuse it from any other origin.
    SESSION_COOKIE_NAME = "__Host-sessionid"
    CSRF_COOKIE_NAME = "__Host-csrftoken"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}

# --- Notifications: the inbox, e-mail, SMS, the daily digest (issue 11; zhenggai.notify) ------------
# Messages always reach the in-app inbox; `zhenggai deliver` sends their e-mail and SMS from the
# outbox (retries with backoff; given up after NOTIFY_MAX_ATTEMPTS, kept and listed).
# E-mail through Django's mail framework: SMTP when ZHENGGAI_SMTP_HOST is set, else the console
# backend (the demo prints each e-mail); ZHENGGAI_EMAIL_BACKEND overrides both. The tests run
# with Django's locmem backend, and against a real local SMTP server where they say so.
_SMTP_HOST = env_str("ZHENGGAI_SMTP_HOST", "")
EMAIL_BACKEND = env_str(
    "ZHENGGAI_EMAIL_BACKEND",
    f"django.core.mail.backends.{'smtp' if _SMTP_HOST else 'console'}.EmailBackend",
)
EMAIL_HOST = _SMTP_HOST or "localhost"
EMAIL_PORT = env_int("ZHENGGAI_SMTP_PORT", 25)
EMAIL_HOST_USER = env_str("ZHENGGAI_SMTP_USER", "")
# The password from the environment or, better, a file readable by the service account only.
EMAIL_HOST_PASSWORD = env_str("ZHENGGAI_SMTP_PASSWORD", "") or (
    Path(env_str("ZHENGGAI_SMTP_PASSWORD_FILE", "")).read_text(encoding="utf-8").strip()
    if env_str("ZHENGGAI_SMTP_PASSWORD_FILE", "")
    else ""
)
EMAIL_USE_TLS = env_bool("ZHENGGAI_SMTP_STARTTLS", False)  # STARTTLS, usually port 587
EMAIL_USE_SSL = env_bool("ZHENGGAI_SMTP_SSL", False)  # implicit TLS, usually port 465
EMAIL_TIMEOUT = env_int("ZHENGGAI_SMTP_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("ZHENGGAI_MAIL_FROM", "巡察整改台账 <noreply@localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
# The absolute address of the staff site for links in e-mail and SMS (https://zg.example.gov.cn);
# unset, an e-mail gives the path to open after logging in and an SMS no link.
SITE_URL = env_str("ZHENGGAI_SITE_URL", "").rstrip("/")
# The SMS gateway (README "短信网关"): POST JSON {"to", "text", "id"}, any 2xx is success.
# Unset: no SMS is queued and the 提醒设置 page cannot switch SMS on.
SMS_GATEWAY_URL = env_str("ZHENGGAI_SMS_GATEWAY_URL", "")
SMS_GATEWAY_TOKEN = env_str("ZHENGGAI_SMS_GATEWAY_TOKEN", "")
SMS_GATEWAY_TIMEOUT = env_int("ZHENGGAI_SMS_GATEWAY_TIMEOUT", 10)
# The daily digest goes out at this hour, Beijing time (TIME_ZONE), for those who chose it.
NOTIFY_DIGEST_HOUR = env_int("ZHENGGAI_DIGEST_HOUR", 8)
# Attempts per e-mail or SMS before it is given up (1 min, 2, 4 … between them, at most 6 h).
NOTIFY_MAX_ATTEMPTS = env_int("ZHENGGAI_NOTIFY_MAX_ATTEMPTS", 10)

# --- disclosure and the public site /gk/ (issue 12) ---
# The public site's absolute address, printed as the QR code on notices and used by the static
# export and the Atom feed (https://gk.example.gov.cn). Unset: SITE_URL, else a local address.
PUBLIC_BASE_URL = env_str("ZHENGGAI_PUBLIC_URL", "").rstrip("/") or SITE_URL or "http://127.0.0.1:8000"
# The licence line of the open data (/gk/data/…).
OPEN_DATA_LICENCE = env_str(
    "ZHENGGAI_OPEN_DATA_LICENCE",
    "本数据依据《中华人民共和国政府信息公开条例》公开，可免费获取和使用，使用时请注明来源。",
)
# How long browsers and proxies may keep a public list page (a published version: a year).
PUBLIC_CACHE_SECONDS = env_int("ZHENGGAI_PUBLIC_CACHE_SECONDS", 300)
# The key of citizens' personal data (SM4-GCM and the blind index), in a file outside the
# database: 32 random bytes as 64 hex characters; created in development, required in production.
PII_KEY_FILE = env_path("ZHENGGAI_PII_KEY_FILE")
# Feedback: limits of one submission and of one sender, and how long personal data is kept.
FEEDBACK_MAX_CHARS = env_int("ZHENGGAI_FEEDBACK_MAX_CHARS", 5000)
FEEDBACK_MAX_FILES = env_int("ZHENGGAI_FEEDBACK_MAX_FILES", 5)
FEEDBACK_MAX_FILE_BYTES = env_int("ZHENGGAI_FEEDBACK_MAX_FILE_BYTES", 10 * 1024 * 1024)
FEEDBACK_RATE_PER_MINUTE = env_int("ZHENGGAI_FEEDBACK_RATE_PER_MINUTE", 5)
FEEDBACK_RATE_PER_DAY = env_int("ZHENGGAI_FEEDBACK_RATE_PER_DAY", 50)
FEEDBACK_ROUND_RATE_PER_HOUR = env_int("ZHENGGAI_FEEDBACK_ROUND_RATE_PER_HOUR", 200)
FEEDBACK_REPLY_DAYS = env_int("ZHENGGAI_FEEDBACK_REPLY_DAYS", 15)
FEEDBACK_RETENTION_DAYS = env_int("ZHENGGAI_FEEDBACK_RETENTION_DAYS", 3 * 365)
