"""The content model of an official document and the words any document is written in.

An ``OfficialDocument`` holds title lines, body blocks (paragraphs with a GB/T 9704 role), the
signature, attachments with tables; ``docx_render`` and ``pdf_render`` only lay it out.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from zhenggai.ledger.models import (
    RoundKind,
)

Role = Literal["body", "h1", "h2", "h3", "h4"]

# --- the content model ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Para:
    """A paragraph: ``body`` 仿宋, ``h1`` 一、黑体, ``h2`` （一）楷体, ``h3`` 1. 仿宋加粗, ``h4`` （1）."""

    text: str
    role: Role = "body"
    indent: bool = True  # first line indented two characters


@dataclass(frozen=True)
class Blank:
    """One empty line of the grid."""


@dataclass(frozen=True)
class AttachmentNote:
    """附件说明: ``附件：1.×××`` with the following names aligned under the first."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Column:
    name: str
    width_mm: float


@dataclass(frozen=True)
class Table:
    columns: tuple[Column, ...]
    #: Cells; ``None`` continues the cell above (merged down).
    rows: tuple[tuple[str | None, ...], ...]


@dataclass(frozen=True)
class Attachment:
    number: int
    title: str
    table: Table


@dataclass(frozen=True)
class Signature:
    unit: str
    date: str


@dataclass(frozen=True)
class QrCode:
    """A QR code of ``url`` with a caption under it (the feedback page of a published round)."""

    url: str
    caption: str = "扫码反映意见建议"


Block = Para | Blank | AttachmentNote


@dataclass
class OfficialDocument:
    kind: Literal["notice", "plan", "report"]
    title_lines: tuple[str, ...]
    body: list[Block]
    signature: Signature | None
    attachments: list[Attachment] = field(default_factory=list)
    #: Things the clerk should know (text that would read back differently, empty parts).
    warnings: list[str] = field(default_factory=list)
    #: The QR code both renderers draw after ``body[qr_after]`` (the channels paragraph).
    qr: QrCode | None = None
    #: The index in ``body`` of the block the QR code follows; ``None``: after the whole body.
    #: A masked copy that replaces blocks in place keeps it.
    qr_after: int | None = None

    @property
    def title(self) -> str:
        return "".join(self.title_lines)

    def file_name(self, ext: str) -> str:
        stem = re.sub(r'[\\/:*?"<>|\s]+', "", self.title) or "公文"
        return f"{stem}.{ext}"

    def paragraphs(self) -> list[str]:
        """The text, paragraph by paragraph, as a reader gets it (for previews and tests)."""
        out = list(self.title_lines)
        for i, b in enumerate(self.body):
            if isinstance(b, Para):
                out.append(b.text)
            elif isinstance(b, AttachmentNote):
                out.extend(b.names)
            if self.qr is not None and i == self.qr_after:
                out.append(self.qr.caption)
        if self.qr is not None and self.qr_after is None:
            out.append(self.qr.caption)
        if self.signature:
            out += [self.signature.unit, self.signature.date]
        return out


# --- text that any document can hold ---------------------------------------------------------------

#: What neither XML (the .docx) nor print can hold: control characters (tab and line breaks
#: kept), lone surrogates, U+FFFE and U+FFFF.
_UNPRINTABLE = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")


def printable(text: str) -> str:
    """``text`` without the characters no document can hold (a vertical tab or form feed,
    as pasted from Word, becomes a space). Both renderers pass every text through it."""
    return _UNPRINTABLE.sub("", text.replace("\x0b", " ").replace("\x0c", " "))


# --- words ----------------------------------------------------------------------------------------

_CN_DIGITS = "零一二三四五六七八九"


def cn_number(n: int) -> str:
    """1 → 一, 10 → 十, 21 → 二十一 (ordinals of headings and of 一是…)."""
    if n < 10:
        return _CN_DIGITS[n]
    if n < 100:
        tens, ones = divmod(n, 10)
        return (_CN_DIGITS[tens] if tens > 1 else "") + "十" + (_CN_DIGITS[ones] if ones else "")
    return str(n)


def date_cn(d: dt.date) -> str:
    """成文日期 style: 2026年7月1日 (no leading zeros)."""
    return f"{d.year}年{d.month}月{d.day}日"


def period_cn(start: dt.date | None, end: dt.date | None) -> str:
    """2021年11月1日至11月30日 (the year once when both ends share it)."""
    if start and end:
        tail = f"{end.month}月{end.day}日" if end.year == start.year else date_cn(end)
        return f"{date_cn(start)}至{tail}"
    d = start or end
    return date_cn(d) if d else ""


def money_cn(yuan: Decimal) -> str:
    """4.54万元 for round sums of ten thousand and more, else 350元 / 350.5元."""
    yuan = Decimal(yuan)
    if yuan >= 10000 and (yuan * 100) % 100 == 0:
        wan = (yuan / 10000).normalize()
        return f"{wan:f}万元"
    return f"{yuan.normalize():f}元"


def rate_cn(rate: float | None) -> str:
    if rate is None:
        return "0%"
    return f"{rate:.2f}".rstrip("0").rstrip(".") + "%"


_GROUP_HEAD = re.compile(r"^(.*?)(?:第[一二三四五六七八九十\d]+)?(?:专项|机动)?巡[察视](?:工作)?组")


def superior_of(group: str) -> str:
    """县委第三巡察组 → 县委 (whose deployment the inspection followed)."""
    m = _GROUP_HEAD.match(group or "")
    return m.group(1) if m and m.group(1) else ""


KIND_WORD: dict[str, str] = {
    RoundKind.REGULAR: "巡察",
    RoundKind.SPECIAL: "专项巡察",
    RoundKind.MOBILE: "机动巡察",
    RoundKind.LOOKBACK: "巡察“回头看”",
}
