"""Fixtures of the API tests: tokens made through the service, and a client that sends them.

``make_token(user, scope="read", unit=None)`` returns the secret of a fresh token (the unit
defaults to the user's first membership unit, none for an administrator without one);
``api_client("clerk", scope="write")`` (a persona's name or a user) returns an ``ApiClient``
whose requests carry ``Authorization: Bearer …`` and send bodies as JSON.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.conftest import Personas


def token_for(user: Any, scope: str = "read", unit: Any = None, days: int = 30, name: str = "t") -> str:
    """A fresh token of ``user`` (through ``token_create``, so recorded like a real one)."""
    from zhenggai.accounts.tokens import token_create, token_units

    if unit is None:
        units = token_units(user)
        unit = units[0] if units else None
    _row, raw = token_create(actor=user, name=name, scope=scope, unit=unit, days=days)
    return raw


def api_url(name: str, *args: Any, **kwargs: Any) -> str:
    """``reverse("api:<name>")``: each operation is named after its function."""
    return reverse(f"api:{name}", args=args or None, kwargs=kwargs or None)


class ApiClient:
    """Django's test ``Client`` with the token header on every request; bodies go as JSON.

    ``get(path, params)``; ``post/put/patch/delete(path, json=None, data=None, **extra)``:
    ``json`` is sent as ``application/json``; ``data`` (a dict with files) as multipart.
    ``raw_token`` is the secret; ``user`` its owner.
    """

    def __init__(self, raw_token: str | None, user: Any = None) -> None:
        self.client = Client()
        self.raw_token = raw_token
        self.user = user

    def _headers(self, extra: dict[str, Any]) -> dict[str, Any]:
        headers = dict(extra)
        if self.raw_token is not None:
            headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {self.raw_token}")
        return headers

    def get(self, path: str, params: dict[str, Any] | None = None, **extra: Any) -> Any:
        return self.client.get(path, params or {}, **self._headers(extra))

    def _send(self, method: str, path: str, json: Any, data: Any, extra: dict[str, Any]) -> Any:
        send = getattr(self.client, method)
        if data is not None:
            # Django's Client encodes a dict as multipart only for POST; other verbs send it as given.
            return send(path, data, **self._headers(extra))
        body = "" if json is None else jsonlib.dumps(json, ensure_ascii=False, default=str)
        return send(path, body, content_type="application/json", **self._headers(extra))

    def post(self, path: str, json: Any = None, data: Any = None, **extra: Any) -> Any:
        return self._send("post", path, json, data, extra)

    def put(self, path: str, json: Any = None, data: Any = None, **extra: Any) -> Any:
        return self._send("put", path, json, data, extra)

    def patch(self, path: str, json: Any = None, data: Any = None, **extra: Any) -> Any:
        return self._send("patch", path, json, data, extra)

    def delete(self, path: str, json: Any = None, data: Any = None, **extra: Any) -> Any:
        return self._send("delete", path, json, data, extra)


@pytest.fixture
def make_token(db: Any) -> Callable[..., str]:
    """``make_token(user, scope="read", unit=None, days=30) -> str`` (the secret)."""
    return token_for


@pytest.fixture
def api_client(personas: Personas) -> Callable[..., ApiClient]:
    """``api_client("clerk", scope="read"|"write", unit=None)``: a client with a fresh token of
    that persona (a name of ``personas.all_users()`` or a user object)."""

    def make(who: Any, scope: str = "read", unit: Any = None, days: int = 30) -> ApiClient:
        user = personas.all_users()[who] if isinstance(who, str) else who
        return ApiClient(token_for(user, scope=scope, unit=unit, days=days), user)

    return make


@pytest.fixture
def anonymous_api() -> ApiClient:
    """A client that sends no token."""
    return ApiClient(None)


def error_of(response: Any) -> dict[str, Any]:
    """The ``error`` of an answer, after checking it has the one error shape."""
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body = response.json()
    assert set(body) == {"error"}, body
    err = body["error"]
    assert set(err) == {"code", "message", "field"}, err
    assert isinstance(err["code"], str) and err["code"]
    assert isinstance(err["message"], str) and err["message"]
    return dict(err)
