from django.urls import include, path

urlpatterns = [
    path("reports/", include("zhenggai.reports.urls")),
    path("", include("zhenggai.web.urls")),
]
