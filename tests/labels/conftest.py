"""Fixtures of the 安全标记 tests (REQ-1.10): a small round of unit A whose problem the clerk has
labelled 敏感, after the security administrator raised the clerk's clearance.

Everyone else keeps the default clearance (内部): the unit leader, the responsible person and
the supervisor hold the roles for the problem and its measures, but not the clearance.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from tests.accounts.conftest import make_admin
from tests.web.conftest import World, build_round


@pytest.fixture
def world(personas: Any) -> World:
    return build_round(personas)


@pytest.fixture
def secadmin(db: Any) -> Any:
    return make_admin("secadmin", "security_admin")


@pytest.fixture
def sysadmin(db: Any) -> Any:
    return make_admin("sysadmin", "system_admin")


@pytest.fixture
def auditor(db: Any) -> Any:
    return make_admin("auditor", "audit_admin")


def clear(secadmin: Any, user: Any, level: str = "sensitive") -> Any:
    """The security administrator sets ``user``'s clearance (the object is refreshed)."""
    from zhenggai.accounts import services

    services.clearance_set(actor=secadmin, user=user, clearance=level)
    user.refresh_from_db()
    return user


@dataclass
class Labelled:
    world: World
    clerk: Any  # cleared for 敏感

    @property
    def problem(self) -> Any:
        return self.world.problem

    @property
    def submitted(self) -> Any:
        return self.world.submitted

    @property
    def fresh(self) -> Any:
        return self.world.fresh

    @property
    def evidence(self) -> Any:
        return self.world.evidence


@pytest.fixture
def labelled(personas: Any, world: World, secadmin: Any) -> Labelled:
    """The world's problem (with both its measures and the evidence) labelled 敏感 by a cleared clerk."""
    from zhenggai.ledger import services

    clerk = clear(secadmin, personas.clerk)
    services.finding_set_sensitivity(actor=clerk, finding=world.problem, sensitivity="sensitive")
    for obj in (world.problem, world.submitted, world.fresh):
        obj.refresh_from_db()
    return Labelled(world, clerk)


@pytest.fixture
def client_for(db: Any) -> Callable[[Any], Client]:
    """A logged-in test client for a user (a fresh client, so a separate session, each call)."""

    def make(user: Any) -> Client:
        c = Client()
        c.force_login(user)
        return c

    return make
