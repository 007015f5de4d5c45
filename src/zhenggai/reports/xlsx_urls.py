urlpatterns: list = []  # the xlsx helper fills this
