"""URLs of the audit app (filled by its issue-5 work)."""

app_name = "audit"
urlpatterns: list = []
