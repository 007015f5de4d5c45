"""A throw-away zhenggai instance for tests that run the real `zhenggai` console script."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ZHENGGAI = Path(sys.executable).with_name("zhenggai")


def instance_env(tmp_path: Path) -> dict[str, str]:
    """Environment of an instance with its own SQLite file and data dir under ``tmp_path``."""
    env = dict(os.environ)
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    env["ZHENGGAI_DATA_DIR"] = str(tmp_path / "data")
    env.pop("DJANGO_SETTINGS_MODULE", None)
    return env


def run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``zhenggai ARGS`` in that instance; never raises on a non-zero exit."""
    return subprocess.run([str(ZHENGGAI), *args], env=env, capture_output=True, text=True, check=False)
