"""WSGI entry point (waitress in the demo; any WSGI server behind a reverse proxy)."""

import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
application = get_wsgi_application()

if settings.PRODUCTION:
    # A production server does not start without the audit keys (they are never created there).
    from zhenggai.audit.keys import require_audit_keys

    require_audit_keys()
