from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "zhenggai.ledger"
    label = "ledger"
    verbose_name = "整改台账"

    def ready(self) -> None:
        # The database durability checks (REQ-4.3): zhenggai.ops has no app of its own.
        from zhenggai.ops import checks  # noqa: F401

        # Registers the hook that releases an evidence blob when its last row is deleted.
        from . import evidence  # noqa: F401
