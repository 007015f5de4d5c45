"""Issue 8, finding 12, on the pages: a reopened problem reads 整改中 everywhere; a deadline
out of range is refused next to its field; a measure deleted while a request is under way is
a conflict page, not a server error; a progress form sent twice makes one entry."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connection
from django.urls import reverse

from tests.today import days_from_today
from zhenggai.audit.models import AuditEvent
from zhenggai.ledger import services
from zhenggai.ledger.models import Measure, Progress


def _error_of(html: str, field: str) -> str:
    match = re.search(rf'id="id_{field}_errors">(.*?)</div>', html, re.S)
    return match.group(1) if match else ""


def _close_then_reopen(world: Any, p: Any) -> None:
    services.measure_review(actor=p.leader, measure=world.submitted, decision="approve")
    services.progress_add(actor=p.person, measure=world.fresh, text="已完成")
    services.measure_submit(actor=p.person, measure=world.fresh)
    services.measure_review(actor=p.leader, measure=world.fresh, decision="approve")
    services.finding_close(actor=p.supervisor, finding=world.problem, opinion="整改到位，同意销号")


# --- 1. a reopened problem ------------------------------------------------------------------------


def test_finding12_a_reopened_problem_reads_in_progress_on_every_page_and_is_not_counted_done(
    world: Any, personas: Any, client_for: Any
) -> None:
    p = personas
    _close_then_reopen(world, p)
    sup = client_for(p.supervisor)
    overview_url = reverse("web:round-detail", args=[world.round.pk])
    overview = sup.get(overview_url).content.decode()
    assert 'figure-value text-success">1</div><div class="figure-label">已完成（含已销号 1）' in overview

    response = sup.post(
        reverse("web:problem-reopen", args=[world.problem.pk]), {"reopen-reason": "回头看发现反弹"}
    )
    assert response.status_code == 302

    problem_page = sup.get(reverse("web:problem-detail", args=[world.problem.pk])).content.decode()
    assert "整改中</span>" in problem_page and "已完成</span>" not in problem_page
    assert "重新打开过 1 次" in problem_page and "对账销号</button>" not in problem_page
    overview = sup.get(overview_url).content.decode()
    assert 'figure-value text-success">0</div><div class="figure-label">已完成（含已销号 0）' in overview
    assert "0.00%" in overview
    # The round list counts no measure as 已完成; 我的任务 gives the work back to the person.
    rounds = sup.get(reverse("web:round-list")).content.decode()
    assert re.search(r'data-label="已完成" class="text-end">0</td>', rounds)
    tasks = client_for(p.person).get(reverse("web:home")).content.decode()
    for m in (world.submitted, world.fresh):
        assert f'href="/measures/{m.pk}/"' in tasks
    assert "暂无可销号的问题" in sup.get(reverse("web:home")).content.decode()
    found = sup.get(reverse("web:search"), {"round": world.round.pk, "status": "done"}).content.decode()
    assert "共 0 条措施" in found or "没有符合条件的措施" in found
    measure_page = client_for(p.person).get(reverse("web:measure-detail", args=[world.fresh.pk])).content
    assert "问题重新打开：回头看发现反弹" in measure_page.decode()


# --- 2. deadlines ---------------------------------------------------------------------------------


def test_finding12_a_deadline_out_of_range_is_refused_next_to_the_field_on_every_form(
    world: Any, personas: Any, client_for: Any
) -> None:
    clerk = client_for(personas.clerk)
    m = world.fresh
    far = days_from_today(366 * 6)
    for bad in ("1999-01-01", far.isoformat()):
        count, version = Measure.objects.count(), Measure.objects.get(pk=m.pk).version
        response = clerk.post(
            reverse("web:measure-create", args=[world.problem.pk]),
            {"text": "新措施", "kind": "deadline", "deadline": bad},
        )
        assert response.status_code == 400
        assert "完成时限" in _error_of(response.content.decode(), "deadline")
        response = clerk.post(
            reverse("web:measure-edit", args=[m.pk]),
            {
                "text": m.text,
                "kind": m.kind,
                "person": personas.person.pk,
                "deadline": bad,
                "version": version,
            },
        )
        assert response.status_code == 400
        assert "完成时限" in _error_of(response.content.decode(), "deadline")
        response = clerk.post(
            reverse("web:round-assign", args=[world.round.pk]), {"measures": [m.pk], "deadline": bad}
        )
        assert response.status_code == 400
        assert "完成时限" in _error_of(response.content.decode(), "deadline")
        assert (Measure.objects.count(), Measure.objects.get(pk=m.pk).version) == (count, version)


# --- 4. a measure deleted while the request is under way -------------------------------------------


@contextmanager
def deleted_meanwhile(measure: Measure) -> Iterator[dict[str, bool]]:
    """Delete ``measure`` after the view has read it and before the service starts.

    The view reads the measure, then the service opens its transaction (the first SAVEPOINT
    of the request after that read): the row is deleted just then, outside the service's
    transaction, as another user's committed delete would be.
    """
    state = {"read": False, "deleted": False}

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if not state["read"] and sql.startswith("SELECT") and 'FROM "ledger_measure"' in sql:
            state["read"] = True
        elif state["read"] and not state["deleted"] and sql.startswith("SAVEPOINT"):
            state["deleted"] = True
            Measure.objects.filter(pk=measure.pk).delete()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        yield state
    assert state["deleted"], "the measure was not deleted under the request"


def test_finding12_a_measure_deleted_while_the_form_was_open_answers_409_with_a_chinese_message(
    world: Any, personas: Any, client_for: Any
) -> None:
    p = personas
    posts = [
        (p.person, "web:progress-add", {"text": "已整改"}),
        (p.clerk, "web:measure-move", {"direction": "up"}),
        (
            p.clerk,
            "web:measure-edit",
            {"text": "改", "kind": "deadline", "person": p.person.pk, "version": world.fresh.version},
        ),
        (p.clerk, "web:measure-delete", {}),
        (p.person, "web:measure-submit", {}),
    ]
    for user, name, data in posts:
        m = services.measure_create(actor=p.clerk, finding=world.problem, text="将被他人删除的措施")
        services.measure_assign_bulk(actor=p.clerk, round=world.round, measure_ids=[m.pk], person=p.person)
        if name == "web:measure-edit":
            data = {**data, "version": Measure.objects.get(pk=m.pk).version}
        client = client_for(user)
        progress = Progress.objects.count()
        with deleted_meanwhile(m):
            response = client.post(reverse(name, args=[m.pk]), data)
        assert response.status_code == 409, (name, response.status_code)
        html = response.content.decode()
        assert "该整改措施已被删除" in html, name
        assert f'href="{reverse("web:problem-detail", args=[world.problem.pk])}"' in html, name
        assert Progress.objects.count() == progress
    refusals = [
        e for e in AuditEvent.objects.filter(outcome="denied") if "已被删除" in e.after.get("reason", "")
    ]
    assert len(refusals) == len(posts)


# --- 5. a progress form sent twice ----------------------------------------------------------------


def _token(html: str) -> str:
    match = re.search(r'<input type="hidden" name="token" value="([A-Za-z0-9_-]+)"', html)
    assert match, "the progress form carries no token"
    return match.group(1)


def test_finding12_a_progress_form_sent_twice_makes_one_entry_and_shows_it(
    world: Any, personas: Any, client_for: Any
) -> None:
    person = client_for(personas.person)
    page = reverse("web:measure-detail", args=[world.fresh.pk])
    first, second = _token(person.get(page).content.decode()), _token(person.get(page).content.decode())
    assert first != second  # one token per form shown
    url = reverse("web:progress-add", args=[world.fresh.pk])
    data = {"text": "已召开专题学习会", "token": first}
    assert person.post(url, data).status_code == 302
    entry = Progress.objects.get(measure=world.fresh)

    again = person.post(url, data)  # back, and send the same form again
    assert again.status_code == 302
    assert again.url == f"{page}#progress-{entry.pk}"
    assert Progress.objects.filter(measure=world.fresh).count() == 1
    shown = person.get(again.url).content.decode()
    assert "已经提交过" in shown and f'id="progress-{entry.pk}"' in shown
    # A form shown afresh is a new entry.
    assert person.post(url, {"text": "又召开一次", "token": second}).status_code == 302
    assert Progress.objects.filter(measure=world.fresh).count() == 2


def test_finding12_a_progress_form_with_a_forged_token_is_refused_next_to_the_form(
    world: Any, personas: Any, client_for: Any
) -> None:
    person = client_for(personas.person)
    url = reverse("web:progress-add", args=[world.fresh.pk])
    response = person.post(url, {"text": "已整改", "token": "<script>"})
    assert response.status_code == 400
    assert "页面已过期" in response.content.decode()
    assert not Progress.objects.filter(measure=world.fresh).exists()
