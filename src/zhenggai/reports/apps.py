from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "zhenggai.reports"
    label = "reports"
    verbose_name = "报表与文书"
