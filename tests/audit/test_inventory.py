"""The audit inventory covers every action recorded anywhere in src/ (and REQ-1.11's list)."""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

from zhenggai.audit.events import BUSINESS_EVENTS, EVENTS, OUTCOMES, SECURITY_EVENTS

SRC = Path(__file__).resolve().parents[2] / "src" / "zhenggai"
# argparse's action="store_true" and friends; model fields named ``action`` (a query, a new
# row of a feedback's handling steps, a disclosure decision).
NOT_AUDIT = {"add_argument", "Q", "create", "filter", "exclude", "get"}


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


# --- Finding 8 of issue 8: every type in the inventory is written by some code path ----------------
#
# A static proof, so it does not depend on which tests ran in this process (xdist-safe): a type is
# *written* when its name flows, as a literal, into the ``action`` of a call that records an event.
# The recording calls are ``audit_record`` and ``audit_security_event`` and, found by fixpoint,
# every function that passes one of its own parameters on as that ``action`` (``record_refusal``,
# ``refusals_recorded``, ``_refuse`` …), called with the literal as that argument. The literal
# may be the argument itself, a conditional or lookup inside it, a name assigned (in the same
# function or at module level) from an expression holding it, or an f-string's prefix with
# such a name (``f"measure.{action}"``).

# ``audit_entry`` makes an event that ``audit_record_many`` writes (a batch in one insert).
RECORDING = ("audit_record", "audit_security_event", "audit_entry")

#: Types no code path writes yet, each with what must happen. The second test below fails when
#: one of them starts being written (take it off this list then), the first when another type
#: stops being written or is added without a path that writes it.
UNWRITTEN: dict[str, str] = {
    # Happens, but is answered without a record.
    "evidence.refused": "a refused upload is answered but not recorded (ledger/web uploads)",
    # REQ-1.11 names these; the features do not exist yet (evidence is never deleted, only
    # released with its row; settings are environment variables).
    "evidence.delete": "evidence is never deleted (only released with its row): REQ-1.11 keeps the name",
    "setting.change": "settings are environment variables; nothing changes them at run time (REQ-1.11)",
}


def _call_name(func: ast.expr) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _action_argument(call: ast.Call, position: int | None) -> ast.expr | None:
    for kw in call.keywords:
        if kw.arg == "action":
            return kw.value
    if position is not None and len(call.args) > position:
        return call.args[position]
    return None


def _scopes(tree: ast.Module) -> list[ast.AST]:
    return [tree, *(n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef))]


def _calls(scope: ast.AST) -> list[ast.Call]:
    """The calls of one scope, without those of the functions nested in it."""
    out, stack = [], list(ast.iter_child_nodes(scope))
    while stack:
        node = stack.pop()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            continue
        if isinstance(node, ast.Call):
            out.append(node)
        stack.extend(ast.iter_child_nodes(node))
    return out


def _recorders(trees: dict[str, ast.Module]) -> dict[str, int | None]:
    """Function name → position of the parameter it passes on as ``action`` (None: by keyword)."""
    found: dict[str, int | None] = dict.fromkeys(RECORDING)
    changed = True
    while changed:
        changed = False
        for tree in trees.values():
            for fn in _scopes(tree)[1:]:
                assert isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef)
                if fn.name in found:
                    continue
                params = [a.arg for a in fn.args.posonlyargs + fn.args.args]
                names = set(params) | {a.arg for a in fn.args.kwonlyargs}
                for call in _calls(fn):
                    name = _call_name(call.func)
                    value = _action_argument(call, found[name]) if name in found else None
                    if isinstance(value, ast.Name) and value.id in names:
                        pos = params.index(value.id) if value.id in params else None
                        if pos is not None and params[0] in ("self", "cls"):
                            pos -= 1
                        found[fn.name] = pos
                        changed = True
                        break
    return found


def _strings(node: ast.AST) -> set[str]:
    return {n.value for n in ast.walk(node) if isinstance(n, ast.Constant) and isinstance(n.value, str)}


def _assigned(scope: ast.AST, name: str) -> set[str]:
    out: set[str] = set()
    for node in ast.walk(scope):
        if isinstance(node, ast.Assign | ast.AnnAssign) and node.value is not None:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == name for t in targets):
                out |= _strings(node.value)
    return out


def _values(expr: ast.expr, scope: ast.AST, module: ast.Module) -> set[str]:
    if isinstance(expr, ast.JoinedStr):
        values = {""}
        for piece in expr.values:
            if isinstance(piece, ast.Constant):
                options = {str(piece.value)}
            elif isinstance(piece, ast.FormattedValue) and isinstance(piece.value, ast.Name):
                options = _assigned(scope, piece.value.id) | _assigned(module, piece.value.id)
            else:
                options = set()
            values = {a + b for a in values for b in options}
        return values
    names = {n.id for n in ast.walk(expr) if isinstance(n, ast.Name)}
    out = _strings(expr)
    for name in names:
        out |= _assigned(scope, name) | _assigned(module, name)
    return out


def written_actions() -> dict[str, str]:
    """Action → the first ``file:line`` of a recording call that writes it (events.py excluded)."""
    trees = {
        path.relative_to(SRC).as_posix(): ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for path in sorted(SRC.rglob("*.py"))
        if path.relative_to(SRC).as_posix() != "audit/events.py"
    }
    recorders = _recorders(trees)
    where: dict[str, str] = {}
    for rel, tree in trees.items():
        for scope in _scopes(tree):
            for call in _calls(scope):
                name = _call_name(call.func)
                if name not in recorders:
                    continue
                value = _action_argument(call, recorders[name])
                if value is None:
                    continue
                for action in _values(value, scope, tree):
                    where.setdefault(action, f"{rel}:{call.lineno}")
    return where


def test_finding8_every_type_in_the_inventory_is_written_by_some_code_path():
    written = written_actions()
    assert {"auth.login", "measure.approve", "backup.create", "evidence.verify", "access.probe"} <= set(
        written
    )
    dead = sorted(set(EVENTS) - set(written) - set(UNWRITTEN))
    assert dead == [], (
        "these inventory types are written by no code path: record them where the action happens "
        "(audit_record/audit_security_event) or remove them from zhenggai/audit/events.py:\n"
        + "\n".join(dead)
    )


def test_the_list_of_types_not_written_yet_only_shrinks():
    written = written_actions()
    now_written = sorted(f"{a} ({written[a]})" for a in UNWRITTEN if a in written)
    assert now_written == [], "now written: take these off UNWRITTEN in this test:\n" + "\n".join(now_written)
    removed = sorted(set(UNWRITTEN) - set(EVENTS))
    assert removed == [], "no longer in the inventory: take these off UNWRITTEN:\n" + "\n".join(removed)


def test_the_proof_follows_a_literal_through_helpers_names_and_f_strings(tmp_path, monkeypatch):
    module = tmp_path / "zhenggai" / "m.py"
    module.parent.mkdir()
    module.write_text(
        "KINDS = {'a': ('kind.alpha', 1)}\n"
        "def _refuse(actor, action, target):\n"
        "    audit_security_event(actor=actor, action=action, obj=target)\n"
        "def f(x):\n"
        "    _refuse(x, 'ref.used', None)\n"
        "    verb = {1: 'approve'}.get(x)\n"
        "    audit_record(actor=x, action=f'thing.{verb}')\n"
        "    audit_record(actor=x, action=KINDS['a'][0])\n"
        "    other(action='not.recorded')\n"
    )
    monkeypatch.setattr(sys.modules[__name__], "SRC", module.parent)
    assert set(written_actions()) >= {"ref.used", "thing.approve", "kind.alpha"}
    assert "not.recorded" not in written_actions()
