"""The audit inventory covers every action recorded anywhere in src/ (and REQ-1.11's list)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

from zhenggai.audit.events import BUSINESS_EVENTS, EVENTS, OUTCOMES, SECURITY_EVENTS

SRC = Path(__file__).resolve().parents[2] / "src" / "zhenggai"
NOT_AUDIT = {"add_argument"}  # argparse's action="store_true" and friends


def recorded_actions() -> list[tuple[str, str, bool]]:
    """``(file:line, action or pattern, is_pattern)`` for every ``action="…"``/``action=f"…"`` keyword."""
    found = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if func in NOT_AUDIT:
                continue
            for kw in node.keywords:
                if kw.arg != "action":
                    continue
                where = f"{path.relative_to(SRC.parent)}:{kw.value.lineno}"
                if isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str):
                    found.append((where, kw.value.value, False))
                elif isinstance(kw.value, ast.JoinedStr):
                    parts = [
                        re.escape(v.value) if isinstance(v, ast.Constant) else "[a-z_]+"
                        for v in kw.value.values
                    ]
                    found.append((where, "".join(parts), True))
    return found


def test_every_action_recorded_in_src_is_in_the_inventory():
    found = recorded_actions()
    assert len(found) > 20
    missing = sorted(
        f"{where}: {action}"
        for where, action, is_pattern in found
        if (not any(re.fullmatch(action, k) for k in EVENTS) if is_pattern else action not in EVENTS)
    )
    assert missing == [], "add these actions to zhenggai/audit/events.py:\n" + "\n".join(missing)


def test_the_review_decisions_recorded_through_an_f_string_are_all_in_the_inventory():
    from zhenggai.ledger.services import TRANSITIONS

    assert {f"measure.{a}" for a in TRANSITIONS} <= set(EVENTS)


def test_the_inventory_covers_the_event_types_req_1_11_names():
    required = {
        "auth.login",  # login success
        "auth.login_failed",
        "auth.logout",
        "auth.lockout",
        "auth.otp_failed",
        "access.denied",  # permission denied
        "measure.create",
        "measure.update",
        "measure.delete",
        "round.create",
        "evidence.upload",
        "evidence.delete",
        "measure.approve",  # review
        "round.xlsx_export",  # export
        "evidence.download",
        "pii.view",
        "role.change",
        "membership.grant",
        "label.change",
        "setting.change",
        "backup.create",
        "backup.restore",
        "audit.export",
        "audit.read",
    }
    assert required <= set(EVENTS)


def test_every_action_has_a_chinese_description_and_a_dotted_english_name():
    assert not set(SECURITY_EVENTS) & set(BUSINESS_EVENTS)
    for action, text in EVENTS.items():
        assert re.fullmatch(r"[a-z_]+\.[a-z_]+", action), action
        assert re.search(r"[\u4e00-\u9fff]", text), action
    assert set(OUTCOMES) == {"ok", "denied", "failed"}
