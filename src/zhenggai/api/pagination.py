"""Keyset pagination: ``limit`` (1–200, default 50) rows after an opaque, signed ``cursor``.

A cursor is the key of the last row sent, signed (``django.core.signing``) so that a client
cannot forge one; a tampered or foreign cursor is a 400 naming ``cursor``. Each page is one
indexed range query (``key > last``), whatever the table's size: no OFFSET, no COUNT.
"""

from __future__ import annotations

from typing import Any, Generic, TypeVar

from django.core import signing
from django.db.models import Model, QuerySet
from django.http import HttpRequest, HttpResponse
from ninja import Schema

from .errors import ApiError

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
_SALT = "zhenggai.api.cursor"

T = TypeVar("T")
M = TypeVar("M", bound=Model)


class Page(Schema, Generic[T]):
    items: list[T]
    #: Pass as ``cursor`` for the next page; null on the last page.
    next_cursor: str | None = None


def check_limit(limit: int | None) -> int:
    if limit is None:
        return DEFAULT_LIMIT
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "invalid", f"每页条数 limit 应为 1 至 {MAX_LIMIT}。", "limit")
    return limit


def _decode(cursor: str, scope: str) -> int:
    try:
        data = signing.loads(cursor, salt=_SALT)
    except signing.BadSignature as err:
        raise ApiError(400, "bad_cursor", "翻页游标无效或已被篡改，请从第一页重新获取。", "cursor") from err
    if not isinstance(data, list) or len(data) != 2 or data[0] != scope or not isinstance(data[1], int):
        raise ApiError(400, "bad_cursor", "翻页游标不属于该列表，请从第一页重新获取。", "cursor")
    return data[1]


def _encode(scope: str, key: int) -> str:
    return signing.dumps([scope, key], salt=_SALT, compress=False)


def keyset(
    qs: QuerySet[M], *, cursor: str | None, limit: int | None, scope: str, newest_first: bool = False
) -> tuple[list[M], str | None]:
    """One page of ``qs`` by primary key after ``cursor`` (ascending, or descending when
    ``newest_first``); ``scope`` names the list so a cursor of one list is refused by another.
    Returns the rows and the next cursor (or None)."""
    size = check_limit(limit)
    if cursor:
        key = _decode(cursor, scope)
        qs = qs.filter(pk__lt=key) if newest_first else qs.filter(pk__gt=key)
    rows = list(qs.order_by("-pk" if newest_first else "pk")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    if not (more and rows):
        return rows, None
    last = rows[-1]
    # Model objects, or rows of ``values()`` that include "pk".
    return rows, _encode(scope, last["pk"] if isinstance(last, dict) else last.pk)


def page(rows: list[Any], next_cursor: str | None) -> dict[str, Any]:
    return {"items": rows, "next_cursor": next_cursor}


def page_response(
    request: HttpRequest, rows: list[dict[str, Any]], next_cursor: str | None, schema: type[Schema]
) -> HttpResponse:
    """``page()`` answered as it is, for rows that are already ``schema``'s plain values (ints,
    strings, dates from ``values()``): the JSON the operation's ``Page[schema]`` would give.

    django-ninja validates a returned dict through a getter per field (about 2 ms for 50 rows of
    twenty fields, a fifth of a list request); a response is sent as it is. Each row must have
    exactly the schema's fields, checked here (an extra key would be sent, a missing one
    missed); the types are the columns' own, and schemathesis checks the answers against the
    published schema.
    """
    fields = schema.model_fields.keys()
    for row in rows:
        if row.keys() != fields:
            raise TypeError(f"{schema.__name__}: {sorted(row.keys() ^ fields)}")
    from .main import api  # the API's renderer and content type (main imports this module)

    return api.create_response(request, page(rows, next_cursor), status=200)
