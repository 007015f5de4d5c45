"""Issue 12: a measure's progress enters the notice and the report only as the clerk worded it.

"A 责任人's progress note went word for word into the public notice … a 5,000-character note
took the notice from 4 to 12 pages." A raw note is never printed; ``draft_save`` keeps the
clerk's public wording per measure (≤ 500 characters, stripped, an empty text removes it),
for measures of the round the clerk is cleared for, on the audit record.
"""

from __future__ import annotations

from typing import Any

import pytest

from zhenggai.errors import InvalidInput
from zhenggai.ledger.models import Finding, Measure, Progress
from zhenggai.reports.builders import build_notice, build_report
from zhenggai.reports.selectors import draft_for
from zhenggai.reports.services import draft_save

pytestmark = pytest.mark.django_db

LONG_NOTE = "群众张三（电话13800138000）反映的问题已处理。" * 200  # 5,000+ characters


def _first_measures(round_: Any, n: int = 2) -> list[Measure]:
    return list(Measure.objects.filter(round=round_).order_by("finding__position", "position")[:n])


def _text(doc: Any) -> str:
    return "\n".join(doc.paragraphs())


def test_a_raw_progress_note_never_enters_the_notice_or_the_report(seed_round, personas) -> None:  # type: ignore[no-untyped-def]
    m = _first_measures(seed_round, 1)[0]
    Progress.objects.create(measure=m, unit=m.unit, author=personas.clerk, text=LONG_NOTE)
    for build in (build_notice, build_report):
        text = _text(build(user=personas.clerk, round=seed_round))
        assert "13800138000" not in text and "群众张三" not in text


def test_the_clerks_wording_is_printed_with_its_measure_and_a_long_note_does_not_grow_the_notice(
    seed_round, personas
) -> None:  # type: ignore[no-untyped-def]
    m = _first_measures(seed_round, 1)[0]
    Progress.objects.create(measure=m, unit=m.unit, author=personas.clerk, text=LONG_NOTE)
    before = len(_text(build_notice(user=personas.clerk, round=seed_round)))
    draft_save(
        actor=personas.clerk,
        round=seed_round,
        expected_version=0,
        progress_texts={m.pk: "  已处理群众反映的问题。  "},
    )
    doc = build_notice(user=personas.clerk, round=seed_round)
    assert "已处理群众反映的问题）" in _text(doc)
    assert len(_text(doc)) < before + 40
    assert draft_for(seed_round).progress_texts == {str(m.pk): "已处理群众反映的问题。"}
    # The report has its own draft: a new one starts from the notice's wording.
    assert draft_for(seed_round, "report").progress_texts == {str(m.pk): "已处理群众反映的问题。"}
    assert "已处理群众反映的问题）" in _text(build_report(user=personas.clerk, round=seed_round))


def test_a_wording_over_500_characters_is_refused_naming_the_measure(seed_round, personas) -> None:  # type: ignore[no-untyped-def]
    m = _first_measures(seed_round, 1)[0]
    with pytest.raises(InvalidInput) as err:
        draft_save(
            actor=personas.clerk, round=seed_round, expected_version=0, progress_texts={m.pk: "字" * 501}
        )
    assert "不能超过500个字" in str(err.value) and " ".join(m.text.split())[:10] in str(err.value)
    assert err.value.field == f"progress_{m.pk}"
    draft_save(actor=personas.clerk, round=seed_round, expected_version=0, progress_texts={m.pk: "字" * 500})
    assert len(draft_for(seed_round).progress_texts[str(m.pk)]) == 500


def test_a_measure_of_another_round_or_not_a_measure_is_refused(seed_round, personas) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.ledger import services

    r = services.round_create(actor=personas.clerk, unit=personas.unit_a, title="另一轮", inspecting_group="")
    problem = services.finding_create(
        actor=personas.clerk, round=r, parent=None, kind="problem", title="问题"
    )
    other = services.measure_create(actor=personas.clerk, finding=problem, text="他轮措施", deadline=None)
    for key in (other.pk, "abc", 10**9):
        with pytest.raises(InvalidInput, match="不是本轮次的整改措施"):
            draft_save(actor=personas.clerk, round=seed_round, expected_version=0, progress_texts={key: "x"})
    assert draft_for(seed_round).pk is None


def test_an_empty_wording_removes_the_entry_and_the_audit_names_only_the_changed_measures(
    seed_round, personas
) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.audit.models import AuditEvent

    a, b = _first_measures(seed_round)
    draft_save(
        actor=personas.clerk,
        round=seed_round,
        expected_version=0,
        progress_texts={a.pk: "甲", str(b.pk): "乙"},
    )
    draft_save(actor=personas.clerk, round=seed_round, expected_version=1, progress_texts={a.pk: " "})
    assert draft_for(seed_round).progress_texts == {str(b.pk): "乙"}
    last = AuditEvent.objects.filter(action="notice.save").order_by("-seq").first()
    assert last is not None
    assert last.before == {"progress_texts": {str(a.pk): "甲"}}
    assert last.after == {"progress_texts": {str(a.pk): ""}}


def test_the_report_draft_is_saved_apart_and_audited_as_report_save(seed_round, personas) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.audit.models import AuditEvent

    m = _first_measures(seed_round, 1)[0]
    draft_save(
        actor=personas.clerk,
        round=seed_round,
        expected_version=0,
        kind="report",
        progress_texts={m.pk: "报告用语"},
    )
    assert draft_for(seed_round, "report").progress_texts == {str(m.pk): "报告用语"}
    assert draft_for(seed_round, "notice").pk is None
    assert AuditEvent.objects.filter(action="report.save", object_id=str(seed_round.pk)).count() == 1
    with pytest.raises(InvalidInput):
        draft_save(actor=personas.clerk, round=seed_round, expected_version=1, kind="letter")


def test_only_the_clerk_may_word_the_progress(seed_round, personas) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.errors import NotAllowed

    m = _first_measures(seed_round, 1)[0]
    for who in (personas.leader, personas.person, personas.outsider):
        with pytest.raises(NotAllowed):
            draft_save(actor=who, round=seed_round, expected_version=0, progress_texts={m.pk: "x"})
    assert draft_for(seed_round).pk is None


def test_a_measure_above_the_clerks_clearance_cannot_be_worded(seed_round, personas) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.accounts.models import Sensitivity

    m = _first_measures(seed_round, 1)[0]
    Finding.objects.filter(pk=m.finding_id).update(sensitivity=Sensitivity.SENSITIVE)
    with pytest.raises(InvalidInput, match="不是本轮次的整改措施"):
        draft_save(actor=personas.clerk, round=seed_round, expected_version=0, progress_texts={m.pk: "x"})
