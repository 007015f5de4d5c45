"""Audit events: one append-only row per event, linked into a keyed hash chain.

Each row carries a gap-free ``seq`` (1, 2, 3 …), the ``mac`` of the row before it
(``prev_mac``) and its own ``mac = HMAC-<alg>(K, prev_mac || seq || canonical(record))``
(see ``chain.py``). The database refuses UPDATE and DELETE on this table (triggers, see
``appendonly.py`` and migration 0004); only the retention job removes old rows, in a
controlled way.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    # Set by the chain under its lock (not auto_now_add: the MAC is computed before the insert).
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # PROTECT: an audit row is never rewritten, so an account with events cannot be deleted
    # (disable it instead); SET_NULL would be an UPDATE the triggers refuse anyway.
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_name = models.CharField(max_length=150, blank=True)
    unit_id_ref = models.BigIntegerField(null=True, blank=True, db_index=True)
    action = models.CharField(max_length=60, db_index=True)
    object_type = models.CharField(max_length=40, blank=True)
    object_id = models.CharField(max_length=40, blank=True)
    outcome = models.CharField(max_length=10, default="ok")
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=40, blank=True)
    address = models.CharField(max_length=64, blank=True)
    # The chain.
    seq = models.BigIntegerField(unique=True)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)
    alg = models.CharField(max_length=16)
    schema = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["seq"]
        indexes = [models.Index(fields=["object_type", "object_id"])]
        verbose_name = "审计记录"
        verbose_name_plural = "审计记录"

    def __str__(self) -> str:
        when = f"{self.created_at:%Y-%m-%d %H:%M}"
        return f"#{self.seq} {when} {self.actor_name} {self.action} {self.object_type}#{self.object_id}"


class ProbeWindow(models.Model):
    """The 403 and 404 answers one logged-in account received in the current window.

    One row per account, updated in place (``audit.probes``): repeated probing is recorded as
    a few ``access.probe`` events with the running count, never as one audit row per request.
    Not part of the chain (it changes); the events it produces are.
    """

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    started_at = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)
    #: The count at which the next ``access.probe`` event is written (the threshold, then doubling).
    next_report = models.PositiveIntegerField(default=0)
    #: The last few distinct answers: ``"404 POST /path"``.
    recent = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = "越权探测计数"
        verbose_name_plural = "越权探测计数"

    def __str__(self) -> str:
        return f"{self.user_id}: {self.count} since {self.started_at:%Y-%m-%d %H:%M}"


class ChangeStamp(models.Model):
    """One row whose value changes, in the same transaction, with every audited change (not
    with a login, a read or a token's use): figures computed from the ledger may be kept between
    requests under it (``audit.stamps``)."""

    value = models.BigIntegerField(default=0)
    changed_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "数据变更戳"
        verbose_name_plural = "数据变更戳"

    def __str__(self) -> str:
        return f"{self.value} @ {self.changed_at:%Y-%m-%d %H:%M:%S}"
