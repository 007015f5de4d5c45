"""The reader: every format decoded to the text contract, every bad input a one-line ReadError."""

from __future__ import annotations

import hashlib
import io
import os
import random
import re
import sys
import types
import zipfile

import docx
import pytest
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from hypothesis import given, settings
from hypothesis import strategies as st

from zhenggai.textparse import reader
from zhenggai.textparse.reader import Document, ReadError, read_bytes, read_path

from .builders import make_docx, make_html, make_image_only_pdf, make_pdf, make_pdf_lines

PARAGRAPHS = [
    "望江县公安局交通管理大队关于巡察整改进展情况的通报",
    "根据县委统一部署，2021年11月1日至11月30日，县委第三巡察组对望江县公安局交通管理大队开展了巡察。"
    "2022年2月14日，县委第三巡察组向望江县公安局交通管理大队反馈了巡察意见。",
    "一、加强组织领导，制定整改方案",
    "一是高度重视，迅速行动。交管大队严格按照上级的统一部署，把抓好巡察反馈意见整改工作作为一项重大政治任务，"
    "确保见底到位、取得实效。",
    "（一）关于“学习贯彻习近平新时代中国特色社会主义思想不够深入”的问题",
    "整改情况：制定《党支部理论学习计划》，全年开展集中学习12次，清退违规资金4.54万元。",
    "分享典型经验做法，组织召开整改推进会3次，推动问题全面整改到位。",
    "发布时间节点要求：各单位于2022年6月底前完成整改，逾期未完成的要说明原因并报县委巡察办备案。",
    "欢迎广大干部群众监督。联系电话：0556-1234567；电子邮箱：wjjj@163.com。",
]


def write(tmp_path, name: str, data: bytes):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def lines(doc: Document) -> list[str]:
    return doc.text.split("\n")


def assert_contract(doc: Document) -> None:
    assert "\r" not in doc.text and "\ufeff" not in doc.text
    assert "\n\n\n\n" not in doc.text
    assert doc.text == doc.text.strip("\n")


# --------------------------------------------------------------------------- txt


def test_a_utf8_text_file_is_read_as_written(tmp_path):
    path = write(tmp_path, "notice.txt", "\n".join(PARAGRAPHS).encode())
    doc = read_path(path)
    assert doc == Document(
        name=str(path),
        text="\n".join(PARAGRAPHS),
        sha256=hashlib.sha256(path.read_bytes()).hexdigest(),
        format="txt",
    )


@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-16", "utf-16-be", "utf-32"])
def test_a_byte_order_mark_picks_the_encoding_and_is_not_in_the_text(tmp_path, encoding):
    raw = "\n".join(PARAGRAPHS)
    data = raw.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    doc = read_path(write(tmp_path, "bom.txt", data))
    assert doc.text == raw


@pytest.mark.parametrize("encoding", ["gbk", "gb2312", "gb18030"])
def test_gbk_family_text_is_decoded_without_mojibake(tmp_path, encoding):
    raw = "\n".join(PARAGRAPHS[:6])
    doc = read_path(write(tmp_path, f"{encoding}.txt", raw.encode(encoding)))
    assert doc.text == raw


@pytest.mark.parametrize("encoding", ["utf-8", "gb18030"])
def test_traditional_and_full_width_characters_are_kept_as_written(tmp_path, encoding):
    raw = (
        "關於巡察整改進展情況的通報\n（一）黨組主體責任落實不到位\n"
        "１．制定《學習計劃》，清退資金４．５４萬元。"
    )
    doc = read_path(write(tmp_path, "trad.txt", raw.encode(encoding)))
    assert doc.text == raw


def test_newlines_are_normalised_and_blank_runs_collapsed_but_spaces_kept(tmp_path):
    raw = "\r\n\u3000\u3000标题  A \r\n正文\t一段  \r\r\r\r\r第二段\u3000\f第三段\x07\n\n"
    doc = read_path(write(tmp_path, "crlf.txt", raw.encode()))
    assert lines(doc) == ["\u3000\u3000标题  A ", "正文\t一段  ", "", "", "第二段\u3000", "第三段"]
    assert_contract(doc)


def test_a_utf8_file_cut_inside_its_last_character_is_still_utf8(tmp_path):
    data = "\n".join(PARAGRAPHS[:3]).encode()[:-1]
    doc = read_path(write(tmp_path, "cut.txt", data))
    assert doc.text == "\n".join(PARAGRAPHS[:3])[:-1]


def test_text_in_neither_utf8_nor_gb18030_is_refused(tmp_path):
    data = "巡察整改".encode("gbk") + b"\xff\x80" + "情况".encode("gbk")
    with pytest.raises(ReadError, match="无法识别文件编码"):
        read_path(write(tmp_path, "odd.txt", data))


def test_the_content_decides_the_format_not_the_extension(tmp_path):
    assert read_path(write(tmp_path, "a.txt", make_pdf(PARAGRAPHS[:2]))).format == "pdf"
    assert read_path(write(tmp_path, "b.txt", make_html("标题", ["正文"]))).format == "html"
    assert read_path(write(tmp_path, "c.dat", make_docx(["正文"]))).format == "docx"
    assert read_path(write(tmp_path, "d.html", "纯文本。".encode())).format == "html"


# --------------------------------------------------------------------------- docx


def test_docx_paragraphs_and_tables_come_out_in_document_order(tmp_path):
    blocks: list = [
        "关于巡察反馈意见的整改方案",
        "一、整改任务",
        [["序号", "问题", "措施"], ["1", "学习不深入", "制定学习计划"]],
        "二、保障措施",
        [["甲", "乙"]],
        "",
        "三、其他",
    ]
    doc = read_path(write(tmp_path, "plan.docx", make_docx(blocks)))
    assert doc.format == "docx"
    assert lines(doc) == [
        "关于巡察反馈意见的整改方案",
        "一、整改任务",
        "",
        "序号\t问题\t措施",
        "1\t学习不深入\t制定学习计划",
        "",
        "二、保障措施",
        "",
        "甲\t乙",
        "",
        "",
        "三、其他",
    ]
    assert_contract(doc)


def test_docx_merged_cells_leave_empty_cells_so_every_row_fills_the_grid(tmp_path):
    table = [
        ["序号", "问题类别", "整改措施", "完成时限"],
        ["1", "党的领导方面", ("制定计划（两列）", 2)],
        [None, None, "建立制度", "长期坚持"],
        [("合计", 3), "2项"],
    ]
    doc = read_path(write(tmp_path, "merge.docx", make_docx([table])))
    assert [row.split("\t") for row in lines(doc)] == [
        ["序号", "问题类别", "整改措施", "完成时限"],
        ["1", "党的领导方面", "制定计划（两列）", ""],
        ["", "", "建立制度", "长期坚持"],
        ["合计", "", "", "2项"],
    ]


def test_docx_cell_paragraphs_become_spaces_and_nested_tables_are_flattened(tmp_path):
    nested = [["子表甲", "子表乙"], ["丙", "丁"]]
    table = [["多段\n第二段\t带制表符", nested, "末列"]]
    doc = read_path(write(tmp_path, "cells.docx", make_docx(["前文", table, "后文"])))
    assert lines(doc) == ["前文", "", "多段 第二段 带制表符\t子表甲 子表乙 丙 丁\t末列", "", "后文"]


def test_docx_headers_footers_and_deleted_text_are_left_out_inserted_text_kept(tmp_path):
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = "页眉：某某县委巡察办"
    section.footer.paragraphs[0].text = "第 1 页"
    p = document.add_paragraph("整改")
    for tag, text_tag, text in (("w:ins", "w:t", "已经"), ("w:del", "w:delText", "没有")):
        wrapper, run, t = OxmlElement(tag), OxmlElement("w:r"), OxmlElement(text_tag)
        wrapper.set(qn("w:id"), "1")
        wrapper.set(qn("w:author"), "审核人")
        t.text = text
        run.append(t)
        wrapper.append(run)
        p._p.append(wrapper)
    p.add_run("完成。")
    buf = io.BytesIO()
    document.save(buf)
    doc = read_bytes(buf.getvalue(), "tracked.docx")
    assert doc.text == "整改已经完成。"


# --------------------------------------------------------------------------- pdf


def test_pdf_wrapped_lines_are_rejoined_into_the_original_paragraphs(tmp_path):
    paragraphs = PARAGRAPHS * 3  # long enough for several pages and page-spanning paragraphs
    data = make_pdf(paragraphs, width_chars=22)
    doc = read_path(write(tmp_path, "notice.pdf", data))
    assert doc.format == "pdf"
    assert doc.text == "\n".join(paragraphs)


def test_pdf_page_numbers_are_dropped(tmp_path):
    data = make_pdf_lines(
        [("正文第一段。", 2), ("- 2 -", 12), ("第1页 共3页", 10), ("正文第二段。", 2), ("7", 14)]
    )
    assert read_path(write(tmp_path, "pages.pdf", data)).text == "正文第一段。\n正文第二段。"


def test_pdf_unindented_lines_break_at_numbering_and_short_or_right_aligned_lines(tmp_path):
    full = "巡察整改工作是一项重大政治任务必须坚持高标准严要求全面推进整改落实"[:30]
    laid_out = [
        (full, 0),
        ("继续的一行。", 0),  # short: the paragraph ends here
        (full, 0),
        ("（一）下一项不与上一行相连。", 0),  # a numbering marker starts a new paragraph
        (full, 0),
        ("1.编号开头", 0),
        ("中共望江县委巡察办", 21),  # right-aligned signature and date
        ("2022年5月20日", 23),
    ]
    doc = read_path(write(tmp_path, "plain.pdf", make_pdf_lines(laid_out)))
    assert lines(doc) == [
        full + "继续的一行。",
        full,
        "（一）下一项不与上一行相连。",
        full,
        "1.编号开头",
        "中共望江县委巡察办",
        "2022年5月20日",
    ]


def test_pdf_typed_full_width_indentation_still_marks_a_new_paragraph(tmp_path):
    full = "巡察整改工作是一项重大政治任务必须坚持高标准严要求全面推进整改落实"
    laid_out = [
        ("\u3000\u3000" + full[:28], 0),
        (full[:26] + "第二行结", 0),
        ("束。", 0),
        ("\u3000\u3000下一段" + full[:25], 0),
        ("结束。", 0),
    ]
    doc = read_path(write(tmp_path, "typed.pdf", make_pdf_lines(laid_out)))
    assert lines(doc) == [
        "\u3000\u3000" + full[:28] + full[:26] + "第二行结束。",
        "\u3000\u3000下一段" + full[:25] + "结束。",
    ]


# --------------------------------------------------------------------------- html


def test_html_chrome_is_removed_and_every_body_paragraph_kept_under_its_title(tmp_path):
    title, body = PARAGRAPHS[0], PARAGRAPHS[1:]
    doc = read_path(write(tmp_path, "notice.html", make_html(title, body)))
    assert doc.format == "html"
    assert lines(doc) == [title, *body]


def test_html_tables_follow_the_table_convention(tmp_path):
    table = [["序号", "问题", "整改情况"], ["1", "学习不深入", "已完成"]]
    data = make_html("整改台账", ["前文。"], table=table)
    doc = read_path(write(tmp_path, "table.html", data))
    assert lines(doc) == ["整改台账", "前文。", "", "序号\t问题\t整改情况", "1\t学习不深入\t已完成"]


def test_html_row_and_column_spans_leave_empty_cells(tmp_path):
    page = (
        "<html><body><div class='content'><p>台账如下：</p><table>"
        "<tr><td rowspan='2'>1</td><td colspan='2'>学习<br>不深入</td></tr>"
        "<tr><td>措施甲</td><td>措施乙</td></tr>"
        "<tr><td>2</td><td><table><tr><td>嵌</td><td>套</td></tr></table></td><td>完</td></tr>"
        "</table></div></body></html>"
    )
    doc = read_bytes(page.encode(), "spans.html")
    assert lines(doc) == ["台账如下：", "", "1\t学习 不深入\t", "\t措施甲\t措施乙", "2\t嵌 套\t完"]


def test_a_gb2312_page_declared_with_http_equiv_is_decoded(tmp_path):
    data = make_html(PARAGRAPHS[0], PARAGRAPHS[1:6], encoding="gb2312")
    assert b"charset=gb2312" in data
    doc = read_path(write(tmp_path, "gb.htm", data))
    assert lines(doc) == PARAGRAPHS[:6]


def test_a_bare_page_keeps_its_heading_once(tmp_path):
    data = make_html(PARAGRAPHS[0], PARAGRAPHS[1:4], chrome=False)
    assert lines(read_path(write(tmp_path, "bare.html", data))) == PARAGRAPHS[:4]


def test_html_without_named_containers_finds_the_densest_text_and_drops_chrome_lines():
    body = "".join(f"<p>{p}</p>" for p in PARAGRAPHS[1:])
    page = f"""<!-- saved page --><!DOCTYPE html><html><head>
    <title>{PARAGRAPHS[0]} - 某某县纪委监委</title></head><body>
    <div><a href="/">首页</a> <a href="/a">工作动态</a> <a href="/b">审查调查</a></div>
    <div><div>
      <div>发布时间：2022-05-20　来源：县委巡察办</div><div>浏览次数：321</div>
      <div>信息索引号：113408/2022-0099</div>
      {body}
      <div>【打印本页】【关闭窗口】</div><div>分享到：</div><div>扫一扫在手机打开当前页</div>
      <p>上一篇：关于某某的通知</p><p>【字号：大 中 小】</p>
    </div></div>
    <div>版权所有：某某县纪委监委 皖ICP备05001234号</div></body></html>"""
    doc = read_bytes(page.encode(), "dense.html")
    assert lines(doc) == PARAGRAPHS


def test_a_table_layout_page_keeps_its_titled_cell_but_not_the_site_name():
    body = "".join(f"<p>&nbsp;&nbsp;<span>{p}</span><o:p></o:p></p>" for p in PARAGRAPHS[1:4])
    page = f"""<html><head><title>某某县纪委监委</title></head><body>
    <table width="100%"><tr><td><a>首页</a> | <a>工作动态</a> | <a>通知公告</a></td></tr></table>
    <table width="980"><tr><td width="200"><a>链接一</a><br><a>链接二</a></td><td>
    <table width="100%"><tr><td align="center" class="bt"><b>{PARAGRAPHS[0]}</b></td></tr>
    <tr><td>发布日期：2022-03-01　　来源：县纪委</td></tr><tr><td>{body}</td></tr></table>
    </td></tr></table><table><tr><td>Copyright 某某县纪委监委 皖ICP备000号</td></tr></table>
    </body></html>"""
    doc = read_bytes(page.encode(), "layout.html")
    assert lines(doc) == [PARAGRAPHS[0], *("\xa0\xa0" + p for p in PARAGRAPHS[1:4])]


def test_a_stale_gb2312_declaration_on_a_utf8_page_does_not_garble_it():
    page = make_html(PARAGRAPHS[0], PARAGRAPHS[1:3], chrome=False)
    page = page.replace(b'<meta charset="utf-8">', b'<meta charset="gb2312">')
    assert lines(read_bytes(page, "stale.html")) == PARAGRAPHS[:3]


# --------------------------------------------------------------------------- stdin


@pytest.mark.parametrize(
    ("data", "fmt"),
    [
        ("\n".join(PARAGRAPHS).encode("gbk"), "txt"),
        (make_html(PARAGRAPHS[0], PARAGRAPHS[1:]), "html"),
        (make_pdf(PARAGRAPHS), "pdf"),
        (make_docx(PARAGRAPHS), "docx"),
    ],
)
def test_stdin_is_read_whole_and_sniffed_by_content(monkeypatch, data, fmt):
    monkeypatch.setattr(sys, "stdin", types.SimpleNamespace(buffer=io.BytesIO(data)))
    doc = read_path("-")
    assert (doc.name, doc.format, doc.text) == ("<stdin>", fmt, "\n".join(PARAGRAPHS))
    assert doc.sha256 == hashlib.sha256(data).hexdigest()


# --------------------------------------------------------------------------- bad input


def _zip_without_body() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
    return buf.getvalue()


def _corrupt_docx() -> bytes:
    src = zipfile.ZipFile(io.BytesIO(make_docx(["正文"])))
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for item in src.infolist():
            body = src.read(item)
            zf.writestr(item, body[:100] if item.filename == "word/document.xml" else body)
    return buf.getvalue()


OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
BAD_INPUTS = {
    "empty": ("empty.txt", b"", "文件为空"),
    "whitespace-only": ("blank.txt", b" \r\n\t\n  \n", "文件为空"),
    "bom-only": ("bom.txt", b"\xef\xbb\xbf\n", "文件为空"),
    "binary garbage": (
        "blob.bin",
        random.Random(7).randbytes(4000),
        "不是可识别的文档（txt、doc、docx、wps、rtf、pdf、ofd、html）",
    ),
    "control bytes": ("ctl.txt", b"\x01\x02\x03abc\x04\x05\x06" * 50, "不是可识别的文档"),
    "old doc": ("old.doc", OLE, "另存为 .docx"),
    "password docx": ("secret.docx", OLE + "EncryptedPackage".encode("utf-16-le"), "密码"),
    "zip without body": ("plan.docx", _zip_without_body(), "word/document.xml"),
    "corrupt docx": ("plan.docx", _corrupt_docx(), "已损坏"),
    "truncated docx": ("plan.docx", make_docx(PARAGRAPHS)[:1500], "已损坏"),
    "text named docx": ("plan.docx", "整改方案".encode(), "已损坏或不是 docx 格式"),
    "text named pdf": ("plan.pdf", "整改方案".encode(), "已损坏或不是 PDF 格式"),
    "encrypted pdf": ("locked.pdf", make_pdf(PARAGRAPHS[:2], encrypt="secret"), "PDF 已加密"),
    "image-only pdf": ("scan.pdf", make_image_only_pdf(), "文字识别"),
    "truncated pdf": ("cut.pdf", make_pdf(PARAGRAPHS)[:2500], "不完整"),
    "corrupt pdf": ("junk.pdf", b"%PDF-1.4\n" + b"garbage " * 100 + b"\n%%EOF\n", "PDF 文件已损坏"),
    "image": ("photo.jpg", b"\xff\xd8\xff\xe0" + bytes(200), "图片"),
}


def assert_one_line_chinese(err: ReadError, name: str) -> None:
    msg = str(err)
    assert "\n" not in msg and name in msg
    assert msg.startswith("无法读取 ") and re.search(r"[\u4e00-\u9fff]{4}", msg)
    assert not re.search(r"Error|Exception|Traceback|errno", msg)


@pytest.mark.parametrize(("name", "data", "expected"), BAD_INPUTS.values(), ids=list(BAD_INPUTS))
def test_bad_input_raises_a_one_line_chinese_read_error_naming_the_file(tmp_path, name, data, expected):
    with pytest.raises(ReadError) as info:
        read_path(write(tmp_path, name, data))
    assert_one_line_chinese(info.value, name)
    assert expected in str(info.value)


def test_a_missing_file_is_reported_as_missing(tmp_path):
    with pytest.raises(ReadError, match="文件不存在") as info:
        read_path(tmp_path / "nowhere.docx")
    assert_one_line_chinese(info.value, "nowhere.docx")


def test_a_directory_is_not_a_file(tmp_path):
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    with pytest.raises(ReadError, match="文件夹") as info:
        read_path(folder)
    assert_one_line_chinese(info.value, "folder.txt")


def test_an_unreadable_file_says_permission_is_missing(tmp_path, monkeypatch):
    path = write(tmp_path, "locked.txt", "正文".encode())
    if getattr(os, "geteuid", lambda: 0)() == 0:  # root reads anything: simulate the refusal

        def refuse(*args: object, **kwargs: object):
            raise PermissionError(13, "Permission denied")

        monkeypatch.setattr(reader, "open", refuse, raising=False)
    else:
        path.chmod(0)
    try:
        with pytest.raises(ReadError, match="权限") as info:
            read_path(path)
        assert_one_line_chinese(info.value, "locked.txt")
    finally:
        path.chmod(0o600)


def test_input_over_the_size_limit_is_refused_before_parsing(tmp_path, monkeypatch):
    monkeypatch.setattr(reader, "MAX_BYTES", 1000)
    with pytest.raises(ReadError, match="文件过大") as info:
        read_path(write(tmp_path, "huge.txt", "正".encode() * 400))
    assert_one_line_chinese(info.value, "huge.txt")
    with pytest.raises(ReadError, match="文件过大"):
        read_bytes(b"x" * 1001, "huge.txt")


def test_a_file_name_with_a_newline_still_gives_a_one_line_message():
    with pytest.raises(ReadError) as info:
        read_bytes(b"", "a\nb.txt")
    assert "\n" not in str(info.value)


# --------------------------------------------------------------------------- robustness


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300) | st.text(max_size=200).map(str.encode))
def test_any_bytes_give_a_document_or_a_read_error(data):
    try:
        doc = read_bytes(data, "any.txt")
    except ReadError as err:
        assert "\n" not in str(err)
    else:
        assert_contract(doc)


@pytest.mark.parametrize("kind", ["docx", "pdf", "html"])
def test_damaged_files_never_escape_as_anything_but_a_read_error(kind):
    source = {
        "docx": make_docx(["正文", [["甲", "乙"]]]),
        "pdf": make_pdf(PARAGRAPHS[:3]),
        "html": make_html("标题", PARAGRAPHS[:3]),
    }[kind]
    rng = random.Random(kind)
    for _ in range(25):
        data = bytearray(source)
        for _ in range(rng.randint(1, 8)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            read_bytes(bytes(data), f"damaged.{kind}")
        except ReadError as err:
            assert "\n" not in str(err)
