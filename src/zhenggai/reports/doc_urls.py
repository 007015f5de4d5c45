urlpatterns: list = []  # the documents helper fills this
