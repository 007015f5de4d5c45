"""Who may reach what: the outsider sees nothing of unit A, the anonymous are sent to log in,
a viewer may look but not act."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import get_resolver, reverse

from tests.conftest import SEED
from tests.web.conftest import PDF, World
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger.models import Finding, Measure, Progress, Round


@dataclass(frozen=True)
class Target:
    """One URL of unit A's objects, and a request that would do something if allowed."""

    name: str
    method: str
    args: Callable[[World, str], list[Any]]
    data: Callable[[World, Any, str], dict[str, Any]] | None = None


def _round(w: World, _: str) -> list[Any]:
    return [w.round.pk]


def _problem(w: World, _: str) -> list[Any]:
    return [w.problem.pk]


def _submitted(w: World, _: str) -> list[Any]:
    return [w.submitted.pk]


def _fresh(w: World, _: str) -> list[Any]:
    return [w.fresh.pk]


def _none(w: World, _: str) -> list[Any]:
    return []


TARGETS = [
    Target("round-detail", "get", _round),
    Target("round-measures", "get", _round),
    Target("problem-detail", "get", _problem),
    Target("problem-detail", "get", lambda w, _: [w.category.pk]),
    Target("measure-detail", "get", _submitted),
    Target("evidence-download", "get", lambda w, _: [w.evidence.pk]),
    Target("import-preview", "get", lambda w, digest: [digest]),
    Target("round-sign", "post", _round, lambda w, p, d: {}),
    Target("finding-create", "post", _round, lambda w, p, d: {"kind": "category", "title": "新类别"}),
    Target(
        "round-assign", "post", _round, lambda w, p, d: {"measures": [w.fresh.pk], "person": p.person2.pk}
    ),
    Target("problem-close", "post", _problem, lambda w, p, d: {}),
    Target("problem-send-back", "post", _problem, lambda w, p, d: {"send_back-reason": "材料不全"}),
    Target("problem-reopen", "post", _problem, lambda w, p, d: {"reopen-reason": "问题反弹"}),
    Target("measure-create", "post", _problem, lambda w, p, d: {"text": "新措施", "kind": "deadline"}),
    Target(
        "measure-edit",
        "post",
        _fresh,
        lambda w, p, d: {"text": "改过的措施", "kind": "deadline", "version": w.fresh.version},
    ),
    Target("measure-accept-suggestion", "post", _fresh, lambda w, p, d: {}),
    Target(
        "measure-split",
        "post",
        _fresh,
        lambda w, p, d: {"texts": "第一条\n第二条", "version": w.fresh.version},
    ),
    Target("measure-move", "post", _fresh, lambda w, p, d: {"direction": "up"}),
    Target("measure-delete", "post", _fresh, lambda w, p, d: {}),
    Target(
        "progress-add",
        "post",
        _fresh,
        lambda w, p, d: {"text": "已开展", "files": [SimpleUploadedFile("a.pdf", PDF)]},
    ),
    Target("measure-submit", "post", _fresh, lambda w, p, d: {}),
    Target("measure-review", "post", _submitted, lambda w, p, d: {"decision": "approve"}),
    Target("import-confirm", "post", _none, lambda w, p, d: {"digest": d}),
]
ACTIONS = [t for t in TARGETS if t.method == "post"]
OPEN_TO_ALL_USERS = {"home", "round-list", "round-create", "import", "search", "login", "logout"}


def _ids(targets: list[Target]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for t in targets:
        seen[t.name] = seen.get(t.name, 0) + 1
        out.append(t.name if seen[t.name] == 1 else f"{t.name}-{seen[t.name]}")
    return out


@pytest.fixture
def uploaded_digest(personas: Any, client_for: Any) -> str:
    """A's clerk has uploaded the seed and is looking at its preview."""
    c = client_for(personas.clerk)
    r = c.post(reverse("web:import"), {"file": SimpleUploadedFile(SEED.name, SEED.read_bytes())})
    assert r.status_code == 302
    return r.url.rstrip("/").rsplit("/", 1)[-1]


def _request(client: Any, target: Target, world: World, personas: Any, digest: str) -> Any:
    url = reverse(f"web:{target.name}", args=target.args(world, digest))
    if target.method == "get":
        return client.get(url)
    return client.post(url, target.data(world, personas, digest) if target.data else {})


def _snapshot() -> tuple[Any, ...]:
    return (
        AuditEvent.objects.count(),
        Round.objects.count(),
        Finding.objects.count(),
        Progress.objects.count(),
        sorted(Measure.objects.values_list("pk", "version", "status", "position")),
    )


def test_every_url_of_the_site_is_in_the_access_matrix() -> None:
    web = next(p for p in get_resolver().url_patterns if getattr(p, "namespace", None) == "web")
    names = {p.name for p in web.url_patterns}
    assert names - OPEN_TO_ALL_USERS == {t.name for t in TARGETS}


@pytest.mark.parametrize("target", TARGETS, ids=_ids(TARGETS))
def test_the_outsider_gets_404_on_every_page_file_and_action_of_unit_a_and_nothing_changes(
    target: Target, world: World, personas: Any, client_for: Any, uploaded_digest: str
) -> None:
    before = _snapshot()
    response = _request(client_for(personas.outsider), target, world, personas, uploaded_digest)
    assert response.status_code == 404
    assert "未找到" in response.content.decode()
    assert _snapshot() == before


@pytest.mark.parametrize("target", TARGETS, ids=_ids(TARGETS))
def test_the_anonymous_visitor_is_sent_to_the_login_page(
    target: Target, world: World, personas: Any, client
) -> None:
    before = _snapshot()
    response = _request(client, target, world, personas, "0" * 64)
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login") + "?next=")
    assert _snapshot() == before


@pytest.mark.parametrize("name", ["home", "round-list", "round-create", "import", "search"])
def test_the_anonymous_visitor_is_sent_to_the_login_page_from_the_lists_too(name: str, client, db) -> None:
    response = client.get(reverse(f"web:{name}"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("web:login"))


@pytest.mark.parametrize("target", ACTIONS, ids=_ids(ACTIONS))
def test_a_viewer_may_not_post_any_action_and_the_refusal_is_recorded(
    target: Target, world: World, personas: Any, client_for: Any, uploaded_digest: str
) -> None:
    before = _snapshot()[1:]
    response = _request(client_for(personas.viewer), target, world, personas, uploaded_digest)
    assert response.status_code == 403
    assert "没有权限" in response.content.decode()
    assert _snapshot()[1:] == before
    if target.name != "import-confirm":
        assert AuditEvent.objects.filter(actor=personas.viewer, outcome="denied").exists()


def test_a_viewer_may_look_at_every_page_of_unit_a(world: World, personas: Any, client_for: Any) -> None:
    c = client_for(personas.viewer)
    for target in TARGETS:
        if target.method == "get" and target.name != "import-preview":
            assert c.get(reverse(f"web:{target.name}", args=target.args(world, ""))).status_code == 200, (
                target
            )


def test_the_outsider_sees_nothing_of_unit_a_in_lists_search_and_tasks(
    world: World, personas: Any, client_for: Any
) -> None:
    c = client_for(personas.outsider)
    searches = [{}, {"round": world.round.pk}, {"q": "学习计划"}, {"person": personas.person.pk}]
    pages = [c.get(reverse("web:home")), c.get(reverse("web:round-list"))]
    pages += [c.get(reverse("web:search"), query) for query in searches]
    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert world.round.title not in html
        assert "制定学习计划" not in html
        assert "陈民警" not in html
    for page in pages[2:]:
        assert "共 0 条措施" in page.content.decode()


def test_the_outsider_cannot_build_a_round_in_unit_a(world: World, personas: Any, client_for: Any) -> None:
    c = client_for(personas.outsider)
    response = c.post(
        reverse("web:round-create"), {"unit": personas.unit_a.pk, "title": "冒名轮次", "kind": "regular"}
    )
    assert response.status_code == 400
    assert "所选项不存在或不可选" in response.content.decode()
    assert not Round.objects.filter(title="冒名轮次").exists()


def test_the_outsider_cannot_import_into_unit_a(personas: Any, client_for: Any, settings: Any) -> None:
    c = client_for(personas.outsider)
    upload = SimpleUploadedFile(SEED.name, SEED.read_bytes())
    response = c.post(reverse("web:import"), {"file": upload, "unit": personas.unit_a.pk})
    assert response.status_code == 400
    assert "所选项不存在或不可选" in response.content.decode()
    assert Round.objects.count() == 0
    assert not any(p.is_file() for p in settings.UPLOAD_TMP_DIR.rglob("*"))


def test_a_responsible_person_may_not_report_on_someone_elses_measure(
    world: World, personas: Any, client_for: Any
) -> None:
    response = client_for(personas.person2).post(
        reverse("web:progress-add", args=[world.fresh.pk]), {"text": "冒名填报"}
    )
    assert response.status_code == 403
    assert not Progress.objects.filter(text="冒名填报").exists()


def test_posting_to_an_action_with_get_changes_nothing(world: World, personas: Any, client_for: Any) -> None:
    c = client_for(personas.leader)
    before = _snapshot()
    assert (
        c.get(reverse("web:measure-review", args=[world.submitted.pk]), {"decision": "approve"}).status_code
        == 405
    )
    assert c.get(reverse("web:round-sign", args=[world.round.pk])).status_code == 405
    assert _snapshot() == before
