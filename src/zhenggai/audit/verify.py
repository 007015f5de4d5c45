"""Recompute the chain and compare it with the external checkpoints; stop at the first bad row.

What is checked, in ``seq`` order:

1. the first row is ``seq`` 1 linked to the genesis value, or — after a purge — it is linked
   to a signed checkpoint at ``seq - 1`` (the anchor written at the cut);
2. every next row has the next ``seq`` (a deleted row shows as a gap at its ``seq``);
3. ``prev_mac`` equals the previous row's ``mac`` (a reordered or inserted row breaks this);
4. the recomputed ``mac`` equals the stored one (an edited field, a forged row or a chain
   recomputed with another key fails here — at row 1 for the wrong key);
5. every checkpoint whose ``seq`` is in the table has the row's ``mac`` (a chain recomputed
   with the right key still differs from the checkpoints written before);
6. no checkpoint lies beyond the last row (a truncated tail), and every checkpoint line
   carries a valid signature;
7. the head log (``headlog.py``, written after every commit) carries valid signatures, its
   highest head is not beyond the last row (the events after the last checkpoint were
   deleted: "N 条事件在最后检查点之后，未锚定") and its MAC is the row's.

Rows after the last checkpoint that no head line covers are reported as a warning.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from django.db import connections, router

from . import appendonly, headlog, keys
from . import checkpoints as cps
from .chain import ALGORITHMS, GENESIS, ChainConfigError, compute_mac, record_of
from .models import AuditEvent

CHUNK = 2000


@dataclass
class Problem:
    #: The sequence number where the chain breaks (for a gap: the missing number).
    seq: int | None
    #: The database id of the row where it was seen (None when the row is missing).
    row_id: int | None
    code: str
    message: str


@dataclass
class Result:
    ok: bool = True
    rows: int = 0
    first_seq: int | None = None
    last_seq: int | None = None
    checkpoints_total: int = 0
    checkpoints_checked: int = 0
    anchored_at: int | None = None
    head_seq: int | None = None
    problem: Problem | None = None
    warnings: list[str] = field(default_factory=list)

    def fail(self, seq: int | None, row_id: int | None, code: str, message: str) -> Result:
        self.ok = False
        self.problem = Problem(seq, row_id, code, message)
        return self

    def as_json(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["schema"] = "zhenggai.audit-verify/1"
        return doc


def verify_chain(
    *,
    using: str | None = None,
    key: bytes | None = None,
    checkpoints: list[cps.Checkpoint] | None = None,
) -> Result:
    """Verify the whole audit table. Raises ``keys.AuditKeyError`` when a needed key is unusable."""
    using = using or router.db_for_read(AuditEvent)
    res = Result()
    if checkpoints is None:
        checkpoints = cps.read_all()
    res.checkpoints_total = len(checkpoints)
    conn = connections[using]
    missing = appendonly.missing_triggers(conn)
    if missing:
        res.warnings.append("审计表缺少只追加触发器：" + "、".join(sorted(missing)))
    if appendonly.open_bypass(conn):
        res.warnings.append("审计表的维护开关处于打开状态（audit_maintenance 表中有记录）")

    for cp in checkpoints:
        if not cp.valid:
            return res.fail(
                cp.seq if cp.seq >= 0 else None,
                None,
                "checkpoint-invalid",
                f"检查点第 {cp.line} 行{cp.problem}",
            )
    by_seq: dict[int, cps.Checkpoint] = {}
    for cp in checkpoints:
        other = by_seq.get(cp.seq)
        if other is not None and other.mac != cp.mac:
            return res.fail(
                cp.seq,
                None,
                "checkpoint-conflict",
                f"检查点第 {other.line} 行与第 {cp.line} 行对序号 {cp.seq} 给出不同的 MAC",
            )
        by_seq[cp.seq] = cp
    # Only a checkpoint written by the purge at its cut may stand in for the rows before it.
    purge_at = {cp.seq: cp for cp in checkpoints if cp.kind == "purge"}

    heads = headlog.read()
    if heads.invalid is not None:
        line, why = heads.invalid
        return res.fail(None, None, "head-invalid", f"链头记录第 {line} 行{why}")
    recorded = heads.highest
    res.head_seq = recorded.seq if recorded else None

    qs = AuditEvent.objects.using(using).order_by("seq")
    if not qs.exists():
        if recorded is not None and recorded.seq > 0:
            return res.fail(1, None, "truncated", _unanchored(recorded, 0, checkpoints))
        if checkpoints:
            last = max(checkpoints, key=lambda c: c.seq)
            return res.fail(
                1, None, "truncated", f"审计表为空，但检查点（{last.time}）记录到序号 {last.seq}：记录被删除"
            )
        return res
    if key is None:
        key = keys.chain_key(create=False)

    prev_seq: int | None = None
    prev_mac = ""
    for row in qs.iterator(chunk_size=CHUNK):
        if prev_seq is None:
            res.first_seq = row.seq
            if row.seq == 1:
                if row.prev_mac != GENESIS:
                    return res.fail(
                        row.seq, row.pk, "prev-mac", "第一条记录没有链接到起点（prev_mac 不是全零）"
                    )
            else:
                anchor = purge_at.get(row.seq - 1)
                if anchor is None:
                    return res.fail(
                        row.seq - 1 if row.seq > 1 else row.seq,
                        row.pk,
                        "unanchored",
                        f"记录从序号 {row.seq} 开始，但没有序号 {row.seq - 1} 的归档检查点可作起点："
                        "前面的记录被删除，或归档检查点丢失",
                    )
                if anchor.mac != row.prev_mac:
                    return res.fail(
                        row.seq,
                        row.pk,
                        "prev-mac",
                        f"与序号 {anchor.seq} 的归档检查点（{anchor.time}）不衔接",
                    )
                res.anchored_at = anchor.seq
                res.checkpoints_checked += 1
        else:
            expected = prev_seq + 1
            if row.seq != expected:
                return res.fail(
                    expected,
                    None,
                    "gap",
                    f"缺少序号 {expected}（下一条是序号 {row.seq}，id {row.pk}）：记录被删除",
                )
            if row.prev_mac != prev_mac:
                return res.fail(
                    row.seq, row.pk, "prev-mac", "prev_mac 与上一条记录的 MAC 不一致：记录被插入或调换"
                )
        if row.alg not in ALGORITHMS:
            return res.fail(row.seq, row.pk, "algorithm", f"未知的算法“{row.alg}”")
        try:
            mac = compute_mac(key, row.alg, row.prev_mac, row.seq, record_of(row))
        except (ChainConfigError, TypeError, ValueError) as exc:
            return res.fail(row.seq, row.pk, "unreadable", f"无法重算 MAC：{exc}")
        if mac != row.mac:
            return res.fail(row.seq, row.pk, "mac", "MAC 不符：记录内容被改动、伪造，或密钥不对")
        sealed = by_seq.get(row.seq)
        if sealed is not None:
            if sealed.mac != row.mac:
                return res.fail(
                    row.seq,
                    row.pk,
                    "checkpoint",
                    f"与检查点（{sealed.time}，第 {sealed.line} 行）不符：记录链在检查点之后被重写",
                )
            res.checkpoints_checked += 1
        if recorded is not None and row.seq == recorded.seq and recorded.mac != row.mac:
            return res.fail(
                row.seq,
                row.pk,
                "head",
                f"与库外的链头记录（{recorded.time}，第 {recorded.line} 行）不符：记录链在写入之后被重写",
            )
        res.rows += 1
        prev_seq, prev_mac = row.seq, row.mac

    res.last_seq = prev_seq
    beyond = [cp for cp in checkpoints if prev_seq is not None and cp.seq > prev_seq]
    if beyond and prev_seq is not None:
        last = max(beyond, key=lambda c: c.seq)
        return res.fail(
            prev_seq + 1,
            None,
            "truncated",
            f"记录到序号 {prev_seq} 为止，但检查点（{last.time}）记录到序号 {last.seq}：末尾的记录被删除",
        )
    if recorded is not None and prev_seq is not None and recorded.seq > prev_seq:
        return res.fail(prev_seq + 1, None, "truncated", _unanchored(recorded, prev_seq, checkpoints))
    anchored = max([cp.seq for cp in checkpoints] + [recorded.seq if recorded else 0])
    if prev_seq is not None and prev_seq > anchored:
        res.warnings.append(
            f"{prev_seq - anchored} 条事件在最后检查点之后，未锚定"
            "（库外没有它们的链头记录：末尾被删除将无法发现）"
        )
    if not checkpoints:
        res.warnings.append(
            "没有检查点：无法发现整条链被重算或末尾被截断（请定期运行 zhenggai audit-checkpoint）"
        )
    return res


def _unanchored(recorded: headlog.HeadRecord, last: int, checkpoints: list[cps.Checkpoint]) -> str:
    missing = recorded.seq - last
    last_cp = max((cp.seq for cp in checkpoints), default=0)
    table = f"审计表只到序号 {last}" if last else "审计表为空"
    return (
        f"{missing} 条事件在最后检查点之后，未锚定：库外的链头记录（{recorded.time}）到序号 {recorded.seq}，"
        f"{table}（最后检查点为序号 {last_cp}）：末尾的记录被删除"
    )


def describe(res: Result) -> str:
    """One line in Chinese for people."""
    if res.ok:
        if res.rows == 0:
            return "审计记录为空，无需核验"
        span = f"序号 {res.first_seq}–{res.last_seq}"
        anchor = f"，起点为序号 {res.anchored_at} 的归档检查点" if res.anchored_at else ""
        return (
            f"审计记录链完整：{res.rows} 条记录（{span}{anchor}），"
            f"核对检查点 {res.checkpoints_checked}/{res.checkpoints_total} 个"
        )
    p = res.problem
    assert p is not None  # noqa: S101  for the type checker: a failed result has its problem
    where = f"序号 {p.seq}" if p.seq is not None else "检查点"
    if p.row_id is not None:
        where += f"（id {p.row_id}）"
    return f"审计记录链核验失败：{where}：{p.message}"
