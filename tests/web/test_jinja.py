"""The pages rendered with Jinja2 (我的任务, 搜索与筛选, the round overview) behave as the Django
template pages do: the same navbar as ``base.html``, user text escaped, CSRF tokens that work,
messages shown, no inline script or style, and the outsider refused."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

import zhenggai
from tests.accounts.conftest import make_admin
from tests.web.conftest import build_round

JINJA = Path(zhenggai.__file__).parent / "jinja2"
EVIL = "<script>alert(1)</script>"


def _navbar(html: str) -> str:
    """The navbar of a page, its CSRF token blanked and whitespace between tags dropped."""
    nav = html[html.index('<nav class="navbar') : html.index("</nav>") + len("</nav>")]
    nav = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', 'name="csrfmiddlewaretoken" value=""', nav)
    return re.sub(r">\s+<", "><", re.sub(r"\s+", " ", nav))


@pytest.mark.parametrize(
    "who", ["clerk", "leader", "supervisor", "person", "outsider", "sysadmin", "auditor"]
)
@pytest.mark.parametrize("page", ["web:search", "web:home"])
def test_the_jinja_base_shows_the_same_navbar_as_the_django_base(
    who: str, page: str, personas: Any, client_for: Any
) -> None:
    user = (
        make_admin(who, "system_admin" if who == "sysadmin" else "audit_admin")
        if who in ("sysadmin", "auditor")
        else getattr(personas, who)
    )
    response = client_for(user).get(reverse(page))
    assert response.status_code == 200
    jinja = _navbar(response.content.decode())
    django = _navbar(render_to_string("base.html", request=response.wsgi_request))
    assert jinja == django
    assert 'aria-current="page"' in jinja or page != "web:home"


def test_the_jinja_environment_escapes_whatever_the_settings_say() -> None:
    from zhenggai.web.jinja import environment

    env = environment(autoescape=False)
    assert env.from_string("{{ x }}").render(x=EVIL) == "&lt;script&gt;alert(1)&lt;/script&gt;"


def test_user_text_is_escaped_on_the_jinja_pages(personas: Any, client_for: Any) -> None:
    from zhenggai.ledger import services

    w = build_round(personas, title=f"轮次{EVIL}")
    services.finding_update(actor=personas.clerk, finding=w.problem, title=f"问题{EVIL}", number="1.")
    services.measure_update(
        actor=personas.clerk, measure=w.fresh, expected_version=w.fresh.version, text=f"措施{EVIL}"
    )
    pages = {
        personas.clerk: [reverse("web:search"), reverse("web:round-detail", args=[w.round.pk])],
        personas.person: [reverse("web:home")],
        personas.leader: [reverse("web:home")],
    }
    for user, urls in pages.items():
        client = client_for(user)
        for url in urls:
            html = client.get(url).content.decode()
            assert EVIL not in html, (user, url)
            assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, (user, url)


def test_the_csrf_token_of_a_jinja_page_is_accepted_and_a_post_without_it_is_not(personas: Any) -> None:
    c = Client(enforce_csrf_checks=True)
    c.force_login(personas.clerk)
    html = c.get(reverse("web:search")).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert token is not None
    assert c.post(reverse("web:logout")).status_code == 403
    assert c.post(reverse("web:logout"), {"csrfmiddlewaretoken": token.group(1)}).status_code == 302


def test_a_message_is_shown_on_the_jinja_page_the_action_redirects_to(personas: Any, client_for: Any) -> None:
    w = build_round(personas)
    c = client_for(personas.clerk)
    data = {"kind": "category", "parent": "", "number": "二", "title": "作风建设方面"}
    response = c.post(reverse("web:finding-create", args=[w.round.pk]), data, follow=True)
    html = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("web:round-detail", args=[w.round.pk])
    assert 'class="alert alert-success' in html and "已添加“作风建设方面”" in html
    assert (
        "已添加“作风建设方面”" not in c.get(reverse("web:round-detail", args=[w.round.pk])).content.decode()
    )


def test_a_refused_finding_form_is_shown_again_with_its_errors(personas: Any, client_for: Any) -> None:
    w = build_round(personas)
    response = client_for(personas.clerk).post(
        reverse("web:finding-create", args=[w.round.pk]), {"kind": "category"}
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "invalid-feedback" in html and '<details class="card card-body mb-4" open>' in html


def test_the_outsider_gets_404_from_the_jinja_round_page(personas: Any, client_for: Any) -> None:
    w = build_round(personas)
    for query in ("", "?page=2"):
        assert (
            client_for(personas.outsider)
            .get(reverse("web:round-detail", args=[w.round.pk]) + query)
            .status_code
            == 404
        )


def test_no_jinja_template_needs_inline_script_or_style_so_the_csp_can_forbid_them() -> None:
    paths = sorted(JINJA.rglob("*.jinja"))
    assert paths
    for path in paths:
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)", text), path
        assert not re.search(r"\son[a-z]+=", text), path
        assert " style=" not in text and "<style" not in text, path
        assert "javascript:" not in text, path
        assert "|safe" not in text and "Markup(" not in text, path
