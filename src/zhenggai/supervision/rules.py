"""The rules of supervision: the warning tiers (三色预警 and black) and what they mean.

A tier list is ordered from the earliest warning to the latest: ``days`` (days before the
deadline the tier begins; negative: after the deadline, ``-1`` the first overdue day) strictly
decreasing, the keys among ``LEVELS``, and each tier's ``notify`` including the last one's.
``tier_of`` places one measure; ``tier_case`` does the same in the database.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.db.models import Case, CharField, Q, QuerySet, Value, When

from zhenggai.errors import InvalidInput
from zhenggai.ledger.models import Round
from zhenggai.ledger.policy import OPEN

from .models import RoundSettings, default_tiers

#: The colours, earliest first, with their names on the pages.
LEVELS: dict[str, str] = {
    "green": "绿色预警",
    "yellow": "黄色预警",
    "red": "红色预警（已逾期）",
    "black": "黑色预警（严重逾期）",
}
#: Who a tier may tell, in escalation order, with their names.
AUDIENCES: dict[str, str] = {
    "person": "责任人",
    "leader": "责任领导",
    "unit_head": "单位主要负责人（第一责任人）",
    "supervisor": "上级监督人员",
}
#: Bootstrap classes of each colour (badges and row marks).
LEVEL_CSS: dict[str, str] = {
    "green": "text-bg-success",
    "yellow": "text-bg-warning",
    "red": "text-bg-danger",
    "black": "text-bg-dark",
}

Tier = Mapping[str, Any]


def validate_tiers(tiers: Any) -> list[dict[str, Any]]:
    """The tier list made plain, or ``InvalidInput`` (field ``tiers``) saying what is wrong."""
    if not isinstance(tiers, list) or not tiers:
        raise InvalidInput("预警档次不能为空", field="tiers")
    out: list[dict[str, Any]] = []
    seen: set[str] = set()
    last_days: int | None = None
    last_notify: set[str] = set()
    for i, t in enumerate(tiers, 1):
        if not isinstance(t, Mapping):
            raise InvalidInput(f"第{i}档格式不正确", field="tiers")
        key = t.get("key")
        if key not in LEVELS:
            raise InvalidInput(f"第{i}档的颜色“{key}”不正确，应为绿、黄、红、黑之一", field="tiers")
        if key in seen:
            raise InvalidInput(f"第{i}档的颜色“{LEVELS[key]}”重复", field="tiers")
        if list(LEVELS).index(key) < (list(LEVELS).index(out[-1]["key"]) if out else -1):
            raise InvalidInput(f"第{i}档顺序不对：颜色应按绿、黄、红、黑排列", field="tiers")
        days = t.get("days")
        if isinstance(days, bool) or not isinstance(days, int) or not -3650 <= days <= 3650:
            raise InvalidInput(f"第{i}档的天数不正确", field="tiers")
        if last_days is not None and days >= last_days:
            raise InvalidInput(
                f"第{i}档顺序不对：天数（{days}）应小于上一档（{last_days}），越往后越临近或超过时限",
                field="tiers",
            )
        notify = t.get("notify") or []
        if not isinstance(notify, list) or any(n not in AUDIENCES for n in notify) or not notify:
            raise InvalidInput(f"第{i}档的通知对象不正确", field="tiers")
        if not last_notify <= set(notify):
            raise InvalidInput(f"第{i}档的通知对象应包含上一档的全部对象（逐级升级）", field="tiers")
        seen.add(key)
        last_days, last_notify = days, set(notify)
        out.append({"key": key, "days": days, "notify": [n for n in AUDIENCES if n in notify]})
    return out


def tiers_for(round: Round) -> list[dict[str, Any]]:
    """The round's tiers (the default when it has none set)."""
    row = RoundSettings.objects.filter(round=round).only("tiers").first()
    return list(row.tiers) if row else default_tiers()


def tiers_by_round(round_ids: Iterable[int]) -> dict[int, list[dict[str, Any]]]:
    """Tiers of many rounds in one query (default for those without settings)."""
    found = dict(RoundSettings.objects.filter(round_id__in=list(round_ids)).values_list("round_id", "tiers"))
    return {rid: list(found.get(rid) or default_tiers()) for rid in round_ids}


def tier_of(*, deadline: dt.date | None, status: str, today: dt.date, tiers: Sequence[Tier]) -> str | None:
    """The tier an open measure with ``deadline`` is in on ``today`` (None: none yet, or finished)."""
    if status not in OPEN:
        return None
    return tier_at(deadline=deadline, today=today, tiers=tiers)


def tier_at(*, deadline: dt.date | None, today: dt.date, tiers: Sequence[Tier]) -> str | None:
    """The tier of something still open (a measure, a 督办单 awaiting its reply) due on
    ``deadline``, on ``today`` (None: no deadline, or no tier reached yet)."""
    if deadline is None:
        return None
    left = (deadline - today).days
    found: str | None = None
    for t in tiers:
        if left <= t["days"]:
            found = str(t["key"])
    return found


class RoundTiers(dict[int, list[dict[str, Any]]]):
    """Tiers by round id, where every round not listed has ``fallback`` (the default tiers): the
    tiers of a scope of many rounds without listing them all (``tiers_in_scope``)."""

    def __init__(self, listed: Mapping[int, list[dict[str, Any]]], fallback: list[dict[str, Any]]) -> None:
        super().__init__(listed)
        self.fallback = fallback

    def __missing__(self, key: int) -> list[dict[str, Any]]:
        return self.fallback

    def get(self, key: int, default: Any = None) -> Any:  # type: ignore[override]
        return self[key]

    def tier_lists(self) -> list[list[dict[str, Any]]]:
        """Each distinct tier list of the scope."""
        seen: dict[str, list[dict[str, Any]]] = {}
        for t in [self.fallback, *self.values()]:
            seen.setdefault(json.dumps(t, sort_keys=True), t)
        return list(seen.values())


def tiers_in_scope(rounds: QuerySet[Round]) -> RoundTiers:
    """The tiers of every round of ``rounds`` in one query, joined (never a list of the rounds'
    ids): the rounds whose settings differ from the default by id, the rest the default."""
    fallback = default_tiers()
    rows = RoundSettings.objects.filter(round__in=rounds.values("pk")).values_list("round_id", "tiers")
    listed = {rid: list(t) for rid, t in rows if t and list(t) != fallback}
    return RoundTiers(listed, fallback)


def tier_window(tiers: Mapping[int, Sequence[Tier]], keys: Iterable[str]) -> tuple[int | None, int] | None:
    """The deadlines a measure in one of the tiers ``keys`` may have over the rounds of ``tiers``,
    in days from today: ``(after, upto)``, due within ``upto`` days and, unless ``after`` is None,
    later than ``after`` days (it would be in a later tier by then); None when no round has any
    of the tiers. A measure in one of them is open and its deadline in that window."""
    lists: list[Sequence[Tier]] = [*tiers.values()]
    if isinstance(tiers, RoundTiers):
        lists.append(tiers.fallback)
    wanted = set(keys)
    upto: list[int] = []
    after: list[int | None] = []
    for tl in lists:
        found = [i for i, t in enumerate(tl) if t["key"] in wanted]
        if not found:
            continue
        upto.append(max(int(tl[i]["days"]) for i in found))
        # Past the last tier wanted comes a later one, which takes the earlier deadlines.
        after.append(int(tl[found[-1] + 1]["days"]) if found[-1] + 1 < len(tl) else None)
    if not upto:
        return None
    lower = None if None in after else min(a for a in after if a is not None)
    return lower, max(upto)


def tier_case(*, today: dt.date, tiers: Sequence[Tier], prefix: str = "") -> Case:
    """``tier_of`` as a database expression on measures (at ``prefix``): the key, or ``""``."""
    whens = []
    # Latest tier first: the first match wins in SQL.
    for t in reversed(list(tiers)):
        limit = today + dt.timedelta(days=int(t["days"]))
        whens.append(
            When(
                Q(**{f"{prefix}deadline__isnull": False, f"{prefix}deadline__lte": limit})
                & Q(**{f"{prefix}status__in": sorted(OPEN)}),
                then=Value(str(t["key"])),
            )
        )
    return Case(*whens, default=Value(""), output_field=CharField())
