"""Every write to the ledger: keyword-only, atomic, validated, audited; one module per stage.

``rounds`` (rounds and findings), ``plan`` (measures, the signature and amendments),
``tracking`` (progress, submission, review), ``closure`` (close-out, send-back, reopen) and
``labels`` (安全标记), ``corrections`` (the findings tree moved, split, merged; soft delete
and restore of a problem or a round); ``evidence`` opens a file, checked and recorded. Who may do what from
which state is ``zhenggai.ledger.policy``.
Callers import from here: ``from zhenggai.ledger import services``.
"""

from __future__ import annotations

from ..policy import (
    ACTION_ZH,
    EDIT_ROLES,
    LABEL_ROLES,
    REVIEW_ROLES,
    SIGN_ROLES,
    SUPERVISE_ROLES,
    TRANSITIONS,
    can,
)
from ._common import (
    MEASURE_GONE,
    add_months,
    record_refusal,
)
from .batch import MeasureBatch
from .closure import (
    finding_close,
    finding_reopen,
    finding_send_back,
)
from .corrections import (
    finding_delete,
    finding_merge,
    finding_move,
    finding_restore,
    finding_split,
    round_delete,
    round_restore,
)
from .evidence import (
    EvidenceDamaged,
    OpenedEvidence,
    evidence_open,
)
from .labels import (
    Relabelled,
    finding_set_sensitivity,
    measure_set_sensitivity,
    round_label_public,
)
from .plan import (
    DEADLINE_MAX_YEARS,
    check_deadline,
    deadline_bounds,
    deadline_late,
    deadline_warnings,
    measure_accept_suggestion,
    measure_assign_bulk,
    measure_create,
    measure_delete,
    measure_move,
    measure_split,
    measure_update,
    plan_digest,
    plan_sign,
    require_deadline,
)
from .rounds import (
    ROUND_FIELDS,
    finding_create,
    finding_update,
    round_create,
    round_update,
)
from .tracking import (
    measure_leader_review,
    measure_review,
    measure_submit,
    progress_add,
)

__all__ = [
    "ACTION_ZH",
    "DEADLINE_MAX_YEARS",
    "EDIT_ROLES",
    "LABEL_ROLES",
    "MEASURE_GONE",
    "REVIEW_ROLES",
    "ROUND_FIELDS",
    "SIGN_ROLES",
    "SUPERVISE_ROLES",
    "TRANSITIONS",
    "EvidenceDamaged",
    "MeasureBatch",
    "OpenedEvidence",
    "Relabelled",
    "add_months",
    "can",
    "check_deadline",
    "deadline_bounds",
    "deadline_late",
    "deadline_warnings",
    "evidence_open",
    "finding_close",
    "finding_create",
    "finding_delete",
    "finding_merge",
    "finding_move",
    "finding_reopen",
    "finding_restore",
    "finding_send_back",
    "finding_set_sensitivity",
    "finding_split",
    "finding_update",
    "measure_accept_suggestion",
    "measure_assign_bulk",
    "measure_create",
    "measure_delete",
    "measure_leader_review",
    "measure_move",
    "measure_review",
    "measure_set_sensitivity",
    "measure_split",
    "measure_submit",
    "measure_update",
    "plan_digest",
    "plan_sign",
    "progress_add",
    "record_refusal",
    "require_deadline",
    "round_create",
    "round_delete",
    "round_label_public",
    "round_restore",
    "round_update",
]
