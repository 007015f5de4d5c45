"""Every measure event the services record reads in Chinese on the measure page."""

from __future__ import annotations

import re
from pathlib import Path

from zhenggai.web.presenters import AUDIT_ACTIONS

SERVICES = Path(__file__).resolve().parents[2] / "src" / "zhenggai" / "ledger" / "services"


def test_every_measure_and_progress_action_has_a_chinese_label():
    source = "\n".join(p.read_text(encoding="utf-8") for p in sorted(SERVICES.glob("*.py")))
    actions = set(re.findall(r'action="((?:measure|progress)\.[a-z_]+)"', source))
    actions |= {f"measure.{a}" for a in ("approve", "approve_stage", "return")}  # f"measure.{action}"
    assert actions, "no actions found: the pattern no longer matches ledger/services/"
    missing = sorted(a for a in actions if a not in AUDIT_ACTIONS)
    assert missing == []
