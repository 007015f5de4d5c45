"""Units as a tree and the roles users hold in them.

A unit keeps a materialised path of its ancestors' ids (``/1/4/9/``) so that a
subtree is one indexed ``startswith`` query on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models


class UnitKind(models.TextChoices):
    COMMITTEE = "committee", "党委/领导机关"
    OFFICE = "office", "巡察办/监督机关"
    BUREAU = "bureau", "局/委/办"
    BRIGADE = "brigade", "大队/下属单位"
    DEPARTMENT = "department", "内设部门"


class Unit(models.Model):
    name = models.CharField("单位名称", max_length=100)
    kind = models.CharField("类型", max_length=20, choices=UnitKind.choices, default=UnitKind.BUREAU)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
        verbose_name="上级单位",
    )
    path = models.CharField(max_length=255, db_index=True, editable=False, default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = "单位"
        verbose_name_plural = "单位"
        constraints = [
            models.UniqueConstraint(fields=["parent", "name"], name="unit_name_unique_under_parent"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def ancestor_ids(self) -> list[int]:
        """Ids from the root down to this unit, itself included."""
        return [int(p) for p in self.path.strip("/").split("/") if p]


class Role(models.TextChoices):
    SUPERVISOR = "supervisor", "监督人员（巡察办/纪委监委/组织部）"
    UNIT_LEADER = "unit_leader", "单位主要负责人（第一责任人）"
    CLERK = "clerk", "整改办工作人员"
    RESPONSIBLE_LEADER = "responsible_leader", "责任领导"
    RESPONSIBLE_PERSON = "responsible_person", "责任人"
    VIEWER = "viewer", "查看人员"
    #: Handles citizen feedback and may reveal the sender's personal data (each reveal audited).
    FEEDBACK = "feedback", "群众反馈办理人员"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    unit = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField("角色", max_length=30, choices=Role.choices)

    class Meta:
        verbose_name = "任职"
        verbose_name_plural = "任职"
        constraints = [
            models.UniqueConstraint(fields=["user", "unit", "role"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.unit} ({self.get_role_display()})"
