"""The URL configuration: the one place that imports an audience."""

from django.urls import include, path

urlpatterns = [
    path("reports/", include("zhenggai.web.urls_reports")),
    path("audit/", include("zhenggai.web.urls_audit")),
    path("accounts/", include("zhenggai.web.urls_accounts")),
    path("supervision/", include("zhenggai.web.urls_supervision")),
    path("inbox/", include("zhenggai.web.urls_inbox")),
    path("disclosure/", include("zhenggai.web.urls_disclosure")),
    path("feedback/", include("zhenggai.web.urls_feedback")),
    # The JSON API /api/v1/ (token auth, no session; JSON answers only).
    path("api/", include("zhenggai.api.urls")),
    # The public site: no login, its own templates and selectors (never a staff session's data).
    path("gk/", include("zhenggai.public.urls")),
    path("", include("zhenggai.web.urls")),
]
