from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "zhenggai.feedback"
    label = "feedback"
    verbose_name = "群众监督"
