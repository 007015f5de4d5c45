"""The change stamp (``audit.stamps``): replaced with every audited change, in its transaction;
left alone by logins, reads and a token's use."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import transaction

from zhenggai.audit import events, stamps
from zhenggai.audit.services import audit_record


def test_every_unchanging_action_is_a_known_action() -> None:
    known = {**events.SECURITY_EVENTS, **events.BUSINESS_EVENTS}
    assert known.keys() >= stamps.UNCHANGING


def test_a_change_replaces_the_stamp_and_a_login_or_a_tokens_use_does_not(personas: Any) -> None:
    before = stamps.current()
    audit_record(actor=personas.clerk, action="auth.login", obj=personas.clerk)
    audit_record(actor=personas.clerk, action="token.use", obj=personas.clerk)
    assert stamps.current() == before
    audit_record(actor=personas.clerk, action="measure.update", obj=personas.clerk)
    changed = stamps.current()
    assert changed != before
    audit_record(actor=personas.clerk, action="round.create", obj=personas.clerk)
    assert stamps.current() not in {before, changed}


def test_a_change_rolled_back_leaves_the_stamp_as_it_was(personas: Any) -> None:
    audit_record(actor=personas.clerk, action="measure.update", obj=personas.clerk)
    before = stamps.current()
    with pytest.raises(RuntimeError), transaction.atomic():
        audit_record(actor=personas.clerk, action="measure.update", obj=personas.clerk)
        assert stamps.current() != before  # inside the change's transaction
        raise RuntimeError("the change fails")
    assert stamps.current() == before


@pytest.mark.parametrize(
    ("actions", "changes"),
    [
        (["auth.login_failed", "access.probe", "audit.read"], False),
        (["token.use", "measure.assign"], True),
        (["backup.restore"], False),
        ([], False),
    ],
)
def test_which_actions_change_data(actions: list[str], changes: bool) -> None:
    assert stamps.changes(actions) is changes
