"""A round of unit A whose problem is closed (对账销号), for the follow-up tests: verification,
look-backs, the cycle history; built through the services, as a user would."""

from __future__ import annotations

from typing import Any

from tests.web.conftest import World, build_round


def close_problem(personas: Any, world: World) -> World:
    """Both measures of ``world``'s problem reported, approved, and the problem closed."""
    from zhenggai.ledger import services

    services.measure_review(actor=personas.leader, measure=world.submitted, decision="approve")
    services.progress_add(actor=personas.person, measure=world.fresh, text="已落实第二项")
    services.measure_submit(actor=personas.person, measure=world.fresh)
    services.measure_review(actor=personas.leader, measure=world.fresh, decision="approve")
    services.finding_close(actor=personas.supervisor, finding=world.problem, opinion="整改到位，同意销号")
    for obj in (world.problem, world.submitted, world.fresh):
        obj.refresh_from_db()
    return world


def closed_world(personas: Any, **kwargs: Any) -> World:
    return close_problem(personas, build_round(personas, **kwargs))


def add_supervisor(personas: Any, username: str, unit: Any) -> Any:
    """Another supervisor (at ``unit``), who implemented nothing."""
    from django.contrib.auth import get_user_model

    from tests.conftest import PASSWORD
    from zhenggai.units.models import Role
    from zhenggai.units.services import membership_grant

    u = get_user_model()(username=username, display_name=f"监督{username}")
    u.set_password(PASSWORD)
    u.save()
    membership_grant(actor=None, user=u, unit=unit, role=Role.SUPERVISOR)
    return u
