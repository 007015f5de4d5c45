"""The public site fed by the real workflow: a notice checked, submitted and approved through the
disclosure services appears on /gk/ exactly as stored, in the pages, the files and the open data.

(The other tests of this folder write published rows directly, in the same shape, to vary what
the site must show; this one proves the shape is what the workflow stores.)
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from tests.disclosure.conftest import ID_NUMBER, PHONE, decide_all, public_round  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def approved(personas: Any, public_round: Any) -> Any:  # noqa: F811
    from zhenggai.disclosure import services

    decide_all(personas.clerk, public_round.round)
    version = services.version_submit(actor=personas.clerk, round=public_round.round)
    return services.version_approve(actor=personas.leader, version=version)


def test_an_approved_notice_is_on_the_public_site_masked_and_byte_identical(approved: Any) -> None:
    c = Client()
    pid = approved.publication.public_id
    index = c.get(reverse("public:index")).content.decode()
    assert reverse("public:round", args=[pid]) in index
    page = c.get(reverse("public:version", args=[pid, "notice", 1]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "138****5678" in html
    assert PHONE not in html and ID_NUMBER not in html
    for ext, digest in (("pdf", approved.pdf_sha256), ("docx", approved.docx_sha256)):
        f = c.get(reverse("public:version-file", args=[pid, "notice", 1, ext]))
        assert f.status_code == 200
        body = b"".join(f.streaming_content) if f.streaming else f.content
        assert hashlib.sha256(body).hexdigest() == digest


def test_the_open_data_carries_the_figures_and_problems_as_approved(approved: Any) -> None:
    c = Client()
    pid = approved.publication.public_id
    rounds = json.loads(c.get(reverse("public:rounds-json")).content)
    assert rounds["schema"] == "zhenggai.open/1"
    (row,) = rounds["rounds"]
    assert row["id"] == pid
    for key in ("problems", "completed", "measures", "overdue"):
        assert row["counts"][key] == approved.figures[key]
    one = json.loads(c.get(reverse("public:round-json", args=[pid])).content)
    text = json.dumps(one, ensure_ascii=False)
    assert PHONE not in text and ID_NUMBER not in text
    titles = [p["title"] for p in one["documents"]["notice"]["data"]["problems"]]
    assert titles == [p["title"] for p in approved.data["problems"]]


def test_a_pending_submission_is_not_public(personas: Any, public_round: Any) -> None:  # noqa: F811
    from zhenggai.disclosure import services

    decide_all(personas.clerk, public_round.round)
    services.version_submit(actor=personas.clerk, round=public_round.round)
    rounds = json.loads(Client().get(reverse("public:rounds-json")).content)
    assert rounds["rounds"] == []
