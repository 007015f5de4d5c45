"""Issue 8: the fuzz target over the notice/plan renderers.

Any text in any field of an official document (title lines, paragraphs of every role, the
附件 note, signature and date, attachment titles, column names and table cells) renders as a
.docx and as a PDF. The HTML given to WeasyPrint holds only the elements and attributes our
code writes, with every text in it literally; the .docx holds it literally too; and the PDF
embeds no file, fetched nothing (a local server records zero requests) and uses only our
fonts. Building the HTML and the .docx is cheap and runs for many examples; a full PDF
render takes about a second and runs for a handful.
"""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from zhenggai.reports.official import (
    Attachment,
    AttachmentNote,
    Blank,
    Column,
    OfficialDocument,
    Para,
    Signature,
    Table,
    printable,
)

from . import doccheck

#: Pieces of markup, glued into otherwise random text. ``{server}`` is the recording server.
FRAGMENTS = [
    '<link rel="attachment" href="file:///etc/passwd">',
    "<a rel=attachment href=file:///proc/self/environ>x</a>",
    '<img src="{server}/img.png">',
    "<style>@import url({server}/i.css); * { font-family: DejaVu Sans }</style>",
    '<p style="background:url({server}/bg)">',
    "<svg><image href='{server}/svg.png'/></svg>",
    "<object data={server}/o></object><iframe src={server}/f></iframe>",
    "<!--",
    "-->",
    "<![CDATA[",
    "]]>",
    "</p></body></html><body>",
    "&amp; &lt; &#60; &#x3c; & < > \" '",
    "\x00\x01\x0b\x0c\x1b\x7f\x85\ufffe\uffff",
    "\u200b\u200d\u202e\ufeff\U0001f600\u0627\u05d0\u0e01",
    "一是二是（一）1.（1）",
    "堃喆玥珺彧",
]
ROLES = ["body", "h1", "h2", "h3", "h4"]


def texts(max_pieces: int = 4):  # type: ignore[no-untyped-def]
    piece = st.one_of(st.text(max_size=12), st.sampled_from(FRAGMENTS))
    return st.lists(piece, max_size=max_pieces).map("".join)


@st.composite
def documents(draw):  # type: ignore[no-untyped-def]
    body: list = []
    for _ in range(draw(st.integers(0, 4))):
        kind = draw(st.sampled_from(["para", "para", "blank", "note"]))
        if kind == "para":
            body.append(Para(draw(texts()), draw(st.sampled_from(ROLES)), draw(st.booleans())))
        elif kind == "blank":
            body.append(Blank())
        else:
            body.append(AttachmentNote(tuple(draw(st.lists(texts(2), min_size=1, max_size=3)))))
    attachments = []
    for n in range(draw(st.integers(0, 1))):
        ncols = draw(st.integers(1, 3))
        columns = tuple(
            Column(draw(texts(2)), draw(st.sampled_from([12.0, 40.0, 90.0]))) for _ in range(ncols)
        )
        rows = []
        for i in range(draw(st.integers(0, 3))):
            cell = texts(2) if i == 0 else st.one_of(st.none(), texts(2))
            rows.append(tuple(draw(cell) for _ in range(ncols)))
        attachments.append(Attachment(n + 1, draw(texts(2)), Table(columns, tuple(rows))))
    signature = draw(st.one_of(st.none(), st.builds(Signature, texts(2), texts(2))))
    title = tuple(draw(st.lists(texts(2), min_size=1, max_size=2)))
    return OfficialDocument(draw(st.sampled_from(["notice", "plan"])), title, body, signature, attachments)


def _with_server(doc: OfficialDocument, url: str) -> OfficialDocument:
    """The document with ``{server}`` in its text pointing at the recording server."""

    def t(s: str) -> str:
        return s.replace("{server}", url)

    body = [
        Para(t(b.text), b.role, b.indent)
        if isinstance(b, Para)
        else AttachmentNote(tuple(map(t, b.names)))
        if isinstance(b, AttachmentNote)
        else b
        for b in doc.body
    ]
    atts = [
        Attachment(
            a.number,
            t(a.title),
            Table(
                tuple(Column(t(c.name), c.width_mm) for c in a.table.columns),
                tuple(tuple(None if v is None else t(v) for v in row) for row in a.table.rows),
            ),
        )
        for a in doc.attachments
    ]
    sig = Signature(t(doc.signature.unit), t(doc.signature.date)) if doc.signature else None
    return OfficialDocument(doc.kind, tuple(map(t, doc.title_lines)), body, sig, atts)


def _user_texts(doc: OfficialDocument) -> list[str]:
    out = [*doc.title_lines]
    for b in doc.body:
        if isinstance(b, Para):
            out.append(b.text)
        elif isinstance(b, AttachmentNote):
            out.extend(b.names)
    if doc.signature:
        out += [doc.signature.unit, doc.signature.date]
    for a in doc.attachments:
        out.append(a.title)
        out += [c.name for c in a.table.columns]
        out += [v for row in a.table.rows for v in row if v is not None]
    return out


#: What document_html may write: nothing that loads, links or styles from outside.
TAGS = {"html", "head", "meta", "title", "body", "p", "span", "br", "section", "table", "colgroup", "col"}
TAGS |= {"thead", "tbody", "tr", "th", "td"}
ATTRIBUTES = {"class", "style", "rowspan", "lang", "charset"}


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    with doccheck.RecordingServer() as s:
        yield s


@settings(max_examples=60, deadline=None)
@given(doc=documents())
def test_fuzz_any_text_in_any_field_is_text_in_the_html_and_the_docx(doc: OfficialDocument) -> None:
    import tinyhtml5

    from zhenggai.reports.docx_render import render_docx
    from zhenggai.reports.pdf_render import document_html, for_print

    markup = document_html(doc)
    root = tinyhtml5.parse(str(markup), namespace_html_elements=False)
    for element in root.iter():
        assert element.tag in TAGS, element.tag
        assert set(element.attrib) <= ATTRIBUTES, element.attrib
        if "style" in element.attrib:  # only our own padding and widths
            assert all(c in "abcdefghijklmnopqrstuvwxyz-:.0123456789" for c in element.attrib["style"])
    body_text = doccheck.flat("".join(root.find("body").itertext()))
    facts = doccheck.docx_facts(render_docx(doc))
    assert facts.external == []
    for text in _user_texts(doc):
        assert doccheck.flat(for_print(text)) in body_text, text
        assert doccheck.flat(printable(text)) in facts.text, text


@settings(max_examples=6, deadline=None)
@given(doc=documents())
def test_fuzz_any_text_in_any_field_renders_a_pdf_that_fetches_and_embeds_nothing(server, doc) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.reports.pdf_render import render_pdf

    refused: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = refused.append  # type: ignore[method-assign]
    logger = logging.getLogger("zhenggai.reports")
    logger.addHandler(handler)
    try:
        pdf = render_pdf(_with_server(doc, server.url))
    finally:
        logger.removeHandler(handler)
    facts = doccheck.pdf_facts(pdf)
    assert facts.pages >= 1
    assert facts.forbidden == [] and facts.annotations == []
    assert facts.fonts <= doccheck.allowed_fonts(), facts.fonts
    assert server.hits == []
    assert refused == []  # the escaping left the fetcher nothing to refuse
