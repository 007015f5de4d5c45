"""The operator's commands on an instance whose evidence is in an object store (issue 13), driven
through the real ``zhenggai`` console script with ``ZHENGGAI_STORAGE=s3`` against moto's server:
``evidence-verify`` re-hashes the objects, ``backup`` reads them into the backup directory and
``restore`` writes them into another bucket, each verified."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.evidence.s3 import Bucket, s3_bucket, s3_endpoint
from tests.ops.instance import PDF, Instance, sm3_hex

pytestmark = pytest.mark.slow

__all__ = ["s3_bucket", "s3_endpoint"]


def test_verify_backup_and_restore_read_and_write_the_bucket(
    s3_endpoint: str, s3_bucket: Bucket, tmp_path: Path
) -> None:
    inst = Instance(tmp_path / "source")
    inst.env.update(s3_bucket.environment())
    inst.seed()  # four evidence rows over three blobs, and a citizen's photo
    keys = s3_bucket.keys("evidence/")
    assert len(keys) == 4 and all(".incoming" not in k for k in keys)
    assert inst.evidence_files() == []  # nothing in the data dir
    assert inst.ok("evidence-verify").strip() == "佐证材料 4 条，文件 3 个：全部一致"

    backup = tmp_path / "backup"
    inst.ok("backup", str(backup))
    manifest = json.loads((backup / "manifest.json").read_text())
    assert len(manifest["evidence"]["blobs"]) == 4
    pdf = sm3_hex(PDF)
    assert (backup / "evidence" / pdf[:2] / pdf).read_bytes() == PDF

    # Into an empty instance with a bucket of its own.
    other = Bucket(s3_bucket.endpoint, f"{s3_bucket.name}-r", s3_bucket.client)
    other.client.create_bucket(Bucket=other.name)
    target = Instance(tmp_path / "target")
    target.env.update(other.environment())
    inst.copy_keys_to(target)
    restored = target.run("restore", str(backup))
    assert restored.returncode == 0, restored.stdout + restored.stderr
    assert other.keys() == keys
    assert target.ok("evidence-verify").strip() == "佐证材料 4 条，文件 3 个：全部一致"

    # A changed object and a missing one are found, by id and digest.
    other.write(f"evidence/{pdf[:2]}/{pdf}", PDF + b" ")
    text = sm3_hex("整改说明1".encode())
    other.delete(f"evidence/{text[:2]}/{text}")
    bad = target.run("evidence-verify")
    assert bad.returncode == 1
    lines = bad.stdout.strip().splitlines()
    assert sum(f"sm3:{pdf}：内容已改变" in line for line in lines) == 2  # two rows name the PDF
    assert sum(line.endswith(f"sm3:{text}：文件缺失") for line in lines) == 1
    assert lines[-1] == "佐证材料 4 条，文件 3 个：3 条有问题"
