"""`zhenggai gk-export DIR`: the public site as a static folder served as it is."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _links(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="([^"]+)"', html)


def test_the_export_writes_every_page_file_and_data_with_relative_links_that_resolve(
    publisher: Any, published: Any, tmp_path: Path, settings: Any
) -> None:
    settings.PUBLIC_BASE_URL = "https://gk.example.gov.cn"
    round_ = published.publication.round
    publisher.publish(round_, "report", title="关于巡察整改情况的报告")
    publisher.publish(publisher.round("另一轮"), status="pending", title="待审批（不应出现）")
    target = tmp_path / "site"
    call_command("gk-export", str(target))
    pid = published.publication.public_id
    expected = [
        "index.html",
        f"r/{pid}/index.html",
        f"r/{pid}/qr.svg",
        f"r/{pid}/notice/v1/index.html",
        f"r/{pid}/notice/v1.pdf",
        f"r/{pid}/notice/v1.docx",
        f"r/{pid}/report/v1/index.html",
        "data/rounds.json",
        "data/rounds.csv",
        f"data/rounds/{pid}.json",
        "feed.atom",
        "static/public.css",
    ]
    for name in expected:
        assert (target / name).is_file(), name
    assert (target / f"r/{pid}/notice/v1.pdf").read_bytes() == bytes(published.pdf)
    assert "不应出现" not in (target / "index.html").read_text()
    assert json.loads((target / "data/rounds.json").read_text())["rounds"][0]["id"] == pid
    ET.fromstring((target / "feed.atom").read_bytes())  # noqa: S314  our own feed
    # Every link between the exported pages is relative and resolves to a written file; the
    # feedback form and the lookup link to the live site.
    feedback = "https://gk.example.gov.cn" + reverse("public:feedback", args=[pid])
    for page in ("index.html", f"r/{pid}/index.html", f"r/{pid}/notice/v1/index.html"):
        html = (target / page).read_text()
        assert "/gk/" not in html.replace("https://gk.example.gov.cn/gk/", ""), page
        for link in _links(html):
            if link.startswith("https://gk.example.gov.cn/"):
                continue
            if link.startswith("#"):
                continue
            assert (target / page).parent.joinpath(link).resolve().is_file(), (page, link)
    assert feedback in (target / f"r/{pid}/index.html").read_text()


def test_the_export_replaces_an_earlier_export_but_refuses_a_folder_that_is_not_one(
    published: Any, tmp_path: Path
) -> None:
    target = tmp_path / "site"
    call_command("gk-export", str(target))
    (target / "stale.html").write_text("old")
    call_command("gk-export", str(target))
    assert not (target / "stale.html").exists()
    assert (target / "index.html").is_file()
    assert not [p.name for p in tmp_path.iterdir() if p.name.startswith(".site")]  # nothing left beside it

    other = tmp_path / "documents"
    other.mkdir()
    (other / "keep.txt").write_text("mine")
    with pytest.raises(SystemExit) as exit_:
        call_command("gk-export", str(other))
    assert exit_.value.code == 2
    assert (other / "keep.txt").read_text() == "mine"
