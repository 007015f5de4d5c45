"""The site's URLs plus one view that fails, for the generic error page test."""

from django.urls import include, path


def boom(request):
    raise RuntimeError("secret-internal-detail: SELECT password FROM accounts_user")


urlpatterns = [path("boom/", boom), path("", include("zhenggai.urls"))]
