"""Every list page is paged and a user reaches its last item by following its links: 搜索与筛选
(下一页 after the last row, the filters kept), the round overview (50 problems a page, the
round's figures on each) and 我的任务's boxes (50 each, "查看全部" to the rest)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from zhenggai.ledger import selectors
from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus
from zhenggai.ledger.selectors import MeasureFilters


def _measures(html: str) -> list[int]:
    return [int(pk) for pk in re.findall(r'href="/measures/(\d+)/"', html)]


def _link(html: str, label: str) -> str | None:
    found = re.search(rf'<a class="page-link" href="([^"]+)"[^>]*>{label}</a>', html)
    return found.group(1).replace("&amp;", "&") if found else None


def test_search_pages_reach_every_measure_and_keep_the_filters(
    personas: Any, seed_round: Any, client_for: Any
) -> None:
    c = client_for(personas.clerk)
    url = reverse("web:search")
    query = {"q": "", "round": seed_round.pk}
    first = c.get(url, query).content.decode()
    assert "共 100 条措施" in first and len(_measures(first)) == 50
    assert _link(first, "上一页") is None and _link(first, "首页") is None
    nxt = _link(first, "下一页")
    assert nxt is not None and f"round={seed_round.pk}" in nxt and "after=" in nxt
    second = c.get(url + nxt).content.decode()
    assert "共 100 条措施" in second and _link(second, "下一页") is None
    everything = [m.pk for m in selectors.measure_search(user=personas.clerk, filters=MeasureFilters())]
    assert _measures(first) + _measures(second) == everything
    prev = _link(second, "上一页")
    assert prev is not None and "before=" in prev
    assert _measures(c.get(url + prev).content.decode()) == _measures(first)
    assert f"round={seed_round.pk}" in (_link(second, "首页") or "")


def test_a_tampered_cursor_shows_the_first_page(personas: Any, seed_round: Any, client_for: Any) -> None:
    c = client_for(personas.clerk)
    first = _measures(c.get(reverse("web:search")).content.decode())
    for cursor in ("x", "1.2", "1.2.3.4.5.6", "<script>"):
        for key in ("after", "before"):
            response = c.get(reverse("web:search"), {key: cursor})
            assert response.status_code == 200 and _measures(response.content.decode()) == first


def test_the_search_count_stops_at_its_cap(
    personas: Any, seed_round: Any, client_for: Any, monkeypatch: Any
) -> None:
    from zhenggai.ledger import paging

    monkeypatch.setattr(paging, "COUNT_CAP", 60)
    html = client_for(personas.clerk).get(reverse("web:search")).content.decode()
    assert "共 60 条以上措施" in html


def test_every_search_page_makes_as_many_queries_as_the_first(
    personas: Any, seed_round: Any, client_for: Any
) -> None:
    c = client_for(personas.clerk)
    first = c.get(reverse("web:search")).content.decode()
    counts = []
    for query in ("", (_link(first, "下一页") or "").lstrip("?")):
        with CaptureQueriesContext(connection) as q:
            assert c.get(reverse("web:search") + "?" + query).status_code == 200
        counts.append(len(q.captured_queries))
    assert counts[0] == counts[1]


def test_the_outsider_finds_nothing_on_any_search_page(
    personas: Any, seed_round: Any, client_for: Any
) -> None:
    m = Measure.objects.filter(round=seed_round).order_by("pk").first()
    assert m is not None
    c = client_for(personas.outsider)
    for query in ({}, {"after": f"{seed_round.pk}.0.0.0.0"}, {"round": seed_round.pk}):
        html = c.get(reverse("web:search"), query).content.decode()
        assert _measures(html) == [] and m.text not in html


def test_the_round_overview_is_paged_with_the_rounds_figures_on_every_page(
    personas: Any, seed_round: Any, client_for: Any, monkeypatch: Any
) -> None:
    from zhenggai.web.views import rounds

    monkeypatch.setattr(rounds, "TREE_PER_PAGE", 10)
    c = client_for(personas.leader)
    url = reverse("web:round-detail", args=[seed_round.pk])
    problems = list(
        Finding.objects.filter(round=seed_round, kind=FindingKind.PROBLEM)
        .order_by("position")
        .values_list("pk", flat=True)
    )
    seen: list[int] = []
    for n in (1, 2, 3):
        html = c.get(url, {"page": n}).content.decode()
        assert '30</div><div class="figure-label">具体问题' in html  # the whole round's figure
        assert '100</div><div class="figure-label">整改措施' in html
        assert f"第 {n} / 3 页" in html and "每页 10 个具体问题" in html
        shown = [int(pk) for pk in re.findall(r'href="/problems/(\d+)/">', html)]
        on_page = [pk for pk in shown if pk in problems]
        assert len(on_page) == 10
        seen.extend(on_page)
    assert sorted(seen) == sorted(problems)
    last = c.get(url, {"page": 999}).content.decode()
    assert "第 3 / 3 页" in last and _link(last, "下一页") is None


def test_the_overview_makes_as_many_queries_on_every_page(
    personas: Any, seed_round: Any, client_for: Any, monkeypatch: Any
) -> None:
    from zhenggai.web.views import rounds

    monkeypatch.setattr(rounds, "TREE_PER_PAGE", 10)
    c = client_for(personas.clerk)
    url = reverse("web:round-detail", args=[seed_round.pk])
    c.get(url)
    counts = []
    for n in (1, 3):
        with CaptureQueriesContext(connection) as q:
            assert c.get(url, {"page": n}).status_code == 200
        counts.append(len(q.captured_queries))
    assert counts[0] == counts[1]


def test_the_supervisors_box_of_problems_to_close_shows_its_first_and_links_to_all(
    personas: Any, seed_round: Any, client_for: Any, monkeypatch: Any
) -> None:
    from zhenggai.web.views import tasks

    monkeypatch.setattr(tasks, "BOX_SIZE", 12)
    Measure.objects.filter(round=seed_round).update(status=MeasureStatus.DONE)
    c = client_for(personas.supervisor)
    home = c.get(reverse("web:home")).content.decode()
    assert "可销号（30）" in home and home.count('status-done">措施已全部完成') == 12
    assert 'href="?box=close"' in home
    seen: list[int] = []
    url: str | None = "?box=close"
    while url:
        html = c.get(reverse("web:home") + url).content.decode()
        seen.extend(int(pk) for pk in re.findall(r'href="/problems/(\d+)/"', html))
        url = _link(html, "下一页")
    ready = [f.pk for f in selectors.my_tasks(user=personas.supervisor)["close"]]
    assert seen == ready and len(seen) == 30
    for who in (personas.outsider, personas.person):
        html = client_for(who).get(reverse("web:home") + "?box=close").content.decode()
        assert re.findall(r'href="/problems/(\d+)/"', html) == [] and "暂无可销号的问题" in html


def test_reading_the_list_pages_writes_nothing(personas: Any, seed_round: Any, client_for: Any) -> None:
    """No session save, no other write on a page read (the idle time is stamped once a minute)."""
    urls = [reverse("web:home"), reverse("web:search"), reverse("web:round-detail", args=[seed_round.pk])]
    for user in (personas.clerk, personas.leader, personas.supervisor):
        c = client_for(user)
        for url in urls:
            with CaptureQueriesContext(connection) as q:
                assert c.get(url).status_code == 200
            writes = [
                x["sql"] for x in q.captured_queries if x["sql"].split()[0] in {"INSERT", "UPDATE", "DELETE"}
            ]
            assert writes == [], (user, url, writes)


@pytest.mark.parametrize(
    "url",
    [
        "/search/?after=%C2%B2.1.1.1.1",  # "²": a digit to str.isdigit, not to int()
        "/?box=close&after=%C2%B2.1.1",
        "/supervision/dashboard/measures/?round=%C2%B2",
        "/supervision/dashboard/measures/?unit=%E2%91%A0",  # "①"
        "/rounds/1/?page=%C2%B2",
    ],
)
def test_a_number_in_other_digits_is_no_number(personas: Any, seed_round: Any, client: Any, url: str) -> None:
    client.force_login(personas.supervisor)
    url = url.replace("/rounds/1/", f"/rounds/{seed_round.pk}/")
    assert client.get(url).status_code == 200
