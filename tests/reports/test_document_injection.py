"""Issue 8, finding 1: user text is data in the notice and the plan, PDF and .docx.

A round is given hostile text in every field that reaches a document (unit and group names,
the titles of categories, issues and problems, measure text, progress, owners, the notice's
sections 一/三/四, feedback channels and signing unit): tags that would embed a server file
(``<link rel=attachment>``, ``<a rel=attachment>``), fetch a URL (``<img>``, ``@import``,
``url()``) or restyle the document (``<style>``), and every HTML-special character. The
documents must show that text literally, embed no file, fetch nothing (a local HTTP server
records zero requests, the PDF fetcher refuses nothing because nothing is asked) and use
only our fonts.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from . import doccheck
from .test_notice_fixtures import make_seed_round

pytestmark = pytest.mark.django_db

SPECIALS = "& < > \" ' &amp; &lt;b&gt;"


def candidates(server: str, secret: Path) -> list[str]:
    """Hostile texts, longest first (a field gets the longest that fits its length)."""
    link = f'<link rel="attachment" href="{secret.as_uri()}">'
    return [
        link
        + f'<img src="{server}/img.png"><style>@import url("{server}/import.css"); '
        + "p { color: red; font-family: DejaVu Sans }</style>"
        + f'<a rel="attachment" href="{secret.as_uri()}" download="k.txt">附</a>'
        + f'<p style="background: url({server}/bg.png)">{SPECIALS}</p>',
        f'<link rel=attachment href="file:///etc/passwd"><img src={server}/i>& < > " \'',
        "<link rel=attachment href=file:///etc/passwd>",
        f"<img src={server}/s>&\"'",
        "<b>&amp;<i>\"'</i></b>",
    ]


@dataclass
class Hostile:
    server: doccheck.RecordingServer
    texts: dict[str, str]  # field → the text written into it
    notice_only: set[str]
    plan_only: set[str]
    notice_pdf: bytes
    plan_pdf: bytes
    notice_docx: bytes
    plan_docx: bytes
    log: list[logging.LogRecord]


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def hostile(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any):  # type: ignore[no-untyped-def]
    from django.db import transaction
    from django.test import override_settings

    data = tmp_path_factory.mktemp("injection")
    secret = data / "secret.txt"
    secret.write_text("SERVER-SECRET-4711", encoding="utf-8")
    handler = _Records()
    loggers = [logging.getLogger(n) for n in ("weasyprint", "zhenggai.reports")]
    # Built and rendered in a transaction rolled back at once (as the seed documents are); the
    # tests look at the documents, the server's requests and the log records kept.
    with (
        doccheck.RecordingServer() as server,
        override_settings(DATA_DIR=data, EVIDENCE_DIR=data / "evidence", UPLOAD_TMP_DIR=data / "tmp"),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        for lg in loggers:
            lg.addHandler(handler)
        try:
            built = _build(server, secret, handler.records)
        finally:
            for lg in loggers:
                lg.removeHandler(handler)
            transaction.set_rollback(True)
    return built


def _build(server: doccheck.RecordingServer, secret: Path, log: list[logging.LogRecord]) -> Hostile:
    from django.contrib.auth import get_user_model

    from zhenggai.ledger.models import Finding, FindingKind, Measure, MeasureStatus, Progress, Round
    from zhenggai.reports.builders import build_notice, build_plan
    from zhenggai.reports.docx_render import render_docx
    from zhenggai.reports.models import NoticeDraft
    from zhenggai.reports.pdf_render import render_pdf
    from zhenggai.reports.selectors import PROGRESS_TEXT_MAX
    from zhenggai.reports.services import draft_save
    from zhenggai.units.models import Unit, UnitKind
    from zhenggai.units.services import unit_create

    round_, clerk = make_seed_round()
    pool = candidates(server.url, secret)
    texts: dict[str, str] = {}

    def text(name: str, model: Any = None, field_name: str = "", limit: int | None = None) -> str:
        marker = f"[{len(texts):02d}]"
        if model is not None:
            limit = model._meta.get_field(field_name).max_length
        value = next(marker + c for c in pool if limit is None or len(marker + c) <= limit)
        texts[name] = value
        return value

    Unit.objects.filter(pk=round_.unit_id).update(name=text("unit", Unit, "name"))
    Round.objects.filter(pk=round_.pk).update(inspecting_group=text("group", Round, "inspecting_group"))
    round_.refresh_from_db()
    round_.unit.refresh_from_db()
    for kind in (FindingKind.CATEGORY, FindingKind.ISSUE, FindingKind.PROBLEM):
        first = Finding.objects.filter(round=round_, kind=kind).order_by("position").first()
        Finding.objects.filter(pk=first.pk).update(title=text(f"{kind}_title", Finding, "title"))
    m1, m2 = Measure.objects.filter(round=round_).order_by("finding__position", "position")[:2]
    leader = get_user_model()(
        username="hostile-leader", display_name=text("leader_name", get_user_model(), "display_name")
    )
    leader.set_unusable_password()
    leader.save()
    department = unit_create(actor=None, name="临时部门", parent=round_.unit, kind=UnitKind.DEPARTMENT)
    Unit.objects.filter(pk=department.pk).update(name=text("department_name", Unit, "name"))
    Measure.objects.filter(pk=m1.pk).update(
        text=text("measure_text"),
        leader=None,
        person=None,
        department=None,
        leader_hint=text("leader_hint", Measure, "leader_hint"),
        person_hint=text("person_hint", Measure, "person_hint"),
        department_hint=text("department_hint", Measure, "department_hint"),
        status=MeasureStatus.IN_PROGRESS,
    )
    Measure.objects.filter(pk=m2.pk).update(leader=leader, person=leader, department=department)
    # The clerk adopts the note as the public wording (a raw note is never printed).
    note = text("progress", limit=PROGRESS_TEXT_MAX)
    Progress.objects.create(measure=m1, unit=m1.unit, author=clerk, text=note)
    draft_save(
        actor=clerk,
        round=round_,
        expected_version=0,
        organisation_text=text("organisation_text"),
        long_term_text=text("long_term_text"),
        next_steps_text=text("next_steps_text"),
        phone=text("phone", NoticeDraft, "phone"),
        address=text("address", NoticeDraft, "address"),
        email=text("email", NoticeDraft, "email"),
        signing_unit=text("signing_unit", NoticeDraft, "signing_unit"),
        signed_on=timezone.localdate(),
        progress_texts={m1.pk: note},
    )
    notice = build_notice(user=clerk, round=round_)
    plan = build_plan(user=clerk, round=round_)
    return Hostile(
        server,
        texts,
        notice_only={
            "progress",
            "organisation_text",
            "long_term_text",
            "next_steps_text",
            "phone",
            "address",
            "email",
        },
        plan_only={"leader_name", "department_name", "leader_hint", "person_hint", "department_hint"},
        notice_pdf=render_pdf(notice),
        plan_pdf=render_pdf(plan),
        notice_docx=render_docx(notice),
        plan_docx=render_docx(plan),
        log=log,
    )


def _fields(h: Hostile, doc: str) -> dict[str, str]:
    left_out = h.plan_only if doc == "notice" else h.notice_only
    return {k: v for k, v in h.texts.items() if k not in left_out}


def _assert_clean_pdf(data: bytes, *, fonts: bool = True) -> None:
    facts = doccheck.pdf_facts(data)
    assert facts.forbidden == [], facts.forbidden  # no /EmbeddedFile, /Filespec, /URI …
    assert facts.annotations == [], facts.annotations  # no /FileAttachment (nor any) annotation
    if fonts:
        assert facts.fonts and facts.fonts <= doccheck.allowed_fonts(), facts.fonts
    assert b"SERVER-SECRET" not in data


def test_finding1_progress_note_cannot_embed_a_server_file_in_the_notice_pdf(hostile: Hostile) -> None:
    _assert_clean_pdf(hostile.notice_pdf)
    assert doccheck.flat(hostile.texts["progress"]) in doccheck.pdf_text(hostile.notice_pdf)


@pytest.mark.parametrize("doc", ["notice", "plan"])
def test_finding1_every_field_prints_literally_in_the_pdf_and_fetches_nothing(
    hostile: Hostile, doc: str
) -> None:
    data = hostile.notice_pdf if doc == "notice" else hostile.plan_pdf
    _assert_clean_pdf(data)
    text = doccheck.pdf_text(data)
    missing = {k: v for k, v in _fields(hostile, doc).items() if doccheck.flat(v) not in text}
    assert not missing, missing
    assert hostile.server.hits == []  # the local server was never asked for anything
    fetches = [r.getMessage() for r in hostile.log if r.levelno >= logging.WARNING]
    assert fetches == []  # nothing was refused either: nothing was asked for


@pytest.mark.parametrize("doc", ["notice", "plan"])
def test_finding1_every_field_is_plain_text_in_the_docx(hostile: Hostile, doc: str) -> None:
    data = hostile.notice_docx if doc == "notice" else hostile.plan_docx
    facts = doccheck.docx_facts(data)
    assert facts.external == []
    for part, kind, target in facts.relationships:
        assert kind.rsplit("/", 1)[-1] in doccheck.DOCX_RELATIONSHIPS, (part, kind, target)
    assert not [p for p in facts.parts if "embeddings" in p or p.startswith("word/media")]
    missing = {k: v for k, v in _fields(hostile, doc).items() if doccheck.flat(v) not in facts.text}
    assert not missing, missing
    assert b"SERVER-SECRET" not in data


def test_finding1_the_pdf_fetcher_serves_our_fonts_and_refuses_everything_else(tmp_path: Path) -> None:
    from weasyprint.urls import URLFetchingError

    from zhenggai.reports import fonts
    from zhenggai.reports.pdf_render import LocalFetcher

    fetcher = LocalFetcher()
    font = fonts.find_file("FandolFang-Regular.otf")
    assert font is not None
    response = fetcher.fetch(font.resolve().as_uri())
    assert response.read(4) == b"OTTO"
    response.close()
    other = tmp_path / "FandolFang-Regular.otf"  # same name, another folder
    other.write_bytes(b"OTTO")
    for url in (
        "file:///etc/passwd",
        other.as_uri(),
        font.resolve().as_uri().replace("/FandolFang", "/../../../../../../etc/passwd#/FandolFang"),
        font.resolve().parent.as_uri() + "/../../../../../../../etc/passwd",
        "http://127.0.0.1:9/x.png",
        "https://example.org/x.css",
        "data:text/plain,hello",
        "ftp://127.0.0.1/x",
    ):
        with pytest.raises((URLFetchingError, ValueError)):
            fetcher.fetch(url)


def test_finding1_markup_that_bypassed_the_escaping_would_still_fetch_and_embed_nothing(
    tmp_path: Path,
) -> None:
    """The second wall: raw hostile HTML through the PDF writer itself."""
    from zhenggai.reports.pdf_render import Markup, html_to_pdf

    secret = tmp_path / "secret.txt"
    secret.write_text("SERVER-SECRET-4711", encoding="utf-8")
    with doccheck.RecordingServer() as server:
        raw = "".join(candidates(server.url, secret)[:1])
        pdf = html_to_pdf(
            Markup(f'<html><body><p>正文</p>{raw}<a href="{server.url}/l">链</a></body></html>')
        )
    _assert_clean_pdf(pdf, fonts=False)  # a <style> that got through may name any installed font
    assert server.hits == []
