"""The open data (zhenggai.open/1, docs/interfaces.md "The public site") and the Atom feed."""

from __future__ import annotations

import csv
import io
import json
import xml.etree.ElementTree as ET
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import open_data

pytestmark = pytest.mark.django_db

ATOM = "{http://www.w3.org/2005/Atom}"


def test_rounds_json_lists_every_published_round_in_the_contract_shape(
    client: Client, publisher: Any, published: Any, personas: Any, settings: Any
) -> None:
    settings.PUBLIC_BASE_URL = "https://gk.example.gov.cn"
    other = publisher.publish(publisher.round("财政局轮次", unit=personas.unit_b), title="财政局的通报")
    response = client.get(reverse("public:rounds-json"))
    assert response["Content-Type"].startswith("application/json")
    doc = json.loads(response.content)
    assert doc["schema"] == "zhenggai.open/1"
    assert doc["licence"] == settings.OPEN_DATA_LICENCE
    assert doc["as_of"]
    by_id = {r["id"]: r for r in doc["rounds"]}
    assert set(by_id) == {published.publication.public_id, other.publication.public_id}
    row = by_id[published.publication.public_id]
    assert {"id", "unit", "title", "published", "as_of", "url", "counts"} <= set(row)
    assert row["unit"] == personas.unit_a.name
    assert row["title"] == published.title
    assert row["as_of"] == published.as_of.isoformat()
    assert row["url"] == "https://gk.example.gov.cn" + reverse(
        "public:round", args=[published.publication.public_id]
    )
    assert row["counts"]["problems"] == 3
    assert row["counts"]["completed"] == 1
    assert row["counts"]["measures"] == 3
    assert row["counts"]["overdue"] == 0


def test_a_round_file_holds_the_problems_and_measures_as_published_and_every_version(
    client: Client, publisher: Any, published: Any
) -> None:
    round_ = published.publication.round
    publisher.publish(round_, change_note="更正第一版的错字", data=open_data(done=2, open_=1))
    pid = published.publication.public_id
    doc = json.loads(client.get(reverse("public:round-json", args=[pid])).content)
    assert doc["schema"] == "zhenggai.open/1"
    assert doc["id"] == pid
    assert doc["counts"]["completed"] == 2
    assert [p["state"] for p in doc["problems"]] == ["已完成", "已完成", "正在整改"]
    measure = doc["problems"][2]["measures"][0]
    assert {"text", "status", "deadline", "completed_on", "progress"} <= set(measure)
    assert doc["documents"]["notice"]["number"] == 2
    assert doc["documents"]["notice"]["data"]["problems"] == doc["problems"]
    assert [(v["kind"], v["number"]) for v in doc["versions"]] == [("notice", 2), ("notice", 1)]
    assert doc["versions"][0]["change_note"] == "更正第一版的错字"
    assert doc["versions"][1]["pdf"].endswith(reverse("public:version-file", args=[pid, "notice", 1, "pdf"]))


def test_rounds_csv_is_quoted_utf8_with_a_bom_and_a_formula_title_is_neutralised(
    client: Client, publisher: Any
) -> None:
    v = publisher.publish(publisher.round(), title='=HYPERLINK("http://evil","点我")')
    response = client.get(reverse("public:rounds-csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    raw = response.content
    assert raw.startswith(b"\xef\xbb\xbf")
    text = raw.decode("utf-8-sig")
    assert '"id","unit","title"' in text  # every cell quoted
    rows = list(csv.DictReader(io.StringIO(text)))
    assert rows[0]["id"] == v.publication.public_id
    assert rows[0]["title"] == "'" + v.title
    assert rows[0]["problems"] == "3"


def test_the_feed_is_atom_with_one_entry_per_published_version_newest_first(
    client: Client, publisher: Any, published: Any, settings: Any
) -> None:
    settings.PUBLIC_BASE_URL = "https://gk.example.gov.cn"
    second = publisher.publish(published.publication.round, title="第二版通报", change_note="更正")
    publisher.publish(published.publication.round, "report", status="pending", title="待审批（不应出现）")
    response = client.get(reverse("public:feed"))
    assert response["Content-Type"].startswith("application/atom+xml")
    root = ET.fromstring(response.content)  # noqa: S314  our own feed
    assert root.tag == f"{ATOM}feed"
    entries = root.findall(f"{ATOM}entry")
    assert len(entries) == 2
    pid = published.publication.public_id
    first_link = entries[0].find(f"{ATOM}link").attrib["href"]
    assert first_link == "https://gk.example.gov.cn" + reverse("public:version", args=[pid, "notice", 2])
    assert entries[0].find(f"{ATOM}id").text == first_link
    assert second.title in entries[0].find(f"{ATOM}title").text
    assert "不应出现" not in response.content.decode()
