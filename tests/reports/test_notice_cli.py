"""`zhenggai notice` and `zhenggai plan`, run as an operator runs them, in a throw-away instance."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import docx
import pytest

ROOT = Path(__file__).resolve().parents[2]
SEED = ROOT / "seeds" / "000_3fc582a97ef44a37.txt"
ZHENGGAI = Path(sys.executable).with_name("zhenggai")
UNIT = "望江县公安局交通管理大队"


@pytest.fixture(scope="module")
def instance(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, str], str, Path]:
    """A migrated SQLite instance with the seed imported; returns (environment, round id, folder)."""
    folder = tmp_path_factory.mktemp("cli")
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{folder / 'db.sqlite3'}",
        "ZHENGGAI_DATA_DIR": str(folder / "data"),
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)

    def run(*args: str) -> str:
        p = subprocess.run([str(ZHENGGAI), *args], env=env, capture_output=True, text=True, check=False)
        assert p.returncode == 0, p.stderr
        return p.stdout

    run("migrate", "-v", "0")
    run(
        "shell",
        "-c",
        "from zhenggai.units.services import unit_create; from zhenggai.units.models import UnitKind; "
        f"unit_create(actor=None, name='{UNIT}', parent=None, kind=UnitKind.BRIGADE)",
    )
    round_id = run("import", str(SEED), "--unit", UNIT).strip().splitlines()[-1]
    return env, round_id, folder


def zhenggai(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ZHENGGAI), *args], env=env, capture_output=True, text=True, check=False)


def _notice_docx_and_pdf(instance) -> None:  # type: ignore[no-untyped-def]
    from zhenggai.textparse.parse import parse_document
    from zhenggai.textparse.reader import read_path

    env, round_id, folder = instance
    out_docx, out_pdf = folder / "通报.docx", folder / "通报.pdf"
    p = zhenggai(env, "notice", round_id, "--docx", str(out_docx), "--pdf", str(out_pdf))
    assert p.returncode == 0, p.stderr
    assert f"已生成 {out_docx}" in p.stdout and f"已生成 {out_pdf}" in p.stdout
    assert "警告" in p.stderr  # no channels yet: said, not fatal
    for path in (out_docx, out_pdf):
        c = parse_document(read_path(path)).counts
        assert (c.categories, c.issues, c.problems, c.measures) == (3, 18, 30, 100)
    assert out_pdf.read_bytes().startswith(b"%PDF")


def test_notice_plan_and_unusable_input(instance) -> None:  # type: ignore[no-untyped-def]
    """The notice (docx + pdf, read back 3/18/30/100), the plan, and exit 2 with one line on
    unusable input. One test, so that one worker builds the instance (each command starts
    Django anew, a second or so)."""
    _notice_docx_and_pdf(instance)
    env, round_id, folder = instance
    out = folder / "plan.docx"
    p = zhenggai(env, "plan", round_id, "--docx", str(out))
    assert p.returncode == 0, p.stderr
    d = docx.Document(io.BytesIO(out.read_bytes()))
    assert len(d.tables) == 3 and "整改方案" in d.paragraphs[0].text
    # The 整改情况报告: the same outline read back, the interface of `notice`.
    from zhenggai.textparse.parse import parse_document
    from zhenggai.textparse.reader import read_path

    report = folder / "报告.docx"
    p = zhenggai(env, "report", round_id, "--docx", str(report))
    assert p.returncode == 0, p.stderr
    result = parse_document(read_path(report))
    c = result.counts
    assert (c.categories, c.issues, c.problems, c.measures) == (3, 18, 30, 100)
    assert result.title == f"{UNIT}关于巡察整改情况的报告"
    for args, message in (
        (("notice", "99999", "--docx", f"{folder}/x.docx"), "未找到巡察轮次 99999"),
        (("notice", "abc", "--docx", f"{folder}/x.docx"), "轮次编号应为数字"),
        (("notice", round_id, "--docx", "/nonexistent-dir/x.docx"), "无法写入 /nonexistent-dir/x.docx"),
        (("notice", round_id, "--pdf", str(folder)), "这是一个文件夹"),
        (("plan", round_id), "请用 --docx 指定输出文件"),
    ):
        p = zhenggai(env, *args)
        assert p.returncode == 2, (args, p.stderr)
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("zhenggai: ") and message in lines[0], lines
    assert not (folder / "x.docx").exists()
