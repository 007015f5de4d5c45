"""Web-page chrome is blanked in every reader, and nothing else is.

The notices of ``webtexts`` carry the chrome each route leaves (saved as text, copied
into Word, printed to PDF); the content lines speak of 来源, 发布, 浏览, 分享, 地址 and
电话 the way a notice's body does.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.textparse.builders import make_html
from tests.textparse.growth import LINEAR_CPU_GROWTH, LINEAR_GROWTH, cpu_growth, growth
from tests.textparse.webtexts import CONTENT_LINES, SAVED_TXT, WEB_NOTICES
from zhenggai.textparse import chrome
from zhenggai.textparse.reader import read_bytes

SEEDS = Path(__file__).resolve().parents[2] / "seeds"


@pytest.mark.parametrize("notice", WEB_NOTICES.values(), ids=list(WEB_NOTICES))
def test_every_chrome_line_is_blanked_and_every_other_line_kept(notice):
    masked = chrome.mask(notice.text)
    assert len(masked) == len(notice.text)
    assert [i for i, ch in enumerate(masked) if ch == "\n"] == [
        i for i, ch in enumerate(notice.text) if ch == "\n"
    ]
    for original, after in zip(notice.text.split("\n"), masked.split("\n"), strict=True):
        if original in notice.chrome:
            assert after.strip() == "", original
        elif after != original:
            # Only a fragment goes: the line's own text is kept at its place.
            assert after.rstrip() == original[: len(after.rstrip())], original
            assert after.strip(), original


@pytest.mark.parametrize(
    "line",
    [
        "首页 > 政务公开 > 通知公告",
        "首页>新闻中心>通知公告>正文",
        "网站首页 » 巡察工作 » 整改公示",
        "当前位置：首页 > 巡察工作 > 整改公示",
        "您现在的位置：首页 > 信息公开",
        "政务公开 > 通知公告 > 巡察整改",
        "信息索引号：11341127/2025-00123",
        "发布机构：中共某某县委巡察工作领导小组办公室",
        "来源：县委巡察办",
        "文章来源：某某县纪委监委",
        "发布时间：2025-09-01 10:21",
        "发布日期：2024-12-05 来源：市统计局 点击数：87",
        "时间：2024-06-03  来源：县纪委监委",
        "2024-06-03 10:21:33  来源：县纪委监委",
        "浏览次数：356",
        "阅读次数：",
        "【字号：大 中 小】",
        "字号：大 中 小",
        "【大】【中】【小】",
        "打印本页  关闭窗口",
        "【打印】【关闭】",
        "[打印本页] [关闭窗口] [返回顶部]",
        "分享到：微信 微博 QQ空间",
        "扫一扫在手机打开当前页",
        "上一篇：关于开展2025年度教师招聘工作的通知",
        "下一篇：某某县2024年第一季度经济运行情况",
        "首页 政务公开 政民互动 办事服务 走进某某",
        "版权所有：某某县人民政府  主办：某某县人民政府办公室",
        "网站标识码：3411270001 皖ICP备05001234号 皖公网安备34112702000123号",
        "2024/12/5 上午10:12 关于市委第四巡察组反馈意见整改情况的通报_某某市人民政府",
        "https://www.mousi.gov.cn/zwgk/tzgg/202412/t20241205_123456.html 1/2",
        "信息索引号：\t11341127/2022-00317\t发布机构：\t县委巡察办",
        "发布日期\t2022-05-20\t浏览量\t1024",
    ],
)
def test_a_chrome_line_is_chrome(line):
    assert chrome.is_chrome_line(line)
    assert chrome.mask(line).strip() == ""


@pytest.mark.parametrize("line", CONTENT_LINES)
def test_a_content_line_that_mentions_a_chrome_word_is_content(line):
    assert not chrome.is_chrome_line(line)
    assert chrome.mask(line) == line


@pytest.mark.parametrize("path", sorted(SEEDS.glob("*.txt")), ids=lambda p: p.stem)
def test_a_text_without_chrome_comes_back_unchanged(path):
    seed = path.read_text(encoding="utf-8")
    assert chrome.mask(seed) is seed
    assert chrome.mask("") == ""


def test_the_metadata_after_the_title_on_its_line_goes_and_the_title_stays():
    line = "关于区委第一巡察组专项巡察反馈意见整改进展情况的公告　　发布时间：2025-03-18　来源：区卫健委"
    masked = chrome.mask(line)
    assert masked.strip() == "关于区委第一巡察组专项巡察反馈意见整改进展情况的公告"
    assert len(masked) == len(line)


def test_tool_brackets_inside_a_line_go_and_the_line_stays():
    line = "关于巡察整改情况的通报【打印】【关闭】"
    assert chrome.mask(line).rstrip() == "关于巡察整改情况的通报"


def test_section_and_menu_names_above_the_title_go_only_when_the_head_has_chrome():
    with_chrome = (
        "首页\n政务公开\n政民互动\n办事服务\n通知公告\n关于巡察整改情况的通报\n发布时间：2024-10-15\n正文。"
    )
    masked = chrome.mask(with_chrome).split("\n")
    assert [ln.strip() for ln in masked[:6]] == ["", "", "", "", "", "关于巡察整改情况的通报"]
    plain = "中共某某县审计局党组\n关于巡察整改进展情况的通报\n根据县委统一部署，现将整改情况通报如下。"
    assert chrome.mask(plain) == plain


def test_the_site_footer_address_goes_and_the_notices_own_channels_stay():
    text = (
        "欢迎广大干部群众监督。\n监督电话：0556-5123456\n来信地址：某某县人民路9号（邮编：246200）\n"
        "\n主办单位：某某县人民政府办公室\n地址：某某县人民路1号  邮编：246200  电话：0556-7171234\n"
        "版权所有：某某县人民政府\n"
    )
    lines = chrome.mask(text).split("\n")
    assert lines[1:3] == ["监督电话：0556-5123456", "来信地址：某某县人民路9号（邮编：246200）"]
    assert all(not ln.strip() for ln in lines[4:])


def test_the_html_reader_and_the_saved_text_drop_the_same_chrome():
    # The article container itself holds the breadcrumb, the metadata and the tools.
    paragraphs = SAVED_TXT.text.split("\n")
    page = make_html("某某县教育局", paragraphs, chrome=False)
    html_text = read_bytes(page, "notice.html").text
    html_lines = [ln.strip() for ln in html_text.split("\n") if ln.strip()]
    masked = [ln.strip() for ln in chrome.mask(SAVED_TXT.text).split("\n") if ln.strip()]
    assert not set(SAVED_TXT.chrome) & set(html_lines)
    assert [ln for ln in html_lines if ln != "某某县教育局"] == masked


def test_chrome_lines_reads_a_list_of_lines_like_mask():
    lines = SAVED_TXT.text.split("\n")
    flags = chrome.chrome_lines(lines)
    masked = chrome.mask(SAVED_TXT.text).split("\n")
    assert [ln.strip() == "" and bool(orig.strip()) for ln, orig in zip(masked, lines, strict=True)] == flags


HOSTILE = {
    "footers": lambda n: "版权所有\n" * (n // 5),
    "footer and contacts": lambda n: "版权所有\n地址：某某路1号\n" * (n // 14),
    "menu words": lambda n: "首页\n政务\n" * (n // 6),
    "crumbs": lambda n: "首页>" * (n // 3),
    "labels": lambda n: "来源：" * (n // 3),
    "brackets": lambda n: "【打印】" * (n // 4),
    "spaces and labels": lambda n: ("正文 " + " " * 20 + "来源：") * (n // 28),
}


@pytest.mark.parametrize("make", HOSTILE.values(), ids=list(HOSTILE))
def test_masking_any_text_takes_linear_time(make):
    # The work itself, not the cache of the last texts masked (which a repeat would hit).
    assert growth(chrome._mask, make, 10_000) < LINEAR_GROWTH
    assert cpu_growth(chrome._mask, make, 3_125) < LINEAR_CPU_GROWTH


def test_a_text_masked_again_gives_the_same_mask_and_a_text_without_chrome_is_itself():
    page = "首页 > 信息公开\n关于巡察整改进展情况的通报\n发布时间：2024-06-03\n正文。"
    first = chrome.mask(page)
    assert first != page and len(first) == len(page)
    assert chrome.mask(page) == first  # from the cache
    assert chrome.mask(first) is first  # a mask is its own fixed point
    for i in range(10):  # the cache is bounded and keeps answering right
        other = f"第{i}段正文，没有网页元素。"
        assert chrome.mask(other) is other
    assert chrome.mask(page) == first and len(chrome._MASKED) <= chrome._MASKED_KEEP
