"""The disclosure check (公开前检查): what in a document must not go public, and the masking.

The public document is read as a list of blocks (``Slot``: the role, the text and where it sits
in the ``OfficialDocument``). Every block is scanned except the title lines, the signature and
date, and the channels paragraph (the unit's own phone, address and e-mail, public on purpose):

- personal data found by ``textparse.disclosure.find_personal_data`` (citizens' names, ID
  numbers, phone numbers, case numbers, plates, private addresses, e-mail, bank cards);
- ``internal``: a sentence (8 characters or more) of a problem or measure labelled 内部/敏感, or
  of such a measure's public progress wording, found in the public text (a clerk copied it into
  a part that is published).

A hit's fingerprint is the SHA-256 of its kind and its text: one decision (mask, or keep with a
reason) per string, whatever paragraph it is found in, so a re-check after any edit that keeps
the string keeps the decision, and the document, the open data and the files can never treat
two occurrences of the same name differently. Each occurrence is listed with its paragraph and
context.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from zhenggai.reports.official import AttachmentNote, Blank, OfficialDocument, Para
from zhenggai.textparse.disclosure import KIND_LABELS, Hit, find_personal_data, mask_text

if TYPE_CHECKING:
    from .models import CheckDecision

#: The kind of a hit that repeats the text of a problem or measure labelled 内部/敏感.
INTERNAL = "internal"
INTERNAL_LABEL = "内部信息"
INTERNAL_REASON = "与标为内部或敏感的问题、措施（或其进展表述）的文字相同，不应公开"
#: Sentences shorter than this are too common to mean anything ("加强学习").
MIN_SENTENCE = 8
#: Characters of context either side of a hit on the check page.
CONTEXT = 20
MASK_CHAR = "＊"

_SENTENCE_END = re.compile(r"[。；;！!？?\n\r]+")
_TRIM = " \u3000\t，,、：:“”\"'（）()"


@dataclass(frozen=True)
class Slot:
    """A block of the public document: ``role`` as in ``PublicationVersion.blocks``, its text,
    where it sits (``body`` index, or ``None`` for title, signature and date lines) and whether
    the check reads it."""

    role: str
    text: str
    body_index: int | None = None
    checked: bool = True


@dataclass(frozen=True)
class Occurrence:
    """One place a hit was found: the block index and the text around it."""

    paragraph: int
    start: int
    end: int
    before: str
    match: str
    after: str


@dataclass
class CheckItem:
    """One string that must not go public as it is, with every place it occurs."""

    fingerprint: str
    kind: str
    label: str
    reason: str
    text: str
    occurrences: list[Occurrence] = field(default_factory=list)
    decision: CheckDecision | None = None

    @property
    def masked(self) -> str:
        return mask_one(self.kind, self.text)


def fingerprint(kind: str, text: str) -> str:
    """The hit's identity across re-checks: its kind and its text."""
    return hashlib.sha256(f"zhenggai.disclosure/1\x1f{kind}\x1f{text}".encode()).hexdigest()


def slots(doc: OfficialDocument, *, channels: str) -> list[Slot]:
    """The document's blocks in reading order; ``channels`` is the text of its channels paragraph
    (not checked: the unit's own phone, address and e-mail)."""
    out = [Slot("title", line, None, False) for line in doc.title_lines]
    channels_at = doc.qr_after if doc.qr is not None else None
    for i, b in enumerate(doc.body):
        if isinstance(b, Para):
            is_channels = i == channels_at or (bool(channels) and b.text == channels)
            out.append(Slot(b.role, b.text, i, not is_channels))
        elif isinstance(b, Blank):
            out.append(Slot("blank", "", i, False))
        elif isinstance(b, AttachmentNote):
            out.extend(Slot("body", name, None, True) for name in b.names)
    if doc.signature is not None:
        out += [Slot("sign", doc.signature.unit, None, False), Slot("date", doc.signature.date, None, False)]
    return out


def sentences(texts: Iterable[str]) -> set[str]:
    """The sentences of ``texts`` long enough to be telling (≥ ``MIN_SENTENCE`` characters)."""
    out: set[str] = set()
    for text in texts:
        for part in _SENTENCE_END.split(text or ""):
            s = part.strip(_TRIM)
            if len(s) >= MIN_SENTENCE:
                out.add(s)
    return out


@dataclass(frozen=True)
class Found:
    kind: str
    start: int
    end: int
    text: str
    reason: str
    hit: Hit | None = None  # the detector's hit (None for ``internal``)


def scan(text: str, internal: Iterable[str]) -> list[Found]:
    """Personal data and internal sentences in ``text``, by position (they may overlap)."""
    found = [Found(h.kind, h.start, h.end, h.text, h.reason, h) for h in find_personal_data(text)]
    for s in internal:
        at = text.find(s)
        while at >= 0:
            found.append(Found(INTERNAL, at, at + len(s), s, INTERNAL_REASON))
            at = text.find(s, at + len(s))
    return sorted(found, key=lambda f: (f.start, -f.end, f.kind))


def label_of(kind: str) -> str:
    if kind == INTERNAL:
        return INTERNAL_LABEL
    return KIND_LABELS.get(kind, kind)


def run(blocks: list[Slot], internal: set[str], decisions: Mapping[str, CheckDecision]) -> list[CheckItem]:
    """The check over ``blocks``: one item per distinct string, with its occurrences and decision."""
    items: dict[str, CheckItem] = {}
    ordered = sorted(internal, key=len, reverse=True)
    for index, slot in enumerate(blocks):
        if not slot.checked or not slot.text:
            continue
        for f in scan(slot.text, ordered):
            fp = fingerprint(f.kind, f.text)
            item = items.get(fp)
            if item is None:
                item = items[fp] = CheckItem(fp, f.kind, label_of(f.kind), f.reason, f.text)
                item.decision = decisions.get(fp)
            t = slot.text
            item.occurrences.append(
                Occurrence(
                    index,
                    f.start,
                    f.end,
                    t[max(0, f.start - CONTEXT) : f.start],
                    f.text,
                    t[f.end : f.end + CONTEXT],
                )
            )
    return list(items.values())


# --- masking -----------------------------------------------------------------------------------------


def mask_one(kind: str, text: str) -> str:
    """``text`` (a hit of ``kind``) as published when masked."""
    if kind == INTERNAL:
        return MASK_CHAR * len(text)
    return mask_text(text, [Hit(kind=kind, start=0, end=len(text), text=text, reason="")])


def mask(text: str, internal: Iterable[str], kept: set[str]) -> str:
    """``text`` with every hit masked except those whose fingerprint is in ``kept`` (justified).

    Masking is the default: a hit no decision covers (in the open data, a text the document
    check did not see in that form) is masked. A masked internal sentence covers whatever
    personal data it contains.
    """
    found = [f for f in scan(text, internal) if fingerprint(f.kind, f.text) not in kept]
    if not found:
        return text
    covered: list[tuple[int, int]] = []
    for f in sorted((f for f in found if f.kind == INTERNAL), key=lambda f: f.start):
        if covered and f.start <= covered[-1][1]:
            covered[-1] = (covered[-1][0], max(covered[-1][1], f.end))
        else:
            covered.append((f.start, f.end))
    pieces = [(s, e, MASK_CHAR * (e - s)) for s, e in covered]
    last_end = -1
    for f in sorted((f for f in found if f.kind != INTERNAL), key=lambda f: f.start):
        if f.start < last_end or any(s < f.end and f.start < e for s, e in covered):
            continue
        pieces.append((f.start, f.end, mask_one(f.kind, f.text)))
        last_end = f.end
    out: list[str] = []
    pos = 0
    for s, e, rep in sorted(pieces):
        out += [text[pos:s], rep]
        pos = e
    out.append(text[pos:])
    return "".join(out)


def masked_document(doc: OfficialDocument, blocks: list[Slot], masked: list[str]) -> OfficialDocument:
    """A copy of ``doc`` whose checked paragraphs read ``masked`` (the blocks' texts after masking)."""
    body = list(doc.body)
    for slot, text in zip(blocks, masked, strict=True):
        if slot.body_index is not None and text != slot.text:
            para = body[slot.body_index]
            if isinstance(para, Para):  # only paragraphs carry a body index and a text
                body[slot.body_index] = dataclasses.replace(para, text=text)
    notes = [i for i, b in enumerate(body) if isinstance(b, AttachmentNote)]
    if notes:  # their names are blocks without a body index: mask them name by name
        by_text = {s.text: t for s, t in zip(blocks, masked, strict=True) if s.body_index is None}
        for i in notes:
            note = body[i]
            if isinstance(note, AttachmentNote):
                body[i] = AttachmentNote(tuple(by_text.get(n, n) for n in note.names))
    return dataclasses.replace(doc, body=body)
