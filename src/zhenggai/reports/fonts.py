"""Fonts of the official documents: official names in the .docx, free faces in the PDF.

The .docx names the fonts a government PC has (仿宋_GB2312, 楷体_GB2312, 黑体, 宋体,
方正小标宋简体). The server has none of them: the PDF embeds free fonts that
``scripts/install-fonts`` installs (Debian's fonts-noto-cjk and fonts-arphic-ukai, and the
Fandol faces taken out of texlive-lang-chinese), and fontconfig aliases map the official
names to the same free faces for any other program (``fc-match 仿宋_GB2312``).

Every CSS font stack ends in Noto Serif CJK SC, which covers the rare characters of
personal names (堃 喆 玥 珺 彧) that the GB2312-only faces lack, so nothing renders as an
empty box.

Standard library only: ``scripts/install-fonts`` runs this file as a script (``python3
fonts.py fontconfig DIR``) before the project's virtualenv exists.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

#: Where the install script puts the Fandol faces when run as root, and otherwise.
SYSTEM_FONT_DIR = Path("/usr/local/share/fonts/zhenggai")
FONT_DIR_ENV = "ZHENGGAI_FONT_DIR"
#: texlive-lang-chinese installed in full keeps the same files here.
TEXLIVE_FANDOL_DIR = Path("/usr/share/texlive/texmf-dist/fonts/opentype/public/fandol")
#: Name of the alias file in fontconfig's conf.d (system) or the user's fontconfig/conf.d.
FONTCONFIG_FILE = "65-zhenggai-gongwen.conf"

#: The broad-coverage face at the end of every chain (fonts-noto-cjk).
BROAD = "Noto Serif CJK SC"


@dataclass(frozen=True)
class Face:
    """A font file loaded with @font-face under a private family name."""

    css_family: str
    file: str
    weight: int = 400


FACES = (
    Face("GW-FangSong", "FandolFang-Regular.otf"),
    Face("GW-Kai", "FandolKai-Regular.otf"),
    Face("GW-Hei", "FandolHei-Regular.otf"),
    Face("GW-Hei", "FandolHei-Bold.otf", 700),
    Face("GW-Song", "FandolSong-Regular.otf"),
    Face("GW-Song", "FandolSong-Bold.otf", 700),
)
FANDOL_FILES = tuple(f.file for f in FACES)


@dataclass(frozen=True)
class Role:
    """A typographic role of GB/T 9704 and the fonts that serve it."""

    official: str  # the name written into the .docx
    aliases: tuple[str, ...]  # other names of the same face on Windows and WPS
    prefer: tuple[str, ...]  # free fontconfig families, best first (for the alias file)
    css: tuple[str, ...]  # the PDF's font stack, ending in the broad-coverage face
    weight: int = 400


ROLES: dict[str, Role] = {
    # 正文 and 三、四级标题.
    "fangsong": Role(
        "仿宋_GB2312",
        ("仿宋", "FangSong", "FangSong_GB2312", "仿宋_GB18030"),
        ("FandolFang", BROAD),
        ("GW-FangSong", BROAD),
    ),
    # 二级标题.
    "kai": Role(
        "楷体_GB2312",
        ("楷体", "KaiTi", "KaiTi_GB2312"),
        ("AR PL UKai CN", "FandolKai", BROAD),
        ("AR PL UKai CN", "GW-Kai", BROAD),
    ),
    # 一级标题, 表头.
    "hei": Role(
        "黑体",
        ("SimHei",),
        ("Noto Sans CJK SC", "FandolHei"),
        ("Noto Sans CJK SC", "GW-Hei", BROAD),
    ),
    # 页码, 表格.
    "song": Role(
        "宋体",
        ("SimSun", "NSimSun", "新宋体"),
        (BROAD, "FandolSong"),
        (BROAD, "GW-Song"),
    ),
    # 标题: no free 小标宋 exists; the bold broad-coverage serif stands in.
    "xbs": Role(
        "方正小标宋简体",
        ("方正小标宋_GBK", "小标宋", "FZXiaoBiaoSong-B05S"),
        (BROAD,),
        (BROAD, "GW-Song"),
        700,
    ),
}

#: fontconfig families the PDF needs besides the Fandol files (Debian packages).
SYSTEM_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "AR PL UKai CN")


def font_dirs() -> list[Path]:
    """Folders searched for the Fandol files, in order."""
    dirs = []
    if os.environ.get(FONT_DIR_ENV):
        dirs.append(Path(os.environ[FONT_DIR_ENV]))
    data_home = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    dirs += [SYSTEM_FONT_DIR, data_home / "fonts" / "zhenggai", TEXLIVE_FANDOL_DIR]
    return dirs


def find_file(name: str) -> Path | None:
    for d in font_dirs():
        p = d / name
        if p.is_file():
            return p
    return None


def font_face_css() -> str:
    """@font-face rules for the Fandol files that are installed (missing ones are left out)."""
    rules = []
    for face in FACES:
        path = find_file(face.file)
        if path is not None:
            rules.append(
                f'@font-face {{ font-family: "{face.css_family}"; src: url("{path.resolve().as_uri()}"); '
                f"font-weight: {face.weight}; }}"
            )
    return "\n".join(rules)


def coverage(name: str) -> frozenset[int] | None:
    """The code points a Fandol file has (None when it is not installed or unreadable)."""
    path = find_file(name)
    if path is None:
        return None
    return _cmap(path, 0)


def _cmap(path: Path, index: int) -> frozenset[int] | None:
    try:
        from fontTools.ttLib import TTFont  # a WeasyPrint dependency; not needed by the script
    except ImportError:
        return None
    with TTFont(path, fontNumber=index, lazy=True) as font:
        return frozenset(font.getBestCmap())


def system_font_file(family: str) -> tuple[Path, int] | None:
    """The file (and face index) fontconfig has for ``family``; None when it has no such family."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    proc = subprocess.run(  # noqa: S603  fc-match/fc-list found by shutil.which, argv list, no shell
        [exe, "--format=%{family}\n%{file}\n%{index}", family],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    lines = proc.stdout.split("\n")
    if proc.returncode != 0 or len(lines) < 3 or family not in lines[0].split(","):
        return None
    return Path(lines[1]), int(lines[2] or 0)


def broad_coverage() -> frozenset[int] | None:
    """The code points of the broad-coverage face that ends every stack (None without it):
    a character it has is drawn by one of our faces in every role."""
    found = system_font_file(BROAD)
    return _cmap(*found) if found is not None else None


def css_stack(role: str) -> str:
    return ", ".join(f'"{f}"' for f in ROLES[role].css)


def fontconfig_xml(font_dir: str | os.PathLike[str] | None = None) -> str:
    """The alias file: official names → free families, and the folder of the Fandol files."""
    out = [
        '<?xml version="1.0"?>',
        '<!DOCTYPE fontconfig SYSTEM "urn:fontconfig:fonts.dtd">',
        "<!-- zhenggai: GB/T 9704 official font names mapped to free fonts (scripts/install-fonts). -->",
        "<fontconfig>",
    ]
    if font_dir is not None:
        out.append(f"  <dir>{escape(os.fspath(font_dir))}</dir>")
    for key, role in ROLES.items():
        names = (role.official, *role.aliases)
        if key == "xbs":
            # Assign, not prefer: the title face must come out bold whatever asked for it.
            for name in names:
                out += [
                    '  <match target="pattern">',
                    f'    <test name="family"><string>{escape(name)}</string></test>',
                    f'    <edit name="family" mode="assign" binding="strong"><string>{BROAD}</string></edit>',
                    '    <edit name="weight" mode="assign"><const>bold</const></edit>',
                    "  </match>",
                ]
            continue
        for name in names:
            out.append(f'  <alias binding="same"><family>{escape(name)}</family>')
            out.append(
                "    <prefer>" + "".join(f"<family>{escape(f)}</family>" for f in role.prefer) + "</prefer>"
            )
            out.append("  </alias>")
    out.append("</fontconfig>")
    return "\n".join(out) + "\n"


def fc_match(name: str) -> str | None:
    """The family fontconfig gives for ``name`` (None without fontconfig)."""
    exe = shutil.which("fc-match")
    if exe is None:
        return None
    proc = subprocess.run(  # noqa: S603  fc-match/fc-list found by shutil.which, argv list, no shell
        [exe, "--format=%{family}", name], capture_output=True, text=True, check=False, timeout=30
    )
    return proc.stdout.strip() if proc.returncode == 0 else None


def installed_families() -> set[str]:
    exe = shutil.which("fc-list")
    if exe is None:
        return set()
    proc = subprocess.run(  # noqa: S603  fc-match/fc-list found by shutil.which, argv list, no shell
        [exe, "--format=%{family}\n"], capture_output=True, text=True, check=False, timeout=60
    )
    return {name.strip() for line in proc.stdout.splitlines() for name in line.split(",") if name.strip()}


def problems() -> list[str]:
    """What is missing for the documents to come out in the intended faces (Chinese, one line each)."""
    found: list[str] = []
    hint = "请运行 scripts/install-fonts 安装公文字体"
    missing = [name for name in FANDOL_FILES if find_file(name) is None]
    if missing:
        found.append(f"缺少字体文件 {'、'.join(missing)}：{hint}")
    families = installed_families()
    for family in SYSTEM_FAMILIES:
        if family not in families:
            found.append(f"系统未安装字体“{family}”：{hint}")
    return found


def main(argv: list[str]) -> int:
    usage = "usage: fonts.py fontconfig [DIR] | check | files"
    if not argv:
        print(usage, file=sys.stderr)
        return 2
    if argv[0] == "fontconfig":
        sys.stdout.write(fontconfig_xml(argv[1] if len(argv) > 1 else None))
        return 0
    if argv[0] == "files":
        print("\n".join(FANDOL_FILES))
        return 0
    if argv[0] == "check":
        found = problems()
        for line in found:
            print(line, file=sys.stderr)
        for key, role in ROLES.items():
            print(f"{role.official} → {fc_match(role.official) or '?'}（{key}）")
        return 1 if found else 0
    print(usage, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
