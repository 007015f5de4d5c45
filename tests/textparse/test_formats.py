"""Formats past txt/docx/pdf/html (issue 10): .doc and .wps (and RTF) through LibreOffice, and OFD.

The LibreOffice tests (marker ``libreoffice``) make their documents as a clerk's would be: a
.docx written with python-docx and saved as Word 97 (.doc) or RTF by LibreOffice itself;
a .wps is that Word 97 file under the WPS name, because LibreOffice writes no WPS and WPS
Office writes its .wps in Word's binary format (with extensions LibreOffice ignores): a file
written by WPS Office itself is not among them. Without ``soffice`` they fail and say so.

The OFD tests build their packages (GB/T 33190) in ``ofd_builder``; the refusals need
neither LibreOffice nor a real converter: a missing converter is made by a PATH without it.
"""

from __future__ import annotations

import io
import os
import random
import re
import tempfile
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.office import libreoffice_convert
from zhenggai.textparse import _ofd, _office, budget, reader
from zhenggai.textparse._base import MB, too_expanded, too_many_chars
from zhenggai.textparse.parse import parse_document
from zhenggai.textparse.reader import ReadError, read_bytes, read_path
from zhenggai.textparse.serialize import dump_result

from .builders import make_docx
from .genre import PLAN_BLOCKS
from .ofd_builder import LEFT, TOP, Rule, Text, layout, make_ofd, page_xml, ruled_table
from .ole_builder import MAGIC, make_ole, word_fib


def assert_one_line_chinese(err: ReadError, name: str) -> None:
    msg = str(err)
    assert "\n" not in msg and name in msg
    assert msg.startswith("无法读取 ") and re.search(r"[\u4e00-\u9fff]{4}", msg)
    assert not re.search(r"Error|Exception|Traceback|errno", msg)


def refusal(data: bytes, name: str, **kwargs: float) -> ReadError:
    with pytest.raises(ReadError) as info:
        read_bytes(data, name, **kwargs)  # type: ignore[arg-type]
    assert_one_line_chinese(info.value, name)
    return info.value


# --------------------------------------------------------------------------- .doc, .wps, .rtf

LETTER_BLOCKS: list[str | list[list[object]]] = [
    "关于对县农业农村局党组巡察情况的反馈意见",
    "根据县委统一部署，2025年3月10日至5月20日，县委第二巡察组对县农业农村局党组开展了常规巡察，"
    "并于2025年7月8日反馈了巡察意见。现将巡察发现的主要问题反馈如下：",
    "一、贯彻落实党的路线方针政策和党中央决策部署方面",
    "（一）学习贯彻习近平新时代中国特色社会主义思想不够深入",
    "1.党组理论学习中心组学习计划落实不到位，2024年应开展集中学习12次，实际开展8次。",
    "2.学用结合不紧密，推动乡村振兴重点任务落实的具体举措不多。",
    "二、落实全面从严治党战略部署方面",
    "（一）违反中央八项规定精神问题仍有发生",
    "3.2023年以来违规发放津补贴4.54万元，公务接待超标准3次。",
    [
        ["序号", "问题", "整改措施", "责任部门", "完成时限"],
        ["1", "学习计划落实不到位", "制定年度学习计划\n每月开展集中学习", "办公室", "2025年12月31日"],
        [None, None, "建立学习台账", "办公室", "长期坚持"],
        ["2", ("违规发放津补贴", 2), None, "立行立改"],
    ],
    "监督电话：0556-1234567；电子邮箱：xcb@example.gov.cn。",
    "县委第二巡察组",
    "2025年7月8日",
]


def saved_by_libreoffice(data: bytes, name: str, to: str, folder: Path) -> bytes:
    """``data`` (a file called ``name``) saved by LibreOffice headless in the format ``to``."""
    return libreoffice_convert(data, name, folder, to, timeout=300)


@pytest.fixture(scope="module")
def saved(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The letter and the plan as .docx, and as LibreOffice saves them as .doc and .rtf."""
    folder = tmp_path_factory.mktemp("word97")
    files = {"letter.docx": make_docx(LETTER_BLOCKS), "plan.docx": make_docx(PLAN_BLOCKS)}
    for stem in ("letter", "plan"):
        docx = files[f"{stem}.docx"]
        files[f"{stem}.doc"] = saved_by_libreoffice(docx, f"{stem}.docx", "doc", folder / stem)
    files["letter.rtf"] = saved_by_libreoffice(files["letter.docx"], "letter.docx", "rtf", folder / "rtf")
    return files


@pytest.mark.libreoffice
@pytest.mark.parametrize("stem", ["letter", "plan"])
def test_a_word_97_doc_reads_as_the_docx_it_was_saved_from_tables_included(saved, stem):
    assert saved[f"{stem}.doc"].startswith(MAGIC)
    doc = read_bytes(saved[f"{stem}.doc"], f"{stem}.doc")
    assert doc.format == "doc"
    assert doc.text == read_bytes(saved[f"{stem}.docx"], f"{stem}.docx").text
    assert re.search(r"^序号\t.+\t", doc.text, re.MULTILINE)  # the table, as tab-separated rows
    assert doc.sha256 != read_bytes(saved[f"{stem}.docx"], f"{stem}.docx").sha256


@pytest.mark.libreoffice
def test_a_wps_file_is_read_as_the_word_binary_file_it_is(saved):
    doc = read_bytes(saved["letter.doc"], "反馈意见.wps")
    assert doc.format == "wps"
    assert doc.text == read_bytes(saved["letter.docx"], "letter.docx").text


@pytest.mark.libreoffice
def test_an_rtf_even_named_doc_is_converted_too(saved):
    expected = read_bytes(saved["letter.docx"], "letter.docx").text
    for name in ("反馈意见.rtf", "反馈意见.doc"):
        doc = read_bytes(saved["letter.rtf"], name)
        assert doc.format == "rtf"
        assert doc.text == expected


@pytest.mark.libreoffice
def test_a_doc_is_known_by_its_content_whatever_its_name(saved, tmp_path):
    path = tmp_path / "反馈意见.txt"
    path.write_bytes(saved["letter.doc"])
    assert read_path(path).format == "doc"


@pytest.mark.libreoffice
def test_conversions_run_side_by_side_each_with_its_own_profile_and_no_home(saved, monkeypatch):
    monkeypatch.delenv("HOME", raising=False)
    with ThreadPoolExecutor(3) as pool:
        texts = list(pool.map(lambda n: read_bytes(saved["plan.doc"], f"plan{n}.doc").text, range(3)))
    assert texts == [read_bytes(saved["plan.docx"], "plan.docx").text] * 3


@pytest.mark.libreoffice
def test_a_doc_is_read_and_parsed_in_the_budgeted_child_process(saved):
    """The child inherits the budget's memory limit (1.5 GB of address space): LibreOffice
    runs inside it, and its conversion's deadline (20 s) inside the budget's 30 s."""
    assert _office.TIMEOUT_SECONDS < budget.DEFAULT_SECONDS
    result = budget.read_and_parse(saved["plan.doc"], "plan.doc")
    assert dump_result(result) == dump_result(parse_document(read_bytes(saved["plan.doc"], "plan.doc")))
    assert result.counts.problems > 0


def _command_lines() -> Iterator[str]:
    for entry in os.scandir("/proc"):
        if entry.name.isdigit():
            try:
                with open(os.path.join(entry.path, "cmdline"), "rb") as fh:
                    yield fh.read().replace(b"\0", b" ").decode("utf-8", "replace")
            except OSError:
                continue


@pytest.mark.libreoffice
def test_a_conversion_past_its_time_is_refused_and_leaves_nothing_running_or_on_disk(
    saved, tmp_path, monkeypatch
):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    err = refusal(saved["plan.doc"], "方案.doc", convert_seconds=0.05)
    assert "转换 Word 97-2003（.doc）文件超时（超过 0.05 秒）" in str(err)
    assert list(tmp_path.iterdir()) == []  # the private directory and profile are gone
    assert not [cmd for cmd in _command_lines() if str(tmp_path) in cmd]


@pytest.mark.libreoffice
def test_an_ole_file_libreoffice_finds_nothing_in_is_refused():
    # A Word directory with no real document behind it: LibreOffice opens it as empty.
    err = refusal(make_ole({"WordDocument": word_fib(), "1Table": b""}), "坏文件.doc")
    assert "文件为空" in str(err)


@pytest.mark.libreoffice
def test_an_rtf_libreoffice_cannot_open_is_refused_as_damaged():
    err = refusal(b"{\\rtf1 \\" + bytes(range(128, 256)) * 4, "反馈意见.rtf")
    assert "文件已损坏或不是 RTF（.rtf）文档，LibreOffice 无法打开" in str(err)


# --------------------------------------------------------------------------- no converter

WORD_FILE = make_ole({"WordDocument": word_fib(), "1Table": b"\x00" * 16})


@pytest.mark.parametrize("name", ["反馈意见.doc", "反馈意见.wps", "反馈意见"])
def test_without_libreoffice_a_doc_or_wps_is_refused_saying_what_to_install(tmp_path, monkeypatch, name):
    monkeypatch.setenv("PATH", str(tmp_path))  # a PATH with no soffice on it
    monkeypatch.delenv(_office.SOFFICE_ENV, raising=False)
    err = refusal(WORD_FILE, name)
    assert "读取 .doc/.wps 文件需要 LibreOffice（soffice），服务器上未安装" in str(err)
    assert "libreoffice-writer-nogui" in str(err) and "另存为 .docx" in str(err)


def test_a_soffice_setting_that_names_no_program_is_refused_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(_office.SOFFICE_ENV, str(tmp_path / "opt" / "soffice"))
    err = refusal(WORD_FILE, "反馈意见.doc")
    assert f"服务器上未安装（{_office.SOFFICE_ENV} 指定的程序不存在）" in str(err)


def test_without_libreoffice_the_budgeted_parse_refuses_the_same_way(tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.delenv(_office.SOFFICE_ENV, raising=False)
    with pytest.raises(ReadError) as info:
        budget.read_and_parse(WORD_FILE, "反馈意见.doc")
    assert_one_line_chinese(info.value, "反馈意见.doc")
    assert "需要 LibreOffice（soffice），服务器上未安装" in str(info.value)


OLE_REFUSALS = {
    "password doc": ({"WordDocument": word_fib(encrypted=True)}, "加密.doc", "文档设置了打开密码"),
    "password docx": ({"EncryptionInfo": b"", "EncryptedPackage": b""}, "加密.docx", "文档设置了打开密码"),
    "password docx named doc": ({"EncryptionInfo": b"", "EncryptedPackage": b""}, "加密.doc", "打开密码"),
    "xls": ({"Workbook": b""}, "问题清单.xls", "旧版 Excel 表格（.xls）"),
    "xls named doc": ({"Workbook": b"", "\x05SummaryInformation": b""}, "问题清单.doc", "旧版 Excel"),
    "ppt": ({"PowerPoint Document": b"", "Current User": b""}, "汇报.ppt", "演示文稿（.ppt）"),
    "other ole": ({"VisioDocument": b""}, "图.vsd", "不支持的旧版 Office 格式"),
}


@pytest.mark.parametrize(("streams", "name", "expected"), OLE_REFUSALS.values(), ids=list(OLE_REFUSALS))
def test_other_ole2_files_are_refused_by_what_they_hold_without_a_converter(
    tmp_path, monkeypatch, streams, name, expected
):
    monkeypatch.setenv("PATH", str(tmp_path))  # none of these may reach LibreOffice
    err = refusal(make_ole(streams), name)
    assert expected in str(err) and "另存为" in str(err)


@pytest.mark.parametrize(
    "data",
    [
        MAGIC + bytes(504),  # a header of zeros
        WORD_FILE[:1024],  # cut before its directory
        WORD_FILE[:0x1E] + b"\x0a\x00" + WORD_FILE[0x20:],  # a sector size no writer uses
    ],
    ids=["zeros", "truncated", "bad sector size"],
)
def test_a_damaged_ole2_file_is_refused_without_a_converter(tmp_path, monkeypatch, data):
    monkeypatch.setenv("PATH", str(tmp_path))
    err = refusal(data, "旧文件.doc")
    assert "文件已损坏（Office 文件结构不完整）" in str(err)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("方案.doc", "文件已损坏或不是 Word 格式"),
        ("方案.wps", "文件已损坏或不是 WPS 文字格式"),
        ("方案.ofd", "文件已损坏或不是 OFD 格式"),
    ],
)
def test_text_named_doc_wps_or_ofd_is_refused_as_not_that_format(name, expected):
    assert expected in str(refusal("整改方案".encode(), name))


# --------------------------------------------------------------------------- OFD

TITLE = "关于对县农业农村局党组巡察情况的反馈意见"
PARAS = [
    "根据县委统一部署，2025年3月10日至5月20日，县委第二巡察组对县农业农村局党组开展了常规巡察，"
    "并于2025年7月8日反馈了巡察意见。现将巡察发现的主要问题反馈如下：",
    "一、贯彻落实党的路线方针政策和党中央决策部署方面",
    "（一）学习贯彻习近平新时代中国特色社会主义思想不够深入。",
    "党组理论学习中心组学习计划落实不到位，2024年应开展集中学习12次，实际开展8次；"
    "学用结合不紧密，推动乡村振兴重点任务落实的具体举措不多。",
    "（二）落实意识形态工作责任制不到位。",
    "二、落实全面从严治党战略部署方面",
    "（一）违反中央八项规定精神问题仍有发生。",
    "2023年以来，违规发放津补贴4.54万元，公务接待超标准3次。监督电话：0556-1234567，电子邮箱：xcb@example.gov.cn。",
]
# A table with no borders: its cells stand apart by the gaps between them (over 1.5 characters).
ROWS = [
    [("序号", LEFT), ("问题", 50.0), ("整改措施", 115.0), ("责任部门", 160.0)],
    [("1", LEFT), ("学习不够深入", 50.0), ("制定学习计划", 115.0), ("办公室", 160.0)],
    [("2", LEFT), ("意识形态责任制不落实", 50.0), ("建立工作台账", 115.0), ("党建股", 160.0)],
]
SIGNATURE = ("县委第二巡察组", "2025年7月8日")
LETTER_TEXT = "\n".join(
    [
        TITLE,
        *PARAS,
        "",
        "序号\t问题\t整改措施\t责任部门",
        "1\t学习不够深入\t制定学习计划\t办公室",
        "2\t意识形态责任制不落实\t建立工作台账\t党建股",
        "",
        *SIGNATURE,
    ]
)
STYLES = ["line", "chars", "points"]


def letter_pages() -> list[list[Text | Rule]]:
    return layout(PARAS, title=TITLE, rows=ROWS, signature=SIGNATURE, lines_per_page=9)


@pytest.mark.parametrize("style", STYLES)
def test_an_ofd_letter_reads_in_reading_order_with_wrapped_lines_rejoined_across_pages(style):
    pages = letter_pages()
    assert len(pages) == 3
    # The fourth paragraph starts on page 1 and ends on page 2.
    assert any(PARAS[3].startswith(t.text) for t in pages[0] if isinstance(t, Text) and t.x > LEFT)
    doc = read_bytes(make_ofd(pages, style=style), "反馈意见.ofd")
    assert doc.format == "ofd"
    assert doc.text == LETTER_TEXT


def test_ofd_objects_written_in_any_order_read_top_to_bottom_left_to_right():
    pages = [random.Random(7).sample(page, len(page)) for page in letter_pages()]
    assert read_bytes(make_ofd(pages), "反馈意见.ofd").text == LETTER_TEXT


def test_page_numbers_and_what_a_page_template_draws_are_not_the_documents_text():
    doc = read_bytes(make_ofd(letter_pages(), running_head="内部资料 注意保存"), "反馈意见.ofd")
    assert doc.text == LETTER_TEXT
    assert "内部资料" not in doc.text and "—" not in doc.text


PLAN = [
    ["序号", "问题", "整改措施", "责任部门", "完成时限"],
    [
        "1",
        "党组理论学习中心组学习计划落实不到位，学用结合不紧密",
        "制定2025年度学习计划，每月开展集中学习",
        "办公室",
        "2025年12月31日",
    ],
    [None, None, "建立学习台账，按季度通报学习情况", "办公室", "长期坚持"],
    ["2", "意识形态工作责任制落实不到位", "修订意识形态工作责任清单", "党建股", "2025年9月30日"],
]


@pytest.mark.parametrize("style", STYLES)
def test_a_ruled_ofd_table_reads_as_rows_of_cells_wrapped_text_and_merged_cells_included(style):
    page: list[Text | Rule] = [
        Rule(LEFT, 30.0, LEFT + 156.0, 30.0),  # the red line under a letterhead: not a table
        Text("附件：整改任务清单", LEFT, TOP + 10),
        *ruled_table(PLAN, [LEFT, 40.0, 90.0, 140.0, 160.0, 185.0], TOP + 16),
        Text("县委第二巡察组", 120.0, 200.0),
    ]
    text = read_bytes(make_ofd([page], style=style), "整改方案.ofd").text
    assert text == "\n".join(
        [
            "附件：整改任务清单",
            "",
            "序号\t问题\t整改措施\t责任部门\t完成时限",
            "1\t党组理论学习中心组学习计划落实不到位，学用结合不紧密\t制定2025年度学习计划，每月开展集中学习"
            "\t办公室\t2025年12月31日",
            "\t\t建立学习台账，按季度通报学习情况\t办公室\t长期坚持",
            "2\t意识形态工作责任制落实不到位\t修订意识形态工作责任清单\t党建股\t2025年9月30日",
            "",
            "县委第二巡察组",
        ]
    )


@pytest.mark.parametrize("style", ["line", "points"])
def test_an_ofd_is_read_and_parsed_in_the_budgeted_child_process(style):
    data = make_ofd(letter_pages(), style=style)
    result = budget.read_and_parse(data, "反馈意见.ofd")
    assert dump_result(result) == dump_result(parse_document(read_bytes(data, "反馈意见.ofd")))
    assert result.counts.problems > 0


def test_an_ofd_is_known_by_its_content_whatever_its_name():
    assert read_bytes(make_ofd(letter_pages()), "下载文件.zip").format == "ofd"


def test_a_huge_repeat_count_in_deltax_is_not_expanded():
    page = page_xml([Text("巡察反馈意见", LEFT, TOP)]).replace('DeltaX="g 5 5.6"', 'DeltaX="g 999999999 5.6"')
    assert 'DeltaX="g 999999999 5.6"' in page
    data = make_ofd([[]], parts={"Doc_0/Pages/Page_0/Content.xml": page})
    assert read_bytes(data, "a.ofd").text == "巡察反馈意见"


def test_an_ofd_with_more_text_than_the_limit_is_refused(monkeypatch):
    monkeypatch.setattr(_ofd, "MAX_CHARS", 100)
    assert refusal(make_ofd(letter_pages()), "反馈意见.ofd").reason == too_many_chars()


def test_an_ofd_part_past_the_size_limit_is_refused_unopened(monkeypatch):
    monkeypatch.setattr(reader, "MAX_PART_BYTES", MB)
    data = make_ofd(letter_pages(), parts={"Doc_0/Res/image_1.xml": b" " * (2 * MB)})
    assert refusal(data, "反馈意见.ofd").reason == too_expanded(MB)


def _truncated() -> bytes:
    return make_ofd(letter_pages())[:900]


def _not_ofd_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("readme.txt", "整改方案")
    return buf.getvalue()


P2 = "Doc_0/Pages/Page_1/Content.xml"
_OFD_NO_DOCBODY = '<?xml version="1.0"?><ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016" Version="1.0"/>'
_DOCUMENT_NO_PAGES = '<?xml version="1.0"?><ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData/></ofd:Document>'
_IMAGE_PAGE = (
    '<?xml version="1.0"?><ofd:Page xmlns:ofd="http://www.ofdspec.org/2016"><ofd:Content><ofd:Layer ID="1">'
    '<ofd:ImageObject ID="2" Boundary="0 0 210 297" CTM="210 0 0 297 0 0" ResourceID="9"/>'
    "</ofd:Layer></ofd:Content></ofd:Page>"
)
DAMAGED_OFD = {
    "no Document.xml": ({"Doc_0/Document.xml": None}, "OFD 文件已损坏：缺少文档部分 Doc_0/Document.xml"),
    "no page 2": ({P2: None}, f"OFD 文件已损坏：缺少第 2 页的内容 {P2}"),
    "bad XML on page 2": (
        {P2: '<?xml version="1.0"?>\n<ofd:Page xmlns:ofd="x">\n<ofd:Content>\n</ofd:Page>'},
        f"OFD 文件已损坏：第 2 页的内容（{P2}）不是有效的 XML（第 4 行出错）",
    ),
    "bad OFD.xml": ({"OFD.xml": "<ofd:OFD"}, "OFD 文件已损坏：入口文件（OFD.xml）不是有效的 XML"),
    "no DocRoot": ({"OFD.xml": _OFD_NO_DOCBODY}, "OFD.xml 中没有指明文档（缺少 DocBody/DocRoot）"),
    "no pages": (
        {"Doc_0/Document.xml": _DOCUMENT_NO_PAGES},
        "Doc_0/Document.xml 中没有列出任何页面",
    ),
    "bad position": (
        {P2: page_xml([Text("整改", LEFT, TOP)]).replace('X="0"', 'X="左边"')},
        f"OFD 文件已损坏：第 2 页（{P2}）第 1 行的文字位置无效",
    ),
    "bad path": (
        {P2: page_xml([Rule(LEFT, TOP, LEFT, TOP + 20)]).replace("M 0 0 L 0 20", "M 0 0 Z 0 20")},
        f"OFD 文件已损坏：第 2 页（{P2}）第 1 行的图形数据无效",
    ),
    "encrypted": ({"Encryptions.xml": "<Encryptions/>"}, "OFD 已加密，请先解除加密后再导入"),
}


@pytest.mark.parametrize(("parts", "expected"), DAMAGED_OFD.values(), ids=list(DAMAGED_OFD))
def test_a_damaged_ofd_is_refused_naming_the_file_and_the_broken_part(parts, expected):
    err = refusal(make_ofd(letter_pages(), parts=parts), "反馈意见.ofd")
    assert expected in str(err)


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (_truncated(), "反馈意见.ofd", "OFD 文件已损坏或不完整（可能未下载完）"),
        (_not_ofd_zip(), "反馈意见.ofd", "不是 OFD 文件：压缩包中没有 OFD.xml"),
        (
            make_ofd([[]], parts={"Doc_0/Pages/Page_0/Content.xml": _IMAGE_PAGE}),
            "扫描件.ofd",
            "OFD 中没有可提取的文字（可能是扫描件或图片），请先进行文字识别（OCR）",
        ),
    ],
    ids=["truncated", "zip without OFD.xml", "images only"],
)
def test_an_ofd_that_is_cut_not_an_ofd_or_only_images_is_refused(data, name, expected):
    assert expected in str(refusal(data, name))


def test_an_ofd_whose_page_is_zip_encrypted_is_refused_naming_the_page():
    data = bytearray(make_ofd(letter_pages()))
    # Set the "encrypted" flag of the page's entry, in its local and its central header:
    # zipfile then wants a password to read it.
    name = P2.encode()
    for at in [m.start() for m in re.finditer(re.escape(name), bytes(data))]:
        for sig, offset, flag in ((b"PK\x03\x04", 30, 6), (b"PK\x01\x02", 46, 8)):
            if data[at - offset : at - offset + 4] == sig:
                data[at - offset + flag] |= 0x1
    err = refusal(bytes(data), "反馈意见.ofd")
    assert f"OFD 文件已损坏：第 2 页的内容（{P2}）无法解压" in str(err)
