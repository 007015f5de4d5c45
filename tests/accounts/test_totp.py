"""The second factor: RFC 6238 by hand, single use, ±1 step, enrolment with a QR code, and the
production profile's rule that a password-only session reaches nothing (REQ-1.6, REQ-2.3)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern

from tests.accounts.conftest import Clock, login
from zhenggai.accounts import services, totp
from zhenggai.accounts.models import TOTPDevice
from zhenggai.audit.models import AuditEvent

# RFC 6238 appendix B: the seeds are ASCII "1234567890" repeated to the hash's key size.
SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]
# RFC 4226 appendix D: HOTP of the counters 0..9.
RFC4226 = ["755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871", "520489"]


@pytest.mark.parametrize(("unix_time", "sha1", "sha256", "sha512"), RFC6238)
def test_totp_gives_the_rfc_6238_test_vectors_for_each_hash_REQ_1_6(
    unix_time: int, sha1: str, sha256: str, sha512: str
) -> None:
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp.totp(SEEDS[digest], unix_time, digits=8, digest=digest) == expected


def test_hotp_gives_the_rfc_4226_test_vectors() -> None:
    assert [totp.hotp(SEEDS["sha1"], counter) for counter in range(10)] == RFC4226


def test_a_code_is_accepted_one_step_either_side_of_now_and_not_two() -> None:
    key, now = SEEDS["sha1"], 1_700_000_000
    step = totp.time_step(now)
    for offset, accepted in ((-2, False), (-1, True), (0, True), (1, True), (2, False)):
        code = totp.hotp(key, step + offset)
        assert (totp.match(key, code, now) == step + offset) is accepted, offset


def test_a_code_of_a_step_already_used_is_refused() -> None:
    key, now = SEEDS["sha1"], 1_700_000_000
    step = totp.time_step(now)
    code = totp.hotp(key, step)
    assert totp.match(key, code, now, after=step - 1) == step
    assert totp.match(key, code, now, after=step) is None
    assert totp.match(key, "12345", now) is None and totp.match(key, "abcdef", now) is None


def test_the_provisioning_uri_is_what_authenticator_apps_read() -> None:
    uri = totp.provisioning_uri(SEEDS["sha1"], account="clerk", issuer="巡察整改台账")
    assert uri.startswith("otpauth://totp/%E5%B7%A1")
    assert "secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ" in uri
    assert "digits=6" in uri and "period=30" in uri and "algorithm=SHA1" in uri


def _enrol(user: Any, clock: Clock) -> bytes:
    _device, secret = services.otp_enrolment(user)
    assert services.otp_confirm(user=user, code=totp.totp(secret, clock.now.timestamp()))
    return secret


def test_the_secret_is_stored_sealed_and_not_as_the_apps_see_it(clock: Clock, personas: Any) -> None:
    secret = _enrol(personas.clerk, clock)
    stored = TOTPDevice.objects.get(user=personas.clerk).secret
    assert totp.b32(secret) not in stored and secret.hex() not in stored
    assert stored.startswith("v1:") and totp.unseal(stored, personas.clerk.pk) == secret
    with pytest.raises(ValueError):
        totp.unseal(stored, personas.leader.pk)


def test_a_sealed_secret_still_opens_while_the_secret_key_is_rotated(
    clock: Clock, personas: Any, settings: Any
) -> None:
    secret = _enrol(personas.clerk, clock)
    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 50, [old_key]
    assert totp.unseal(TOTPDevice.objects.get(user=personas.clerk).secret, personas.clerk.pk) == secret
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(ValueError):
        totp.unseal(TOTPDevice.objects.get(user=personas.clerk).secret, personas.clerk.pk)


def test_enrolment_shows_a_qr_code_inline_and_a_right_code_completes_the_login(
    clock: Clock, personas: Any, settings: Any
) -> None:
    settings.OTP_REQUIRED = True
    c = Client()
    response = login(c, "clerk")
    home = c.get(response.url)
    assert home.status_code == 302 and home.url.startswith(reverse("accounts:otp-verify"))
    verify = c.get(home.url)
    assert verify.status_code == 302 and verify.url.startswith(reverse("accounts:otp-enrol"))
    page = c.get(verify.url)
    html = page.content.decode()
    assert page.status_code == 200 and "绑定动态口令" in html
    assert re.search(r"<svg[^>]*class=\"otp-qr[ \"]", html) and "<path" in html
    assert "<script>" not in html and "style=" not in html and "http://" not in html.split("<body")[1]
    secret = totp.unseal(TOTPDevice.objects.get(user=personas.clerk).secret, personas.clerk.pk)
    assert totp.b32(secret)[:4] in html  # the key for typing in by hand
    wrong = c.post(reverse("accounts:otp-enrol"), {"code": "000000", "next": "/"})
    assert wrong.status_code == 200 and "动态口令不正确" in wrong.content.decode()
    done = c.post(
        reverse("accounts:otp-enrol"), {"code": totp.totp(secret, clock.now.timestamp()), "next": "/"}
    )
    assert done.status_code == 302 and done.url == "/"
    assert c.get("/").status_code == 200
    assert AuditEvent.objects.filter(action="auth.otp_enrolled", actor=personas.clerk).count() == 1
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor=personas.clerk).count() == 1


def test_an_enrolled_user_is_asked_for_the_code_even_where_it_is_optional_and_each_code_works_once(
    clock: Clock, personas: Any
) -> None:
    secret = _enrol(personas.clerk, clock)
    clock.advance(seconds=30)
    c = Client()
    login(c, "clerk")
    assert c.get("/").url.startswith(reverse("accounts:otp-verify"))
    code = totp.totp(secret, clock.now.timestamp())
    old_key = c.cookies["sessionid"].value
    ok = c.post(reverse("accounts:otp-verify"), {"code": code, "next": "/"})
    assert ok.status_code == 302 and c.get("/").status_code == 200
    # A new session id once the second factor is given (ASVS 7.2.4).
    assert c.cookies["sessionid"].value != old_key
    assert AuditEvent.objects.filter(action="auth.otp_verified", actor=personas.clerk).count() == 1
    # The same code again, in another session within its 30 seconds: refused.
    other = Client()
    login(other, "clerk")
    replay = other.post(reverse("accounts:otp-verify"), {"code": code, "next": "/"})
    assert replay.status_code == 200 and "已经使用过" in replay.content.decode()
    assert other.get("/").status_code == 302
    # The next step's code (the app's next one) works.
    clock.advance(seconds=30)
    fresh = other.post(reverse("accounts:otp-verify"), {"code": totp.totp(secret, clock.now.timestamp())})
    assert fresh.status_code == 302 and other.get("/").status_code == 200


def test_wrong_codes_count_towards_the_lockout_and_end_the_half_logged_in_session(
    clock: Clock, personas: Any
) -> None:
    _enrol(personas.clerk, clock)
    c = Client()
    login(c, "clerk")
    for _ in range(4):
        assert c.post(reverse("accounts:otp-verify"), {"code": "000000"}).status_code == 200
    fifth = c.post(reverse("accounts:otp-verify"), {"code": "000000"})
    assert fifth.status_code == 302 and fifth.url == reverse("web:login")
    assert c.get("/").url.startswith(reverse("web:login"))
    assert AuditEvent.objects.filter(action="auth.otp_failed", actor=personas.clerk).count() == 5
    # The account and the address (the same for every attempt here) are both locked.
    locks = AuditEvent.objects.filter(action="auth.lockout").values_list("after__scope", flat=True)
    assert sorted(locks) == ["account", "address"]
    assert "锁定" in login(Client(), "clerk").content.decode()


def test_the_login_page_says_when_the_second_factor_is_switched_off(
    db: Any, client: Client, settings: Any
) -> None:
    settings.OTP_REQUIRED = False
    assert (
        "第二重身份验证（动态口令）在本系统中未强制启用" in client.get(reverse("web:login")).content.decode()
    )
    settings.OTP_REQUIRED = True
    html = client.get(reverse("web:login")).content.decode()
    assert "未强制启用" not in html and "动态口令" in html


# --- the URL inventory (REQ-2.3) ------------------------------------------------------------

# Values that match the path converters of the site (int, str, digests, uuid …).
SAMPLES = ["1", "0" * 64, "0" * 40, "0" * 32, "00000000-0000-0000-0000-000000000000", "x", "a"]
# Views anyone may open (decorated @login_not_required); a new one must be added here on purpose.
PUBLIC = {
    "web:login",
    "web:logout",
    # The public site /gk/: published documents, open data and the citizen's feedback form.
    "public:index",
    "public:round",
    "public:version",
    "public:version-file",
    "public:feedback",
    "public:track",
    "public:rounds-json",
    "public:rounds-csv",
    "public:round-json",
    "public:feed",
    "public:qr",
}


def _sample(converter: Any) -> str:
    return next(s for s in SAMPLES if re.fullmatch(converter.regex, s))


def _inventory() -> list[tuple[str, str, Any]]:
    """(view name, a concrete path, the view) for every URL of the site."""
    found = []

    def fill(pattern: Any) -> str:
        if isinstance(pattern, RegexPattern):  # the API's catch-all: a sample for each group
            return re.sub(r"\(\?P<\w+>[^)]*\)", "x", str(pattern)).strip("^$")
        converters = getattr(pattern, "converters", {})
        return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: _sample(converters[m.group(1)]), str(pattern))

    def walk(patterns: list[Any], prefix: str, namespace: str) -> None:
        for p in patterns:
            route = fill(p.pattern)
            if isinstance(p, URLResolver):
                ns = ":".join(n for n in (namespace, p.namespace or "") if n)
                walk(p.url_patterns, prefix + route, ns)
            elif isinstance(p, URLPattern):
                name = f"{namespace}:{p.name}" if namespace else p.name or ""
                found.append((name, "/" + prefix + route, p.callback))

    walk(get_resolver().url_patterns, "", "")
    return found


INVENTORY = _inventory()
# The JSON API (issue 13): no session pages. Its views are exempt from the login redirect and
# the OTP step; each operation answers 401 without a token, the docs and schema are public.
API = {n for n, _, _ in INVENTORY if n.startswith("api:")} | {"api-not-found"}
API_PUBLIC = {"api:openapi-json", "api:openapi-view"}
API_NOT_FOUND = {"api:api-root", "api-not-found"}  # JSON 404s, whoever asks
NOT_SESSION_PAGES = PUBLIC | API


def test_the_public_views_are_logging_in_and_out_and_the_public_site() -> None:
    public = {name for name, _, view in INVENTORY if getattr(view, "login_required", True) is False}
    assert public - API == PUBLIC
    assert public >= API, API - public  # every API view is exempt from the login redirect
    assert API_PUBLIC | API_NOT_FOUND <= API and len(API) > len(API_PUBLIC | API_NOT_FOUND)


def _api_methods(view: Any) -> set[str]:
    """The methods ninja serves at a path (the others are a JSON 405)."""
    found: set[str] = set()
    for cell in view.__wrapped__.__closure__ or ():
        for op in getattr(cell.cell_contents, "operations", ()):
            found |= set(op.methods)
    return found


API_OPERATIONS = [
    (n, p, sorted(_api_methods(v))) for n, p, v in INVENTORY if n in API - API_PUBLIC - API_NOT_FOUND
]


def test_each_api_operation_has_its_methods() -> None:
    assert API_OPERATIONS and all(methods for _, _, methods in API_OPERATIONS)


@pytest.mark.parametrize(("name", "path", "methods"), API_OPERATIONS)
def test_every_api_operation_answers_401_without_a_token_and_never_the_login_page(
    name: str, path: str, methods: list[str], client: Client, personas: Any, settings: Any
) -> None:
    settings.OTP_REQUIRED = True
    half = Client()  # a password-only session: the API neither asks for the OTP step nor uses it
    assert login(half, "clerk").status_code == 302
    for c in (client, half):
        for method in methods:
            response = getattr(c, method.lower())(path)
            assert response.status_code == 401, (name, path, method, response.status_code)
            body = response.json()
            assert body["error"]["code"] == "unauthenticated", (name, method, body)


@pytest.mark.parametrize("name", sorted(API_PUBLIC | API_NOT_FOUND))
def test_the_api_docs_and_schema_are_public_and_the_rest_a_json_404(
    name: str, client: Client, db: Any
) -> None:
    path = next(p for n, p, _ in INVENTORY if n == name)
    response = client.get(path)
    if name in API_PUBLIC:
        assert response.status_code == 200, (name, path)
    else:
        assert response.status_code == 404, (name, path)
        assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize(("name", "path"), [(n, p) for n, p, _ in INVENTORY if n not in NOT_SESSION_PAGES])
def test_every_non_public_url_sends_the_anonymous_visitor_to_the_login_page_REQ_2_3(
    name: str, path: str, client: Client, db: Any
) -> None:
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 302, (name, path)
        assert response.url.startswith(reverse("web:login") + "?next="), (name, path)


@pytest.mark.parametrize(("name", "path"), [(n, p) for n, p, _ in INVENTORY if n not in NOT_SESSION_PAGES])
def test_every_url_sends_a_password_only_session_to_the_otp_step_in_production_REQ_1_6(
    name: str, path: str, personas: Any, settings: Any
) -> None:
    settings.OTP_REQUIRED = True
    c = Client()
    assert login(c, "clerk").status_code == 302
    if name in settings.OTP_EXEMPT_URLS:
        response = c.get(path)
        assert not (response.status_code == 302 and response.url.startswith(reverse("web:login"))), name
        return
    for method in (c.get, c.post):
        response = method(path)
        assert response.status_code == 302, (name, path)
        assert response.url.startswith(reverse("accounts:otp-verify")), (name, path, response.url)


def test_the_otp_exempt_urls_are_only_the_login_steps(settings: Any) -> None:
    assert set(settings.OTP_EXEMPT_URLS) == {
        "web:login",
        "web:logout",
        "accounts:otp-verify",
        "accounts:otp-enrol",
    }
