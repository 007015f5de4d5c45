"""A one-view Django project (no database, no middleware, no templates): what Django and
gunicorn answer per second on this machine at best, the ceiling the pages are compared with."""

SECRET_KEY = "bench-ceiling-only"  # noqa: S105  (a local benchmark server, no session, no data)
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "ceiling.urls"
INSTALLED_APPS: list[str] = []
MIDDLEWARE: list[str] = []
DATABASES: dict[str, dict[str, str]] = {}
USE_TZ = True
