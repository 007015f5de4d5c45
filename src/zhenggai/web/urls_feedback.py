"""Staff pages of the feedback app (namespace ``feedback``, mounted at ``/feedback/``)."""

from django.urls import path

from .views import feedback as views

app_name = "feedback"

urlpatterns = [
    path("", views.feedback_list, name="list"),
    path("<int:pk>/", views.feedback_detail, name="detail"),
    path("<int:pk>/reveal/", views.feedback_reveal, name="reveal"),
    path("<int:pk>/accept/", views.feedback_accept, name="accept"),
    path("<int:pk>/merge/", views.feedback_merge, name="merge"),
    path("<int:pk>/reject/", views.feedback_reject, name="reject"),
    path("<int:pk>/forward/", views.feedback_forward, name="forward"),
    path("<int:pk>/link/", views.feedback_link, name="link"),
    path("<int:pk>/clue/", views.feedback_clue, name="clue"),
    path("<int:pk>/reply/", views.feedback_reply, name="reply"),
    path("<int:pk>/attachments/<int:att>/", views.attachment_download, name="attachment"),
]
