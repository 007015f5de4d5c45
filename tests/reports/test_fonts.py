"""REQ-5.9: the fonts the project's set-up installs, and the mapping of the official names."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from zhenggai.reports import fonts

ROOT = Path(__file__).resolve().parents[2]


def test_the_configured_font_files_exist() -> None:
    for name in fonts.FANDOL_FILES:
        path = fonts.find_file(name)
        assert path is not None and path.stat().st_size > 1_000_000, f"{name}: run scripts/install-fonts"
    assert fonts.problems() == []


@pytest.mark.parametrize(
    ("official", "family"),
    [
        ("仿宋_GB2312", "FandolFang"),
        ("仿宋", "FandolFang"),
        ("楷体_GB2312", "AR PL UKai CN"),
        ("黑体", "Noto Sans CJK SC"),
        ("宋体", "Noto Serif CJK SC"),
        ("方正小标宋简体", "Noto Serif CJK SC"),
    ],
)
def test_fontconfig_maps_the_official_names(official: str, family: str) -> None:
    assert family in (fonts.fc_match(official) or "")


def test_the_title_face_comes_out_bold() -> None:
    out = subprocess.run(
        [shutil.which("fc-match") or "fc-match", "--format=%{style}", "方正小标宋简体"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Bold" in out


def test_every_pdf_stack_ends_in_the_broad_coverage_face() -> None:
    for role in fonts.ROLES.values():
        assert role.official
        assert fonts.BROAD in role.css
    css = fonts.font_face_css()
    assert 'font-family: "GW-FangSong"' in css and "FandolFang-Regular.otf" in css
    cov = fonts.coverage("FandolFang-Regular.otf")
    assert cov is not None and ord("仿") in cov and ord("堃") not in cov


def test_the_alias_file_is_the_one_installed() -> None:
    xml = fonts.fontconfig_xml("/usr/local/share/fonts/zhenggai")
    assert "<dir>/usr/local/share/fonts/zhenggai</dir>" in xml
    assert "<family>仿宋_GB2312</family>" in xml and "<family>FandolFang</family>" in xml
    installed = [
        Path("/etc/fonts/conf.d") / fonts.FONTCONFIG_FILE,
        Path.home() / ".config" / "fontconfig" / "conf.d" / fonts.FONTCONFIG_FILE,
    ]
    assert any(p.is_file() for p in installed)


def test_the_install_script_is_idempotent() -> None:
    """A second run of scripts/install-fonts finds everything in place and changes nothing."""
    script = ROOT / "scripts" / "install-fonts"
    proc = subprocess.run([str(script)], capture_output=True, text=True, check=False, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "字体就绪：仿宋_GB2312 → FandolFang" in proc.stdout
    assert "写入" not in proc.stdout and "下载" not in proc.stdout
