"""`zhenggai evidence-verify` on a throw-away SQLite instance (REQ-1.17): a changed byte and a
missing file are each reported with the row's id, name and digest; exit 0 / 1 / 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.ops.instance import Instance, flip_one_byte, sm3_hex

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Instance:
    inst = Instance(tmp_path_factory.mktemp("verify"))
    inst.seed()
    return inst


def test_evidence_verify_finds_a_changed_byte_and_a_missing_file(seeded: Instance, tmp_path: Path) -> None:
    inst = seeded
    good = inst.run("evidence-verify")
    assert good.returncode == 0, good.stderr
    assert good.stdout.strip() == "佐证材料 4 条，文件 3 个：全部一致"

    rows = inst.sqlite_rows(
        "SELECT id, original_name, storage_name, algorithm FROM ledger_evidence ORDER BY id"
    )
    by_name = {name: (pk, digest, algo) for pk, name, digest, algo in rows}
    assert {algo for *_, algo in rows} == {"sm3"}
    changed_id, changed_digest, _ = by_name["说明0.txt"]
    missing_id, missing_digest, _ = by_name["说明1.txt"]
    assert changed_digest == sm3_hex("整改说明0".encode())
    flip_one_byte(inst.data / "evidence" / changed_digest[:2] / changed_digest, offset=0)
    (inst.data / "evidence" / missing_digest[:2] / missing_digest).unlink()

    bad = inst.run("evidence-verify")
    assert bad.returncode == 1
    lines = bad.stdout.strip().splitlines()
    assert len(lines) == 3  # one per bad file, then the count
    changed_line, missing_line, summary = lines
    assert changed_line.startswith(
        f"佐证材料 #{changed_id}「说明0.txt」sm3:{changed_digest}：内容已改变（现为 sm3:"
    )
    assert missing_line == f"佐证材料 #{missing_id}「说明1.txt」sm3:{missing_digest}：文件缺失"
    assert summary == "佐证材料 4 条，文件 3 个：2 条有问题"

    doc = json.loads(inst.ok_or_code("evidence-verify", "--json", code=1))
    assert doc["schema"] == "zhenggai.evidence-verify/1"
    assert [(p["id"], p["problem"]) for p in doc["problems"]] == [
        (changed_id, "changed"),
        (missing_id, "missing"),
    ]

    # A backup of a damaged instance is written, without the bad files, and says so (exit 1).
    backup = inst.run("backup", str(tmp_path / "b"))
    assert backup.returncode == 1
    assert "文件缺失，未备份" in backup.stdout and "内容与摘要不符，未备份" in backup.stdout
    assert (tmp_path / "b" / "manifest.json").is_file()


def test_evidence_verify_on_an_unusable_database_exits_2_with_one_line(tmp_path: Path) -> None:
    inst = Instance(tmp_path)  # never migrated: there is no evidence table
    done = inst.run("evidence-verify")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1
    assert "zhenggai migrate" in done.stderr and "Traceback" not in done.stderr
