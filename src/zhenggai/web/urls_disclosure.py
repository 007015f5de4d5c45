"""Staff pages of the disclosure app (namespace ``disclosure``, mounted at ``/disclosure/``)."""

from django.urls import path

from .views import disclosure

app_name = "disclosure"

urlpatterns = [
    path("pending/", disclosure.pending, name="pending"),
    path("rounds/<int:round_id>/", disclosure.round_page, name="round"),
    path("rounds/<int:round_id>/<slug:kind>/check/", disclosure.check_page, name="check"),
    path("versions/<int:pk>/", disclosure.approve_page, name="approve"),
    path("versions/<int:pk>/reject/", disclosure.reject, name="reject"),
    path("versions/<int:pk>.<slug:ext>", disclosure.version_file, name="version-file"),
]
