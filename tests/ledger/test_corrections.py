"""Corrections of the findings tree (issue 10): soft delete with a reason and its restore, of a
problem and of a round; moving, splitting and merging problems. Each is the clerk's, audited,
and after the plan is signed an amendment; what is deleted is gone from every count."""

from __future__ import annotations

from typing import Any

import pytest
from django.http import Http404

from tests.web.conftest import World, build_round
from zhenggai.audit.models import AuditEvent
from zhenggai.errors import Gone, InvalidInput, NotAllowed, TransitionRefused
from zhenggai.ledger import policy, selectors, services
from zhenggai.ledger.imports import round_import
from zhenggai.ledger.models import Amendment, Finding, FindingKind, Measure, ProblemStatus, Round
from zhenggai.ledger.selectors import MeasureFilters


@pytest.fixture
def world(personas: Any) -> World:
    return build_round(personas)


def _problem(personas: Any, w: World, title: str, *, parent: Any = None, measures: int = 0) -> Finding:
    p = services.finding_create(
        actor=personas.clerk, round=w.round, parent=parent or w.issue, kind="problem", title=title
    )
    for i in range(measures):
        services.measure_create(actor=personas.clerk, finding=p, text=f"{title}的措施{i + 1}")
    return p


def _titles(personas: Any, w: World) -> list[str]:
    overview = selectors.round_overview(user=personas.clerk, round=w.round)
    out: list[str] = []
    stack = list(overview.roots)
    while stack:
        n = stack.pop(0)
        out.append(n.finding.title)
        stack[:0] = n.children
    return out


# --- delete and restore a problem --------------------------------------------------------------


def test_a_deleted_problem_and_its_measures_leave_every_count_and_come_back_on_restore(
    personas: Any, world: World
):
    other = _problem(personas, world, "会议记录不规范", measures=3)
    clerk = personas.clerk
    overview = selectors.round_overview(user=clerk, round=world.round)
    assert (overview.tally.problems, overview.tally.measure_total) == (2, 5)

    batch = services.finding_delete(actor=clerk, finding=other, reason="导入时重复识别")

    assert not Finding.objects.filter(pk=other.pk).exists()
    assert Measure.objects.filter(finding_id=other.pk).count() == 0
    gone = Finding.everything.get(pk=other.pk)
    assert (gone.deleted_reason, gone.deleted_by, gone.deleted_batch) == ("导入时重复识别", clerk, batch)
    assert set(Measure.everything.filter(finding_id=other.pk).values_list("deleted_batch", flat=True)) == {
        batch
    }
    overview = selectors.round_overview(user=clerk, round=world.round)
    assert (overview.tally.problems, overview.tally.measure_total) == (1, 2)
    assert "会议记录不规范" not in _titles(personas, world)
    row = selectors.round_rows(user=clerk, today=selectors.today()).get(pk=world.round.pk)
    assert (row.problem_count, row.measure_count) == (1, 2)
    assert selectors.round_problem_tally(round=world.round).problems == 1
    found = selectors.measure_search(user=clerk, filters=MeasureFilters(text="会议记录"))
    assert list(found) == []
    with pytest.raises(Http404):
        selectors.finding_get_for_user(user=clerk, pk=other.pk)
    event = AuditEvent.objects.get(action="finding.delete")
    assert event.after["reason"] == "导入时重复识别"
    assert (event.after["findings"], event.after["measures"]) == (1, 3)
    [item] = selectors.deleted_findings(user=clerk, round=world.round)
    assert (item.finding.pk, item.findings, item.measures) == (other.pk, 1, 3)

    services.finding_restore(actor=clerk, finding=gone)

    overview = selectors.round_overview(user=clerk, round=world.round)
    assert (overview.tally.problems, overview.tally.measure_total) == (2, 5)
    assert Finding.objects.get(pk=other.pk).deleted_reason == ""
    assert selectors.deleted_findings(user=clerk, round=world.round) == []
    assert AuditEvent.objects.filter(action="finding.restore").count() == 1


def test_restoring_a_category_brings_back_exactly_its_deletion_not_what_was_deleted_before(
    personas: Any, world: World
):
    clerk = personas.clerk
    earlier = _problem(personas, world, "台账不全", measures=1)
    services.finding_delete(actor=clerk, finding=earlier, reason="不属于本轮")
    services.finding_delete(actor=clerk, finding=world.category, reason="整类导入错误")
    assert Finding.objects.filter(round=world.round).count() == 0
    assert Measure.objects.filter(round=world.round).count() == 0
    # Only what the clerk deleted is listed: the category (with what it hid) and the earlier problem.
    items = selectors.deleted_findings(user=clerk, round=world.round)
    assert [(i.finding.pk, i.findings, i.measures) for i in items] == [
        (world.category.pk, 3, 2),
        (earlier.pk, 1, 1),
    ]
    # A problem hidden with its category cannot come back on its own.
    with pytest.raises(TransitionRefused, match="请先恢复上级"):
        services.finding_restore(actor=clerk, finding=Finding.everything.get(pk=world.issue.pk))

    services.finding_restore(actor=clerk, finding=Finding.everything.get(pk=world.category.pk))

    live = set(Finding.objects.filter(round=world.round).values_list("pk", flat=True))
    assert live == {world.category.pk, world.issue.pk, world.problem.pk}
    assert Measure.objects.filter(round=world.round).count() == 2
    assert Finding.everything.get(pk=earlier.pk).deleted_at is not None


def test_a_deletion_needs_a_reason_and_changes_nothing_without_one(personas: Any, world: World):
    before = AuditEvent.objects.count()
    for reason in ("", "   "):
        with pytest.raises(InvalidInput) as err:
            services.finding_delete(actor=personas.clerk, finding=world.problem, reason=reason)
        assert err.value.field == "reason"
        with pytest.raises(InvalidInput):
            services.round_delete(actor=personas.clerk, round=world.round, reason=reason)
    assert Finding.objects.filter(pk=world.problem.pk).exists()
    assert Round.objects.filter(pk=world.round.pk).exists()
    assert AuditEvent.objects.count() == before


def test_a_closed_problem_is_not_deleted_split_or_merged_nor_its_category_or_round(
    personas: Any, world: World
):
    clerk = personas.clerk
    sibling = _problem(personas, world, "制度执行不严")
    Finding.objects.filter(pk=world.problem.pk).update(status=ProblemStatus.CLOSED)
    problem = Finding.objects.get(pk=world.problem.pk)
    for call in (
        lambda: services.finding_delete(actor=clerk, finding=problem, reason="误导入"),
        lambda: services.finding_delete(actor=clerk, finding=world.category, reason="误导入"),
        lambda: services.round_delete(actor=clerk, round=world.round, reason="误导入"),
        lambda: services.finding_split(actor=clerk, finding=problem, title="新问题"),
        lambda: services.finding_merge(actor=clerk, finding=sibling, other=problem),
    ):
        with pytest.raises(TransitionRefused, match="已销号"):
            call()
    assert Finding.objects.filter(round=world.round).count() == 4
    actions = policy.allowed_actions(clerk, problem)
    assert not {"delete", "split", "merge"} & actions
    assert "edit" in actions


@pytest.mark.parametrize("who", ["leader", "person", "supervisor", "viewer", "outsider"])
def test_only_the_clerk_deletes_restores_moves_splits_and_merges(personas: Any, world: World, who: str):
    user = getattr(personas, who)
    sibling = _problem(personas, world, "制度执行不严")
    calls = [
        lambda: services.finding_delete(actor=user, finding=world.problem, reason="误"),
        lambda: services.round_delete(actor=user, round=world.round, reason="误"),
        lambda: services.finding_move(actor=user, finding=sibling, direction="up"),
        lambda: services.finding_split(actor=user, finding=world.problem, title="新"),
        lambda: services.finding_merge(actor=user, finding=world.problem, other=sibling),
    ]
    for call in calls:
        with pytest.raises(NotAllowed):
            call()
    services.finding_delete(actor=personas.clerk, finding=sibling, reason="误")
    with pytest.raises(NotAllowed):
        services.finding_restore(actor=user, finding=Finding.everything.get(pk=sibling.pk))
    services.round_delete(actor=personas.clerk, round=world.round, reason="误")
    with pytest.raises(NotAllowed):
        services.round_restore(actor=user, round=Round.everything.get(pk=world.round.pk))
    assert Round.everything.get(pk=world.round.pk).deleted_at is not None
    assert policy.allowed_actions(user, Round.everything.get(pk=world.round.pk)) == frozenset()


def test_after_signing_deleting_a_problem_is_an_amendment_and_the_digest_ignores_it(
    personas: Any, world: World
):
    clerk = personas.clerk
    first = _problem(personas, world, "会议记录不规范", measures=1)
    services.finding_delete(actor=clerk, finding=first, reason="先删后签")
    assert Amendment.objects.count() == 0  # not signed yet: a free correction
    digest = services.plan_digest(world.round)
    services.plan_sign(actor=personas.leader, round=world.round)
    assert services.plan_digest(world.round) == digest  # the deleted measure is not in the plan
    assert "sign" not in policy.allowed_actions(personas.leader, world.round)

    services.finding_delete(actor=clerk, finding=world.problem, reason="签字后发现重复")
    services.finding_restore(actor=clerk, finding=Finding.everything.get(pk=first.pk))

    amendments = list(Amendment.objects.values_list("description", flat=True))
    assert amendments == ["删除问题", "恢复问题"]
    assert Amendment.objects.get(description="删除问题").before["title"] == "理论学习流于形式"
    assert services.plan_digest(world.round) != digest
    assert "sign" in policy.allowed_actions(personas.leader, world.round)  # to be signed again


def test_a_deleted_measures_evidence_cannot_be_opened(personas: Any, world: World):
    clerk = personas.clerk
    assert selectors.evidence_get_for_user(user=clerk, pk=world.evidence.pk)
    services.finding_delete(actor=clerk, finding=world.problem, reason="误导入")
    with pytest.raises(Http404):
        selectors.evidence_get_for_user(user=clerk, pk=world.evidence.pk)
    with pytest.raises(Http404):
        selectors.measure_get_for_user(user=clerk, pk=world.submitted.pk)
    assert selectors.my_tasks(user=personas.person)["todo"] == []
    assert selectors.my_tasks(user=personas.leader)["review"] == []


def test_a_change_to_a_deleted_problem_is_refused_as_gone(personas: Any, world: World):
    stale = Finding.objects.get(pk=world.problem.pk)
    services.finding_delete(actor=personas.clerk, finding=world.problem, reason="误导入")
    with pytest.raises(Gone):
        services.finding_update(actor=personas.clerk, finding=stale, title="改名")
    with pytest.raises(Gone):
        services.finding_delete(actor=personas.clerk, finding=stale, reason="再删")
    with pytest.raises(Gone):
        services.measure_create(actor=personas.clerk, finding=stale, text="新措施")


# --- delete and restore a round ----------------------------------------------------------------


def test_a_deleted_round_is_gone_everywhere_and_its_restore_brings_back_its_own_deletion_only(
    personas: Any, world: World
):
    clerk = personas.clerk
    earlier = _problem(personas, world, "台账不全", measures=1)
    services.finding_delete(actor=clerk, finding=earlier, reason="不属于本轮")

    services.round_delete(actor=clerk, round=world.round, reason="重复导入")

    assert not Round.objects.filter(pk=world.round.pk).exists()
    assert list(selectors.round_rows(user=clerk, today=selectors.today())) == []
    assert Finding.objects.filter(round_id=world.round.pk).count() == 0
    assert Measure.objects.filter(round_id=world.round.pk).count() == 0
    with pytest.raises(Http404):
        selectors.round_get_for_user(user=clerk, pk=world.round.pk)
    with pytest.raises(Http404):
        selectors.finding_get_for_user(user=clerk, pk=world.problem.pk)
    assert list(selectors.measure_search(user=clerk, filters=MeasureFilters())) == []
    assert [r.pk for r in selectors.deleted_rounds_for_user(user=clerk)] == [world.round.pk]
    assert selectors.deleted_rounds_for_user(user=personas.outsider).count() == 0
    with pytest.raises(Gone):
        services.finding_update(actor=clerk, finding=world.problem, title="改名")
    event = AuditEvent.objects.get(action="round.delete")
    assert (event.after["reason"], event.after["findings"], event.after["measures"]) == ("重复导入", 3, 2)

    services.round_restore(actor=clerk, round=Round.everything.get(pk=world.round.pk))

    assert Round.objects.filter(pk=world.round.pk).exists()
    assert Finding.objects.filter(round=world.round).count() == 3
    assert Measure.objects.filter(round=world.round).count() == 2
    assert Finding.everything.get(pk=earlier.pk).deleted_at is not None  # deleted on its own before
    with pytest.raises(TransitionRefused, match="未被删除"):
        services.round_restore(actor=clerk, round=world.round)


def test_the_same_file_may_be_imported_again_once_its_round_is_deleted(personas: Any, seed_round: Any):
    from tests.conftest import SEED

    clerk = personas.clerk
    again, created = round_import(actor=clerk, unit=personas.unit_a, data=SEED.read_bytes(), name=SEED.name)
    assert (again.pk, created) == (seed_round.pk, False)
    services.round_delete(actor=clerk, round=seed_round, reason="解析有误，重新导入")
    fresh, created = round_import(actor=clerk, unit=personas.unit_a, data=SEED.read_bytes(), name=SEED.name)
    assert created and fresh.pk != seed_round.pk
    # The old round comes back without claiming the file the new one holds now.
    old = services.round_restore(actor=clerk, round=Round.everything.get(pk=seed_round.pk))
    assert old.source_sha256 == ""
    assert Round.objects.get(pk=fresh.pk).source_sha256 == fresh.source_sha256 != ""


def test_a_deleted_and_restored_round_keeps_its_file_digest(personas: Any, seed_round: Any):
    sha = seed_round.source_sha256
    services.round_delete(actor=personas.clerk, round=seed_round, reason="误删测试")
    assert Round.everything.get(pk=seed_round.pk).source_sha256 == ""
    services.round_restore(actor=personas.clerk, round=Round.everything.get(pk=seed_round.pk))
    assert Round.objects.get(pk=seed_round.pk).source_sha256 == sha


# --- edit, move, split, merge ------------------------------------------------------------------


def test_the_description_is_corrected_and_left_alone_when_not_given(personas: Any, world: World):
    clerk = personas.clerk
    services.finding_update(
        actor=clerk,
        finding=world.problem,
        title=world.problem.title,
        number=world.problem.number,
        description=" 学习流于形式，未做笔记。 ",
    )
    assert Finding.objects.get(pk=world.problem.pk).description == "学习流于形式，未做笔记。"
    services.finding_update(actor=clerk, finding=world.problem, title="理论学习走过场", number="1.")
    assert Finding.objects.get(pk=world.problem.pk).description == "学习流于形式，未做笔记。"
    event = AuditEvent.objects.filter(action="finding.update").first()
    assert event.after == {"description": "学习流于形式，未做笔记。"}


def test_moving_up_and_down_reorders_siblings_and_keeps_the_document_order(personas: Any, world: World):
    clerk = personas.clerk
    second = _problem(personas, world, "第二个问题")
    cat2 = services.finding_create(
        actor=clerk, round=world.round, parent=None, kind="category", title="第二类"
    )
    assert _titles(personas, world) == [
        "政治建设方面",
        "学习贯彻不深入",
        "理论学习流于形式",
        "第二个问题",
        "第二类",
    ]
    assert policy.allowed_actions(clerk, second) >= {"move_up"}
    assert "move_down" not in policy.allowed_actions(clerk, second)

    services.finding_move(actor=clerk, finding=second, direction="up")
    services.finding_move(actor=clerk, finding=cat2, direction="up")

    assert _titles(personas, world) == [
        "第二类",
        "政治建设方面",
        "学习贯彻不深入",
        "第二个问题",
        "理论学习流于形式",
    ]
    positions = list(
        Finding.objects.filter(round=world.round).order_by("position").values_list("title", flat=True)
    )
    assert positions == _titles(personas, world)  # the round's order is the document's (pre-)order
    with pytest.raises(TransitionRefused, match="已在最前"):
        services.finding_move(actor=clerk, finding=cat2, direction="up")
    assert AuditEvent.objects.filter(action="finding.move").count() == 2


def test_a_problem_moves_under_another_issue_and_kinds_stay_consistent(personas: Any, world: World):
    clerk = personas.clerk
    cat2 = services.finding_create(
        actor=clerk, round=world.round, parent=None, kind="category", title="第二类"
    )
    issue2 = services.finding_create(
        actor=clerk, round=world.round, parent=cat2, kind="issue", title="第二问题"
    )

    services.finding_move(actor=clerk, finding=world.problem, parent=issue2)

    moved = Finding.objects.get(pk=world.problem.pk)
    assert moved.parent_id == issue2.pk
    assert Measure.objects.filter(finding=moved).count() == 2
    assert _titles(personas, world) == [
        "政治建设方面",
        "学习贯彻不深入",
        "第二类",
        "第二问题",
        "理论学习流于形式",
    ]
    refused = [
        (world.problem, None, True),  # a problem is not at the top
        (world.category, issue2, False),  # a category under an issue
        (world.issue, issue2, False),  # an issue under an issue
        (world.category, world.issue, False),  # under its own descendant
    ]
    for finding, parent, top in refused:
        with pytest.raises(InvalidInput) as err:
            services.finding_move(actor=clerk, finding=finding, parent=parent, to_top=top)
        assert err.value.field == "parent"
    assert Finding.objects.get(pk=world.category.pk).parent_id is None


def test_moving_under_a_parent_labelled_higher_raises_the_label(personas: Any, world: World):
    clerk = personas.clerk
    personas.clerk.clearance = "sensitive"
    personas.clerk.save()
    cat2 = services.finding_create(
        actor=clerk, round=world.round, parent=None, kind="category", title="第二类"
    )
    services.finding_set_sensitivity(actor=clerk, finding=cat2, sensitivity="sensitive")
    services.finding_move(actor=clerk, finding=world.issue, parent=Finding.objects.get(pk=cat2.pk))
    labels = Finding.objects.filter(pk__in=[world.issue.pk, world.problem.pk]).values_list(
        "sensitivity", flat=True
    )
    assert set(labels) == {"sensitive"}


def test_a_problem_is_split_with_the_measures_the_clerk_chose(personas: Any, world: World):
    clerk = personas.clerk
    new = services.finding_split(
        actor=clerk, finding=world.problem, title="学习笔记缺失", number="2.", measure_ids=[world.fresh.pk]
    )
    assert (new.parent_id, new.kind, new.number) == (world.issue.pk, FindingKind.PROBLEM, "2.")
    assert list(Measure.objects.filter(finding=new).values_list("pk", flat=True)) == [world.fresh.pk]
    assert list(Measure.objects.filter(finding=world.problem).values_list("pk", flat=True)) == [
        world.submitted.pk
    ]
    assert Measure.objects.get(pk=world.fresh.pk).version == world.fresh.version + 1
    assert _titles(personas, world)[2:] == ["理论学习流于形式", "学习笔记缺失"]
    assert selectors.round_overview(user=clerk, round=world.round).tally.problems == 2
    assert AuditEvent.objects.filter(action="finding.split").count() == 1
    with pytest.raises(InvalidInput):
        services.finding_split(actor=clerk, finding=world.problem, title="再拆", measure_ids=[world.fresh.pk])
    with pytest.raises(InvalidInput):
        services.finding_split(actor=clerk, finding=world.issue, title="问题层级不可拆")


def test_two_problems_merge_and_the_other_is_deleted_with_a_reason_and_restorable(
    personas: Any, world: World
):
    clerk = personas.clerk
    other = _problem(personas, world, "学习记录不全", measures=2)
    Finding.objects.filter(pk=other.pk).update(description="未记录学习内容。")
    services.finding_merge(actor=clerk, finding=world.problem, other=other)

    survivor = Finding.objects.get(pk=world.problem.pk)
    assert survivor.description == "未记录学习内容。"
    texts = list(Measure.objects.filter(finding=survivor).order_by("position").values_list("text", flat=True))
    assert texts[2:] == ["学习记录不全的措施1", "学习记录不全的措施2"]
    assert list(
        Measure.objects.filter(finding=survivor).order_by("position").values_list("position", flat=True)
    ) == [
        1,
        2,
        3,
        4,
    ]
    gone = Finding.everything.get(pk=other.pk)
    assert gone.deleted_reason == "合并至“1.理论学习流于形式”"
    assert [i.finding.pk for i in selectors.deleted_findings(user=clerk, round=world.round)] == [other.pk]
    cat2 = services.finding_create(
        actor=clerk, round=world.round, parent=world.category, kind="issue", title="另一问题"
    )
    elsewhere = _problem(personas, world, "别处的问题", parent=cat2)
    with pytest.raises(InvalidInput, match="同一上级"):
        services.finding_merge(actor=clerk, finding=world.problem, other=elsewhere)
    with pytest.raises(InvalidInput):
        services.finding_merge(actor=clerk, finding=world.problem, other=world.problem)
