from django.urls import include, path

urlpatterns = [
    path("", include("zhenggai.web.urls")),
]
