"""The same document in another format, or re-saved with other spacing, is recognised as the
round already imported (issue 10: "The same letter saved as .txt after .docx made a second,
identical round"); a different document, or the same one in another unit, is not."""

from __future__ import annotations

from typing import Any

from tests.conftest import SEED
from tests.textparse.builders import make_docx
from zhenggai.ledger.imports import import_preview, round_import, text_fingerprint
from zhenggai.ledger.models import Finding, Measure, Round

LETTER = [
    "关于县委第二巡察组巡察反馈意见整改进展情况的通报",
    "2025年3月10日至5月20日，县委第二巡察组对县农业农村局党组开展了巡察，并于2025年7月8日反馈了巡察意见。",
    "一、整改工作的组织领导",
    "局党组高度重视巡察反馈问题整改工作，成立整改工作领导小组。",
    "二、巡察反馈问题的整改落实情况",
    "（一）学习贯彻党的路线方针政策不够深入",
    "1.理论学习走过场",
    "（1）关于中心组学习计划落实不到位的问题",
    "整改情况：一是制定年度学习计划；二是建立学习台账。",
    "三、下一步工作打算",
    "持续巩固整改成果。",
]


def _counts() -> tuple[int, int, int]:
    return Round.objects.count(), Finding.objects.count(), Measure.objects.count()


def test_the_fingerprint_ignores_blanks_and_width_but_not_words():
    a = text_fingerprint("一、整改情况\n（１）学习计划 落实\u3000到位。")
    assert a == text_fingerprint("一、整改情况（1）学习计划落实到位。")
    assert a != text_fingerprint("一、整改情况（1）学习计划落实不到位。")
    assert text_fingerprint(" \n\u3000") == ""


def test_the_same_letter_as_docx_then_as_txt_is_one_round(personas: Any):
    docx = make_docx(list(LETTER))
    first, created = round_import(actor=personas.clerk, unit=personas.unit_a, data=docx, name="通报.docx")
    assert created
    before = _counts()

    txt = "\n".join(LETTER).encode("utf-8")
    preview = import_preview(data=txt, name="通报.txt", unit=personas.unit_a)
    assert preview.existing == first and not preview.same_file
    again, created = round_import(actor=personas.clerk, unit=personas.unit_a, data=txt, name="通报.txt")
    assert (again.pk, created) == (first.pk, False)
    assert _counts() == before


def test_the_same_text_re_saved_with_other_spacing_and_line_ends_is_the_same_round(
    personas: Any, seed_round: Any
):
    text = SEED.read_text(encoding="utf-8")
    respaced = text.replace("\n", "\r\n\r\n").replace("，", "， ").encode("utf-8")
    before = _counts()
    clerk, unit = personas.clerk, personas.unit_a
    again, created = round_import(actor=clerk, unit=unit, data=respaced, name="通报（另存）.txt")
    assert (again.pk, created) == (seed_round.pk, False)
    assert _counts() == before


def test_a_different_letter_or_the_same_letter_in_another_unit_is_a_new_round(personas: Any):
    data = "\n".join(LETTER).encode("utf-8")
    first, _ = round_import(actor=personas.clerk, unit=personas.unit_a, data=data, name="通报.txt")
    changed = "\n".join([*LETTER[:-1], "持续巩固整改成果，建立长效机制。"]).encode("utf-8")
    other, created = round_import(actor=personas.clerk, unit=personas.unit_a, data=changed, name="通报2.txt")
    assert created and other.pk != first.pk
    clerk_b, unit_b = personas.outsider, personas.unit_b  # the outsider is B's clerk
    elsewhere, created = round_import(actor=clerk_b, unit=unit_b, data=data, name="通报.txt")
    assert created and elsewhere.pk != first.pk

