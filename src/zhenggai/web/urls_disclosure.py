"""Staff pages of the disclosure app (namespace ``disclosure``)."""

from django.urls import path  # noqa: F401  (routes added with the views)

app_name = "disclosure"

urlpatterns: list = []
