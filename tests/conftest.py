"""Personas shared by the tests.

Units: 县委 (county) → 县公安局 (police) → 交管大队 (unit A, with departments)
and 县财政局 (unit B, the sibling). People: a supervisor above A, A's leader,
clerk, responsible leader, two responsible persons and a viewer, and B's clerk
(the outsider). ``seed_round`` is the seed notice imported into A by A's clerk
through the same path as an upload.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

# A busy machine must not fail a property test: no deadline per example and no "too slow"
# health check, the two places Hypothesis reads the wall clock (docs/style.md).
hypothesis_settings.register_profile("zhenggai", deadline=None, suppress_health_check=[HealthCheck.too_slow])
hypothesis_settings.load_profile("zhenggai")

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_3fc582a97ef44a37.txt"
PASSWORD = "Test-pass-2026"


@dataclass
class Personas:
    county: Any
    police: Any
    unit_a: Any
    unit_b: Any
    departments: list[Any]
    supervisor: Any
    leader: Any
    clerk: Any
    responsible_leader: Any
    person: Any
    person2: Any
    viewer: Any
    outsider: Any

    def all_users(self) -> dict[str, Any]:
        return {
            "supervisor": self.supervisor,
            "leader": self.leader,
            "clerk": self.clerk,
            "responsible_leader": self.responsible_leader,
            "person": self.person,
            "person2": self.person2,
            "viewer": self.viewer,
            "outsider": self.outsider,
        }


@pytest.fixture(autouse=True)
def _no_kept_figures() -> Any:
    """Figures kept between requests are keyed by ids and stamps a rolled-back test reuses."""
    from zhenggai.audit.stamps import forget_all

    forget_all()
    yield
    forget_all()


@pytest.fixture(autouse=True)
def _data_dir(tmp_path: Path, settings: Any) -> None:
    """Evidence and uploads of each test go to its own temporary folder."""
    settings.DATA_DIR = tmp_path / "data"
    settings.EVIDENCE_DIR = tmp_path / "data" / "evidence"
    settings.UPLOAD_TMP_DIR = tmp_path / "data" / "tmp"
    # The personas hash eight passwords per test; a fast hasher keeps the suite quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def personas(db: Any) -> Personas:
    from django.contrib.auth import get_user_model

    from zhenggai.units.models import Role, UnitKind
    from zhenggai.units.services import membership_grant, unit_create

    User = get_user_model()
    county = unit_create(actor=None, name="中共望江县委员会", parent=None, kind=UnitKind.COMMITTEE)
    police = unit_create(actor=None, name="望江县公安局", parent=county, kind=UnitKind.BUREAU)
    unit_a = unit_create(actor=None, name="望江县公安局交通管理大队", parent=police, kind=UnitKind.BRIGADE)
    unit_b = unit_create(actor=None, name="望江县财政局", parent=county, kind=UnitKind.BUREAU)
    departments = [
        unit_create(actor=None, name=n, parent=unit_a, kind=UnitKind.DEPARTMENT)
        for n in ("综合办公室", "城区中队")
    ]

    def user(username: str, name: str, unit: Any, role: str) -> Any:
        u = User(username=username, display_name=name)
        u.set_password(PASSWORD)
        u.save()
        membership_grant(actor=None, user=u, unit=unit, role=role)
        return u

    return Personas(
        county=county,
        police=police,
        unit_a=unit_a,
        unit_b=unit_b,
        departments=departments,
        supervisor=user("supervisor", "王监督", county, Role.SUPERVISOR),
        leader=user("leader", "李大队长", unit_a, Role.UNIT_LEADER),
        clerk=user("clerk", "张整改", unit_a, Role.CLERK),
        responsible_leader=user("resp_leader", "赵副大队长", unit_a, Role.RESPONSIBLE_LEADER),
        person=user("person", "陈民警", unit_a, Role.RESPONSIBLE_PERSON),
        person2=user("person2", "刘民警", unit_a, Role.RESPONSIBLE_PERSON),
        viewer=user("viewer", "周查看", unit_a, Role.VIEWER),
        outsider=user("outsider", "孙整改", unit_b, Role.CLERK),
    )


@pytest.fixture
def feedback_officer(personas: Personas) -> Any:
    """群众反馈办理人员 of unit A: triages citizen feedback and may reveal the sender's data."""
    from django.contrib.auth import get_user_model

    from zhenggai.units.models import Role
    from zhenggai.units.services import membership_grant

    u = get_user_model()(username="feedback_officer", display_name="吴信访")
    u.set_password(PASSWORD)
    u.save()
    membership_grant(actor=None, user=u, unit=personas.unit_a, role=Role.FEEDBACK)
    return u


@pytest.fixture
def seed_round(personas: Personas) -> Any:
    from zhenggai.ledger.imports import round_import

    round_, created = round_import(
        actor=personas.clerk, unit=personas.unit_a, data=SEED.read_bytes(), name=SEED.name
    )
    assert created
    return round_


@pytest.fixture
def assigned_measure(personas: Personas, seed_round: Any) -> Any:
    """The first measure of the seed, assigned to ``person`` with a deadline ahead."""
    from tests.today import days_from_today
    from zhenggai.ledger import services
    from zhenggai.ledger.models import Measure

    m = Measure.objects.filter(round=seed_round).order_by("finding__position", "position").first()
    services.measure_assign_bulk(
        actor=personas.clerk,
        round=seed_round,
        measure_ids=[m.pk],
        person=personas.person,
        leader=personas.responsible_leader,
        department=personas.departments[0],
        deadline=days_from_today(200),
    )
    m.refresh_from_db()
    return m
