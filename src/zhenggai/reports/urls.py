"""Reports: the 整改台账 workbook (xlsx_urls) and the plan and notice documents (doc_urls)."""

from django.urls import include, path

app_name = "reports"

urlpatterns = [
    path("", include("zhenggai.reports.xlsx_urls")),
    path("", include("zhenggai.reports.doc_urls")),
]
