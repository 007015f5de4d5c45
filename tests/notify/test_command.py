"""``zhenggai deliver``: one run, a frozen instant with ``--at``, JSON counts, refused arguments."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from tests.notify.conftest import with_email
from zhenggai.notify.models import Outbox, OutboxStatus, Preference
from zhenggai.notify.services import message_send


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("deliver", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_deliver_sends_what_is_due_and_says_how_much(personas):
    with_email(personas.person, "person@example.com")
    message_send(
        recipients=[personas.person], kind="reminder", subject="措施临近完成时限", url="/measures/1/"
    )
    out, _ = run()
    assert out.strip() == "已发送 1 条（其中每日汇总邮件 0 封），稍后重试 0 条，放弃 0 条，取消 0 条"
    assert len(mail.outbox) == 1
    out, _ = run()
    assert out.strip() == "没有待发送的消息"


def test_deliver_at_a_later_instant_sends_the_held_digest_and_prints_json(personas, settings):
    settings.NOTIFY_DIGEST_HOUR = 8
    with_email(personas.person, "person@example.com")
    Preference.objects.create(user=personas.person, digest=True)
    message_send(recipients=[personas.person], kind="reminder", subject="甲")
    message_send(recipients=[personas.person], kind="reminder", subject="乙")
    due = Outbox.objects.first().next_attempt_at
    before = timezone.localtime(due - dt.timedelta(minutes=1)).replace(tzinfo=None).isoformat()

    out, _ = run("--at", before, "--json")  # naive: Beijing time
    assert json.loads(out)["claimed"] == 0

    out, _ = run("--at", timezone.localtime(due).isoformat(), "--json")
    report = json.loads(out)
    assert (report["sent"], report["digests"]) == (2, 1)
    assert len(mail.outbox) == 1
    assert set(Outbox.objects.values_list("status", flat=True)) == {OutboxStatus.SENT}


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["--at", "明天早上"], "无法识别的时刻"),
        (["--limit", "0"], "--limit"),
        (["--loop", "--at", "2026-01-01"], "不能同时使用"),
        (["--loop", "--interval", "0"], "--interval"),
    ],
)
def test_unusable_arguments_exit_2_saying_why(db, args, says):
    err = io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("deliver", *args, stdout=io.StringIO(), stderr=err)
    assert exit_.value.code == 2
    assert says in err.getvalue()
