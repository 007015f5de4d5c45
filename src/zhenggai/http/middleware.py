"""Request id, client address and security headers for every response; probes recorded.

The client address is the socket's (``REMOTE_ADDR``) unless the connection comes from a
configured trusted proxy, whose header then names the client (``TRUSTED_PROXY_HEADER``,
``TRUSTED_PROXIES``; ASVS 15.3.4, REQ-2.11). A client cannot choose its own address for the
lockout or the audit trail by sending ``X-Forwarded-For``.
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import uuid
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from zhenggai.audit.probes import probe_record
from zhenggai.audit.services import RequestContext, reset_request_context, set_request_context

log = logging.getLogger("zhenggai.audit")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@functools.lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in proxies if p.strip())


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str:
    """The client's IP address, taken from the proxy header only when the proxy is trusted."""
    remote = request.META.get("REMOTE_ADDR", "") or ""
    header = settings.TRUSTED_PROXY_HEADER
    if not header:
        return remote
    trusted = _networks(tuple(settings.TRUSTED_PROXIES))
    peer = _parse(remote)
    if peer is None or not any(peer in net for net in trusted):
        return remote
    # X-Real-IP holds one address; X-Forwarded-For a list the proxies appended to: the client
    # is the right-most entry that is not one of our proxies (entries left of it are the
    # client's own claims).
    for entry in reversed(request.META.get(header, "").split(",")):
        addr = _parse(entry)
        if addr is None:
            break
        if not any(addr in net for net in trusted):
            return str(addr)
    return remote


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        rid = uuid.uuid4().hex
        address = client_address(request)
        request.request_id = rid  # type: ignore[attr-defined]
        request.client_address = address  # type: ignore[attr-defined]
        token = set_request_context(RequestContext(rid, address))
        try:
            response = self.get_response(request)
        finally:
            reset_request_context(token)
        response["X-Request-Id"] = rid
        return response


class SecurityHeadersMiddleware:
    """CSP, Permissions-Policy and CORP on every response; ``no-store`` unless a view chose.

    Django's SecurityMiddleware adds HSTS (HTTPS only), nosniff, Referrer-Policy and COOP;
    XFrameOptionsMiddleware adds X-Frame-Options. Static files set their own cache headers.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        response.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.setdefault("Cross-Origin-Resource-Policy", "same-origin")
        # Pages may show personal data and ledger content: never kept by a browser or proxy.
        response.setdefault("Cache-Control", "no-store")
        return response


class ProbeRecordingMiddleware:
    """Every 403 and 404 answered to a logged-in account counts towards ``access.probe``.

    Scoped selectors answer 404 for another unit's round, problem or measure (a POST that tries
    to change one too), policies 403; neither wrote anything before (issue 8, finding 8). The
    count lives in one row per account; the audit trail gets an event at the threshold and at
    each doubling (``zhenggai.audit.probes``). Placed after the authentication middleware. A
    failure to count is logged, not shown: the answer is a refusal already.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code in (403, 404):
            user = getattr(request, "user", None)
            if user is not None and user.is_authenticated:
                try:
                    probe_record(
                        user=user, status=response.status_code, method=request.method or "", path=request.path
                    )
                except Exception:  # any failure to count: the answer is a refusal already
                    log.exception("越权探测计数失败（%s %s）", request.method, request.path)
        return response


class PublicSiteMiddleware:
    """Under the public site (``/gk/``) every visitor is anonymous, whatever cookie they send.

    The public site needs no staff session and accepts none: placed right after the
    authentication middleware, it replaces the (lazy, not yet read) user with an anonymous one,
    so nothing of a staff session is read or written there. The session is never touched, so a
    public page carries no ``Vary: Cookie`` and no ``Set-Cookie`` and is the same for a clerk as
    for a citizen; the session security middleware sees an anonymous visitor and leaves the
    session alone (a public page neither extends nor ends a staff session).
    """

    #: The JSON API is anonymous too until its token says who asks (``zhenggai.api.auth``).
    PREFIXES = ("/gk/", "/api/")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(self.PREFIXES):
            from django.contrib.auth.models import AnonymousUser

            anonymous = AnonymousUser()

            async def auser() -> AnonymousUser:
                return anonymous

            request.user = anonymous
            request.auser = auser  # type: ignore[attr-defined]
        return self.get_response(request)
