"""The ledger's half of evidence: its ``Evidence`` rows name blobs of ``zhenggai.evidence.store``.

A blob is removed when the last row that names it is deleted, after the deleting transaction
commits, so a rolled-back deletion never loses a file.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models.signals import post_delete

from zhenggai.evidence import store

from .models import Evidence


def delete_evidence(evidence: Evidence) -> None:
    """Delete one Evidence row; its blob goes when the last row naming it is gone (REQ-1.16).

    The storage half of a deletion: a service that offers deleting evidence checks
    permissions and writes the audit event, then calls this inside its transaction.
    """
    with transaction.atomic():
        evidence.delete()  # the post-delete hook schedules ``release`` for after the commit


def _on_evidence_deleted(sender: Any, instance: Evidence, using: str, **kwargs: Any) -> None:
    name = instance.storage_name
    transaction.on_commit(lambda: store.release([name]), using=using)


def connect() -> None:
    """At start-up: the store learns which rows name its blobs, and every deletion of
    Evidence rows, direct or by cascade, releases their blobs after the commit."""
    store.register_rows(Evidence)
    post_delete.connect(_on_evidence_deleted, sender=Evidence, dispatch_uid="zhenggai.evidence.release")
