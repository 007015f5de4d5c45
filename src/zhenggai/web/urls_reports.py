"""URLs of the documents and the workbook (namespace ``reports``): the 整改台账 workbook's
export and its import in three steps, the plan, the progress notice and the 整改情况报告."""

from django.urls import path

from . import converters  # noqa: F401  (registers ``sha256``)
from .views import documents, workbook

app_name = "reports"

urlpatterns = [
    # the 整改台账 workbook
    path("rounds/<int:round_id>/ledger.xlsx", workbook.xlsx_export, name="xlsx-export"),
    path("rounds/<int:round_id>/ledger/import/", workbook.xlsx_import, name="xlsx-import"),
    path(
        "rounds/<int:round_id>/ledger/import/confirm/",
        workbook.xlsx_import_confirm,
        name="xlsx-import-confirm",
    ),
    path(
        "rounds/<int:round_id>/ledger/import/<sha256:digest>/",
        workbook.xlsx_import_preview,
        name="xlsx-import-preview",
    ),
    # the plan and the progress notice
    path("rounds/<int:round_id>/plan.docx", documents.plan_docx, name="plan-docx"),
    path("rounds/<int:round_id>/notice/", documents.notice_edit, name="notice-edit"),
    path("rounds/<int:round_id>/notice.docx", documents.notice_docx, name="notice-docx"),
    path("rounds/<int:round_id>/notice.pdf", documents.notice_pdf, name="notice-pdf"),
    # the 整改情况报告
    path("rounds/<int:round_id>/report/", documents.report_edit, name="report-edit"),
    path("rounds/<int:round_id>/report.docx", documents.report_docx, name="report-docx"),
    path("rounds/<int:round_id>/report.pdf", documents.report_pdf, name="report-pdf"),
]
