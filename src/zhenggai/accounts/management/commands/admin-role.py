"""`zhenggai admin-role USERNAME ROLE`: set one of the three administrator roles from the console.

On the web the security administrator does this (账号与角色); the console is for the first
administrators and for the security administrator's own account. ``none`` removes the role.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from zhenggai.accounts import services
from zhenggai.accounts.models import AdminRole


class Command(BaseCommand):
    help = "设置账号的三员角色（system_admin / security_admin / audit_admin / none）"

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("role", choices=[*(v for v in AdminRole.values if v), "none"])

    def handle(self, *args: Any, **opts: Any) -> None:
        user = get_user_model().objects.filter(username__iexact=opts["username"]).first()
        if user is None:
            raise CommandError(f"没有账号 {opts['username']}。")
        role = "" if opts["role"] == "none" else opts["role"]
        try:
            services.admin_role_set(actor=None, user=user, role=role)
        except services.AccountError as err:
            raise CommandError(str(err)) from err
        label = AdminRole(role).label if role else "无"
        self.stdout.write(f"{user.username} 的管理员角色：{label}。")
