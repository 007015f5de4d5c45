"""The seed round's documents, rendered once per test module (WeasyPrint is slow).

No tests here: the fixture ``seed_docs`` is imported by the docx, pdf and notice tests.
It builds the seed round in a transaction it rolls back, with a saved notice draft (the
seed's feedback channels), a progress entry naming 张堃 and 李喆 and a progress entry
that enumerates 一是…二是… of its own — both adopted by the clerk as the public wording of
the notice (a raw note never enters a document) — renders the notice (docx and PDF), the
plan (docx) and the 整改情况报告 (docx and PDF, with the QR code of a feedback page), and
keeps the ledger's outline to compare against.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

SEED = Path(__file__).resolve().parents[2] / "seeds" / "000_3fc582a97ef44a37.txt"
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
RARE_NAMES = "张堃、李喆、王玥、赵珺、刘彧"
CHANNELS = {"phone": "0556-7170878", "address": "望江县东洲路292号", "email": "852887055@qq.com"}
SIGNED_ON = dt.date(2026, 11, 26)
FEEDBACK_URL = 'https://gk.example.gov.cn/gk/r/Zq3xK7pW/feedback/?from=<qr>&x="1"'


@dataclass
class SeedDocs:
    notice: Any  # OfficialDocument
    plan: Any
    notice_docx: bytes
    notice_pdf: bytes
    plan_docx: bytes
    report: Any  # OfficialDocument, with the QR code of FEEDBACK_URL
    report_docx: bytes
    report_pdf: bytes
    outline: list[tuple[str, str, int]]  # (kind, title, measures) in ledger order
    counts: dict[str, int]


def ledger_outline(round_: Any) -> list[tuple[str, str, int]]:
    from django.db.models import Count

    from zhenggai.ledger.models import Finding

    rows = Finding.objects.filter(round=round_).annotate(n=Count("measures")).order_by("position")
    return [(f.kind, f.title, f.n) for f in rows]


def make_seed_round() -> tuple[Any, Any]:
    """The seed imported into a unit by its clerk; returns (round, clerk)."""
    from django.contrib.auth import get_user_model

    from zhenggai.ledger.imports import round_import
    from zhenggai.units.models import Role, UnitKind
    from zhenggai.units.services import membership_grant, unit_create

    unit = unit_create(actor=None, name="望江县公安局交通管理大队", parent=None, kind=UnitKind.BRIGADE)
    clerk = get_user_model()(username="docs-clerk", display_name="张整改")
    clerk.set_unusable_password()
    clerk.save()
    membership_grant(actor=None, user=clerk, unit=unit, role=Role.CLERK)
    round_, _ = round_import(actor=clerk, unit=unit, data=SEED.read_bytes(), name=SEED.name)
    return round_, clerk


def add_progress(round_: Any, clerk: Any) -> dict[int, str]:
    """Progress on the first two measures: an enumeration of its own (on the first, where its
    二是 would be read as the next measure), and rare name characters. Returns the notes by
    measure, for the clerk to adopt as the public wording."""
    from zhenggai.ledger.models import Measure, MeasureStatus, Progress

    first, second = Measure.objects.filter(round=round_).order_by("finding__position", "position")[:2]
    notes = {first.pk: "一是已印发学习计划；二是已组织集中学习3次", second.pk: f"已由{RARE_NAMES}负责落实"}
    for m in (first, second):
        Progress.objects.create(measure=m, unit=m.unit, author=clerk, text=notes[m.pk])
    Measure.objects.filter(pk__in=[first.pk, second.pk]).update(status=MeasureStatus.IN_PROGRESS)
    return notes


_built: list[SeedDocs] = []  # built once per test process, whatever module asks first


@pytest.fixture(scope="module")
def seed_docs(django_db_setup: Any, django_db_blocker: Any, tmp_path_factory: Any) -> SeedDocs:
    if not _built:
        from django.test import override_settings

        # Built outside any test, so the per-test data dir of tests/conftest.py does not apply:
        # give it its own, or the audit keys would land in ./var.
        data = tmp_path_factory.mktemp("seed-docs")
        with override_settings(DATA_DIR=data, EVIDENCE_DIR=data / "evidence", UPLOAD_TMP_DIR=data / "tmp"):
            _built.append(_build(django_db_blocker))
    return _built[0]


def _build(django_db_blocker: Any) -> SeedDocs:
    from django.db import transaction

    from zhenggai.reports.builders import build_notice, build_plan, build_report
    from zhenggai.reports.docx_render import render_docx
    from zhenggai.reports.pdf_render import render_pdf
    from zhenggai.reports.services import draft_save

    with django_db_blocker.unblock(), transaction.atomic():
        round_, clerk = make_seed_round()
        notes = add_progress(round_, clerk)
        for kind in ("notice", "report"):
            draft_save(
                actor=clerk,
                round=round_,
                expected_version=0,
                kind=kind,
                organisation_text="一是高度重视，迅速行动。成立巡察整改工作领导小组，制定整改方案。\n二是细化措施，明确责任。",
                long_term_text="以此次巡察整改为契机，建立健全巡察整改长效机制，巩固和扩大整改成果。",
                next_steps_text="" if kind == "notice" else "持续抓好未完成事项的整改，定期开展“回头看”。",
                signing_unit="望江县公安局交通管理大队",
                signed_on=SIGNED_ON,
                progress_texts=notes,  # the clerk adopts the notes word for word
                **CHANNELS,
            )
        notice = build_notice(user=clerk, round=round_)
        plan = build_plan(user=clerk, round=round_, on=SIGNED_ON)
        report = build_report(user=clerk, round=round_, feedback_url=FEEDBACK_URL)
        outline = ledger_outline(round_)
        notice_docx, notice_pdf, plan_docx = render_docx(notice), render_pdf(notice), render_docx(plan)
        docs = SeedDocs(
            notice,
            plan,
            notice_docx,
            notice_pdf,
            plan_docx,
            report,
            render_docx(report),
            render_pdf(report),
            outline,
            {
                "categories": sum(1 for k, _, _ in outline if k == "category"),
                "issues": sum(1 for k, _, _ in outline if k == "issue"),
                "problems": sum(1 for k, _, _ in outline if k == "problem"),
                "measures": sum(n for _, _, n in outline),
            },
        )
        transaction.set_rollback(True)
    return docs
