"""The public site /gk/ (namespace ``public``): published notices, open data, citizen feedback."""

from django.urls import path  # noqa: F401  (the routes are added by the public views)

app_name = "public"

urlpatterns: list = []
