"""URLs of the 整改台账 workbook (namespace ``reports``): export, and import in three steps."""

from django.urls import path, register_converter

from . import xlsx_views


class _Digest:
    regex = "[0-9a-f]{64}"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


register_converter(_Digest, "xlsxdigest")

urlpatterns = [
    path("rounds/<int:round_id>/ledger.xlsx", xlsx_views.xlsx_export, name="xlsx-export"),
    path("rounds/<int:round_id>/ledger/import/", xlsx_views.xlsx_import, name="xlsx-import"),
    path(
        "rounds/<int:round_id>/ledger/import/confirm/",
        xlsx_views.xlsx_import_confirm,
        name="xlsx-import-confirm",
    ),
    path(
        "rounds/<int:round_id>/ledger/import/<xlsxdigest:digest>/",
        xlsx_views.xlsx_import_preview,
        name="xlsx-import-preview",
    ),
]
