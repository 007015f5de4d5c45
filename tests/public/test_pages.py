"""The published pages of /gk/: what they show, to whom, and how they are cached."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from .conftest import notice_blocks, open_data

pytestmark = pytest.mark.django_db


def _urls(version: Any) -> dict[str, str]:
    pid = version.publication.public_id
    return {
        "index": reverse("public:index"),
        "round": reverse("public:round", args=[pid]),
        "version": reverse("public:version", args=[pid, version.kind, version.number]),
        "pdf": reverse("public:version-file", args=[pid, version.kind, version.number, "pdf"]),
        "docx": reverse("public:version-file", args=[pid, version.kind, version.number, "docx"]),
        "qr": reverse("public:qr", args=[pid]),
        "rounds-json": reverse("public:rounds-json"),
        "rounds-csv": reverse("public:rounds-csv"),
        "round-json": reverse("public:round-json", args=[pid]),
        "feed": reverse("public:feed"),
    }


def test_the_index_lists_the_unit_the_round_its_as_of_date_and_completion(
    client: Client, published: Any, personas: Any
) -> None:
    response = client.get(reverse("public:index"))
    assert response.status_code == 200
    body = response.content.decode()
    assert personas.unit_a.name in body
    assert published.title in body
    assert f"{published.as_of.year}年{published.as_of.month}月{published.as_of.day}日" in body
    assert "33.3%" in body  # one of three problems completed
    assert 'lang="zh-CN"' in body
    assert 'href="#main"' in body and 'id="main"' in body


def test_the_round_page_shows_the_current_notice_figures_open_items_and_the_feedback_channel(
    client: Client, publisher: Any, published: Any
) -> None:
    round_ = published.publication.round
    report = publisher.publish(
        round_, "report", title="关于巡察整改情况的报告", data=open_data(done=2, open_=1)
    )
    response = client.get(reverse("public:round", args=[published.publication.public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert "一、整改工作的组织领导" in body  # the notice's text, from its blocks
    assert "关于巡察整改情况的报告" in body  # and the report's
    # The open items come from the last publication (the report: problems 1 and 2 are done).
    assert "尚未完成的问题3" in body
    assert "尚未完成的问题2" not in body
    assert "问题1的标题" not in body
    assert "66.7%" in body
    assert reverse("public:feedback", args=[published.publication.public_id]) in body
    assert reverse("public:qr", args=[published.publication.public_id]) in body
    assert report.title in body


def test_a_correction_is_the_current_version_and_the_earlier_one_is_listed_with_its_change_note(
    client: Client, publisher: Any, published: Any
) -> None:
    round_ = published.publication.round
    publisher.publish(
        round_,
        blocks=notice_blocks("更正后的通报", extra="已更正第二项措施的完成时限。"),
        title="更正后的通报",
        change_note="更正了第二项措施的完成时限",
    )
    pid = published.publication.public_id
    body = client.get(reverse("public:round", args=[pid])).content.decode()
    assert "已更正第二项措施的完成时限。" in body
    assert "更正了第二项措施的完成时限" in body
    assert reverse("public:version", args=[pid, "notice", 1]) in body  # the earlier version, listed
    v1 = client.get(reverse("public:version", args=[pid, "notice", 1])).content.decode()
    assert "已更正第二项措施的完成时限。" not in v1  # version 1 is as it was


def test_a_version_page_shows_its_text_and_links_its_files(client: Client, published: Any) -> None:
    urls = _urls(published)
    body = client.get(urls["version"]).content.decode()
    assert "一、整改工作的组织领导" in body
    assert urls["pdf"] in body and urls["docx"] in body
    assert body.count("<h1>") == 1


def test_the_files_are_the_stored_bytes_as_attachments_with_their_types(
    client: Client, published: Any
) -> None:
    urls = _urls(published)
    pdf = client.get(urls["pdf"])
    assert pdf.status_code == 200
    assert pdf.content == bytes(published.pdf)
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"].startswith("attachment;")
    assert "filename*=UTF-8''" in pdf["Content-Disposition"]
    docx = client.get(urls["docx"])
    assert docx.content == bytes(published.docx)
    assert docx["Content-Type"] == "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def test_the_qr_code_is_an_svg_of_the_feedback_page(client: Client, published: Any, settings: Any) -> None:
    response = client.get(_urls(published)["qr"])
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.lstrip().startswith(b"<?xml") or b"<svg" in response.content[:200]


@pytest.mark.parametrize("who", ["anonymous", "clerk", "outsider"])
def test_every_page_opens_for_anyone_and_shows_the_same_bytes_to_staff_as_to_a_citizen(
    who: str, published: Any, personas: Any
) -> None:
    anonymous = Client()
    visitor = Client()
    if who != "anonymous":
        visitor.force_login(getattr(personas, who))
    for name, url in _urls(published).items():
        seen = visitor.get(url)
        assert seen.status_code == 200, (who, name)
        assert seen.content == anonymous.get(url).content, (who, name)
        assert "Cookie" not in seen.get("Vary", ""), (who, name)
        assert not seen.cookies, (who, name)
        assert "no-store" not in seen["Cache-Control"], (who, name)
        assert seen["Cache-Control"].startswith("public"), (who, name)


def test_a_staff_session_is_neither_used_nor_touched_by_the_public_site(
    logged_in_clerk: Client, published: Any, personas: Any
) -> None:
    from zhenggai.accounts.middleware import SEEN_AT

    before = logged_in_clerk.session[SEEN_AT]
    response = logged_in_clerk.get(reverse("public:index"))
    assert personas.clerk.display_name not in response.content.decode()
    assert logged_in_clerk.session[SEEN_AT] == before
    # …and the staff site still knows the clerk.
    assert logged_in_clerk.get(reverse("web:home")).status_code == 200


def test_a_published_version_and_its_files_are_immutable_with_a_strong_etag_and_304(
    client: Client, published: Any
) -> None:
    urls = _urls(published)
    for name in ("version", "pdf", "docx"):
        response = client.get(urls[name])
        assert response["Cache-Control"] == "public, max-age=31536000, immutable", name
        etag = response["ETag"]
        assert etag.startswith('"') and not etag.startswith("W/"), name
        again = client.get(urls[name], HTTP_IF_NONE_MATCH=etag)
        assert again.status_code == 304, name
        assert again.content == b"", name
    assert client.get(urls["pdf"])["ETag"] == f'"{published.pdf_sha256}"'


def test_list_pages_are_kept_for_the_configured_time_and_revalidate_until_a_new_publication(
    client: Client, publisher: Any, published: Any, settings: Any
) -> None:
    settings.PUBLIC_CACHE_SECONDS = 123
    urls = _urls(published)
    tags = {}
    for name in ("index", "round", "rounds-json", "rounds-csv", "round-json", "feed"):
        response = client.get(urls[name])
        assert response["Cache-Control"] == "public, max-age=123", name
        tags[name] = response["ETag"]
        assert client.get(urls[name], HTTP_IF_NONE_MATCH=tags[name]).status_code == 304, name
    publisher.publish(published.publication.round, change_note="更正")
    for name in tags:
        assert client.get(urls[name], HTTP_IF_NONE_MATCH=tags[name]).status_code == 200, name


def test_an_unknown_public_id_kind_number_or_extension_is_a_404_of_the_public_site(
    client: Client, published: Any
) -> None:
    pid = published.publication.public_id
    for url in (
        reverse("public:round", args=["nope"]),
        reverse("public:version", args=[pid, "notice", 2]),
        reverse("public:version", args=[pid, "plan", 1]),
        reverse("public:version-file", args=[pid, "notice", 1, "exe"]),
        reverse("public:round-json", args=["nope"]),
        reverse("public:qr", args=["nope"]),
        reverse("public:feedback", args=["nope"]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "巡察整改信息公开" in response.content.decode(), url
        assert "我的任务" not in response.content.decode(), url


def test_a_pending_or_rejected_submission_never_appears(
    client: Client, publisher: Any, personas: Any
) -> None:
    round_ = publisher.round("未发布的轮次")
    pending = publisher.publish(round_, title="待审批的通报（不应出现）", status="pending")
    publisher.publish(publisher.round("被退回的轮次"), title="被退回的通报（不应出现）", status="rejected")
    pid = pending.publication.public_id
    for url in (
        reverse("public:index"),
        reverse("public:rounds-json"),
        reverse("public:rounds-csv"),
        reverse("public:feed"),
    ):
        body = client.get(url).content.decode()
        assert "不应出现" not in body, url
        assert pid not in body, url
    assert client.get(reverse("public:round", args=[pid])).status_code == 404
    assert client.get(reverse("public:round-json", args=[pid])).status_code == 404
    assert client.get(reverse("public:feedback", args=[pid])).status_code == 404


def test_a_script_in_a_published_text_is_shown_as_text(client: Client, publisher: Any) -> None:
    script = "<script>alert('x')</script>"
    round_ = publisher.round()
    v = publisher.publish(
        round_,
        title=f"通报{script}",
        blocks=notice_blocks(f"通报{script}", extra=script),
        data=open_data(text=script),
        change_note=script,
    )
    publisher.publish(round_, "report", title=f"报告{script}", as_of_days=1)
    pid = v.publication.public_id
    for url in (
        reverse("public:index"),
        reverse("public:round", args=[pid]),
        reverse("public:version", args=[pid, "notice", 1]),
    ):
        body = client.get(url).content.decode()
        assert "<script>" not in body, url
        assert "&lt;script&gt;" in body, url


def test_the_index_and_round_page_queries_do_not_grow_with_the_number_of_rounds(
    client: Client, publisher: Any, django_assert_max_num_queries: Any
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def counts() -> tuple[int, int]:
        last = None
        for _ in range(n_added[0]):
            r = publisher.round()
            last = publisher.publish(r)
            publisher.publish(r, "report", title="整改情况报告")
        n_added[0] = 3
        assert last is not None
        with CaptureQueriesContext(connection) as index:
            client.get(reverse("public:index"))
        with CaptureQueriesContext(connection) as page:
            client.get(reverse("public:round", args=[last.publication.public_id]))
        return len(index), len(page)

    n_added = [3]
    three = counts()
    six = counts()
    assert three == six
    with django_assert_max_num_queries(2):
        client.get(reverse("public:index"))
