"""Finding 8 of issue 8: repeated 404/403 probing by one logged-in account leaves a trace.

The clerk of unit B (the outsider) tries unit A's round, problem and measure URLs, reading
and posting. Each answer is a 404 (or 403) as before; the answers are counted per account and
written as ``access.probe`` events at the threshold and at each doubling — a few rows with the
count, not one per request — and the 审计管理员 sees them.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from zhenggai.audit.models import AuditEvent, ProbeWindow


def _probes(user) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action="access.probe", actor=user).order_by("seq"))


def _unit_a_urls(world) -> list[tuple[str, str]]:
    return [
        ("get", reverse("web:round-detail", args=[world.round.pk])),
        ("get", reverse("web:problem-detail", args=[world.problem.pk])),
        ("get", reverse("web:measure-detail", args=[world.fresh.pk])),
        ("post", reverse("web:problem-close", args=[world.problem.pk])),
        ("post", reverse("web:measure-delete", args=[world.fresh.pk])),
        ("post", reverse("web:round-sign", args=[world.round.pk])),
    ]


def test_finding8_an_outsider_probing_unit_a_leaves_a_rate_limited_trace(
    personas, world, client_for, settings
):
    settings.AUDIT_PROBE_THRESHOLD = 3
    outsider = client_for(personas.outsider)
    answers = []
    for _ in range(4):  # 24 requests, GET and POST
        for method, url in _unit_a_urls(world):
            answers.append(getattr(outsider, method)(url).status_code)
    assert set(answers) <= {403, 404} and 404 in answers
    # Nothing of unit A changed.
    world.fresh.refresh_from_db()
    world.problem.refresh_from_db()
    events = _probes(personas.outsider)
    # At 3, 6, 12 and 24 answers: four rows for 24 requests.
    assert [e.after["count"] for e in events] == [3, 6, 12, 24]
    last = events[-1]
    assert last.outcome == "denied" and last.actor_name == "outsider"
    assert any("POST" in r and f"/measures/{world.fresh.pk}/delete/" in r for r in last.after["recent"])
    assert any(r.startswith("404 GET") and f"/rounds/{world.round.pk}/" in r for r in last.after["recent"])
    assert len(last.after["recent"]) <= 10
    assert "24 次访问无权或不存在的页面" in last.after["reason"]
    # Unit A's own clerk reaching the same pages counts nothing.
    clerk = client_for(personas.clerk)
    for method, url in _unit_a_urls(world)[:3]:
        assert getattr(clerk, method)(url).status_code == 200
    assert _probes(personas.clerk) == []
    assert not ProbeWindow.objects.filter(user=personas.clerk).exists()


def test_one_mistyped_address_writes_no_event(personas, client_for):
    c = client_for(personas.outsider)
    assert c.get("/rounds/999999/").status_code == 404
    assert _probes(personas.outsider) == []
    assert ProbeWindow.objects.get(user=personas.outsider).count == 1


def test_a_new_window_starts_the_count_again(personas, world, client_for, settings):
    settings.AUDIT_PROBE_THRESHOLD = 2
    c = client_for(personas.outsider)
    url = reverse("web:round-detail", args=[world.round.pk])
    for _ in range(2):
        c.get(url)
    assert [e.after["count"] for e in _probes(personas.outsider)] == [2]
    ProbeWindow.objects.filter(user=personas.outsider).update(
        started_at=timezone.now() - dt.timedelta(minutes=settings.AUDIT_PROBE_WINDOW_MINUTES + 1)
    )
    for _ in range(2):
        c.get(url)
    assert [e.after["count"] for e in _probes(personas.outsider)] == [2, 2]


def test_anonymous_404s_are_not_counted(db, client):
    assert client.get("/gk/no-such-page/").status_code in (302, 404)
    assert ProbeWindow.objects.count() == 0


@pytest.mark.usefixtures("world")
def test_finding8_the_audit_admin_sees_the_probing(personas, world, client_for, settings):
    from django.contrib.auth import get_user_model

    settings.AUDIT_PROBE_THRESHOLD = 3
    outsider = client_for(personas.outsider)
    for method, url in _unit_a_urls(world)[:3]:
        getattr(outsider, method)(url)
    admin = get_user_model()(username="shenji", display_name="吴审计", admin_role="audit_admin")
    admin.set_password("Audit-pass-2026")
    admin.save()
    page = client_for(admin).get(reverse("audit:list"), {"action": "access.probe"}).content.decode()
    assert "反复访问无权或不存在的页面" in page and "outsider" in page
