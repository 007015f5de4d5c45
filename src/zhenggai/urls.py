from django.urls import include, path

urlpatterns = [
    path("reports/", include("zhenggai.reports.urls")),
    path("audit/", include("zhenggai.audit.urls")),
    path("accounts/", include("zhenggai.accounts.urls")),
    path("", include("zhenggai.web.urls")),
]
