"""The site's URLs plus views that let a service error through, as pages and under /api/."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

from zhenggai.errors import (
    DuplicateSubmission,
    Gone,
    InvalidInput,
    NotAllowed,
    ServiceError,
    StaleEdit,
    TransitionRefused,
)
from zhenggai.http.errors import Conflict


class Missing(ServiceError):
    """A service error answered with 404 (none of ours is yet; the boundary must still know it)."""

    http_status = 404


ERRORS: dict[str, ServiceError] = {
    "not-allowed": NotAllowed("只有整改办工作人员可以执行此操作"),
    "transition-refused": TransitionRefused("该措施已提交审核，不能再修改"),
    "stale-edit": StaleEdit(),
    "invalid-input": InvalidInput("完成时限不能早于反馈日期", field="deadline"),
    "gone": Gone("该措施已被删除"),
    "duplicate-submission": DuplicateSubmission("请勿重复提交", existing=None),
    "service-error": ServiceError("无法执行"),
    "missing": Missing("未找到该措施"),
}


def fail(request: HttpRequest, name: str) -> HttpResponse:
    raise ERRORS[name]


def recorded(request: HttpRequest) -> HttpResponse:
    """A refusal ``refusals_recorded`` turned into a ``Conflict``, raised from the service's error."""
    try:
        raise StaleEdit()
    except StaleEdit as err:
        raise Conflict(str(err), "/measures/1/") from err


def plain(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("not a service error")


def api_view(view):  # type: ignore[no-untyped-def]
    """The same view under /api/, where nobody is logged in by session (the API is token-only)."""

    def wrapped(request: HttpRequest, **kwargs: str) -> HttpResponse:
        return view(request, **kwargs)

    wrapped.login_required = False  # type: ignore[attr-defined]
    return wrapped


urlpatterns = [
    path("boom/recorded/", recorded),
    path("boom/plain/", plain),
    path("boom/<str:name>/", fail),
    path("api/boom/recorded/", api_view(recorded)),
    path("api/boom/<str:name>/", api_view(fail)),
    path("", include("zhenggai.urls")),
]
