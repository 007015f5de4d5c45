from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "zhenggai.ledger"
    label = "ledger"
    verbose_name = "整改台账"

    def ready(self) -> None:
        from . import evidence

        evidence.connect()
