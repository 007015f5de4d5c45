"""URLs of the inbox and the reminder settings (namespace ``inbox``)."""

from django.urls import path

from .views import inbox as views

app_name = "inbox"

urlpatterns = [
    path("", views.message_list, name="list"),
    path("<int:pk>/", views.message_open, name="open"),
    path("read-all/", views.messages_read_all, name="read-all"),
    path("settings/", views.preferences, name="preferences"),
    path("outbox/", views.outbox_problems, name="outbox"),
]
