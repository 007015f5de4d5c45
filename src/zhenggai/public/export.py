"""The static export of the public site: a folder that nginx or a government CMS serves as is.

``export_site(target)`` writes, from the published versions only::

    index.html                              the units and rounds
    r/<id>/index.html                       a round (current documents, open items, replies)
    r/<id>/qr.svg                           the QR code of the live feedback page
    r/<id>/<kind>/v<n>/index.html           each published version
    r/<id>/<kind>/v<n>.pdf, .docx           its stored files, byte for byte
    data/rounds.json, data/rounds.csv       the open data (zhenggai.open/1)
    data/rounds/<id>.json
    feed.atom
    static/public.css

Pages are rendered by the templates of the live site with relative links (``ExportLinks``), so
the folder works from any path; the feedback form and the lookup link to the live site
(``PUBLIC_BASE_URL``). The folder is written beside the target and renamed into place, so a
reader sees the old export or the new one, never half of one; a target that is not an earlier
export (it lacks the marker file) is refused rather than replaced.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.contrib.staticfiles import finders
from django.template.loader import render_to_string

from zhenggai.errors import InvalidInput

from . import opendata, pages, selectors
from .links import CSS, ExportLinks, absolute
from .qr import qr_svg

MARKER = ".zhenggai-gk-export"


@dataclass(frozen=True)
class ExportResult:
    path: Path
    rounds: int
    versions: int
    files: int


def _write(root: Path, relative: str, data: bytes | str) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)


def _check_target(target: Path) -> None:
    if target.exists() and not target.is_dir():
        raise InvalidInput(f"无法导出到 {target}：这是一个文件", field="dir")
    if target.is_dir() and any(target.iterdir()) and not (target / MARKER).exists():
        raise InvalidInput(f"无法导出到 {target}：该文件夹不是空的，也不是之前导出的公开网站", field="dir")


def _fill(root: Path) -> ExportResult:
    rounds = selectors.published_rounds()
    count = {"versions": 0, "files": 0}
    _write(
        root, "index.html", render_to_string("public/index.html", pages.index_context(rounds, ExportLinks(0)))
    )
    for r in rounds:
        page = selectors.round_page(r.public_id)
        if page is None:  # unpublished meanwhile: not possible (published rows never change)
            continue
        context = pages.round_context(page, ExportLinks(2), replies=pages.published_replies(r.round_id))
        _write(root, f"r/{r.public_id}/index.html", render_to_string("public/round.html", context))
        _write(root, f"r/{r.public_id}/qr.svg", qr_svg(absolute(ExportLinks(0).feedback(r.public_id))))
        _write(root, f"data/rounds/{r.public_id}.json", opendata.to_json(opendata.round_document(page)))
        for ref in r.versions:
            version = selectors.version(r.public_id, ref.kind, ref.number)
            if version is None:
                continue
            folder = f"r/{r.public_id}/{ref.kind}/v{ref.number}"
            html = render_to_string("public/version.html", pages.version_context(version, ExportLinks(4)))
            _write(root, f"{folder}/index.html", html)
            count["versions"] += 1
            for ext in selectors.FILE_TYPES:
                stored = selectors.version_file(r.public_id, ref.kind, ref.number, ext)
                if stored is not None:
                    _write(root, f"{folder}.{ext}", stored.data)
                    count["files"] += 1
    _write(root, "data/rounds.json", opendata.to_json(opendata.rounds_document(rounds)))
    _write(root, "data/rounds.csv", opendata.rounds_csv(rounds))
    _write(root, "feed.atom", opendata.atom_feed(selectors.feed_versions()))
    css = finders.find(CSS)
    if not css:
        raise InvalidInput(f"找不到样式文件 {CSS}", field="dir")
    _write(root, "static/public.css", Path(str(css)).read_bytes())
    _write(root, MARKER, "zhenggai gk-export\n")
    return ExportResult(path=root, rounds=len(rounds), **count)


def export_site(target: Path) -> ExportResult:
    """Write the public site into ``target`` (replacing an earlier export there) and return
    what was written."""
    target = target.resolve()
    _check_target(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        result = _fill(work)
        work.chmod(0o755)
        old = None
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            target.rename(old / "export")
        work.rename(target)
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
    except BaseException:
        shutil.rmtree(work, ignore_errors=True)
        raise
    return ExportResult(path=target, rounds=result.rounds, versions=result.versions, files=result.files)
