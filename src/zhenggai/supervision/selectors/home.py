"""我的任务: every desk of the user's roles, kept between requests under the change stamp.

The desks (``desks``) are counted from the whole of the user's rounds: 15 queries and about 30
ms for a leader of 10,000 measures. Between two changes (``audit.stamps``: every audited change
gives a new stamp) they are the same for the same user, day, clearance and roles, so a process
keeps them and a home page viewed again costs its rendering only. A change anywhere counts them
again, once per process, at the next view.
"""

from __future__ import annotations

from dataclasses import dataclass

from zhenggai.accounts.actors import Viewer
from zhenggai.audit import stamps
from zhenggai.ledger import paging
from zhenggai.ledger.policy import clearance_of
from zhenggai.ledger.selectors import today
from zhenggai.units.models import Role
from zhenggai.units.selectors import memberships_of

from . import desks

#: Users whose desks a process keeps (the least recently viewed dropped first).
KEPT_USERS = 128


@dataclass(frozen=True)
class HomeDesks:
    """The desks of the home page; None for a role the user does not hold."""

    roles: frozenset[str]
    person: desks.PersonDesk
    leader: desks.LeaderDesk | None
    clerk: list[desks.ClerkRound] | None
    head: desks.HeadDesk | None
    close: paging.ProblemPage | None

    @property
    def supervisor(self) -> bool:
        return Role.SUPERVISOR in self.roles


_kept: stamps.Kept[HomeDesks] = stamps.Kept(KEPT_USERS)


def home_desks(*, user: Viewer, box_size: int) -> HomeDesks:
    """The desks of ``user``'s roles (the 责任人/责任领导 desks of anyone named on a measure,
    whatever their role), each box its first ``box_size`` items; kept as the module says."""
    memberships = memberships_of(user)
    key = (
        "home",
        user.pk,
        today(),
        str(clearance_of(user)),
        tuple(sorted((m.unit_id, str(m.role)) for m in memberships)),
        box_size,
    )
    return _kept.get(key, lambda: _count(user, box_size))


def _count(user: Viewer, box_size: int) -> HomeDesks:
    roles = frozenset(str(m.role) for m in memberships_of(user))
    tiers = desks.visible_round_tiers(user)
    # The problems labelled above his clearance, found once for every desk.
    hidden = desks.hidden_findings(user=user, round_ids=tiers)
    person = desks.person_desk(user=user, tiers=tiers, hidden=hidden)
    leader = desks.leader_desk(user=user, tiers=tiers, hidden=hidden)
    return HomeDesks(
        roles=roles,
        person=person,
        leader=leader if (Role.RESPONSIBLE_LEADER in roles or leader.total) else None,
        clerk=desks.clerk_desk(user=user, tiers=tiers) if Role.CLERK in roles else None,
        head=desks.head_desk(user=user, tiers=tiers, hidden=hidden) if Role.UNIT_LEADER in roles else None,
        close=paging.ready_to_close_page(user=user, size=box_size) if Role.SUPERVISOR in roles else None,
    )
