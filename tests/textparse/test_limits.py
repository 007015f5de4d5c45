"""The reader's limits (issue 8, findings 2 and 3): bombs and over-long documents are refused
with one clear Chinese line, before they cost memory or time.

Memory is measured with tracemalloc (what Python allocates, the inflated bytes included), a
count that does not depend on the machine's load; times belong in
``bench/bench_hostile_imports.py``.
"""

from __future__ import annotations

import io
import os
import tracemalloc
import zipfile
import zlib
from collections.abc import Callable

import pytest
from pdfminer.psparser import LIT

from tests.textparse import bombs
from zhenggai.textparse import budget, pdfguard, reader
from zhenggai.textparse._base import (
    MAX_CHARS,
    MAX_LINES,
    MAX_PART_BYTES,
    MAX_TABLE_CELLS,
    MAX_ZIP_ENTRIES,
    MB,
    LimitExceeded,
)
from zhenggai.textparse.parse import parse_text
from zhenggai.textparse.reader import ReadError, read_bytes
from zhenggai.textparse.serialize import dump_result, load_result

from .builders import make_docx, make_pdf

EXPANDED = f"文档内容解压后超过 {MAX_PART_BYTES // MB} MB，拒绝读取"
CELLS = f"文档中的表格超过 {MAX_TABLE_CELLS // 10000} 万个单元格的上限，拒绝读取"


def _refusal(data: bytes, name: str, *, traced: bool = False) -> tuple[str, float]:
    """The reason ``read_bytes`` gives, and (``traced``) the peak of memory in MB it
    allocated on the way."""
    if traced:
        tracemalloc.start()
    try:
        with pytest.raises(ReadError) as caught:
            read_bytes(data, name)
        peak = tracemalloc.get_traced_memory()[1] / MB if traced else 0.0
    finally:
        tracemalloc.stop()
    assert str(caught.value) == f"无法读取 {name}：{caught.value.reason}"
    return caught.value.reason, peak


# --------------------------------------------------------------------------- finding 2


def test_finding2_a_docx_whose_document_part_inflates_past_the_limit_is_refused_unopened():
    data = bombs.docx_bomb(MAX_PART_BYTES + MB)
    assert len(data) < MB
    reason, peak = _refusal(data, "方案.docx", traced=True)
    assert reason == EXPANDED
    assert peak < 8  # the zip's directory was read, not the part


def test_finding2_docx_parts_together_past_the_total_are_refused_unopened(monkeypatch):
    # At a total of 4 MB, so that the parts (images: incompressible) stay small here.
    monkeypatch.setattr(reader, "MAX_EXPANDED_BYTES", 4 * MB)
    parts = {f"word/media/image{i}.png": os.urandom(MB) for i in range(5)}
    data = bombs.docx_from_body([bombs.paragraph("正文")], extra=parts)
    reason, _ = _refusal(data, "方案.docx")
    assert reason == "文档内容解压后超过 4 MB，拒绝读取"


def test_finding2_a_docx_of_too_many_parts_or_an_abnormal_ratio_is_refused():
    reason, _ = _refusal(bombs.docx_many_entries(MAX_ZIP_ENTRIES), "方案.docx")
    assert reason == f"文档包含的部件超过 {MAX_ZIP_ENTRIES} 个，拒绝读取"
    # 2 MB of one repeated character deflates about 1000:1, past any document's ratio.
    reason, _ = _refusal(bombs.docx_from_body([bombs.paragraph("整" * (2 * MB // 3))]), "方案.docx")
    assert reason == "文档压缩比异常（疑似压缩炸弹），拒绝读取"


def test_finding2_a_pdf_whose_content_stream_inflates_past_the_limit_is_refused_in_bounded_memory():
    data = bombs.pdf_bomb(4 * MAX_PART_BYTES)
    assert len(data) < MB
    reason, peak = _refusal(data, "方案.pdf", traced=True)
    assert reason == EXPANDED
    # One capped stream at a time (zlib's output buffer grows by doubling: twice the cap).
    assert peak < 2 * MAX_PART_BYTES / MB + 16


def _stream(filters: list[str], data: bytes) -> object:
    from pdfminer.pdftypes import PDFStream

    names = [LIT(f) for f in filters]
    return PDFStream({"Filter": names if len(names) > 1 else names[0]}, data)


def _lzw(data: bytes) -> bytes:
    """The simplest valid LZW stream: 9-bit literal codes, a clear code before the table
    would grow to 10 bits, an end of data."""
    codes = [c for i in range(0, len(data), 200) for c in (256, *data[i : i + 200])] + [257]
    bits = "".join(format(c, "09b") for c in codes)
    bits += "0" * (-len(bits) % 8)
    return bytes(int(bits[i : i + 8], 2) for i in range(0, len(bits), 8))


BOMBS: dict[str, tuple[list[str], Callable[[int], bytes]]] = {
    "flate": (["FlateDecode"], lambda n: zlib.compress(b" " * n, 9)),
    "runlength": (["RunLengthDecode"], lambda n: bytes([129, 32]) * (n // 128 + 1) + b"\x80"),
    "lzw": (["LZWDecode"], lambda n: _lzw(b" " * n)),
    "flate of runlength": (
        ["FlateDecode", "RunLengthDecode"],
        lambda n: zlib.compress(bytes([129, 32]) * (n // 128 + 1) + b"\x80", 9),
    ),
}


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_finding2_every_pdf_filter_is_bounded_per_stream_and_per_document(kind):
    filters, make = BOMBS[kind]
    with pdfguard.expansion_budget(per_stream=10_000, total=25_000), pytest.raises(LimitExceeded):
        _stream(filters, make(20_000)).get_data()  # type: ignore[attr-defined]
    size = len(_stream(filters, make(5_000)).get_data())  # type: ignore[attr-defined]
    fit = 25_000 // size
    with pdfguard.expansion_budget(per_stream=10_000, total=25_000):
        for _ in range(fit):
            assert len(_stream(filters, make(5_000)).get_data()) == size  # type: ignore[attr-defined]
        with pytest.raises(LimitExceeded):  # the next one passes the document's total
            _stream(filters, make(5_000)).get_data()  # type: ignore[attr-defined]


@pytest.mark.parametrize("kind", sorted(BOMBS))
def test_a_bounded_stream_decodes_exactly_as_pdfminer_does_unbounded(kind):
    filters, make = BOMBS[kind]
    data = make(3_000)
    plain = _stream(filters, data).get_data()  # type: ignore[attr-defined]
    with pdfguard.expansion_budget():
        assert _stream(filters, data).get_data() == plain  # type: ignore[attr-defined]
    corrupt = zlib.compress(b"text before a bad checksum " * 50)[:-2] + b"\0\0"
    plain = _stream(["FlateDecode"], corrupt).get_data()  # type: ignore[attr-defined]
    with pdfguard.expansion_budget():
        assert _stream(["FlateDecode"], corrupt).get_data() == plain  # type: ignore[attr-defined]


# --------------------------------------------------------------------------- finding 3


def test_finding3_a_docx_table_of_rows_spanning_a_thousand_columns_is_refused_by_its_cells():
    reason, peak = _refusal(bombs.docx_wide_table(1_000, 1_000), "方案.docx", traced=True)
    assert reason == CELLS
    assert peak < 64


def test_finding3_a_docx_table_grid_of_a_million_columns_is_refused_by_its_cells(monkeypatch):
    monkeypatch.setattr(reader, "MAX_ZIP_RATIO", 10**9)  # its XML deflates like a bomb, too
    data = bombs.docx_from_body(
        [
            b"<w:tbl><w:tblGrid>",
            b"<w:gridCol/>" * (MAX_TABLE_CELLS + 1),
            b"</w:tblGrid>",
            b"<w:tr><w:tc><w:p/></w:tc></w:tr>",
            b"</w:tbl>",
        ]
    )
    reason, _ = _refusal(data, "方案.docx")
    assert reason == CELLS


def test_finding3_an_html_table_of_many_spanned_cells_is_refused_by_its_cells():
    reason, _ = _refusal(bombs.html_wide_table(MAX_TABLE_CELLS // 101 + 10), "方案.html")
    assert reason == CELLS


def test_finding3_a_document_past_the_characters_or_lines_limit_is_refused(monkeypatch):
    monkeypatch.setattr(reader, "MAX_ZIP_RATIO", 10**9)
    reason, _ = _refusal(("整改" * (MAX_CHARS // 2 + 1)).encode(), "方案.txt")
    assert reason == f"文档文字超过 {MAX_CHARS // 10000} 万字的上限，拒绝读取（请拆分后分别导入）"
    reason, _ = _refusal(b"x" * (4 * MAX_CHARS + 8), "big.txt")  # refused before decoding
    assert reason.startswith("文档文字超过")
    reason, _ = _refusal(bombs.numbered_items(50_000), "清单.txt")
    assert reason == f"文档超过 {MAX_LINES // 10000} 万段（行）的上限，拒绝读取（请拆分后分别导入）"
    paragraphs = [bombs.paragraph("一") for _ in range(MAX_LINES + 1)]
    reason, _ = _refusal(bombs.docx_from_body(paragraphs), "方案.docx")
    assert reason.startswith("文档超过")


def test_finding3_documents_within_the_limits_still_read_whole():
    rows = [["序号", "问题", "整改措施"], *[[str(i), f"问题{i}", f"措施{i}"] for i in range(1, 300)]]
    doc = read_bytes(make_docx([rows]), "方案.docx")
    assert doc.text.count("\n") == 299
    assert read_bytes(make_pdf(["一、问题清单", "（一）学习不深入"]), "方案.pdf").text.startswith(
        "一、问题清单"
    )


def test_finding3_a_parse_past_its_time_budget_is_killed_and_refused(monkeypatch):
    monkeypatch.setattr(
        budget, "CHILD_COMMAND", [budget.sys.executable, "-c", "import time; time.sleep(600)"]
    )
    with pytest.raises(ReadError) as caught:
        budget.read_and_parse("一、问题\n".encode(), "方案.txt", seconds=1)
    assert str(caught.value) == "无法读取 方案.txt：文档过于复杂，解析超时（超过 1 秒），拒绝读取"


def test_finding3_the_budgeted_parse_gives_the_same_result_and_the_same_refusals():
    text = "一、学习方面\n（一）学习不深入\n1.理论学习流于形式\n一是制定计划，2022年3月底前完成。"
    assert budget.read_and_parse(text.encode(), "方案.txt") == parse_text(text, name="方案.txt")
    with pytest.raises(ReadError, match=r"^无法读取 方案\.docx：文档中的表格超过"):
        budget.read_and_parse(bombs.docx_wide_table(1_000, 1_000), "方案.docx")


def test_a_stored_parse_reads_back_equal(seed_text: str = "") -> None:
    from tests.conftest import SEED

    result = parse_text(SEED.read_text(encoding="utf-8"), name=SEED.name)
    assert load_result(dump_result(result)) == result
    with pytest.raises(ValueError, match="not a stored parse result"):
        load_result('{"schema": "zhenggai.parse/1"}')


def test_the_hostile_builders_make_what_they_say():
    with zipfile.ZipFile(io.BytesIO(bombs.docx_bomb(2 * MB))) as z:
        assert z.getinfo("word/document.xml").file_size > 2 * MB


def test_the_parsing_child_inherits_none_of_the_servers_secrets(monkeypatch):
    monkeypatch.setenv("ZHENGGAI_SECRET_KEY", "not for the child")
    # A child that answers with the names of its environment, as a refusal.
    show_env = "import json, os; print(json.dumps({'refused': ' '.join(sorted(os.environ))}))"
    monkeypatch.setattr(budget, "CHILD_COMMAND", [budget.sys.executable, "-c", show_env])
    with pytest.raises(ReadError) as caught:
        budget.read_and_parse(b"x", "a.txt")
    assert "ZHENGGAI_SECRET_KEY" not in caught.value.reason.split()
    assert "PATH" in caught.value.reason.split()


def test_a_large_table_counts_one_line_per_row_not_one_per_cell_paragraph():
    # 5,000 rows of 10 cells: 50,000 cell paragraphs, but 5,000 lines of text.
    rows = [
        "<w:tr>"
        + "".join(f"<w:tc><w:p><w:r><w:t>{i * 10 + j}</w:t></w:r></w:p></w:tc>" for j in range(10))
        + "</w:tr>"
        for i in range(5_000)
    ]
    doc = read_bytes(bombs.docx_from_body([b"<w:tbl>", "".join(rows).encode(), b"</w:tbl>"]), "方案.docx")
    assert doc.text.count("\n") == 4_999


def test_finding3_a_file_name_with_a_unicode_line_separator_survives_the_budgeted_parse():
    from zhenggai.textparse import budget

    text = "一、问题\n（一）问题\n1.问题\n"
    result = budget.read_and_parse(text.encode(), "反馈\u2028意见\x85.txt")
    assert result.source.name == "反馈\u2028意见\x85.txt" and result.text.strip() == text.strip()
