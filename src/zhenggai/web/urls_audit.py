"""URLs of the audit app: the trail for the 审计管理员 and its export."""

from django.urls import path

from .views import audit as views

app_name = "audit"
urlpatterns = [
    path("", views.event_list, name="list"),
    path("export.csv", views.event_export, name="export"),
]
