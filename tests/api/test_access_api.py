"""Who may do what through the API: every operation of ``/api/v1/`` for every persona (issue 13).

The table ``OPS`` names every operation of the live OpenAPI document (the guard is
``test_every_api_operation_is_in_the_access_table``: a new route fails it until it is added
here with who may use it). Each operation is asked, on an object of unit A, by every persona of
``tests/conftest.py`` (and the feedback officer, the three administrators, the anonymous
caller, and two tokens whose unit subtree leaves unit A out), with a read and a write token:

- unit A's people and the supervisor above it read everything of unit A (200); the audit trail
  is the audit administrator's alone (403 for everyone else, recorded);
- a write succeeds for the roles of ``allowed`` and is refused with 403 (recorded as denied,
  nothing changed) for the others of unit A; a read token is refused any write (403
  ``read_only_token``, nothing changed);
- the outsider, the administrators and a token scoped outside unit A get 404 on unit A's objects
  (nothing changed) and lists without them; no token at all is 401.

The roles are the pages' (``tests/web/test_access.py``): ``test_the_pages_allow_the_same_people``
asks each write's page with the same people and checks the same ``allowed``.

Each persona's request runs in a savepoint rolled back after it, so that every persona meets the
same state (a submitted measure is still waiting when the next one tries to review it).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse

from tests.api.conftest import ApiClient, error_of, token_for
from tests.conftest import PASSWORD
from tests.today import days_from_today
from tests.web.conftest import World, build_round
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger.models import Evidence, Finding, Measure, Progress, Review, Round

OPENAPI = "/api/v1/openapi.json"


# --- unit A's objects ----------------------------------------------------------------------------


@dataclass
class Objects:
    """The hand-built round of unit A (``World``) and what the close-out and extensions need.

    ``w.submitted`` waits for the unit head's review, ``w.fresh`` (not started, assigned to
    ``person``) has a waiting request for a later deadline by ``person``; ``started`` is in
    progress (``person``'s); ``done`` is a problem whose one measure is done, ``closed`` one
    already closed by the supervisor.
    """

    w: World
    started: Any
    done: Any
    closed: Any
    extension: Any


def _finished_problem(personas: Any, w: World, number: str) -> Any:
    from zhenggai.ledger import services

    clerk = personas.clerk
    problem = services.finding_create(
        actor=clerk, round=w.round, parent=w.issue, kind="problem", title=f"已整改问题{number}", number=number
    )
    m = services.measure_create(actor=clerk, finding=problem, text="建立制度", deadline=None)
    services.measure_assign_bulk(
        actor=clerk,
        round=w.round,
        measure_ids=[m.pk],
        person=personas.person,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=days_from_today(100),
    )
    services.progress_add(actor=personas.person, measure=m, text="已建立", files=[])
    services.measure_submit(actor=personas.person, measure=m)
    services.measure_review(actor=personas.leader, measure=Measure.objects.get(pk=m.pk), decision="approve")
    return Finding.objects.get(pk=problem.pk)


def build_objects(personas: Any) -> Objects:
    from zhenggai.ledger import services
    from zhenggai.supervision.services import extensions

    w = build_round(personas)
    clerk = personas.clerk
    started = services.measure_create(actor=clerk, finding=w.problem, text="开展警示教育", deadline=None)
    services.measure_assign_bulk(
        actor=clerk,
        round=w.round,
        measure_ids=[started.pk],
        person=personas.person,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=days_from_today(150),
    )
    services.progress_add(actor=personas.person, measure=started, text="已部署", files=[])
    done = _finished_problem(personas, w, "2.")
    closed = _finished_problem(personas, w, "3.")
    services.finding_close(actor=personas.supervisor, finding=closed, opinion="材料齐全，同意销号")
    ext = extensions.extension_request(
        actor=personas.person,
        measure=w.fresh,
        new_deadline=w.fresh.deadline + dt.timedelta(days=30),
        reason="设备未到位",
    )
    for obj in (w.fresh, w.submitted, started):
        obj.refresh_from_db()
    return Objects(w, Measure.objects.get(pk=started.pk), done, Finding.objects.get(pk=closed.pk), ext)


# --- who ------------------------------------------------------------------------------------------

# Unit A's people and the supervisor above it (``Personas.all_users`` but the outsider, and the
# feedback officer, as ``_people`` of the page matrix).
UNIT_A = (
    "supervisor",
    "leader",
    "clerk",
    "responsible_leader",
    "person",
    "person2",
    "viewer",
    "feedback_officer",
)
ADMINS = ("system_admin", "security_admin", "audit_admin")
# Who sees nothing of unit A: B's clerk, the administrators (members of no unit), the
# supervisor through a token scoped to unit B, the clerk through one scoped to a department of A.
OUTSIDE = ("outsider", *ADMINS, "supervisor@unit_b", "clerk@department")
EVERYONE = (*UNIT_A, *OUTSIDE)

CLERK = frozenset({"clerk"})
HEAD = frozenset({"leader"})  # REVIEW_ROLES
SUPERVISOR = frozenset({"supervisor"})  # SUPERVISE_ROLES
REPORTERS = frozenset({"person", "clerk"})  # may_report_progress: the responsible person or the clerk
DEADLINE_DECIDERS = frozenset({"leader", "responsible_leader"})  # may_extend_deadline
READERS = frozenset(UNIT_A)


@dataclass(frozen=True)
class Op:
    """One operation (``METHOD /api/v1/path``) on unit A's objects, and who may use it."""

    key: str
    path_args: Callable[[Objects], dict[str, int]] = lambda o: {}
    body: Callable[[Objects], dict[str, Any]] | None = None
    allowed: frozenset[str] = READERS
    ok: int = 200
    multipart: bool = False
    # A list: the field and the value of unit A's row that its readers see, and nobody else.
    listed: Callable[[Objects], tuple[str, int]] | None = None
    # What those who see nothing of unit A get (the audit trail refuses everyone but its reader).
    outside: int = 404
    # The page that does the same (name, args, form), for the pages-mirror test.
    page: tuple[str, Callable[[Objects], list[Any]], Callable[[Objects], dict[str, Any]]] | None = None

    @property
    def method(self) -> str:
        return self.key.split(" ", 1)[0]

    @property
    def template(self) -> str:
        return self.key.split(" ", 1)[1]

    @property
    def writes(self) -> bool:
        return self.method != "GET"

    def url(self, o: Objects) -> str:
        return self.template.format(**self.path_args(o))


def _round(o: Objects) -> dict[str, int]:
    return {"round_id": o.w.round.pk}


def _fresh(o: Objects) -> dict[str, int]:
    return {"measure_id": o.w.fresh.pk}


def _submitted(o: Objects) -> dict[str, int]:
    return {"measure_id": o.w.submitted.pk}


def _ext(o: Objects) -> dict[str, int]:
    return {"measure_id": o.w.fresh.pk, "extension_id": o.extension.pk}


def _later(o: Objects) -> dict[str, Any]:
    """A request for a later deadline of the measure in progress (API body and page form alike)."""
    return {"new_deadline": str(o.started.deadline + dt.timedelta(days=20)), "reason": "需采购设备"}


V1 = "/api/v1"
OPS = [
    Op(f"GET {V1}/rounds", listed=lambda o: ("id", o.w.round.pk)),
    Op(f"GET {V1}/rounds/{{round_id}}", _round),
    Op(f"GET {V1}/findings", listed=lambda o: ("id", o.w.problem.pk)),
    Op(f"GET {V1}/findings/{{finding_id}}", lambda o: {"finding_id": o.w.problem.pk}),
    Op(f"GET {V1}/measures", listed=lambda o: ("id", o.w.fresh.pk)),
    Op(f"GET {V1}/measures/{{measure_id}}", _submitted),
    Op(f"GET {V1}/measures/{{measure_id}}/progress", _submitted),
    Op(f"GET {V1}/measures/{{measure_id}}/reviews", _submitted),
    Op(f"GET {V1}/evidence/{{evidence_id}}", lambda o: {"evidence_id": o.w.evidence.pk}),
    Op(f"GET {V1}/stats/rounds/{{round_id}}", _round),
    Op(f"GET {V1}/stats/overview", listed=lambda o: ("round_id", o.w.round.pk)),
    Op(f"GET {V1}/audit/events", allowed=frozenset({"audit_admin"}), outside=403),
    # The token of the request itself: everyone with a token reads his own (200).
    Op(f"GET {V1}/token", allowed=frozenset(EVERYONE)),
    Op(
        f"POST {V1}/measures/{{measure_id}}/progress",
        _fresh,
        lambda o: {"text": "已组织学习"},
        REPORTERS,
        ok=201,
        multipart=True,
        page=("web:progress-add", lambda o: [o.w.fresh.pk], lambda o: {"text": "已组织学习"}),
    ),
    Op(
        f"POST {V1}/measures/{{measure_id}}/review",
        _submitted,
        lambda o: {"decision": "approve"},
        HEAD,
        page=("web:measure-review", lambda o: [o.w.submitted.pk], lambda o: {"decision": "approve"}),
    ),
    Op(
        f"PATCH {V1}/measures/{{measure_id}}",
        _fresh,
        lambda o: {"version": o.w.fresh.version, "text": "改过的措施"},
        CLERK,
        page=(
            "web:measure-edit",
            lambda o: [o.w.fresh.pk],
            lambda o: {
                "text": "改过的措施",
                "kind": o.w.fresh.kind,
                "leader": o.w.fresh.leader_id,
                "department": o.w.fresh.department_id,
                "person": o.w.fresh.person_id,
                "deadline": str(o.w.fresh.deadline),
                "version": o.w.fresh.version,
            },
        ),
    ),
    Op(
        f"POST {V1}/measures/{{measure_id}}/submit",
        lambda o: {"measure_id": o.started.pk},
        None,
        REPORTERS,
        page=("web:measure-submit", lambda o: [o.started.pk], lambda o: {}),
    ),
    Op(
        f"POST {V1}/measures/{{measure_id}}/extension-requests",
        lambda o: {"measure_id": o.started.pk},
        _later,
        REPORTERS,
        ok=201,
        page=("supervision:extension-request", lambda o: [o.started.pk], lambda o: _later(o)),
    ),
    Op(
        f"POST {V1}/measures/{{measure_id}}/extension-requests/{{extension_id}}/decision",
        _ext,
        lambda o: {"grant": True, "opinion": "同意"},
        DEADLINE_DECIDERS,
        page=("supervision:extension-decide", lambda o: [o.extension.pk], lambda o: {"decision": "grant"}),
    ),
    Op(
        f"POST {V1}/measures/{{measure_id}}/extension-requests/{{extension_id}}/withdrawal",
        _ext,
        None,
        frozenset({"person"}),  # the requester
        page=("supervision:extension-withdraw", lambda o: [o.extension.pk], lambda o: {}),
    ),
    Op(
        f"POST {V1}/findings/{{finding_id}}/close",
        lambda o: {"finding_id": o.done.pk},
        lambda o: {"opinion": "材料齐全，同意销号"},
        SUPERVISOR,
        page=("web:problem-close", lambda o: [o.done.pk], lambda o: {"close-opinion": "材料齐全，同意销号"}),
    ),
    Op(
        f"POST {V1}/findings/{{finding_id}}/send-back",
        lambda o: {"finding_id": o.w.problem.pk},
        lambda o: {"reason": "材料不全"},
        SUPERVISOR,
        page=(
            "web:problem-send-back",
            lambda o: [o.w.problem.pk],
            lambda o: {"send_back-reason": "材料不全"},
        ),
    ),
    Op(
        f"POST {V1}/findings/{{finding_id}}/reopen",
        lambda o: {"finding_id": o.closed.pk},
        lambda o: {"reason": "问题反弹"},
        SUPERVISOR,
        page=("web:problem-reopen", lambda o: [o.closed.pk], lambda o: {"reopen-reason": "问题反弹"}),
    ),
]
WRITES = [op for op in OPS if op.writes]


# --- fixtures and helpers ---------------------------------------------------------------------


@pytest.fixture
def admins(personas: Any) -> dict[str, Any]:
    """The three administrators (三员), members of no unit."""
    User = get_user_model()
    made = {}
    for role in ADMINS:
        made[role] = User(username=role.replace("_", ""), display_name=role, admin_role=role)
        made[role].set_password(PASSWORD)
        made[role].save()
    return made


@dataclass
class Caller:
    user: Any
    tokens: dict[str, str] = field(default_factory=dict)


@pytest.fixture
def callers(personas: Any, feedback_officer: Any, admins: dict[str, Any]) -> dict[str, Caller]:
    """Every persona with a read and a write token (scoped to its own unit, or as named)."""
    people = {**personas.all_users(), "feedback_officer": feedback_officer, **admins}
    scoped = {
        "supervisor@unit_b": (personas.supervisor, personas.unit_b),
        "clerk@department": (personas.clerk, personas.departments[0]),
    }
    made: dict[str, Caller] = {}
    for name in EVERYONE:
        user, unit = scoped.get(name, (people.get(name), None))
        made[name] = Caller(user, {s: token_for(user, scope=s, unit=unit) for s in ("read", "write")})
    return made


@pytest.fixture
def objects(personas: Any) -> Objects:
    return build_objects(personas)


def snapshot() -> tuple[Any, ...]:
    """What any write of the API could change (the audit log aside: every API use is recorded)."""
    from zhenggai.supervision.models import Extension

    return (
        sorted(Round.objects.values_list("pk", "version", "title")),
        sorted(Finding.objects.values_list("pk", "status", "cycle", "title")),
        sorted(Measure.objects.values_list("pk", "version", "status", "text", "deadline", "person_id")),
        Progress.objects.count(),
        Evidence.objects.count(),
        Review.objects.count(),
        sorted(Extension.objects.values_list("pk", "status", "new_deadline")),
    )


def _send(client: ApiClient, op: Op, o: Objects, url: str | None = None) -> Any:
    url = url or op.url(o)
    body = op.body(o) if op.body else None
    if op.method == "GET":
        return client.get(url)
    if op.multipart:
        return client.post(url, data=body or {})
    return getattr(client, op.method.lower())(url, json=body if body is not None else {})


def _denied(user: Any, since: int) -> bool:
    return AuditEvent.objects.filter(pk__gt=since, actor=user, outcome="denied").exists()


def _last_event() -> int:
    last = AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first()
    return last or 0


def _check(op: Op, who: str, scope: str, caller: Caller | None, o: Objects) -> None:
    """One request of ``who`` with a ``scope`` token; asserts the answer and what changed."""
    client = ApiClient(caller.tokens[scope] if caller else None, caller.user if caller else None)
    before, since = snapshot(), _last_event()
    response = _send(client, op, o)
    status = response.status_code
    shown = b"(a file)" if response.streaming else response.content[:300]
    where = (op.key, who, scope, status, shown)
    changed = snapshot() != before
    if caller is None:
        assert status == 401 and error_of(response)["code"] == "unauthenticated", where
        assert not changed, where
    elif op.writes and scope == "read":
        assert status == 403 and error_of(response)["code"] == "read_only_token", where
        assert not changed, where
    elif op.listed is not None:
        key, value = op.listed(o)
        assert status == 200, where
        seen = value in [item[key] for item in response.json()["items"]]
        assert seen == (who in op.allowed), where
        assert not changed, where
    elif who in op.allowed:
        assert status == op.ok, where
        assert changed == op.writes, where
    elif who in OUTSIDE and op.outside == 404:
        assert status == 404 and error_of(response)["code"] == "not_found", where
        assert not changed, where
    else:
        assert status == 403, where
        assert error_of(response)["code"] in {"not_allowed", "forbidden"}, where
        assert not changed, where
        # Refused where the page refuses, and recorded like the page's refusal.
        assert _denied(caller.user, since), where


# --- the tests ----------------------------------------------------------------------------------


def _live_operations() -> set[str]:
    paths = Client().get(OPENAPI).json()["paths"]
    return {f"{method.upper()} {path}" for path, item in paths.items() for method in item}


def test_every_api_operation_is_in_the_access_table(db: Any) -> None:
    keys = [op.key for op in OPS]
    assert len(keys) == len(set(keys))
    assert sorted(_live_operations()) == sorted(keys)


@pytest.mark.parametrize("op", OPS, ids=[op.key for op in OPS])
def test_every_persona_gets_what_its_role_allows_with_a_read_and_a_write_token(
    op: Op, objects: Objects, callers: dict[str, Caller]
) -> None:
    for who in (*EVERYONE, "anonymous"):
        for scope in ("read", "write"):
            with transaction.atomic():
                _check(op, who, scope, callers.get(who), objects)
                transaction.set_rollback(True)


def test_a_read_token_is_refused_a_write_before_the_object_is_looked_up(
    objects: Objects, callers: dict[str, Caller]
) -> None:
    """A read token learns nothing of an object it may not write: the answer is the same for
    unit A's object, another unit's and one that does not exist."""
    for op in WRITES:
        for pk in (op.path_args(objects), {k: 10**9 for k in op.path_args(objects)}):
            r = _send(ApiClient(callers["outsider"].tokens["read"]), op, objects, op.template.format(**pk))
            assert r.status_code == 403 and error_of(r)["code"] == "read_only_token", (op.key, r.content)


@pytest.mark.parametrize("op", [op for op in WRITES if op.page], ids=[op.key for op in WRITES if op.page])
def test_the_pages_allow_the_same_people_as_the_api(
    op: Op, objects: Objects, callers: dict[str, Caller]
) -> None:
    """Each write's page, asked by each of unit A's people: done (a redirect, something changed)
    by exactly those the API lets do it."""
    assert op.page is not None
    name, args, form = op.page
    did = set()
    for who in UNIT_A:
        with transaction.atomic():
            before = snapshot()
            page_client = Client()
            page_client.force_login(callers[who].user)
            response = page_client.post(reverse(name, args=args(objects)), form(objects))
            assert response.status_code in (302, 403), (who, response.status_code)
            if response.status_code == 302 and snapshot() != before:
                did.add(who)
            transaction.set_rollback(True)
    assert did == set(op.allowed), op.key
