"""The 整改情况报告 (a second document built like the notice) and the QR code of the feedback page.

The seed round's report (``seed_docs``) carries the QR code of ``FEEDBACK_URL``, a URL with
HTML-special characters: the .docx holds segno's PNG of it as an inline picture 25 mm wide, the
PDF an image object and the URL as text, and both read back with textparse to the ledger's
outline, as the notice does.
"""

from __future__ import annotations

import datetime as dt
import io
import zipfile

import docx
import pytest
from docx.shared import Mm

from tests.office import libreoffice_convert
from zhenggai.textparse.parse import parse_document
from zhenggai.textparse.reader import read_bytes

from . import doccheck, test_notice_fixtures
from .test_notice_fixtures import CHANNELS, FEEDBACK_URL, SeedDocs
from .test_notice_roundtrip import SEED_COUNTS, parsed_outline

seed_docs = test_notice_fixtures.seed_docs  # the module's fixture

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["docx", "pdf"])
def test_the_report_reads_back_with_the_outline_of_the_ledger(seed_docs: SeedDocs, fmt: str) -> None:
    data = seed_docs.report_docx if fmt == "docx" else seed_docs.report_pdf
    result = parse_document(read_bytes(data, f"report.{fmt}"))
    c = result.counts
    assert {
        "categories": c.categories,
        "issues": c.issues,
        "problems": c.problems,
        "measures": c.measures,
    } == (SEED_COUNTS)
    assert parsed_outline(result) == seed_docs.outline
    assert result.doc_type == "progress_notice"
    assert result.title == "望江县公安局交通管理大队关于巡察整改情况的报告"
    assert [s.kind for s in result.sections] == ["organisation", "findings", "long_term", "next_steps"]
    ch = result.feedback_channels
    assert (ch.phone, ch.address, ch.email) == (CHANNELS["phone"], CHANNELS["address"], CHANNELS["email"])
    assert result.signature == "望江县公安局交通管理大队"
    assert result.signed_date is not None and result.signed_date.value == dt.date(2026, 11, 26)
    assert result.stats["problems"] == 30


def test_the_report_is_addressed_to_the_inspection_office_and_ends_as_a_report(seed_docs: SeedDocs) -> None:
    paras = seed_docs.report.paragraphs()
    assert paras[:4] == [
        "望江县公安局交通管理大队",
        "关于巡察整改情况的报告",
        "县委巡察办：",
        paras[3],
    ]
    assert paras[3].startswith("根据县委统一部署") and paras[3].endswith("现将巡察整改情况报告如下：")
    heads = [b.text for b in seed_docs.report.body if getattr(b, "role", "") == "h1"]
    assert heads == ["一、主要做法", "二、整改落实情况", "三、建立健全长效机制", "四、下一步工作打算"]
    assert paras[-5].endswith(f"网上反映：{FEEDBACK_URL}。")
    assert paras[-4:] == ["扫码反映意见建议", "特此报告。", "望江县公安局交通管理大队", "2026年11月26日"]
    # The progress the clerk adopted, as in the notice.
    assert "（正在推进：已由张堃、李喆、王玥、赵珺、刘彧负责落实）" in "\n".join(paras)
    assert seed_docs.report.warnings == []


def test_the_report_docx_holds_segnos_png_of_the_url_as_a_25_mm_picture_after_the_channels(
    seed_docs: SeedDocs,
) -> None:
    from zhenggai.reports.qr import qr_png

    d = docx.Document(io.BytesIO(seed_docs.report_docx))
    [shape] = d.inline_shapes
    assert abs(shape.width - Mm(25)) < Mm(0.1) and abs(shape.height - Mm(25)) < Mm(0.1)
    texts = [p.text for p in d.paragraphs]
    picture_at = next(i for i, p in enumerate(d.paragraphs) if p._p.xpath(".//pic:pic"))
    assert f"网上反映：{FEEDBACK_URL}" in texts[picture_at - 1]
    assert texts[picture_at + 1] == "扫码反映意见建议"
    with zipfile.ZipFile(io.BytesIO(seed_docs.report_docx)) as z:
        images = [z.read(n) for n in z.namelist() if n.startswith("word/media/")]
        document = z.read("word/document.xml").decode("utf-8")
    assert images == [qr_png(FEEDBACK_URL)]
    # The URL's < and " are data: escaped in the XML, as text and as the picture's description.
    assert "from=&lt;qr&gt;" in document and "<qr>" not in document


def test_the_qr_png_is_segnos_symbol_of_the_url() -> None:
    import segno

    from zhenggai.reports.qr import BORDER, SCALE, qr_png

    out = io.BytesIO()
    segno.make_qr(FEEDBACK_URL, error="m").save(out, kind="png", scale=SCALE, border=BORDER)
    assert qr_png(FEEDBACK_URL) == out.getvalue()
    assert qr_png(FEEDBACK_URL) != qr_png(FEEDBACK_URL + "x")


def test_the_report_pdf_has_the_qr_image_and_the_url_as_text(seed_docs: SeedDocs) -> None:
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c
    import segno
    from PIL import Image

    from zhenggai.reports.qr import BORDER, SCALE, qr_png

    pdf = pdfium.PdfDocument(seed_docs.report_pdf)
    try:
        images = [
            (i, obj)
            for i, page in enumerate(pdf)
            for obj in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])
        ]
        assert len(images) == 1
        page_no, image = images[0]
        modules = segno.make_qr(FEEDBACK_URL, error="m").symbol_size(scale=SCALE, border=BORDER)
        assert image.get_px_size() == modules
        left, _, right, _ = image.get_bounds()
        assert abs((right - left) - 25 / 25.4 * 72) < 1  # 25 mm wide
        # The image's pixels are those of segno's symbol (the PDF holds pixels, not the PNG).
        drawn = image.get_bitmap().to_pil().convert("L")
        assert drawn.tobytes() == Image.open(io.BytesIO(qr_png(FEEDBACK_URL))).convert("L").tobytes()
        page_text = pdf[page_no].get_textpage().get_text_range()
    finally:
        pdf.close()
    assert "扫码反映意见建议" in page_text
    assert doccheck.flat(f"网上反映：{FEEDBACK_URL}") in doccheck.pdf_text(seed_docs.report_pdf)
    facts = doccheck.pdf_facts(seed_docs.report_pdf)
    assert facts.forbidden == [] and facts.annotations == []


def test_the_pdf_fetcher_reads_only_the_images_registered_for_the_document() -> None:
    from zhenggai.reports.pdf_render import LocalFetcher, RefusedURL, png_data_uri
    from zhenggai.reports.qr import qr_png

    png = qr_png("https://example.cn/")
    uri = png_data_uri(png)
    assert LocalFetcher({uri: png}).fetch(uri).read() == png
    for other in (uri, png_data_uri(png + b"\0"), "data:text/html,<b>x</b>", "https://example.cn/x.png"):
        with pytest.raises(RefusedURL):
            LocalFetcher().fetch(other)


def test_without_a_feedback_url_there_is_no_qr_code(seed_docs: SeedDocs) -> None:
    assert seed_docs.notice.qr is None
    assert "网上反映" not in "\n".join(seed_docs.notice.paragraphs())
    assert not docx.Document(io.BytesIO(seed_docs.notice_docx)).inline_shapes


@pytest.mark.libreoffice
def test_libreoffice_opens_the_report_docx_with_its_picture(seed_docs: SeedDocs, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import pypdfium2 as pdfium
    import pypdfium2.raw as pdfium_c

    data = libreoffice_convert(seed_docs.report_docx, "report.docx", tmp_path, "pdf")
    text = doccheck.pdf_text(data)
    assert "关于巡察整改情况的报告" in text and "特此报告。" in text and "扫码反映意见建议" in text
    pdf = pdfium.PdfDocument(data)
    try:
        images = [o for page in pdf for o in page.get_objects(filter=[pdfium_c.FPDF_PAGEOBJ_IMAGE])]
        assert len(images) == 1
    finally:
        pdf.close()
