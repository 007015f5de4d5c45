from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The public site /gk/ (its templates and static files live in this app)."""

    name = "zhenggai.public"
    label = "public"
    verbose_name = "公开网站"
