"""The ``NinjaAPI`` of ``/api/v1/``: token auth on every operation, one error shape, the routers."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import PermissionDenied, RequestDataTooBig
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer

from zhenggai.accounts.tokens import TokenError, TokenRefused
from zhenggai.errors import InvalidInput, ServiceError
from zhenggai.http.boundary import error_code

from .auth import TokenAuth
from .errors import ApiError, api_error, document_shared, error_response
from .pagination import DEFAULT_LIMIT, MAX_LIMIT

_log = logging.getLogger("django.request")


class _Renderer(JSONRenderer):
    # Chinese as it is (readable in a log or a terminal), not as \u escapes.
    json_dumps_params = {"ensure_ascii": False}  # noqa: RUF012


class _Api(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> Any:
        schema = super().get_openapi_schema(**kwargs)
        document_shared(schema, max_limit=MAX_LIMIT, default_limit=DEFAULT_LIMIT)
        return schema


api = _Api(
    renderer=_Renderer(),
    title="整改系统接口",
    version="1",
    description=(
        "巡察整改系统的 JSON 接口。每个请求须带接口令牌：`Authorization: Bearer zg_…`"
        "（在“接口令牌”页面创建，只显示一次）。列表按游标翻页：`limit`（1–200，默认 50）与上一页返回的"
        ' `next_cursor`。出错时统一返回 `{"error": {"code", "message", "field"}}`。'
    ),
    urls_namespace="api",
    auth=TokenAuth(),
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def _first_field(errors: list[dict[str, Any]]) -> str | None:
    for err in errors:
        loc = [
            str(p)
            for p in err.get("loc", ())
            if p not in ("query", "body", "path", "form", "file", "payload")
        ]
        if loc:
            return ".".join(loc)
    return None


@api.exception_handler(NinjaValidationError)
def _invalid(request: HttpRequest, exc: NinjaValidationError) -> HttpResponse:
    field = _first_field(list(exc.errors))
    where = f"（{field}）" if field else ""
    return error_response(422, "invalid", f"请求内容不符合接口要求{where}。", field)


@api.exception_handler(AuthenticationError)
def _unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return error_response(401, "unauthenticated", "请在 Authorization 头中提供接口令牌：Bearer zg_…。")


@api.exception_handler(TokenRefused)
def _refused(request: HttpRequest, exc: TokenRefused) -> HttpResponse:
    return error_response(401, exc.code, str(exc))


@api.exception_handler(TokenError)
def _token_input(request: HttpRequest, exc: TokenError) -> HttpResponse:
    return error_response(400, "invalid", str(exc), exc.field)


@api.exception_handler(InvalidInput)
def _input(request: HttpRequest, exc: InvalidInput) -> HttpResponse:
    return error_response(exc.http_status, error_code(exc), str(exc), exc.field)


@api.exception_handler(ServiceError)
def _service(request: HttpRequest, exc: ServiceError) -> HttpResponse:
    return error_response(exc.http_status, error_code(exc), str(exc), getattr(exc, "field", None))


@api.exception_handler(PermissionDenied)
def _forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return error_response(403, "forbidden", str(exc) or "您无权执行该操作。")


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(404, "not_found", "未找到该对象，或您无权查看。")


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    return error_response(413, "too_large", "请求内容过大。")


@api.exception_handler(HttpError)
def _http(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if exc.status_code == 400:
        # ninja's one 400: a body it cannot parse ("Cannot parse request body", in English).
        return error_response(400, "invalid", "请求内容无法解析，请发送 UTF-8 编码的合法 JSON。")
    return error_response(exc.status_code, "error", str(exc))


api.add_exception_handler(ApiError, api_error)  # type: ignore[arg-type]


@api.exception_handler(Exception)
def _server_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    # A bug: logged with its traceback where Django logs a server error, answered in the shape.
    _log.error("Internal Server Error: %s", request.path, exc_info=exc, extra={"status_code": 500})
    return error_response(500, "server_error", "服务器内部错误，已记录，请稍后重试或联系管理员。")


def _routes() -> None:
    from .routes import rounds

    api.add_router("/rounds", rounds.router, tags=["巡察轮次"])
    api.add_router("", "zhenggai.api.routes.progress.router", tags=["进展与佐证"])
    api.add_router("", "zhenggai.api.routes.reviews.router", tags=["审核"])
    api.add_router("/findings", "zhenggai.api.routes.closeout.router", tags=["对账销号"])
    api.add_router("/audit", "zhenggai.api.routes.audit.router", tags=["审计"])
    api.add_router("/findings", "zhenggai.api.routes.findings.router", tags=["问题"])
    api.add_router("/measures", "zhenggai.api.routes.measures.router", tags=["整改措施"])
    api.add_router("/stats", "zhenggai.api.routes.stats.router", tags=["统计"])
    api.add_router("/token", "zhenggai.api.routes.token.router", tags=["接口令牌"])


_routes()
