"""Issue 8, finding 14: the .docx of the notice and the plan laid out by LibreOffice Writer.

LibreOffice (Debian's ``libreoffice-writer-nogui``, the office suite of many 信创 desktops)
converts the seed round's .docx to PDF headless, and the PDF is measured as
``test_pdf_layout`` measures WeasyPrint's: 28 characters on every full body line (27 only
where the line-breaking rules 禁则 carried the 28th over), 22 lines on the 28.95 pt grid on a
full page, about as many pages as the PDF we render ourselves.

These tests need ``soffice``; without it they fail (``make test`` installs LibreOffice).
LibreOffice runs with a profile of its own in the test's temporary folder, so parallel runs
do not clash.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.office import libreoffice_convert

from . import test_notice_fixtures
from .test_notice_fixtures import SeedDocs
from .test_pdf_layout import PITCH, TYPE_BOTTOM, TYPE_TOP, body_rows, full_line_lengths, full_lines, pdf_pages

seed_docs = test_notice_fixtures.seed_docs  # the module's fixture

pytestmark = [pytest.mark.django_db, pytest.mark.libreoffice]



def convert(data: bytes, name: str, folder: Path, to: str = "pdf") -> bytes:
    """``data`` (a file called ``name``) converted by LibreOffice headless; the result's bytes."""
    return libreoffice_convert(data, name, folder, to)


@pytest.fixture(scope="module")
def libreoffice_pages(seed_docs: SeedDocs, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    folder = tmp_path_factory.mktemp("libreoffice")
    return {
        "notice": pdf_pages(convert(seed_docs.notice_docx, "notice.docx", folder)),
        "plan": pdf_pages(convert(seed_docs.plan_docx, "plan.docx", folder)),
    }


#: A line may not end with an opening mark, nor the next start with a closing one (禁则).
OPENING = "（《“‘【〔〈「『"
CLOSING = "）》”’】〕〉」』，。、；：？！"


def _kinsoku(following: str) -> bool:
    """The 28th character went to the next line with it: an opening mark that may not end a
    line, or a character carried along with the closing mark that may not start one."""
    return following[:1] in tuple(OPENING) or following[1:2] in tuple(CLOSING)


@pytest.mark.parametrize("doc", ["notice", "plan"])
def test_finding14_libreoffice_lays_out_28_characters_a_line(libreoffice_pages, doc: str) -> None:  # type: ignore[no-untyped-def]
    lines = list(full_lines(libreoffice_pages[doc]))
    counted = full_line_lengths(libreoffice_pages[doc])
    assert counted[28] >= (20 if doc == "notice" else 5), counted
    other = [(n, text, following[:2]) for n, text, following in lines if n != 28]
    assert all(n == 27 and _kinsoku(following) for n, _, following in other), other


@pytest.mark.parametrize("doc", ["notice", "plan"])
def test_finding14_libreoffice_lays_out_22_lines_a_page(libreoffice_pages, doc: str) -> None:  # type: ignore[no-untyped-def]
    portrait = [(p, rows) for p, rows in libreoffice_pages[doc] if p.width < p.height]
    full = 0
    for _, rows in portrait[1:-1]:  # the first has the title, the last the signature
        body = [r for r in body_rows(rows) if r.chars and r.top <= TYPE_TOP + 2]
        assert len(body) <= 22, [r.text[:8] for r in body]
        # Every line on the 28.95 pt grid, no drift down the page. (LibreOffice sets a heading's
        # face on its own baseline inside the exact line, up to about 1 pt off the body's.)
        offsets = [body[0].baseline - r.baseline for r in body]
        off = [round(d, 2) for d in offsets if abs(d - round(d / PITCH) * PITCH) > 1.5]
        assert not off, off
        if len(body) == 22:
            full += 1
            assert body[-1].baseline > TYPE_BOTTOM - 2
    assert full >= max(1, (len(portrait) - 2) // 2), full


def test_finding14_the_notice_has_as_many_pages_in_libreoffice_as_in_our_pdf(
    libreoffice_pages, seed_docs: SeedDocs
) -> None:  # type: ignore[no-untyped-def]
    ours = len(pdf_pages(seed_docs.notice_pdf))
    assert abs(len(libreoffice_pages["notice"]) - ours) <= 1, (len(libreoffice_pages["notice"]), ours)
