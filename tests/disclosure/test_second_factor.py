"""The head's approval asks for a fresh code of their authenticator when the deployment requires
the second factor or the head has one; each code works once."""

from __future__ import annotations

from typing import Any

import pytest

from tests.accounts.conftest import Clock, enrol, phone_code
from tests.disclosure.conftest import decide_all
from zhenggai.errors import InvalidInput


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    from django.utils import timezone

    c = Clock(timezone.now().replace(microsecond=0))
    monkeypatch.setattr(timezone, "now", c)
    return c


@pytest.fixture
def submitted(personas: Any, public_round: Any) -> Any:
    from zhenggai.disclosure import services

    decide_all(personas.clerk, public_round.round)
    return services.version_submit(actor=personas.clerk, round=public_round.round)


def test_a_head_with_an_authenticator_approves_only_with_a_fresh_code(personas, submitted, clock, settings):
    from zhenggai.disclosure import services
    from zhenggai.disclosure.models import VersionStatus

    settings.OTP_REQUIRED = False
    secret = enrol(personas.leader, clock)
    for code in ("", "000000"):
        with pytest.raises(InvalidInput) as info:
            services.version_approve(actor=personas.leader, version=submitted, otp_code=code)
        assert info.value.field == "otp_code"
    code = phone_code(secret, clock)
    v = services.version_approve(actor=personas.leader, version=submitted, otp_code=code)
    assert v.status == VersionStatus.PUBLISHED


def test_a_used_code_does_not_approve_a_second_time(personas, public_round, submitted, clock, settings):
    from zhenggai.disclosure import services
    from zhenggai.reports.services import draft_save

    settings.OTP_REQUIRED = True
    secret = enrol(personas.leader, clock)
    code = phone_code(secret, clock)
    services.version_approve(actor=personas.leader, version=submitted, otp_code=code)
    draft_save(actor=personas.clerk, round=public_round.round, expected_version=1, long_term_text="更正。")
    v2 = services.version_submit(actor=personas.clerk, round=public_round.round, change_note="更正表述")
    with pytest.raises(InvalidInput, match="已使用过"):
        services.version_approve(actor=personas.leader, version=v2, otp_code=code)


def test_when_required_a_head_without_an_authenticator_is_told_to_enrol(personas, submitted, settings):
    from zhenggai.disclosure import services
    from zhenggai.disclosure.models import VersionStatus

    settings.OTP_REQUIRED = True
    with pytest.raises(InvalidInput, match="绑定身份验证器"):
        services.version_approve(actor=personas.leader, version=submitted, otp_code="123456")
    submitted.refresh_from_db()
    assert submitted.status == VersionStatus.PENDING


def test_without_the_requirement_or_a_device_no_code_is_asked(personas, submitted, settings):
    from zhenggai.disclosure import services

    settings.OTP_REQUIRED = False
    assert services.version_approve(actor=personas.leader, version=submitted).number == 1
