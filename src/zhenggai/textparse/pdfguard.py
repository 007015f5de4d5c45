"""A bound on what pdfminer decompresses (issue 8, findings 2 and 10).

pdfminer inflates a stream whole (``zlib.decompress``), so a 2 MB PDF whose content
stream inflates to 2 GB took 4 GB of memory. Inside :func:`expansion_budget`, every
stream pdfminer decodes (page contents, fonts, object streams, cross-reference streams)
is inflated by a capped decoder instead: no stream past ``per_stream`` bytes, no more than
``total`` bytes for the whole document, else :class:`LimitExceeded` is raised before the
excess is ever allocated. Outside a budget pdfminer behaves exactly as shipped.

The decoders are swapped in pdfminer's ``pdftypes`` module, whose ``PDFStream.decode`` is
the one place that applies stream filters; a test builds a bomb of each kind, so a
pdfminer that moved its decoding elsewhere would be caught there.
"""

from __future__ import annotations

import contextvars
import io
import threading
import types
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from typing import Any

from ._base import MAX_EXPANDED_BYTES, MAX_PART_BYTES, LimitExceeded, too_expanded

# The refusal is ``_base``'s, re-exported: callers of the budget catch it from here.
__all__ = ["LimitExceeded", "expansion_budget"]


class _Budget:
    __slots__ = ("left", "per_stream", "total")

    def __init__(self, per_stream: int, total: int) -> None:
        self.per_stream = per_stream
        self.total = total
        self.left = total

    def cap(self) -> int:
        """The most the next stream may produce."""
        return min(self.per_stream, self.left)

    def refuse(self) -> LimitExceeded:
        return LimitExceeded(too_expanded(self.per_stream if self.left > self.per_stream else self.total))

    def take(self, produced: int) -> None:
        if produced > self.cap():
            raise self.refuse()
        self.left -= produced


_current: contextvars.ContextVar[_Budget | None] = contextvars.ContextVar("pdf_budget", default=None)
_installed = False
_install_lock = threading.Lock()


@contextmanager
def expansion_budget(*, per_stream: int = MAX_PART_BYTES, total: int = MAX_EXPANDED_BYTES) -> Iterator[None]:
    """Bound what pdfminer decompresses in this block (this thread or task only)."""
    _install()
    token = _current.set(_Budget(per_stream, total))
    try:
        yield
    finally:
        _current.reset(token)


def _inflate_capped(data: bytes, budget: _Budget) -> bytes:
    d = zlib.decompressobj()
    limit = budget.cap()
    out = d.decompress(data, limit + 1)
    if len(out) > limit:
        raise budget.refuse()
    if not d.eof:
        raise zlib.error("incomplete or truncated stream")
    budget.take(len(out))
    return out


def _corrupted_capped(data: bytes, budget: _Budget) -> bytes:
    """pdfminer's ``decompress_corrupted`` (keep what inflates before a bad checksum),
    bounded and linear: the original feeds one byte at a time and concatenates."""
    d = zlib.decompressobj()
    limit = budget.cap()
    # A bad checksum fails only on the last bytes: inflate up to them first, so the
    # text before them is kept as pdfminer keeps it.
    out = d.decompress(data[:-4], limit + 1)
    if len(out) <= limit and not d.unconsumed_tail:
        with suppress(zlib.error):
            out += d.decompress(data[-4:], limit + 1 - len(out))
    if len(out) > limit:
        raise budget.refuse()
    budget.take(len(out))
    return out


def _lzw_capped(data: bytes, budget: _Budget) -> bytes:
    from pdfminer.lzw import LZWDecoder

    limit = budget.cap()
    out = bytearray()
    for chunk in LZWDecoder(io.BytesIO(data)).run():
        out += chunk
        if len(out) > limit:
            raise budget.refuse()
    budget.take(len(out))
    return bytes(out)


def _runlength_capped(data: bytes, budget: _Budget) -> bytes:
    limit = budget.cap()
    out = bytearray()
    i = 0
    while i < len(data) and data[i] != 128:
        length = data[i]
        if length < 128:
            out += data[i + 1 : i + 2 + length]
            i += 2 + length
        else:
            out += data[i + 1 : i + 2] * (257 - length)
            i += 2
        if len(out) > limit:
            raise budget.refuse()
    budget.take(len(out))
    return bytes(out)


def _guarded(
    original: Callable[..., bytes], capped: Callable[[bytes, _Budget], bytes]
) -> Callable[..., bytes]:
    def decode(data: bytes, *args: Any) -> bytes:
        budget = _current.get()
        if budget is None:
            return original(data, *args)
        return capped(data, budget)

    return decode


def _counted(original: Callable[..., bytes]) -> Callable[..., bytes]:
    """ASCII85 and hex expand at most four times their input, itself already bounded."""

    def decode(data: bytes, *args: Any) -> bytes:
        out = original(data, *args)
        budget = _current.get()
        if budget is not None:
            budget.take(len(out))
        return out

    return decode


def _image_only(original: Callable[..., bytes]) -> Callable[..., bytes]:
    """CCITT fax data is a bitmap, never text: not decoded at all under a budget."""

    def decode(data: bytes, *args: Any) -> bytes:
        return original(data, *args) if _current.get() is None else b""

    return decode


def _install() -> None:
    global _installed
    with _install_lock:
        if _installed:
            return
        from pdfminer import pdftypes

        real = zlib
        shim = types.SimpleNamespace(
            decompress=_guarded(real.decompress, _inflate_capped),
            decompressobj=real.decompressobj,
            error=real.error,
        )
        pdftypes.zlib = shim  # type: ignore[assignment]  # a namespace standing in for the module
        pdftypes.decompress_corrupted = _guarded(pdftypes.decompress_corrupted, _corrupted_capped)
        pdftypes.lzwdecode = _guarded(pdftypes.lzwdecode, _lzw_capped)
        pdftypes.rldecode = _guarded(pdftypes.rldecode, _runlength_capped)
        pdftypes.ascii85decode = _counted(pdftypes.ascii85decode)
        pdftypes.asciihexdecode = _counted(pdftypes.asciihexdecode)
        pdftypes.ccittfaxdecode = _image_only(pdftypes.ccittfaxdecode)
        _installed = True
