"""督办单: a supervisor's follow-up order to a unit in their charge, numbered per year, replied
by the unit's clerk or head, closed or sent back by the supervisor."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from tests.supervision.followup_world import add_supervisor
from tests.today import days_from_today, today
from tests.web.conftest import build_round
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import InvalidInput, NotAllowed, StaleEdit, TransitionRefused
from zhenggai.notify.models import Message
from zhenggai.supervision.models import FollowUpOrder, OrderStatus
from zhenggai.supervision.rules import default_tiers
from zhenggai.supervision.selectors import followup
from zhenggai.supervision.services import orders


def _issue(personas: Any, **kwargs: Any) -> FollowUpOrder:
    data = {
        "actor": personas.supervisor,
        "unit": personas.unit_a,
        "subject": "学习计划落实情况",
        "body": "请报送学习计划落实情况及佐证材料。",
        "reply_due": days_from_today(10),
    }
    data.update(kwargs)
    return orders.order_issue(**data)


def test_an_order_is_numbered_per_year_and_tells_the_units_clerks_and_head(personas: Any) -> None:
    first = _issue(personas)
    second = _issue(personas, unit=personas.unit_b)
    year = today().year
    assert (first.number, second.number) == (f"督办〔{year}〕第1号", f"督办〔{year}〕第2号")
    assert first.status == OrderStatus.ISSUED
    told = set(
        Message.objects.filter(kind="order.issued", unit=personas.unit_a).values_list(
            "recipient_id", flat=True
        )
    )
    assert told == {personas.clerk.pk, personas.leader.pk}
    assert AuditEvent.objects.filter(action="order.issue").count() == 2


def test_an_order_to_a_unit_out_of_the_supervisors_scope_is_refused(personas: Any) -> None:
    police_supervisor = add_supervisor(personas, "police_sup", personas.police)
    _issue(personas, actor=police_supervisor)  # unit A is under the police bureau
    with pytest.raises(NotAllowed, match="不在您的督办范围内"):
        _issue(personas, actor=police_supervisor, unit=personas.unit_b)
    with pytest.raises(NotAllowed, match="没有权限"):
        _issue(personas, actor=personas.clerk)
    assert FollowUpOrder.objects.count() == 1


def test_an_order_needs_a_subject_a_body_and_a_reply_deadline_after_today(personas: Any) -> None:
    for kwargs, field in [
        ({"subject": " "}, "subject"),
        ({"body": ""}, "body"),
        ({"reply_due": today()}, "reply_due"),
        ({"reply_due": None}, "reply_due"),
    ]:
        with pytest.raises(InvalidInput) as err:
            _issue(personas, **kwargs)
        assert err.value.field == field
    w = build_round(personas)
    with pytest.raises(InvalidInput, match="不是该单位的"):
        _issue(personas, unit=personas.unit_b, round=w.round)
    order = _issue(personas, finding=w.problem)
    assert order.round_id == w.round.pk


def test_the_unit_replies_and_the_supervisor_closes_the_order(personas: Any) -> None:
    order = _issue(personas)
    with pytest.raises(NotAllowed, match="没有权限"):
        orders.order_reply(actor=personas.person, order=order, reply="已落实", expected_version=order.version)
    with pytest.raises(TransitionRefused):
        orders.order_close(actor=personas.supervisor, order=order, opinion="办结")
    order = orders.order_reply(actor=personas.clerk, order=order, reply="已全部落实", expected_version=1)
    assert order.status == OrderStatus.REPLIED and order.replied_by == personas.clerk
    with pytest.raises(StaleEdit):
        orders.order_reply(actor=personas.leader, order=order, reply="再次回复", expected_version=1)
    with pytest.raises(NotAllowed):
        orders.order_close(actor=personas.clerk, order=order, opinion="自己办结")
    order = orders.order_close(actor=personas.supervisor, order=order, opinion="同意办结")
    assert order.status == OrderStatus.CLOSED and order.close_opinion == "同意办结"
    assert Message.objects.filter(kind="order.replied", recipient=personas.supervisor).exists()


def test_a_reply_sent_back_awaits_a_new_reply_and_the_first_stays_in_the_history(personas: Any) -> None:
    order = _issue(personas)
    order = orders.order_reply(actor=personas.clerk, order=order, reply="第一次回复", expected_version=1)
    with pytest.raises(InvalidInput, match="理由"):
        orders.order_return(actor=personas.supervisor, order=order, opinion="")
    order = orders.order_return(
        actor=personas.supervisor, order=order, opinion="材料不全", reply_due=days_from_today(20)
    )
    assert order.status == OrderStatus.ISSUED and order.reply_due == days_from_today(20)
    order = orders.order_reply(
        actor=personas.leader, order=order, reply="补充材料", expected_version=order.version
    )
    history = followup.order_history(order=order)
    assert [e.action for e in history] == ["order.issue", "order.reply", "order.return", "order.reply"]
    assert history[1].after["reply"] == "第一次回复"


def test_an_awaiting_orders_colour_follows_its_reply_deadline_and_a_replied_one_has_none(
    personas: Any,
) -> None:
    order = _issue(personas, reply_due=days_from_today(5))
    tiers = default_tiers()
    assert followup.order_tier(order, today=today(), tiers=tiers) == "yellow"
    assert followup.order_tier(order, today=days_from_today(6), tiers=tiers) == "red"
    order = orders.order_reply(actor=personas.clerk, order=order, reply="已回复", expected_version=1)
    assert followup.order_tier(order, today=days_from_today(6), tiers=tiers) is None


def test_orders_are_scoped_to_the_users_units(personas: Any) -> None:
    to_a = _issue(personas)
    to_b = _issue(personas, unit=personas.unit_b)
    assert set(followup.orders_for_user(user=personas.clerk)) == {to_a}
    assert set(followup.orders_for_user(user=personas.outsider)) == {to_b}
    assert set(followup.orders_for_user(user=personas.supervisor, which="issued")) == {to_a, to_b}
    assert set(followup.orders_for_user(user=personas.clerk, which="received")) == {to_a}
    assert set(followup.orders_for_user(user=personas.person, which="received")) == set()
    with pytest.raises(Http404):
        followup.order_get_for_user(user=personas.outsider, pk=to_a.pk)


def test_an_order_awaiting_its_reply_is_warned_like_a_measure_and_once_per_tier(personas: Any) -> None:
    from zhenggai.supervision.services.reminders import remind

    order = _issue(personas, reply_due=days_from_today(10))
    assert remind(at=days_from_today(-15)).by_tier.get("yellow") is None  # 25 days left: nothing
    yellow = remind(at=today())
    assert yellow.by_tier == {"yellow": 1}
    told = set(Message.objects.filter(kind="order.reminder").values_list("recipient_id", flat=True))
    assert told == {personas.clerk.pk, personas.leader.pk}
    assert remind(at=today()).queued == 0  # the same day again
    red = remind(at=days_from_today(11))
    assert red.by_tier == {"red": 1}
    red_told = Message.objects.filter(kind="order.reminder", level="red").values_list(
        "recipient_id", flat=True
    )
    assert personas.supervisor.pk in set(red_told)  # the issuer, from red on
    orders.order_reply(actor=personas.clerk, order=order, reply="已报送。", expected_version=order.version)
    assert remind(at=days_from_today(41)).queued == 0  # replied: no more warnings
