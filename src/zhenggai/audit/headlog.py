"""The head of the chain, recorded outside the database after every commit that appended events.

Checkpoints anchor the chain every ``AUDIT_CHECKPOINT_EVERY`` events, at every security event
and on a timer; the rows written since the last one are anchored by this log. After each
commit that appended events, one JSON line is appended to ``AUDIT_HEAD_FILE`` (default
``audit-head.jsonl`` beside the checkpoint file)::

    {"algorithm":"hmac-sm3","mac":"…","schema":"zhenggai.audit-head/1","seq":1234,"sig":"…",
     "time":"2026-03-01T08:00:00.123456Z"}

``sig`` is the checkpoint key's HMAC, as on a checkpoint, so whoever holds the database (and
even the chain key) can neither forge nor edit a line. Each line is also logged at INFO on
``zhenggai.audit.checkpoint.head``, a child of the checkpoint sink's logger: a syslog handler
on ``zhenggai.audit.checkpoint`` ships both to another host. The verifier fails when the
highest head recorded here lies beyond the table (the tail was deleted) or names another MAC
for a row the table holds (the chain was rewritten).

Cost: one line per *commit*, not per event (the callbacks of one commit read the committed
head and write it once), written with a single ``write(2)`` on an ``O_APPEND`` descriptor,
so lines of concurrent processes never interleave. ``AUDIT_HEAD_FSYNC`` (default on) then
fsyncs it: the database commit before it is already fsynced (``synchronous=FULL``), so the
head is as durable as the rows it anchors; an install that prefers speed may turn it off and
accept that a power cut can lose the last heads (which only weakens the check, never makes
it fail). ``bench/audit_head.py`` measures both.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from zhenggai import crypto

from . import keys
from .canonical import utc_iso
from .checkpoints import CheckpointError, checkpoint_path, sign

sink_log = logging.getLogger("zhenggai.audit.checkpoint.head")

SCHEMA = "zhenggai.audit-head/1"

# head file → the last (seq, mac) this process wrote there: the other callbacks of one commit
# find the same head and write nothing.
_last_written: dict[str, tuple[int, str]] = {}


def head_path() -> Path:
    configured = getattr(settings, "AUDIT_HEAD_FILE", None)
    if configured:
        return Path(configured)
    return checkpoint_path().with_name("audit-head.jsonl")


def record(*, seq: int, mac: str, alg: str) -> bool:
    """Append the head ``(seq, mac)`` unless this process has just written the same one there."""
    path = head_path()
    if _last_written.get(str(path)) == (seq, mac):
        return False
    body = {"schema": SCHEMA, "seq": seq, "mac": mac, "algorithm": alg, "time": utc_iso(timezone.now())}
    body["sig"] = sign(body, keys.checkpoint_key())
    line = json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT
    try:
        fd = os.open(path, flags, 0o640)
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, flags, 0o640)
    try:
        os.write(fd, (line + "\n").encode())
        if getattr(settings, "AUDIT_HEAD_FSYNC", True):
            os.fsync(fd)
    finally:
        os.close(fd)
    _last_written[str(path)] = (seq, mac)
    sink_log.info("%s", line)
    return True


@dataclass(frozen=True, slots=True)
class HeadRecord:
    line: int
    seq: int
    mac: str
    time: str


@dataclass(frozen=True, slots=True)
class HeadReading:
    #: The highest head recorded (None when there is no head log or it is empty).
    highest: HeadRecord | None = None
    #: The first line that does not parse or whose signature is wrong: ``(line, why)``.
    invalid: tuple[int, str] | None = None


def read(path: Path | None = None, key: bytes | None = None) -> HeadReading:
    """The highest validly signed head in the log, or the first bad line."""
    path = path or head_path()
    if not path.exists():
        return HeadReading()
    key = key if key is not None else keys.checkpoint_key(create=False)
    highest: HeadRecord | None = None
    with path.open(encoding="utf-8") as f:
        for no, text in enumerate(f, 1):
            if not text.strip():
                continue
            try:
                doc = json.loads(text)
                body = {k: v for k, v in doc.items() if k != "sig"}
                good = doc.get("schema") == SCHEMA and crypto.constant_time_equal(
                    sign(body, key), str(doc["sig"])
                )
                rec = HeadRecord(no, int(doc["seq"]), str(doc["mac"]), str(doc.get("time", "")))
            except (ValueError, KeyError, TypeError, AttributeError, CheckpointError) as exc:
                return HeadReading(highest, (no, f"无法解析：{exc}"))
            if not good:
                return HeadReading(highest, (no, "签名不符（链头记录被改动，或检查点密钥不对）"))
            if highest is None or rec.seq > highest.seq:
                highest = rec
    return HeadReading(highest)
