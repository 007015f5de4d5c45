from django.apps import AppConfig


class FeedbackConfig(AppConfig):
    name = "zhenggai.feedback"
    label = "feedback"
    verbose_name = "群众监督"

    def ready(self) -> None:
        from zhenggai.evidence import store
        from zhenggai.supervision.services.reminders import register_source

        from . import checks  # noqa: F401  (registers the system checks)
        from .handling import feedback_remind
        from .models import FeedbackAttachment

        # Citizens' attachments are blobs of the evidence store: never removed while one names it.
        store.register_rows(FeedbackAttachment)
        # `zhenggai remind` also warns of the reply deadlines of accepted feedback.
        register_source("feedback", feedback_remind)
