"""The `zhenggai parse` and `zhenggai lint` commands, run as a user runs them."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.textparse.builders import make_docx, make_image_only_pdf, make_pdf

SEED = Path(__file__).resolve().parents[1] / "seeds" / "000_3fc582a97ef44a37.txt"
ZHENGGAI = Path(sys.executable).with_name("zhenggai")


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(ZHENGGAI), *args], input=stdin, capture_output=True, check=False)
    return subprocess.CompletedProcess(
        proc.args, proc.returncode, proc.stdout.decode("utf-8"), proc.stderr.decode("utf-8")
    )


def test_parse_json_follows_the_contract_for_the_seed():
    p = run("parse", str(SEED), "--json")
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["schema"] == "zhenggai.parse/1"
    assert doc["source"]["name"] == SEED.name
    assert doc["source"]["chars"] == len(SEED.read_text(encoding="utf-8"))
    assert len(doc["source"]["sha256"]) == 64
    assert doc["doc_type"] == "progress_notice"
    assert doc["counts"] == {"categories": 3, "issues": 18, "problems": 30, "measures": 100}
    assert doc["inspection"]["feedback_date"] == "2022-02-14"
    assert [s["kind"] for s in doc["sections"]] == ["organisation", "findings", "long_term"]
    first = doc["findings"][0]
    assert first["kind"] == "category"
    measure = first["children"][1]["children"][0]["measures"][2]
    assert measure["dates"][0] == {
        "text": "3月30日",
        "value": "2022-03-30",
        "precision": "day",
        "malformed": False,
        "span": measure["dates"][0]["span"],
        "year_inferred": True,
    }
    assert {d["code"] for d in doc["diagnostics"]} >= {"date-malformed", "ordinal-missing"}
    money = doc["findings"][1]["children"][6]["children"][0]["measures"][1]["amounts"][0]
    assert money == {"text": "4.54万元", "yuan": "45400.00", "span": money["span"]}


def test_parse_without_json_prints_a_readable_outline():
    p = run("parse", str(SEED))
    assert p.returncode == 0
    assert "合计：3 个类别，18 个问题，30 个具体问题，100 项措施" in p.stdout
    assert "县委第三巡察组" in p.stdout


def test_parse_reads_standard_input():
    p = run("parse", "-", "--json", stdin=SEED.read_bytes())
    assert p.returncode == 0
    assert json.loads(p.stdout)["counts"]["measures"] == 100


def test_lint_finds_the_seed_defects_and_exits_1():
    p = run("lint", str(SEED), "--json")
    assert p.returncode == 1
    doc = json.loads(p.stdout)
    assert doc["schema"] == "zhenggai.lint/1"
    found = {(f["code"], f["excerpt"]) for f in doc["findings"]}
    codes = {c for c, _ in found}
    assert codes >= {
        "numbering-inconsistent",
        "ordinal-missing",
        "ordinal-run-on",
        "date-malformed",
        "sentence-truncated",
        "bracket-unbalanced",
        "measure-predates-inspection",
        "signature-missing",
    }
    text = SEED.read_text(encoding="utf-8")
    for f in doc["findings"]:
        a, b = f["span"]
        assert 0 <= a <= b <= len(text)
        assert f["message"] and f["severity"] in ("error", "warning", "info")
    excerpts = " ".join(e for _, e in found)
    for snippet in (
        "(2)针对",
        "是结合",
        "宣传教育二是印制",
        "330日",
        "僵尸车全部四是",
        "集中学习14",
        "制度》",
        "电影进万家”",
        "2021年11月1日前",
    ):
        assert snippet in excerpts, snippet


def test_lint_on_a_clean_document_reports_nothing_and_exits_0(tmp_path):
    clean = tmp_path / "clean.txt"
    clean.write_text(
        "关于巡察整改进展情况的通报\n\n"
        "根据县委统一部署，2023年4月10日至5月30日，县委第一巡察组对县档案馆开展了常规巡察。"
        "2023年6月20日反馈了巡察意见。现将整改进展情况予以公布。\n"
        "一、加强组织领导\n成立了整改工作领导小组，制定了整改方案。\n"
        "二、问题整改情况\n（一）针对档案管理不规范问题\n"
        "一是2023年7月10日制定了《档案借阅管理办法》；二是对2020年以来的借阅登记进行了核查，补登记录12条。\n"
        "（二）针对经费使用不规范问题\n"
        "一是2023年7月5日将违规支出的1.2万元退回国库；二是组织财务人员开展培训2次。\n"
        "三、下一步工作\n持续巩固整改成果。\n"
        "欢迎广大干部群众进行监督。联系电话：0556-1234567。\n"
        "县档案馆\n2023年8月1日\n",
        encoding="utf-8",
    )
    p = run("lint", str(clean))
    assert p.returncode == 0, p.stdout
    assert "未发现问题" in p.stdout


@pytest.mark.parametrize(
    "name", ["missing.txt", "empty.txt", "garbage.bin", "scan.pdf", "secret.pdf", "broken.docx", "adir"]
)
def test_unreadable_input_exits_2_with_one_clear_line(tmp_path, name):
    path = tmp_path / name
    if name == "empty.txt":
        path.write_bytes(b"")
    elif name == "garbage.bin":
        path.write_bytes(bytes(range(256)) * 40)
    elif name == "scan.pdf":
        path.write_bytes(make_image_only_pdf())
    elif name == "secret.pdf":
        path.write_bytes(make_pdf(["一、问题整改情况"], encrypt="secret"))
    elif name == "broken.docx":
        path.write_bytes(make_docx(["一、问题整改情况"])[:200])
    elif name == "adir":
        path.mkdir()
    for cmd in ("parse", "lint"):
        p = run(cmd, str(path))
        assert p.returncode == 2
        assert p.stdout == ""
        lines = p.stderr.strip().splitlines()
        assert len(lines) == 1, p.stderr
        assert "Traceback" not in p.stderr
        assert name in lines[0]
