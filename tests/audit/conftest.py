"""Helpers of the audit tests: events, the controlled way past the triggers, vendor variants.

``on_both`` runs a test once on the configured database and once more, marked ``postgres``,
asserting that the configured database is PostgreSQL: the SQLite pass (``-m "not postgres"``)
runs the first variant on SQLite, the PostgreSQL pass runs both there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection, transaction

on_both = pytest.mark.parametrize(
    "vendor", ["configured", pytest.param("postgresql", marks=pytest.mark.postgres)]
)


@pytest.fixture
def vendor_db(request: Any, db: Any) -> str:
    """Use with ``on_both``: the PostgreSQL variant fails unless the database really is PostgreSQL."""
    wanted = request.getfixturevalue("vendor")
    if wanted == "postgresql":
        assert connection.vendor == "postgresql", "this variant needs PostgreSQL (DATABASE_URL)"
    return connection.vendor


def make_events(n: int, *, actor: Any = None, start: int = 0) -> list[Any]:
    """``n`` varied events through the real recording path."""
    from zhenggai.audit.services import audit_record

    out = []
    for i in range(start, start + n):
        out.append(
            audit_record(
                actor=actor,
                action=("measure.update", "progress.add", "finding.close")[i % 3],
                unit_id=i % 4 or None,
                before={"text": f"第{i}条：旧文字", "n": i},
                after={"text": f"第{i}条：新文字", "tags": ["甲", "乙"], "ok": True, "none": None},
                outcome=("ok", "denied")[i % 2],
            )
        )
    return out


def tamper(sql: str, params: list[Any] | tuple[Any, ...] = ()) -> None:
    """Change the audit table the way an attacker with database access would (triggers bypassed)."""
    from zhenggai.audit.appendonly import maintenance

    with transaction.atomic(), maintenance(connection, "tamper"), connection.cursor() as cur:
        cur.execute(sql, list(params))


def verify() -> Any:
    from zhenggai.audit.verify import verify_chain

    return verify_chain()


@pytest.fixture
def aged(monkeypatch: Any) -> Callable[[dt.datetime | None], None]:
    """``aged(when)``: events recorded from now on carry that time (``None``: the real time again)."""
    from django.utils import timezone

    from zhenggai.audit import chain

    def set_time(when: dt.datetime | None) -> None:
        monkeypatch.setattr(chain, "_now", (lambda: when) if when else timezone.now)

    return set_time


@pytest.fixture
def audit_admin(db: Any) -> Any:
    from django.contrib.auth import get_user_model

    User = get_user_model()
    u = User(username="shenji", display_name="吴审计", admin_role="audit_admin")
    u.set_password("Audit-pass-2026")
    u.save()
    return u
