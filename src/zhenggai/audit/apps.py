from django.apps import AppConfig
from django.core.exceptions import ImproperlyConfigured


class AuditConfig(AppConfig):
    name = "zhenggai.audit"
    label = "audit"
    verbose_name = "审计"

    def ready(self) -> None:
        from zhenggai import crypto

        from . import checks  # noqa: F401  (registers the system checks)

        # REQ-1.18: the official SM3/SM4 vectors must match, or the process does not start.
        try:
            crypto.self_test()
        except crypto.CryptoSelfTestError as exc:
            raise ImproperlyConfigured(str(exc)) from exc
