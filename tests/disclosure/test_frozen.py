"""A published version never changes: the database refuses any UPDATE of its row (migration
0002), whatever the path; a pending row may still be approved (an UPDATE from pending)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import DatabaseError, connection, transaction

on_both = pytest.mark.parametrize(
    "vendor", ["configured", pytest.param("postgresql", marks=pytest.mark.postgres)]
)


@pytest.fixture
def vendor_db(request: Any, db: Any) -> str:
    if request.getfixturevalue("vendor") == "postgresql":
        assert connection.vendor == "postgresql", "this variant needs PostgreSQL (DATABASE_URL)"
    return connection.vendor


def refused(action: Any) -> str:
    with pytest.raises(DatabaseError) as info, transaction.atomic():
        action()
    return str(info.value)


@on_both
def test_an_orm_update_of_a_published_version_fails(vendor, vendor_db, published):
    from zhenggai.disclosure.models import PublicationVersion

    message = refused(lambda: PublicationVersion.objects.filter(pk=published.pk).update(title="改过的标题"))
    assert "已发布的版本不能修改" in message
    assert PublicationVersion.objects.get(pk=published.pk).title == published.title


@on_both
def test_a_raw_update_of_a_published_version_fails(vendor, vendor_db, published):
    def raw() -> None:
        with connection.cursor() as cur:
            cur.execute(
                "UPDATE disclosure_publicationversion SET status = 'rejected', blocks = '[]' WHERE id = %s",
                [published.pk],
            )

    assert "已发布的版本不能修改" in refused(raw)


@on_both
def test_saving_a_published_version_again_fails(vendor, vendor_db, published):
    published.change_note = "悄悄改一下"
    refused(lambda: published.save())
