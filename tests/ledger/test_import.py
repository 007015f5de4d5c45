"""The seed becomes a round through the same path as an upload; twice gives nothing new."""

from __future__ import annotations

import pytest

from tests.conftest import SEED
from zhenggai.errors import InvalidInput, NotAllowed
from zhenggai.ledger.imports import import_parse, round_import
from zhenggai.ledger.models import Finding, Measure, Outcome, Round


def test_the_seed_imports_into_three_categories_eighteen_issues_thirty_problems_and_a_hundred_measures(
    seed_round,
):
    counts = {
        k: Finding.objects.filter(round=seed_round, kind=k).count() for k in ("category", "issue", "problem")
    }
    assert counts == {"category": 3, "issue": 18, "problem": 30}
    assert Measure.objects.filter(round=seed_round).count() == 100
    assert seed_round.inspecting_group == "县委第三巡察组"
    assert str(seed_round.feedback_date) == "2022-02-14"
    assert str(seed_round.plan_due) == "2022-03-14"
    assert str(seed_round.report_due) == "2022-04-14"
    assert len(seed_round.source_sha256) == 64


def test_the_same_file_twice_creates_nothing_new(personas, seed_round):
    before = (
        Round.objects.count(),
        Finding.objects.count(),
        Measure.objects.count(),
        Outcome.objects.count(),
    )
    again, created = round_import(
        actor=personas.clerk, unit=personas.unit_a, data=SEED.read_bytes(), name="again.txt"
    )
    assert not created
    assert again.pk == seed_round.pk
    assert (
        Round.objects.count(),
        Finding.objects.count(),
        Measure.objects.count(),
        Outcome.objects.count(),
    ) == before


def test_facts_become_outcomes_linked_to_their_measures(seed_round):
    rules = Outcome.objects.filter(round=seed_round, kind="rule")
    assert rules.count() == 13
    assert all(o.measure_id for o in rules)
    money = sorted(o.amount_yuan for o in Outcome.objects.filter(round=seed_round, kind="money"))
    assert [str(m) for m in money] == ["1620.00", "8250.00", "8976.00"]


def test_a_file_that_is_not_a_rectification_document_is_refused_and_changes_nothing(personas):
    with pytest.raises(InvalidInput):
        round_import(
            actor=personas.clerk, unit=personas.unit_a, data="会议通知\n明天开会。".encode(), name="x.txt"
        )
    with pytest.raises(InvalidInput):
        round_import(actor=personas.clerk, unit=personas.unit_a, data=b"\x00\x01garbage" * 100, name="x.bin")
    assert Round.objects.count() == 0


def test_only_a_clerk_of_the_unit_may_import(personas):
    for who in (personas.outsider, personas.person, personas.leader):
        with pytest.raises(NotAllowed):
            round_import(actor=who, unit=personas.unit_a, data=SEED.read_bytes(), name=SEED.name)
    assert Round.objects.count() == 0


def test_finding2_a_decompression_bomb_is_refused_by_the_import_and_changes_nothing(personas):
    from tests.textparse.bombs import docx_bomb
    from zhenggai.textparse._base import MAX_PART_BYTES, MB

    data = docx_bomb(MAX_PART_BYTES + MB)
    with pytest.raises(InvalidInput, match="文档内容解压后超过 32 MB，拒绝读取") as caught:
        round_import(actor=personas.clerk, unit=personas.unit_a, data=data, name="方案.docx")
    assert caught.value.field == "file"
    with pytest.raises(InvalidInput, match="文档内容解压后超过 32 MB，拒绝读取"):
        import_parse(data=data, name="方案.docx")
    assert Round.objects.count() == 0


def test_finding3_an_import_given_its_parse_uses_it_and_refuses_a_parse_of_other_bytes(personas):
    result = import_parse(data=SEED.read_bytes(), name=SEED.name)
    with pytest.raises(InvalidInput, match="识别结果与上传的文件不一致"):
        round_import(
            actor=personas.clerk,
            unit=personas.unit_a,
            data=SEED.read_bytes() + b"\n",
            name=SEED.name,
            result=result,
        )
    assert Round.objects.count() == 0
    round_, created = round_import(
        actor=personas.clerk, unit=personas.unit_a, data=SEED.read_bytes(), name=SEED.name, result=result
    )
    assert created and Measure.objects.filter(round=round_).count() == 100
