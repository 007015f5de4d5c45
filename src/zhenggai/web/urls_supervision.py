"""URLs of supervision (namespace ``supervision``): warnings and extensions, desks and the
dashboard, verification, look-backs, evaluation and 督办单."""


app_name = "supervision"

urlpatterns: list = []

# --- warnings, tier settings and extensions (views/supervision_warnings.py) ---------------------

# --- verification, look-backs, evaluation, 督办单 (views/supervision_followup.py) -----------------

# --- the supervisor's dashboard and the quality flags (views/supervision_dashboard.py) -----------
