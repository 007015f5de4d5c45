"""The disclosure services: the check, the decisions, submission, approval, corrections."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.disclosure.conftest import ID_NUMBER, INTERNAL_PROBLEM, INTERNAL_TEXT, PHONE, decide_all
from tests.reports.doccheck import docx_facts, pdf_text
from zhenggai.errors import InvalidInput, NotAllowed, StaleEdit, TransitionRefused


def all_text(v: Any) -> str:
    return "\n".join(b["text"] for b in v.blocks)


def test_the_check_finds_the_phone_and_the_id_number_in_the_public_progress_wording(personas, public_round):
    from zhenggai.disclosure import services

    report = services.publication_check(actor=personas.clerk, round=public_round.round)
    found = {i.kind: i for i in report.items}
    assert found["phone"].text == PHONE
    assert found["id_number"].text == ID_NUMBER
    occurrence = found["phone"].occurrences[0]
    assert occurrence.match == PHONE
    assert 0 < len(occurrence.before) <= 20 and len(occurrence.after) <= 20
    assert report.blocks[occurrence.paragraph].text.count(PHONE) == 1
    assert report.undecided == len(report.items)


def test_the_units_own_channels_are_not_hits(personas, public_round):
    from zhenggai.disclosure import services

    report = services.publication_check(actor=personas.clerk, round=public_round.round)
    texts = {i.text for i in report.items}
    assert "0556-4512345" not in texts and "jgdd@wangjiang.gov.cn" not in texts
    assert any("0556-4512345" in s.text and not s.checked for s in report.blocks)


def test_a_measure_labelled_internal_is_left_out_of_the_public_document(personas, public_round):
    from zhenggai.disclosure import services

    report = services.publication_check(actor=personas.clerk, round=public_round.round)
    text = "\n".join(s.text for s in report.blocks)
    assert "制定年度学习计划" in text
    assert INTERNAL_TEXT not in text and INTERNAL_PROBLEM not in text
    assert not [i for i in report.items if i.kind == "internal"]


def test_a_sentence_of_an_internal_measure_copied_into_a_public_part_is_flagged(personas, public_round):
    from zhenggai.disclosure import services
    from zhenggai.reports.services import draft_save

    draft_save(
        actor=personas.clerk,
        round=public_round.round,
        expected_version=1,
        organisation_text=f"成立领导小组。{INTERNAL_TEXT}。",
    )
    report = services.publication_check(actor=personas.clerk, round=public_round.round)
    internal = [i for i in report.items if i.kind == "internal"]
    assert [i.text for i in internal] == [INTERNAL_TEXT]
    assert internal[0].label == "内部信息"
    decide_all(personas.clerk, public_round.round)
    v = services.version_submit(actor=personas.clerk, round=public_round.round)
    assert INTERNAL_TEXT not in all_text(v)
    assert "＊" * len(INTERNAL_TEXT) in all_text(v)


def test_a_decision_survives_a_recheck_after_an_unrelated_edit(personas, public_round):
    from zhenggai.disclosure import services
    from zhenggai.reports.services import draft_save

    decide_all(personas.clerk, public_round.round)
    draft_save(
        actor=personas.clerk,
        round=public_round.round,
        expected_version=1,
        long_term_text="另起一段长效机制。",
    )
    report = services.publication_check(actor=personas.clerk, round=public_round.round)
    assert report.items and report.undecided == 0


def test_keeping_a_hit_needs_a_reason_and_a_stale_fingerprint_is_refused(personas, public_round):
    from zhenggai.disclosure import services

    report = services.publication_check(actor=personas.clerk, round=public_round.round)
    fp = report.items[0].fingerprint
    with pytest.raises(InvalidInput) as info:
        services.decision_set(
            actor=personas.clerk, round=public_round.round, kind="notice", fingerprint=fp, action="justify"
        )
    assert info.value.field == "reason"
    with pytest.raises(StaleEdit):
        services.decision_set(
            actor=personas.clerk, round=public_round.round, kind="notice", fingerprint="0" * 64, action="mask"
        )


def test_submission_is_refused_while_a_hit_is_undecided(personas, public_round):
    from zhenggai.disclosure import services
    from zhenggai.disclosure.models import PublicationVersion

    with pytest.raises(InvalidInput, match="还有2处未处理"):
        services.version_submit(actor=personas.clerk, round=public_round.round)
    assert not PublicationVersion.objects.exists()


def test_the_flow_publishes_version_one_with_frozen_masked_files(personas, public_round, published):
    from zhenggai.audit.models import AuditEvent
    from zhenggai.disclosure.models import VersionStatus

    v = published
    v.refresh_from_db()
    assert (v.status, v.number, v.kind, v.draft_version) == (VersionStatus.PUBLISHED, 1, "notice", 1)
    assert v.published_at is not None and v.decided_by == personas.leader
    assert hashlib.sha256(bytes(v.pdf)).hexdigest() == v.pdf_sha256
    assert hashlib.sha256(bytes(v.docx)).hexdigest() == v.docx_sha256
    text = all_text(v)
    assert PHONE not in text and ID_NUMBER not in text
    assert "138****5678" in text
    for extracted in (pdf_text(bytes(v.pdf)), docx_facts(bytes(v.docx)).text):
        assert PHONE not in extracted and ID_NUMBER not in extracted
        assert "138****5678" in extracted
        assert INTERNAL_TEXT not in extracted
    assert v.blocks[0] == {"role": "title", "text": "望江县公安局交通管理大队"}
    assert {"sign", "date"} <= {b["role"] for b in v.blocks}
    assert v.figures["problems"] == 2 and v.figures["measures"] == 4  # the internal ones counted
    assert 0 <= v.figures["completion_rate"] <= 1
    (problem,) = v.data["problems"]
    assert problem["title"] == "理论学习流于形式" and problem["category"] == "政治建设方面问题"
    assert [m["text"] for m in problem["measures"]] == ["制定年度学习计划", "开展专题学习研讨"]
    assert (
        PHONE not in problem["measures"][0]["progress"]
        and "138****5678" in problem["measures"][0]["progress"]
    )
    assert PHONE not in json.dumps(v.check_result, ensure_ascii=False)
    actions = list(
        AuditEvent.objects.filter(action__startswith="publication.").values_list("action", flat=True)
    )
    assert actions.count("publication.check_decide") == 2
    assert {"publication.create", "publication.submit", "publication.approve"} <= set(actions)


def test_a_hit_kept_with_a_reason_is_published_as_written(personas, public_round):
    from zhenggai.disclosure import services

    decide_all(personas.clerk, public_round.round, action="justify")
    v = services.version_submit(actor=personas.clerk, round=public_round.round)
    assert PHONE in all_text(v)
    assert {h["action"] for h in v.check_result} == {"justify"}


def test_a_correction_is_version_two_with_its_note_and_version_one_is_unchanged(
    personas, public_round, published
):
    from zhenggai.disclosure import services
    from zhenggai.reports.services import draft_save

    v1 = published
    v1.refresh_from_db()
    before = (v1.content_sha256, bytes(v1.pdf), v1.blocks)
    draft_save(
        actor=personas.clerk,
        round=public_round.round,
        expected_version=1,
        long_term_text="更正后的长效机制表述。",
    )
    with pytest.raises(InvalidInput) as info:
        services.version_submit(actor=personas.clerk, round=public_round.round)
    assert info.value.field == "change_note" and "更正说明" in str(info.value)
    v2 = services.version_submit(
        actor=personas.clerk, round=public_round.round, change_note="更正了长效机制的表述"
    )
    v2 = services.version_approve(actor=personas.leader, version=v2)
    assert (v2.number, v2.change_note, v2.draft_version) == (2, "更正了长效机制的表述", 2)
    v1.refresh_from_db()
    assert (v1.content_sha256, bytes(v1.pdf), v1.blocks) == before
    assert "更正后的长效机制表述。" in all_text(v2) and "更正后的长效机制表述。" not in all_text(v1)


def test_approval_after_the_draft_changed_is_a_conflict(personas, public_round):
    from zhenggai.disclosure import services
    from zhenggai.disclosure.models import VersionStatus
    from zhenggai.reports.services import draft_save

    decide_all(personas.clerk, public_round.round)
    v = services.version_submit(actor=personas.clerk, round=public_round.round)
    draft_save(
        actor=personas.clerk, round=public_round.round, expected_version=1, long_term_text="提交后又改了。"
    )
    with pytest.raises(StaleEdit, match="通报稿在提交后又被修改，请重新提交"):
        services.version_approve(actor=personas.leader, version=v)
    v.refresh_from_db()
    assert v.status == VersionStatus.PENDING and v.number is None


def test_a_second_submission_replaces_the_pending_one(personas, public_round):
    from zhenggai.disclosure import services
    from zhenggai.disclosure.models import VersionStatus

    decide_all(personas.clerk, public_round.round)
    first = services.version_submit(actor=personas.clerk, round=public_round.round)
    second = services.version_submit(actor=personas.clerk, round=public_round.round)
    first.refresh_from_db()
    assert first.status == VersionStatus.CANCELLED and second.status == VersionStatus.PENDING
    with pytest.raises(TransitionRefused):
        services.version_approve(actor=personas.leader, version=first)


def test_rejection_needs_a_reason_and_tells_the_clerk(personas, public_round):
    from zhenggai.disclosure import services
    from zhenggai.disclosure.models import VersionStatus
    from zhenggai.notify.models import Message

    decide_all(personas.clerk, public_round.round)
    v = services.version_submit(actor=personas.clerk, round=public_round.round)
    assert Message.objects.filter(recipient=personas.leader, kind="publication.waiting").exists()
    with pytest.raises(InvalidInput):
        services.version_reject(actor=personas.leader, version=v, reason=" ")
    v = services.version_reject(actor=personas.leader, version=v, reason="第二部分表述不准确")
    assert (v.status, v.decision_note) == (VersionStatus.REJECTED, "第二部分表述不准确")
    assert Message.objects.filter(recipient=personas.clerk, kind="publication.decided").exists()


def test_only_the_clerk_submits_and_only_the_head_approves(personas, public_round):
    from django.http import Http404

    from zhenggai.disclosure import services

    decide_all(personas.clerk, public_round.round)
    for who in (personas.leader, personas.viewer):
        with pytest.raises(NotAllowed):
            services.version_submit(actor=who, round=public_round.round)
    with pytest.raises(Http404):
        services.version_submit(actor=personas.outsider, round=public_round.round)
    v = services.version_submit(actor=personas.clerk, round=public_round.round)
    with pytest.raises(NotAllowed):
        services.version_approve(actor=personas.clerk, version=v)
    with pytest.raises(Http404):
        services.version_approve(actor=personas.outsider, version=v)
    with pytest.raises(NotAllowed):
        services.publication_check(actor=personas.viewer, round=public_round.round)


def test_the_public_lens_sees_only_public_labels_and_is_never_saved(personas):
    from zhenggai.disclosure.services import public_lens

    lens = public_lens(personas.clerk)
    assert lens.clearance == "public" and lens.pk == personas.clerk.pk
    assert personas.clerk.clearance != "public"
    with pytest.raises(RuntimeError):
        lens.save()


def test_the_demo_publishes_with_every_hit_masked_as_the_system(personas, public_round):
    from zhenggai.audit.models import AuditEvent
    from zhenggai.disclosure import services

    v = services.publish_demo(round=public_round.round)
    assert v.number == 1 and v.decided_by is None
    assert PHONE not in all_text(v)
    approve = AuditEvent.objects.get(action="publication.approve")
    assert approve.actor_id is None and approve.actor_name == "system"


def test_the_demo_publishes_the_seed_round(personas, seed_round):
    from zhenggai.disclosure import services

    v = services.publish_demo(round=seed_round)
    assert v.number == 1 and v.figures["problems"] > 0
    assert v.blocks[0]["role"] == "title" and v.pdf_sha256 and v.docx_sha256


def test_a_document_with_nothing_to_mask_is_submitted_with_an_empty_check(personas, public_round):
    from zhenggai.disclosure import services
    from zhenggai.reports.services import draft_save

    draft_save(
        actor=personas.clerk,
        round=public_round.round,
        expected_version=1,
        progress_texts={str(public_round.public_measures[0].pk): "已完成学习计划的制定。"},
    )
    assert services.publication_check(actor=personas.clerk, round=public_round.round).items == []
    v = services.version_submit(actor=personas.clerk, round=public_round.round)
    assert v.check_result == []
    assert services.version_approve(actor=personas.leader, version=v).number == 1


def test_the_report_is_checked_and_published_as_its_own_document(personas, public_round, published):
    from zhenggai.disclosure import services

    decide_all(personas.clerk, public_round.round, kind="report")
    v = services.version_submit(actor=personas.clerk, round=public_round.round, kind="report")
    v = services.version_approve(actor=personas.leader, version=v)
    assert (v.kind, v.number, v.change_note) == ("report", 1, "")
    assert "整改情况" in v.title and INTERNAL_TEXT not in all_text(v)
