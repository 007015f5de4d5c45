"""The 整改台账 workbook: the layout the exporter writes and the reader expects back.

One place defines the columns, their order, which are editable and how values are
spelled, so ``xlsx_export`` and ``xlsx_import`` cannot drift apart. The public
entry points are re-exported here.
"""

from __future__ import annotations

import hashlib
from typing import Any

from zhenggai.accounts.actors import Actor
from zhenggai.ledger.models import MeasureKind, MeasureStatus, Round

from .exporters import Column

SCHEMA = "zhenggai.ledger-xlsx/1"
MAIN_SHEET = "整改台账"
STATS_SHEET = "统计"
META_SHEET = "_meta"
DATE_FORMAT = "yyyy-mm-dd"

ID_HEADER = "系统编号（勿改）"
VERSION_HEADER = "数据版本（勿改）"

COLUMNS: tuple[Column, ...] = (
    Column("seq", "序号", 5.5, align="center"),
    Column("category", "问题类别", 12, wrap=True),
    Column("problem", "问题", 24, wrap=True),
    Column("text", "整改措施", 44, wrap=True),
    Column("kind", "整改类型", 9, align="center"),
    Column("leader", "责任领导", 9, wrap=True),
    Column("department", "责任部门", 11, wrap=True),
    Column("person", "责任人", 9, wrap=True),
    Column("deadline", "完成时限", 11.5, number_format=DATE_FORMAT, align="center"),
    Column("status", "整改状态", 9, align="center"),
    Column("progress", "整改进展", 36, wrap=True),
    Column("completed", "完成时间", 11.5, number_format=DATE_FORMAT, align="center"),
    Column("evidence", "佐证材料数", 6.5, align="center"),
    Column("id", ID_HEADER, 10, hidden=True),
    Column("version", VERSION_HEADER, 8, hidden=True),
)
HEADERS: tuple[str, ...] = tuple(c.header for c in COLUMNS)
INDEX: dict[str, int] = {c.key: i for i, c in enumerate(COLUMNS)}
LABELS: dict[str, str] = {c.key: c.header for c in COLUMNS}

#: Columns a clerk may edit, in the order their changes are applied and listed.
EDITABLE: tuple[str, ...] = (
    "text",
    "kind",
    "leader",
    "department",
    "person",
    "deadline",
    "progress",
    "status",
)
#: The fields ``measure_update`` changes (the rest go through progress and status services).
PLAN_FIELDS: tuple[str, ...] = ("text", "kind", "leader", "department", "person", "deadline")

STATUS_LABEL: dict[str, str] = {str(v): str(label) for v, label in MeasureStatus.choices}
STATUS_BY_LABEL: dict[str, str] = {label: v for v, label in STATUS_LABEL.items()}
KIND_LABEL: dict[str, str] = {str(v): str(label) for v, label in MeasureKind.choices}
KIND_BY_LABEL: dict[str, str] = {label: v for v, label in KIND_LABEL.items()}


def round_key(round_: Round) -> str:
    """A digest naming one round of one installation (its id, unit and creation time).

    Written to the hidden ``_meta`` sheet; a workbook whose key differs comes from
    another round, or from the same round id of another database, and is refused.
    """
    raw = f"{SCHEMA}|{round_.pk}|{round_.unit_id}|{round_.created_at.isoformat()}"
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def person_label(name: str, username: str, ambiguous: frozenset[str] | set[str]) -> str:
    """How a person is written: the name, with the user name when two members share it."""
    shown = name or username
    return f"{shown}（{username}）" if shown in ambiguous else shown


class ScriptError(Exception):
    """A command-line run cannot start (no such round or user); one line for stderr."""


def scripted_actor_and_round(round_arg: str, username: str | None) -> tuple[Actor, Round]:
    """Who acts for ``zhenggai export-xlsx`` / ``import-xlsx``, and the round they act on.

    ``--user`` names an account, which must be able to see the round; without it the
    system account of ``ledger/system.py`` acts (it holds the clerk role at the round's
    unit, so what only a unit leader may do becomes a row error, as for a clerk).
    """
    from django.contrib.auth import get_user_model
    from django.http import Http404

    from zhenggai.ledger.selectors import round_get_for_user
    from zhenggai.ledger.system import system_actor_for

    if not (round_arg.isascii() and round_arg.isdigit()) or len(round_arg) > 18:
        raise ScriptError(f"巡察轮次编号“{round_arg}”无效，应为数字")
    round_ = Round.objects.select_related("unit").filter(pk=int(round_arg)).first()
    if round_ is None:
        raise ScriptError(f"未找到巡察轮次 {round_arg}")
    if username:
        actor = get_user_model().objects.filter(username__iexact=username).first()
        if actor is None:
            raise ScriptError(f"未找到用户“{username}”")
    else:
        actor = system_actor_for(round_.unit)
    try:
        round_get_for_user(user=actor, pk=round_.pk)
    except Http404 as exc:
        raise ScriptError(f"未找到巡察轮次 {round_arg}（用户“{actor.username}”无权查看）") from exc
    return actor, round_


def __getattr__(name: str) -> Any:
    # The exporter and the reader import this module; re-export them lazily to avoid a cycle.
    if name in ("LedgerExporter", "export_round"):
        from . import xlsx_export

        return getattr(xlsx_export, name)
    if name in ("WorkbookRefused", "ImportReport", "import_workbook"):
        from . import xlsx_import

        return getattr(xlsx_import, name)
    raise AttributeError(name)
