"""Build OLE2 compound files (MS-CFB, version 3) in memory, with the streams asked for.

Enough for the reader's sniffing: a "WordDocument" stream makes a Word binary file as far as
the directory goes (LibreOffice still refuses it: it holds no real document), "Workbook" an
.xls, "EncryptedPackage" a password-protected .docx. Every stream is padded to 4096 bytes so
that it lives in regular sectors (no mini stream), and one FAT sector maps them all.
"""

from __future__ import annotations

import struct

MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_SECTOR = 512
_FREE, _END, _FAT, _NONE = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF


def word_fib(*, encrypted: bool = False) -> bytes:
    """The start of a Word 97 stream: wIdent, nFib, and the flags with fEncrypted (MS-DOC 2.5.2)."""
    flags = 0x0100 if encrypted else 0
    return struct.pack("<HHHHHH", 0xA5EC, 0x00C1, 0, 0x0804, 0, flags)


def _entry(
    name: str, kind: int, *, child: int = _NONE, right: int = _NONE, start: int = _END, size: int = 0
) -> bytes:
    raw = name.encode("utf-16-le")
    head = raw.ljust(64, b"\x00") + struct.pack("<HBB", len(raw) + 2, kind, 1)
    head += struct.pack("<III", _NONE, right, child) + bytes(16 + 4 + 16)
    return head + struct.pack("<III", start, size, 0)


def make_ole(streams: dict[str, bytes]) -> bytes:
    """A compound file whose root storage holds these streams (each at most a few KB)."""
    names = sorted(streams, key=lambda n: (len(n), n.upper()))  # the sibling order of MS-CFB
    bodies = [streams[n].ljust(4096, b"\x00") for n in names]
    bodies = [b.ljust(-(-len(b) // _SECTOR) * _SECTOR, b"\x00") for b in bodies]
    entries = [_entry("Root Entry", 5, child=1 if names else _NONE)]
    fat = [_FAT]  # sector 0: the FAT itself
    dir_sectors = -(-(len(names) + 1) // 4)
    first_dir = len(fat)
    fat += [first_dir + i + 1 for i in range(dir_sectors - 1)] + [_END]
    for i, (name, body) in enumerate(zip(names, bodies, strict=True)):
        start, count = len(fat), len(body) // _SECTOR
        fat += [start + k + 1 for k in range(count - 1)] + [_END]
        right = i + 2 if i + 1 < len(names) else _NONE
        entries.append(
            _entry(name, 2, right=right, start=start, size=len(streams[name].ljust(4096, b"\x00")))
        )
    assert len(fat) <= _SECTOR // 4, "too many sectors for one FAT sector"
    directory = b"".join(entries).ljust(dir_sectors * _SECTOR, b"\x00")
    header = MAGIC + bytes(16) + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
    header += struct.pack("<IIIIIIIII", 0, 1, first_dir, 0, 4096, _END, 0, _END, 0)
    header += struct.pack("<109I", 0, *([_FREE] * 108))
    fat_sector = struct.pack(f"<{_SECTOR // 4}I", *(fat + [_FREE] * (_SECTOR // 4 - len(fat))))
    return header + fat_sector + directory + b"".join(bodies)
