"""Fixtures of the evidence tests: the page fixtures of tests/web (a round, logged-in clients)."""

from __future__ import annotations

from tests.web.conftest import _fast_hasher, client_for, world

__all__ = ["_fast_hasher", "client_for", "world"]
