"""`zhenggai user-add USERNAME`: an account from the server console (the operator's bootstrap).

This is how the three administrators are created in production, where there is no superuser:

    zhenggai user-add sysadmin --name 系统管理员 --admin-role system_admin

The password is asked twice (or read from standard input with ``--password-stdin``), checked
against the password policy, and must be changed at the first login.
"""

from __future__ import annotations

import getpass
import sys
from typing import Any, TextIO

from django.core.management.base import BaseCommand, CommandError

from zhenggai.accounts import services
from zhenggai.accounts.models import AdminRole


class Command(BaseCommand):
    help = "在服务器上新建账号（可同时指定三员角色）；密码须符合密码策略，首次登录须修改"
    stealth_options = ("stdin",)

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="姓名")
        parser.add_argument(
            "--admin-role",
            default="",
            choices=[v for v in AdminRole.values if v],
            help="三员角色：system_admin / security_admin / audit_admin",
        )
        parser.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（一行）")

    def handle(self, *args: Any, **opts: Any) -> None:
        if opts["password_stdin"]:
            console: TextIO = sys.stdin
            stream: TextIO = opts.get("stdin", console)
            password = stream.readline().rstrip("\n")
        else:
            password = getpass.getpass("密码：")
            if getpass.getpass("再次输入密码：") != password:
                raise CommandError("两次输入的密码不一致。")
        try:
            user = services.user_create(
                actor=None, username=opts["username"], display_name=opts["name"], password=password
            )
            change = None
            if opts["admin_role"]:
                change = services.admin_role_console(user=user, role=opts["admin_role"])
        except services.AccountError as err:
            raise CommandError(str(err)) from err
        role = f"，{AdminRole(user.admin_role).label}" if user.admin_role else ""
        self.stdout.write(f"已新建账号 {user.username}{role}；首次登录时须修改密码。")
        if change is not None:
            self.stdout.write(
                f"该角色已有人担任：已提交第 {change.pk} 号申请，须由安全管理员或系统管理员"
                "在“待批准的变更”页面批准后生效。"
            )
