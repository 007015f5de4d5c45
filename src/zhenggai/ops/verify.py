"""Evidence verification: every stored file re-hashed against the digest recorded at upload (REQ-1.17)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import QuerySet

from zhenggai.evidence.store import blob_digests

if TYPE_CHECKING:
    from zhenggai.ledger.models import Evidence


@dataclass(frozen=True, slots=True)
class EvidenceProblem:
    evidence_id: int
    name: str
    digest: str  # "algorithm:hex" as recorded
    problem: str  # "missing" | "changed"
    actual: str = ""  # "algorithm:hex" of the bytes found, when changed

    def line(self) -> str:
        what = "文件缺失" if self.problem == "missing" else f"内容已改变（现为 {self.actual}）"
        return f"佐证材料 #{self.evidence_id}「{self.name}」{self.digest}：{what}"

    def as_json(self) -> dict[str, object]:
        return {
            "id": self.evidence_id,
            "name": self.name,
            "digest": self.digest,
            "problem": self.problem,
            "actual": self.actual or None,
        }


@dataclass(slots=True)
class EvidenceReport:
    rows: int = 0
    blobs: int = 0
    problems: list[EvidenceProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def _blob_state(name: str, algorithm: str) -> tuple[str, dict[str, str], int]:
    """("ok"|"missing"|"changed", digests found, size found) of one blob."""
    try:  # through the storage: a folder or an object store
        digests, size = blob_digests(name, {algorithm, "sha256"})
    except (FileNotFoundError, NotADirectoryError, ValueError):
        return "missing", {}, -1
    return ("ok" if digests[algorithm] == name else "changed"), digests, size


def verify_evidence(queryset: QuerySet[Evidence] | None = None) -> EvidenceReport:
    """Re-hash every blob named by an Evidence row (each blob once); report each row whose file is bad.

    A row is bad when its file is missing, or its bytes no longer have the recorded digest,
    SHA-256 or size. A verification of every row (no ``queryset``) is recorded as
    ``evidence.verify`` with its counts and the first problems.
    """
    from zhenggai.ledger.models import Evidence

    qs = queryset if queryset is not None else Evidence.objects.all()
    rows: Iterator[tuple[int, str, str, str, str, int]] = (
        qs.order_by("pk")
        .values_list("pk", "original_name", "storage_name", "algorithm", "sha256", "size")
        .iterator()
    )
    seen: dict[tuple[str, str], tuple[str, dict[str, str], int]] = {}
    report = EvidenceReport()
    for pk, original, name, algorithm, sha256, size in rows:
        report.rows += 1
        key = (name, algorithm)
        if key not in seen:
            seen[key] = _blob_state(name, algorithm)
        state, digests, found_size = seen[key]
        recorded = f"{algorithm}:{name}"
        if state == "missing":
            report.problems.append(EvidenceProblem(pk, original, recorded, "missing"))
        elif state == "changed" or digests["sha256"] != sha256 or found_size != size:
            actual = f"{algorithm}:{digests[algorithm]}"
            report.problems.append(EvidenceProblem(pk, original, recorded, "changed", actual))
    report.blobs = len(seen)
    if queryset is None:
        _record(report)
    return report


def _record(report: EvidenceReport) -> None:
    """A full verification is an operation of its own (evidence.verify): who ran it is the command."""
    from zhenggai.audit.services import audit_record

    audit_record(
        actor=None,
        action="evidence.verify",
        outcome="ok" if report.ok else "failed",
        after={
            "rows": report.rows,
            "blobs": report.blobs,
            "problems": [p.as_json() for p in report.problems[:50]],
        },
    )
