"""The account list of a province: a page of accounts at a time, found by name, with a constant
number of queries whatever the number of accounts."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.accounts.conftest import Admins
from zhenggai.web.views.users import USERS_PER_PAGE

User = get_user_model()


def _client(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


def _make(n: int, prefix: str) -> None:
    User.objects.bulk_create([User(username=f"{prefix}{i:05d}", display_name=f"同事{i}") for i in range(n)])


def test_the_account_list_shows_one_page_and_links_to_the_next(admins: Admins) -> None:
    _make(USERS_PER_PAGE + 30, "zz")
    c = _client(admins.system)
    html = c.get(reverse("accounts:users")).content.decode()
    assert html.count('<td><a href="/accounts/users/') == USERS_PER_PAGE
    assert "第 1 / 2 页" in html
    second = c.get(reverse("accounts:users") + "?page=2").content.decode()
    assert "zz00129" in second and "zz00000" not in second


def test_the_account_list_finds_an_account_by_name_and_keeps_the_search_across_pages(admins: Admins) -> None:
    _make(USERS_PER_PAGE + 5, "findme")
    _make(10, "other")
    c = _client(admins.security)
    html = c.get(reverse("accounts:users"), {"q": "findme"}).content.decode()
    assert "other0000" not in html and "findme00000" in html
    assert "q=findme&amp;page=2" in html


def test_the_account_list_costs_the_same_queries_for_ten_or_a_thousand_accounts(admins: Admins) -> None:
    c = _client(admins.system)
    counts = []
    for n in (10, 1000):
        _make(n, f"n{n}_")
        with CaptureQueriesContext(connection) as ctx:
            assert c.get(reverse("accounts:users")).status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1]


def test_a_search_text_is_shown_escaped(admins: Admins) -> None:
    c = _client(admins.system)
    html = c.get(reverse("accounts:users"), {"q": '<script>x</script>'}).content.decode()
    assert "<script>x</script>" not in html and "&lt;script&gt;x&lt;/script&gt;" in html
