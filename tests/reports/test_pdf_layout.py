"""REQ-5.1…5.4 and 5.7: the notice's PDF read back with pdfminer.six and pypdfium2.

Rows are characters grouped by baseline; ``y`` is measured from the bottom of the page.
"""

from __future__ import annotations

import io
import itertools
import re
import shutil
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass
from functools import cache

import pytest
from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTPage

from . import test_notice_fixtures
from .test_notice_fixtures import ARTIFACTS, SeedDocs

seed_docs = test_notice_fixtures.seed_docs  # the module's fixture

# The module's documents are built in the test database (set up only for modules that use it).
pytestmark = pytest.mark.django_db

MM = 72 / 25.4
PAGE_W, PAGE_H = 595.28, 841.89
TYPE_BOTTOM = 35 * MM
TYPE_TOP = PAGE_H - 37 * MM
CHAR = 15.79
PITCH = 28.95


@dataclass
class Row:
    baseline: float
    chars: list[LTChar]

    @property
    def text(self) -> str:
        return "".join(c.get_text() for c in self.chars)

    @property
    def x0(self) -> float:
        return min(c.x0 for c in self.chars if c.get_text().strip())

    @property
    def x1(self) -> float:
        return max(c.x1 for c in self.chars if c.get_text().strip())

    @property
    def top(self) -> float:
        return max(c.y1 for c in self.chars)


def _chars(obj: object):  # type: ignore[no-untyped-def]
    for child in obj:  # type: ignore[attr-defined]
        if isinstance(child, LTChar):
            yield child
        elif hasattr(child, "__iter__"):
            yield from _chars(child)


@pytest.fixture(scope="module")
def pages(seed_docs: SeedDocs) -> list[tuple[LTPage, list[Row]]]:
    return pdf_pages(seed_docs.notice_pdf)


def pdf_pages(data: bytes) -> list[tuple[LTPage, list[Row]]]:
    """Each page of a PDF with its rows, top to bottom (also used for LibreOffice's PDFs)."""
    out = []
    for page in extract_pages(io.BytesIO(data)):
        rows: dict[float, list[LTChar]] = defaultdict(list)
        for c in _chars(page):
            rows[round(c.matrix[5], 1)].append(c)
        out.append(
            (
                page,
                [
                    Row(sum(c.matrix[5] for c in cs) / len(cs), sorted(cs, key=lambda c: c.x0))
                    for _, cs in sorted(rows.items(), reverse=True)
                ],
            )
        )
    return out


def _font(c: LTChar) -> str:
    return c.fontname.split("+", 1)[-1]


def body_rows(rows: list[Row]) -> list[Row]:
    return [r for r in rows if r.baseline > TYPE_BOTTOM]


def test_a4_pages_and_body_inside_the_type_area(pages) -> None:  # type: ignore[no-untyped-def]
    assert len(pages) >= 10
    for n, (page, rows) in enumerate(pages, 1):
        assert page.width == pytest.approx(PAGE_W, abs=0.5) and page.height == pytest.approx(PAGE_H, abs=0.5)
        left = 28 if n % 2 else 26  # even pages mirrored (left binding, printed on both sides)
        for r in body_rows(rows):
            assert r.x0 >= (left - 1) * MM and r.x1 <= (left + 156 + 1) * MM, (n, r.text)
            assert r.top <= TYPE_TOP + 1 * MM and r.baseline >= TYPE_BOTTOM - 1 * MM, (n, r.text)


def test_full_pages_hold_22_rows_at_28_95_pt(pages) -> None:  # type: ignore[no-untyped-def]
    full = 0
    for _, rows in pages[1:-1]:  # the first has the title, the last the signature
        body = body_rows(rows)
        pitches = [a.baseline - b.baseline for a, b in itertools.pairwise(body)]
        if len(body) == 22:
            full += 1
            assert all(abs(p - PITCH) <= 0.1 for p in pitches), pitches
            assert body[0].top <= TYPE_TOP and body[-1].baseline - 22 * PITCH < TYPE_BOTTOM
        else:  # a heading kept with its text leaves a row free, never a row off the grid
            off = [
                (round(p, 2), r.text[:10])
                for p, r in zip(pitches, body[1:], strict=False)
                if abs(p / PITCH - round(p / PITCH)) * PITCH > 0.1
            ]
            assert not off, off
    assert full >= len(pages) // 2


def _width(text: str) -> float:
    return sum(0.5 if ord(ch) < 0x2E80 else 1 for ch in text)


def full_lines(pages):  # type: ignore[no-untyped-def]
    """(characters, text, text of the next row) of each full body line: an all-Chinese 16 pt
    line that reaches the right edge of the type area (portrait pages only)."""
    body = [
        ((28 if n % 2 else 26) * MM, r)
        for n, (page, rows) in enumerate(pages, 1)
        if page.width < page.height  # not a landscape page of attachments
        for r in body_rows(rows)
    ]
    for i, (left, r) in enumerate(body):
        if not (r.x1 >= left + 156 * MM - CHAR / 2):  # not a full line
            continue
        chars = [c for c in r.chars if c.get_text().strip()]
        if any(ord(c.get_text()) < 0x2E80 for c in chars) or any(round(c.size) != 16 for c in chars):
            continue  # Latin digits and commas are narrower: count only all-Chinese lines
        indented = r.x0 > left + CHAR
        following = body[i + 1][1].text.strip() if i + 1 < len(body) else ""
        yield len(chars) + (2 if indented else 0), r.text, following


def full_line_lengths(pages) -> Counter:  # type: ignore[no-untyped-def]
    """Characters per full body line, counted."""
    return Counter(n for n, _, _ in full_lines(pages))


def test_full_lines_hold_28_characters(pages) -> None:  # type: ignore[no-untyped-def]
    counted = full_line_lengths(pages)
    assert counted[28] >= 20, counted
    assert set(counted) == {28}, counted


def test_fonts_and_sizes_per_role(pages) -> None:  # type: ignore[no-untyped-def]
    rows = [r for _, rs in pages for r in rs]

    def fonts_of(prefix: str) -> set[tuple[str, float]]:
        row = next(r for r in rows if r.text.startswith(prefix))
        return {(_font(c), float(round(c.size))) for c in row.chars if c.get_text().strip()}

    assert fonts_of("望江县公安局交通管理大队") >= {("Noto-Serif-CJK-SC-Bold", 22.0)}  # 小标宋 substitute
    assert fonts_of("一、加强组织领导") == {("Noto-Sans-CJK-SC", 16.0)}  # 黑体
    assert fonts_of("（一）基层贯彻落实") == {("AR-PL-UKai-CN", 16.0)}  # 楷体
    assert fonts_of("1.理论学习有差距") == {("GW-FangSong-Bold", 16.0)}  # 仿宋 bold (FandolFang emboldened)
    body = Counter(_font(c) for r in rows for c in r.chars if round(c.size) == 16 and c.get_text().strip())
    assert body.most_common(1)[0][0] == "GW-FangSong"  # 仿宋 (FandolFang)
    assert fonts_of("— 1 —") == {("Noto-Serif-CJK-SC", 14.0)}  # 宋体


def test_page_numbers_outside_7mm_under_the_type_area(pages) -> None:  # type: ignore[no-untyped-def]
    for n, (_, rows) in enumerate(pages, 1):
        numbers = [r for r in rows if r.baseline < TYPE_BOTTOM]
        assert len(numbers) == 1
        r = numbers[0]
        assert re.fullmatch(r"— \d+ —", r.text) and r.text == f"— {n} —"
        assert {round(c.size) for c in r.chars} == {14}
        assert (TYPE_BOTTOM - r.top) / MM == pytest.approx(7.0, abs=0.5)
        if n % 2:  # odd: right, one character in from the type area's right edge
            assert r.x1 == pytest.approx((28 + 156) * MM - 14, abs=1.5)
        else:  # even: left, one character in (the type area mirrored)
            assert r.x0 == pytest.approx(26 * MM + 14, abs=1.5)


@cache
def _font_file(postscript: str) -> tuple[str, int]:
    """The font file (and face index) fontconfig has for a font the PDF names."""
    from zhenggai.reports import fonts

    if postscript.startswith("GW-FangSong"):
        return str(fonts.find_file("FandolFang-Regular.otf")), 0
    pattern = {
        "Noto-Serif-CJK-SC": "Noto Serif CJK SC",
        "Noto-Serif-CJK-SC-Bold": "Noto Serif CJK SC:bold",
        "Noto-Sans-CJK-SC": "Noto Sans CJK SC",
        "AR-PL-UKai-CN": "AR PL UKai CN",
    }[postscript]
    out = subprocess.run(
        [shutil.which("fc-match") or "fc-match", "--format=%{file}\n%{index}", pattern],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    return out[0], int(out[1])


@cache
def _cmap(postscript: str) -> frozenset[int]:
    from fontTools.ttLib import TTFont

    path, index = _font_file(postscript)
    with TTFont(path, fontNumber=index, lazy=True) as f:
        return frozenset(f.getBestCmap())


def test_no_character_renders_as_an_empty_box(pages) -> None:  # type: ignore[no-untyped-def]
    """REQ-5.7: every character is drawn by a font that has it; rare name characters fall back."""
    used = Counter()
    rare: dict[str, str] = {}
    for _, rows in pages:
        for r in rows:
            for c in r.chars:
                ch = c.get_text()
                if not ch.strip():
                    continue
                name = _font(c)
                used[name] += 1
                assert ord(ch) in _cmap(name), (ch, name)
                if ch in "堃喆玥珺彧":
                    rare[ch] = name
    assert set(rare) == set("堃喆玥珺彧") and set(rare.values()) == {"Noto-Serif-CJK-SC"}
    assert not any("DejaVu" in f or "Liberation" in f for f in used), used
    # FandolFang lacks them (why the chain ends in Noto Serif CJK SC).
    assert not {ord(ch) for ch in "堃喆"} & _cmap("GW-FangSong")


def test_page_one_as_png(seed_docs: SeedDocs) -> None:
    """Page 1 rendered to artifacts/notice-page1.png (pypdfium2), a picture to look at."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(seed_docs.notice_pdf)
    page = pdf[0]
    assert page.get_size() == pytest.approx((PAGE_W, PAGE_H), abs=0.5)
    image = page.render(scale=150 / 72).to_pil().convert("L")
    ARTIFACTS.mkdir(exist_ok=True)
    image.save(ARTIFACTS / "notice-page1.png")
    w, h = image.size
    ink = image.point(lambda v: 255 if v < 128 else 0)

    def inked(x0: float, y0: float, x1: float, y1: float) -> bool:  # in mm from the top left
        box = ink.crop((int(x0 * w / 210), int(y0 * h / 297), int(x1 * w / 210), int(y1 * h / 297)))
        return box.getbbox() is not None

    assert not inked(0, 0, 210, 36)  # nothing above the type area
    assert inked(28, 37, 184, 52)  # the title on the first lines
    assert not inked(0, 37, 27, 262) and not inked(185, 37, 210, 262)  # margins left and right
    assert inked(150, 268, 184, 276)  # the page number, bottom right
    pdf.close()
