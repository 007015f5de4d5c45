"""`zhenggai admin-role USERNAME ROLE`: set one of the three administrator roles from the console.

On the web the security administrator asks for this (账号与角色) and another administrator
approves. The console fills an empty seat at once (the first administrators); any other change
becomes a request an administrator approves on the web (双人审批). ``none`` removes the role.
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
            change = services.admin_role_console(user=user, role=role)
        except services.AccountError as err:
            raise CommandError(str(err)) from err
        label = AdminRole(role).label if role else "无"
        if change is not None:
            self.stdout.write(
                f"已提交第 {change.pk} 号申请：{user.username} 的管理员角色改为{label}，"
                "须由另一名安全管理员或系统管理员在“待批准的变更”页面批准后生效。"
            )
            return
        self.stdout.write(f"{user.username} 的管理员角色：{label}。")
