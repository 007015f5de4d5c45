"""schemathesis against the live OpenAPI document of ``/api/v1/`` (issue 13).

The schema is loaded through the WSGI application itself (``/api/v1/openapi.json``), so a new
route is fuzzed as soon as it is registered. Every operation runs with all of schemathesis'
default checks (no server error, documented status codes, content types, headers and response
bodies, valid data accepted and invalid data rejected, the token actually required…) against
the personas, the seed round and a hand-built round of unit A, first with a write token of the
unit's clerk (so the writes are exercised), then with a read token, then, for each operation
the clerk may not use, with a write token of the role that may (``ROLE``, from the access
table: the unit head reviews, the supervisor closes, the audit administrator reads the trail…),
so that what they are answered is checked against the schema too.

Generated path ids are random numbers, which would only ever reach the 404 branch: half of
them are pointed at real objects of unit A (``Fuzz.aim``). A generated ``cursor`` is opaque random
text, which the server rightly refuses (400 ``bad_cursor``); in a case meant to be valid it is
replaced by a cursor the server issued for that list. Neither changes what is checked.

The token goes in through schemathesis' own auth hook (a mark the test replaces by its token),
so that a case meant to lack the ``Authorization`` header is sent without it (and must get 401).

One check is narrowed, on purpose and in one place: "valid data is accepted" cannot know the
business rules a service enforces (a deadline after today, a leader of the unit, the order of
two dates, a reason for sending back), so a 400 whose code is ``invalid_input`` (a service's
``InvalidInput``, naming the field) is taken as an answer to valid-looking data. A 400 of any
other code (``invalid``, ``bad_cursor``) or a 422 on data the schema calls valid still fails:
the schema must say it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import schemathesis
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections
from django.db.models import Model
from django.test import Client
from hypothesis import HealthCheck, settings
from schemathesis.core.result import Ok
from schemathesis.openapi.checks import RejectedPositiveData
from schemathesis.specs.openapi.checks import positive_data_acceptance

from tests.api.conftest import token_for
from tests.api.test_access_api import ADMINS, OPS
from tests.web.conftest import build_round


class _TestTransactionKept:
    """The WSGI application as Django's test client runs it: ``request_started`` and
    ``request_finished`` fire without ``close_old_connections``, which would close the
    connection it finds outside autocommit (the test's own transaction, on PostgreSQL). The
    test client also puts the handler back after each of its own requests, so it is taken off
    around each request here, not once for the test."""

    def __init__(self, app: WSGIHandler) -> None:
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterator[bytes]:
        signals.request_started.disconnect(close_old_connections)
        try:
            response = self.app(environ, start_response)
        finally:
            signals.request_started.connect(close_old_connections)
        return self._closing(response)

    @staticmethod
    def _closing(response: Any) -> Iterator[bytes]:
        try:
            yield from response
        finally:
            signals.request_finished.disconnect(close_old_connections)
            try:
                response.close()  # fires request_finished
            finally:
                signals.request_finished.connect(close_old_connections)


APP = _TestTransactionKept(WSGIHandler())
SCHEMA_URL = "/api/v1/openapi.json"
schema = schemathesis.openapi.from_wsgi(SCHEMA_URL, APP)

# Bounded per operation so that the suite stays quick on two cores; each operation is its own
# test (xdist spreads them). The fixtures hold one world for all examples of an operation: the
# writes of one example are seen by the next, which is what a client does too.
FUZZ = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# A path parameter that is not ``<model name>_id`` of one of our models: the model it names.
PARAM_MODELS: dict[str, str] = {}

# The auth hook marks each case that should carry the token; the running test puts its own
# token there (some cases are built when the tests are collected, before any token exists).
_MARK = "zg_fuzz_token_here"


@schema.auth(refresh_interval=None, retry_on=[])
class _Bearer:
    def get(self, case: Any, ctx: Any) -> str:
        return _MARK

    def set(self, case: Any, data: str, ctx: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


def _model_of(param: str) -> type[Model]:
    """The model a path parameter names (``measure_id`` → ``ledger.Measure``)."""
    if param in PARAM_MODELS:
        return apps.get_model(PARAM_MODELS[param])
    assert param.endswith("_id"), f"a path parameter of the API not named <model>_id: {param}"
    name = param.removesuffix("_id").replace("_", "")
    found = [
        m for m in apps.get_models() if m._meta.model_name == name and m.__module__.startswith("zhenggai.")
    ]
    assert len(found) == 1, f"{param}: add it to PARAM_MODELS ({found})"
    return found[0]


def _path_params() -> set[str]:
    return {
        p["name"]
        for item in schema.raw_schema["paths"].values()
        for op in item.values()
        if isinstance(op, dict)
        for p in op.get("parameters", [])
        if p.get("in") == "path"
    }


def _service_rule(response: Any) -> bool:
    """A 400 from a service's business rule (``invalid_input``), not from the schema's types."""
    if response.status_code != 400:
        return False
    try:
        return bool(json.loads(response.content)["error"]["code"] == "invalid_input")
    except (ValueError, KeyError, TypeError):
        return False


def valid_data_accepted_but_for_service_rules(ctx: Any, response: Any, case: Any) -> bool | None:
    """schemathesis' ``positive_data_acceptance``, forgiving only a service's business rule."""
    try:
        return positive_data_acceptance(ctx, response, case)
    except RejectedPositiveData:
        if _service_rule(response):
            return None
        raise


@dataclass
class Fuzz:
    """Unit A's objects and a token of its clerk, and how a generated case is aimed at them."""

    personas: Any
    token: str
    ids: dict[str, list[int]] = field(default_factory=dict)
    cursors: dict[str, str | None] = field(default_factory=dict)

    def known_ids(self, param: str) -> list[int]:
        if param not in self.ids:
            model = _model_of(param)
            self.ids[param] = list(model._default_manager.order_by("pk").values_list("pk", flat=True)[:20])
        return self.ids[param]

    def real_cursor(self, path: str) -> str | None:
        """A cursor the server issued for the list at ``path`` (its first page of one row)."""
        if path not in self.cursors:
            r = Client().get(path, {"limit": 1}, HTTP_AUTHORIZATION=f"Bearer {self.token}")
            self.cursors[path] = r.json().get("next_cursor") if r.status_code == 200 else None
        return self.cursors[path]

    def aim(self, case: Any) -> None:
        """Point half of the generated ids at real objects; give a valid case a real cursor."""
        for name, value in list((case.path_parameters or {}).items()):
            known = self.known_ids(name)
            if known and isinstance(value, int) and value % 2 == 0:
                case.path_parameters[name] = known[(value // 2) % len(known)]
        meta = case.meta
        positive = meta is not None and meta.generation.mode.is_positive
        if positive and case.query and "cursor" in case.query and case.method.upper() == "GET":
            real = self.real_cursor(case.formatted_path)
            if real is None:
                del case.query["cursor"]
            else:
                case.query["cursor"] = real

    def run(self, case: Any) -> None:
        if case.headers and case.headers.get("Authorization") == f"Bearer {_MARK}":
            case.headers["Authorization"] = f"Bearer {self.token}"
        self.aim(case)
        case.call_and_validate(
            excluded_checks=[positive_data_acceptance],
            additional_checks=[valid_data_accepted_but_for_service_rules],
        )


# Each operation the clerk may not use, and the persona who may (the first of the access table's).
ROLE = {op.key: sorted(op.allowed)[0] for op in OPS if "clerk" not in op.allowed}


def _key(operation: Any) -> str:
    return f"{operation.method.upper()} {operation.path}"


def _fuzz(personas: Any, scope: str) -> Fuzz:
    build_round(personas)
    return Fuzz(personas, token_for(personas.clerk, scope=scope, unit=personas.unit_a))


@pytest.fixture
def write_fuzz(personas: Any, seed_round: Any) -> Fuzz:
    return _fuzz(personas, "write")


@pytest.fixture
def read_fuzz(personas: Any, seed_round: Any) -> Fuzz:
    return _fuzz(personas, "read")


@dataclass
class Roles:
    """The world, and for the operation under test a write token of the persona ``ROLE`` names."""

    personas: Any
    people: dict[str, Any]
    made: Fuzz | None = None

    def fuzz(self, key: str) -> Fuzz:
        if self.made is None:  # one token for all the examples of the test's one operation
            who = ROLE[key]
            if who in ADMINS:
                user = get_user_model().objects.create(username=who.replace("_", ""), admin_role=who)
            else:
                user = self.people[who]
            self.made = Fuzz(self.personas, token_for(user, scope="write"))
        return self.made


@pytest.fixture
def role_fuzz(personas: Any, seed_round: Any, feedback_officer: Any) -> Roles:
    build_round(personas)
    return Roles(personas, {**personas.all_users(), "feedback_officer": feedback_officer})


@schema.parametrize()
@FUZZ
def test_every_operation_keeps_its_schema_with_the_clerks_write_token(case: Any, write_fuzz: Fuzz) -> None:
    write_fuzz.run(case)


@schema.parametrize()
@FUZZ
def test_every_operation_keeps_its_schema_with_the_clerks_read_token(case: Any, read_fuzz: Fuzz) -> None:
    read_fuzz.run(case)


@schema.include(lambda ctx: _key(ctx.operation) in ROLE).parametrize()
@FUZZ
def test_the_operations_of_other_roles_keep_their_schema_with_those_roles_tokens(
    case: Any, role_fuzz: Roles
) -> None:
    role_fuzz.fuzz(_key(case.operation)).run(case)


def test_every_path_parameter_names_a_model_the_fuzzer_can_aim_at(db: Any) -> None:
    params = _path_params()
    assert params, "the API has no operation on one object yet"
    for param in params:
        _model_of(param)


def test_the_schema_is_the_live_one_and_names_every_registered_operation() -> None:
    from zhenggai.api.main import api

    live = api.get_openapi_schema()
    assert sorted(schema.raw_schema["paths"]) == sorted(live["paths"])
    operations = list(schema.get_all_operations())
    assert operations and all(isinstance(op, Ok) for op in operations)
