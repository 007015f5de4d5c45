"""The public site /gk/ (namespace ``public``): published notices, open data, citizen feedback.

Every view is ``@login_not_required`` and, under ``/gk/``, sees an anonymous visitor whatever
cookie the browser sends (``zhenggai.http.middleware.PublicSiteMiddleware``).
"""

from django.urls import path

from .views import citizen, data, documents

app_name = "public"

urlpatterns = [
    path("", documents.index, name="index"),
    path("r/<str:public_id>/", documents.round_detail, name="round"),
    path("r/<str:public_id>/qr.svg", documents.qr, name="qr"),
    path("r/<str:public_id>/feedback/", citizen.feedback, name="feedback"),
    path("r/<str:public_id>/<str:kind>/v<int:number>/", documents.version_detail, name="version"),
    path("r/<str:public_id>/<str:kind>/v<int:number>.<str:ext>", documents.version_file, name="version-file"),
    path("track/", citizen.track, name="track"),
    path("data/rounds.json", data.rounds_json, name="rounds-json"),
    path("data/rounds.csv", data.rounds_csv, name="rounds-csv"),
    path("data/rounds/<str:public_id>.json", data.round_json, name="round-json"),
    path("feed.atom", data.feed, name="feed"),
]
