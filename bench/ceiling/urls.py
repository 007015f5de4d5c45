"""The ceiling's one URL: a short HTML page."""

from django.http import HttpRequest, HttpResponse
from django.urls import path

PAGE = "<!doctype html><html lang='zh-CN'><title>ceiling</title><p>ok</p></html>"


def page(request: HttpRequest) -> HttpResponse:
    return HttpResponse(PAGE)


urlpatterns = [path("", page)]
