"""The key property: the notice generated for a round, read back by textparse, has the ledger's outline."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest

from zhenggai.textparse.model import iter_findings
from zhenggai.textparse.parse import parse_document
from zhenggai.textparse.reader import read_bytes

from . import test_notice_fixtures
from .test_notice_fixtures import CHANNELS, SeedDocs

seed_docs = test_notice_fixtures.seed_docs  # the module's fixture

# The module's documents are built in the test database (set up only for modules that use it).
pytestmark = pytest.mark.django_db

SEED_COUNTS = {"categories": 3, "issues": 18, "problems": 30, "measures": 100}


def parsed_outline(result) -> list[tuple[str, str, int]]:  # type: ignore[no-untyped-def]
    return [(f.kind, f.title, len(f.measures)) for f in iter_findings(result.findings)]


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_the_notice_reads_back_as_the_ledger(seed_docs: SeedDocs, fmt: str) -> None:
    data = seed_docs.notice_docx if fmt == "docx" else seed_docs.notice_pdf
    result = parse_document(read_bytes(data, f"notice.{fmt}"))
    assert seed_docs.counts == SEED_COUNTS
    c = result.counts
    assert {
        "categories": c.categories,
        "issues": c.issues,
        "problems": c.problems,
        "measures": c.measures,
    } == (SEED_COUNTS)
    assert parsed_outline(result) == seed_docs.outline  # kinds, titles and measure counts, in order
    assert result.doc_type == "progress_notice"
    assert result.title == "望江县公安局交通管理大队关于巡察整改进展情况的通报"
    assert [s.kind for s in result.sections] == ["organisation", "findings", "long_term"]
    insp = result.inspection
    assert insp.inspecting_group == "县委第三巡察组"
    assert insp.inspected_unit == "望江县公安局交通管理大队"
    assert (insp.period_start, insp.period_end, insp.feedback_date) == (
        dt.date(2021, 11, 1),
        dt.date(2021, 11, 30),
        dt.date(2022, 2, 14),
    )
    ch = result.feedback_channels
    assert (ch.phone, ch.address, ch.email) == (CHANNELS["phone"], CHANNELS["address"], CHANNELS["email"])
    assert result.signature == "望江县公安局交通管理大队"
    assert result.signed_date is not None and result.signed_date.value == dt.date(2026, 11, 26)
    # The headline statistics as the document states them, from the ledger.
    assert result.stats["problems"] == 30
    assert result.stats["completed"] == 0
    assert result.stats["completion_rate"] == Decimal("0")
    assert result.stats["rules"] == 13


def test_progress_is_written_with_its_measure(seed_docs: SeedDocs) -> None:
    text = "\n".join(seed_docs.notice.paragraphs())
    assert "（正在推进：已由张堃、李喆、王玥、赵珺、刘彧负责落实）" in text
    # The progress entry's own 一是…二是… would read back as two more measures: rewritten.
    assert "（正在推进：其一，已印发学习计划；其二，已组织集中学习3次）" in text
    assert seed_docs.notice.warnings == []


def test_the_notice_follows_the_seed_structure(seed_docs: SeedDocs) -> None:
    paras = seed_docs.notice.paragraphs()
    assert paras[:2] == ["望江县公安局交通管理大队", "关于巡察整改进展情况的通报"]
    assert paras[2].startswith(
        "根据县委统一部署，2021年11月1日至11月30日，县委第三巡察组对望江县公安局交通管理大队"
    )
    assert paras[2].endswith("现将巡察整改进展情况予以公布：")
    assert paras[3] == "一、加强组织领导，压实整改责任"
    assert paras[4].startswith("一是高度重视")
    i = paras.index("二、坚持问题导向，逐项推进整改")
    assert paras[i + 1] == (
        "截至2026年11月26日，巡察反馈的30个具体问题，已完成整改0个，基本完成0个，正在整改30个，完成率0%；"
        "建立完善制度13项，清退追缴资金1.8846万元，追责问责8人次。具体情况如下："
    )
    assert paras[i + 2] == "（一）基层贯彻落实党的路线方针政策和党中央决策部署情况"
    assert paras[i + 3] == "1.理论学习有差距"
    assert paras[i + 4] == "（1）针对学习习近平新时代中国特色社会主义思想和党的十九大精神次数少问题"
    assert paras[i + 5].startswith("一是2022年3月15日制定了") and "；二是支部每月召开" in paras[i + 5]
    assert "三、建立长效机制，巩固整改成果" in paras
    assert paras[-3] == (
        "欢迎广大干部群众对巡察整改落实情况进行监督。如有意见建议，请及时向我们反映。"
        "联系电话：0556-7170878；邮寄地址：望江县东洲路292号；电子邮箱：852887055@qq.com。"
    )
    assert paras[-2:] == ["望江县公安局交通管理大队", "2026年11月26日"]
    assert re.fullmatch(r"\d{4}年[1-9]\d?月[1-9]\d?日", paras[-1])  # REQ-5.5 成文日期


@pytest.mark.django_db
def test_completion_counts_as_published_texts(seed_round, personas) -> None:  # type: ignore[no-untyped-def]
    """完成率 counts only 已完成 problems; 基本完成 (some measures 阶段性完成) is listed apart."""
    from zhenggai.ledger.models import Finding, Measure, MeasureStatus
    from zhenggai.reports.builders import build_notice

    problems = list(Finding.objects.filter(round=seed_round, kind="problem").order_by("position"))
    Measure.objects.filter(finding=problems[0]).update(status=MeasureStatus.DONE)
    Measure.objects.filter(finding=problems[1]).update(status=MeasureStatus.DONE)
    Measure.objects.filter(finding=problems[2]).update(status=MeasureStatus.STAGE_DONE)
    doc = build_notice(user=personas.viewer, round=seed_round)
    stats = next(p for p in doc.paragraphs() if p.startswith("截至"))
    assert "已完成整改2个，基本完成1个，正在整改27个，完成率6.67%" in stats
    text = "\n".join(doc.paragraphs())
    assert "（已完成）" in text and "（已取得阶段性成效，持续推进）" in text


@pytest.mark.django_db
def test_an_outsider_gets_nothing(seed_round, personas) -> None:  # type: ignore[no-untyped-def]
    from django.http import Http404

    from zhenggai.reports.builders import build_notice, build_plan

    with pytest.raises(Http404):
        build_notice(user=personas.outsider, round=seed_round)
    with pytest.raises(Http404):
        build_plan(user=personas.outsider, round=seed_round)


def test_words_of_the_documents() -> None:
    from zhenggai.reports.docx_render import signature_indents
    from zhenggai.reports.official import cn_number, date_cn, money_cn, period_cn, rate_cn, superior_of

    assert [cn_number(n) for n in (1, 10, 11, 20, 21, 99)] == ["一", "十", "十一", "二十", "二十一", "九十九"]
    assert date_cn(dt.date(2026, 7, 1)) == "2026年7月1日"
    assert period_cn(dt.date(2021, 11, 1), dt.date(2021, 11, 30)) == "2021年11月1日至11月30日"
    assert period_cn(dt.date(2021, 12, 1), dt.date(2022, 1, 5)) == "2021年12月1日至2022年1月5日"
    assert money_cn(Decimal("45400.00")) == "4.54万元"
    assert money_cn(Decimal("8250.00")) == "8250元"
    assert money_cn(Decimal("12345.67")) == "12345.67元"
    assert rate_cn(96.67) == "96.67%" and rate_cn(100.0) == "100%" and rate_cn(None) == "0%"
    assert superior_of("县委第三巡察组") == "县委" and superior_of("市委巡察组") == "市委"
    # 署名 right-indented 2 characters, the date 2 characters right of the 署名's first character.
    unit_right, date_right = signature_indents("望江县公安局交通管理大队", "2026年11月26日")
    # The date is 7 characters wide (ASCII digits count half).
    assert unit_right == 2.0 and 28 - date_right - 7 == 28 - unit_right - 12 + 2
    # A date longer than the 署名 is right-indented 2 and the 署名 moves left.
    assert signature_indents("县档案馆", "2026年11月26日") == (7.0, 2.0)


def test_problem_titles_that_would_not_read_back_are_written_plainly() -> None:
    from zhenggai.reports.builders import problem_heading

    assert problem_heading(3, "宗旨意识不强") == "（3）针对宗旨意识不强问题"
    # 针对…方面问题 would read back without 方面; such a title is written as it is.
    assert problem_heading(4, "干部队伍建设方面") == "（4）干部队伍建设方面"
