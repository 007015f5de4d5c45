"""Eight deliverers at once on PostgreSQL send each of 200 messages exactly once
(``SELECT … FOR UPDATE SKIP LOCKED`` and a committed lease before sending)."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any, ClassVar

import pytest
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, connections

from zhenggai.notify.delivery import deliver
from zhenggai.notify.models import Message, Outbox, OutboxStatus

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

MESSAGES = 200
DELIVERERS = 8


class CountingBackend(BaseEmailBackend):
    """A test double of the outside SMTP server: counts what each deliverer hands it."""

    sent: ClassVar[list[str]] = []
    lock = threading.Lock()

    def send_messages(self, email_messages: Any) -> int:
        with self.lock:
            for m in email_messages:
                self.sent.append(m.to[0])
        return len(email_messages)


def test_eight_concurrent_deliverers_send_each_message_exactly_once(personas, settings):
    assert connection.vendor == "postgresql", "this test needs PostgreSQL (DATABASE_URL)"
    settings.EMAIL_BACKEND = f"{__name__}.CountingBackend"
    CountingBackend.sent = []
    users = list(personas.all_users().values())
    for n, u in enumerate(users):
        u.email = f"u{n}@example.com"
        u.save(update_fields=["email"])
    # 200 messages with their deliveries, one INSERT each (as message_send writes them).
    made = Message.objects.bulk_create(
        Message(recipient=users[i % len(users)], kind="reminder", subject=f"提醒 {i}")
        for i in range(MESSAGES)
    )
    first = made[0]
    first.refresh_from_db()
    Outbox.objects.bulk_create(
        Outbox(
            message=m,
            recipient_id=m.recipient_id,
            channel="email",
            address=f"{m.pk}@example.com",  # one address per row: the count below is per row
            next_attempt_at=first.created_at,
        )
        for m in made
    )
    start = threading.Barrier(DELIVERERS)
    claimed: Counter[str] = Counter()
    errors: list[BaseException] = []

    def deliverer(name: str) -> None:
        try:
            start.wait()
            while True:
                report = deliver(limit=7, worker=name)  # small batches: the workers interleave
                claimed[name] += report.claimed
                if report.claimed == 0:
                    return
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=deliverer, args=(f"w{i}",)) for i in range(DELIVERERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)

    assert not errors, errors
    assert not any(t.is_alive() for t in threads)
    counts = Counter(CountingBackend.sent)
    assert len(counts) == MESSAGES
    assert set(counts.values()) == {1}, [a for a, n in counts.items() if n > 1]
    assert sum(claimed.values()) == MESSAGES
    assert sum(1 for n in claimed.values() if n) > 1, "the deliverers did not run concurrently"
    assert Outbox.objects.filter(status=OutboxStatus.SENT, attempts=1).count() == MESSAGES


def test_two_transactions_sending_one_dedupe_key_at_once_make_one_message(personas):
    """Two ``remind`` runs at once: the second insert waits for the first commit, then its
    savepoint gives way; its own transaction goes on (no error reaches the caller)."""
    from django.db import transaction

    from zhenggai.notify.services import message_send

    assert connection.vendor == "postgresql", "this test needs PostgreSQL (DATABASE_URL)"
    first_inserted = threading.Event()
    results: dict[str, int] = {}
    errors: list[BaseException] = []

    def run(name: str) -> None:
        try:
            with transaction.atomic():
                if name == "second":
                    first_inserted.wait(30)
                made = message_send(
                    recipients=[personas.person],
                    kind="reminder",
                    subject="临近完成时限",
                    dedupe="reminder:1:7",
                )
                results[name] = len(made)
                if name == "first":
                    first_inserted.set()
                    # Hold the transaction open while the second one tries the same key.
                    threading.Event().wait(0.5)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in ("first", "second")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    assert results == {"first": 1, "second": 0}
    assert Message.objects.filter(recipient=personas.person, dedupe="reminder:1:7").count() == 1
