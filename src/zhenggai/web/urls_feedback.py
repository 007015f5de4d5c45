"""Staff pages of the feedback app (namespace ``feedback``)."""

from django.urls import path  # noqa: F401  (routes added with the views)

app_name = "feedback"

urlpatterns: list = []
