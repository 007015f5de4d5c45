"""What every reader shares: the one-line error and the byte-order marks."""

from __future__ import annotations

import codecs


class ReadError(Exception):
    """The file cannot be read. str(err) is ONE line in Simplified Chinese that says what and where,
    e.g. "无法读取 plan.pdf：PDF 已加密，请先解除密码" — no traceback, no English jargon."""

    def __init__(self, message: str, *, name: str = "", reason: str = "") -> None:
        # A file name may contain a newline; the message must stay on one line.
        super().__init__(" ".join(message.splitlines()))
        self.name = name
        self.reason = reason


def _fail(name: str, reason: str) -> ReadError:
    return ReadError(f"无法读取 {name}：{reason}", name=name, reason=reason)


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),  # before UTF-16 LE, whose BOM is its prefix
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
