"""The system account that scripted imports act as (audited like any user)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from zhenggai.accounts.actors import Actor
from zhenggai.units.models import Role, Unit
from zhenggai.units.services import membership_grant

SYSTEM_USERNAME = "system-import"


def system_actor_for(unit: Unit) -> Actor:
    """An account that cannot log in, holding the clerk role at ``unit``, for command-line imports."""
    User = get_user_model()
    user = User.objects.filter(username=SYSTEM_USERNAME).first()
    if user is None:
        user = User(username=SYSTEM_USERNAME, display_name="命令行导入", is_active=False)
        user.set_unusable_password()
        user.save()
    membership_grant(actor=None, user=user, unit=unit, role=Role.CLERK)
    return user
