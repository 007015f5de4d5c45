"""The layers of ../shared/docs/style.md, read from the imports of src/zhenggai (ast).

Top to bottom: the entry points (urls, settings, cli, wsgi) → the audiences (web, public,
api) → the http toolkit → the domain apps (ops above disclosure and feedback above reports and
supervision above ledger above evidence) →
scope and trust (units, accounts, audit) → the base (textparse, crypto, errors). A package
imports only its own layer's lower neighbours or layers below; no two packages import each
other, directly or around a circle. Imports inside functions count as much as those at the
top of a module: a lazy import that dodges a cycle is still the cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "zhenggai"

#: Rank of each top-level package or module; an import may only go to a lower rank.
RANK = {
    "textparse": 0,
    "crypto": 0,
    "errors": 0,
    "units": 1,
    "audit": 1,
    "accounts": 1,
    "evidence": 2,
    "notify": 2,
    "ledger": 3,
    "reports": 4,
    "supervision": 4,
    "disclosure": 5,
    "feedback": 5,
    "ops": 6,
    "http": 7,
    "web": 8,
    "public": 8,
    "api": 8,
    "urls": 9,
    "settings": 9,
    "cli": 9,
    "wsgi": 9,
}

#: The arrows the issue names, spelled out (they follow from RANK; kept so a change of RANK
#: that allowed one of them fails here first).
FORBIDDEN = [
    ("textparse", {p for p in RANK if p != "textparse"}),
    ("units", {"ledger", "reports", "web", "evidence", "ops", "http", "public", "api"}),
    ("accounts", {"ledger", "reports", "web", "evidence", "ops", "http", "public", "api"}),
    ("audit", {"ledger", "reports", "web", "evidence", "ops", "http", "public", "api"}),
    ("evidence", {"ledger", "reports", "ops", "web", "http", "public", "api"}),
    ("notify", {"ledger", "supervision", "reports", "ops", "web", "http", "public", "api"}),
    ("supervision", {"reports", "ops", "web", "http", "public", "api"}),
    ("ledger", {"reports", "web", "ops", "http", "public", "api"}),
    ("reports", {"web", "ops", "http", "public", "api", "disclosure", "feedback"}),
    ("disclosure", {"feedback", "ops", "web", "http", "public", "api"}),
    ("feedback", {"disclosure", "ops", "web", "http", "public", "api"}),
    ("ops", {"web", "http", "public", "api"}),
    ("http", {"web", "public", "api"}),
]


def _package_of(path: Path) -> str:
    rel = path.relative_to(SRC).parts
    return rel[0][:-3] if len(rel) == 1 else rel[0]


def import_edges() -> dict[str, dict[str, list[str]]]:
    """package → imported package → the places (file:line) that import it."""
    edges: dict[str, dict[str, list[str]]] = {}
    for path in sorted(SRC.rglob("*.py")):
        src = _package_of(path)
        parts = ["zhenggai", *path.relative_to(SRC).parts[:-1]]
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base = parts[: len(parts) - (node.level - 1)]
                    modules = [".".join(base + ([node.module] if node.module else []))]
                    if node.module is None:  # from . import x, y
                        modules = [".".join([*base, a.name]) for a in node.names]
                else:
                    modules = [node.module or ""]
            else:
                continue
            for module in modules:
                bits = module.split(".")
                if bits[0] != "zhenggai" or len(bits) < 2 or bits[1] == src:
                    continue
                where = f"{path.relative_to(SRC)}:{node.lineno}"
                edges.setdefault(src, {}).setdefault(bits[1], []).append(where)
    return edges


EDGES = import_edges()


def test_every_package_has_a_rank():
    packages = {_package_of(p) for p in SRC.rglob("*.py")} - {"__init__"}
    assert packages - set(RANK) == set(), "add the new package to RANK (and to style.md's layers)"


def test_imports_only_go_down():
    upward = [
        f"{src} → {dst} ({', '.join(places[:3])})"
        for src, targets in EDGES.items()
        for dst, places in targets.items()
        if RANK.get(dst, 99) >= RANK.get(src, -1) and src != dst
        # Same-rank scope packages may use each other, as long as there is no cycle.
        and not (RANK[src] == RANK.get(dst) == 1)
    ]
    assert upward == []


@pytest.mark.parametrize(("src", "targets"), FORBIDDEN, ids=[s for s, _ in FORBIDDEN])
def test_the_named_forbidden_arrows(src, targets):
    found = {dst: places for dst, places in EDGES.get(src, {}).items() if dst in targets}
    assert found == {}


def test_no_cycle_between_packages():
    graph = {src: set(targets) for src, targets in EDGES.items()}

    def reaches(start: str, goal: str) -> bool:
        seen, todo = set(), [start]
        while todo:
            node = todo.pop()
            for nxt in graph.get(node, ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    cycles = sorted({tuple(sorted((a, b))) for a in graph for b in graph[a] if reaches(b, a)})
    assert cycles == []


def test_the_test_sees_the_imports_it_judges():
    # The reader works: the web imports the ledger, and the ledger the units (if these ever
    # stop being found, the tests above pass for the wrong reason).
    assert "ledger" in EDGES["web"] and "units" in EDGES["ledger"]
    assert "http" in EDGES["web"]
