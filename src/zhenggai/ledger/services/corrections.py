"""Corrections of the findings tree and soft deletion: move, split, merge, delete, restore.

A wrong import must be correctable: the clerk reorders a category, issue or problem among its
siblings or moves it under another parent, splits a problem in two and merges two problems of
the same parent, and deletes a problem or a whole round. Deleting is soft (``SoftDeleted``): the
rows are marked with the reason, who and when, and one ``deleted_batch`` for everything that one
deletion hid (the node, its descendants and their measures), so a restore brings back exactly
that and not what was deleted on its own before.

Each service locks the round first (``_lock_round``), is audited and, once the plan is signed,
is recorded as an amendment the unit head signs again (``plan._amend``). A closed (已销号)
problem is neither deleted, split nor merged: its close-out is a record the supervisor made.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.db import transaction
from django.db.models import F, Max
from django.utils import timezone

from zhenggai.accounts.actors import Actor
from zhenggai.accounts.models import Sensitivity
from zhenggai.audit.models import AuditEvent
from zhenggai.audit.services import audit_change
from zhenggai.errors import Gone, InvalidInput, TransitionRefused

from ..models import (
    Finding,
    FindingKind,
    Measure,
    ProblemStatus,
    Round,
)
from ..policy import (
    EDIT_ROLES,
    KIND_RANK,
    require_cleared,
    require_role,
)
from ._common import _lock_round
from .plan import _amend

FINDING_GONE = "该问题已被删除（可能是他人在您打开页面后删除的），请返回本轮次页面刷新"
REASON_MAX = 500


def _name(f: Finding) -> str:
    """How a message names a finding: its number and title, as the document wrote them."""
    title = f.title if len(f.title) <= 40 else f.title[:40] + "…"
    return f"{f.number}{title}" if f.number else title


def _reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise InvalidInput("请写明删除原因", field="reason")
    if len(text) > REASON_MAX:
        raise InvalidInput(f"删除原因不能超过{REASON_MAX}字", field="reason")
    return text


def _locked_finding(actor: Actor, finding: Finding, what: str) -> tuple[Round, Finding]:
    """The round locked, then the finding re-read under a lock (``Gone`` if deleted meanwhile)."""
    require_role(actor, finding.unit, EDIT_ROLES, what)
    r = _lock_round(finding.round_id)
    f = Finding.objects.select_for_update().filter(pk=finding.pk, round=r).first()
    if f is None:
        raise Gone(FINDING_GONE)
    require_cleared(actor, f.sensitivity, what)
    return r, f


def _live_tree(round_id: int) -> list[Finding]:
    return list(Finding.objects.filter(round_id=round_id).order_by("position", "id"))


def _descendants(root: Finding, tree: Iterable[Finding]) -> list[Finding]:
    """``root`` and every live node under it (from ``tree``, the round's live findings)."""
    children: dict[int | None, list[Finding]] = defaultdict(list)
    for f in tree:
        children[f.parent_id].append(f)
    out = [root]
    i = 0
    while i < len(out):
        out.extend(children.get(out[i].pk, []))
        i += 1
    return out


def _renumber(round_id: int) -> None:
    """Give the round's live findings positions 1..n in document (pre-)order, siblings in their
    current order: the tree, the workbook and the documents all read findings by position."""
    tree = _live_tree(round_id)
    children: dict[int | None, list[Finding]] = defaultdict(list)
    ids = {f.pk for f in tree}
    for f in tree:
        children[f.parent_id if f.parent_id in ids else None].append(f)
    order: list[Finding] = []
    stack = list(reversed(children[None]))
    while stack:
        f = stack.pop()
        order.append(f)
        stack.extend(reversed(children.get(f.pk, [])))
    changed = []
    for pos, f in enumerate(order, 1):
        if f.position != pos:
            f.position = pos
            changed.append(f)
    if changed:
        Finding.objects.bulk_update(changed, ["position"], batch_size=500)


def _renumber_measures(finding_id: int) -> None:
    ms = list(Measure.objects.filter(finding_id=finding_id).order_by("position", "id"))
    changed = []
    for pos, m in enumerate(ms, 1):
        if m.position != pos:
            m.position = pos
            changed.append(m)
    if changed:
        Measure.objects.bulk_update(changed, ["position"], batch_size=500)


def _refuse_closed(nodes: Sequence[Finding], what: str) -> None:
    closed = [n for n in nodes if n.status == ProblemStatus.CLOSED]
    if closed:
        raise TransitionRefused(
            f"问题“{_name(closed[0])}”已销号，不能{what}。如确属错误，请先由监督人员重新打开该问题"
        )


def _check_measures_cleared(actor: Actor, finding_ids: Sequence[int], what: str) -> None:
    labels = set(Measure.objects.filter(finding_id__in=finding_ids).values_list("sensitivity", flat=True))
    for label in labels:
        require_cleared(actor, label, what)


# --- order and place ------------------------------------------------------------------------------


def _check_parent(f: Finding, parent: Finding | None, tree: Sequence[Finding]) -> None:
    """A node goes under a node of a higher level of the same round (category › issue ›
    problem); only a category stands at the top; never under itself or its own descendant."""
    if parent is None:
        if f.kind != FindingKind.CATEGORY:
            raise InvalidInput(
                f"“{f.get_kind_display()}”不能作为顶层，请选择所属的问题类别或问题", field="parent"
            )
        return
    if parent.round_id != f.round_id:
        raise InvalidInput("目标上级不属于本轮次", field="parent")
    if parent.pk in {n.pk for n in _descendants(f, tree)}:
        raise InvalidInput("不能移动到自身或其下级之下", field="parent")
    if KIND_RANK[parent.kind] >= KIND_RANK[f.kind]:
        raise InvalidInput(
            f"“{f.get_kind_display()}”不能放在“{parent.get_kind_display()}”之下，请选择更高一级的节点",
            field="parent",
        )


@transaction.atomic
def finding_move(
    *,
    actor: Actor,
    finding: Finding,
    direction: str = "",
    parent: Finding | None = None,
    to_top: bool = False,
) -> Finding:
    """Move a category, issue or problem up or down among its siblings (``direction``), or under
    another parent of the same round (``parent``; ``to_top`` for a category at the top level),
    at the end of its new siblings. A node moved under a parent labelled higher takes that label
    (安全标记 never below the parent's), with its descendants and measures kept consistent."""
    r, f = _locked_finding(actor, finding, "调整问题位置")
    tree = _live_tree(r.pk)
    by_pk = {n.pk: n for n in tree}
    if direction:
        if direction not in ("up", "down"):
            raise InvalidInput("方向不正确", field="direction")
        siblings = [n for n in tree if n.parent_id == f.parent_id]
        idx = next(i for i, n in enumerate(siblings) if n.pk == f.pk)
        j = idx - 1 if direction == "up" else idx + 1
        if not 0 <= j < len(siblings):
            raise TransitionRefused("已在最前" if direction == "up" else "已在最后")
        other = siblings[j]
        # Swap the two in the round's order; ``_renumber`` then makes the order whole again.
        by_pk[f.pk].position, by_pk[other.pk].position = other.position, f.position
        if by_pk[f.pk].position == by_pk[other.pk].position:
            by_pk[f.pk].position += -1 if direction == "up" else 1
        Finding.objects.bulk_update([by_pk[f.pk], by_pk[other.pk]], ["position"])
        _renumber(r.pk)
        f.refresh_from_db(fields=["position"])
        before, after = {"position": idx + 1}, {"direction": direction, "position": j + 1}
        audit_change(actor, "finding.move", f, before=before, after=after)
        _amend(actor, r, None, "调整问题顺序", {"finding": f.pk, **before}, {"finding": f.pk, **after})
        return f
    if parent is None and not to_top:
        raise InvalidInput("请选择要移动到的上级", field="parent")
    target: Finding | None = None
    if parent is not None:
        target = by_pk.get(parent.pk)
        if target is None:
            raise InvalidInput("目标上级不存在或已被删除", field="parent")
        require_cleared(actor, target.sensitivity, "调整问题位置")
    _check_parent(f, target, tree)
    old_parent = f.parent_id
    if old_parent == (target.pk if target else None):
        return f
    subtree = _descendants(f, tree)
    f.parent = target
    # At the end of the new siblings: after the last node of the new parent's subtree.
    if target is not None:
        last = max(n.position for n in _descendants(target, tree))
    else:
        last = max((n.position for n in tree), default=0)
    f.position = last + 1
    f.save(update_fields=["parent", "position"])
    raised = []
    if target is not None:
        for n in subtree:
            label = Sensitivity.highest(n.sensitivity, target.sensitivity)
            if label != n.sensitivity:
                Finding.objects.filter(pk=n.pk).update(sensitivity=label)
                raised.append(n.pk)
    _renumber(r.pk)
    was: dict[str, Any] = {"parent": old_parent}
    now: dict[str, Any] = {"parent": target.pk if target else None}
    if raised:
        now["raised_labels"] = raised
    audit_change(actor, "finding.move", f, before=was, after=now)
    _amend(actor, r, None, "移动问题", {"finding": f.pk, **was}, {"finding": f.pk, **now})
    return f


# --- split and merge ------------------------------------------------------------------------------


@transaction.atomic
def finding_split(
    *,
    actor: Actor,
    finding: Finding,
    title: str,
    number: str = "",
    description: str = "",
    measure_ids: Sequence[int] = (),
) -> Finding:
    """Split a problem in two: a new problem right after it, under the same parent, with
    ``title``, and the measures the clerk chose (``measure_ids``) moved to it with their
    progress and evidence. The new problem is labelled as the old one and points at the same
    place of the source document. Returns the new problem."""
    r, f = _locked_finding(actor, finding, "拆分问题")
    if f.kind != FindingKind.PROBLEM:
        raise InvalidInput("只有具体问题可以拆分", field="title")
    _refuse_closed([f], "拆分")
    title = (title or "").strip()[:500]
    if not title:
        raise InvalidInput("请填写拆分出的新问题的标题", field="title")
    own = list(Measure.objects.select_for_update().filter(finding=f).order_by("position", "id"))
    own_ids = {m.pk for m in own}
    chosen = [int(i) for i in dict.fromkeys(measure_ids)]
    stray = [i for i in chosen if i not in own_ids]
    if stray:
        raise InvalidInput("所选措施不属于该问题（可能已被移动或删除），请刷新后重新选择", field="measures")
    _check_measures_cleared(actor, [f.pk], "拆分问题")
    new = Finding(
        round=r,
        unit=r.unit,
        parent=f.parent,
        kind=FindingKind.PROBLEM,
        number=(number or "").strip()[:20],
        title=title,
        description=(description or "").strip(),
        position=f.position,  # right after ``f`` once renumbered (same position, higher id)
        sensitivity=f.sensitivity,
        source=f.source,
        span_start=f.span_start,
        span_end=f.span_end,
    )
    new.full_clean()
    new.save()
    if chosen:
        moved = [m for m in own if m.pk in set(chosen)]
        for pos, m in enumerate(moved, 1):
            m.finding = new
            m.position = pos
            m.version += 1
        Measure.objects.bulk_update(moved, ["finding", "position", "version"])
        Measure.objects.filter(pk__in=chosen).update(updated_at=timezone.now())
        _renumber_measures(f.pk)
    _renumber(r.pk)
    new.refresh_from_db(fields=["position"])
    audit_change(
        actor, "finding.create", new, after={"title": new.title, "kind": new.kind, "split_from": f.pk}
    )
    after = {"new": new.pk, "title": new.title, "measures": chosen}
    audit_change(actor, "finding.split", f, before={"title": f.title}, after=after)
    _amend(actor, r, None, "拆分问题", {"finding": f.pk, "title": f.title}, {"finding": f.pk, **after})
    return new


@transaction.atomic
def finding_merge(*, actor: Actor, finding: Finding, other: Finding) -> Finding:
    """Merge ``other`` into ``finding`` (two problems of the same parent): ``other``'s measures,
    with their progress and evidence, move to the end of ``finding``'s; its description is
    added to ``finding``'s; ``other`` is deleted (restorable) with the reason "合并至…".
    A measure keeps at least the label it had under ``other`` (安全标记 never lowered)."""
    r, f = _locked_finding(actor, finding, "合并问题")
    o = Finding.objects.select_for_update().filter(pk=other.pk, round=r).first()
    if o is None:
        raise Gone(FINDING_GONE)
    require_cleared(actor, o.sensitivity, "合并问题")
    if o.pk == f.pk:
        raise InvalidInput("请选择另一个问题", field="other")
    if f.kind != FindingKind.PROBLEM or o.kind != FindingKind.PROBLEM:
        raise InvalidInput("只有具体问题可以合并", field="other")
    if o.parent_id != f.parent_id:
        raise InvalidInput("只能合并同一上级下的两个问题", field="other")
    _refuse_closed([f, o], "合并")
    if Finding.objects.filter(parent=o).exists():
        raise InvalidInput(f"问题“{_name(o)}”下还有下级问题，不能合并", field="other")
    _check_measures_cleared(actor, [f.pk, o.pk], "合并问题")
    moved = list(Measure.objects.select_for_update().filter(finding=o).order_by("position", "id"))
    last = Measure.objects.filter(finding=f).aggregate(m=Max("position"))["m"] or 0
    for i, m in enumerate(moved, 1):
        m.finding = f
        m.position = last + i
        m.version += 1
        m.sensitivity = Sensitivity.highest(m.sensitivity, o.sensitivity)
    if moved:
        Measure.objects.bulk_update(moved, ["finding", "position", "version", "sensitivity"])
        Measure.objects.filter(pk__in=[m.pk for m in moved]).update(updated_at=timezone.now())
    desc_before = f.description
    extra = o.description.strip()
    if extra and extra not in f.description:
        f.description = f"{f.description.rstrip()}\n{extra}".strip()
        f.save(update_fields=["description"])
    reason = f"合并至“{_name(f)}”"
    batch = _mark(actor, [o], [], reason)
    _renumber(r.pk)
    after = {"merged": o.pk, "title": o.title, "measures": [m.pk for m in moved], "batch": batch}
    audit_change(actor, "finding.merge", f, before={"description": desc_before}, after=after)
    audit_change(
        actor, "finding.delete", o, before={"title": o.title}, after={"reason": reason, "batch": batch}
    )
    _amend(
        actor,
        r,
        None,
        "合并问题",
        {"finding": f.pk, "merged": o.pk, "title": o.title},
        {"finding": f.pk, **after},
    )
    return f


# --- soft delete and restore ----------------------------------------------------------------------


def _mark(actor: Actor, findings: Sequence[Finding], measure_finding_ids: Sequence[int], reason: str) -> str:
    """Mark ``findings`` and the measures of ``measure_finding_ids`` deleted, as one batch."""
    batch = uuid.uuid4().hex
    values = {
        "deleted_at": timezone.now(),
        "deleted_by": actor,
        "deleted_reason": reason[:REASON_MAX],
        "deleted_batch": batch,
    }
    Finding.objects.filter(pk__in=[f.pk for f in findings]).update(**values)
    if measure_finding_ids:
        Measure.objects.filter(finding_id__in=list(measure_finding_ids)).update(**values)
    return batch


_CLEARED = {"deleted_at": None, "deleted_by": None, "deleted_reason": "", "deleted_batch": ""}


@transaction.atomic
def finding_delete(*, actor: Actor, finding: Finding, reason: str) -> str:
    """Delete a category, issue or problem with everything under it and their measures (soft:
    restorable by ``finding_restore``); ``reason`` is required. Refused when a problem in it is
    closed (已销号). Returns the deletion's batch."""
    why = _reason(reason)
    r, f = _locked_finding(actor, finding, "删除问题")
    nodes = _descendants(f, _live_tree(r.pk))
    _refuse_closed(nodes, "删除")
    for label in {n.sensitivity for n in nodes}:
        require_cleared(actor, label, "删除问题")
    ids = [n.pk for n in nodes]
    _check_measures_cleared(actor, ids, "删除问题")
    measures = Measure.objects.filter(finding_id__in=ids).count()
    batch = _mark(actor, nodes, ids, why)
    _renumber(r.pk)
    before = {"title": f.title, "kind": f.kind, "number": f.number}
    after = {"reason": why, "batch": batch, "findings": len(ids), "measures": measures}
    audit_change(actor, "finding.delete", f, before=before, after=after)
    _amend(
        actor, r, None, "删除问题", {"finding": f.pk, "title": f.title, "measures": measures}, {"reason": why}
    )
    return batch


@transaction.atomic
def finding_restore(*, actor: Actor, finding: Finding) -> Finding:
    """Bring back a deleted category, issue or problem with exactly what its deletion hid (the
    same ``deleted_batch``): what was deleted on its own before stays deleted. Refused while
    its parent is deleted (restore the parent first)."""
    require_role(actor, finding.unit, EDIT_ROLES, "恢复问题")
    r = _lock_round(finding.round_id)
    f = Finding.everything.select_for_update().filter(pk=finding.pk, round=r).first()
    if f is None:
        raise Gone("未找到该问题")
    require_cleared(actor, f.sensitivity, "恢复问题")
    if f.deleted_at is None:
        raise TransitionRefused("该问题未被删除（可能已由他人恢复），请刷新")
    if f.parent_id is not None:
        parent = Finding.everything.get(pk=f.parent_id)
        if parent.deleted_at is not None:
            raise TransitionRefused(f"其上级“{_name(parent)}”也已删除，请先恢复上级")
    batch = f.deleted_batch
    before = {"reason": f.deleted_reason, "batch": batch, "deleted_at": f.deleted_at}
    findings = Finding.everything.filter(round=r, deleted_batch=batch).update(**_CLEARED)
    measures = Measure.everything.filter(round=r, deleted_batch=batch).update(**_CLEARED)
    _renumber(r.pk)
    f = Finding.objects.get(pk=f.pk)
    after = {"findings": findings, "measures": measures}
    audit_change(actor, "finding.restore", f, before=before, after=after)
    _amend(actor, r, None, "恢复问题", {"finding": f.pk}, {"finding": f.pk, "title": f.title, **after})
    return f


@transaction.atomic
def round_delete(*, actor: Actor, round: Round, reason: str) -> str:
    """Delete a whole round with its findings and measures (soft: ``round_restore`` brings them
    back); ``reason`` is required. Refused when a problem of it is closed (已销号). The file's
    digest is set aside, so the same document may be imported again as a new round; the
    restore puts it back. Returns the deletion's batch."""
    why = _reason(reason)
    require_role(actor, round.unit, EDIT_ROLES, "删除巡察轮次")
    r = _lock_round(round.pk)
    _refuse_closed(list(Finding.objects.filter(round=r, status=ProblemStatus.CLOSED)[:1]), "删除本轮次")
    # A round published on the public site stays: its published versions are a public record
    # (the disclosure app's rows; the ledger reads them by their reverse name, never imports them).
    publication = getattr(r, "publication", None)
    if publication is not None and publication.versions.filter(status="published").exists():
        raise TransitionRefused("该轮次已在公开网站发布，不能删除。如需更正，请发布更正版本。")
    findings = list(Finding.objects.filter(round=r))
    for label in {f.sensitivity for f in findings}:
        require_cleared(actor, label, "删除巡察轮次")
    _check_measures_cleared(actor, [f.pk for f in findings], "删除巡察轮次")
    batch = uuid.uuid4().hex
    now = timezone.now()
    values = {"deleted_at": now, "deleted_by": actor, "deleted_reason": why, "deleted_batch": batch}
    n_findings = Finding.objects.filter(round=r).update(**values)
    n_measures = Measure.objects.filter(round=r).update(**values)
    # The same file may be imported afresh once this round is deleted (the digest is unique
    # per unit among all rounds): set it aside in the audit event, ``round_restore`` reads it back.
    sha = r.source_sha256
    Round.everything.filter(pk=r.pk).update(source_sha256="", **values)
    before = {"title": r.title, "source_sha256": sha}
    after = {"reason": why, "batch": batch, "findings": n_findings, "measures": n_measures}
    audit_change(actor, "round.delete", r, before=before, after=after)
    _amend(actor, r, None, "删除巡察轮次", {"round": r.pk, "title": r.title}, {"reason": why})
    return batch


@transaction.atomic
def round_restore(*, actor: Actor, round: Round) -> Round:
    """Bring back a deleted round with exactly what its deletion hid (findings or measures
    deleted on their own before stay deleted, in the round's 已删除 list)."""
    require_role(actor, round.unit, EDIT_ROLES, "恢复巡察轮次")
    r = Round.everything.select_for_update(of=("self",)).select_related("unit").filter(pk=round.pk).first()
    if r is None:
        raise Gone("未找到该巡察轮次")
    if r.deleted_at is None:
        raise TransitionRefused("该巡察轮次未被删除（可能已由他人恢复），请刷新")
    batch = r.deleted_batch
    before = {"reason": r.deleted_reason, "batch": batch, "deleted_at": r.deleted_at}
    deletion = (
        AuditEvent.objects.filter(
            object_type="round", object_id=str(r.pk), action="round.delete", outcome="ok"
        )
        .order_by("-pk")
        .first()
    )
    sha = str((deletion.before or {}).get("source_sha256") or "") if deletion is not None else ""
    # Imported again since: the restored round does not claim the file a second time.
    if sha and Round.objects.filter(unit=r.unit, source_sha256=sha).exists():
        sha = ""
    n_findings = Finding.everything.filter(round=r, deleted_batch=batch).update(**_CLEARED)
    n_measures = Measure.everything.filter(round=r, deleted_batch=batch).update(**_CLEARED)
    Round.everything.filter(pk=r.pk).update(source_sha256=sha or F("source_sha256"), **_CLEARED)
    r = Round.objects.select_related("unit").get(pk=r.pk)
    _renumber(r.pk)
    after = {"findings": n_findings, "measures": n_measures, "source_sha256": sha}
    audit_change(actor, "round.restore", r, before=before, after=after)
    _amend(actor, r, None, "恢复巡察轮次", {"round": r.pk}, {"round": r.pk, **after})
    return r
