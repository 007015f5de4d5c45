"""Users. Usernames are unique whatever their case."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower


class AdminRole(models.TextChoices):
    """三员分立: the three administrator roles of 等保 level 3; a user holds at most one."""

    NONE = "", "无"
    SYSTEM = "system_admin", "系统管理员"
    SECURITY = "security_admin", "安全管理员"
    AUDIT = "audit_admin", "审计管理员"


class User(AbstractUser):
    display_name = models.CharField("姓名", max_length=50, blank=True)
    # A single field makes "at most one of the three" true by construction.
    admin_role = models.CharField("管理员角色", max_length=20, choices=AdminRole.choices, default="", blank=True)

    class Meta:
        verbose_name = "用户"
        verbose_name_plural = "用户"
        constraints = [models.UniqueConstraint(Lower("username"), name="user_username_ci_unique")]

    def __str__(self) -> str:
        return self.display_name or self.username
