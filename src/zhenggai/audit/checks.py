"""System checks of the audit settings (run by ``zhenggai check`` and before most commands)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from . import keys
from .chain import ChainConfigError, configured_algorithm
from .retention import MIN_RETENTION_DAYS


@checks.register("audit")
def audit_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    days = getattr(settings, "AUDIT_RETENTION_DAYS", None)
    if days is not None:
        try:
            too_short = int(days) < MIN_RETENTION_DAYS
        except (TypeError, ValueError):
            too_short = True
        if too_short:
            errors.append(
                checks.Error(
                    f"AUDIT_RETENTION_DAYS = {days!r}：审计记录至少保存 6 个月（{MIN_RETENTION_DAYS} 天）",
                    hint=f"设为不小于 {MIN_RETENTION_DAYS} 的整数（默认 365）",
                    id="audit.E002",
                )
            )
    try:
        configured_algorithm()
    except ChainConfigError as exc:
        errors.append(checks.Error(str(exc), id="audit.E003"))
    if not keys.autocreate():
        for problem in keys.missing_keys():
            errors.append(
                checks.Error(
                    problem,
                    hint="生产环境不会自动生成审计密钥：请放置 AUDIT_KEY_FILE 和 AUDIT_CHECKPOINT_KEY_FILE",
                    id="audit.E001",
                )
            )
    return errors


#: The longest timer ``check --deploy`` accepts between automatic checkpoints (seconds).
MAX_CHECKPOINT_SECONDS = 3600
#: The most events ``check --deploy`` accepts between automatic checkpoints.
MAX_CHECKPOINT_EVERY = 1000


@checks.register("audit", deploy=True)
def audit_checkpoint_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """``check --deploy``: the automatic checkpoints are on (finding 6 of issue 8)."""
    rules = (
        ("AUDIT_CHECKPOINT_EVERY", MAX_CHECKPOINT_EVERY, "条事件"),
        ("AUDIT_CHECKPOINT_SECONDS", MAX_CHECKPOINT_SECONDS, "秒"),
    )
    errors: list[checks.CheckMessage] = []
    for name, most, unit in rules:
        value = getattr(settings, name, None)
        try:
            good = 1 <= int(value) <= most  # type: ignore[arg-type]  # None or junk: TypeError, below
        except (TypeError, ValueError):
            good = False
        if not good:
            errors.append(
                checks.Error(
                    f"{name} = {value!r}：自动检查点必须开启且间隔不超过 {most} {unit}，"
                    "否则最后检查点之后的审计记录被删除时无法发现",
                    hint=f"设为 1 到 {most} 之间的整数（环境变量 ZHENGGAI_{name}）",
                    id="audit.E005",
                )
            )
    return errors


@checks.register(checks.Tags.database, "audit", deploy=True)
def audit_database(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """With ``check --deploy --database default``: the triggers exist and the app role cannot rewrite."""
    from django.db import DatabaseError, connections

    from . import appendonly

    messages: list[checks.CheckMessage] = []
    for alias in databases or []:
        conn = connections[alias]
        try:
            missing = appendonly.missing_triggers(conn)
            rewrite = False
            if conn.vendor == "postgresql":
                with conn.cursor() as cur:
                    cur.execute(
                        "SELECT has_table_privilege(current_user, %s, 'UPDATE')"
                        " OR has_table_privilege(current_user, %s, 'DELETE')",
                        [appendonly.TABLE, appendonly.TABLE],
                    )
                    rewrite = bool(cur.fetchone()[0])
        except DatabaseError as exc:
            messages.append(checks.Warning(f"无法检查审计表：{exc}", id="audit.W002"))
            continue
        if missing:
            messages.append(
                checks.Error(f"审计表缺少只追加触发器：{'、'.join(sorted(missing))}", id="audit.E004")
            )
        if rewrite:
            messages.append(
                checks.Warning(
                    "应用的数据库角色对审计表有 UPDATE/DELETE 权限",
                    hint=(
                        "以表的所有者执行 zhenggai.audit.appendonly.PG_APP_ROLE_SQL，"
                        "应用改用只能查询和追加的角色"
                    ),
                    id="audit.W001",
                )
            )
    return messages
