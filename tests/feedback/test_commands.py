"""The periodic commands of feedback: the purge, and `zhenggai remind` warning of reply deadlines."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from django.core.management import call_command

from tests.today import days_from_today

pytestmark = pytest.mark.django_db


def test_feedback_purge_runs_and_says_how_many_were_purged_as_json() -> None:
    out = io.StringIO()
    call_command("feedback-purge", "--json", stdout=out)
    assert json.loads(out.getvalue()) == {"purged": 0}


def test_remind_also_warns_of_a_feedback_reply_deadline_once_a_day(
    submit: Any, personas: Any, feedback_officer: Any
) -> None:
    from zhenggai.feedback import services
    from zhenggai.feedback.models import Feedback

    sent = submit()
    fb = Feedback.objects.get(tracking=sent.tracking)
    services.feedback_accept(actor=personas.clerk, feedback=fb, deadline=days_from_today(1))
    runs = []
    for _ in range(2):
        out = io.StringIO()
        call_command("remind", "--json", stdout=out)
        runs.append(json.loads(out.getvalue())["feedback"])
    assert runs == [2, 0]  # the clerk and the feedback officer, then nothing the same day
