from django.apps import AppConfig


class UnitsConfig(AppConfig):
    name = "zhenggai.units"
    label = "units"
    verbose_name = "单位"
