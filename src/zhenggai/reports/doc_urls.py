"""URLs of the plan and the progress notice (namespace ``reports``)."""

from django.urls import path

from . import doc_views

urlpatterns = [
    path("rounds/<int:round_id>/plan.docx", doc_views.plan_docx, name="plan-docx"),
    path("rounds/<int:round_id>/notice/", doc_views.notice_edit, name="notice-edit"),
    path("rounds/<int:round_id>/notice.docx", doc_views.notice_docx, name="notice-docx"),
    path("rounds/<int:round_id>/notice.pdf", doc_views.notice_pdf, name="notice-pdf"),
]
