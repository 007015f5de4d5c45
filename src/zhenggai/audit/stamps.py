"""The change stamp: a value that every audited change replaces, in the change's transaction.

Every write goes through a service that records an audit event (style.md); ``chain.append_many``
calls ``bump`` for any event but the few that change nothing (``UNCHANGING``: logins, reads,
exports, a token's use). A page may keep what it computed from the ledger between requests under
the stamp it read first, in the same request: what it then reads is at least as new as the stamp,
so kept figures are never older than their key, and the next change gives a new key. The value is
random, not a counter: a test's rolled-back change gives no value twice.
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable
from typing import Generic, TypeVar

from django.db import connections
from django.utils import timezone

from .models import ChangeStamp

#: Actions that change no ledger data (and may be frequent): they leave the stamp alone.
UNCHANGING = frozenset(
    {
        "token.use",
        "auth.token",
        "access.denied",
        "access.probe",
        "audit.read",
        "audit.export",
        "pii.view",
        "evidence.verify",
        "backup.create",
        # A restore brings the stamp back with the data it stood for.
        "backup.restore",
        "supervision.stats_refresh",
    }
)
_UNCHANGING_PREFIXES = ("auth.",)


def changes(actions: Iterable[str]) -> bool:
    """Whether any of ``actions`` may have changed data."""
    return any(a not in UNCHANGING and not a.startswith(_UNCHANGING_PREFIXES) for a in actions)


def bump(using: str) -> None:
    """A new value, in the current transaction (the chain's lock serialises the writers)."""
    value, now = secrets.randbits(62), timezone.now()
    if not ChangeStamp.objects.using(using).filter(pk=1).update(value=value, changed_at=now):
        ChangeStamp.objects.using(using).create(pk=1, value=value, changed_at=now)


def current(using: str = "default") -> int:
    """The stamp now (0 before the first change)."""
    value = ChangeStamp.objects.using(using).filter(pk=1).values_list("value", flat=True).first()
    return int(value or 0)


T = TypeVar("T")


class Kept(Generic[T]):
    """Values made from the ledger, kept by this process under the stamp read before each was
    made (with the database's name and the caller's key), at most ``size`` of them, the least
    recently used dropped first. What is kept is shared: treat it as read-only."""

    every: list[Kept[object]] = []  # noqa: RUF012  all of them, for ``forget_all``

    def __init__(self, size: int) -> None:
        self.size = size
        self._values: OrderedDict[tuple[Hashable, ...], T] = OrderedDict()
        self._lock = threading.Lock()
        Kept.every.append(self)  # type: ignore[arg-type]

    def get(self, key: tuple[Hashable, ...], make: Callable[[], T], using: str = "default") -> T:
        full = (connections[using].settings_dict["NAME"], current(using), *key)
        with self._lock:
            found = self._values.get(full)
            if found is not None:
                self._values.move_to_end(full)
                return found
        made = make()
        with self._lock:
            self._values[full] = made
            while len(self._values) > self.size:
                self._values.popitem(last=False)
        return made

    def clear(self) -> None:
        with self._lock:
            self._values.clear()


def forget_all() -> None:
    """Drop every kept value (tests: their rollbacks reuse ids and stamps)."""
    for kept in Kept.every:
        kept.clear()
