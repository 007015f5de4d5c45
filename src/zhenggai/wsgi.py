"""WSGI entry point (waitress in the demo; any WSGI server behind a reverse proxy)."""

import gc
import os

from django.conf import settings
from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenggai.settings")
application = get_wsgi_application()

if settings.PRODUCTION:
    # A production server does not start without the audit keys (they are never created there).
    from zhenggai.audit.keys import require_audit_keys

    require_audit_keys()

# What is loaded by now (Django, the models, the URL patterns, the settings: some 160,000
# objects) lives as long as the process. Moved out of the collector's generations, it is no
# longer walked by every full collection: a page's slowest answers (the 99th percentile) were
# such collections, up to 100 ms in a 15 ms page. Made once per process (a gunicorn worker
# imports this module itself), before its first request.
gc.collect()
gc.freeze()
