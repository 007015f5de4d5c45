from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "zhenggai.accounts"
    label = "accounts"
    verbose_name = "账户"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from . import checks  # noqa: F401  (registers the system checks)
        from .middleware import stamp_login

        user_logged_in.connect(stamp_login, dispatch_uid="zhenggai.accounts.stamp_login")
