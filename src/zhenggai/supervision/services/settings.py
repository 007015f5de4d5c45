"""A round's supervision settings (督办设置): the warning tiers and the quality thresholds."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from zhenggai.audit.services import audit_change
from zhenggai.errors import Gone, InvalidInput
from zhenggai.ledger.models import Round
from zhenggai.ledger.policy import EDIT_ROLES, require_role

from ..models import RoundSettings, default_tiers
from ..rules import validate_tiers

#: Bounds of the two thresholds (months between stage reports; hours that count as "just before").
STAGE_REPORT_MONTHS = (1, 24)
RUSH_HOURS = (1, 720)


def _bounded(value: Any, bounds: tuple[int, int], field: str, name: str) -> int:
    low, high = bounds
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise InvalidInput(f"{name}应为{low}到{high}之间的整数", field=field)
    return value


@transaction.atomic
def round_settings_update(
    *, actor: Any, round: Round, tiers: Any, stage_report_months: int, rush_hours: int
) -> RoundSettings:
    """Set a round's warning tiers and thresholds (the clerk of its unit); audited
    ``supervision.settings`` with what changed. A tier list out of order is refused with
    ``rules.validate_tiers``'s message."""
    require_role(actor, round.unit, EDIT_ROLES, "修改督办设置")
    clean = validate_tiers(tiers)
    months = _bounded(stage_report_months, STAGE_REPORT_MONTHS, "stage_report_months", "阶段报告间隔（月）")
    hours = _bounded(rush_hours, RUSH_HOURS, "rush_hours", "临近时限突击完成（小时）")
    if not Round.objects.select_for_update().filter(pk=round.pk).exists():
        raise Gone("该巡察轮次已被删除，请返回刷新")
    row = RoundSettings.objects.select_for_update().filter(round_id=round.pk).first()
    if row is None:
        row = RoundSettings(round=round, unit_id=round.unit_id)
        before: dict[str, Any] = {
            "tiers": default_tiers(),
            "stage_report_months": row.stage_report_months,
            "rush_hours": row.rush_hours,
        }
    else:
        before = {
            "tiers": row.tiers,
            "stage_report_months": row.stage_report_months,
            "rush_hours": row.rush_hours,
        }
    after = {"tiers": clean, "stage_report_months": months, "rush_hours": hours}
    changed = {k: v for k, v in after.items() if before[k] != v}
    if not changed and row.pk is not None:
        return row
    row.tiers, row.stage_report_months, row.rush_hours = clean, months, hours
    row.full_clean()
    row.save()
    audit_change(actor, "supervision.settings", row, before={k: before[k] for k in changed}, after=changed)
    return row
