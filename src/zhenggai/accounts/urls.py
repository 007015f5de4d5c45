"""URLs of the accounts app (filled by its issue-5 work)."""

app_name = "accounts"
urlpatterns: list = []
