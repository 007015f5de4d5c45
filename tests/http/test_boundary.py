"""The error boundary: a service error a view lets through is answered by its ``http_status``.

Pages get the 403, 404 or conflict page; under ``/api/`` the answer is the one JSON error
shape. Nothing the user did is lost to a server error, and nothing claims to be recorded
that was not.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.test import Client

from tests.http.urls_boundary import ERRORS
from zhenggai.audit.models import AuditEvent
from zhenggai.http.boundary import error_code

pytestmark = pytest.mark.urls("tests.http.urls_boundary")

# name → status, the page's own words, the API's code
EXPECTED: dict[str, tuple[int, str, str]] = {
    "not-allowed": (403, "没有权限执行此操作", "not_allowed"),
    "transition-refused": (409, "操作未执行", "transition_refused"),
    "stale-edit": (409, "操作未执行", "stale_edit"),
    "invalid-input": (400, "提交的内容无法使用", "invalid_input"),
    "gone": (409, "操作未执行", "gone"),
    "duplicate-submission": (409, "操作未执行", "duplicate_submission"),
    "service-error": (400, "提交的内容无法使用", "service_error"),
    "missing": (404, "未找到您要访问的内容", "missing"),
}


@pytest.fixture
def clerk(personas: Any) -> Client:
    c = Client()
    c.force_login(personas.clerk)
    return c


def test_every_service_error_in_the_test_urls_has_an_expected_answer() -> None:
    assert set(EXPECTED) == set(ERRORS)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_an_uncaught_service_error_is_answered_with_the_page_its_status_names(
    clerk: Client, name: str
) -> None:
    status, words, _ = EXPECTED[name]
    before = AuditEvent.objects.filter(action__startswith="measure").count()
    response = clerk.get(f"/boom/{name}/")
    assert response.status_code == status
    html = response.content.decode()
    assert words in html
    if status != 404:  # the 404 page names no object (it might not be the user's to know of)
        assert str(ERRORS[name]) in html
    if status not in (403, 404):
        # Not through refusals_recorded: the page does not claim the attempt was recorded.
        assert "系统没有做任何更改。" in html and "此次操作已记录" not in html
    assert response["X-Request-Id"]  # the answer still went through the other middleware
    assert AuditEvent.objects.filter(action__startswith="measure").count() == before


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_under_api_the_answer_is_the_one_json_error_shape(clerk: Client, name: str) -> None:
    status, _, code = EXPECTED[name]
    response = clerk.get(f"/api/boom/{name}/")
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    field = "deadline" if name == "invalid-input" else None
    assert response.json() == {"error": {"code": code, "message": str(ERRORS[name]), "field": field}}


def test_a_recorded_refusal_is_the_conflict_page_that_says_so_with_its_way_back(clerk: Client) -> None:
    response = clerk.get("/boom/recorded/")
    assert response.status_code == 409
    html = response.content.decode()
    assert "已被他人修改" in html and "此次操作已记录" in html and 'href="/measures/1/"' in html


def test_under_api_a_recorded_refusal_is_named_by_the_services_error(clerk: Client) -> None:
    response = clerk.get("/api/boom/recorded/")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "stale_edit"


def test_a_403_or_404_from_the_boundary_counts_towards_probe_recording_like_any_other(
    clerk: Client, personas: Any
) -> None:
    from zhenggai.audit.models import ProbeWindow

    clerk.get("/boom/not-allowed/")
    clerk.get("/boom/missing/")
    assert ProbeWindow.objects.get(user=personas.clerk).count == 2


def test_anything_else_is_left_to_django(personas: Any) -> None:
    c = Client(raise_request_exception=False)
    c.force_login(personas.clerk)
    assert c.get("/boom/plain/").status_code == 500


def test_the_boundary_is_the_innermost_middleware() -> None:
    assert settings.MIDDLEWARE[-1] == "zhenggai.http.boundary.ErrorBoundaryMiddleware"


@pytest.mark.parametrize(
    ("name", "code"),
    [
        ("NotAllowed", "not_allowed"),
        ("StaleEdit", "stale_edit"),
        ("Gone", "gone"),
        ("HTTP2Error", "http2_error"),
    ],
)
def test_the_api_code_is_the_class_name_in_snake_case(name: str, code: str) -> None:
    assert error_code(type(name, (Exception,), {})()) == code
