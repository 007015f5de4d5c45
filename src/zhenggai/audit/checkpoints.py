"""Signed checkpoints of the chain, appended to a file outside the database.

A checkpoint is one JSON line::

    {"algorithm":"hmac-sm3","count":1200,"kind":"manual","mac":"…","schema":"zhenggai.audit-checkpoint/1",
     "seq":1200,"sig":"…","time":"2026-03-01T15:59:59.123456Z"}

``sig`` is HMAC-<algorithm>(K2, canonical(line without sig)) with the checkpoint key
(``AUDIT_CHECKPOINT_KEY_FILE``), so a checkpoint cannot be forged or edited by someone who
holds only the database or only the chain key. ``count`` is how many rows with ``seq`` up to
the checkpoint the table held when it was written (it drops below ``seq`` after a purge).

When they are written:

- ``zhenggai audit-checkpoint`` (run it from cron at the end of each day; idempotent: a second
  run with no new events writes nothing);
- automatically after the commit of every ``AUDIT_CHECKPOINT_EVERY``-th event (default 100;
  0 turns it off, and fails ``check --deploy``), of every security event, and of any event
  when this file is older than ``AUDIT_CHECKPOINT_SECONDS`` (default 300: the timer, checked
  on activity, since an idle chain has nothing new to anchor) and, with
  ``AUDIT_CHECKPOINT_DAILY`` (default on), at the first event of a new day, sealing the last
  event of the day before;
- by ``zhenggai audit-purge`` at the cut, before it deletes anything (the anchor the
  remaining chain is verified from).

Between checkpoints the head of the chain is anchored by the head log (``headlog.py``).

Every line is also logged at INFO on the ``zhenggai.audit.checkpoint`` logger, so a syslog
handler can ship the checkpoints to another host (the sink should be write-once: a mount with
``chattr +a``, WORM object storage or a remote syslog).
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import router
from django.utils import timezone

from zhenggai import crypto

from . import keys
from .canonical import canonical_json, utc_iso
from .models import AuditEvent

try:  # POSIX; on Windows the file is appended without a lock (one writer process there).
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None  # type: ignore[assignment]

log = logging.getLogger("zhenggai.audit")
sink_log = logging.getLogger("zhenggai.audit.checkpoint")

SCHEMA = "zhenggai.audit-checkpoint/1"
KINDS = ("auto", "manual", "purge")
#: How much of the end of the file ``append`` searches for a checkpoint of the same row.
TAIL_BYTES = 256 * 1024


class CheckpointError(Exception):
    pass


def checkpoint_path() -> Path:
    data_dir = Path(getattr(settings, "DATA_DIR", Path.cwd() / "var"))
    default = data_dir / "checkpoints" / "audit-checkpoints.jsonl"
    return Path(getattr(settings, "AUDIT_CHECKPOINT_FILE", None) or default)


def _hash_name(alg: str) -> str:
    from .chain import ALGORITHMS

    try:
        return ALGORITHMS[alg]
    except KeyError:
        raise CheckpointError(f"检查点算法未知：{alg}") from None


def sign(body: dict[str, Any], key: bytes) -> str:
    return crypto.hmac_digest(key, canonical_json(body), _hash_name(body["algorithm"])).hex()


def make(*, seq: int, mac: str, alg: str, count: int, kind: str, key: bytes) -> dict[str, Any]:
    body: dict[str, Any] = {
        "schema": SCHEMA,
        "kind": kind,
        "seq": seq,
        "mac": mac,
        "count": count,
        "time": utc_iso(timezone.now()),
        "algorithm": alg,
    }
    body["sig"] = sign(body, key)
    return body


@dataclass(frozen=True, slots=True)
class Checkpoint:
    line: int
    seq: int
    mac: str
    count: int
    time: str
    algorithm: str
    kind: str
    valid: bool
    problem: str = ""


def _parse(line_no: int, text: str, key: bytes) -> Checkpoint:
    try:
        doc = json.loads(text)
        seq, mac, sig = int(doc["seq"]), str(doc["mac"]), str(doc["sig"])
        body = {k: v for k, v in doc.items() if k != "sig"}
        alg = str(doc["algorithm"])
        ok = crypto.constant_time_equal(sign(body, key), sig)
        return Checkpoint(
            line_no,
            seq,
            mac,
            int(doc.get("count", 0)),
            str(doc.get("time", "")),
            alg,
            str(doc.get("kind", "")),
            ok,
            "" if ok else "签名不符（检查点被改动，或检查点密钥不对）",
        )
    except (ValueError, KeyError, TypeError, CheckpointError) as exc:
        return Checkpoint(line_no, -1, "", 0, "", "", "", False, f"无法解析：{exc}")


def read_all(path: Path | None = None, key: bytes | None = None) -> list[Checkpoint]:
    """Every checkpoint in the file, in file order (an empty list when there is no file)."""
    path = path or checkpoint_path()
    if not path.exists():
        return []
    key = key if key is not None else keys.checkpoint_key(create=False)
    out = []
    with path.open(encoding="utf-8") as f:
        for i, text in enumerate(f, 1):
            if text.strip():
                out.append(_parse(i, text, key))
    return out


@contextmanager
def _locked_append(path: Path) -> Iterator[Any]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o640)
    with os.fdopen(fd, "r+", encoding="utf-8") as f:
        if fcntl is not None:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield f
        finally:
            if fcntl is not None:
                fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def append(*, seq: int, mac: str, alg: str, count: int, kind: str) -> tuple[dict[str, Any], bool]:
    """Append a checkpoint unless one with the same ``seq`` and ``mac`` is already there.

    Returns ``(checkpoint, written)``. Raises ``CheckpointError`` when the file already holds a
    *different* MAC for this ``seq`` (the chain was rewritten since: never paper over that).
    """
    if kind not in KINDS:
        raise ValueError(kind)
    key = keys.checkpoint_key()
    path = checkpoint_path()
    with _locked_append(path) as f:
        # Only the tail is searched for a duplicate: new checkpoints are of recent rows, and a
        # security event may write one, so the cost must not grow with the file. A conflict
        # further back is still found by the verifier.
        size = os.fstat(f.fileno()).st_size
        start = max(0, size - TAIL_BYTES)
        tail = os.pread(f.fileno(), size - start, start).split(b"\n")
        if start > 0:
            tail = tail[1:]  # most likely a partial line
        for text in tail:
            if not text.strip():
                continue
            try:
                doc = json.loads(text)
            except ValueError:
                continue
            if doc.get("seq") == seq:
                if doc.get("mac") != mac:
                    raise CheckpointError(f"检查点文件中序号 {seq} 已有不同的 MAC：审计记录链可能被改写")
                # A purge needs its own anchor line; any other kind is satisfied by any line.
                if kind != "purge" or doc.get("kind") == "purge":
                    return doc, False
        cp = make(seq=seq, mac=mac, alg=alg, count=count, kind=kind, key=key)
        line = json.dumps(cp, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        f.seek(0, os.SEEK_END)
        f.write(line + "\n")
        f.flush()
        os.fsync(f.fileno())
    sink_log.info("%s", line)
    return cp, True


def older_than(seconds: int) -> bool:
    """Whether the last checkpoint (of any process) was written more than ``seconds`` ago, or never."""
    try:
        mtime = checkpoint_path().stat().st_mtime
    except FileNotFoundError:
        return True
    return time.time() - mtime >= seconds


def count_upto(seq: int, using: str | None = None) -> int:
    using = using or router.db_for_read(AuditEvent)
    return AuditEvent.objects.using(using).filter(seq__lte=seq).count()


def write_checkpoint_quietly(seq: int, mac: str, alg: str, *, kind: str, using: str) -> None:
    """The automatic checkpoint after a commit: a failing sink is logged loudly, never raised."""
    try:
        append(seq=seq, mac=mac, alg=alg, count=count_upto(seq, using), kind=kind)
    except Exception:
        log.exception("审计检查点写入失败（序号 %s）", seq)
