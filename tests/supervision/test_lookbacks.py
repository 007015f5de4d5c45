"""回头看: a later re-check of a round's closed problems; a relapse (反弹) reopens the problem as
cycle 2 with cycle 1's history kept, and the round reports its relapse rate."""

from __future__ import annotations

from typing import Any

import pytest

from tests.supervision.followup_world import closed_world
from tests.today import days_from_today
from tests.web.conftest import build_round
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed, TransitionRefused
from zhenggai.ledger import selectors as ledger_selectors
from zhenggai.ledger import services
from zhenggai.ledger.models import ClosureAction, MeasureStatus, ProblemStatus
from zhenggai.notify.models import Message
from zhenggai.supervision.models import LookbackResult, LookbackStatus
from zhenggai.supervision.selectors import followup
from zhenggai.supervision.services.lookbacks import lookback_check, lookback_complete, lookback_create


def _second_problem(personas: Any, w: Any) -> Any:
    """Another problem of the same round, closed too."""
    p = services.finding_create(
        actor=personas.clerk,
        round=w.round,
        parent=w.issue,
        kind="problem",
        title="会议记录不规范",
        number="2.",
    )
    m = services.measure_create(actor=personas.clerk, finding=p, text="规范会议记录", deadline=None)
    services.measure_assign_bulk(
        actor=personas.clerk, round=w.round, measure_ids=[m.pk], person=personas.person2
    )
    services.progress_add(actor=personas.person2, measure=m, text="已规范")
    services.measure_submit(actor=personas.person2, measure=m)
    services.measure_review(actor=personas.leader, measure=m, decision="approve")
    services.finding_close(actor=personas.supervisor, finding=p, opinion="到位")
    p.refresh_from_db()
    return p


def test_a_look_back_covers_every_closed_problem_of_the_round(personas: Any) -> None:
    w = closed_world(personas)
    open_one = services.finding_create(
        actor=personas.clerk, round=w.round, parent=w.issue, kind="problem", title="尚未整改", number="3."
    )
    lb = lookback_create(
        actor=personas.supervisor, round=w.round, title="半年回头看", scheduled_on=days_from_today(180)
    )
    assert lb.status == LookbackStatus.PLANNED
    assert [it.finding_id for it in lb.items.all()] == [w.problem.pk]
    assert open_one.pk not in [it.finding_id for it in lb.items.all()]
    assert AuditEvent.objects.get(action="lookback.create").after["findings"] == [w.problem.pk]


def test_chosen_problems_must_be_closed_problems_of_the_round(personas: Any) -> None:
    w = closed_world(personas)
    other = build_round(personas, title="另一轮")
    with pytest.raises(InvalidInput, match="已销号的问题") as err:
        lookback_create(
            actor=personas.supervisor,
            round=w.round,
            title="回头看",
            scheduled_on=days_from_today(90),
            finding_ids=[w.problem.pk, other.problem.pk],
        )
    assert err.value.field == "finding_ids"
    lb = lookback_create(
        actor=personas.supervisor,
        round=w.round,
        title="回头看",
        scheduled_on=days_from_today(90),
        finding_ids=[w.problem.pk],
    )
    assert lb.items.count() == 1


def test_only_a_supervisor_schedules_a_look_back_and_only_of_a_round_with_closed_problems(
    personas: Any,
) -> None:
    w = build_round(personas)
    with pytest.raises(NotAllowed, match="没有权限"):
        lookback_create(actor=personas.clerk, round=w.round, title="回头看", scheduled_on=days_from_today(90))
    with pytest.raises(InvalidInput, match="还没有已销号的问题"):
        lookback_create(
            actor=personas.supervisor, round=w.round, title="回头看", scheduled_on=days_from_today(90)
        )


def test_a_relapse_reopens_the_problem_as_cycle_2_keeping_cycle_1s_history(personas: Any) -> None:
    w = closed_world(personas)
    assert ledger_selectors.round_problem_tally(round=w.round).problems_complete == 1
    lb = lookback_create(
        actor=personas.supervisor, round=w.round, title="回头看", scheduled_on=days_from_today(1)
    )
    item = lb.items.get()
    lookback_check(actor=personas.supervisor, item=item, result="relapsed", opinion="学习又流于形式")

    w.problem.refresh_from_db()
    item.refresh_from_db()
    assert w.problem.status == ProblemStatus.OPEN
    assert w.problem.cycle == 2
    assert item.result == LookbackResult.RELAPSED and item.cycle == 1
    assert set(w.problem.measures.values_list("status", flat=True)) == {MeasureStatus.IN_PROGRESS}
    # No longer counted as complete.
    tally = ledger_selectors.round_problem_tally(round=w.round)
    assert tally.problems_complete == 0 and tally.problems_closed == 0
    # Cycle 1's history kept: its progress, reviews and close-out, and the relapse that ended it.
    cycles = followup.round_cycles(user=personas.supervisor, finding=w.problem)
    assert [c.number for c in cycles] == [2, 1]
    current, first = cycles
    assert current.current and not first.current
    kinds_1 = [k for _, k, _ in first.events]
    assert kinds_1.count("progress") == 2
    assert "review" in kinds_1 and "lookback" in kinds_1
    closures_1 = [obj.action for _, k, obj in first.events if k == "closure"]
    assert closures_1 == [ClosureAction.CLOSE, ClosureAction.REOPEN]
    assert first.ended_by is not None and "学习又流于形式" in first.ended_by.reason
    assert [k for _, k, _ in current.events] == []
    # New work lands in cycle 2.
    services.progress_add(actor=personas.person, measure=w.fresh, text="第二轮整改：重新制定学习计划")
    current = followup.round_cycles(user=personas.supervisor, finding=w.problem)[0]
    assert [k for _, k, _ in current.events] == ["progress"]


def test_a_relapse_tells_the_responsible_persons_and_the_units_clerks(personas: Any) -> None:
    w = closed_world(personas)
    lb = lookback_create(
        actor=personas.supervisor, round=w.round, title="回头看", scheduled_on=days_from_today(1)
    )
    lookback_check(actor=personas.supervisor, item=lb.items.get(), result="relapsed", opinion="反弹")
    told = set(Message.objects.filter(kind="problem.reopened").values_list("recipient_id", flat=True))
    assert told == {personas.person.pk, personas.clerk.pk}


def test_a_relapse_needs_an_opinion_and_a_held_problem_stays_closed(personas: Any) -> None:
    w = closed_world(personas)
    lb = lookback_create(
        actor=personas.supervisor, round=w.round, title="回头看", scheduled_on=days_from_today(1)
    )
    item = lb.items.get()
    with pytest.raises(InvalidInput, match="核查意见"):
        lookback_check(actor=personas.supervisor, item=item, result="relapsed", opinion="")
    lookback_check(actor=personas.supervisor, item=item, result="held", opinion="")
    w.problem.refresh_from_db()
    assert w.problem.status == ProblemStatus.CLOSED and w.problem.cycle == 1
    with pytest.raises(TransitionRefused, match="已核查"):
        lookback_check(actor=personas.supervisor, item=item, result="relapsed", opinion="改判")


def test_the_round_reports_its_relapse_rate(personas: Any) -> None:
    w = closed_world(personas)
    second = _second_problem(personas, w)
    assert followup.relapse_rate(round=w.round).rate is None
    lb = lookback_create(
        actor=personas.supervisor, round=w.round, title="回头看", scheduled_on=days_from_today(1)
    )
    items = {it.finding_id: it for it in lb.items.all()}
    lookback_check(actor=personas.supervisor, item=items[w.problem.pk], result="relapsed", opinion="反弹")
    rate = followup.relapse_rate(round=w.round)
    assert (rate.checked, rate.relapsed) == (1, 1)
    lookback_check(actor=personas.supervisor, item=items[second.pk], result="held", opinion="")
    rate = followup.relapse_rate(round=w.round)
    assert (rate.checked, rate.relapsed, rate.rate) == (2, 1, 50.0)


def test_a_look_back_completes_only_when_every_problem_is_checked(personas: Any) -> None:
    w = closed_world(personas)
    lb = lookback_create(
        actor=personas.supervisor, round=w.round, title="回头看", scheduled_on=days_from_today(1)
    )
    with pytest.raises(TransitionRefused, match="1 个问题未核查"):
        lookback_complete(actor=personas.supervisor, lookback=lb)
    lookback_check(actor=personas.supervisor, item=lb.items.get(), result="held", opinion="巩固")
    lookback_complete(actor=personas.supervisor, lookback=lb)
    lb.refresh_from_db()
    assert lb.status == LookbackStatus.DONE
    assert AuditEvent.objects.get(action="lookback.complete").after["held"] == 1


def test_a_reclosed_problem_in_cycle_2_can_be_looked_back_at_again(personas: Any) -> None:
    w = closed_world(personas)
    lb = lookback_create(
        actor=personas.supervisor, round=w.round, title="回头看", scheduled_on=days_from_today(1)
    )
    lookback_check(actor=personas.supervisor, item=lb.items.get(), result="relapsed", opinion="反弹")
    w.problem.refresh_from_db()
    for m in (w.submitted, w.fresh):
        services.progress_add(actor=personas.person, measure=m, text="再次整改")
        services.measure_submit(actor=personas.person, measure=m)
        services.measure_review(actor=personas.leader, measure=m, decision="approve")
    services.finding_close(actor=personas.supervisor, finding=w.problem, opinion="再次整改到位")
    again = lookback_create(
        actor=personas.supervisor, round=w.round, title="第二次回头看", scheduled_on=days_from_today(2)
    )
    assert again.items.get().cycle == 2
    assert ledger_selectors.round_problem_tally(round=w.round).problems_complete == 1


def test_a_problem_above_the_users_clearance_is_counted_but_not_named(personas: Any) -> None:
    from tests.accounts.conftest import make_admin
    from tests.labels.conftest import clear
    from zhenggai.accounts.models import Sensitivity

    w = closed_world(personas)
    lb = lookback_create(
        actor=personas.supervisor, round=w.round, title="回头看", scheduled_on=days_from_today(1)
    )
    clerk = clear(make_admin("secadmin", "security_admin"), personas.clerk)
    services.finding_set_sensitivity(actor=clerk, finding=w.problem, sensitivity=Sensitivity.SENSITIVE)
    rows = followup.lookback_items(user=personas.supervisor, lookback=lb)
    assert len(rows) == 1 and rows[0].finding is None
    assert followup.lookback_items(user=clerk, lookback=lb)[0].finding == w.problem
    # Nor may the supervisor check it.
    with pytest.raises(NotAllowed, match="安全标记"):
        lookback_check(actor=personas.supervisor, item=rows[0].item, result="held", opinion="")
