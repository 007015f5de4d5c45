"""Fixtures of the page tests: fast password hashing, a small round of unit A, logged-in clients."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.today import days_from_today

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    # The personas' eight passwords are hashed for every test; PBKDF2 would cost seconds.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@dataclass
class World:
    """A hand-built round of unit A: one category → issue → problem with two measures.

    ``submitted`` has progress with a PDF and waits for review; ``fresh`` is
    assigned but not started.
    """

    round: Any
    category: Any
    issue: Any
    problem: Any
    submitted: Any
    fresh: Any
    evidence: Any


def build_round(personas: Any, *, title: str = "县委第一巡察组反馈意见整改", measures: int = 2) -> World:
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Evidence

    clerk = personas.clerk
    r = services.round_create(
        actor=clerk,
        unit=personas.unit_a,
        title=title,
        inspecting_group="县委第一巡察组",
        period_start=dt.date(2021, 11, 1),
        period_end=dt.date(2021, 11, 30),
        feedback_date=dt.date(2022, 2, 14),
    )
    cat = services.finding_create(
        actor=clerk, round=r, parent=None, kind="category", title="政治建设方面", number="一"
    )
    issue = services.finding_create(
        actor=clerk, round=r, parent=cat, kind="issue", title="学习贯彻不深入", number="（一）"
    )
    problem = services.finding_create(
        actor=clerk, round=r, parent=issue, kind="problem", title="理论学习流于形式", number="1."
    )
    made = [
        services.measure_create(
            actor=clerk, finding=problem, text=f"制定学习计划并落实第{i + 1}项", deadline=None
        )
        for i in range(measures)
    ]
    services.measure_assign_bulk(
        actor=clerk,
        round=r,
        measure_ids=[m.pk for m in made[:2]],
        person=personas.person,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=days_from_today(200),
    )
    submitted, fresh = made[0], made[1]
    services.progress_add(
        actor=personas.person,
        measure=submitted,
        text="已制定学习计划",
        files=[(io.BytesIO(PDF), "学习计划.pdf")],
    )
    services.measure_submit(actor=personas.person, measure=submitted)
    submitted.refresh_from_db()
    fresh.refresh_from_db()
    return World(r, cat, issue, problem, submitted, fresh, Evidence.objects.get(measure=submitted))


@pytest.fixture
def world(personas: Any) -> World:
    return build_round(personas)


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], Client]:
    """A logged-in test client for a persona (a fresh client each call: separate sessions)."""

    def make(user: Any) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make
