from django.apps import AppConfig


class OpsConfig(AppConfig):
    name = "zhenggai.ops"
    label = "ops"
    verbose_name = "运维"

    def ready(self) -> None:
        # The database durability and deployment checks (REQ-4.3).
        from . import checks  # noqa: F401
