"""The API's core (issue 13): who may ask (tokens: missing, malformed, unknown, expired, revoked,
of a disabled account, read-only, of another unit, narrowed to a subtree), the one error shape,
keyset pages and their cursors, ``limit``, a body too large, every use recorded, the JSON 404,
the OpenAPI document and the docs page served from our own static files under our CSP."""

from __future__ import annotations

import datetime as dt
import re
import tracemalloc
from typing import Any

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from tests.api.conftest import ApiClient, api_url, error_of, token_for
from zhenggai.accounts.models import ApiToken
from zhenggai.accounts.tokens import token_revoke
from zhenggai.api import pagination
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger import services
from zhenggai.ledger.models import Measure, Round

ROUNDS = "/api/v1/rounds"


def _round(actor: Any, unit: Any, title: str) -> Round:
    return services.round_create(actor=actor, unit=unit, title=title, inspecting_group="县委第一巡察组")


def _ids(response: Any) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["items"]]


# --- no token, a bad token -------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [None, "", "Basic Y2xlcms6cGFzcw==", "Token zg_abc", "zg_abc", "Bearerzg_abc"],
    ids=["none", "empty", "basic", "token-scheme", "bare", "no-space"],
)
def test_without_a_bearer_token_every_route_is_401_unauthenticated(header: str | None, db: Any) -> None:
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}
    for path in (ROUNDS, f"{ROUNDS}/1", api_url("measure_list")):
        r = Client().get(path, **extra)
        assert r.status_code == 401, (path, r.content)
        assert error_of(r)["code"] == "unauthenticated"
    assert not AuditEvent.objects.filter(action="token.use").exists()


@pytest.mark.parametrize(
    "raw",
    ["", "zg_unknown", "zg_" + "A" * 40, "not-one-of-ours-maybe-a-password", "zg_" + "x" * 500],
    ids=["empty", "short", "unknown", "foreign", "huge"],
)
def test_an_unknown_token_is_401_token_invalid_recorded_with_the_prefix_only(raw: str, personas: Any) -> None:
    token_for(personas.clerk)
    r = Client().get(ROUNDS, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 401
    err = error_of(r)
    assert err["code"] == "token_invalid" and err["field"] is None
    event = AuditEvent.objects.get(action="auth.token")
    assert event.outcome == "failed" and event.actor is None
    assert event.after["prefix"] == (raw[:10] if raw.startswith("zg_") else "")
    if len(raw) > 10:
        assert raw not in str(event.after) and raw[10:] not in str(event.after)
    assert not AuditEvent.objects.filter(action="token.use").exists()


def _refused(raw: str, code: str) -> None:
    r = Client().get(ROUNDS, HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 401, r.content
    assert error_of(r)["code"] == code
    event = AuditEvent.objects.filter(action="auth.token").latest("seq")
    assert event.outcome == "failed"
    assert event.after["prefix"] == raw[:10]
    assert raw not in str(event.after)


def test_an_expired_token_is_401_token_expired(personas: Any, api_client: Any) -> None:
    c = api_client("clerk")
    assert c.get(ROUNDS).status_code == 200
    token = ApiToken.objects.get(user=personas.clerk)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=token.created_at - dt.timedelta(seconds=1))
    _refused(c.raw_token, "token_expired")


def test_a_revoked_token_is_401_token_revoked(personas: Any, api_client: Any) -> None:
    c = api_client("clerk")
    token_revoke(actor=personas.clerk, token=ApiToken.objects.get(user=personas.clerk))
    _refused(c.raw_token, "token_revoked")


def test_the_token_of_a_disabled_account_is_401_token_inactive(personas: Any, api_client: Any) -> None:
    c = api_client("viewer")
    personas.viewer.is_active = False
    personas.viewer.save()
    _refused(c.raw_token, "token_inactive")


def test_the_scheme_is_case_insensitive_and_the_token_trimmed(personas: Any, seed_round: Any) -> None:
    raw = token_for(personas.clerk)
    for header in (f"bearer {raw}", f"BEARER {raw}", f"Bearer  {raw} "):
        assert _ids(Client().get(ROUNDS, HTTP_AUTHORIZATION=header)) == [seed_round.pk], header


def test_a_session_is_not_a_token(personas: Any, seed_round: Any) -> None:
    """A logged-in browser reaches no API data without a token (and so no CSRF can ride it)."""
    browser = Client()
    browser.force_login(personas.clerk)
    r = browser.get(ROUNDS)
    assert r.status_code == 401 and error_of(r)["code"] == "unauthenticated"


# --- scope: the unit subtree, read or write ----------------------------------------------------


def test_a_token_of_unit_b_never_sees_unit_as_rounds(personas: Any, seed_round: Any, api_client: Any) -> None:
    b_round = _round(personas.outsider, personas.unit_b, "县财政局巡察整改")
    c = api_client("outsider")
    assert _ids(c.get(ROUNDS)) == [b_round.pk]
    r = c.get(f"{ROUNDS}/{seed_round.pk}")
    assert r.status_code == 404 and error_of(r)["code"] == "not_found"
    assert c.get(f"{ROUNDS}/{b_round.pk}").json()["title"] == "县财政局巡察整改"


def test_a_token_narrowed_to_a_unit_below_the_membership_sees_only_that_subtree(
    personas: Any, seed_round: Any, api_client: Any
) -> None:
    b_round = _round(personas.outsider, personas.unit_b, "县财政局巡察整改")
    everything = api_client("supervisor")  # the county: both
    assert sorted(_ids(everything.get(ROUNDS))) == sorted([seed_round.pk, b_round.pk])
    for unit, seen in (
        (personas.police, seed_round),
        (personas.unit_a, seed_round),
        (personas.unit_b, b_round),
    ):
        c = api_client("supervisor", unit=unit)
        assert _ids(c.get(ROUNDS)) == [seen.pk], unit.name
        other = b_round if seen == seed_round else seed_round
        assert c.get(f"{ROUNDS}/{other.pk}").status_code == 404
        assert c.get(f"{ROUNDS}/{seen.pk}").status_code == 200


def test_a_clerks_token_narrowed_to_a_department_sees_none_of_the_units_rounds(
    personas: Any, seed_round: Any, api_client: Any
) -> None:
    c = api_client("clerk", unit=personas.departments[0])
    assert _ids(c.get(ROUNDS)) == []
    assert c.get(f"{ROUNDS}/{seed_round.pk}").status_code == 404


def test_an_administrators_token_of_no_unit_sees_no_unit_data(
    personas: Any, seed_round: Any, db: Any
) -> None:
    from tests.accounts.conftest import make_admin

    c = ApiClient(token_for(make_admin("secadmin", "security_admin")))
    assert _ids(c.get(ROUNDS)) == []
    assert c.get(f"{ROUNDS}/{seed_round.pk}").status_code == 404


def _first_measure(round_: Round) -> Measure:
    return Measure.objects.filter(round=round_).order_by("pk").first()  # type: ignore[return-value]


def test_a_read_token_is_refused_a_write_403_read_only_token_and_nothing_changes(
    personas: Any, seed_round: Any, api_client: Any
) -> None:
    m = _first_measure(seed_round)
    before = (m.text, m.version)
    c = api_client("clerk", scope="read")
    r = c.patch(api_url("measure_update", measure_id=m.pk), json={"version": m.version, "text": "改了"})
    assert r.status_code == 403, r.content
    assert error_of(r)["code"] == "read_only_token"
    m.refresh_from_db()
    assert (m.text, m.version) == before
    use = AuditEvent.objects.filter(action="token.use").latest("seq")
    assert use.outcome == "denied" and use.after["status"] == 403 and use.after["method"] == "PATCH"
    # The same edit with a write token goes through require_write (the route's own tests go on).
    w = api_client("clerk", scope="write")
    r = w.patch(api_url("measure_update", measure_id=m.pk), json={"version": m.version, "text": "改了"})
    assert r.status_code == 200, r.content
    m.refresh_from_db()
    assert m.text == "改了"


# --- limit and cursors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("limit", "status"),
    [("100000", 400), ("201", 400), ("0", 400), ("-1", 400), ("abc", 422), ("1.5", 422), ("", 422)],
)
def test_a_limit_outside_1_to_200_is_refused_naming_limit(
    limit: str, status: int, personas: Any, api_client: Any
) -> None:
    r = api_client("clerk").get(ROUNDS, {"limit": limit})
    assert r.status_code == status, (limit, r.content)
    err = error_of(r)
    assert err["code"] == "invalid" and err["field"] == "limit"


@pytest.mark.parametrize("limit", ["1", "200"])
def test_the_bounds_of_limit_are_accepted(limit: str, seed_round: Any, api_client: Any) -> None:
    assert _ids(api_client("clerk").get(ROUNDS, {"limit": limit})) == [seed_round.pk]


def _rounds_of_a(personas: Any, n: int) -> list[int]:
    return [_round(personas.clerk, personas.unit_a, f"第{i + 1}轮巡察整改").pk for i in range(n)]


def test_keyset_pages_concatenate_to_the_whole_list_without_repeats(personas: Any, api_client: Any) -> None:
    made = _rounds_of_a(personas, 7)
    _round(personas.outsider, personas.unit_b, "县财政局巡察整改")
    c = api_client("clerk")
    seen: list[int] = []
    cursor: str | None = None
    sizes = []
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor:
            params["cursor"] = cursor
        r = c.get(ROUNDS, params)
        body = r.json()
        sizes.append(len(body["items"]))
        seen += [row["id"] for row in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert sizes == [3, 3, 1]
    assert seen == sorted(made)
    assert _ids(c.get(ROUNDS, {"limit": 50})) == sorted(made)


def test_a_full_last_page_says_there_is_no_next(personas: Any, api_client: Any) -> None:
    made = _rounds_of_a(personas, 4)
    c = api_client("clerk")
    first = c.get(ROUNDS, {"limit": 2}).json()
    second = c.get(ROUNDS, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [r["id"] for r in first["items"] + second["items"]] == sorted(made)
    assert second["next_cursor"] is None


def _cursor_after_first(c: ApiClient) -> str:
    cursor = c.get(ROUNDS, {"limit": 1}).json()["next_cursor"]
    assert isinstance(cursor, str) and cursor
    return cursor


def _flip(text: str, at: int) -> str:
    ch = text[at]
    return text[:at] + ("A" if ch != "A" else "B") + text[at + 1 :]


@pytest.mark.parametrize("where", ["payload", "signature", "separator"])
def test_a_tampered_cursor_is_400_bad_cursor(where: str, personas: Any, api_client: Any) -> None:
    _rounds_of_a(personas, 3)
    c = api_client("clerk")
    cursor = _cursor_after_first(c)
    at = {"payload": 1, "signature": len(cursor) - 2, "separator": cursor.index(":")}[where]
    r = c.get(ROUNDS, {"limit": 1, "cursor": _flip(cursor, at)})
    assert r.status_code == 400, r.content
    err = error_of(r)
    assert (err["code"], err["field"]) == ("bad_cursor", "cursor")


@pytest.mark.parametrize(
    "forged",
    [
        lambda: signing.dumps(["rounds", 1], salt="zhenggai.api.cursor", key="another-secret-key" * 3),
        lambda: signing.dumps(["rounds", 1], salt="another salt"),
        lambda: signing.dumps(["measures", 1], salt="zhenggai.api.cursor"),
        lambda: signing.dumps(["rounds", "1"], salt="zhenggai.api.cursor"),
        lambda: signing.dumps({"rounds": 1}, salt="zhenggai.api.cursor"),
        lambda: "not-a-cursor",
        lambda: "x" * 5000,
    ],
    ids=["other-key", "other-salt", "other-list", "str-key", "dict", "garbage", "long"],
)
def test_a_cursor_signed_with_another_key_or_of_another_list_is_400_bad_cursor(
    forged: Any, personas: Any, api_client: Any
) -> None:
    _rounds_of_a(personas, 2)
    r = api_client("clerk").get(ROUNDS, {"cursor": forged()})
    assert r.status_code == 400, r.content
    err = error_of(r)
    assert (err["code"], err["field"]) == ("bad_cursor", "cursor")


def test_a_cursor_of_the_measures_list_is_refused_by_the_rounds_list(
    personas: Any, seed_round: Any, api_client: Any
) -> None:
    c = api_client("clerk")
    measures = c.get(api_url("measure_list"), {"limit": 1}).json()
    assert measures["next_cursor"], measures
    r = c.get(ROUNDS, {"cursor": measures["next_cursor"]})
    assert r.status_code == 400 and error_of(r)["code"] == "bad_cursor"


def test_the_cursor_module_round_trips_and_checks_the_list() -> None:
    cursor = pagination._encode("rounds", 41)
    assert pagination._decode(cursor, "rounds") == 41
    with pytest.raises(pagination.ApiError):
        pagination._decode(cursor, "measures")


def test_the_rounds_list_costs_the_same_queries_for_two_rounds_and_for_twelve(
    personas: Any, api_client: Any, django_assert_num_queries: Any
) -> None:
    _rounds_of_a(personas, 2)
    c = api_client("clerk")
    c.get(ROUNDS)
    with CaptureQueriesContext(connection) as few:
        assert len(_ids(c.get(ROUNDS))) == 2
    _rounds_of_a(personas, 10)
    with django_assert_num_queries(len(few)):
        assert len(_ids(c.get(ROUNDS))) == 12


# --- a body too large -------------------------------------------------------------------------


def _patch_peak(c: ApiClient, url: str, body: bytes) -> tuple[Any, int]:
    """The answer to a PATCH of ``body``, and the peak of memory allocated while it was made."""
    tracemalloc.start()
    try:
        r = c.client.patch(
            url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {c.raw_token}"
        )
        _current, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return r, peak


def _body(size: int) -> bytes:
    head, tail = b'{"version": 1, "text": "', b'"}'
    return head + b"x" * (size - len(head) - len(tail)) + tail


def test_a_body_over_10_mb_is_413_too_large_without_being_read(
    personas: Any, seed_round: Any, api_client: Any, settings: Any
) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    assert limit == 10 * 1024 * 1024
    m = _first_measure(seed_round)
    before = (m.text, m.version)
    url = api_url("measure_update", measure_id=m.pk)
    over, under = _body(limit + 1024), _body(limit - 1024)
    writer, reader = api_client("clerk", scope="write"), api_client("clerk", scope="read")
    # A first request loads (and may compile) every router: not what is measured.
    assert reader.patch(url, json={"version": 0}).status_code == 422

    r, peak_over = _patch_peak(writer, url, over)
    assert r.status_code == 413, r.content[:300]
    assert error_of(r)["code"] == "too_large"
    m.refresh_from_db()
    assert (m.text, m.version) == before
    use = AuditEvent.objects.filter(action="token.use").latest("seq")
    assert use.after == {"method": "PATCH", "path": url, "status": 413}

    # Just under the limit the body is read and parsed (then refused: a read token), which
    # costs at least another copy of it; over the limit it is refused before any of that.
    r, peak_under = _patch_peak(reader, url, under)
    assert r.status_code == 403 and error_of(r)["code"] == "read_only_token"
    assert peak_under - peak_over > limit // 2, (peak_under, peak_over)


def test_a_body_under_the_limit_is_read_and_validated(
    personas: Any, seed_round: Any, api_client: Any
) -> None:
    m = _first_measure(seed_round)
    r = api_client("clerk", scope="write").patch(
        api_url("measure_update", measure_id=m.pk), json={"version": 0, "text": "x" * 1000}
    )
    assert r.status_code == 422 and error_of(r)["field"] == "version"


def test_a_malformed_json_body_is_in_the_error_shape(personas: Any, seed_round: Any, api_client: Any) -> None:
    m = _first_measure(seed_round)
    c = api_client("clerk", scope="write")
    r = c.client.patch(
        api_url("measure_update", measure_id=m.pk),
        b"{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {c.raw_token}",
    )
    assert r.status_code == 400, r.content
    assert error_of(r)["code"] == "invalid"


# --- every use recorded ----------------------------------------------------------------------


def test_every_use_is_recorded_with_method_path_and_status_and_last_used_moves(
    personas: Any, seed_round: Any, api_client: Any
) -> None:
    c = api_client("clerk")
    token = ApiToken.objects.get(user=personas.clerk)
    assert token.last_used_at is None
    c.get(ROUNDS, {"limit": 5})
    c.get(f"{ROUNDS}/{seed_round.pk}")
    c.get(f"{ROUNDS}/999999")
    c.get(ROUNDS, {"limit": 0})
    uses = list(AuditEvent.objects.filter(action="token.use").order_by("seq"))
    assert [(u.after["method"], u.after["path"], u.after["status"], u.outcome) for u in uses] == [
        ("GET", ROUNDS, 200, "ok"),
        ("GET", f"{ROUNDS}/{seed_round.pk}", 200, "ok"),
        ("GET", f"{ROUNDS}/999999", 404, "denied"),
        ("GET", ROUNDS, 400, "denied"),
    ]
    assert {u.actor_id for u in uses} == {personas.clerk.pk}
    assert {u.object_id for u in uses} == {str(token.pk)}
    assert all(c.raw_token not in str(u.after) for u in uses)
    token.refresh_from_db()
    assert token.last_used_at is not None


# --- paths, the schema, the docs --------------------------------------------------------------


@pytest.mark.parametrize("path", ["/api/", "/api/v1/", "/api/v1/nope", "/api/v2/rounds", "/api/v1/rounds/x"])
def test_an_unknown_api_path_is_a_json_404(path: str, personas: Any, api_client: Any) -> None:
    for c in (api_client("clerk"), ApiClient(None)):
        r = c.get(path)
        assert r.status_code == 404, (path, r.content[:200])
        assert error_of(r)["code"] == "not_found"


def test_a_method_a_path_does_not_have_is_a_json_405(api_client: Any, personas: Any) -> None:
    r = api_client("clerk").post(ROUNDS, json={})
    assert r.status_code == 405 and r["Allow"] == "GET"
    assert error_of(r)["code"] == "method_not_allowed"


def test_the_openapi_document_is_3_1_with_the_bearer_scheme_and_public(db: Any) -> None:
    r = Client().get("/api/v1/openapi.json")
    assert r.status_code == 200
    doc = r.json()
    assert doc["openapi"].startswith("3.1")
    schemes = doc["components"]["securitySchemes"]
    assert {"type": "http", "scheme": "bearer"}.items() <= next(iter(schemes.values())).items()
    name = next(iter(schemes))
    operations = [op for item in doc["paths"].values() for op in item.values()]
    assert operations and all(op.get("security") == [{name: []}] for op in operations)
    assert all(op.get("summary") for op in operations)
    listing = doc["paths"]["/api/v1/rounds"]["get"]
    assert {"400", "401", "404"} <= set(listing["responses"])


def _assets(html: str) -> list[str]:
    return re.findall(r'(?:src|href)="([^"]+)"', html)


def test_the_docs_page_is_public_and_its_assets_are_ours(db: Any) -> None:
    c = Client()
    r = c.get("/api/v1/docs")
    assert r.status_code == 200
    html = r.content.decode()
    assert "整改系统接口" in html
    assert not re.search(r"(?:https?:)?//(?!testserver)[\w.-]+", re.sub(r"<!--.*?-->", "", html)), html
    assets = _assets(html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    for url in assets:
        assert url.startswith("/static/"), url
        asset = c.get(url)
        assert asset.status_code == 200, url
        body = b"".join(asset.streaming_content) if asset.streaming else asset.content
        assert body, url
        asset.close()
    assert '"url": "/api/v1/openapi.json"' in html


def test_the_docs_page_runs_under_the_sites_csp(db: Any, settings: Any) -> None:
    r = Client().get("/api/v1/docs")
    csp = r["Content-Security-Policy"]
    assert csp == settings.CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    html = r.content.decode()
    # No inline script to execute (the settings are a JSON data block), no inline style.
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.S)
    for attrs, text in scripts:
        assert 'src="' in attrs or ('type="application/json"' in attrs), attrs
        assert "src=" in attrs or text.strip().startswith("{")
    assert "<style" not in html and " style=" not in html and "onload=" not in html


def test_a_path_with_an_encoded_newline_is_a_json_404_too(personas: Any, api_client: Any) -> None:
    for path in ("/api/v1/measures/%0A/progress", "/api/%0A", "/api/v1/rounds/1%0A"):
        r = api_client("clerk").get(path)
        assert r.status_code == 404, path
        assert error_of(r)["code"] == "not_found"
