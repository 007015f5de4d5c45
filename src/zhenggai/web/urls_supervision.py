"""URLs of supervision (namespace ``supervision``): warnings and extensions, desks and the
dashboard, verification, look-backs, evaluation and 督办单."""

from django.urls import URLPattern, path

from .views import supervision_dashboard as dashboard_views
from .views import supervision_followup as fv
from .views import supervision_warnings as wv

app_name = "supervision"

urlpatterns: list[URLPattern] = []

# --- warnings, tier settings and extensions (views/supervision_warnings.py) ---------------------
urlpatterns += [
    path("rounds/<int:pk>/settings/", wv.round_settings, name="round-settings"),
    path("measures/<int:pk>/extension/", wv.extension_request, name="extension-request"),
    path("extensions/", wv.extension_list, name="extension-list"),
    path("extensions/<int:pk>/", wv.extension_detail, name="extension-detail"),
    path("extensions/<int:pk>/decide/", wv.extension_decide, name="extension-decide"),
    path("extensions/<int:pk>/withdraw/", wv.extension_withdraw, name="extension-withdraw"),
]

# --- verification, look-backs, evaluation, 督办单 (views/supervision_followup.py) -----------------
urlpatterns += [
    path("rounds/<int:pk>/lookbacks/", fv.round_lookbacks, name="round-lookbacks"),
    path("rounds/<int:pk>/lookbacks/new/", fv.lookback_create, name="lookback-create"),
    path("lookbacks/<int:pk>/", fv.lookback_detail, name="lookback-detail"),
    path("lookbacks/<int:pk>/complete/", fv.lookback_complete, name="lookback-complete"),
    path("lookback-items/<int:pk>/check/", fv.lookback_check, name="lookback-check"),
    path("rounds/<int:pk>/verifications/", fv.round_verifications, name="round-verifications"),
    path("measures/<int:pk>/verify/", fv.measure_verify, name="measure-verify"),
    path("rounds/<int:pk>/evaluation/", fv.evaluation_scheme, name="evaluation-scheme"),
    path("rounds/<int:pk>/evaluation/default/", fv.evaluation_default, name="evaluation-default"),
    path("rounds/<int:pk>/evaluation/indicators/", fv.indicator_add, name="indicator-add"),
    path("indicators/<int:pk>/edit/", fv.indicator_edit, name="indicator-edit"),
    path("indicators/<int:pk>/delete/", fv.indicator_delete, name="indicator-delete"),
    path("rounds/<int:pk>/evaluation/score/", fv.evaluation_score, name="evaluation-score"),
    path("rounds/<int:pk>/evaluation/report/", fv.evaluation_report, name="evaluation-report"),
    path("orders/", fv.order_list, name="order-list"),
    path("orders/new/", fv.order_create, name="order-create"),
    path("orders/<int:pk>/", fv.order_detail, name="order-detail"),
    path("orders/<int:pk>/reply/", fv.order_reply, name="order-reply"),
    path("orders/<int:pk>/decide/", fv.order_decide, name="order-decide"),
]

# --- the supervisor's dashboard and the quality flags (views/supervision_dashboard.py) -----------
urlpatterns += [
    path("dashboard/", dashboard_views.dashboard, name="dashboard"),
    path("dashboard/measures/", dashboard_views.measures, name="dashboard-measures"),
    path("quality/<int:unit_id>/", dashboard_views.quality, name="quality"),
]
