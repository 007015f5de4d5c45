"""REQ-5.8: the .docx of the notice and the plan, opened back with python-docx."""

from __future__ import annotations

import io
import re

import docx
import pytest
from docx.oxml.ns import qn

from . import test_notice_fixtures
from .test_notice_fixtures import SeedDocs

seed_docs = test_notice_fixtures.seed_docs  # the module's fixture

# The module's documents are built in the test database (set up only for modules that use it).
pytestmark = pytest.mark.django_db

OFFICIAL = {"仿宋_GB2312", "楷体_GB2312", "黑体", "宋体", "方正小标宋简体"}
CJK = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _open(data: bytes):  # type: ignore[no-untyped-def]
    return docx.Document(io.BytesIO(data))


def _runs(d):  # type: ignore[no-untyped-def]
    parts = [d.element.body]
    for s in d.sections:
        parts += [s.footer._element, s.even_page_footer._element]
    for part in parts:
        yield from part.iter(qn("w:r"))


@pytest.fixture(params=["notice", "plan"])
def document(request, seed_docs: SeedDocs):  # type: ignore[no-untyped-def]
    return _open(seed_docs.notice_docx if request.param == "notice" else seed_docs.plan_docx)


def test_page_margins_and_grid(document) -> None:  # type: ignore[no-untyped-def]
    s = document.sections[0]
    assert (round(s.page_width.mm), round(s.page_height.mm)) == (210, 297)
    assert [round(x.mm) for x in (s.top_margin, s.bottom_margin, s.left_margin, s.right_margin)] == [
        37,
        35,
        28,
        26,
    ]
    grid = s._sectPr.find(qn("w:docGrid"))
    # A grid of lines; 28 characters a line from the body's −0.25 pt character spacing
    # (LibreOffice would put a 16 pt character into two cells of a 15.79 pt character grid).
    assert grid.get(qn("w:type")) == "lines"
    assert grid.get(qn("w:linePitch")) == "579"
    assert grid.get(qn("w:charSpace")) is None
    normal = document.styles["Normal"].element.rPr
    assert normal.find(qn("w:spacing")).get(qn("w:val")) == "-5"
    assert 28 * (16 - 0.25) <= 156 * 72 / 25.4 < 29 * (16 - 0.25)
    # The document defaults are the body's too (16 pt, 仿宋_GB2312, zh-CN): LibreOffice builds
    # its layout on them.
    defaults = document.styles.element.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    assert defaults.find(qn("w:sz")).get(qn("w:val")) == defaults.find(qn("w:szCs")).get(qn("w:val")) == "32"
    assert defaults.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert defaults.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    # Footer distance: the page number line's top 7 mm under the type area (35 mm - 7 mm - 14 pt).
    assert abs(s.footer_distance.mm - (28 - 14 * 25.4 / 72)) < 0.1
    settings = document.settings.element
    assert settings.find(qn("w:evenAndOddHeaders")) is not None
    assert settings.find(qn("w:mirrorMargins")) is not None


def test_every_cjk_run_names_an_official_east_asian_font(document) -> None:  # type: ignore[no-untyped-def]
    checked = 0
    for r in _runs(document):
        text = "".join(t.text or "" for t in r.iter(qn("w:t")))
        rf = r.find(f"{qn('w:rPr')}/{qn('w:rFonts')}")
        if CJK.search(text):
            checked += 1
            assert rf is not None and rf.get(qn("w:eastAsia")) in OFFICIAL, text[:20]
        if rf is not None:
            assert rf.get(qn("w:eastAsiaTheme")) is None
    assert checked > 50
    # No theme font anywhere: body, styles, footers.
    for part in (document.element, document.styles.element):
        for rf in part.iter(qn("w:rFonts")):
            assert rf.get(qn("w:eastAsiaTheme")) is None and rf.get(qn("w:asciiTheme")) is None
    normal = document.styles["Normal"].element.rPr
    assert normal.rFonts.get(qn("w:eastAsia")) == "仿宋_GB2312"
    assert normal.find(qn("w:lang")).get(qn("w:eastAsia")) == "zh-CN"
    assert document.styles["Normal"].font.size.pt == 16


def test_page_numbers_outside_with_dashes(document) -> None:  # type: ignore[no-untyped-def]
    s = document.sections[0]
    for footer, align, indent in (
        (s.footer, "right", "right_indent"),
        (s.even_page_footer, "left", "left_indent"),
    ):
        p = footer.paragraphs[0]
        assert p.alignment.name.lower() == align
        assert getattr(p.paragraph_format, indent).pt == 14  # one 4号 character in
        children = [c for c in p._p if c.tag in (qn("w:r"), qn("w:fldSimple"))]
        texts = ["".join(t.text for t in c.iter(qn("w:t"))) for c in children]
        assert children[1].tag == qn("w:fldSimple") and children[1].get(qn("w:instr")) == "PAGE"
        assert (texts[0], texts[2]) == ("— ", " —")
        for c in children:
            rpr = c.find(qn("w:rPr")) if c.tag == qn("w:r") else c.find(f"{qn('w:r')}/{qn('w:rPr')}")
            assert rpr.find(qn("w:rFonts")).get(qn("w:eastAsia")) == "宋体"
            assert rpr.find(qn("w:sz")).get(qn("w:val")) == "28"  # 14 pt


def _para_font(p):  # type: ignore[no-untyped-def]
    r = p.runs[0]
    return r._element.rPr.rFonts.get(qn("w:eastAsia")), r.font.size.pt, bool(r.font.bold)


def test_title_headings_and_body_of_the_notice(seed_docs: SeedDocs) -> None:
    d = _open(seed_docs.notice_docx)
    paras = d.paragraphs
    title = paras[0]
    assert title.text == "望江县公安局交通管理大队\n关于巡察整改进展情况的通报"
    assert title.alignment.name == "CENTER"
    assert _para_font(title) == ("方正小标宋简体", 22, False)
    assert paras[1].text == ""  # one line between title and body
    by_text = {p.text: p for p in paras}
    assert _para_font(by_text["一、加强组织领导，压实整改责任"]) == ("黑体", 16, False)
    assert _para_font(by_text["（一）基层贯彻落实党的路线方针政策和党中央决策部署情况"]) == (
        "楷体_GB2312",
        16,
        False,
    )
    assert _para_font(by_text["1.理论学习有差距"]) == ("仿宋_GB2312", 16, True)
    body = paras[2]
    assert _para_font(body) == ("仿宋_GB2312", 16, False)
    pf = body.paragraph_format
    assert pf.line_spacing.pt == pytest.approx(28.95, abs=0.05)
    assert pf.line_spacing_rule.name == "EXACTLY"
    assert pf.first_line_indent.pt == pytest.approx(31.6, abs=0.05)
    # Signature and date: right-aligned, the date two characters right of the 署名's start.
    sign, date = paras[-2], paras[-1]
    assert (sign.text, date.text) == ("望江县公安局交通管理大队", "2026年11月26日")
    assert sign.alignment.name == date.alignment.name == "RIGHT"
    assert sign.paragraph_format.right_indent.pt == pytest.approx(2 * 15.79, abs=0.05)
    assert date.paragraph_format.right_indent.pt == pytest.approx(5 * 15.79, abs=0.05)
    assert paras[-3].text == ""  # one blank line above the signature


def test_the_plan_has_the_three_lists(seed_docs: SeedDocs) -> None:
    d = _open(seed_docs.plan_docx)
    assert d.paragraphs[0].text == "望江县公安局交通管理大队\n关于落实县委第三巡察组反馈意见的整改方案"
    texts = [p.text for p in d.paragraphs]
    assert "附件：1.问题清单" in texts and "2.任务清单" in texts and "3.责任清单" in texts
    for n in (1, 2, 3):
        assert f"附件{n}" in texts
    assert len(d.tables) == 3
    headers = [[c.text for c in t.rows[0].cells] for t in d.tables]
    assert headers[0] == ["序号", "问题类别", "问题", "具体问题"]
    assert headers[2] == ["序号", "具体问题", "整改措施", "责任领导", "责任部门", "责任人", "完成时限"]
    assert len(d.tables[0].rows) == 1 + 30
    assert len(d.tables[1].rows) == len(d.tables[2].rows) == 1 + 100
    # The problem merged down its measures' rows; the header row repeats on every page.
    duty = d.tables[2]._tbl
    assert duty.find(f".//{qn('w:vMerge')}") is not None
    assert duty.find(f".//{qn('w:tblHeader')}") is not None
    # The lists are on landscape pages, numbered on from the body.
    assert round(d.sections[1].page_width.mm) == 297
    assert d.sections[1].footer.is_linked_to_previous
    # Table text off the 28.95 pt grid, in 仿宋 (body) and 黑体 (header).
    cell = d.tables[2].rows[1].cells[2].paragraphs[0]
    assert cell._p.pPr.find(qn("w:snapToGrid")).get(qn("w:val")) == "0"
    assert _para_font(cell) == ("仿宋_GB2312", 12, False)
    assert _para_font(d.tables[2].rows[0].cells[0].paragraphs[0])[0] == "黑体"


def test_textparse_reads_the_docx_paragraph_by_paragraph(seed_docs: SeedDocs) -> None:
    from zhenggai.textparse.reader import read_bytes

    text = read_bytes(seed_docs.notice_docx, "notice.docx").text
    assert text.splitlines()[:2] == ["望江县公安局交通管理大队", "关于巡察整改进展情况的通报"]
